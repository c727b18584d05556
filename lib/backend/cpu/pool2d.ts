/**
 * Direct 2-D max pooling of float32 images on the cpu backend ({@link Backend.maxPool2d}): the
 * forward scans each window's in-image taps, whose bounds are worked out once per output row and
 * column rather than tested per tap; the backward scatters each output's gradient onto the pixel
 * its index names, which visits every output once instead of every window covering every pixel.
 * @module
 */
import type { Storage, View, WindowParams } from "../backend.ts";
import { windowOutputSize } from "../_view.ts";
import type { CpuContext } from "./context.ts";

/** For each output position `o`, the kernel taps `[lo, hi)` whose `o·stride − pad + k·dil` is in `[0, size)`. */
function tapRanges(
  size: number,
  outSize: number,
  kernel: number,
  stride: number,
  pad: number,
  dil: number,
): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const first = o * stride - pad;
    let a = 0, b = kernel;
    while (a < kernel && first + a * dil < 0) a++;
    while (b > a && first + (b - 1) * dil >= size) b--;
    lo[o] = a;
    hi[o] = b;
  }
  return { lo, hi };
}

/** `[Ho, Wo]` of `p` over an `H`×`W` image, 0 where the window does not fit. */
function outputSize(H: number, W: number, p: WindowParams): [number, number] {
  return [Math.max(0, windowOutputSize(H, p, 0)), Math.max(0, windowOutputSize(W, p, 1))];
}

/**
 * {@link Backend.maxPool2d} for float32 `x` `[N, C, H, W]` (any strides): `values[n, c, oy, ox]`
 * is the max over the window's in-image taps and `indices` (int32) that tap's `iy·W + ix`. Taps
 * are scanned row by row; the first maximum wins and a NaN replaces the running maximum (so the
 * last NaN of a window is the one recorded, as in the reference and PyTorch). A window with no
 * tap inside the image gives `-Infinity` and index −1.
 */
export function maxPool2d(
  ctx: CpuContext,
  x: Storage,
  xv: View,
  p: WindowParams,
): { values: Storage; indices: Storage } {
  ctx.checkView("maxPool2d", x, xv);
  const [B, C, H, W] = xv.shape;
  const [s0, s1, s2, s3] = xv.strides;
  const [Ho, Wo] = outputSize(H, W, p);
  const [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  const valuesStorage = ctx.alloc(B * C * Ho * Wo, "float32", "maxPool2d");
  const indicesStorage = ctx.alloc(B * C * Ho * Wo, "int32", "maxPool2d");
  const values = ctx.f32(valuesStorage), indices = ctx.i32(indicesStorage), X = ctx.f32(x);
  const rows = tapRanges(H, Ho, p.kernel[0], sh, ph, dh);
  const cols = tapRanges(W, Wo, p.kernel[1], sw, pw, dw);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const plane = xv.offset + b * s0 + c * s1;
      for (let oy = 0; oy < Ho; oy++) {
        const kiLo = rows.lo[oy], kiHi = rows.hi[oy], y0 = oy * sh - ph;
        for (let ox = 0; ox < Wo; ox++, o++) {
          const kjLo = cols.lo[ox], kjHi = cols.hi[ox], x0 = ox * sw - pw;
          let best = -Infinity, arg = -1;
          for (let ki = kiLo; ki < kiHi; ki++) {
            const iy = y0 + ki * dh;
            const row = plane + iy * s2;
            for (let kj = kjLo; kj < kjHi; kj++) {
              const ix = x0 + kj * dw;
              const v = X[row + ix * s3];
              if (arg < 0 || v > best || v !== v) {
                best = v;
                arg = iy * W + ix;
              }
            }
          }
          values[o] = best;
          indices[o] = arg;
        }
      }
    }
  }
  return { values: valuesStorage, indices: indicesStorage };
}

/**
 * {@link Backend.maxPool2dBackward} for float32: `gx[n, c, y, x] = Σ gy[n, c, oy, ox]` over the
 * outputs whose `indices` entry is `y·W + x` (entries outside the plane, as −1 for an empty
 * window, add nothing). `gy`, `indices` contiguous `[N, C, Ho, Wo]`; returns `[N, C, H, W]`. Each
 * plane sums in float64 in output order, the order the reference's gather visits the windows, and
 * is rounded once on store, so results equal the reference's.
 */
export function maxPool2dBackward(
  ctx: CpuContext,
  gy: Storage,
  indices: Storage,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  ctx.live("maxPool2dBackward", gy);
  ctx.live("maxPool2dBackward", indices);
  const [B, C, H, W] = imageShape;
  const [Ho, Wo] = outputSize(H, W, p);
  const planeIn = H * W, planeOut = Ho * Wo;
  if (gy.size < B * C * planeOut || indices.size < B * C * planeOut) {
    throw new RangeError(
      `cpu maxPool2dBackward: gy (${gy.size} elements) and indices (${indices.size}) should hold ` +
        `[${B}, ${C}, ${Ho}, ${Wo}] for image [${imageShape}]`,
    );
  }
  const gxStorage = ctx.alloc(B * C * planeIn, "float32", "maxPool2dBackward");
  const gx = ctx.f32(gxStorage), G = ctx.f32(gy), I = ctx.i32(indices);
  const acc = new Float64Array(planeIn);
  for (let plane = 0; plane < B * C; plane++) {
    acc.fill(0);
    for (let o = plane * planeOut, end = o + planeOut; o < end; o++) {
      const at = I[o];
      if (at >= 0 && at < planeIn) acc[at] += G[o];
    }
    gx.set(acc, plane * planeIn);
  }
  return gxStorage;
}
