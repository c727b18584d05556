/** dtype rules: promotion, categories and host arrays. @module */
import type { DType, HostArray } from "../backend/backend.ts";

export type { DType };

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Whether values of `dtype` are floating point. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** The dtype two operands are computed in (torch's promotion for these four types). */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The typed array a host copy of `dtype` uses. */
export function hostArray(dtype: DType, size: number): HostArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** Rejects anything that is not a dtype name, naming the caller. */
export function checkDType(op: string, dtype: unknown): DType {
  if (typeof dtype === "string" && dtype in RANK) return dtype as DType;
  throw new TypeError(
    `${op}: unknown dtype ${JSON.stringify(dtype)}; expected "float32", "float64", "int32" or "bool"`,
  );
}
