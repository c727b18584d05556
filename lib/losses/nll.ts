/** Negative log-likelihood of log-probabilities at class indices. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { checkReduction, Loss, type ReductionOptions } from "./_reduction.ts";
import { checkTensor, checkWeight, classRows, safeClasses } from "./_classes.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link nllLoss} and {@link NLLLoss}. */
export interface NllLossOptions extends ReductionOptions {
  /** Rescaling weight per class, shape `[C]` (default: all ones). */
  weight?: Tensor | null;
  /** Target value that is ignored and excluded from the mean (default -100). */
  ignoreIndex?: number;
}

const NAME = "nllLoss";

/**
 * Negative log-likelihood loss (torch.nn.functional.nll_loss) of log-probabilities `input`
 * (class dimension 1, or 0 unbatched) at int32 class indices `target`:
 *
 *   ℓ_n = −w[y_n]·x_{n, y_n},  ℓ_n = 0 where y_n = ignoreIndex
 *
 * `"mean"` divides Σℓ_n by Σ w[y_n] over non-ignored n, `"sum"` sums, `"none"` returns ℓ with the
 * target's shape. A class index outside [0, C) (other than ignoreIndex) is a RangeError.
 *
 * @param input `[N, C]`, `[N, C, d1, …]` or `[C]` log-probabilities.
 * @param target int32 `[N]`, `[N, d1, …]` or `[]`.
 * @param options `weight` (`[C]`), `ignoreIndex` (-100), `reduction` ("mean").
 * @returns A scalar, or the target's shape with `reduction: "none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const logp = tensor([[-0.5, -1.5], [-2, -0.25]]);
 * const loss = F.nllLoss(logp, tensor([0, 1], { dtype: "int32" }));
 * assert.equal(await loss.item(), 0.375);
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  return graphScope(() => nllLossUnscoped(input, target, options));
}

function nllLossUnscoped(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  checkTensor(NAME, "input", input, "float");
  checkTensor(NAME, "target", target, "int32");
  const reduction = checkReduction(NAME, options.reduction);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) {
    throw new RangeError(`${NAME}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  const { rows, targetShape } = classRows(NAME, input, target);
  const [m, c] = rows.shape;
  const weight = options.weight ?? null;
  checkWeight(NAME, weight, c, input);
  const flat = target.reshape([target.size]);
  const safe = safeClasses(NAME, flat, c, ignoreIndex);
  const keep = flat.ne(ignoreIndex).cast(input.dtype);
  const wy = weight ? weight.indexSelect(0, safe).mul(keep) : keep;
  const loss = rows.gather(1, safe.reshape([m, 1])).reshape([m]).neg().mul(wy);
  switch (reduction) {
    case "mean":
      return loss.sum().div(wy.sum());
    case "sum":
      return loss.sum();
    case "none":
      return loss.reshape(targetShape);
  }
}

/**
 * Negative log-likelihood as a module (torch.nn.NLLLoss); see {@link nllLoss}.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.NLLLoss({ reduction: "sum" });
 * const v = loss.forward(tensor([[-1, -2]], { dtype: "float32" }), tensor([1], { dtype: "int32" }));
 * assert.equal(await v.item(), 2);
 * ```
 */
export class NLLLoss extends Loss<NllLossOptions> {
  /** Loss of log-probabilities `input` at class indices `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}
