/**
 * How memory-bound kernels (fused, copy, fill) walk their elements, and when they may move them
 * four at a time as `vec4`s. Measured on llvmpipe (bench/memory.ts; kernels/README.md, "Streaming
 * kernels"): Mesa's software driver runs a workgroup as rows of 8 invocations (256-bit SIMD),
 * each row through the whole shader before the next, and loads or stores storage one lane at a
 * time (an unrolled loop over the row with a bounds check per component). So there it pays to
 *
 * - move a `vec4` per access (four components per lane step instead of one),
 * - give each invocation a long contiguous run of items and launch only a few workgroups per
 *   thread (each workgroup is a task with its own start-up cost),
 * - and keep each row of 8 lanes on one contiguous block: a grid-stride walk makes every row
 *   stride through memory `total` items apart, and its cache lines are evicted before the next
 *   row reads their other halves.
 *
 * On a GPU the usual grid-stride walk, a few items per invocation over many workgroups, stays.
 * Both walks are one WGSL loop, set by the uniform (`per`, `width`; see {@link StreamLayout}).
 * @module
 */
import { LOOP_BUDGET } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";
import type { Binding } from "./recorder.ts";

/** Invocations per workgroup of the streaming kernels (their `@workgroup_size`). */
export const STREAM_WORKGROUP = 64;
/** Lanes llvmpipe runs as one SIMD row (256-bit AVX2 vectors of 32-bit values). */
const SOFTWARE_ROW = 8;
/** Items per invocation on a GPU before more workgroups are launched. */
const GPU_ITEMS_PER_INVOCATION = 4;
/** Workgroups one GPU dispatch launches at most; past that, invocations take more items. */
const GPU_MAX_WORKGROUPS = 16384;

/**
 * One dispatch's walk over `count` items: invocations form teams of `width` consecutive ids; team
 * t covers items [t·width·per, (t+1)·width·per), its members interleaved (member m takes
 * t·width·per + m, then every `width`-th). `width` = all invocations is the grid-stride loop.
 */
export interface StreamLayout {
  workgroups: number;
  /** Items each invocation takes at most (≤ LOOP_BUDGET: llvmpipe stops longer loops). */
  per: number;
  /** Invocations per team. */
  width: number;
}

/** Whether `ctx` runs on a software adapter (llvmpipe / lavapipe report a fallback adapter). */
export function isSoftware(ctx: GpuContext): boolean {
  const description = (ctx as { description?: unknown }).description;
  return typeof description === "string" && description.includes("fallback adapter");
}

/** The walk over `count` items (> 0) on `ctx`'s device (see the module docs for why). */
export function streamLayout(ctx: GpuContext, count: number): StreamLayout {
  const maxWorkgroups = ctx.limits.maxComputeWorkgroupsPerDimension ** 2;
  // the fewest workgroups that keep every invocation's loop under llvmpipe's guard
  const atLeast = Math.ceil(count / (STREAM_WORKGROUP * LOOP_BUDGET));
  if (isSoftware(ctx)) {
    // ctx.parallelism is a few workgroups per thread: 1, 2 or 4 times as many ran alike here
    const wanted = Math.min(ctx.parallelism, Math.ceil(count / STREAM_WORKGROUP));
    const workgroups = Math.min(maxWorkgroups, Math.max(atLeast, wanted));
    const per = Math.ceil(count / (workgroups * STREAM_WORKGROUP));
    return { workgroups, per, width: SOFTWARE_ROW };
  }
  const wanted = Math.ceil(count / (STREAM_WORKGROUP * GPU_ITEMS_PER_INVOCATION));
  const workgroups = Math.min(maxWorkgroups, Math.max(atLeast, Math.min(GPU_MAX_WORKGROUPS, wanted)));
  const total = workgroups * STREAM_WORKGROUP;
  return { workgroups, per: Math.ceil(count / total), width: total };
}

/** Bytes a vec4 binding of `elements` 4-byte elements covers: whole vec4s. */
function vec4Bytes(elements: number): number {
  return Math.max(1, Math.ceil(elements / 4)) * 16;
}

/**
 * `s` bound as whole vec4s (its byte size rounded up to 16), or null when its buffer has no room
 * for that past the storage's start or the binding would pass the device's limit. The up to 3
 * elements past the storage's end are then in the binding: a kernel may read them (and discard
 * what it computes from them) and, only for a storage it just allocated (which owns its pooled
 * buffer from byte 0 to the bucket's capacity, a multiple of 16), write them. Windows into a
 * bigger buffer (split.ts) qualify for reads; their offsets are aligned to at least 32 bytes.
 */
export function vec4Binding(ctx: GpuContext, s: WebGPUStorage): Binding | null {
  const b = ctx.bind(s);
  const bytes = vec4Bytes(s.size);
  if ((b.offset ?? 0) % 16 !== 0 || (b.offset ?? 0) + bytes > b.buf.capacity) return null;
  if (bytes > ctx.limits.maxStorageBufferBindingSize) return null;
  return { ...b, size: bytes };
}
