/** im2col / col2im over [B, C, H, W] images. @module */
import type { Storage, View, WindowParams } from "../backend.ts";
import { windowOutputSize } from "../_view.ts";
import { fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

function geometry(u: UniformBlock, dims: readonly number[], p: WindowParams, Ho: number, Wo: number, v: View) {
  const [B, C, H, W] = dims;
  u.u32(1, B).u32(2, C).u32(3, H).u32(4, W).u32(5, Ho).u32(6, Wo)
    .u32(7, p.kernel[0]).u32(8, p.kernel[1]).u32(9, p.stride[0]).u32(10, p.stride[1])
    .i32(11, p.padding[0]).i32(12, p.padding[1]).u32(13, p.dilation[0]).u32(14, p.dilation[1])
    .u32(15, v.offset)
    .i32(16, v.strides[0]).i32(17, v.strides[1]).i32(18, v.strides[2]).i32(19, v.strides[3]);
}

/** {@link Backend.im2col}. */
export function im2col(ctx: GpuContext, x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
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

/** {@link Backend.col2im}. */
export function col2im(
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
