/**
 * copyInto, fill and the random stream. Copies and fills are memory-bound: a contiguous copy of one
 * dtype is a buffer copy, the other copies and the fills walk their elements as stream.ts lays
 * out, and a fill of a fresh storage writes whole vec4s, the last into the storage's own padding
 * (see {@link vec4Binding}).
 * @module
 */
import type { DType, RandomKind, Storage, View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import { castStorage } from "./elementwise.ts";
import { collapseDims, fillTemplate, TEMPLATES, UniformBlock, type WgslType, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";
import { streamLayout, vec4Binding } from "./stream.ts";

/** Word offsets of the copy uniform block (see kernels/copy.wgsl). */
const U_N = 0;
const U_RANK = 1;
const U_DOFF = 2;
const U_SOFF = 3;
const U_FILL = 4;
const U_PER = 5;
const U_WIDTH = 6;
const U_SHAPE = 8;
const U_DSTR = 16;
const U_SSTR = 24;

/**
 * WGSL turning index `rem` into offsets `di`/`si` for a rank-`rank` view, one unrolled step
 * per dim with constant indices (a loop over a uniform rank ran ~5× slower on llvmpipe).
 */
function indexSteps(rank: number): string {
  const lines: string[] = [];
  for (let d = rank - 1; d >= 1; d--) {
    lines.push(
      `    {`,
      `      let sz = dim_at(u.shape, ${d}u);`,
      `      let q = rem / sz;`,
      `      let co = i32(rem - q * sz);`,
      `      rem = q;`,
      `      di += co * stride_at(u.dstr, ${d}u);`,
      `      si += co * stride_at(u.sstr, ${d}u);`,
      `    }`,
    );
  }
  lines.push(`    di += i32(rem) * stride_at(u.dstr, 0u);`, `    si += i32(rem) * stride_at(u.sstr, 0u);`);
  return lines.join("\n");
}

/** The copy family's source: items of `t` (or vec4s of it) from items of `s`. */
function copySource(t: WgslType, s: WgslType, rank: number, vec4: boolean): string {
  const item = (x: WgslType) => (vec4 ? `vec4<${x}>` : x);
  return fillTemplate(TEMPLATES.copy, {
    T: item(t),
    SRC: item(s),
    CONV: vec4 ? "s" : castStorage("s", s, t),
    FILL: `${item(t)}(bitcast<${t}>(u.fillBits))`,
    INDEX: indexSteps(rank),
  });
}

/** Sets the walk of `items` in a copy-family uniform; returns the workgroups to launch. */
function walk(ctx: GpuContext, u: UniformBlock, items: number): number {
  const layout = streamLayout(ctx, items);
  u.u32(U_N, items).u32(U_PER, layout.per).u32(U_WIDTH, layout.width);
  return layout.workgroups;
}

/** Records the strided copy of `n` elements of views `dv`/`sv` (collapsed) of one shape. */
function copyStridedKernel(
  ctx: GpuContext,
  dst: WebGPUStorage,
  dv: View,
  src: WebGPUStorage,
  sv: View,
  op: string,
): void {
  const n = numel(dv.shape);
  const c = collapseDims(dv.shape, [dv.strides, sv.strides]);
  const t = wgslType(dst.dtype, op);
  const s = wgslType(src.dtype, op);
  const r = Math.max(1, c.shape.length);
  const kernel = ctx.kernelFor(
    `copy:${t}:${s}|r${r}`,
    "strided",
    ["storage", "read-only-storage"],
    () => copySource(t, s, r, false),
  );
  const u = new UniformBlock()
    .u32(U_RANK, c.shape.length).u32(U_DOFF, dv.offset).u32(U_SOFF, sv.offset)
    .dims(U_SHAPE, c.shape).strides(U_DSTR, c.strides[0]).strides(U_SSTR, c.strides[1]);
  ctx.run(kernel, u, [ctx.bind(dst), ctx.bind(src)], walk(ctx, u, n));
}

/**
 * Records `dst[dv] = src[sv]` (views of one shape, in different buffers). A contiguous copy of one
 * dtype is a buffer copy (`copyRange`: a memcpy on llvmpipe, 6× faster than a vec4 copy kernel at
 * 1M elements); anything else (strides, broadcasts, conversions) runs the strided kernel.
 */
function copyStrided(ctx: GpuContext, dst: WebGPUStorage, dv: View, src: WebGPUStorage, sv: View, op: string) {
  const n = numel(dv.shape);
  if (n === 0) return;
  const c = collapseDims(dv.shape, [dv.strides, sv.strides]);
  const contiguous = c.shape.length === 0 || (c.shape.length === 1 && c.strides[0][0] === 1 && c.strides[1][0] === 1);
  if (contiguous && dst.dtype === src.dtype) ctx.copyRange(src, sv.offset, dst, dv.offset, n);
  else copyStridedKernel(ctx, dst, dv, src, sv, op);
}

/** A contiguous copy of all of `s` (a new live storage). */
export function copyContiguous(ctx: GpuContext, s: WebGPUStorage, op: string): WebGPUStorage {
  const out = ctx.alloc(s.size, s.dtype, op);
  const v = { shape: [s.size], strides: [1], offset: 0 };
  copyStrided(ctx, out, v, s, v, op);
  return out;
}

/**
 * {@link Backend.copyInto}; views of one buffer (one storage, or windows of one) go through a
 * temporary: a kernel cannot bind a buffer both read-only and writable, nor a buffer copy use one
 * buffer as both ends.
 */
export function copyInto(ctx: GpuContext, dst: Storage, dv: View, src: Storage, sv: View): void {
  const d = ctx.live(dst, "copyInto");
  const s = ctx.live(src, "copyInto");
  if (dv.shape.length !== sv.shape.length || dv.shape.some((x, i) => x !== sv.shape[i])) {
    throw new RangeError(`webgpu copyInto: shapes [${dv.shape}] and [${sv.shape}] differ`);
  }
  if (d.buf !== s.buf) {
    copyStrided(ctx, d, dv, s, sv, "copyInto");
    return;
  }
  const n = numel(sv.shape);
  const tmp = ctx.alloc(n, s.dtype, "copyInto");
  const tv = { shape: sv.shape, strides: contiguousStrides(sv.shape), offset: 0 };
  copyStrided(ctx, tmp, tv, s, sv, "copyInto");
  copyStrided(ctx, d, dv, tmp, tv, "copyInto");
  ctx.free(tmp);
}

/** The u32 bit pattern `value` is stored as in `dtype`. */
export function fillBits(value: number, dtype: DType): number {
  if (dtype === "float32") return new Uint32Array(new Float32Array([value]).buffer)[0];
  if (dtype === "int32") return new Int32Array([value])[0] >>> 0;
  return value !== 0 ? 1 : 0;
}

/** Records a fill of a fresh storage (a kernel, so it is ordered within the batch). */
export function fill(ctx: GpuContext, size: number, value: number, dtype: DType, op: string): WebGPUStorage {
  const t = wgslType(dtype, op);
  const out = ctx.alloc(size, dtype, op);
  if (size === 0) return out;
  const wide = vec4Binding(ctx, out);
  const kernel = ctx.kernelFor(
    `copy:${t}:${t}${wide ? "|vec4" : ""}`,
    "fill",
    ["storage"],
    () => copySource(t, t, 1, wide !== null),
  );
  const u = new UniformBlock().u32(U_FILL, fillBits(value, dtype));
  ctx.run(kernel, u, [wide ?? ctx.bind(out)], walk(ctx, u, wide ? Math.ceil(size / 4) : size));
  return out;
}

let randomSource: string | null = null;

/** {@link Backend.random}. */
export function random(
  ctx: GpuContext,
  kind: RandomKind,
  size: number,
  seed: number,
  counter: number,
  dtype: DType,
): Storage {
  if (dtype !== "float32") {
    wgslType(dtype, "random");
    throw new TypeError(`webgpu random: dtype must be float32, got ${dtype}`);
  }
  const out = ctx.alloc(size, dtype, "random");
  if (size === 0) return out;
  randomSource ??= fillTemplate(TEMPLATES.random, {});
  const kernel = ctx.kernel(randomSource, kind === "uniform" ? "uniform01" : "normal01", ["storage"]);
  const u = new UniformBlock().u32(0, size).param(1, 0, seed, "u32").param(2, 1, counter, "u32");
  ctx.run(kernel, u, [ctx.bind(out)], Math.ceil(size / 64));
  return out;
}
