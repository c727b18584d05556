/** Kullback–Leibler divergence loss (torch.nn.KLDivLoss / F.kl_div). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { checkReduction, Loss, reduce, type Reduction } from "./_reduction.ts";
import { boolOption, checkFloat } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

/** Reductions of {@link klDiv}: the usual three plus `"batchmean"` (sum / batch size). */
export type KLDivReduction = Reduction | "batchmean";

/** Options of {@link klDiv}. */
export interface KLDivOptions {
  /** `"mean"` (default, over every element), `"batchmean"` (the mathematical KL: sum / N), `"sum"`, `"none"`. */
  reduction?: KLDivReduction;
  /** Whether `target` holds log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * The Kullback–Leibler divergence of `input` (log-probabilities of the model) from `target`
 * (probabilities, or log-probabilities with `logTarget`): KL(target ‖ exp(input)).
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N} with lₙ = yₙ·(log yₙ − xₙ) (0 where yₙ = 0, as torch's xlogy),
 * or with `logTarget` lₙ = exp(yₙ)·(yₙ − xₙ).
 * With `reduction` `"mean"` (default) the mean over all elements (torch warns this is not the KL);
 * `"batchmean"` the sum divided by the batch size `input.shape[0]` (the sum for a 0-d input), which
 * is the true KL divergence; `"sum"` the sum; `"none"` all lₙ.
 *
 * Args: `reduction` = `"mean"`, `logTarget` = false.
 * Shapes: input (*), target broadcastable with input (usually the same shape); output scalar, or
 * the broadcast shape with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const q = tensor([[0.5, 0.5]]).float().log(), p = tensor([[0.5, 0.5]]).float();
 * assert.equal(await F.klDiv(q, p, { reduction: "batchmean" }).item(), 0);
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  return graphScope(() => klDivUnscoped(input, target, options));
}

function klDivUnscoped(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const reduction = options.reduction === "batchmean" ? "batchmean" : checkReduction("klDiv", options.reduction);
  const logTarget = boolOption("klDiv", "logTarget", options.logTarget, false);
  checkFloat("klDiv", "input", input);
  checkFloat("klDiv", "target", target);
  let unreduced: Tensor;
  if (logTarget) {
    unreduced = target.exp().mul(target.sub(input));
  } else {
    const xlogy = target.mul(where(target.eq(0), 1, target).log());
    unreduced = xlogy.sub(target.mul(input));
  }
  if (reduction !== "batchmean") return reduce("klDiv", unreduced, reduction);
  const total = unreduced.sum();
  return input.ndim === 0 ? total : total.div(input.shape[0]);
}

/**
 * {@link klDiv} as a module: `new nn.KLDivLoss({ reduction, logTarget })`, `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const kl = new nn.KLDivLoss({ reduction: "batchmean", logTarget: true });
 * const x = tensor([[0.25, 0.75]]).float().log();
 * assert.equal(await kl.forward(x, x).item(), 0);
 * ```
 */
export class KLDivLoss extends Loss<KLDivOptions> {
  static override readonly extraReductions: readonly string[] = ["batchmean"];
  constructor(options: KLDivOptions = {}) {
    super(options);
    boolOption("KLDivLoss", "logTarget", options.logTarget, false);
  }
  /** The divergence of `input` (log-probabilities) from `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, this.options);
  }
}
