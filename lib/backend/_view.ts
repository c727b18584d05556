/** Shape and stride arithmetic shared by the backends. @module */
import type { View, WindowParams } from "./backend.ts";

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** A view reading `shape` contiguously from offset 0. */
export function contiguousView(shape: readonly number[]): View {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}

/** Whether `v` reads its elements in row-major order with no gaps. */
export function isContiguous(v: View): boolean {
  let s = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== s) return false;
    s *= v.shape[i];
  }
  return true;
}

/**
 * Output size along spatial `axis` (0: height, 1: width) of a sliding window over `size` input
 * positions: `floor((size + 2·pad − dil·(k − 1) − 1) / stride) + 1`. Zero or negative when the
 * window does not fit; callers clamp or reject.
 */
export function windowOutputSize(size: number, p: WindowParams, axis: 0 | 1): number {
  return Math.floor((size + 2 * p.padding[axis] - p.dilation[axis] * (p.kernel[axis] - 1) - 1) / p.stride[axis]) + 1;
}

/** The PCG-style u32 hash behind every random stream (see Backend docs). */
export function pcg(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** Word `n` of the random stream for `seed`. */
export function randomBits(seed: number, n: number): number {
  return pcg((pcg(n >>> 0) ^ seed) >>> 0);
}

/** Throws unless the index shape has the data's rank and fits inside it off `dim` (as torch requires). */
export function checkIndexShape(
  opName: string,
  index: readonly number[],
  data: readonly number[],
  dim: number,
): void {
  const fits = index.length === data.length && index.every((s, d) => d === dim || s <= data[d]);
  if (!fits || dim < 0 || dim >= data.length) {
    throw new RangeError(
      `${opName}: index shape [${index}] does not fit data shape [${data}] along dimension ${dim}`,
    );
  }
}

/**
 * The shape checks of {@link Backend.scatterAdd}: `baseSize` elements must make `shape`, the
 * index and source views must share a shape, and that shape must fit `shape` off `dim`.
 */
export function checkScatterShapes(
  opName: string,
  baseSize: number,
  shape: readonly number[],
  dim: number,
  iv: View,
  sv: View,
): void {
  if (baseSize !== numel(shape)) {
    throw new RangeError(`${opName}: base of ${baseSize} elements is not of shape [${shape}]`);
  }
  if (iv.shape.length !== sv.shape.length || iv.shape.some((d, i) => d !== sv.shape[i])) {
    throw new RangeError(`${opName}: index [${iv.shape}] and source [${sv.shape}] shapes differ`);
  }
  checkIndexShape(opName, iv.shape, shape, dim);
}

/**
 * How a kernel may read `view`: `"dense"` when it walks its shape row-major without gaps (element
 * `offset + i`), `"scalar"` when every element is the one at `offset` (a broadcast value), else
 * `"strided"`. Dims of size 1 are ignored.
 */
export function readKind(view: View): "dense" | "scalar" | "strided" {
  let dense = true, scalar = true, step = 1;
  for (let d = view.shape.length - 1; d >= 0; d--) {
    const n = view.shape[d];
    if (n === 1) continue;
    const s = view.strides[d];
    if (s !== step) dense = false;
    if (s !== 0) scalar = false;
    step *= n;
  }
  return scalar ? "scalar" : dense ? "dense" : "strided";
}

/**
 * Merges adjacent dims that every stride list walks contiguously, and drops size-1
 * dims, so simple views index with few divisions. Returns the new shape and strides.
 */
export function collapseDims(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (
      last >= 0 &&
      stridesList.every((s, k) => outStrides[k][last] === s[d] * n)
    ) {
      outShape[last] *= n;
      stridesList.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(n);
      stridesList.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Checks that `v` is well formed and that every element it addresses lies in `[0, size)`; a
 * RangeError prefixed `"<owner> <op>:"` otherwise. An empty view addresses nothing.
 */
export function checkViewBounds(owner: string, op: string, v: View, size: number): void {
  if (v.shape.length !== v.strides.length) {
    throw new RangeError(`${owner} ${op}: view has ${v.shape.length} dims but ${v.strides.length} strides`);
  }
  if (numel(v.shape) === 0) return;
  let lo = v.offset, hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const span = (v.shape[d] - 1) * v.strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= size) {
    throw new RangeError(
      `${owner} ${op}: view [${v.shape}] strides [${v.strides}] offset ${v.offset} reaches outside a storage of ${size} elements`,
    );
  }
}
