/** im2col / col2im over `[B, C, H, W]` images on the reference backend. @module */
import type { Storage, View, WindowParams } from "../backend.ts";
import { windowOutputSize } from "../_view.ts";
import { boolOf, newArray, type ReferenceContext, sameShape } from "./storage.ts";
import { viewOffsets } from "./strided.ts";

/** {@link Backend.im2col}: `[B, C, H, W]` → `[B, C, kh·kw, Ho·Wo]` sliding-window columns. */
export function im2col(ctx: ReferenceContext, x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
  const X = ctx.input("im2col", x, xv);
  const [B, C, H, W] = xv.shape;
  const [s0, s1, s2, s3] = xv.strides;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const Ho = windowOutputSize(H, p, 0);
  const Wo = windowOutputSize(W, p, 1);
  const out = newArray(
    x.dtype,
    B * C * kh * kw * Math.max(Ho, 0) * Math.max(Wo, 0),
  );
  const pad = x.dtype === "bool" ? boolOf(padValue) : padValue;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const base = xv.offset + b * s0 + c * s1;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          for (let oy = 0; oy < Ho; oy++) {
            const y = oy * sh - ph + ki * dh;
            const rowInside = y >= 0 && y < H;
            for (let ox = 0; ox < Wo; ox++) {
              const xx = ox * sw - pw + kj * dw;
              out[o++] = rowInside && xx >= 0 && xx < W ? X[base + y * s2 + xx * s3] : pad;
            }
          }
        }
      }
    }
  }
  return ctx.wrap(out, x.dtype);
}

/** {@link Backend.col2im}, the adjoint of {@link im2col}: sums every column entry back onto the pixel it read. */
export function col2im(
  ctx: ReferenceContext,
  cols: Storage,
  cv: View,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const src = ctx.input("col2im", cols, cv);
  const [B, C, H, W] = imageShape;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [ph, pw] = p.padding;
  const [dh, dw] = p.dilation;
  const Ho = windowOutputSize(H, p, 0);
  const Wo = windowOutputSize(W, p, 1);
  const expected = [B, C, kh * kw, Ho * Wo];
  if (!sameShape(cv.shape, expected)) {
    throw new RangeError(
      `cpu col2im: columns [${cv.shape}] should be [${expected}]`,
    );
  }
  const off = viewOffsets(cv);
  const acc = new Float64Array(B * C * H * W);
  let q = 0;
  for (let bc = 0; bc < B * C; bc++) {
    const base = bc * H * W;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let oy = 0; oy < Ho; oy++) {
          const y = oy * sh - ph + ki * dh;
          const rowInside = y >= 0 && y < H;
          for (let ox = 0; ox < Wo; ox++, q++) {
            const xx = ox * sw - pw + kj * dw;
            if (rowInside && xx >= 0 && xx < W) {
              acc[base + y * W + xx] += src[off[q]];
            }
          }
        }
      }
    }
  }
  const out = newArray(cols.dtype, acc.length);
  if (cols.dtype === "bool") {
    for (let i = 0; i < acc.length; i++) out[i] = boolOf(acc[i]);
  } else {
    out.set(acc);
  }
  return ctx.wrap(out, cols.dtype);
}
