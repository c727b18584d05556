/**
 * Pointwise regression losses: L1, MSE, Huber and smooth L1 (torch.nn.L1Loss, MSELoss,
 * HuberLoss, SmoothL1Loss), composed from tensor ops so gradients come for free.
 *
 * Unlike PyTorch, which broadcasts `input` and `target` of different shapes with a warning,
 * these throw a RangeError naming both shapes.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { checkFloat, checkSameShape, floatTarget, numberOption } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

function difference(loss: string, input: Tensor, target: Tensor): Tensor {
  checkFloat(loss, "input", input);
  checkSameShape(loss, input, target);
  return input.sub(floatTarget(loss, input, target));
}

/**
 * Mean absolute error between each element of `input` and `target`.
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N}, lₙ = |xₙ − yₙ|.
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `reduction` = `"mean"`.
 * Shapes: input (*), target (*) of the same shape; output scalar, or (*) with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.l1Loss(tensor([1, 2, 3]).float(), tensor([1, 0, 4]).float());
 * assert.equal(await loss.item(), 1);
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return graphScope(() => l1LossUnscoped(input, target, options));
}

function l1LossUnscoped(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce("l1Loss", difference("l1Loss", input, target).abs(), options.reduction);
}

/**
 * Mean squared error (squared L2 norm) between each element of `input` and `target`.
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N}, lₙ = (xₙ − yₙ)².
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `reduction` = `"mean"`.
 * Shapes: input (*), target (*) of the same shape; output scalar, or (*) with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.mseLoss(tensor([1, 2, 3]).float(), tensor([1, 0, 4]).float());
 * assert.ok(Math.abs(await loss.item() - 5 / 3) < 1e-6);
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return graphScope(() => mseLossUnscoped(input, target, options));
}

function mseLossUnscoped(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce("mseLoss", difference("mseLoss", input, target).square(), options.reduction);
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear; must be positive (default 1). */
  delta?: number;
}

/**
 * Huber loss: squared error for small errors, absolute error (scaled by `delta`) for large ones,
 * so outliers pull less than in MSE.
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N} with zₙ = |xₙ − yₙ| and
 * lₙ = 0.5·zₙ² if zₙ < delta, else delta·(zₙ − 0.5·delta).
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `reduction` = `"mean"`, `delta` = 1 (> 0).
 * Shapes: input (*), target (*) of the same shape; output scalar, or (*) with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.huberLoss(tensor([0.5, 3]).float(), tensor([0, 0]).float(), { delta: 1, reduction: "sum" });
 * assert.equal(await loss.item(), 0.125 + 2.5);
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  return graphScope(() => huberLossUnscoped(input, target, options));
}

function huberLossUnscoped(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const delta = numberOption("huberLoss", "delta", options.delta, 1, (v) => v > 0, "a finite number > 0");
  const z = difference("huberLoss", input, target).abs();
  const unreduced = where(z.lt(delta), z.square().mul(0.5), z.sub(0.5 * delta).mul(delta));
  return reduce("huberLoss", unreduced, options.reduction);
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear; must be ≥ 0, 0 gives the L1 loss (default 1). */
  beta?: number;
}

/**
 * Smooth L1 loss: absolute error, with the region |x − y| < beta replaced by a parabola so the
 * gradient is continuous. Equals {@link huberLoss} / beta; `beta = 0` is {@link l1Loss}.
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N} with zₙ = |xₙ − yₙ| and
 * lₙ = 0.5·zₙ²/beta if zₙ < beta, else zₙ − 0.5·beta.
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `reduction` = `"mean"`, `beta` = 1 (≥ 0).
 * Shapes: input (*), target (*) of the same shape; output scalar, or (*) with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.smoothL1Loss(tensor([0.5, 3]).float(), tensor([0, 0]).float(), { beta: 1, reduction: "none" });
 * assert.deepEqual(await loss.toArray(), [0.125, 2.5]);
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  return graphScope(() => smoothL1LossUnscoped(input, target, options));
}

function smoothL1LossUnscoped(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const beta = numberOption("smoothL1Loss", "beta", options.beta, 1, (v) => v >= 0, "a finite number >= 0");
  const z = difference("smoothL1Loss", input, target).abs();
  const unreduced = beta === 0 ? z : where(z.lt(beta), z.square().mul(0.5 / beta), z.sub(0.5 * beta));
  return reduce("smoothL1Loss", unreduced, options.reduction);
}

/**
 * {@link l1Loss} as a module: `new nn.L1Loss({ reduction })`, `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.L1Loss({ reduction: "sum" }).forward(tensor([1, 2]).float(), tensor([0, 0]).float());
 * assert.equal(await loss.item(), 3);
 * ```
 */
export class L1Loss extends Loss {
  /** The loss of `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}

/**
 * {@link mseLoss} as a module: `new nn.MSELoss({ reduction })`, `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.MSELoss().forward(tensor([1, 2]).float(), tensor([0, 0]).float());
 * assert.equal(await loss.item(), 2.5);
 * ```
 */
export class MSELoss extends Loss {
  /** The loss of `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

/**
 * {@link huberLoss} as a module: `new nn.HuberLoss({ reduction, delta })`, `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.HuberLoss({ delta: 2 }).forward(tensor([4]).float(), tensor([0]).float());
 * assert.equal(await loss.item(), 6);
 * ```
 */
export class HuberLoss extends Loss<HuberLossOptions> {
  constructor(options: HuberLossOptions = {}) {
    super(options);
    numberOption("HuberLoss", "delta", options.delta, 1, (v) => v > 0, "a finite number > 0");
  }
  /** The loss of `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, this.options);
  }
}

/**
 * {@link smoothL1Loss} as a module: `new nn.SmoothL1Loss({ reduction, beta })`, `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.SmoothL1Loss({ beta: 2 }).forward(tensor([4]).float(), tensor([0]).float());
 * assert.equal(await loss.item(), 3);
 * ```
 */
export class SmoothL1Loss extends Loss<SmoothL1LossOptions> {
  constructor(options: SmoothL1LossOptions = {}) {
    super(options);
    numberOption("SmoothL1Loss", "beta", options.beta, 1, (v) => v >= 0, "a finite number >= 0");
  }
  /** The loss of `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}
