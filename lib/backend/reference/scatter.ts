/**
 * scatterReduce on the reference backend (the cpu backend runs it too): torch.scatter_reduce's
 * combining step, with out-of-range indices thrown at once.
 * @module
 */
import type { ScatterReduceArgs, ScatterReduceOp, Storage } from "../backend.ts";
import { checkScatterShapes, contiguousStrides } from "../_view.ts";
import { boolOf, type ReferenceContext } from "./storage.ts";
import { stridedOffsets, viewOffsets } from "./strided.ts";

/** How a value `v` meets the value `a` already at its position; NaN propagates through max and min. */
const COMBINE: Record<ScatterReduceOp, (a: number, v: number) => number> = {
  replace: (_a, v) => v,
  prod: (a, v) => a * v,
  amax: (a, v) => (a !== a || v !== v ? NaN : Math.max(a, v)),
  amin: (a, v) => (a !== a || v !== v ? NaN : Math.min(a, v)),
};

/**
 * {@link Backend.scatterReduce}: a copy of `base` where each `src[j]` is combined into
 * `base[.., index[j], ..]` by `reduce`, in row-major order of the index (so with `"replace"` the
 * last source aimed at a position wins).
 */
export function scatterReduce(ctx: ReferenceContext, args: ScatterReduceArgs): Storage {
  const { base, shape, dim, index: { storage: idx, view: iv }, src: { storage: src, view: sv }, reduce, opName } = args;
  const target = ctx.data(base);
  const I = ctx.input(opName, idx, iv);
  const S = ctx.input(opName, src, sv);
  checkScatterShapes(opName, target.length, shape, dim, iv, sv);
  const combine = COMBINE[reduce];
  if (!combine) throw new TypeError(`${opName}: unknown scatter reduction "${reduce}"`);
  const out = target.slice();
  const strides = contiguousStrides(shape);
  const size = shape[dim];
  const step = strides[dim];
  const to = stridedOffsets(iv.shape, strides.map((s, d) => (d === dim ? 0 : s)), 0);
  const io = viewOffsets(iv);
  const so = viewOffsets(sv);
  const isBool = base.dtype === "bool";
  for (let i = 0; i < io.length; i++) {
    const k = I[io[i]];
    if (!(k >= 0 && k < size)) {
      throw new RangeError(`${opName}: index ${k} is out of range for dimension ${dim} of size ${size}`);
    }
    const j = to[i] + k * step;
    const v = combine(out[j], S[so[i]]);
    out[j] = isBool ? boolOf(v) : v;
  }
  return ctx.wrap(out, base.dtype);
}
