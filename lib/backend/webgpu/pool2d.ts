/**
 * Direct 2-D max pooling on WebGPU (kernels/pool2d.wgsl): one invocation per output forward
 * (value and flat in-plane index of the max), one per input pixel backward (gather over the
 * windows that can cover it; no atomics, no barriers).
 * @module
 */
import poolSrc from "../../../kernels/pool2d.wgsl" with { type: "text" };
import type { Storage, View, WindowParams } from "../backend.ts";
import { isContiguous, windowOutputSize } from "../_view.ts";
import { type BindingKind, fillTemplate, UniformBlock } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

const KINDS: readonly BindingKind[] = ["storage", "storage", "read-only-storage"];

function uniforms(n: number, H: number, W: number, Ho: number, Wo: number, p: WindowParams): UniformBlock {
  return new UniformBlock().u32(0, n).u32(1, H).u32(2, W).u32(3, Ho).u32(4, Wo)
    .u32(5, p.kernel[0]).u32(6, p.kernel[1]).u32(7, p.stride[0]).u32(8, p.stride[1])
    .i32(9, p.padding[0]).i32(10, p.padding[1]).u32(11, p.dilation[0]).u32(12, p.dilation[1]);
}

/** Whether the windows tile the image exactly: stride = kernel, no padding or dilation, no remainder. */
function tiles(p: WindowParams, H: number, W: number, Ho: number, Wo: number): boolean {
  const [kh, kw] = p.kernel;
  return p.stride[0] === kh && p.stride[1] === kw && p.padding[0] === 0 && p.padding[1] === 0 &&
    (kh === 1 || p.dilation[0] === 1) && (kw === 1 || p.dilation[1] === 1) && H === Ho * kh && W === Wo * kw;
}

/** {@link Backend.maxPool2d}. */
export function maxPool2d(
  ctx: GpuContext,
  x: Storage,
  xv: View,
  p: WindowParams,
): { values: Storage; indices: Storage } {
  const s = ctx.live(x, "maxPool2d");
  if (s.dtype !== "float32") throw new TypeError(`webgpu maxPool2d: expected float32 input, got ${s.dtype}`);
  if (xv.shape.length !== 4 || !isContiguous(xv) || xv.offset !== 0) {
    throw new RangeError(`webgpu maxPool2d: input must be a contiguous [N, C, H, W] view, got [${xv.shape}]`);
  }
  const [N, C, H, W] = xv.shape;
  const Ho = Math.max(0, windowOutputSize(H, p, 0));
  const Wo = Math.max(0, windowOutputSize(W, p, 1));
  const n = N * C * Ho * Wo;
  const values = ctx.alloc(n, "float32", "maxPool2d");
  const indices = ctx.alloc(n, "int32", "maxPool2d");
  if (n === 0) return { values, indices };
  const tiled = tiles(p, H, W, Ho, Wo);
  const entry = !tiled
    ? "pool_forward"
    : p.kernel[0] === 2 && p.kernel[1] === 2
    ? "pool_forward_2x2"
    : "pool_forward_tiled";
  const kernel = ctx.kernelFor("pool2d", entry, KINDS, () => fillTemplate(poolSrc, {}));
  const u = uniforms(n, H, W, Ho, Wo, p);
  ctx.run(kernel, u, [ctx.bind(values), ctx.bind(indices), ctx.bind(s)], Math.ceil(n / 64));
  return { values, indices };
}

/** {@link Backend.maxPool2dBackward}. */
export function maxPool2dBackward(
  ctx: GpuContext,
  gy: Storage,
  indices: Storage,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const g = ctx.live(gy, "maxPool2dBackward"), ix = ctx.live(indices, "maxPool2dBackward");
  const [N, C, H, W] = imageShape;
  const Ho = Math.max(0, windowOutputSize(H, p, 0));
  const Wo = Math.max(0, windowOutputSize(W, p, 1));
  const m = N * C * Ho * Wo;
  if (g.dtype !== "float32" || g.size !== m || ix.dtype !== "int32" || ix.size !== m) {
    throw new RangeError(
      `webgpu maxPool2dBackward: gy (${g.dtype}, ${g.size}) and indices (${ix.dtype}, ${ix.size}) ` +
        `should be float32 and int32 with ${m} elements`,
    );
  }
  const n = N * C * H * W;
  const out = ctx.alloc(n, "float32", "maxPool2dBackward");
  if (n === 0) return out;
  const tiled = tiles(p, H, W, Ho, Wo);
  const entry = !tiled
    ? "pool_backward"
    : p.kernel[0] === 2 && p.kernel[1] === 2
    ? "pool_backward_2x2"
    : "pool_backward_tiled";
  const kernel = ctx.kernelFor("pool2d", entry, KINDS, () => fillTemplate(poolSrc, {}));
  const u = uniforms(tiled ? m : n, H, W, Ho, Wo, p);
  ctx.run(kernel, u, [ctx.bind(out), ctx.bind(ix), ctx.bind(g)], Math.ceil((tiled ? m : n) / 64));
  return out;
}
