/** Reductions over any dims (with keepdim) and the softmax family. @module */
import type { ReduceOp } from "../backend/backend.ts";
import { record, withGradMode } from "./tape.ts";
import { REDUCE_PRIMITIVES } from "../ops/tensor_ops.ts";
import { isFloat } from "./dtype.ts";
import { type ReduceOptions, Tensor } from "./tensor.ts";
import { add, cast, compare, div, exp, log, mul, sqrt, sub, unaryRaw, where } from "./ops_elementwise.ts";
import { expand, reshape, transpose } from "./ops_movement.ts";
import { pad } from "./ops_combine.ts";
import { gather } from "./ops_index.ts";
import { arange, zeros } from "./ops_creation.ts";
import { fusedSoftmax } from "./primitives.ts";

/** Normalizes `dim` (number, array or undefined for all) to sorted, unique, non-negative axes. */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined, ndim: number): number[] {
  if (dim === undefined) return [...Array(ndim).keys()];
  const list = typeof dim === "number" ? [dim] : [...dim];
  const out = new Set<number>();
  for (const d of list) {
    const nd = normalizeDim(op, d, ndim);
    if (out.has(nd)) throw new RangeError(`${op}: dim ${d} appears more than once in [${list}]`);
    out.add(nd);
  }
  return [...out].sort((a, b) => a - b);
}

/** One dim in `[-ndim, ndim)` made non-negative, or a RangeError naming `op`. */
export function normalizeDim(op: string, d: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(d) || d < -n || d >= n) {
    throw new RangeError(`${op}: dim ${d} is out of range for a tensor with ${ndim} dims (expected ${-n}..${n - 1})`);
  }
  return d < 0 ? d + n : d;
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Runs a reduce kernel without recording; the result has the reduced dims kept as 1. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  const dtype = REDUCE_PRIMITIVES[op].widensToInt && !isFloat(x.dtype) ? "int32" : x.dtype;
  const src = x.dtype === dtype ? x : cast(x, dtype);
  if (axes.length === 0 || x.ndim === 0) return unaryRaw("copy", src);
  const s = src.backend.reduce(op, src.storage(op), src.layout, axes);
  return Tensor.fromStorage(s, keptShape(x.shape, axes), dtype, x.device);
}

function finish(kept: Tensor, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  return keepdim ? kept : reshape(kept, finalShape(x.shape, axes, false));
}

/** {@link finish} for a `kept` that nothing else uses: the view holds the storage, so it goes (no GC needed). */
function finishReleasing(kept: Tensor, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  const out = finish(kept, x, axes, keepdim);
  if (out !== kept) kept.dispose();
  return out;
}

/** Brings a gradient of the reduced shape back to a broadcastable keepdim shape. */
function unreduce(g: Tensor, x: Tensor, axes: number[]): Tensor {
  return reshape(g, keptShape(x.shape, axes));
}

/** Sum over dims. */
export function sum(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("sum", dim, x.ndim);
  const keepdim = options.keepdim ?? false;
  const out = finishReleasing(reduceRaw("sum", x, axes), x, axes, keepdim);
  return record("sum", [x], out, (g) => [expand(unreduce(g, x, axes), x.shape)]);
}

/** Mean over dims (integer inputs give float32). */
export function mean(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const xf = isFloat(x.dtype) ? x : cast(x, "float32");
  const axes = normalizeDims("mean", dim, x.ndim);
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  return div(sum(xf, axes, options), n);
}

/**
 * Product over dims (torch.prod; 1 over zero elements). The gradient of each element is the
 * product of the others, as torch's: out/x where the slice has no zero; where it has exactly one,
 * the product of the non-zero elements at the zero and 0 elsewhere; 0 where it has several.
 */
export function prod(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("prod", dim, x.ndim);
  const kept = reduceRaw("prod", x, axes);
  const out = finish(kept, x, axes, options.keepdim ?? false);
  return record("prod", [x], out, (g) => {
    const isZero = compare("eq", x, 0);
    const zeros = sum(cast(isZero, "int32"), axes, { keepdim: true });
    // safe: no 0 in the divisor or the product, so the unchosen branches stay finite (no NaN gradients)
    const safe = where(isZero, 1, x);
    const others = prod(safe, axes, { keepdim: true });
    const noZero = div(others, safe);
    const atTheZero = where(isZero, expand(others, x.shape), 0);
    const local = where(compare("eq", zeros, 0), noZero, where(compare("eq", zeros, 1), atTheZero, 0));
    return [mul(expand(unreduce(g, x, axes), x.shape), local)];
  });
}

function extreme(op: "max" | "min", x: Tensor, dim: number | number[] | undefined, options: ReduceOptions): Tensor {
  const axes = normalizeDims(op, dim, x.ndim);
  // torch refuses only where a reduced dim is empty ([0, 3] over dim 1 gives an empty [0])
  if (x.size === 0 && (x.ndim === 0 || axes.some((a) => x.shape[a] === 0))) {
    throw new RangeError(
      `${op}: cannot reduce over an empty dim of shape [${x.shape}]; the ${op === "max" ? "maximum" : "minimum"} ` +
        `of zero elements is undefined (torch raises too)`,
    );
  }
  if (x.size === 0) {
    return reshape(
      zeros(keptShape(x.shape, axes), { dtype: x.dtype, device: x.device }),
      finalShape(x.shape, axes, options.keepdim ?? false),
    );
  }
  const kept = reduceRaw(op, x, axes);
  const out = finish(kept, x, axes, options.keepdim ?? false);
  return record(op, [x], out, (g) => {
    // ties share the gradient equally (torch.amax semantics)
    const mask = cast(compare("eq", x, kept), g.dtype);
    const count = sum(mask, axes, { keepdim: true });
    return [mul(div(mask, count), unreduce(g, x, axes))];
  });
}

/** Maximum over dims. */
export function amax(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  return extreme("max", x, dim, options);
}

/** Minimum over dims. */
export function amin(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  return extreme("min", x, dim, options);
}

function withIndices(
  op: "max" | "min",
  x: Tensor,
  dim: number,
  options: ReduceOptions,
): { values: Tensor; indices: Tensor } {
  const d = normalizeDim(op, dim, x.ndim);
  const keepdim = options.keepdim ?? false;
  const idxKept = argRaw(op === "max" ? "argmax" : "argmin", x, d);
  const valKept = reduceRaw(op, x, [d]);
  const values = record(op, [x], finish(valKept, x, [d], keepdim), (g) => {
    // the gradient goes to the chosen index: a mask compare, not a scatter (float atomics are slow)
    const positions = reshape(arange(0, x.shape[d], 1, { device: x.device }), x.shape.map((n, i) => (i === d ? n : 1)));
    return [where(compare("eq", positions, idxKept), unreduce(g, x, [d]), 0)];
  });
  return { values, indices: finish(idxKept, x, [d], keepdim) };
}

/** Maximum along `dim` and the index of its first occurrence; the gradient goes to that index. */
export function maxWithIndices(x: Tensor, dim: number, options: ReduceOptions = {}) {
  return withIndices("max", x, dim, options);
}

/** Minimum along `dim` and its index. */
export function minWithIndices(x: Tensor, dim: number, options: ReduceOptions = {}) {
  return withIndices("min", x, dim, options);
}

function argRaw(op: "argmax" | "argmin", x: Tensor, axis: number): Tensor {
  if (x.shape[axis] === 0) throw new RangeError(`${op}: cannot reduce an empty dimension (shape [${x.shape}])`);
  const limit = x.backend.argReduceLength;
  if (limit !== undefined && x.shape[axis] > limit) return withGradMode(false, () => chunkedArg(op, x, axis, limit));
  const s = x.backend.argReduce(op, x.storage(op), x.layout, axis);
  return Tensor.fromStorage(s, keptShape(x.shape, [axis]), "int32", x.device);
}

/**
 * argmax/argmin over an axis longer than the backend's one-pass limit: the winner of each
 * chunk (padded with a value that never wins over a real element), then the winning chunk.
 * The first maximum (or first NaN) of the winning chunk is the first overall, as in one pass.
 */
function chunkedArg(op: "argmax" | "argmin", x: Tensor, axis: number, chunk: number): Tensor {
  const last = x.ndim - 1;
  const xt = transpose(x, axis, last);
  const len = xt.shape[last], chunks = Math.ceil(len / chunk);
  const lead = xt.shape.slice(0, last);
  const max = op === "argmax";
  const never = x.dtype === "int32"
    ? (max ? -2147483648 : 2147483647)
    : x.dtype === "bool"
    ? (max ? 0 : 1)
    : max
    ? -Infinity
    : Infinity;
  const padded = chunks * chunk > len ? pad(xt, [0, chunks * chunk - len], never) : xt;
  const blocks = reshape(padded, [...lead, chunks, chunk]);
  const local = argRaw(op, blocks, last + 1);
  const winners = reshape(gather(blocks, last + 1, local), [...lead, chunks]);
  const best = argRaw(op, winners, last);
  const offset = gather(reshape(local, [...lead, chunks]), last, best);
  return transpose(add(mul(best, chunk), offset), axis, last);
}

/** argmax/argmin along `dim`, or over the flattened tensor when `dim` is undefined. */
export function argReduce(
  op: "argmax" | "argmin",
  x: Tensor,
  dim: number | undefined,
  options: ReduceOptions = {},
): Tensor {
  if (dim === undefined) {
    const flat = reshape(x, [x.size]);
    const r = argRaw(op, flat, 0);
    return options.keepdim ? reshape(r, x.shape.map(() => 1)) : reshape(r, []);
  }
  const d = normalizeDim(op, dim, x.ndim);
  return finishReleasing(
    argRaw(op, x.ndim === 0 ? reshape(x, [1]) : x, x.ndim === 0 ? 0 : d),
    x,
    x.ndim === 0 ? [] : [d],
    options.keepdim ?? false,
  );
}

/** Variance with `correction` (default 1, Bessel). */
export function variance(
  x: Tensor,
  dim?: number | number[],
  options: ReduceOptions & { correction?: number } = {},
): Tensor {
  const axes = normalizeDims("var", dim, x.ndim);
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  const centered = sub(x, mean(x, axes, { keepdim: true }));
  return div(
    sum(mul(centered, centered), axes, { keepdim: options.keepdim }),
    Math.max(n - (options.correction ?? 1), 0),
  );
}

/** Standard deviation with `correction` (default 1). */
export function std(x: Tensor, dim?: number | number[], options: ReduceOptions & { correction?: number } = {}): Tensor {
  return sqrt(variance(x, dim, options));
}

function stableMax(x: Tensor, axes: number[]): Tensor {
  const m = reduceRaw("max", x, axes);
  return where(compare("eq", m.abs(), Infinity), 0, m);
}

/** log Σ exp(x) over dims, shifted by the (detached) max for stability. */
export function logsumexp(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("logsumexp", dim, x.ndim);
  const m = stableMax(x, axes);
  const out = add(log(sum(exp(sub(x, m)), axes, { keepdim: true })), m);
  return options.keepdim ? out : reshape(out, finalShape(x.shape, axes, false));
}

/** p-norm over dims (p = 2 by default; 1, Infinity and other positive p work). */
export function norm(x: Tensor, p = 2, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("norm", dim, x.ndim);
  if (p === 2) {
    const out = withGradMode(false, () => {
      const squares = mul(x, x), total = sum(squares, axes, options);
      const root = sqrt(total);
      squares.dispose();
      total.dispose();
      return root;
    });
    // x/‖x‖, taken as 0 where the norm is 0 (as torch does) instead of 0/0
    return record("norm", [x], out, (g) => {
      const n = norm(x, 2, axes, { keepdim: true });
      const isZero = compare("eq", n, 0);
      return [mul(unreduce(g, x, axes), where(isZero, 0, div(x, where(isZero, 1, n))))];
    });
  }
  if (p === 1) return sum(x.abs(), axes, options);
  if (p === Infinity) return amax(x.abs(), axes, options);
  if (!(p > 0)) throw new RangeError(`norm: p must be positive, got ${p}`);
  return sum(x.abs().pow(p), axes, options).pow(1 / p);
}

/** Whether all elements are non-zero (torch.all; true over zero elements): no element counts as zero. */
export function all(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("all", dim, x.ndim);
  const zeroCount = reduceRaw("sum", cast(compare("eq", x, 0), "int32"), axes);
  return compare("eq", finish(zeroCount, x, axes, options.keepdim ?? false), 0);
}

/** Whether any element is non-zero (torch.any; false over zero elements). */
export function any(x: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const axes = normalizeDims("any", dim, x.ndim);
  const nonZeroCount = reduceRaw("sum", cast(compare("ne", x, 0), "int32"), axes);
  return compare("gt", finish(nonZeroCount, x, axes, options.keepdim ?? false), 0);
}

/** Softmax along `dim` (one pass forward and backward where the backend has the primitive). */
export function softmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("softmax", dim, x.ndim);
  const fused = fusedSoftmax(x, d, false);
  if (fused) return fused;
  const e = exp(sub(x, stableMax(x, [d])));
  return div(e, sum(e, d, { keepdim: true }));
}

/** log softmax along `dim` (one pass forward and backward where the backend has the primitive). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("logSoftmax", dim, x.ndim);
  const fused = fusedSoftmax(x, d, true);
  if (fused) return fused;
  const shifted = sub(x, stableMax(x, [d]));
  return sub(shifted, log(sum(exp(shifted), d, { keepdim: true })));
}

/** Sums a broadcast gradient back down to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, { keepdim: true }), shape);
}
