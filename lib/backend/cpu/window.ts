/**
 * im2col / col2im over float32 `[B, C, H, W]` images on the cpu backend, the convolution's hot
 * path. Both walk the columns one output row (`Wo` entries) at a time: the taps of a row that fall
 * inside the image form one run whose bounds depend only on the kernel column, so they are worked
 * out once per call, and each row is a padding run, a strided copy (a straight copy at stride 1)
 * and a padding run, with no division or bounds test per element.
 * @module
 */
import type { Storage, View, WindowParams } from "../backend.ts";
import { windowOutputSize } from "../_view.ts";
import type { CpuContext } from "./context.ts";

/**
 * The output columns `[lo, hi)` whose tap `o·stride − pad + k·dil` lies in `[0, size)`, for each
 * kernel offset `k`, and the input position `start` of the first of them. Rows use the same
 * function along the height.
 */
function insideRuns(
  size: number,
  outSize: number,
  kernel: number,
  stride: number,
  pad: number,
  dil: number,
): { lo: Int32Array; hi: Int32Array; start: Int32Array } {
  const lo = new Int32Array(kernel), hi = new Int32Array(kernel), start = new Int32Array(kernel);
  for (let k = 0; k < kernel; k++) {
    const shift = k * dil - pad;
    // first o with o·stride + shift ≥ 0, and one past the last with o·stride + shift ≤ size − 1
    const first = shift >= 0 ? 0 : Math.ceil(-shift / stride);
    const last = size - 1 - shift < 0 ? -1 : Math.floor((size - 1 - shift) / stride);
    lo[k] = Math.min(first, outSize);
    hi[k] = Math.max(lo[k], Math.min(last + 1, outSize));
    start[k] = lo[k] * stride + shift;
  }
  return { lo, hi, start };
}

/**
 * {@link Backend.im2col} for float32: `[B, C, H, W]` (any strides) → contiguous
 * `[B, C, kh·kw, Ho·Wo]` where entry `(b, c, ki·kw + kj, oy·Wo + ox)` is
 * `x[b, c, oy·sh − ph + ki·dh, ox·sw − pw + kj·dw]`, or `padValue` outside the image.
 */
export function im2col(ctx: CpuContext, x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
  ctx.checkView("im2col", x, xv);
  const [B, C, H, W] = xv.shape;
  const [s0, s1, s2, s3] = xv.strides;
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const Ho = Math.max(0, windowOutputSize(H, p, 0)), Wo = Math.max(0, windowOutputSize(W, p, 1));
  const out = ctx.alloc(B * C * kh * kw * Ho * Wo, "float32", "im2col");
  const O = ctx.f32(out), X = ctx.f32(x);
  // padValue is stored as float32 (Float32Array assignment rounds it, as the reference's does)
  const pad = padValue;
  const cols = insideRuns(W, Wo, kw, sw, pw, dw);
  const rows = insideRuns(H, Ho, kh, sh, ph, dh);
  const step = sw * s3;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const plane = xv.offset + b * s0 + c * s1;
      for (let ki = 0; ki < kh; ki++) {
        const yLo = rows.lo[ki], yHi = rows.hi[ki];
        for (let kj = 0; kj < kw; kj++) {
          const lo = cols.lo[kj], hi = cols.hi[kj];
          // rows above and below the image are all padding
          for (const end = o + yLo * Wo; o < end; o++) O[o] = pad;
          let src = plane + rows.start[ki] * s2 + cols.start[kj] * s3;
          for (let oy = yLo; oy < yHi; oy++, src += sh * s2) {
            const rowEnd = o + Wo;
            for (const end = o + lo; o < end; o++) O[o] = pad;
            if (step === 1) {
              for (let i = src, end = o + hi - lo; o < end; o++, i++) O[o] = X[i];
            } else {
              for (let i = src, end = o + hi - lo; o < end; o++, i += step) O[o] = X[i];
            }
            for (; o < rowEnd; o++) O[o] = pad;
          }
          for (const end = o + (Ho - yHi) * Wo; o < end; o++) O[o] = pad;
        }
      }
    }
  }
  return out;
}

/**
 * {@link Backend.col2im} for float32, the adjoint of {@link im2col} with padding 0: `cv` is
 * `[B, C, kh·kw, Ho·Wo]` (any strides); returns contiguous `[B, C, H, W]` where each pixel is the
 * sum of the column entries that read it. Each image plane sums in a float64 scratch plane in
 * the reference's order (kernel tap, then output row, then column) and is rounded once on store,
 * so results equal the reference's.
 */
export function col2im(
  ctx: CpuContext,
  cols: Storage,
  cv: View,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  ctx.checkView("col2im", cols, cv);
  const [B, C, H, W] = imageShape;
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const HoRaw = windowOutputSize(H, p, 0), WoRaw = windowOutputSize(W, p, 1);
  const expected = [B, C, kh * kw, HoRaw * WoRaw];
  if (cv.shape.length !== 4 || cv.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`cpu col2im: columns [${cv.shape}] should be [${expected}]`);
  }
  const Ho = Math.max(0, HoRaw), Wo = Math.max(0, WoRaw);
  const [t0, t1, t2, t3] = cv.strides;
  const out = ctx.alloc(B * C * H * W, "float32", "col2im");
  const O = ctx.f32(out), S = ctx.f32(cols);
  const colRuns = insideRuns(W, Wo, kw, sw, pw, dw);
  const rowRuns = insideRuns(H, Ho, kh, sh, ph, dh);
  const acc = new Float64Array(H * W);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      acc.fill(0);
      const plane = cv.offset + b * t0 + c * t1;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const lo = colRuns.lo[kj], n = colRuns.hi[kj] - lo;
          const tap = plane + (ki * kw + kj) * t2 + lo * t3;
          let dst = rowRuns.start[ki] * W + colRuns.start[kj];
          for (let oy = rowRuns.lo[ki]; oy < rowRuns.hi[ki]; oy++, dst += sh * W) {
            const src = tap + oy * Wo * t3;
            if (sw === 1 && t3 === 1) {
              for (let i = 0; i < n; i++) acc[dst + i] += S[src + i];
            } else {
              for (let i = 0, d = dst, s = src; i < n; i++, d += sw, s += t3) acc[d] += S[s];
            }
          }
        }
      }
      O.set(acc, (b * C + c) * H * W);
    }
  }
  return out;
}
