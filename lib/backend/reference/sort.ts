/** {@link Backend.sort} of the reference backend: a stable sort of each row along one axis. @module */
import type { Storage, View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import { newArray, type ReferenceContext } from "./storage.ts";
import { moveAxesLast } from "./strided.ts";

/**
 * Whether `a` (at position `i`) comes before `b` (at `j`) in the order {@link Backend.sort}
 * defines: by value (NaN largest; descending reverses the values only), then by position.
 */
function sortCompare(a: number, i: number, b: number, j: number, descending: boolean): number {
  const an = a !== a, bn = b !== b;
  if (an !== bn) return (an ? 1 : -1) * (descending ? -1 : 1);
  if (!an && a !== b) return (a < b ? -1 : 1) * (descending ? -1 : 1);
  return i - j;
}

/** The element offsets of a contiguous tensor of `shape` read with `axis` last (where each sorted row goes). */
export function rowOffsets(shape: readonly number[], axis: number): Int32Array {
  return moveAxesLast({ shape, strides: contiguousStrides(shape), offset: 0 }, [axis]);
}

/**
 * {@link Backend.sort}: each row along `axis` sorted by (value, position) with NaN largest, in
 * float64 (every dtype the backend stores; bool as 0/1).
 */
export function sort(
  ctx: ReferenceContext,
  x: Storage,
  xv: View,
  axis: number,
  descending: boolean,
): { values: Storage; indices: Storage } {
  const src = ctx.input("sort", x, xv);
  const n = numel(xv.shape), len = xv.shape[axis] ?? 1;
  const from = moveAxesLast(xv, xv.shape.length === 0 ? [] : [axis]);
  const to = xv.shape.length === 0 ? Int32Array.of(0) : rowOffsets(xv.shape, axis);
  const values = newArray(x.dtype, n), indices = new Int32Array(n);
  const order = Array.from({ length: len }, (_, k) => k);
  const row = new Float64Array(len);
  for (let p = 0; p < n; p += len) {
    for (let k = 0; k < len; k++) {
      row[k] = src[from[p + k]];
      order[k] = k;
    }
    order.sort((i, j) => sortCompare(row[i], i, row[j], j, descending));
    for (let k = 0; k < len; k++) {
      values[to[p + k]] = row[order[k]];
      indices[to[p + k]] = order[k];
    }
  }
  return { values: ctx.wrap(values, x.dtype), indices: ctx.wrap(indices, "int32") };
}
