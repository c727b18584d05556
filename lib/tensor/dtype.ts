/**
 * dtype rules: promotion, checks and the names PyTorch code uses; categories, sizes and host
 * arrays come from lib/backend/dtype.ts.
 *
 * int64 ("int64", "long") is accepted wherever a dtype is and is stored as int32: every index,
 * label and count a model here handles fits, WebGPU has no 64-bit integers, and one integer type
 * keeps every backend's kernels and the promotion table small. The tensor then reports "int32",
 * so code ported from PyTorch compares `t.dtype` with {@link isIntegerDType} (or "int32"), not
 * with "int64". Host values past the int32 range are a RangeError naming the op
 * ({@link checkInt32Range}) rather than a silent wraparound.
 * @module
 */
import type { DType } from "../backend/backend.ts";

export type { DType, HostArray } from "../backend/backend.ts";
export { DTYPE_BYTES, hostArray, isFloat } from "../backend/dtype.ts";

/** A dtype as options take it: a storage dtype, or PyTorch's int64 names (stored as int32). */
export type DTypeName = DType | "int64" | "long";

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** PyTorch's names of the storage dtypes (torch.long is int64, which is stored as int32 here). */
const ALIASES: Readonly<Record<string, DType>> = {
  int64: "int32",
  long: "int32",
};

/** The dtype two operands are computed in (torch's promotion for these four types). */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Whether `dtype` is an integer type (int32, which also stands for int64). */
export function isIntegerDType(dtype: DType): boolean {
  return dtype === "int32";
}

/**
 * The storage dtype of a dtype name (int64 → int32); anything else is a TypeError naming the
 * caller. uint8 is refused: it needs wraparound arithmetic the kernels do not have.
 */
export function checkDType(op: string, dtype: unknown): DType {
  if (typeof dtype === "string" && dtype in RANK) return dtype as DType;
  if (typeof dtype === "string" && dtype in ALIASES) return ALIASES[dtype];
  const hint = dtype === "uint8"
    ? ' (uint8 is not supported: use "int32" and mask with & 255 where wraparound matters)'
    : "";
  throw new TypeError(
    `${op}: unknown dtype ${
      JSON.stringify(dtype)
    }; expected "float32", "float64", "int32" (or "int64"), or "bool"${hint}`,
  );
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Throws a RangeError naming `op` when an int value lies outside int32 (int64 values are stored as int32). */
export function checkInt32Range(op: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < INT32_MIN || v > INT32_MAX) {
      throw new RangeError(
        `${op}: value ${v} at flat position ${i} does not fit int64 as stored here (int32: ±2³¹); ` +
          "use a float dtype, or keep integer values within [-2147483648, 2147483647]",
      );
    }
  }
}
