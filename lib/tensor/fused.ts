/**
 * Fused elementwise programs at the tensor level: several outputs from one kernel, with
 * scalar hyperparameters passed as uniforms. Optimizers and fused losses use it; it does
 * not record gradients.
 * @module
 */
import type { Expr } from "../ops/expr.ts";
import { Tensor } from "./tensor.ts";
import { isFloat } from "./dtype.ts";

export { fx } from "../ops/fx.ts";
/** A fused program's node: an expression over the op table (see `lib/ops/expr.ts`). */
export type FusedExpr = Expr;

/**
 * Runs `outputs` over `inputs` (same shape and float dtype, or one-element tensors that
 * broadcast) in one kernel; returns one new tensor of the common shape per output.
 */
export function fusedElementwise(
  outputs: readonly FusedExpr[],
  inputs: readonly Tensor[],
  params: readonly number[] = [],
): Tensor[] {
  const full = inputs.find((t) => t.size !== 1) ?? inputs[0];
  if (!full) throw new RangeError("fusedElementwise: needs at least one input tensor");
  const dtype = full.dtype;
  if (!isFloat(dtype)) throw new TypeError(`fusedElementwise: inputs must be float, got ${dtype}`);
  for (const p of params) {
    if (typeof p !== "number") throw new TypeError(`fusedElementwise: params must be numbers, got ${typeof p}`);
  }
  const owned: Tensor[] = [];
  const storages = inputs.map((t, k) => {
    if (t.device !== full.device || t.dtype !== dtype || (t.size !== full.size && t.size !== 1)) {
      throw new RangeError(
        `fusedElementwise: input ${k} is ${t.dtype} [${t.shape}] on ${t.device}; ` +
          `expected ${dtype} [${full.shape}] (or one element) on ${full.device}`,
      );
    }
    const dense = t.isContiguous && t.offset === 0 && t.storage("fused").size === t.size ? t : t.clone();
    if (dense !== t) owned.push(dense);
    return dense.storage("fused");
  });
  const results = full.backend.fused(outputs, storages, full.size, params, dtype);
  for (const t of owned) t.dispose();
  return results.map((s) => Tensor.fromStorage(s, full.shape, dtype, full.device));
}
