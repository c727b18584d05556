/**
 * The operands the generated op-table tests draw for a case, as plain values: shared by the tests and
 * by the script that asks PyTorch for golden values (tests/fixtures/make_tensor_op_values.ts), so both
 * see the same numbers.
 * @module
 */
import type { OpCase } from "../../lib/ops/tensor_ops.ts";
import { randomArray } from "../_helpers.ts";

/** The seed of the operands behind the PyTorch fixtures. */
export const TORCH_SEED = 7;

/** One operand of a case: its shape, dtype and row-major values. */
export interface OperandValues {
  readonly shape: readonly number[];
  readonly dtype: "float32" | "int32";
  readonly values: readonly number[];
}

/** The fixture key of case `index` of op `name`. */
export function caseKey(name: string, index: number): string {
  return `${name}#${index}`;
}

/** The case's operands: floats from its domain (exact in float32), index operands as int32 below their bound. */
export function operandValues(c: OpCase, seed: number): OperandValues[] {
  return c.shapes.map((shape, k) => {
    const n = shape.reduce((a, s) => a * s, 1);
    const bound = c.indices?.[k];
    if (bound !== undefined) {
      return { shape, dtype: "int32", values: randomArray(n, 0, bound, seed + k, { int: true }) };
    }
    const [lo, hi] = c.domain ?? [-2, 2];
    return { shape, dtype: "float32", values: randomArray(n, lo, hi, seed + k, { float32: true }) };
  });
}
