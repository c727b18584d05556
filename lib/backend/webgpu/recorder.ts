/**
 * Batched command recording. Every dispatch is appended to one pending command
 * encoder / compute pass; the batch is submitted only on `read`/`sync` or when it
 * reaches {@link MAX_BATCH} dispatches. Per-dispatch uniforms are packed into one
 * uniform buffer, in 256-byte slots, uploaded with `queue.writeBuffer` just before
 * the submit (queue order puts that write before the batch and after the previous
 * one, so a single uniform buffer serves every batch). The uniform is bound with a
 * dynamic offset (the slot), so bind groups are independent of the slot and come
 * from a {@link BindGroupCache}.
 * @module
 */
import { BindGroupCache, type Binding } from "./bind_groups.ts";
import type { Kernel } from "./kernels.ts";
import type { PooledBuffer } from "./pool.ts";
import type { KernelProfiler } from "./profiler.ts";

export type { Binding };

/** Dispatches per batch before an automatic submit. */
export const MAX_BATCH = 256;
/** Bytes of one uniform slot (WebGPU's portable minUniformBufferOffsetAlignment). */
export const UNIFORM_SLOT = 256;
/** 32-bit words of one uniform slot. */
export const UNIFORM_WORDS = UNIFORM_SLOT / 4;

/** Records compute dispatches and copies into batches. */
export class Recorder {
  readonly #device: GPUDevice;
  readonly #uniformBuffer: GPUBuffer;
  readonly #uniformData = new Uint32Array(MAX_BATCH * UNIFORM_WORDS);
  readonly #offsets = new Uint32Array(1);
  /** Bind groups by layout and storage bindings. */
  readonly bindGroups: BindGroupCache;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** The pipeline last set on `#pass`. */
  #pipeline: GPUComputePipeline | null = null;
  #count = 0;
  /** Id of the pending (not yet submitted) batch; ids increase by one per submit. */
  batchId = 1;
  /** Submits so far (for tests and tuning). */
  submits = 0;
  /** Called just before a batch is submitted (to append copies to `encoder`). */
  beforeSubmit: ((encoder: GPUCommandEncoder) => void) | null = null;
  /** When set, every dispatch gets its own timestamped pass (see profiler.ts). */
  profiler: KernelProfiler | null = null;

  constructor(device: GPUDevice) {
    this.#device = device;
    this.#uniformBuffer = device.createBuffer({
      size: MAX_BATCH * UNIFORM_SLOT,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.bindGroups = new BindGroupCache(device, { buffer: this.#uniformBuffer, offset: 0, size: UNIFORM_SLOT });
  }

  /** Forgets the bind groups of a buffer about to be destroyed. */
  dropBuffer(buf: PooledBuffer): void {
    this.bindGroups.dropBuffer(buf);
  }

  /** Bytes of device memory the recorder itself holds. */
  get heldBytes(): number {
    return MAX_BATCH * UNIFORM_SLOT;
  }

  /** Whether the pending batch holds any command. */
  get pending(): boolean {
    return this.#encoder !== null;
  }

  #ensureEncoder(): GPUCommandEncoder {
    if (!this.#encoder) this.#encoder = this.#device.createCommandEncoder();
    return this.#encoder;
  }

  /**
   * Appends one dispatch. `uniform` (the {@link UNIFORM_WORDS} words of a slot) lands
   * in this dispatch's slot at binding 0; `bindings` follow at 1, 2, ….
   */
  dispatch(
    kernel: Kernel,
    uniform: Uint32Array,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
    group?: GPUBindGroup,
  ): GPUBindGroup {
    if (uniform.length > UNIFORM_WORDS) {
      throw new Error(`webgpu: uniform block of ${uniform.byteLength} bytes exceeds one slot`);
    }
    if (this.#count >= MAX_BATCH) this.submit();
    const encoder = this.#ensureEncoder();
    if (this.profiler && this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    if (!this.#pass) {
      this.#pass = encoder.beginComputePass(this.profiler?.passFor(kernel.name));
      this.#pipeline = null;
    }
    const slot = this.#count++;
    this.#uniformData.set(uniform, slot * UNIFORM_WORDS);
    const batchId = this.batchId;
    for (let i = 0; i < bindings.length; i++) bindings[i].buf.lastUsed = batchId;
    // (a replayed step passes the group it looked up the first time: the same buffers every replay)
    group ??= this.bindGroups.get(kernel.layout, kernel.layoutId, bindings);
    this.#offsets[0] = slot * UNIFORM_SLOT;
    const pass = this.#pass;
    if (kernel.pipeline !== this.#pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.#pipeline = kernel.pipeline;
    }
    pass.setBindGroup(0, group, this.#offsets, 0, 1);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    return group;
  }

  /** The pending encoder with its compute pass closed, for copy commands. */
  copyEncoder(): GPUCommandEncoder {
    const encoder = this.#ensureEncoder();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    return encoder;
  }

  /** Submits the pending batch (a no-op when empty) and starts a new one. */
  submit(): void {
    if (!this.#encoder) return;
    const encoder = this.copyEncoder();
    this.beforeSubmit?.(encoder);
    const profiler = this.profiler;
    const timestamps = profiler?.beforeSubmit(encoder) ?? null;
    if (this.#count > 0) {
      this.#device.queue.writeBuffer(
        this.#uniformBuffer,
        0,
        this.#uniformData,
        0,
        this.#count * UNIFORM_WORDS,
      );
    }
    this.#device.queue.submit([encoder.finish()]);
    profiler?.afterSubmit(timestamps);
    this.#encoder = null;
    this.#count = 0;
    this.batchId++;
    this.submits++;
  }
}
