/**
 * Triplet losses on (anchor, positive, negative) embeddings (torch.nn.TripletMarginLoss,
 * TripletMarginWithDistanceLoss) and the pairwise distance they use by default.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { minimum } from "../tensor/ops_elementwise.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { boolOption, checkFloat, numberOption } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link pairwiseDistance}. */
export interface PairwiseDistanceOptions {
  /** The norm degree, > 0 (Infinity allowed; default 2). */
  p?: number;
  /** Added to the difference to avoid a zero norm (default 1e-6). */
  eps?: number;
  /** Keep the reduced last dim as size 1 (default false). */
  keepdim?: boolean;
}

function normDegree(op: string, p: unknown): number {
  const v = p === undefined ? 2 : p;
  if (typeof v !== "number" || !(v > 0)) throw new RangeError(`${op}: p must be a number > 0, got ${String(v)}`);
  return v;
}

/**
 * The p-norm distance between rows of `x1` and `x2` along the last dim (torch's F.pairwise_distance):
 * dist(x₁, x₂) = ‖x₁ − x₂ + eps‖_p.
 *
 * Shapes: x1 and x2 broadcastable, (N, D) or (D); output (N) or () (with the last dim kept as 1
 * when `keepdim`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const d = F.pairwiseDistance(tensor([[3, 0]]).float(), tensor([[0, 4]]).float(), { eps: 0 });
 * assert.deepEqual(await d.toArray(), [5]);
 * ```
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  return graphScope(() => pairwiseDistanceUnscoped(x1, x2, options));
}

function pairwiseDistanceUnscoped(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const p = normDegree("pairwiseDistance", options.p);
  const eps = numberOption("pairwiseDistance", "eps", options.eps, 1e-6);
  const diff = x1.sub(x2).add(eps);
  return diff.norm(p, diff.ndim === 0 ? undefined : -1, { keepdim: options.keepdim ?? false });
}

/** Options of {@link tripletMarginLoss}. */
export interface TripletMarginOptions extends ReductionOptions {
  /** The margin between positive and negative distances (default 1). */
  margin?: number;
  /** The norm degree of the pairwise distance, > 0 (default 2). */
  p?: number;
  /** Added inside the norm for stability (default 1e-6). */
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (the distance swap of Balntas et al.; default false). */
  swap?: boolean;
}

function checkTriplet(op: string, anchor: Tensor, positive: Tensor, negative: Tensor): void {
  checkFloat(op, "anchor", anchor);
  checkFloat(op, "positive", positive);
  checkFloat(op, "negative", negative);
  if (anchor.ndim !== positive.ndim || anchor.ndim !== negative.ndim) {
    throw new RangeError(
      `${op}: anchor, positive and negative must have the same number of dims, got [${anchor.shape}], ` +
        `[${positive.shape}] and [${negative.shape}]`,
    );
  }
}

function tripletFromDistances(op: string, dPos: Tensor, dNeg: Tensor, margin: number, o: ReductionOptions): Tensor {
  return reduce(op, dPos.sub(dNeg).add(margin).clamp(0), o.reduction);
}

/**
 * Triplet margin loss: the anchor should be closer to the positive than to the negative by at
 * least `margin`, with distances d(a, b) = ‖a − b + eps‖_p along the last dim.
 *
 * Unreduced: ℓ(a, p, n) = {l₁, …, l_N} with lᵢ = max(d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin, 0); with `swap`
 * d(aᵢ, nᵢ) is replaced by min(d(aᵢ, nᵢ), d(pᵢ, nᵢ)).
 * With `reduction` `"mean"` (default) the mean of the lᵢ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `margin` = 1, `p` = 2 (> 0), `eps` = 1e-6, `swap` = false, `reduction` = `"mean"`.
 * Shapes: anchor, positive, negative (N, D) or (D) (same number of dims, broadcastable); output
 * scalar, or (N) / () with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const a = tensor([[0, 0]]).float(), p = tensor([[0, 1]]).float(), n = tensor([[0, 3]]).float();
 * assert.equal(await F.tripletMarginLoss(a, p, n, { eps: 0 }).item(), 0);
 * ```
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginOptions = {},
): Tensor {
  return graphScope(() => tripletMarginLossUnscoped(anchor, positive, negative, options));
}

function tripletMarginLossUnscoped(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginOptions = {},
): Tensor {
  const op = "tripletMarginLoss";
  const margin = numberOption(op, "margin", options.margin, 1);
  const p = normDegree(op, options.p);
  const eps = numberOption(op, "eps", options.eps, 1e-6, (v) => v >= 0, "a finite number >= 0");
  const swap = boolOption(op, "swap", options.swap, false);
  checkTriplet(op, anchor, positive, negative);
  const dist = { p, eps };
  const dPos = pairwiseDistance(anchor, positive, dist);
  let dNeg = pairwiseDistance(anchor, negative, dist);
  if (swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, dist));
  return tripletFromDistances(op, dPos, dNeg, margin, options);
}

/** A distance between two batches of embeddings: (N, D), (N, D) → (N) (or (D), (D) → ()). */
export type DistanceFunction = (x1: Tensor, x2: Tensor) => Tensor;

/** Options of {@link tripletMarginWithDistanceLoss}. */
export interface TripletMarginWithDistanceOptions extends ReductionOptions {
  /** The distance (default {@link pairwiseDistance} with p = 2, eps = 1e-6). */
  distanceFunction?: DistanceFunction;
  /** The margin, > 0 (default 1). */
  margin?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (default false). */
  swap?: boolean;
}

/**
 * Triplet margin loss with any distance function (e.g. 1 − cosine similarity).
 *
 * Unreduced: ℓ(a, p, n) = {l₁, …, l_N} with lᵢ = max(d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin, 0), where d is
 * `distanceFunction`; with `swap` d(aᵢ, nᵢ) is replaced by min(d(aᵢ, nᵢ), d(pᵢ, nᵢ)).
 * With `reduction` `"mean"` (default) the mean of the lᵢ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `distanceFunction` = pairwise L2 distance, `margin` = 1 (> 0), `swap` = false, `reduction` = `"mean"`.
 * Shapes: anchor, positive, negative (N, *) or (*) with the same number of dims; output scalar, or
 * whatever the distance returns with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const cosine = (x: typeof a, y: typeof a) => F.cosineSimilarity(x, y).neg().add(1);
 * const a = tensor([[1, 0]]).float(), p = tensor([[2, 0]]).float(), n = tensor([[0, 1]]).float();
 * const loss = F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: cosine, margin: 0.5 });
 * assert.equal(await loss.item(), 0);
 * ```
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceOptions = {},
): Tensor {
  return graphScope(() => tripletMarginWithDistanceLossUnscoped(anchor, positive, negative, options));
}

function tripletMarginWithDistanceLossUnscoped(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceOptions = {},
): Tensor {
  const op = "tripletMarginWithDistanceLoss";
  const margin = numberOption(op, "margin", options.margin, 1, (v) => v > 0, "a finite number > 0");
  const swap = boolOption(op, "swap", options.swap, false);
  const distance = options.distanceFunction ?? ((x1: Tensor, x2: Tensor) => pairwiseDistance(x1, x2));
  if (typeof distance !== "function") {
    throw new TypeError(`${op}: distanceFunction must be a function, got ${typeof distance}`);
  }
  checkTriplet(op, anchor, positive, negative);
  const dPos = distance(anchor, positive);
  let dNeg = distance(anchor, negative);
  if (swap) dNeg = minimum(dNeg, distance(positive, negative));
  return tripletFromDistances(op, dPos, dNeg, margin, options);
}

/**
 * {@link tripletMarginLoss} as a module: `new nn.TripletMarginLoss({ margin, p, eps, swap, reduction })`,
 * `forward(anchor, positive, negative)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.TripletMarginLoss({ margin: 2, eps: 0 });
 * assert.equal(await loss.forward(tensor([0]).float(), tensor([1]).float(), tensor([2]).float()).item(), 1);
 * ```
 */
export class TripletMarginLoss extends Loss<TripletMarginOptions> {
  constructor(options: TripletMarginOptions = {}) {
    super(options);
    const op = "TripletMarginLoss";
    numberOption(op, "margin", options.margin, 1);
    normDegree(op, options.p);
    numberOption(op, "eps", options.eps, 1e-6, (v) => v >= 0, "a finite number >= 0");
    boolOption(op, "swap", options.swap, false);
  }
  /** The loss of the triplets. */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, this.options);
  }
}

/**
 * {@link tripletMarginWithDistanceLoss} as a module:
 * `new nn.TripletMarginWithDistanceLoss({ distanceFunction, margin, swap, reduction })`,
 * `forward(anchor, positive, negative)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const l1 = (x: typeof a, y: typeof a) => x.sub(y).abs().sum(-1);
 * const a = tensor([[0, 0]]).float(), p = tensor([[1, 1]]).float(), n = tensor([[1, 0]]).float();
 * const loss = new nn.TripletMarginWithDistanceLoss({ distanceFunction: l1 });
 * assert.equal(await loss.forward(a, p, n).item(), 2);
 * ```
 */
export class TripletMarginWithDistanceLoss extends Loss<TripletMarginWithDistanceOptions> {
  constructor(options: TripletMarginWithDistanceOptions = {}) {
    super(options);
    numberOption("TripletMarginWithDistanceLoss", "margin", options.margin, 1, (v) => v > 0, "a finite number > 0");
    boolOption("TripletMarginWithDistanceLoss", "swap", options.swap, false);
  }
  /** The loss of the triplets. */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginWithDistanceLoss(anchor, positive, negative, this.options);
  }
}
