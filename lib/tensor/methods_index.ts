/**
 * PyTorch-style indexing (at/setAt) and in-place forms. Methods of {@link Tensor} defined on one layer of its class chain
 * (TensorCore → MathMethods → ScanMethods → ShapeMethods → IndexMethods → Tensor), so each family of
 * ops keeps its methods beside its concept; the operations themselves live in `ops_*.ts`
 * (ops_at.ts for indexing, ops_inplace.ts for the in-place forms and their autograd).
 * @module
 */
import { ShapeMethods } from "./methods_shape.ts";
import type { Tensor } from "./tensor.ts";
import type { TensorLike } from "./tensor_core.ts";
import * as A from "./ops_at.ts";
import * as P from "./ops_inplace.ts";
import { cast } from "./ops_elementwise.ts";

export type { Index, SetAtOptions } from "./ops_at.ts";

/** `alpha` positionally or in an options object (`x.add_(y, 2)` or `x.add_(y, { alpha: 2 })`). */
function alphaOf(alpha: number | { alpha?: number } | undefined): number {
  return typeof alpha === "object" ? alpha.alpha ?? 1 : alpha ?? 1;
}

/** Tensor methods: PyTorch-style indexing (at/setAt) and in-place forms. */
export class IndexMethods extends ShapeMethods {
  get #self(): Tensor {
    return this as unknown as Tensor;
  }

  // ---- indexing ------------------------------------------------------------------------------

  /**
   * `x[i, j, …]` as PyTorch indexes: integers (negative from the end), `slice(start, stop, step)`,
   * `null` (new axis), `"..."` and int tensors (advanced indexing: a gather, broadcast together).
   * Basic indices give a view sharing this storage. Differentiable. Bool masks: {@link atAsync}.
   *
   * @example
   * ```ts
   * import { slice, tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const x = tensor([[1, 2, 3], [4, 5, 6]]);
   * assert.deepEqual(await x.at(1).toArray(), [4, 5, 6]);
   * assert.deepEqual(await x.at("...", slice(1, null)).toArray(), [[2, 3], [5, 6]]);
   * assert.deepEqual(await x.at(tensor([0, 1]), tensor([2, 0])).toArray(), [3, 4]);
   * ```
   */
  at(...indices: A.Index[]): Tensor {
    return A.at(this.#self, indices);
  }

  /**
   * {@link at} that also takes bool mask indices (`x[mask]`): the mask's positions are read back
   * first, so the result's shape is known.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const x = tensor([1, -2, 3]);
   * assert.deepEqual(await (await x.atAsync(x.gt(0))).toArray(), [1, 3]);
   * ```
   */
  atAsync(...indices: A.Index[]): Promise<Tensor> {
    return A.atAsync(this.#self, indices);
  }

  /**
   * `x[indices] = value` in place (torch's `index_put_`; `{ accumulate: true }` for `+=` with
   * repeated positions adding up). The value (number or tensor) broadcasts to the indexed shape.
   * A lone bool mask works when the value broadcasts to every selected element. Returns this.
   *
   * @example
   * ```ts
   * import { slice, tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const x = tensor([[1, 2], [3, 4]]);
   * x.setAt([slice(null), 0], 0);
   * assert.deepEqual(await x.toArray(), [[0, 2], [0, 4]]);
   * x.setAt([x.gt(3)], -1);
   * assert.deepEqual(await x.toArray(), [[0, 2], [0, -1]]);
   * ```
   */
  setAt(indices: readonly A.Index[], value: Tensor | number, options?: A.SetAtOptions): this {
    A.setAt(this.#self, indices, value, options);
    return this;
  }

  /** {@link setAt} that also takes any bool mask indices (their positions are read back first). */
  async setAtAsync(indices: readonly A.Index[], value: Tensor | number, options?: A.SetAtOptions): Promise<this> {
    await A.setAtAsync(this.#self, indices, value, options);
    return this;
  }

  /** torch's `index_put_`: {@link setAt} with `accumulate` positionally. Returns this. */
  indexPut_(indices: readonly A.Index[], value: Tensor | number, accumulate = false): this {
    return this.setAt(indices, value, { accumulate });
  }

  /** torch's `index_put`: a copy of this tensor with {@link setAt} applied (differentiable in both). */
  indexPut(indices: readonly A.Index[], value: Tensor | number, accumulate = false): Tensor {
    return A.setAt(this.#self.clone(), indices, value, { accumulate });
  }

  // ---- in-place forms --------------------------------------------------------------------------
  // Each writes into this tensor's storage (seen by its views), bumps its version and returns
  // this; see ops_inplace.ts for autograd and PyTorch's errors.

  /** `x += alpha · other` in place (torch's `add_`). */
  add_(other: TensorLike, alpha?: number | { alpha?: number }): this {
    P.add_(this.#self, other, alphaOf(alpha));
    return this;
  }
  /** `x -= alpha · other` in place (torch's `sub_`). */
  sub_(other: TensorLike, alpha?: number | { alpha?: number }): this {
    P.sub_(this.#self, other, alphaOf(alpha));
    return this;
  }
  /** `x *= other` in place (torch's `mul_`). */
  mul_(other: TensorLike): this {
    P.mul_(this.#self, other);
    return this;
  }
  /** `x /= other` in place (torch's `div_`; an int tensor cannot hold the float quotient). */
  div_(other: TensorLike): this {
    P.div_(this.#self, other);
    return this;
  }
  /** Limits to [min, max] in place (torch's `clamp_`); `x.clamp_(0)` or `x.clamp_({ max: 1 })`. */
  clamp_(min?: number | null | { min?: number | null; max?: number | null }, max?: number | null): this {
    if (typeof min === "object" && min !== null) P.clamp_(this.#self, min.min, min.max);
    else P.clamp_(this.#self, min, max);
    return this;
  }
  /** `-x` in place (torch's `neg_`). */
  neg_(): this {
    P.unary_("neg_", "neg", this.#self);
    return this;
  }
  /** e^x in place (torch's `exp_`). */
  exp_(): this {
    P.unary_("exp_", "exp", this.#self);
    return this;
  }
  /** Natural log in place (torch's `log_`). */
  log_(): this {
    P.unary_("log_", "log", this.#self);
    return this;
  }
  /** Square root in place (torch's `sqrt_`). */
  sqrt_(): this {
    P.unary_("sqrt_", "sqrt", this.#self);
    return this;
  }
  /** |x| in place (torch's `abs_`). */
  abs_(): this {
    P.unary_("abs_", "abs", this.#self);
    return this;
  }
  /** max(x, 0) in place (torch's `relu_`, `nn.ReLU(inplace=True)`). */
  relu_(): this {
    P.unary_("relu_", "relu", this.#self);
    return this;
  }
  /** Sigmoid in place (torch's `sigmoid_`). */
  sigmoid_(): this {
    P.unary_("sigmoid_", "sigmoid", this.#self);
    return this;
  }
  /** tanh in place (torch's `tanh_`). */
  tanh_(): this {
    P.unary_("tanh_", "tanh", this.#self);
    return this;
  }
  /** Sets every element to `value` (a number or a 0-d tensor) (torch's `fill_`). */
  fill_(value: number | boolean | Tensor): this {
    P.fill_(this.#self, value);
    return this;
  }
  /** Sets every element to 0 (torch's `zero_`). */
  zero_(): this {
    P.zero_(this.#self);
    return this;
  }
  /** Copies `src` (broadcast, cast to this dtype) into this tensor (torch's `copy_`); `src` receives the gradient. */
  copy_(src: Tensor): this {
    P.copy_(this.#self, src);
    return this;
  }
  /** Sets the elements where the bool `mask` is true to `value` (torch's `masked_fill_`). */
  maskedFill_(mask: Tensor, value: number | Tensor): this {
    P.maskedFill_(this.#self, mask, value);
    return this;
  }
  /** Fills with samples of N(mean, std²) (torch's `normal_`); `x.normal_(0, 0.02)` or `x.normal_({ std: 0.02 })`. */
  normal_(mean?: number | { mean?: number; std?: number }, std?: number): this {
    if (typeof mean === "object") P.normal_(this.#self, mean.mean ?? 0, mean.std ?? 1);
    else P.normal_(this.#self, mean ?? 0, std ?? 1);
    return this;
  }
  /** Fills with samples uniform in [from, to) (torch's `uniform_`); `x.uniform_(-1, 1)` or `x.uniform_({ from: -1, to: 1 })`. */
  uniform_(from?: number | { from?: number; to?: number }, to?: number): this {
    if (typeof from === "object") P.uniform_(this.#self, from.from ?? 0, from.to ?? 1);
    else P.uniform_(this.#self, from ?? 0, to ?? 1);
    return this;
  }

  // ---- integer dtypes --------------------------------------------------------------------------

  /** Cast to int64 (torch's `long()`): stored as int32 (see lib/tensor/dtype.ts), so the dtype reads "int32". */
  long(): Tensor {
    return cast(this.#self, "int32");
  }
}
