/**
 * The backends' one elementwise primitive called the way the backend tests read it: one operand
 * (with an output dtype, a cast for `copy`), two operands (the output dtype follows the op's
 * policy: bool for comparisons and logic, else the operands'), or `where`'s three.
 * @module
 */
import type { Backend, BinaryOp, DType, Storage, UnaryOp, View } from "../../lib/backend/backend.ts";
import { elementwiseEntry, paramValues } from "../../lib/ops/table.ts";

/** `op` of one operand. */
export function unary(
  b: Backend,
  op: UnaryOp,
  a: Storage,
  av: View,
  outDtype: DType,
  params: readonly number[] = [],
): Storage {
  return b.elementwise(op, [{ storage: a, view: av }], outDtype, paramValues(elementwiseEntry(op), params));
}

/** `op` of two operands of one dtype. */
export function binary(b: Backend, op: BinaryOp, a: Storage, av: View, c: Storage, cv: View): Storage {
  const policy = elementwiseEntry(op).policy;
  const out: DType = policy === "compare" || policy === "logic" ? "bool" : a.dtype;
  return b.elementwise(op, [{ storage: a, view: av }, { storage: c, view: cv }], out);
}

/** `cond ? x : y`. */
export function where(b: Backend, cond: Storage, cv: View, x: Storage, xv: View, y: Storage, yv: View): Storage {
  return b.elementwise(
    "where",
    [{ storage: cond, view: cv }, { storage: x, view: xv }, { storage: y, view: yv }],
    x.dtype,
  );
}
