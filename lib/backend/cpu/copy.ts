/**
 * `Backend.copyInto` on the cpu backend: a strided copy between storages of one dtype, as a
 * memmove (`TypedArray.set`) per run of elements both views read contiguously, after collapsing
 * the dims they walk alike. Overlapping views of one storage copy as if read first (the source is
 * copied out when the two ranges overlap). Other cases (a dtype conversion) take the reference loop.
 * @module
 */
import type { Storage, View } from "../backend.ts";
import { collapseDims, numel } from "../_view.ts";
import type { CpuContext } from "./context.ts";
import * as ref from "../reference/kernels.ts";

/** {@link Backend.copyInto} (see the module doc). */
export function copyInto(ctx: CpuContext & ref.ReferenceContext, dst: Storage, dv: View, src: Storage, sv: View): void {
  if (dst.dtype !== src.dtype || dv.shape.length !== sv.shape.length || dv.shape.some((d, i) => d !== sv.shape[i])) {
    return ref.copyInto(ctx, dst, dv, src, sv);
  }
  ctx.checkView("copyInto", dst, dv);
  ctx.checkView("copyInto", src, sv);
  const n = numel(dv.shape);
  if (n === 0) return;
  const D = ctx.data(dst);
  let S = ctx.data(src);
  let sOffset = sv.offset;
  if (dst === src) {
    // read everything first: copy the source span out
    S = S.slice();
  }
  const c = collapseDims(dv.shape, [dv.strides, sv.strides]);
  const rank = c.shape.length;
  const [ds, ss] = c.strides;
  if (rank === 0) {
    D[dv.offset] = S[sOffset];
    return;
  }
  const inner = c.shape[rank - 1];
  const contiguousRuns = ds[rank - 1] === 1 && ss[rank - 1] === 1;
  const index = new Array<number>(rank).fill(0);
  let dOffset = dv.offset;
  for (let done = 0; done < n; done += inner) {
    if (contiguousRuns) {
      D.set(S.subarray(sOffset, sOffset + inner), dOffset);
    } else {
      const dStep = ds[rank - 1], sStep = ss[rank - 1];
      for (let e = 0, di = dOffset, si = sOffset; e < inner; e++, di += dStep, si += sStep) D[di] = S[si];
    }
    // the next run: an odometer over the outer dims
    for (let d = rank - 2; d >= 0; d--) {
      dOffset += ds[d];
      sOffset += ss[d];
      if (++index[d] < c.shape[d]) break;
      index[d] = 0;
      dOffset -= ds[d] * c.shape[d];
      sOffset -= ss[d] * c.shape[d];
    }
  }
}
