/**
 * Direct 2-D max pooling on the reference backend ({@link Backend.maxPool2d}): one pass over the
 * windows forward, and a gather-style backward where each input pixel sums the gradients of the
 * windows whose recorded maximum is that pixel.
 * @module
 */
import type { Storage, View, WindowParams } from "../backend.ts";
import { windowOutputSize } from "../_view.ts";
import { newArray, type ReferenceContext } from "./storage.ts";

/** The rows `[lo, hi]` of outputs whose window (taps `o·s − p + k·d`, k < kernel) can cover input `y`. */
function coveringRange(
  y: number,
  k: number,
  s: number,
  p: number,
  d: number,
  outSize: number,
): [number, number] {
  const t = y + p;
  const a = t - (k - 1) * d;
  const lo = a <= 0 ? 0 : Math.ceil(a / s);
  const hi = Math.min(Math.floor(t / s), outSize - 1);
  return [lo, hi];
}

/**
 * `values[b, c, oy, ox] = max` over the in-image taps of the window and `indices` = that tap's
 * `iy·W + ix`; the first maximum wins and a NaN replaces the running maximum (as in PyTorch).
 * `x` is `[B·C, H, W]` read at `offset + plane·planeStride + iy·rowStride + ix·colStride`.
 */
function maxPool2dPlanes(
  x: ArrayLike<number>,
  strides: readonly [number, number, number, number],
  offset: number,
  dims: readonly [number, number, number, number],
  p: WindowParams,
  out: [number, number],
  values: { [i: number]: number },
  indices: Int32Array,
): void {
  const [B, C, H, W] = dims;
  const [Ho, Wo] = out;
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const base = offset + b * strides[0] + c * strides[1];
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++, o++) {
          let best = -Infinity, arg = -1;
          for (let ki = 0; ki < kh; ki++) {
            const iy = oy * sh - ph + ki * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ox * sw - pw + kj * dw;
              if (ix < 0 || ix >= W) continue;
              const v = x[base + iy * strides[2] + ix * strides[3]];
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
}

/** `gx[b, c, y, x] = Σ gy[b, c, oy, ox]` over the windows whose `indices` entry is `y·W + x`. */
function maxPool2dPlanesBackward(
  gy: ArrayLike<number>,
  indices: ArrayLike<number>,
  dims: readonly [number, number, number, number],
  p: WindowParams,
  out: [number, number],
  gx: { [i: number]: number },
): void {
  const [B, C, H, W] = dims;
  const [Ho, Wo] = out;
  const rows = Array.from(
    { length: H },
    (_, y) => coveringRange(y, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0], Ho),
  );
  const cols = Array.from(
    { length: W },
    (_, x) => coveringRange(x, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1], Wo),
  );
  let i = 0;
  for (let plane = 0; plane < B * C; plane++) {
    const ob = plane * Ho * Wo;
    for (let y = 0; y < H; y++) {
      const [ylo, yhi] = rows[y];
      for (let x = 0; x < W; x++, i++) {
        const [xlo, xhi] = cols[x];
        const me = y * W + x;
        let acc = 0;
        for (let oy = ylo; oy <= yhi; oy++) {
          for (let ox = xlo; ox <= xhi; ox++) {
            const o = ob + oy * Wo + ox;
            if (indices[o] === me) acc += gy[o];
          }
        }
        gx[i] = acc;
      }
    }
  }
}

/** `[Ho, Wo]` of `p` over an `H`×`W` image, 0 where the window does not fit. */
function outputSize(H: number, W: number, p: WindowParams): [number, number] {
  return [Math.max(0, windowOutputSize(H, p, 0)), Math.max(0, windowOutputSize(W, p, 1))];
}

/** {@link Backend.maxPool2d}: one pass over the windows. */
export function maxPool2d(
  ctx: ReferenceContext,
  x: Storage,
  xv: View,
  p: WindowParams,
): { values: Storage; indices: Storage } {
  const X = ctx.input("maxPool2d", x, xv);
  const [B, C, H, W] = xv.shape;
  const out = outputSize(H, W, p);
  const values = newArray(x.dtype, B * C * out[0] * out[1]);
  const indices = new Int32Array(values.length);
  const strides = xv.strides as [number, number, number, number];
  maxPool2dPlanes(X, strides, xv.offset, [B, C, H, W], p, out, values, indices);
  return { values: ctx.wrap(values, x.dtype), indices: ctx.wrap(indices, "int32") };
}

/** {@link Backend.maxPool2dBackward}: each pixel gathers from the windows that chose it. */
export function maxPool2dBackward(
  ctx: ReferenceContext,
  gy: Storage,
  indices: Storage,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const [B, C, H, W] = imageShape;
  const gx = newArray(gy.dtype, B * C * H * W);
  maxPool2dPlanesBackward(ctx.data(gy), ctx.data(indices), imageShape, p, outputSize(H, W, p), gx);
  return ctx.wrap(gx, gy.dtype);
}
