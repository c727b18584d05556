/**
 * Margin-style classification losses: soft margin, multi-label soft margin, multi-class margin,
 * multi-label margin and hinge embedding. Composed from tensor ops, so autograd gives the gradients.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { arange } from "../tensor/ops_creation.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { oneHot } from "../tensor/ops_index.ts";
import { checkReduction, Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { checkTensor, checkWeight, safeClasses } from "./_classes.ts";
import { faultUnless } from "../tensor/primitives.ts";
import { checkBinary } from "./bce.ts";
import { floatTarget } from "./_regression_checks.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of the margin losses that take a `margin`. */
export interface MarginOptions extends ReductionOptions {
  /** The margin (default 1). */
  margin?: number;
}

/** Options of {@link multiMarginLoss}. */
export interface MultiMarginOptions extends MarginOptions {
  /** 1 or 2 (default 1). */
  p?: 1 | 2;
  /** Weight per class `[C]`. */
  weight?: Tensor | null;
}

/** Options of {@link multilabelSoftMarginLoss}. */
export interface MultilabelSoftMarginOptions extends ReductionOptions {
  /** Weight per class `[C]`. */
  weight?: Tensor | null;
}

function margin(loss: string, m: unknown): number {
  const v = m ?? 1;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`${loss}: margin must be a finite number, got ${v}`);
  }
  return v;
}

/** `[C]` or `[N, C]` as `[N, C]`, naming the loss on other ranks. */
function batched(loss: string, x: Tensor): Tensor {
  if (x.ndim === 1) return x.reshape([1, x.shape[0]]);
  if (x.ndim !== 2) throw new RangeError(`${loss}: input must be [N, C] or [C], got [${x.shape}]`);
  return x;
}

/**
 * Two-class logistic loss (torch.nn.functional.soft_margin_loss) with targets ±1:
 * ℓ_n = log(1 + exp(−y_n·x_n)); `"mean"` averages over every element.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const v = F.softMarginLoss(tensor([0], { dtype: "float32" }), tensor([1], { dtype: "float32" }));
 * assert.ok(Math.abs(await v.item() - Math.LN2) < 1e-6);
 * ```
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return graphScope(() => softMarginLossUnscoped(input, target, options));
}

function softMarginLossUnscoped(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const loss = "softMarginLoss";
  target = floatTarget(loss, input, target);
  checkBinary(loss, input, target);
  checkReduction(loss, options.reduction);
  return reduce(loss, input.mul(target).neg().softplus(), options.reduction);
}

/**
 * Multi-label one-versus-all logistic loss (torch.nn.functional.multilabel_soft_margin_loss),
 * input and 0/1 target `[N, C]`:
 * ℓ_n = −(1/C)·Σ_c w_c·(y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c)); reduced over N.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const v = F.multilabelSoftMarginLoss(tensor([[0, 0]], { dtype: "float32" }), tensor([[1, 0]], { dtype: "float32" }));
 * assert.ok(Math.abs(await v.item() - Math.LN2) < 1e-6);
 * ```
 */
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultilabelSoftMarginOptions = {},
): Tensor {
  return graphScope(() => multilabelSoftMarginLossUnscoped(input, target, options));
}

function multilabelSoftMarginLossUnscoped(
  input: Tensor,
  target: Tensor,
  options: MultilabelSoftMarginOptions = {},
): Tensor {
  const loss = "multilabelSoftMarginLoss";
  target = floatTarget(loss, input, target);
  checkBinary(loss, input, target);
  checkReduction(loss, options.reduction);
  const c = input.shape[input.ndim - 1];
  checkWeight(loss, options.weight, c, input);
  // −(y·logσ(x) + (1−y)·logσ(−x)) = y·softplus(−x) + (1−y)·softplus(x)
  let l = target.mul(input.neg().softplus()).add(target.neg().add(1).mul(input.softplus()));
  if (options.weight) l = l.mul(options.weight);
  return reduce(loss, l.sum(-1).div(c), options.reduction);
}

/**
 * Multi-class hinge loss (torch.nn.functional.multi_margin_loss), input `[N, C]` (or `[C]`) and
 * int32 class indices `[N]` (or `[]`):
 * ℓ_n = (1/C)·Σ_{i≠y_n} w[y_n]·max(0, margin − x[y_n] + x[i])^p; reduced over N.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const v = F.multiMarginLoss(tensor([[0.1, 0.2, 0.4, 0.8]]), tensor([3], { dtype: "int32" }));
 * assert.ok(Math.abs(await v.item() - 0.325) < 1e-6);
 * ```
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginOptions = {}): Tensor {
  return graphScope(() => multiMarginLossUnscoped(input, target, options));
}

function multiMarginLossUnscoped(input: Tensor, target: Tensor, options: MultiMarginOptions = {}): Tensor {
  const loss = "multiMarginLoss";
  checkTensor(loss, "input", input, "float");
  checkTensor(loss, "target", target, "int32");
  checkReduction(loss, options.reduction);
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${loss}: p must be 1 or 2, got ${p}`);
  const m = margin(loss, options.margin);
  const x = batched(loss, input);
  const [n, c] = x.shape;
  if (target.size !== n || target.ndim !== input.ndim - 1) {
    throw new RangeError(
      `${loss}: target of shape [${target.shape}] must be [${input.ndim === 1 ? "" : n}] for input [${input.shape}]`,
    );
  }
  checkWeight(loss, options.weight, c, input);
  const t = safeClasses(loss, target.reshape([n]), c, null);
  const xy = x.gather(1, t.reshape([n, 1]));
  const z = x.sub(xy).add(m).relu();
  let h = (p === 2 ? z.square() : z).mul(oneHot(t, c).cast(x.dtype).neg().add(1));
  if (options.weight) h = h.mul(options.weight.indexSelect(0, t).reshape([n, 1]));
  const l = h.sum(1).div(c);
  return reduce(loss, input.ndim === 1 ? l.reshape([]) : l, options.reduction);
}

/**
 * Multi-label hinge loss (torch.nn.functional.multilabel_margin_loss): int32 target `[N, C]`
 * lists each sample's classes, ended by the first −1. With J the listed classes:
 * ℓ_n = Σ_{j∈J} Σ_{i∉J} max(0, 1 − (x[j] − x[i])) / C; reduced over N.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]]);
 * const v = F.multilabelMarginLoss(x, tensor([[3, 0, -1, 1]], { dtype: "int32" }));
 * assert.ok(Math.abs(await v.item() - 0.85) < 1e-6);
 * ```
 */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return graphScope(() => multilabelMarginLossUnscoped(input, target, options));
}

function multilabelMarginLossUnscoped(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const loss = "multilabelMarginLoss";
  checkTensor(loss, "input", input, "float");
  checkTensor(loss, "target", target, "int32");
  checkReduction(loss, options.reduction);
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new RangeError(`${loss}: target of shape [${target.shape}] must match the input's shape [${input.shape}]`);
  }
  const x = batched(loss, input);
  const [n, c] = x.shape;
  const t = target.reshape([n, c]);
  // listed[n, j]: j comes before the first −1 (no negative entry at or before j).
  const negatives = t.lt(0).cast(x.dtype);
  const k = arange(0, c, 1, { dtype: "int32", device: x.device });
  const upper = k.reshape([c, 1]).le(k.reshape([1, c])).cast(x.dtype);
  const listed = negatives.matmul(upper).eq(0);
  const safe = where(listed, t, 0);
  faultUnless(loss, safe, c);
  const hot = oneHot(safe, c).cast(x.dtype).mul(listed.cast(x.dtype).reshape([n, c, 1])); // [n, j, i]
  const isTarget = hot.sum(1).gt(0).cast(x.dtype); // [n, i]
  const xj = x.gather(1, safe).reshape([n, c, 1]);
  const z = x.reshape([n, 1, c]).sub(xj).add(1).relu();
  const pairs = z.mul(listed.cast(x.dtype).reshape([n, c, 1])).mul(isTarget.neg().add(1).reshape([n, 1, c]));
  const l = pairs.sum([1, 2]).div(c);
  return reduce(loss, input.ndim === 1 ? l.reshape([]) : l, options.reduction);
}

/**
 * Hinge embedding loss (torch.nn.functional.hinge_embedding_loss) with targets ±1:
 * ℓ_n = x_n where y_n = 1, max(0, margin − x_n) where y_n = −1; reduced over every element.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const v = F.hingeEmbeddingLoss(tensor([0.3, 0.4]), tensor([1, -1], { dtype: "float32" }), { reduction: "sum" });
 * assert.ok(Math.abs(await v.item() - 0.9) < 1e-6);
 * ```
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  return graphScope(() => hingeEmbeddingLossUnscoped(input, target, options));
}

function hingeEmbeddingLossUnscoped(input: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const loss = "hingeEmbeddingLoss";
  target = floatTarget(loss, input, target);
  checkBinary(loss, input, target);
  checkReduction(loss, options.reduction);
  const m = margin(loss, options.margin);
  const marginPart = where(target.ne(1), input.neg().add(m).relu(), 0);
  const selfPart = where(target.ne(-1), input, 0);
  return reduce(loss, marginPart.add(selfPart), options.reduction);
}

/** Soft margin loss as a module (torch.nn.SoftMarginLoss); see {@link softMarginLoss}. */
export class SoftMarginLoss extends Loss {
  /** Loss of `input` against ±1 `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, this.options);
  }
}

/** Multi-label soft margin loss as a module (torch.nn.MultiLabelSoftMarginLoss); see {@link multilabelSoftMarginLoss}. */
export class MultiLabelSoftMarginLoss extends Loss<MultilabelSoftMarginOptions> {
  /** Loss of `input` against 0/1 `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelSoftMarginLoss(input, target, this.options);
  }
}

/** Multi-class margin loss as a module (torch.nn.MultiMarginLoss); see {@link multiMarginLoss}. */
export class MultiMarginLoss extends Loss<MultiMarginOptions> {
  /** Loss of `input` against class indices `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, this.options);
  }
}

/** Multi-label margin loss as a module (torch.nn.MultiLabelMarginLoss); see {@link multilabelMarginLoss}. */
export class MultiLabelMarginLoss extends Loss {
  /** Loss of `input` against −1-terminated class lists `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelMarginLoss(input, target, this.options);
  }
}

/** Hinge embedding loss as a module (torch.nn.HingeEmbeddingLoss); see {@link hingeEmbeddingLoss}. */
export class HingeEmbeddingLoss extends Loss<MarginOptions> {
  /** Loss of distances `input` against ±1 `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, this.options);
  }
}
