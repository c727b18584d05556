/** copyInto, fill and the random stream. @module */
import type { DType, RandomKind, Storage, View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import { castStorage } from "./elementwise.ts";
import { collapseDims, fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/**
 * WGSL turning index `rem` into offsets `di`/`si` for a rank-`rank` view, one unrolled step
 * per dim with constant indices (a loop over a uniform rank ran ~5× slower on llvmpipe).
 */
function indexSteps(rank: number): string {
  const lines: string[] = [];
  for (let d = rank - 1; d >= 1; d--) {
    lines.push(
      `  {`,
      `    let sz = dim_at(u.shape, ${d}u);`,
      `    let q = rem / sz;`,
      `    let co = i32(rem - q * sz);`,
      `    rem = q;`,
      `    di += co * stride_at(u.dstr, ${d}u);`,
      `    si += co * stride_at(u.sstr, ${d}u);`,
      `  }`,
    );
  }
  lines.push(`  di += i32(rem) * stride_at(u.dstr, 0u);`, `  si += i32(rem) * stride_at(u.sstr, 0u);`);
  return lines.join("\n");
}

function copyKernel(ctx: GpuContext, dst: DType, src: DType, rank: number, op: string) {
  const t = wgslType(dst, op);
  const s = wgslType(src, op);
  const r = Math.max(1, rank);
  const kernel = ctx.kernelFor(
    `copy:${t}:${s}|r${r}`,
    "strided",
    ["storage", "read-only-storage"],
    () => fillTemplate(TEMPLATES.copy, { T: t, SRC: s, CONV: castStorage("s", s, t), INDEX: indexSteps(r) }),
  );
  return { kernel };
}

/** Records `dst[dv] = src[sv]` (views of one shape; buffers must differ). */
function copyStrided(ctx: GpuContext, dst: WebGPUStorage, dv: View, src: WebGPUStorage, sv: View, op: string) {
  const n = numel(dv.shape);
  if (n === 0) return;
  const c = collapseDims(dv.shape, [dv.strides, sv.strides]);
  const { kernel } = copyKernel(ctx, dst.dtype, src.dtype, c.shape.length, op);
  const u = new UniformBlock()
    .u32(0, n).u32(1, c.shape.length).u32(2, dv.offset).u32(3, sv.offset)
    .dims(8, c.shape).strides(16, c.strides[0]).strides(24, c.strides[1]);
  ctx.run(kernel, u, [ctx.bind(dst), ctx.bind(src)], Math.ceil(n / 64));
}

/** A contiguous copy of all of `s` (a new live storage). */
export function copyContiguous(ctx: GpuContext, s: WebGPUStorage, op: string): WebGPUStorage {
  const out = ctx.alloc(s.size, s.dtype, op);
  const v = { shape: [s.size], strides: [1], offset: 0 };
  copyStrided(ctx, out, v, s, v, op);
  return out;
}

/** {@link Backend.copyInto}; overlapping views of one storage go through a temporary. */
export function copyInto(ctx: GpuContext, dst: Storage, dv: View, src: Storage, sv: View): void {
  const d = ctx.live(dst, "copyInto");
  const s = ctx.live(src, "copyInto");
  if (dv.shape.length !== sv.shape.length || dv.shape.some((x, i) => x !== sv.shape[i])) {
    throw new RangeError(`webgpu copyInto: shapes [${dv.shape}] and [${sv.shape}] differ`);
  }
  if (d !== s) {
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
  const kernel = ctx.kernelFor(
    `copy:${t}:${t}`,
    "fill",
    ["storage"],
    () => fillTemplate(TEMPLATES.copy, { T: t, SRC: t, CONV: castStorage("s", t, t), INDEX: indexSteps(1) }),
  );
  const u = new UniformBlock().u32(0, size).u32(4, fillBits(value, dtype));
  ctx.run(kernel, u, [ctx.bind(out)], Math.ceil(size / 64));
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
  const u = new UniformBlock().u32(0, size).u32(1, seed).u32(2, counter);
  ctx.run(kernel, u, [ctx.bind(out)], Math.ceil(size / 64));
  return out;
}
