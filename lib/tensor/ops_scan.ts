/**
 * Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp. Each is a work-efficient
 * inclusive scan composed from ordinary ops ({@link inclusiveScan}: strided slices, one
 * elementwise chain per level that the lazy engine fuses, cat and stack), ⌈log₂ n⌉ levels of
 * halving length. Being composites, their gradients come from autograd: cumprod's is right with
 * zeros in the input (the products' rule never divides), and cummax/cummin pick their values with
 * gather, so the gradient goes to the element each index names, as in PyTorch. Measured on this
 * 2-core machine for [256, 4096] along dim 1: cumsum 19 ms on cpu (the Hillis–Steele form of the
 * same ops took 233 ms), 51 ms on llvmpipe WebGPU.
 * @module
 */
import { isFloat } from "./dtype.ts";
import { noGrad } from "./tape.ts";
import type { Tensor } from "./tensor.ts";
import { add, cast, compare, elementwise, isinf, isnan, mul, sub, where } from "./ops_elementwise.ts";
import { clone, expand, reshape, slice } from "./ops_movement.ts";
import { cat, stack } from "./ops_combine.ts";
import { normalizeDim } from "./ops_reduce.ts";
import { gather } from "./ops_index.ts";
import { arange } from "./ops_creation.ts";

/** A pair of results: the values, and int32 positions along the dim where they came from. */
export interface ValuesAndIndices {
  /** The values (same dtype as the input). */
  values: Tensor;
  /** int32 positions along the dim. */
  indices: Tensor;
}

/** The options of the scans. */
export interface ScanOptions {
  /** The dim scanned (negative counts from the end). */
  dim: number;
}

/** The dim of a scan called as `x.op(dim)` or `x.op({ dim })`. */
export function scanDim(op: string, dim: number | ScanOptions | undefined, ndim: number): number {
  const d = typeof dim === "object" && dim !== null ? dim.dim : dim;
  if (d === undefined) throw new TypeError(`${op}: dim is required, e.g. x.${op}(0) or x.${op}({ dim: -1 })`);
  return normalizeDim(op, d, ndim);
}

/** An associative combination of scan states (each a list of tensors of one shape): `later` after `earlier`. */
export type Combine = (later: Tensor[], earlier: Tensor[]) => Tensor[];

/**
 * The inclusive scan of the states `xs` (tensors of one shape) along `d` with `combine`: element j
 * becomes the combination of elements 0..j. Work-efficient (Blelloch's pairing, written
 * recursively): the pairs (x[2i], x[2i+1]) are combined and scanned at half the length, then
 * y[2i+1] is that scan's element i and y[2i] = combine(x[2i], y[2i−1]), interleaved back with a
 * stack. Each level touches half the elements of the one before, so the whole scan moves about 5n
 * elements in ~2·log₂ n elementwise kernels, where a Hillis–Steele scan moves n at each of log₂ n steps.
 */
export function inclusiveScan(xs: Tensor[], d: number, combine: Combine): Tensor[] {
  const shape = xs[0].shape, n = shape[d];
  if (n <= 1) return xs;
  const m = n - (n % 2), h = m / 2;
  const even = xs.map((x) => slice(x, d, 0, m, 2)), odd = xs.map((x) => slice(x, d, 1, m, 2));
  const sums = inclusiveScan(combine(odd, even), d, combine);
  const evens = h === 1 ? even : combine(
    even.map((e) => slice(e, d, 1, h)),
    sums.map((s) => slice(s, d, 0, h - 1)),
  ).map((c, k) => cat([slice(even[k], d, 0, 1), c], d));
  const pairsShape = [...shape.slice(0, d), m, ...shape.slice(d + 1)];
  const ys = evens.map((e, k) => reshape(stack([e, sums[k]], d + 1), pairsShape));
  if (m === n) return ys;
  const tail = combine(xs.map((x) => slice(x, d, n - 1, n)), ys.map((y) => slice(y, d, m - 1, m)));
  return ys.map((y, k) => cat([y, tail[k]], d));
}

/** The scan of one tensor (a copy even where nothing combines, so the result is never the input). */
function scanOne(x: Tensor, d: number, combine: (later: Tensor, earlier: Tensor) => Tensor): Tensor {
  if (x.shape[d] <= 1) return clone(x);
  return inclusiveScan([x], d, ([later], [earlier]) => [combine(later, earlier)])[0];
}

/** `x` with a scalar seen as 1-D, and the function that gives a result back its shape. */
function asVector(x: Tensor): [Tensor, (t: Tensor) => Tensor] {
  if (x.ndim > 0) return [x, (t) => t];
  return [reshape(x, [1]), (t) => reshape(t, [])];
}

/** bool and int32 inputs accumulate in int32 (PyTorch: int64). */
function accumulating(x: Tensor): Tensor {
  return isFloat(x.dtype) || x.dtype === "int32" ? x : cast(x, "int32");
}

/** `y[j] = x[0] + … + x[j]` along `dim` (torch.cumsum); bool and int32 give int32. */
export function cumsum(x: Tensor, dim: number | ScanOptions): Tensor {
  const d = scanDim("cumsum", dim, x.ndim);
  const [v, back] = asVector(accumulating(x));
  return back(scanOne(v, d, add));
}

/**
 * `y[j] = x[0] · … · x[j]` along `dim` (torch.cumprod); bool and int32 give int32. The gradient
 * (from the scan's products) is exact with zeros in the input, as PyTorch's.
 */
export function cumprod(x: Tensor, dim: number | ScanOptions): Tensor {
  const d = scanDim("cumprod", dim, x.ndim);
  const [v, back] = asVector(accumulating(x));
  return back(scanOne(v, d, mul));
}

/**
 * Whether `a` wins over `b` under the running max (`max`) or min: strictly larger (smaller), or
 * NaN where `b` is not (NaN propagates through both, as in PyTorch).
 */
function beats(a: Tensor, b: Tensor, max: boolean): Tensor {
  const strict = compare(max ? "gt" : "lt", a, b);
  if (!isFloat(a.dtype)) return strict;
  return elementwise("or", [strict, elementwise("and", [isnan(a), elementwise("not", [isnan(b)])])]);
}

/**
 * int32 positions of the running max (or min) along `d`: a scan of (value, position) pairs where
 * the earlier pair wins only when it strictly beats the later, so ties go to the latest position
 * and every NaN takes over (PyTorch's rule). Not recorded.
 */
export function runningArg(x: Tensor, d: number, max: boolean): Tensor {
  return noGrad(() => {
    const v = x.dtype === "bool" ? cast(x, "int32") : x;
    const n = x.shape[d];
    const positions = reshape(arange(0, n, 1, { device: x.device }), x.shape.map((s, i) => (i === d ? s : 1)));
    const idx = clone(expand(positions, x.shape));
    if (n <= 1) return idx;
    return inclusiveScan([v, idx], d, ([lv, li], [ev, ei]) => {
      const take = beats(ev, lv, max);
      return [where(take, ev, lv), where(take, ei, li)];
    })[1];
  });
}

function cumulativeExtreme(op: string, x: Tensor, dim: number | ScanOptions, max: boolean): ValuesAndIndices {
  const d = scanDim(op, dim, x.ndim);
  const [v, back] = asVector(x);
  const indices = runningArg(v, d, max);
  return { values: back(gather(v, d, indices)), indices: back(indices) };
}

/**
 * The running maximum along `dim` and where it was reached (torch.cummax): `values[j] =
 * max(x[0..j])`, `indices[j]` the position of that max, the latest one on ties; a NaN propagates
 * (its position is the index until the next NaN). The gradient goes to the indexed elements.
 */
export function cummax(x: Tensor, dim: number | ScanOptions): ValuesAndIndices {
  return cumulativeExtreme("cummax", x, dim, true);
}

/** The running minimum along `dim` and where it was reached (torch.cummin); ties and NaN as {@link cummax}. */
export function cummin(x: Tensor, dim: number | ScanOptions): ValuesAndIndices {
  return cumulativeExtreme("cummin", x, dim, false);
}

/**
 * log(exp(a) + exp(b)) as max(a, b) + log1p(exp(−|a − b|)), exact for equal infinities (where
 * the difference would be NaN, the result is a itself and the difference is taken as 0, so no
 * NaN reaches the gradient either).
 */
function logAddExp(a: Tensor, b: Tensor): Tensor {
  const sameInf = elementwise("and", [isinf(a), compare("eq", a, b)]);
  const diff = where(sameInf, 0, sub(a, b));
  const m = elementwise("maximum", [a, b]);
  const soft = add(m, elementwise("log1p", [elementwise("exp", [elementwise("neg", [elementwise("abs", [diff])])])]));
  return where(sameInf, a, soft);
}

/**
 * `y[j] = log Σ_{i ≤ j} exp(x[i])` along `dim` (torch.logcumsumexp), computed stably as a scan
 * of log-add-exp (no overflow for large inputs, no underflow to −∞ for small ones). Float only.
 */
export function logcumsumexp(x: Tensor, dim: number | ScanOptions): Tensor {
  const d = scanDim("logcumsumexp", dim, x.ndim);
  if (!isFloat(x.dtype)) {
    throw new TypeError(`logcumsumexp: expected a float tensor, got ${x.dtype}; convert it with .float()`);
  }
  const [v, back] = asVector(x);
  return back(scanOne(v, d, (later, earlier) => logAddExp(earlier, later)));
}
