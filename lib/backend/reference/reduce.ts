/** Reductions of the reference backend: sum/prod/max/min over axes, and argmax/argmin along one axis. @module */
import type { DType, ReduceOp, Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { isFloat } from "../dtype.ts";
import { REDUCE_PRIMITIVES } from "../../ops/tensor_ops.ts";
import { elementwiseEntry } from "../../ops/table.ts";
import type { ScalarFn } from "../../ops/entry.ts";
import { newArray, type ReferenceContext } from "./storage.ts";
import { moveAxesLast } from "./strided.ts";

/**
 * {@link Backend.reduce}: each output folds its group with the combining op of the reduction's
 * table entry (its int32 closure for integer accumulators), from the entry's identity; reduced
 * axes keep size 1, and NaN propagates through max/min.
 */
export function reduce(ctx: ReferenceContext, op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
  const src = ctx.input(op, a, av);
  const spec = REDUCE_PRIMITIVES[op];
  const outDtype: DType = spec.widensToInt && a.dtype === "bool" ? "int32" : a.dtype;
  const combineEntry = elementwiseEntry(spec.combine);
  const int = outDtype === "int32";
  const make = (int && combineEntry.referenceInt ? combineEntry.referenceInt : combineEntry.reference) as () =>
    ScalarFn;
  const combine = make();
  const off = moveAxesLast(av, axes);
  let group = 1;
  for (const d of axes) group *= av.shape[d];
  const outShape = av.shape.map((s, d) => (axes.includes(d) ? 1 : s));
  const out = newArray(outDtype, numel(outShape));
  const identity = spec.identity[isFloat(a.dtype) ? "float" : a.dtype === "int32" ? "int" : "bool"];
  for (let o = 0, p = 0; o < out.length; o++) {
    let acc = identity;
    const end = p + group;
    for (; p < end; p++) acc = combine(acc, src[off[p]], 0);
    out[o] = acc;
  }
  return ctx.wrap(out, outDtype);
}

/**
 * {@link Backend.argReduce}: int32 index of the first max/min along `axis`. A NaN beats every
 * number (the first NaN wins) for both argmax and argmin, as in torch. An empty axis throws.
 */
export function argReduce(
  ctx: ReferenceContext,
  op: "argmax" | "argmin",
  a: Storage,
  av: View,
  axis: number,
): Storage {
  const src = ctx.input(op, a, av);
  const len = av.shape[axis];
  const off = moveAxesLast(av, [axis]);
  const out = new Int32Array(len === 0 ? 0 : off.length / len);
  if (len === 0 && numel(av.shape.map((s, d) => (d === axis ? 1 : s))) > 0) {
    throw new RangeError(
      `${op}: cannot reduce over an empty dimension ${axis}`,
    );
  }
  const better = op === "argmax" ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  for (let o = 0; o < out.length; o++) {
    const p = o * len;
    let best = src[off[p]];
    let index = 0;
    if (best === best) {
      for (let k = 1; k < len; k++) {
        const v = src[off[p + k]];
        if (v !== v) {
          index = k;
          break;
        }
        if (better(v, best)) {
          best = v;
          index = k;
        }
      }
    }
    out[o] = index;
  }
  return ctx.wrap(out, "int32");
}
