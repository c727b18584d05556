/**
 * im2col / col2im over [B, C, H, W] images. Past the binding limit both run in tiles of (image,
 * channel) planes: each tile reads a window of its input and its output is copied into place.
 * @module
 */
import type { Storage, View, WindowParams } from "../backend.ts";
import { contiguousStrides, numel, windowOutputSize } from "../_view.ts";
import { fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import { fitsOneBinding, place, planTile, span, subView, tilesOf, tooBig, windowOf } from "./split.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

function geometry(u: UniformBlock, dims: readonly number[], p: WindowParams, Ho: number, Wo: number, v: View) {
  const [B, C, H, W] = dims;
  u.u32(1, B).u32(2, C).u32(3, H).u32(4, W).u32(5, Ho).u32(6, Wo)
    .u32(7, p.kernel[0]).u32(8, p.kernel[1]).u32(9, p.stride[0]).u32(10, p.stride[1])
    .i32(11, p.padding[0]).i32(12, p.padding[1]).u32(13, p.dilation[0]).u32(14, p.dilation[1])
    .u32(15, v.offset)
    .i32(16, v.strides[0]).i32(17, v.strides[1]).i32(18, v.strides[2]).i32(19, v.strides[3]);
}

/**
 * Runs `run` over tiles of the leading [B, C] dims of `input` (a 4-D view of `s`) whose input
 * windows and `outShape` pieces (4-D, contiguous, [B, C] leading) fit one binding.
 */
function tiledPlanes(
  ctx: GpuContext,
  op: string,
  s: WebGPUStorage,
  input: View,
  outShape: readonly number[],
  run: (window: WebGPUStorage, view: View) => Storage,
): Storage {
  const inner = (v: View) => span({ shape: v.shape.slice(2), strides: v.strides.slice(2), offset: 0 })[1];
  const out: View = { shape: outShape, strides: contiguousStrides(outShape), offset: 0 };
  const dims = input.shape.slice(0, 2);
  const tile = planTile(ctx, dims, [
    { strides: input.strides.slice(0, 2), inner: inner(input) },
    { strides: out.strides.slice(0, 2), inner: inner(out) },
  ]);
  if (!tile) throw tooBig(ctx, op, `one [${input.shape.slice(2)}] plane of [${input.shape}] or [${outShape}]`);
  const result = ctx.alloc(numel(outShape), s.dtype, op);
  for (const t of tilesOf(dims, tile)) {
    const w = windowOf(ctx, s, subView(input, t));
    const piece = ctx.live(run(w.storage, w.view), op);
    place(ctx, result, subView(out, t), piece);
    ctx.free(piece);
  }
  return result;
}

/** {@link Backend.im2col}: in tiles of (image, channel) planes past the binding limit. */
export function im2col(ctx: GpuContext, x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
  const s = ctx.live(x, "im2col");
  if (xv.shape.length === 4) {
    const [B, C, H, W] = xv.shape;
    const outShape = [
      B,
      C,
      p.kernel[0] * p.kernel[1],
      Math.max(0, windowOutputSize(H, p, 0)) * Math.max(0, windowOutputSize(W, p, 1)),
    ];
    if (!fitsOneBinding(ctx, s.size, numel(outShape)) && numel(outShape) > 0) {
      return tiledPlanes(ctx, "im2col", s, xv, outShape, (w, v) => im2colWhole(ctx, w, v, p, padValue));
    }
  }
  return im2colWhole(ctx, s, xv, p, padValue);
}

/** im2col in one dispatch (its storages fit one binding). */
function im2colWhole(ctx: GpuContext, x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
  const s = ctx.live(x, "im2col");
  const t = wgslType(s.dtype, "im2col");
  if (xv.shape.length !== 4) throw new RangeError(`webgpu im2col: input must be [B, C, H, W], got [${xv.shape}]`);
  const [B, C, H, W] = xv.shape;
  const Ho = Math.max(0, windowOutputSize(H, p, 0));
  const Wo = Math.max(0, windowOutputSize(W, p, 1));
  const n = B * C * p.kernel[0] * p.kernel[1] * Ho * Wo;
  const out = ctx.alloc(n, s.dtype, "im2col");
  if (n === 0) return out;
  const pad = t === "f32" ? "u.padf" : t === "i32" ? "u.padi" : "u32(u.padi)";
  // Rows of at least 8 entries go one row per invocation; shorter ones one entry per invocation.
  const rows = Wo >= 8 ? n / Wo : 0;
  const kernel = ctx.kernelFor(
    `im2col:${t}`,
    rows ? "im2col_rows" : "im2col",
    ["storage", "read-only-storage"],
    () => fillTemplate(TEMPLATES.window, { T: t, ACC: t, PAD: pad, STORE: "acc" }),
  );
  const u = new UniformBlock().u32(0, rows || n).f32(20, padValue)
    .i32(21, s.dtype === "bool" ? (padValue !== 0 ? 1 : 0) : new Int32Array([padValue])[0]);
  geometry(u, xv.shape, p, Ho, Wo, xv);
  ctx.run(kernel, u, [ctx.bind(out), ctx.bind(s)], Math.ceil((rows || n) / 64));
  return out;
}

/** {@link Backend.col2im}: in tiles of (image, channel) planes past the binding limit. */
export function col2im(
  ctx: GpuContext,
  cols: Storage,
  cv: View,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const s = ctx.live(cols, "col2im");
  const n = numel(imageShape);
  const planes = cv.shape.length === 4 && cv.shape[0] === imageShape[0] && cv.shape[1] === imageShape[1];
  if (planes && !fitsOneBinding(ctx, s.size, n) && n > 0) {
    const [H, W] = imageShape.slice(2);
    return tiledPlanes(
      ctx,
      "col2im",
      s,
      cv,
      imageShape,
      (w, v) => col2imWhole(ctx, w, v, [v.shape[0], v.shape[1], H, W], p),
    );
  }
  return col2imWhole(ctx, s, cv, imageShape, p);
}

/** col2im in one dispatch (its storages fit one binding). */
function col2imWhole(
  ctx: GpuContext,
  cols: Storage,
  cv: View,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const s = ctx.live(cols, "col2im");
  const t = wgslType(s.dtype, "col2im");
  const [B, C, H, W] = imageShape;
  const Ho = Math.max(0, windowOutputSize(H, p, 0));
  const Wo = Math.max(0, windowOutputSize(W, p, 1));
  const expected = [B, C, p.kernel[0] * p.kernel[1], Ho * Wo];
  if (cv.shape.length !== 4 || cv.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`webgpu col2im: columns [${cv.shape}] should be [${expected}]`);
  }
  const n = B * C * H * W;
  const out = ctx.alloc(n, s.dtype, "col2im");
  if (n === 0) return out;
  const store = t === "u32" ? "to_bool(acc != 0u)" : "acc";
  const kernel = ctx.kernelFor(
    `col2im:${t}`,
    "col2im",
    ["storage", "read-only-storage"],
    () => fillTemplate(TEMPLATES.window, { T: t, ACC: t, PAD: `${t}(0)`, STORE: store }),
  );
  const u = new UniformBlock().u32(0, n);
  geometry(u, imageShape, p, Ho, Wo, cv);
  ctx.run(kernel, u, [ctx.bind(out), ctx.bind(s)], Math.ceil(n / 64));
  return out;
}
