/** gather, scatterAdd and copyInto on the reference backend; out-of-range indices throw at once. @module */
import type { GatherArgs, ScatterAddArgs, Storage, View } from "../backend.ts";
import { checkIndexShape, checkScatterShapes, contiguousStrides } from "../_view.ts";
import { boolOf, newArray, type ReferenceContext, sameShape } from "./storage.ts";
import { stridedOffsets, viewOffsets } from "./strided.ts";

/** The RangeError of an index outside `[0, size)` along `dim`. */
function outOfRange(
  opName: string,
  index: number,
  dim: number,
  size: number,
): RangeError {
  return new RangeError(
    `${opName}: index ${index} is out of range for dimension ${dim} of size ${size}`,
  );
}

/** {@link Backend.gather}: torch.gather along `dim`; out-of-range indices throw a RangeError naming `opName`. */
export function gather(ctx: ReferenceContext, args: GatherArgs): Storage {
  const { source: { storage: a, view: av }, dim, index: { storage: idx, view: iv }, opName } = args;
  const src = ctx.input(opName, a, av);
  const I = ctx.input(opName, idx, iv);
  checkIndexShape(opName, iv.shape, av.shape, dim);
  const size = av.shape[dim];
  const step = av.strides[dim];
  const io = viewOffsets(iv);
  const rowStrides = av.strides.map((s, d) => (d === dim ? 0 : s));
  const ao = stridedOffsets(iv.shape, rowStrides, av.offset);
  const out = newArray(a.dtype, io.length);
  for (let i = 0; i < io.length; i++) {
    const k = I[io[i]];
    if (!(k >= 0 && k < size)) throw outOfRange(opName, k, dim, size);
    out[i] = src[ao[i] + k * step];
  }
  return ctx.wrap(out, a.dtype);
}

/** {@link Backend.scatterAdd}: a copy of `base` with `src` added at the indexed positions (torch.scatter_add). */
export function scatterAdd(ctx: ReferenceContext, args: ScatterAddArgs): Storage {
  const { base, shape, dim, index: { storage: idx, view: iv }, src: { storage: src, view: sv }, opName } = args;
  const target = ctx.data(base);
  const I = ctx.input(opName, idx, iv);
  const S = ctx.input(opName, src, sv);
  checkScatterShapes(opName, target.length, shape, dim, iv, sv);
  const out = target.slice();
  const strides = contiguousStrides(shape);
  const size = shape[dim];
  const step = strides[dim];
  const to = stridedOffsets(
    iv.shape,
    strides.map((s, d) => (d === dim ? 0 : s)),
    0,
  );
  const io = viewOffsets(iv);
  const so = viewOffsets(sv);
  for (let i = 0; i < io.length; i++) {
    const k = I[io[i]];
    if (!(k >= 0 && k < size)) throw outOfRange(opName, k, dim, size);
    out[to[i] + k * step] += S[so[i]];
  }
  return ctx.wrap(out, base.dtype);
}

/** {@link Backend.copyInto}: writes `src` (through `sv`) into `dst` (through `dv`) in place. */
export function copyInto(ctx: ReferenceContext, dst: Storage, dv: View, src: Storage, sv: View): void {
  const D = ctx.input("copyInto", dst, dv);
  const S = ctx.input("copyInto", src, sv);
  if (!sameShape(dv.shape, sv.shape)) {
    throw new RangeError(
      `cpu copyInto: shapes [${dv.shape}] and [${sv.shape}] differ`,
    );
  }
  const d = viewOffsets(dv);
  const s = viewOffsets(sv);
  // Read everything first so overlapping views of one storage behave like a copy.
  const values = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) values[i] = S[s[i]];
  if (dst.dtype === "bool") {
    for (let i = 0; i < d.length; i++) D[d[i]] = boolOf(values[i]);
  } else {
    for (let i = 0; i < d.length; i++) D[d[i]] = values[i];
  }
}
