/** dtype facts every layer shares: categories, host element sizes and host arrays. @module */
import type { DType, HostArray } from "./backend.ts";

/** Whether values of `dtype` are floating point. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Bytes per element of each dtype's host array (bool is one byte, 0 or 1). */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  bool: 1,
};

/**
 * A fresh zeroed host array of `size` elements of `dtype`. A name that is not a dtype (only
 * possible past the type checker) is a TypeError prefixed with `owner`.
 */
export function hostArray(dtype: DType, size: number, owner = "hostArray"): HostArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
    default:
      throw new TypeError(`${owner}: unknown dtype ${String(dtype)}`);
  }
}
