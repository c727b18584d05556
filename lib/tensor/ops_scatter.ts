/**
 * Scatter and take: scatter, scatterReduce, indexAdd, indexCopy, indexFill, maskedScatter, take,
 * takeAlongDim. Every write goes through the backend's scatterAdd or scatterReduce primitive (which
 * combines values meeting at one position by replace, prod, amax or amin); sum, mean and
 * `includeSelf: false` are built on them here, and the gradients are PyTorch's
 * (`scatter_reduce_backward`: ties of amax/amin share evenly, prod is exact with zeros).
 * @module
 */
import type { ScatterReduceOp } from "../backend/backend.ts";
import { isFloat } from "./dtype.ts";
import { noGrad, record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { normalizeDim } from "./ops_reduce.ts";
import { expand, reshape, sliceMany } from "./ops_movement.ts";
import { add, broadcastShapes, cast, compare, div, elementwise, mul, unaryRaw, where } from "./ops_elementwise.ts";
import { full, ones, zeros } from "./ops_creation.ts";
import { gather, scatterAdd } from "./ops_index.ts";
import { cumsum } from "./ops_scan.ts";

/** The reductions of {@link scatterReduce} (PyTorch's `reduce` names). */
export type ScatterReduction = "sum" | "prod" | "mean" | "amax" | "amin";

/** Options of {@link scatterReduce}. */
export interface ScatterReduceOptions {
  /** Whether `x`'s own values take part in the reduction at scattered positions. @default {true} */
  includeSelf?: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const REDUCTIONS: readonly ScatterReduction[] = ["sum", "prod", "mean", "amax", "amin"];

function checkIndex(op: string, index: Tensor, x: Tensor): void {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be an int32 tensor`);
  if (index.dtype !== "int32") {
    throw new TypeError(`${op}: index must be int32, got ${index.dtype}; convert it with .int()`);
  }
  if (index.device !== x.device) {
    throw new TypeError(`${op}: index is on ${index.device} but the input is on ${x.device}`);
  }
}

/** The checks of torch.scatter: ranks agree, the index fits `src` and fits `x` off `dim`. Returns the dim. */
function checkScatter(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor): number {
  checkIndex(op, index, x);
  const d = normalizeDim(op, dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new RangeError(
      `${op}: input [${x.shape}], index [${index.shape}] and src [${src.shape}] must have the same number of dims`,
    );
  }
  for (let i = 0; i < x.ndim; i++) {
    if (index.shape[i] > src.shape[i] || (i !== d && index.shape[i] > x.shape[i])) {
      throw new RangeError(
        `${op}: index shape [${index.shape}] must fit in src [${src.shape}] and in input [${x.shape}] outside dim ${d}`,
      );
    }
  }
  if (src.dtype !== x.dtype) {
    throw new TypeError(`${op}: src is ${src.dtype} but input is ${x.dtype}; cast one of them`);
  }
  if (src.device !== x.device) throw new TypeError(`${op}: src is on ${src.device} but the input is on ${x.device}`);
  return d;
}

/** The backend primitive, unrecorded: a copy of `x` with `src` (read over `index`'s shape) folded in by `reduce`. */
function scatterRaw(op: string, x: Tensor, d: number, index: Tensor, src: Tensor, reduce: ScatterReduceOp): Tensor {
  const backend = x.backend;
  if (!backend.scatterReduce) {
    throw new TypeError(`${op}: the ${x.device} backend has no scatterReduce primitive; move the tensors to cpu`);
  }
  const base = x.isDense ? x : unaryRaw("copy", x);
  const s = backend.scatterReduce({
    base: base.storage(op),
    shape: x.shape,
    dim: d,
    index: { storage: index.storage(op), view: index.layout },
    src: { storage: src.storage(op), view: { shape: index.shape, strides: src.strides, offset: src.offset } },
    reduce,
    opName: op,
  });
  if (base !== x) base.dispose();
  return Tensor.fromStorage(s, x.shape, x.dtype, x.device);
}

/** The leading `index.shape` block of `src` (a differentiable view), the part a scatter reads. */
function readPart(src: Tensor, index: Tensor): Tensor {
  return sliceMany(src, index.shape.map((n) => [0, n] as [number, number]));
}

/** A constant tensor of `index`'s shape in `x`'s dtype (a broadcast view of one element). */
function filled(x: Tensor, index: Tensor, value: number): Tensor {
  return expand(full([], value, { dtype: x.dtype, device: x.device }), index.shape);
}

/**
 * A copy of `x` with `src` written at `index` along `dim` (torch.scatter):
 * `out[i][index[i][j]] = src[i][j]` for dim 1, and likewise for any rank. `src` may be a number.
 * Where several sources aim at one position PyTorch leaves the winner unspecified (here the last
 * in row-major order wins on cpu; webgpu races). `reduce: "add" | "multiply"` is PyTorch's older
 * form of {@link scatterReduce} with "sum" / "prod". Gradients: `x` gets `g` with the written
 * positions zeroed, `src` gets `g` gathered at `index`.
 */
export function scatter(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor | number,
  options: { reduce?: "add" | "multiply" } = {},
): Tensor {
  const source = typeof src === "number" ? undefined : src;
  if (source !== undefined && !(source instanceof Tensor)) {
    throw new TypeError("scatter: src must be a tensor or a number");
  }
  checkIndex("scatter", index, x);
  const s = source ?? filled(x, index, src as number);
  if (options.reduce !== undefined) {
    if (options.reduce !== "add" && options.reduce !== "multiply") {
      throw new RangeError(`scatter: reduce must be "add" or "multiply", got "${options.reduce}"`);
    }
    return scatterReduce(x, dim, index, s, options.reduce === "add" ? "sum" : "prod");
  }
  const d = checkScatter("scatter", x, dim, index, s);
  const part = readPart(s, index);
  const out = scatterRaw("scatter", x, d, index, part, "replace");
  return record("scatter", [x, part], out, (g) => [
    x.requiresGrad ? scatter(g, d, index, 0) : null,
    part.requiresGrad ? gather(g, d, index) : null,
  ]);
}

/** The value that leaves a reduction unchanged, in `x`'s dtype. */
function identityOf(reduce: ScatterReduction, x: Tensor): number {
  const float = isFloat(x.dtype);
  switch (reduce) {
    case "prod":
      return 1;
    case "amax":
      return float ? -Infinity : x.dtype === "bool" ? 0 : INT32_MIN;
    case "amin":
      return float ? Infinity : x.dtype === "bool" ? 1 : INT32_MAX;
    default:
      return 0;
  }
}

/** How many values meet at each position: 1 for `x` itself when included, plus the sources aimed there. */
function counts(like: Tensor, d: number, index: Tensor, includeSelf: boolean): Tensor {
  const start = includeSelf ? ones(like.shape, { dtype: like.dtype, device: like.device }) : zeros(like.shape, {
    dtype: like.dtype,
    device: like.device,
  });
  return scatterAdd(start, d, index, filled(like, index, 1));
}

function scatterReduceForward(
  x: Tensor,
  d: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  includeSelf: boolean,
): Tensor {
  return noGrad(() => {
    const base = includeSelf
      ? x
      : scatterRaw("scatterReduce", x, d, index, filled(x, index, identityOf(reduce, x)), "replace");
    if (reduce !== "sum" && reduce !== "mean") return scatterRaw("scatterReduce", base, d, index, src, reduce);
    const total = scatterAdd(base, d, index, src);
    if (reduce === "sum") return total;
    const n = counts(x, d, index, includeSelf);
    const safe = where(compare("eq", n, 0), 1, n);
    if (isFloat(x.dtype)) return div(total, safe);
    // integer means round down, as PyTorch's (div with rounding_mode "floor")
    return cast(elementwise("floor", [div(total, safe)]), x.dtype);
  });
}

/**
 * A copy of `x` where the values of `src` aimed at one position (by `index` along `dim`, as in
 * {@link scatter}) are reduced together with `x`'s value there (or without it when
 * `includeSelf: false`): "sum", "prod", "mean" (int means round down), "amax" or "amin"
 * (torch.scatter_reduce). Positions no source aims at keep `x`'s value. Gradients follow PyTorch:
 * exact for sum and mean, prod exact with zeros (double backward assumes at most one zero per
 * position), amax/amin split evenly between the values equal to the result.
 *
 * @example
 * ```ts
 * import { tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const out = tensor([0, 0, 0]).scatterReduce(0, tensor([0, 0, 2]), tensor([5, 7, 1]), "amax", { includeSelf: false });
 * assert.deepEqual(await out.toArray(), [7, 0, 1]);
 * ```
 */
export function scatterReduce(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  options: ScatterReduceOptions = {},
): Tensor {
  if (!REDUCTIONS.includes(reduce)) {
    throw new RangeError(`scatterReduce: reduce must be one of ${REDUCTIONS.join(", ")}; got "${reduce}"`);
  }
  const d = checkScatter("scatterReduce", x, dim, index, src);
  const includeSelf = options.includeSelf ?? true;
  const part = readPart(src, index);
  const out = scatterReduceForward(x, d, index, part, reduce, includeSelf);
  return record(`scatterReduce(${reduce})`, [x, part], out, (g) => {
    const [gx, gs] = scatterReduceBackward(g, x, d, index, part, reduce, includeSelf, out);
    return [x.requiresGrad ? gx : null, part.requiresGrad ? gs : null];
  });
}

/** PyTorch's scatter_reduce_backward (torch/csrc/autograd/FunctionsManual.cpp), in tensor ops. */
function scatterReduceBackward(
  g: Tensor,
  x: Tensor,
  d: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  includeSelf: boolean,
  out: Tensor,
): [Tensor, Tensor] {
  let gx: Tensor, gs: Tensor;
  if (reduce === "sum") {
    gx = g;
    gs = gather(g, d, index);
  } else if (reduce === "mean") {
    const n = counts(g, d, index, includeSelf);
    const safe = where(compare("eq", n, 0), 1, n);
    gx = div(g, safe);
    gs = div(gather(g, d, index), gather(safe, d, index));
  } else if (reduce === "prod") {
    const maskedSelf = where(compare("eq", x, 0), 1, x);
    const maskedSelfResult = scatterReduce(maskedSelf, d, index, src, "prod", { includeSelf });
    gx = div(mul(g, maskedSelfResult), maskedSelf);
    const srcZero = compare("eq", src, 0);
    const zerosThere = gather(
      scatterAdd(zeros(x.shape, { dtype: x.dtype, device: x.device }), d, index, cast(srcZero, x.dtype)),
      d,
      index,
    );
    const singleZero = elementwise("and", [srcZero, compare("eq", zerosThere, 1)]);
    const maskedSrcResult = scatterReduce(x, d, index, where(singleZero, 1, src), "prod", { includeSelf });
    gs = where(
      singleZero,
      gather(mul(g, maskedSrcResult), d, index),
      div(gather(mul(g, out), d, index), where(srcZero, 1, src)),
    );
  } else {
    const value = gather(out, d, index);
    const selfIsResult = cast(compare("eq", x, out), x.dtype);
    const srcIsResult = cast(compare("eq", src, value), x.dtype);
    const shared = div(g, scatterAdd(selfIsResult, d, index, srcIsResult));
    gx = mul(selfIsResult, shared);
    gs = mul(srcIsResult, gather(shared, d, index));
  }
  if (!includeSelf) gx = scatter(gx, d, index, 0);
  return [gx, gs];
}

/** `index` (1-D) laid along `dim` of a tensor of `shape`, broadcast over the other dims. */
function alongDim(index: Tensor, d: number, shape: readonly number[]): Tensor {
  const lined = shape.map((_, i) => (i === d ? index.shape[0] : 1));
  return expand(reshape(index, lined), shape.map((s, i) => (i === d ? index.shape[0] : s)));
}

/** The checks of index_add / index_copy: a 1-D index, and `source` of `x`'s shape with `dim` of the index's length. */
function checkIndexed(op: string, x: Tensor, dim: number, index: Tensor, source: Tensor): number {
  checkIndex(op, index, x);
  if (index.ndim !== 1) throw new RangeError(`${op}: index must be 1-D, got shape [${index.shape}]`);
  const d = normalizeDim(op, dim, x.ndim);
  const want = x.shape.map((s, i) => (i === d ? index.shape[0] : s));
  if (source.ndim !== x.ndim || source.shape.some((s, i) => s !== want[i])) {
    throw new RangeError(
      `${op}: source must have shape [${want}] (the input's, with dim ${d} the index's length), got [${source.shape}]`,
    );
  }
  return d;
}

/**
 * `x` with `alpha · source` added at the slices `index` names along `dim` (torch.index_add):
 * `out[.., index[j], ..] += alpha · source[.., j, ..]`; repeated indices accumulate.
 */
export function indexAdd(
  x: Tensor,
  dim: number,
  index: Tensor,
  source: Tensor,
  options: { alpha?: number } = {},
): Tensor {
  const d = checkIndexed("indexAdd", x, dim, index, source);
  const alpha = options.alpha ?? 1;
  return scatterAdd(x, d, alongDim(index, d, source.shape), alpha === 1 ? source : mul(source, alpha));
}

/**
 * `x` with the slices `index` names along `dim` replaced by those of `source` (torch.index_copy):
 * `out[.., index[j], ..] = source[.., j, ..]`. With repeated indices the winner is unspecified.
 */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const d = checkIndexed("indexCopy", x, dim, index, source);
  return scatter(x, d, alongDim(index, d, source.shape), source);
}

/**
 * `x` with the slices `index` names along `dim` set to `value`, a number or a 0-d tensor
 * (torch.index_fill); a tensor value receives the gradient of every filled element.
 */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: number | Tensor): Tensor {
  checkIndex("indexFill", index, x);
  if (index.ndim > 1) throw new RangeError(`indexFill: index must be 1-D, got shape [${index.shape}]`);
  if (typeof value !== "number" && value.ndim !== 0) {
    throw new RangeError(`indexFill: value must be a number or a 0-d tensor, got shape [${value.shape}]`);
  }
  const d = normalizeDim("indexFill", dim, x.ndim);
  const flat = reshape(index, [index.size]);
  const marks = zeros(x.shape, { dtype: "int32", device: x.device });
  const at = alongDim(flat, d, x.ndim === 0 ? [1] : x.shape);
  const hit = scatterRaw(
    "indexFill",
    x.ndim === 0 ? reshape(marks, [1]) : marks,
    d,
    at,
    filled(marks, at, 1),
    "replace",
  );
  return where(cast(reshape(hit, x.shape), "bool"), value, x);
}

/**
 * `x` with the positions where `mask` is true filled, in row-major order, by consecutive elements
 * of `source` (torch.masked_scatter); `mask` (bool, or int32 read as `≠ 0`) broadcasts with `x`. `source` needs at least as
 * many elements as the mask has true values (too few is a range error of the gather it reads with).
 */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  if (!(mask instanceof Tensor) || (mask.dtype !== "bool" && mask.dtype !== "int32")) {
    throw new TypeError(
      `maskedScatter: mask must be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`,
    );
  }
  if (mask.dtype !== "bool") mask = compare("ne", mask, 0);
  if (source.dtype !== x.dtype) throw new TypeError(`maskedScatter: source is ${source.dtype} but input is ${x.dtype}`);
  const shape = broadcastShapes("maskedScatter", x.shape, mask.shape);
  const m = expand(mask, shape);
  const n = shape.reduce((a, s) => a * s, 1);
  if (n === 0 || source.size === 0) return where(m, zeros([], { dtype: x.dtype, device: x.device }), x);
  // the k-th true position reads source[k]: k is the count of trues up to it, less one
  const position = add(cumsum(reshape(m, [n]), 0), -1);
  const picked = gather(reshape(source, [source.size]), 0, elementwise("maximum", [position, 0]));
  return where(m, reshape(picked, shape), x);
}

/** Negative indices count from the end of a dim of `n` (as torch.take and Python do). */
function wrapNegative(index: Tensor, n: number): Tensor {
  return where(compare("lt", index, 0), add(index, n), index);
}

/**
 * Elements of `x` read as 1-D at `index` (any shape; negatives count from the end), in `index`'s
 * shape (torch.take). The gradient scatters back, repeated indices accumulating.
 */
export function take(x: Tensor, index: Tensor): Tensor {
  checkIndex("take", index, x);
  const flat = reshape(x, [x.size]);
  const picked = gather(flat, 0, reshape(wrapNegative(index, x.size), [index.size]));
  return reshape(picked, index.shape);
}

/**
 * Values of `x` at `indices` along `dim` (torch.take_along_dim): gather after broadcasting `x`
 * and `indices` against each other in every dim but `dim`. Without `dim`, both are read as 1-D.
 */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number | null): Tensor {
  checkIndex("takeAlongDim", indices, x);
  if (dim === undefined || dim === null) {
    return gather(reshape(x, [x.size]), 0, reshape(indices, [indices.size]));
  }
  const d = normalizeDim("takeAlongDim", dim, x.ndim);
  if (indices.ndim !== x.ndim) {
    throw new RangeError(
      `takeAlongDim: input [${x.shape}] and indices [${indices.shape}] must have the same number of dims`,
    );
  }
  const shape = broadcastShapes("takeAlongDim", x.shape.map((s, i) => (i === d ? indices.shape[d] : s)), indices.shape);
  return gather(expand(x, shape.map((s, i) => (i === d ? x.shape[d] : s))), d, expand(indices, shape));
}
