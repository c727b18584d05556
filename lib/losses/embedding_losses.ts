/**
 * Losses on pairs of embeddings or scores: cosine embedding and margin ranking
 * (torch.nn.CosineEmbeddingLoss, MarginRankingLoss).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { checkFloat, numberOption } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link cosineEmbeddingLoss} and {@link marginRankingLoss}. */
export interface MarginOptions extends ReductionOptions {
  /** The margin (default 0); any finite number. */
  margin?: number;
}

/** torch's EPSILON added to the squared magnitudes in cosine_embedding_loss. */
const EPSILON = 1e-12;

/**
 * Whether two inputs are similar (target 1) or dissimilar (target −1), measured by their
 * cosine similarity; used for learning embeddings.
 *
 * Unreduced: ℓ(x₁, x₂, y) = {l₁, …, l_N} with cosₙ = x₁ₙ·x₂ₙ / √((‖x₁ₙ‖² + ε)(‖x₂ₙ‖² + ε)), ε = 1e-12, and
 * lₙ = 1 − cosₙ if yₙ = 1, max(0, cosₙ − margin) if yₙ = −1 (0 for other target values, as in torch).
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `margin` = 0 (−1 to 1 is meaningful, 0 to 0.5 suggested), `reduction` = `"mean"`.
 * Shapes: input1 and input2 (N, D) or (D); target (N) or () of ±1; output scalar, or (N) / () with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const a = tensor([[1, 0], [1, 0]]).float(), b = tensor([[1, 0], [0, 1]]).float();
 * const loss = F.cosineEmbeddingLoss(a, b, tensor([1, -1]).float(), { reduction: "sum" });
 * assert.ok(Math.abs(await loss.item()) < 1e-6);
 * ```
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  return graphScope(() => cosineEmbeddingLossUnscoped(input1, input2, target, options));
}

function cosineEmbeddingLossUnscoped(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  const op = "cosineEmbeddingLoss";
  const margin = numberOption(op, "margin", options.margin, 0);
  checkFloat(op, "input1", input1);
  checkFloat(op, "input2", input2);
  const batched = target.ndim === 1;
  if (target.ndim > 1) {
    throw new RangeError(`${op}: target must be 1-D (N) or 0-D, got [${target.shape}] (multi-target not supported)`);
  }
  const want = batched ? 2 : 1;
  const sameInputs = input1.ndim === want && input2.ndim === want &&
    input1.shape.every((d, i) => d === input2.shape[i]);
  if (!sameInputs || (batched && target.shape[0] !== input1.shape[0])) {
    throw new RangeError(
      `${op}: a ${target.ndim}-D target [${target.shape}] expects two ${want}-D inputs of the same shape ` +
        `${batched ? `[${target.shape[0]}, D]` : "[D]"}, got [${input1.shape}] and [${input2.shape}]`,
    );
  }
  const dim = target.ndim;
  const dot = input1.mul(input2).sum(dim);
  const mag1 = input1.square().sum(dim).add(EPSILON), mag2 = input2.square().sum(dim).add(EPSILON);
  const cos = dot.div(mag1.mul(mag2).sqrt());
  const pos = where(target.eq(1), cos.neg().add(1), 0);
  const neg = where(target.eq(-1), cos.sub(margin).clamp(0), 0);
  return reduce(op, pos.add(neg), options.reduction);
}

/**
 * Ranking loss: target 1 means input1 should rank higher than input2, −1 the opposite.
 *
 * Unreduced: ℓ(x₁, x₂, y) = {l₁, …, l_N} with lₙ = max(0, −yₙ·(x₁ₙ − x₂ₙ) + margin).
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `margin` = 0, `reduction` = `"mean"`.
 * Shapes: input1, input2 and target with the same number of dims, broadcastable (usually all (N));
 * output scalar, or the broadcast shape with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.marginRankingLoss(tensor([2, 0]).float(), tensor([1, 1]).float(), tensor([1, 1]).float(), { reduction: "none" });
 * assert.deepEqual(await loss.toArray(), [0, 1]);
 * ```
 */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  return graphScope(() => marginRankingLossUnscoped(input1, input2, target, options));
}

function marginRankingLossUnscoped(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  const op = "marginRankingLoss";
  const margin = numberOption(op, "margin", options.margin, 0);
  checkFloat(op, "input1", input1);
  checkFloat(op, "input2", input2);
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new RangeError(
      `${op}: input1, input2 and target must have the same number of dims, got [${input1.shape}], ` +
        `[${input2.shape}] and [${target.shape}]`,
    );
  }
  const unreduced = target.neg().mul(input1.sub(input2)).add(margin).clamp(0);
  return reduce(op, unreduced, options.reduction);
}

/**
 * {@link cosineEmbeddingLoss} as a module: `new nn.CosineEmbeddingLoss({ margin, reduction })`,
 * `forward(input1, input2, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.CosineEmbeddingLoss({ margin: 0.5 });
 * assert.ok(Math.abs(await loss.forward(tensor([1, 0]).float(), tensor([1, 0]).float(), tensor(-1).float()).item() - 0.5) < 1e-6);
 * ```
 */
export class CosineEmbeddingLoss extends Loss<MarginOptions> {
  constructor(options: MarginOptions = {}) {
    super(options);
    numberOption("CosineEmbeddingLoss", "margin", options.margin, 0);
  }
  /** The loss of the pair (`input1`, `input2`) labelled `target` (±1). */
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, this.options);
  }
}

/**
 * {@link marginRankingLoss} as a module: `new nn.MarginRankingLoss({ margin, reduction })`,
 * `forward(input1, input2, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.MarginRankingLoss({ margin: 1 });
 * assert.equal(await loss.forward(tensor([3]).float(), tensor([1]).float(), tensor([1]).float()).item(), 0);
 * ```
 */
export class MarginRankingLoss extends Loss<MarginOptions> {
  constructor(options: MarginOptions = {}) {
    super(options);
    numberOption("MarginRankingLoss", "margin", options.margin, 0);
  }
  /** The loss of ranking `input1` against `input2` as `target` (±1) says. */
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(input1, input2, target, this.options);
  }
}
