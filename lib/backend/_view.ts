/** Shape and stride arithmetic shared by the backends. @module */
import type { View } from "./backend.ts";

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
