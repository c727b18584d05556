/** Strided-view iteration for the reference backend. @module */
import type { View } from "../backend.ts";
import { numel } from "../_view.ts";

/**
 * Flat storage offsets of every element of a strided view, in row-major order of
 * `shape`: `result[i]` is where element `i` of the view lives.
 *
 * Walks the view with an incremental odometer (no divisions per element); the innermost
 * dimension is a plain loop. Zero strides (broadcast) and any offsets are allowed.
 */
export function stridedOffsets(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array {
  const n = numel(shape);
  const out = new Int32Array(n);
  if (n === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  const last = rank - 1;
  const inner = shape[last];
  const innerStride = strides[last];
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let i = 0; i < n; i += inner) {
    let o = base;
    for (let j = 0; j < inner; j++, o += innerStride) out[i + j] = o;
    // Advance the odometer over the outer dimensions.
    for (let d = last - 1; d >= 0; d--) {
      base += strides[d];
      if (++counter[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      counter[d] = 0;
    }
  }
  return out;
}

/** {@link stridedOffsets} of a {@link View}. */
export function viewOffsets(v: View): Int32Array {
  return stridedOffsets(v.shape, v.strides, v.offset);
}

/** The element-offset map that reads `v` with `axes` moved to the end, in order. */
export function moveAxesLast(v: View, axes: readonly number[]): Int32Array {
  const keep: number[] = [];
  for (let d = 0; d < v.shape.length; d++) if (!axes.includes(d)) keep.push(d);
  const order = [...keep, ...axes];
  return stridedOffsets(
    order.map((d) => v.shape[d]),
    order.map((d) => v.strides[d]),
    v.offset,
  );
}
