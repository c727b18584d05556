/**
 * Negative log-likelihood losses of probabilistic regression: Poisson counts and Gaussian
 * targets with predicted variances (torch.nn.PoissonNLLLoss, GaussianNLLLoss).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { noGrad, record } from "../tensor/tape.ts";
import { assertNone } from "../tensor/primitives.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { boolOption, checkFloat, floatTarget, numberOption } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link poissonNllLoss}. */
export interface PoissonNLLOptions extends ReductionOptions {
  /** Whether `input` is the log of the rate (default true); otherwise the rate itself. */
  logInput?: boolean;
  /** Add the Stirling approximation of log(target!) (default false). */
  full?: boolean;
  /** Added to the rate before the log when `logInput` is false (default 1e-8). */
  eps?: number;
}

/**
 * Negative log likelihood of `target` under a Poisson distribution with rate exp(`input`)
 * (or `input` with `logInput: false`), dropping the constant log(target!) unless `full`.
 *
 * Unreduced: ℓ(x, y) = {l₁, …, l_N} with lₙ = exp(xₙ) − yₙ·xₙ (`logInput`), or
 * lₙ = xₙ − yₙ·log(xₙ + eps); with `full` the Stirling term yₙ·log yₙ − yₙ + ½·log(2π·yₙ) is added
 * where yₙ > 1 (log(y!) ≈ 0 for y ≤ 1).
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `logInput` = true, `full` = false, `eps` = 1e-8 (≥ 0), `reduction` = `"mean"`.
 * Shapes: input (*), target broadcastable with input (usually the same shape); output scalar, or
 * the broadcast shape with `"none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.poissonNllLoss(tensor([0]).float(), tensor([3]).float());
 * assert.equal(await loss.item(), 1); // exp(0) − 3·0
 * ```
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNLLOptions = {}): Tensor {
  return graphScope(() => poissonNllLossUnscoped(input, target, options));
}

function poissonNllLossUnscoped(input: Tensor, target: Tensor, options: PoissonNLLOptions = {}): Tensor {
  const op = "poissonNllLoss";
  const logInput = boolOption(op, "logInput", options.logInput, true);
  const full = boolOption(op, "full", options.full, false);
  const eps = numberOption(op, "eps", options.eps, 1e-8, (v) => v >= 0, "a finite number >= 0");
  checkFloat(op, "input", input);
  target = floatTarget(op, input, target);
  let loss = logInput ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(eps).log()));
  if (full) {
    const big = target.gt(1);
    const t = where(big, target, 2); // any value > 1 keeps the masked branch finite (and its gradient 0)
    const stirling = t.mul(t.log()).sub(t).add(t.mul(2 * Math.PI).log().mul(0.5));
    loss = loss.add(where(big, stirling, 0));
  }
  return reduce(op, loss, options.reduction);
}

/** Options of {@link gaussianNllLoss}. */
export interface GaussianNLLOptions extends ReductionOptions {
  /** Add the constant ½·log(2π) (default false). */
  full?: boolean;
  /** Variances below `eps` are clamped to it, for stability (default 1e-6, > 0). */
  eps?: number;
}

/** `v` clamped below at `eps` with the gradient passed through unmasked (torch clamps under no_grad). */
function clampKeepingGrad(v: Tensor, eps: number): Tensor {
  const out = noGrad(() => v.clamp(eps));
  return record("gaussianNllLoss.clampVar", [v], out, (g) => [g]);
}

/** `var` made broadcastable with `input` by torch's rules, or a RangeError naming both shapes. */
function varForInput(op: string, input: Tensor, variance: Tensor): Tensor {
  const a = input.shape, v = variance.shape;
  const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((d, i) => d === y[i]);
  if (same(a, v)) return variance;
  if (a.length > 0 && same(a.slice(0, -1), v)) return variance.unsqueeze(-1);
  if (a.length > 0 && v.length > 0 && same(a.slice(0, -1), v.slice(0, -1)) && v[v.length - 1] === 1) return variance;
  throw new RangeError(
    `${op}: var [${v}] does not fit input [${a}]; expected the input's shape, the input's shape without its ` +
      `last dim${a.length > 0 ? ` [${a.slice(0, -1)}]` : ""}, or that with a last dim of 1`,
  );
}

/**
 * Negative log likelihood of `target` under Gaussians with mean `input` and variance `var`
 * (heteroscedastic regression).
 *
 * Unreduced: ℓ(x, y, σ²) = {l₁, …, l_N} with lₙ = ½·(log max(σ²ₙ, eps) + (xₙ − yₙ)² / max(σ²ₙ, eps)),
 * plus ½·log(2π) when `full`. The clamp is not differentiated (as in torch): the gradient w.r.t. var
 * is the formula's derivative at the clamped value, also where var < eps.
 * With `reduction` `"mean"` (default) the mean of the lₙ, `"sum"` their sum, `"none"` all of them.
 *
 * Args: `full` = false, `eps` = 1e-6 (> 0), `reduction` = `"mean"`.
 * Shapes: input (N, *) or (*); target broadcastable with input (usually the same shape); var the
 * shape of input, or input's shape with the last dim 1 (one variance shared by the last dim), or
 * input's shape without the last dim (same meaning); output scalar, or input's shape with `"none"`.
 *
 * Errors: a var with a negative entry is a RangeError, thrown at once on cpu and at the next
 * readback (e.g. `item()`) on webgpu, where checking at once would need a readback per call.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.gaussianNllLoss(tensor([1, 2]).float(), tensor([1, 4]).float(), tensor([1, 2]).float(), { reduction: "sum" });
 * assert.ok(Math.abs(await loss.item() - (0.5 * Math.log(2) + 1)) < 1e-6);
 * ```
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: GaussianNLLOptions = {},
): Tensor {
  return graphScope(() => gaussianNllLossUnscoped(input, target, variance, options));
}

function gaussianNllLossUnscoped(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: GaussianNLLOptions = {},
): Tensor {
  const op = "gaussianNllLoss";
  const full = boolOption(op, "full", options.full, false);
  const eps = numberOption(op, "eps", options.eps, 1e-6, (v) => v > 0, "a finite number > 0");
  checkFloat(op, "input", input);
  target = floatTarget(op, input, target);
  checkFloat(op, "var", variance);
  const v = varForInput(op, input, variance);
  const shape = `[${variance.shape}]`;
  const negative = variance.lt(0);
  assertNone(negative, (i) => `${op}: var ${shape} has a negative entry (element ${i}); variances must be >= 0`);
  negative.dispose();
  const clamped = clampKeepingGrad(v, eps);
  let loss = clamped.log().add(input.sub(target).square().div(clamped)).mul(0.5);
  if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(op, loss, options.reduction);
}

/**
 * {@link poissonNllLoss} as a module: `new nn.PoissonNLLLoss({ logInput, full, eps, reduction })`,
 * `forward(input, target)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.PoissonNLLLoss({ logInput: false });
 * assert.ok(Math.abs(await loss.forward(tensor([1]).float(), tensor([0]).float()).item() - 1) < 1e-6);
 * ```
 */
export class PoissonNLLLoss extends Loss<PoissonNLLOptions> {
  constructor(options: PoissonNLLOptions = {}) {
    super(options);
    const op = "PoissonNLLLoss";
    boolOption(op, "logInput", options.logInput, true);
    boolOption(op, "full", options.full, false);
    numberOption(op, "eps", options.eps, 1e-8, (v) => v >= 0, "a finite number >= 0");
  }
  /** The loss of `input` (log-rate, or rate) against the counts `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return poissonNllLoss(input, target, this.options);
  }
}

/**
 * {@link gaussianNllLoss} as a module: `new nn.GaussianNLLLoss({ full, eps, reduction })`,
 * `forward(input, target, var)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.GaussianNLLLoss();
 * assert.equal(await loss.forward(tensor([0]).float(), tensor([0]).float(), tensor([1]).float()).item(), 0);
 * ```
 */
export class GaussianNLLLoss extends Loss<GaussianNLLOptions> {
  constructor(options: GaussianNLLOptions = {}) {
    super(options);
    boolOption("GaussianNLLLoss", "full", options.full, false);
    numberOption("GaussianNLLLoss", "eps", options.eps, 1e-6, (v) => v > 0, "a finite number > 0");
  }
  /** The loss of the means `input` and variances `variance` against `target`. */
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return gaussianNllLoss(input, target, variance, this.options);
  }
}
