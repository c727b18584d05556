/**
 * Sorting and selection along one dim: sort, argsort, topk, kthvalue, median, mode. All run on
 * the backends' stable {@link Backend.sort} (NaN sorts as the largest value, equal values keep
 * their order), so every backend gives the same indices. The sorted values are recorded with a
 * backward that scatters the gradient back through the indices (scatterAdd, itself recorded, so
 * double backward works); the selections slice or gather from them.
 * @module
 */
import { isFloat } from "./dtype.ts";
import { noGrad, record } from "./tape.ts";
import { type ReduceOptions, Tensor } from "./tensor.ts";
import { cast, compare, isnan, sub, where } from "./ops_elementwise.ts";
import { reshape, slice } from "./ops_movement.ts";
import { cat } from "./ops_combine.ts";
import { any, argReduce, normalizeDim } from "./ops_reduce.ts";
import { gather, scatterAdd } from "./ops_index.ts";
import { full, zeros } from "./ops_creation.ts";
import { cumsum, type ValuesAndIndices } from "./ops_scan.ts";

/** Options of {@link sort}. */
export interface SortOptions {
  /** The dim sorted (default −1, the last). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /**
   * Keep equal values in their order. Always honoured: the sort is stable either way (PyTorch's
   * default `stable=False` leaves the order of ties unspecified, so a stable result satisfies it).
   */
  stable?: boolean;
}

/** Options of {@link topk}. */
export interface TopkOptions {
  /** The dim searched (default −1). */
  dim?: number;
  /** The k largest (default true) or smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true; the result is sorted either way). */
  sorted?: boolean;
}

/** Options of {@link kthvalue}, {@link median} and {@link mode}. */
export interface SelectOptions extends ReduceOptions {
  /** The dim searched (default −1). */
  dim?: number;
}

/** `x` with a scalar seen as 1-D, and the function that gives a result back its shape. */
function asVector(x: Tensor): [Tensor, (t: Tensor) => Tensor] {
  if (x.ndim > 0) return [x, (t) => t];
  return [reshape(x, [1]), (t) => reshape(t, [])];
}

/**
 * The backend's sort of `x` along `d` (non-negative, `x` at least 1-D), recorded as `op`: the
 * gradient of `values[j]` goes to `x[indices[j]]`.
 */
function sortAlong(op: string, x: Tensor, d: number, descending: boolean): ValuesAndIndices {
  const backend = x.backend;
  if (!backend.sort) {
    throw new TypeError(`${op}: the ${x.device} backend has no sort primitive; move the tensor to "cpu" first`);
  }
  const src = x.dtype === "bool" ? cast(x, "int32") : x;
  const r = backend.sort(src.storage(op), src.layout, d, descending);
  const sorted = Tensor.fromStorage(r.values, x.shape, src.dtype, x.device);
  const indices = Tensor.fromStorage(r.indices, x.shape, "int32", x.device);
  const values = src === x ? sorted : cast(sorted, x.dtype);
  const shape = x.shape;
  record(op, [x], values, (g) => [scatterAdd(zeros(shape, { dtype: g.dtype, device: g.device }), d, indices, g)]);
  return { values, indices };
}

function sortArgs(
  op: string,
  x: Tensor,
  dim: number | SortOptions | undefined,
  descending: boolean | undefined,
): [number, boolean] {
  const o: SortOptions = typeof dim === "object" && dim !== null ? dim : { dim, descending };
  return [normalizeDim(op, o.dim ?? -1, x.ndim), o.descending ?? false];
}

/**
 * The values of `x` sorted along `dim` (default −1), and the positions they came from
 * (torch.sort): stable, NaN largest (last ascending, first descending). Called as
 * `x.sort(dim, descending)` or `x.sort({ dim, descending, stable })`.
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean): ValuesAndIndices {
  const [d, desc] = sortArgs("sort", x, dim, descending);
  const [v, back] = asVector(x);
  const r = sortAlong("sort", v, d, desc);
  return { values: back(r.values), indices: back(r.indices) };
}

/** The int32 positions that sort `x` along `dim` (torch.argsort); as {@link sort}'s indices. */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean): Tensor {
  const [d, desc] = sortArgs("argsort", x, dim, descending);
  const [v, back] = asVector(x);
  return back(noGrad(() => sortAlong("argsort", v, d, desc).indices));
}

function checkCount(op: string, k: number, n: number, d: number, min: number): void {
  if (!Number.isInteger(k) || k < min || k > n) {
    throw new RangeError(`${op}: k = ${k} is out of range for dim ${d} of size ${n} (expected ${min}..${n})`);
  }
}

/**
 * The `k` largest (or with `largest: false` smallest) values along `dim` and their positions
 * (torch.topk), in sorted order (largest first, or smallest first); NaN counts as the largest, and
 * equal values come in stable order (PyTorch leaves the choice among ties unspecified).
 * Called as `x.topk(k, dim, largest, sorted)` or `x.topk(k, { dim, largest, sorted })`.
 */
export function topk(
  x: Tensor,
  k: number,
  dim?: number | TopkOptions,
  largest?: boolean,
  sorted?: boolean,
): ValuesAndIndices {
  const o: TopkOptions = typeof dim === "object" && dim !== null ? dim : { dim, largest, sorted };
  const d = normalizeDim("topk", o.dim ?? -1, x.ndim);
  const [v, back] = asVector(x);
  checkCount("topk", k, v.shape[d], d, 0);
  const r = sortAlong("topk", v, d, o.largest ?? true);
  return { values: back(slice(r.values, d, 0, k)), indices: back(slice(r.indices, d, 0, k)) };
}

function selectArgs(op: string, x: Tensor, dim: number | SelectOptions | undefined, keepdim?: boolean) {
  const o: SelectOptions = typeof dim === "object" && dim !== null ? dim : { dim, keepdim };
  return { d: normalizeDim(op, o.dim ?? -1, x.ndim), keepdim: o.keepdim ?? false };
}

/** Element `pos` along `d` of `r`, the dim kept (size 1) or dropped. */
function pick(r: ValuesAndIndices, d: number, pos: number, keepdim: boolean, shape: readonly number[]) {
  const out = shape.filter((_, i) => i !== d || keepdim).map((s, i) => (keepdim && i === d ? 1 : s));
  return {
    values: reshape(slice(r.values, d, pos, pos + 1), out),
    indices: reshape(slice(r.indices, d, pos, pos + 1), out),
  };
}

/**
 * The `k`-th smallest value (k from 1) along `dim` and its position (torch.kthvalue); NaN counts
 * as the largest. Among equal values the position is the `k`-th in stable order (PyTorch leaves it
 * unspecified). Called as `x.kthvalue(k, dim, keepdim)` or `x.kthvalue(k, { dim, keepdim })`.
 */
export function kthvalue(x: Tensor, k: number, dim?: number | SelectOptions, keepdim?: boolean): ValuesAndIndices {
  const { d, keepdim: keep } = selectArgs("kthvalue", x, dim, keepdim);
  const [v, back] = asVector(x);
  checkCount("kthvalue", k, v.shape[d], d, 1);
  const r = pick(sortAlong("kthvalue", v, d, false), d, k - 1, keep, v.shape);
  return { values: back(r.values), indices: back(r.indices) };
}

/**
 * Positions of the lower median along `d` of `v` (at least 1-D, dim kept as size 1): the
 * ⌊(n−1)/2⌋-th in sorted order, or the first NaN where the row has one (PyTorch's median
 * propagates NaN). Not recorded.
 */
function medianIndex(v: Tensor, d: number): Tensor {
  return noGrad(() => {
    const n = v.shape[d];
    const mid = slice(sortAlong("median", v, d, false).indices, d, (n - 1) >> 1, ((n - 1) >> 1) + 1);
    if (!isFloat(v.dtype)) return mid;
    const nan = isnan(v);
    const firstNan = argReduce("argmax", cast(nan, "float32"), d, { keepdim: true });
    return where(any(nan, d, { keepdim: true }), firstNan, mid);
  });
}

/**
 * The median (torch.median): of all elements as a 0-d tensor when called without a dim, else
 * along `dim` with the position it came from (`{ values, indices }`). For an even count it is
 * the lower of the two middle values, as in PyTorch; a NaN makes it NaN (at the first NaN's
 * position). The gradient goes to the chosen element. Called as `x.median()`,
 * `x.median(dim, keepdim)` or `x.median({ dim, keepdim })`.
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number | SelectOptions, keepdim?: boolean): ValuesAndIndices;
export function median(x: Tensor, dim?: number | SelectOptions, keepdim?: boolean): Tensor | ValuesAndIndices {
  const emptyCheck = (n: number) => {
    if (n === 0) throw new RangeError(`median: cannot take the median of an empty dim (shape [${x.shape}])`);
  };
  if (dim === undefined) {
    emptyCheck(x.size);
    const flat = reshape(x, [x.size]);
    return reshape(gather(flat, 0, reshape(medianIndex(flat, 0), [1])), []);
  }
  const { d, keepdim: keep } = selectArgs("median", x, dim, keepdim);
  const [v, back] = asVector(x);
  emptyCheck(v.shape[d]);
  const index = medianIndex(v, d);
  const out = v.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keep ? out : v.shape.filter((_, i) => i !== d);
  return { values: back(reshape(gather(v, d, index), shape)), indices: back(reshape(index, shape)) };
}

/**
 * The most frequent value along `dim` and a position of it (torch.mode): the smallest of the
 * values that occur most often, at its last occurrence (as PyTorch's cpu kernel). Computed from
 * the stable sort: runs of equal values are numbered by a cumsum of where the sorted values
 * change, counted by a scatterAdd, and the first longest run (the smallest value) wins; its last
 * element in the sorted order is its last occurrence. Each NaN is a run of its own. The gradient
 * goes to the chosen element. Called as `x.mode(dim, keepdim)` or `x.mode({ dim, keepdim })`.
 */
export function mode(x: Tensor, dim?: number | SelectOptions, keepdim?: boolean): ValuesAndIndices {
  const { d, keepdim: keep } = selectArgs("mode", x, dim, keepdim);
  const [v, back] = asVector(x);
  const n = v.shape[d];
  if (n === 0) throw new RangeError(`mode: cannot take the mode of an empty dim (shape [${x.shape}])`);
  const index = noGrad(() => {
    const s = sortAlong("mode", v, d, false);
    const first = zeros(v.shape.map((k, i) => (i === d ? 1 : k)), { dtype: "int32", device: v.device });
    const changes = cast(compare("ne", slice(s.values, d, 1, n), slice(s.values, d, 0, n - 1)), "int32");
    const run = cumsum(cat([first, changes], d), d);
    const ones = full(v.shape, 1, { dtype: "int32", device: v.device });
    const counts = scatterAdd(zeros(v.shape, { dtype: "int32", device: v.device }), d, run, ones);
    const best = argReduce("argmax", counts, d, { keepdim: true });
    const last = sub(gather(cumsum(counts, d), d, best), 1);
    return gather(s.indices, d, last);
  });
  const out = v.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keep ? out : v.shape.filter((_, i) => i !== d);
  return { values: back(reshape(gather(v, d, index), shape)), indices: back(reshape(index, shape)) };
}
