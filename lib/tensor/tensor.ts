/**
 * The Tensor: a typed, strided view of backend storage plus its autograd node. Storage,
 * reading and autograd plumbing live in tensor_core.ts; operations live in `ops_*.ts`, and the
 * methods here only delegate to them.
 * @module
 */
import type { DTypeName } from "./dtype.ts";
import { IndexMethods } from "./methods_index.ts";
import * as E from "./ops_elementwise.ts";
import * as R from "./ops_reduce.ts";
import * as M from "./ops_movement.ts";
import * as L from "./ops_linalg.ts";
import * as I from "./ops_index.ts";
import { checkIntDivisor, checkIntPow, dimArgs, scaledOperand, shapeArgs } from "./_args.ts";
import type { ELEMENTWISE } from "../ops/table.ts";
import type { GradTensor } from "../ops/entry.ts";

export { type NestedArray, type ReduceOptions, TensorCore, type TensorLike } from "./tensor_core.ts";
import type { ReduceOptions, TensorLike } from "./tensor_core.ts";

/**
 * An n-dimensional array on a device, optionally recording operations for autograd.
 * Create tensors with `tensor`, `zeros`, `randn`, …; read values with `await t.data()`.
 */
export class Tensor extends IndexMethods {
  // ---- elementwise -------------------------------------------------------------------
  /** `this + alpha·other` (broadcasting; `alpha` as torch.add's, default 1). */
  add(other: TensorLike, options?: { alpha?: number }): Tensor {
    return E.add(this, scaledOperand("add", this, other, options));
  }
  /** `this - alpha·other` (broadcasting). */
  sub(other: TensorLike, options?: { alpha?: number }): Tensor {
    return E.sub(this, scaledOperand("sub", this, other, options));
  }
  /** `this * other` (broadcasting). */
  mul(other: TensorLike): Tensor {
    return E.mul(this, other);
  }
  /** `this / other` (true division; ints promote to float32). */
  div(other: TensorLike): Tensor {
    return E.div(this, other);
  }
  /** `this ** exponent`. */
  pow(exponent: TensorLike): Tensor {
    return E.elementwise("pow", [this, checkIntPow(this, exponent)]);
  }
  /** Elementwise maximum. */
  maximum(other: TensorLike): Tensor {
    return E.elementwise("maximum", [this, other]);
  }
  /** Elementwise minimum. */
  minimum(other: TensorLike): Tensor {
    return E.elementwise("minimum", [this, other]);
  }
  /** Python-style remainder (sign of the divisor). */
  remainder(other: TensorLike): Tensor {
    return E.elementwise("mod", [this, checkIntDivisor("remainder", this, other)]);
  }
  /** `this == other` as bool. */
  eq(other: TensorLike): Tensor {
    return E.elementwise("eq", [this, other]);
  }
  /** `this != other` as bool. */
  ne(other: TensorLike): Tensor {
    return E.elementwise("ne", [this, other]);
  }
  /** `this < other` as bool. */
  lt(other: TensorLike): Tensor {
    return E.elementwise("lt", [this, other]);
  }
  /** `this <= other` as bool. */
  le(other: TensorLike): Tensor {
    return E.elementwise("le", [this, other]);
  }
  /** `this > other` as bool. */
  gt(other: TensorLike): Tensor {
    return E.elementwise("gt", [this, other]);
  }
  /** `this >= other` as bool. */
  ge(other: TensorLike): Tensor {
    return E.elementwise("ge", [this, other]);
  }
  /** Logical and of bool tensors. */
  logicalAnd(other: TensorLike): Tensor {
    return E.elementwise("and", [this, other]);
  }
  /** Logical or of bool tensors. */
  logicalOr(other: TensorLike): Tensor {
    return E.elementwise("or", [this, other]);
  }
  /** Logical xor of bool tensors. */
  logicalXor(other: TensorLike): Tensor {
    return E.elementwise("xor", [this, other]);
  }
  /** Logical not. */
  logicalNot(): Tensor {
    return E.elementwise("not", [this]);
  }
  /** `-this`. */
  neg(): Tensor {
    return E.neg(this);
  }
  /** e^x. */
  exp(): Tensor {
    return E.elementwise("exp", [this]);
  }
  /** Natural logarithm. */
  log(): Tensor {
    return E.elementwise("log", [this]);
  }
  /** log(1 + x), accurate near 0. */
  log1p(): Tensor {
    return E.elementwise("log1p", [this]);
  }
  /** e^x − 1, accurate near 0. */
  expm1(): Tensor {
    return E.elementwise("expm1", [this]);
  }
  /** Square root. */
  sqrt(): Tensor {
    return E.elementwise("sqrt", [this]);
  }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor {
    return E.elementwise("rsqrt", [this]);
  }
  /** x². */
  square(): Tensor {
    return E.mul(this, this);
  }
  /** 1 / x. */
  reciprocal(): Tensor {
    return E.elementwise("reciprocal", [this]);
  }
  /** |x|. */
  abs(): Tensor {
    return E.elementwise("abs", [this]);
  }
  /** −1, 0 or 1. */
  sign(): Tensor {
    return E.elementwise("sign", [this]);
  }
  /** Sine. */
  sin(): Tensor {
    return E.elementwise("sin", [this]);
  }
  /** Cosine. */
  cos(): Tensor {
    return E.elementwise("cos", [this]);
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return E.elementwise("tanh", [this]);
  }
  /** 1 / (1 + e^−x). */
  sigmoid(): Tensor {
    return E.elementwise("sigmoid", [this]);
  }
  /** x·sigmoid(x) (SiLU, swish). */
  silu(): Tensor {
    return E.elementwise("silu", [this]);
  }
  /** max(x, 0). */
  relu(): Tensor {
    return E.elementwise("relu", [this]);
  }
  /** x for x > 0, negativeSlope·x otherwise. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    return E.leakyRelu(this, negativeSlope);
  }
  /** Gaussian error linear unit; `approximate: "tanh"` for the tanh form. */
  gelu(options: { approximate?: "none" | "tanh" } = {}): Tensor {
    return E.gelu(this, options);
  }
  /** log(1 + e^(βx))/β, linear above `threshold`. */
  softplus(options: { beta?: number; threshold?: number } = {}): Tensor {
    return E.softplus(this, options);
  }
  /** Error function. */
  erf(): Tensor {
    return E.elementwise("erf", [this]);
  }
  /** Limits values to [min, max] (either may be omitted). */
  clamp(min?: number | null, max?: number | null): Tensor {
    return E.clamp(this, min, max);
  }
  /** Rounds down. */
  floor(): Tensor {
    return E.elementwise("floor", [this]);
  }
  /** Rounds up. */
  ceil(): Tensor {
    return E.elementwise("ceil", [this]);
  }
  /** Rounds half to even. */
  round(): Tensor {
    return E.elementwise("round", [this]);
  }
  /** Whether each element is NaN. */
  isnan(): Tensor {
    return E.elementwise("isnan", [this]);
  }
  /** Whether each element is ±Infinity. */
  isinf(): Tensor {
    return E.elementwise("isinf", [this]);
  }
  /** Converts to `dtype` (a copy, differentiable between float types). */
  cast(dtype: DTypeName): Tensor {
    return E.cast(this, dtype);
  }
  /** Same as `cast`. */
  toDType(dtype: DTypeName): Tensor {
    return E.cast(this, dtype);
  }
  /** Cast to float32. */
  float(): Tensor {
    return E.cast(this, "float32");
  }
  /** Cast to float64 (cpu only). */
  double(): Tensor {
    return E.cast(this, "float64");
  }
  /** Cast to int32. */
  int(): Tensor {
    return E.cast(this, "int32");
  }
  /** Cast to bool. */
  bool(): Tensor {
    return E.cast(this, "bool");
  }

  // ---- reductions --------------------------------------------------------------------
  /** Sum over `dim` (all dims when omitted). */
  sum(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.sum(this, dim, options);
  }
  /** Mean over `dim`. */
  mean(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.mean(this, dim, options);
  }
  /** Product over `dim`. */
  prod(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.prod(this, dim, options);
  }
  /** Maximum over `dim` (all when omitted); ties share the gradient. */
  max(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.amax(this, dim, options);
  }
  /** Minimum over `dim`. */
  min(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.amin(this, dim, options);
  }
  /** Maximum and its index along one dim (torch.max(x, dim)). */
  maxWithIndices(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor } {
    return R.maxWithIndices(this, dim, options);
  }
  /** Minimum and its index along one dim. */
  minWithIndices(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor } {
    return R.minWithIndices(this, dim, options);
  }
  /** Index of the maximum along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number, options?: ReduceOptions): Tensor {
    return R.argReduce("argmax", this, dim, options);
  }
  /** Index of the minimum along `dim`. */
  argmin(dim?: number, options?: ReduceOptions): Tensor {
    return R.argReduce("argmin", this, dim, options);
  }
  /** Variance with Bessel's correction by default (`correction: 1`). */
  var(dim?: number | number[], options?: ReduceOptions & { correction?: number }): Tensor {
    return R.variance(this, dim, options);
  }
  /** Standard deviation. */
  std(dim?: number | number[], options?: ReduceOptions & { correction?: number }): Tensor {
    return R.std(this, dim, options);
  }
  /** log Σ exp(x), computed stably. */
  logsumexp(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.logsumexp(this, dim, options);
  }
  /** p-norm over `dim` (all elements when omitted). */
  norm(p: number = 2, dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.norm(this, p, dim, options);
  }
  /** Whether every element is non-zero (bool tensor). */
  all(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.all(this, dim, options);
  }
  /** Whether any element is non-zero (bool tensor). */
  any(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.any(this, dim, options);
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return R.softmax(this, dim);
  }
  /** log(softmax(x)) along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    return R.logSoftmax(this, dim);
  }

  // ---- movement (views where possible) ----------------------------------------------
  /** Same data with a new shape (one dim may be −1); copies only when it must. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return M.reshape(this, shapeArgs("reshape", shape, true));
  }
  /** Same data with a new shape; never copies (throws when the strides do not allow it). */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return M.view(this, shapeArgs("view", shape, true));
  }
  /** Swaps two dims. */
  transpose(dim0: number, dim1: number): Tensor {
    return M.transpose(this, dim0, dim1);
  }
  /** Transpose of a 2-D tensor. */
  get T(): Tensor {
    return M.transpose(this, 0, 1);
  }
  /** Reorders dims. */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return M.permute(this, dimArgs("permute", dims));
  }
  /** Broadcasts size-1 dims to `shape` (−1 keeps a dim) without copying. */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return M.expand(this, shapeArgs("expand", shape, true));
  }
  /** Broadcasts to `other`'s shape. */
  expandAs(other: Tensor): Tensor {
    return M.expand(this, other.shape);
  }
  /** Removes size-1 dims (all, or the given ones). */
  squeeze(dim?: number | number[]): Tensor {
    return M.squeeze(this, dim);
  }
  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor {
    return M.unsqueeze(this, dim);
  }
  /** Flattens dims `startDim..endDim` into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return M.flatten(this, startDim, endDim);
  }
  /** A row-major copy, or this tensor's storage shared when already contiguous. */
  contiguous(): Tensor {
    return M.contiguous(this);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return M.clone(this);
  }
  /** `length` elements from `start` (negative counts from the end) along `dim`, as a view (torch.narrow). */
  narrow(dim: number, start: number, length: number): Tensor {
    const n = this.shape[R.normalizeDim("narrow", dim, this.ndim)];
    const s = start < 0 ? start + n : start;
    if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
      throw new RangeError(`narrow: start ${start} and length ${length} do not fit dim ${dim} of size ${n}`);
    }
    return M.slice(this, dim, s, s + length, 1); // s: a negative start counts from the end
  }
  /** Python-style slicing: one `[start, end, step]` (or index number, or null for all) per dim. */
  slice(...ranges: M.SliceSpec[]): Tensor {
    return M.sliceMany(this, ranges);
  }
  /** Element `index` along `dim`, removing that dim (a view). */
  select(dim: number, index: number): Tensor {
    return M.select(this, dim, index);
  }
  /** Splits into chunks of `size` along `dim` (views). */
  split(size: number | number[], dim = 0): Tensor[] {
    return M.split(this, size, dim);
  }
  /** Splits into `chunks` nearly equal views along `dim`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return M.chunk(this, chunks, dim);
  }
  /** Repeats the tensor along each dim. */
  repeat(...repeats: number[] | [readonly number[]]): Tensor {
    return M.repeat(this, shapeArgs("repeat", repeats));
  }

  // ---- linear algebra and indexing -------------------------------------------------
  /** Matrix product with torch's 1-D and batch-broadcasting rules. */
  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }
  /** Values at `index` along `dim` (torch.gather). */
  gather(dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  }
  /** Copy with `src` added at `index` along `dim` (torch.scatter_add). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, src);
  }
  /** Rows (or slices along `dim`) picked by a 1-D int32 `index`. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  }
  /** `cond ? this : other`. */
  where(cond: Tensor, other: TensorLike): Tensor {
    return E.where(cond, this, other);
  }
  /** Fills where `mask` is true with `value`. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return E.where(mask, value, this);
  }
}

// The op table names the Tensor method of each public op, and its gradient rules are written
// against GradTensor: both checks fail to compile when Tensor lacks what the table relies on.
type TableMethods = NonNullable<(typeof ELEMENTWISE)[keyof typeof ELEMENTWISE]["method"]>;
const _everyTableMethodExists: TableMethods extends keyof Tensor ? true : never = true;
const _tensorFitsGradRules: Tensor extends GradTensor ? true : never = true;
