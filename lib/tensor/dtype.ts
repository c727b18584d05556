/** dtype rules: promotion and checks; categories, sizes and host arrays come from lib/backend/dtype.ts. @module */
import type { DType } from "../backend/backend.ts";

export type { DType, HostArray } from "../backend/backend.ts";
export { DTYPE_BYTES, hostArray, isFloat } from "../backend/dtype.ts";

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The dtype two operands are computed in (torch's promotion for these four types). */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Rejects anything that is not a dtype name, naming the caller. */
export function checkDType(op: string, dtype: unknown): DType {
  if (typeof dtype === "string" && dtype in RANK) return dtype as DType;
  throw new TypeError(
    `${op}: unknown dtype ${JSON.stringify(dtype)}; expected "float32", "float64", "int32" or "bool"`,
  );
}
