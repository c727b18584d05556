/**
 * WGSL sources, template filling and the pipeline cache. Templates (in
 * `kernels/*.wgsl`) only receive element types and expressions; every shape,
 * stride, offset and size travels in a uniform block. Pipelines are cached by
 * final source text plus entry point; callers name each source by a short key
 * ({@link KernelCache.keyed}) so it is generated once, not per dispatch.
 * @module
 */
import commonSrc from "../../../kernels/common.wgsl" with { type: "text" };
import mathSrc from "../../../kernels/math.wgsl" with { type: "text" };
import elementwiseSrc from "../../../kernels/elementwise.wgsl" with { type: "text" };
import fusedSrc from "../../../kernels/fused.wgsl" with { type: "text" };
import evaluateSrc from "../../../kernels/evaluate.wgsl" with { type: "text" };
import reduceSrc from "../../../kernels/reduce.wgsl" with { type: "text" };
import matmulSrc from "../../../kernels/matmul.wgsl" with { type: "text" };
import windowSrc from "../../../kernels/window.wgsl" with { type: "text" };
import indexSrc from "../../../kernels/index.wgsl" with { type: "text" };
import randomSrc from "../../../kernels/random.wgsl" with { type: "text" };
import copySrc from "../../../kernels/copy.wgsl" with { type: "text" };
import workgroupReduceSrc from "../../../kernels/workgroup_reduce.wgsl" with { type: "text" };
import crossEntropySrc from "../../../kernels/cross_entropy.wgsl" with { type: "text" };
import softmaxSrc from "../../../kernels/softmax.wgsl" with { type: "text" };
import layerNormSrc from "../../../kernels/layer_norm.wgsl" with { type: "text" };
import type { DType } from "../backend.ts";
import { currentDynamicParams } from "../capture.ts";
import { type DynamicWord, encodeWord, type WordEncoding } from "./capture.ts";
import { MAX_RANK } from "../backend.ts";
export { collapseDims } from "../_view.ts";

/** The kernel families, by file (elementwise and fused share the math helpers). */
export const TEMPLATES = {
  elementwise: mathSrc + "\n" + elementwiseSrc,
  fused: mathSrc + "\n" + fusedSrc,
  evaluate: mathSrc + "\n" + evaluateSrc,
  reduce: mathSrc + "\n" + reduceSrc,
  matmul: matmulSrc,
  window: windowSrc,
  index: indexSrc,
  random: randomSrc,
  copy: copySrc,
  // the kernels that reduce one row per workgroup share the workgroup tree reductions
  crossEntropy: workgroupReduceSrc + "\n" + crossEntropySrc,
  softmax: workgroupReduceSrc + "\n" + softmaxSrc,
  layerNorm: workgroupReduceSrc + "\n" + layerNormSrc,
} as const;

/** A WGSL storage element type. */
export type WgslType = "f32" | "i32" | "u32";

/** The storage element type of `dtype` (bool is a u32 holding 0 or 1). */
export function wgslType(dtype: DType, op = "op"): WgslType {
  switch (dtype) {
    case "float32":
      return "f32";
    case "int32":
      return "i32";
    case "bool":
      return "u32";
    case "float64":
      throw new TypeError(
        `webgpu ${op}: float64 is not supported on the webgpu backend (WGSL has no f64); use the cpu backend for float64 (e.g. gradcheck)`,
      );
    default:
      throw new TypeError(`webgpu ${op}: unknown dtype ${String(dtype)}`);
  }
}

/** `template` with every `{{KEY}}` replaced; a leftover placeholder is a bug. */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  const out = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`webgpu: template placeholder {{${key}}} has no value`);
    return v;
  });
  return commonSrc + "\n" + out;
}

/**
 * Loop steps one invocation may take, in all its loops together. llvmpipe ends every
 * invocation's loops after 65,535 back-edges in total without any error (a guard against
 * endless shaders), so kernels whose loops grow with the data split the work to stay well
 * below that: a sum of 2^23 elements otherwise came out as 8388352.
 */
export const LOOP_BUDGET = 16384;

/** Binding kinds after the uniform at binding 0. */
export type BindingKind = "storage" | "read-only-storage";

/** A compiled kernel: pipeline plus its bind group layout. */
export interface Kernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Small integer naming `layout` (part of bind group cache keys). */
  layoutId: number;
  /** What profiles call it: the entry point, or the cache key of a keyed kernel. */
  name: string;
}

/** Compiles and caches pipelines with explicit layouts. */
export class KernelCache {
  readonly #device: GPUDevice;
  /** Pipelines by source, then entry point. */
  readonly #pipelines = new Map<string, Map<string, Kernel>>();
  /** Pipelines by entry point, then caller key. */
  readonly #byKey = new Map<string, Map<string, Kernel>>();
  #count = 0;
  readonly #layouts = new Map<string, { layout: GPUBindGroupLayout; id: number }>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Number of distinct pipelines compiled. */
  get size(): number {
    return this.#count;
  }

  #layout(kinds: readonly BindingKind[]): { layout: GPUBindGroupLayout; id: number } {
    const key = kinds.join(",");
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{
        binding: 0,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform", hasDynamicOffset: true },
      }];
      kinds.forEach((type, i) =>
        entries.push({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type } })
      );
      layout = { layout: this.#device.createBindGroupLayout({ entries }), id: this.#layouts.size + 1 };
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  /** The pipeline for `source`'s `entry`, compiled on first use (identical source → one pipeline). */
  get(source: string, entry: string, kinds: readonly BindingKind[]): Kernel {
    let byEntry = this.#pipelines.get(source);
    if (!byEntry) this.#pipelines.set(source, byEntry = new Map());
    let k = byEntry.get(entry);
    if (!k) {
      const { layout, id } = this.#layout(kinds);
      const module = this.#device.createShaderModule({ code: source });
      const pipeline = this.#device.createComputePipeline({
        layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: entry },
      });
      k = { pipeline, layout, layoutId: id, name: entry };
      byEntry.set(entry, k);
      this.#count++;
    }
    return k;
  }

  /**
   * The pipeline named by the short `key` (which, with `entry`, must determine the
   * source: e.g. family, op, dtypes and variant). `source` runs only on the key's
   * first use; its result goes through {@link get}, so two keys with the same
   * source share one pipeline.
   */
  keyed(key: string, entry: string, kinds: readonly BindingKind[], source: () => string): Kernel {
    let byEntry = this.#byKey.get(entry);
    if (!byEntry) this.#byKey.set(entry, byEntry = new Map());
    let k = byEntry.get(key);
    if (!k) {
      k = { ...this.get(source(), entry, kinds), name: entry === "main" ? key : `${key} ${entry}` };
      byEntry.set(key, k);
    }
    return k;
  }
}

/**
 * Builds a uniform block word by word (u32/i32/f32 all 4 bytes), matching the
 * WGSL struct layouts: scalars, then vec4s and `array<vec4, 2>` shape/stride
 * blocks at 16-byte-aligned word offsets.
 */
export class UniformBlock {
  /** The block's 64 32-bit words (256 bytes, one uniform slot; what the recorder copies). */
  readonly words = new Uint32Array(64);

  /** The words a replay of a compiled step re-reads (see {@link param}); null when none. */
  dynamic: DynamicWord[] | null = null;

  /**
   * Sets word `i` to param `index` of the backend call, encoded as `enc`. While a step is traced
   * and that param is dynamic (lib/backend/capture.ts), the word is remembered for replays.
   */
  param(i: number, index: number, value: number, enc: WordEncoding): this {
    this.words[i] = encodeWord(enc, value);
    const dynamic = currentDynamicParams();
    if (dynamic !== null) {
      for (const d of dynamic) if (d.index === index) (this.dynamic ??= []).push({ word: i, get: d.get, enc });
    }
    return this;
  }

  /** Words holding fault ids ({@link fault}): they differ between traces of one step by design. */
  faultWords: number[] | null = null;

  /** Sets word `i` to the fault id `id` a kernel writes when it faults (see faults.ts). */
  fault(i: number, id: number): this {
    this.words[i] = id >>> 0;
    (this.faultWords ??= []).push(i);
    return this;
  }

  /** Sets word `i` to an unsigned value (wrapped to u32). */
  u32(i: number, v: number): this {
    this.words[i] = v >>> 0;
    return this;
  }
  /** Sets word `i` to a signed value (stored as its two's-complement bits). */
  i32(i: number, v: number): this {
    this.words[i] = v | 0;
    return this;
  }
  /** Sets word `i` to a float32. */
  f32(i: number, v: number): this {
    F32[0] = v;
    this.words[i] = F32_BITS[0];
    return this;
  }
  /** Writes up to MAX_RANK dims (unsigned) starting at word `i` (8 words). */
  dims(i: number, values: readonly number[]): this {
    if (values.length > MAX_RANK) throw new RangeError(`webgpu: rank ${values.length} exceeds ${MAX_RANK}`);
    for (let d = 0; d < MAX_RANK; d++) this.words[i + d] = d < values.length ? values[d] : 1;
    return this;
  }
  /** Writes up to MAX_RANK strides (signed) starting at word `i` (8 words). */
  strides(i: number, values: readonly number[]): this {
    if (values.length > MAX_RANK) throw new RangeError(`webgpu: rank ${values.length} exceeds ${MAX_RANK}`);
    for (let d = 0; d < MAX_RANK; d++) this.words[i + d] = d < values.length ? values[d] | 0 : 0;
    return this;
  }
}

/** Scratch for float32 → bits conversion. */
const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * A workgroup grid of `count` workgroups within `maxPerDim` per dimension:
 * 1-D when it fits, else 2-D (or 3-D); kernels linearize with `group_index`
 * and skip the overshoot.
 */
export function gridFor(count: number, maxPerDim: number): [number, number, number] {
  if (count <= maxPerDim) return [Math.max(count, 1), 1, 1];
  const y = Math.ceil(count / maxPerDim);
  if (y <= maxPerDim) return [Math.ceil(count / y), y, 1];
  const z = Math.ceil(y / maxPerDim);
  if (z > maxPerDim) throw new RangeError(`webgpu: ${count} workgroups exceed the 3-D grid`);
  const yy = Math.ceil(count / (maxPerDim * z));
  return [maxPerDim, yy, z];
}
