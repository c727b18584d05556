/**
 * float32 reductions on the cpu backend: sum/prod/max/min over any sorted axes
 * ({@link Backend.reduce}) and argmax/argmin along one axis ({@link Backend.argReduce}).
 *
 * The view is first simplified (size-1 dims dropped, neighbouring dims that are both reduced or
 * both kept and laid out back to back merged), which turns the common cases into one of three
 * loops over runs of memory: a contiguous group per output (the last axis of a row-major tensor,
 * or all axes), one accumulator row per kept column (leading axes, as the bias gradient's
 * `[B, N] → [1, N]`), and the latter inside an outer kept dim. Anything else walks a table of the
 * group's offsets. Folds run in JS numbers (float64) in the reference's order (row-major over the
 * reduced axes) and round once on store, so sums equal the reference's.
 * @module
 */
import type { ReduceOp, Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { REDUCE_PRIMITIVES } from "../../ops/tensor_ops.ts";
import { stridedOffsets } from "../reference/strided.ts";
import type { CpuContext } from "./context.ts";

/** A dim of the simplified view: its size, stride, and whether it is reduced. */
interface Dim {
  size: number;
  stride: number;
  reduced: boolean;
}

/** `v`'s dims without size-1 ones, with adjacent same-kind dims merged where memory allows. */
function simplify(v: View, axes: readonly number[]): Dim[] {
  const dims: Dim[] = [];
  for (let d = 0; d < v.shape.length; d++) {
    if (v.shape[d] === 1) continue;
    const dim = { size: v.shape[d], stride: v.strides[d], reduced: axes.includes(d) };
    const prev = dims[dims.length - 1];
    if (prev && prev.reduced === dim.reduced && prev.stride === dim.stride * dim.size) {
      prev.size *= dim.size;
      prev.stride = dim.stride;
    } else {
      dims.push(dim);
    }
  }
  return dims;
}

/** Folds `n` elements of `x` from `start` by `step` into `acc` with `op` (fmax/fmin semantics for max/min). */
function foldRun(op: ReduceOp, acc: number, x: Float32Array, start: number, n: number, step: number): number {
  // counted loops: a broadcast dim has step 0
  if (op === "sum") {
    for (let k = 0, i = start; k < n; k++, i += step) acc += x[i];
  } else if (op === "prod") {
    for (let k = 0, i = start; k < n; k++, i += step) acc *= x[i];
  } else if (op === "max") {
    // NaN wins from then on; ties keep the first (so ±0 keep their order), as fmax does
    for (let k = 0, i = start; k < n; k++, i += step) {
      const v = x[i];
      if (v > acc || v !== v) acc = v;
    }
  } else {
    for (let k = 0, i = start; k < n; k++, i += step) {
      const v = x[i];
      if (v < acc || v !== v) acc = v;
    }
  }
  return acc;
}

/** `acc[k] = op(acc[k], x[start + k·step])` for `k < acc.length`: one row of a column-wise fold. */
function foldRow(op: ReduceOp, acc: Float64Array, x: Float32Array, start: number, step: number): void {
  const n = acc.length;
  if (op === "sum") {
    for (let k = 0, i = start; k < n; k++, i += step) acc[k] += x[i];
  } else if (op === "prod") {
    for (let k = 0, i = start; k < n; k++, i += step) acc[k] *= x[i];
  } else if (op === "max") {
    for (let k = 0, i = start; k < n; k++, i += step) {
      const v = x[i];
      if (v > acc[k] || v !== v) acc[k] = v;
    }
  } else {
    for (let k = 0, i = start; k < n; k++, i += step) {
      const v = x[i];
      if (v < acc[k] || v !== v) acc[k] = v;
    }
  }
}

/** Folds `x[base + rel[g]]` over the offset table `rel`. */
function foldTable(op: ReduceOp, acc: number, x: Float32Array, base: number, rel: Int32Array): number {
  const n = rel.length;
  if (op === "sum") {
    for (let g = 0; g < n; g++) acc += x[base + rel[g]];
  } else if (op === "prod") {
    for (let g = 0; g < n; g++) acc *= x[base + rel[g]];
  } else if (op === "max") {
    for (let g = 0; g < n; g++) {
      const v = x[base + rel[g]];
      if (v > acc || v !== v) acc = v;
    }
  } else {
    for (let g = 0; g < n; g++) {
      const v = x[base + rel[g]];
      if (v < acc || v !== v) acc = v;
    }
  }
  return acc;
}

/**
 * {@link Backend.reduce} for float32: each output folds its group (the elements that differ only
 * along `axes`, row-major) from the op's identity (0, 1, −Infinity, Infinity, so empty groups
 * give it); reduced axes keep size 1 and NaN propagates through max/min.
 */
export function reduce(ctx: CpuContext, op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
  ctx.checkView(op, a, av);
  const identity = REDUCE_PRIMITIVES[op].identity.float;
  const outSize = numel(av.shape.map((s, d) => (axes.includes(d) ? 1 : s)));
  let group = 1;
  for (const d of axes) group *= av.shape[d];
  const outStorage = ctx.alloc(outSize, "float32", op);
  const out = ctx.f32(outStorage), x = ctx.f32(a);
  if (outSize === 0) return outStorage;
  if (group === 0) {
    out.fill(identity);
    return outStorage;
  }
  const dims = simplify(av, axes);
  const kinds = dims.map((d) => (d.reduced ? "R" : "K")).join("");
  const base = av.offset;
  if (kinds === "" || kinds === "K") {
    // nothing to fold: every group is one element
    const step = dims.length ? dims[0].stride : 0;
    for (let o = 0; o < outSize; o++) out[o] = foldRun(op, identity, x, base + o * step, 1, 1);
  } else if (kinds === "R") {
    out[0] = foldRun(op, identity, x, base, dims[0].size, dims[0].stride);
  } else if (kinds === "KR") {
    const [k, r] = dims;
    for (let o = 0; o < k.size; o++) out[o] = foldRun(op, identity, x, base + o * k.stride, r.size, r.stride);
  } else if (kinds === "RK" || kinds === "KRK") {
    const [outer, r, inner] = kinds === "RK" ? [{ size: 1, stride: 0 }, dims[0], dims[1]] : dims;
    const acc = new Float64Array(inner.size);
    for (let o = 0; o < outer.size; o++) {
      acc.fill(identity);
      const start = base + o * outer.stride;
      for (let i = 0; i < r.size; i++) foldRow(op, acc, x, start + i * r.stride, inner.stride);
      out.set(acc, o * inner.size);
    }
  } else {
    const kept = dims.filter((d) => !d.reduced), red = dims.filter((d) => d.reduced);
    const bases = stridedOffsets(kept.map((d) => d.size), kept.map((d) => d.stride), base);
    const rel = stridedOffsets(red.map((d) => d.size), red.map((d) => d.stride), 0);
    for (let o = 0; o < outSize; o++) out[o] = foldTable(op, identity, x, bases[o], rel);
  }
  return outStorage;
}

/**
 * {@link Backend.argReduce} for float32: the int32 index of the first max/min along `axis`
 * (result shape `av.shape` with `axis` set to 1). A NaN beats every number (the first NaN wins)
 * for both ops, as in torch; an empty axis is a RangeError unless the result is empty too.
 */
export function argReduce(
  ctx: CpuContext,
  op: "argmax" | "argmin",
  a: Storage,
  av: View,
  axis: number,
): Storage {
  ctx.checkView(op, a, av);
  const len = av.shape[axis];
  const keptShape = av.shape.map((s, d) => (d === axis ? 1 : s));
  const outSize = numel(keptShape);
  if (len === 0 && outSize > 0) {
    throw new RangeError(`${op}: cannot reduce over an empty dimension ${axis}`);
  }
  const outStorage = ctx.alloc(len === 0 ? 0 : outSize, "int32", op);
  const out = ctx.i32(outStorage), x = ctx.f32(a);
  if (len === 0) return outStorage;
  const step = av.strides[axis];
  const bases = outSize === 1 ? Int32Array.of(av.offset) : stridedOffsets(keptShape, av.strides, av.offset);
  const max = op === "argmax";
  for (let o = 0; o < outSize; o++) {
    let i = bases[o];
    let best = x[i], index = 0;
    if (best === best) {
      for (let k = 1; k < len; k++) {
        const v = x[i += step];
        if (v !== v) {
          index = k;
          break;
        }
        if (max ? v > best : v < best) {
          best = v;
          index = k;
        }
      }
    }
    out[o] = index;
  }
  return outStorage;
}
