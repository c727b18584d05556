/**
 * Batched command recording. Every dispatch is appended to one pending command
 * encoder / compute pass; the batch is submitted only on `read`/`sync` or when it
 * reaches {@link MAX_BATCH} dispatches. Per-dispatch uniforms are packed into one
 * uniform buffer, in 256-byte slots, uploaded with `queue.writeBuffer` just before
 * the submit (queue order puts that write before the batch and after the previous
 * one, so a single uniform buffer serves every batch).
 * @module
 */
import type { PooledBuffer } from "./pool.ts";

/** Dispatches per batch before an automatic submit. */
export const MAX_BATCH = 256;
/** Bytes of one uniform slot (WebGPU's portable minUniformBufferOffsetAlignment). */
export const UNIFORM_SLOT = 256;

/** A storage binding: a pooled buffer and the byte range the kernel sees. */
export interface Binding {
  buf: PooledBuffer;
  /** Bytes bound from offset 0 (a non-zero multiple of 4). */
  size: number;
}

/** Records compute dispatches and copies into batches. */
export class Recorder {
  readonly #device: GPUDevice;
  readonly #uniformBuffer: GPUBuffer;
  readonly #uniformData = new Uint8Array(MAX_BATCH * UNIFORM_SLOT);
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #count = 0;
  /** Id of the pending (not yet submitted) batch; ids increase by one per submit. */
  batchId = 1;
  /** Submits so far (for tests and tuning). */
  submits = 0;
  /** Called just before a batch is submitted (to append copies to `encoder`). */
  beforeSubmit: ((encoder: GPUCommandEncoder) => void) | null = null;

  constructor(device: GPUDevice) {
    this.#device = device;
    this.#uniformBuffer = device.createBuffer({
      size: MAX_BATCH * UNIFORM_SLOT,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
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
   * Appends one dispatch. `uniform` (at most 256 bytes) lands in this dispatch's
   * slot at binding 0; `bindings` follow at 1, 2, ….
   */
  dispatch(
    pipeline: GPUComputePipeline,
    layout: GPUBindGroupLayout,
    uniform: ArrayBuffer,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
  ): void {
    if (uniform.byteLength > UNIFORM_SLOT) {
      throw new Error(`webgpu: uniform block of ${uniform.byteLength} bytes exceeds one slot`);
    }
    if (this.#count >= MAX_BATCH) this.submit();
    const encoder = this.#ensureEncoder();
    if (!this.#pass) this.#pass = encoder.beginComputePass();
    const slot = this.#count++;
    this.#uniformData.set(new Uint8Array(uniform), slot * UNIFORM_SLOT);
    const entries: GPUBindGroupEntry[] = [{
      binding: 0,
      resource: { buffer: this.#uniformBuffer, offset: slot * UNIFORM_SLOT, size: UNIFORM_SLOT },
    }];
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      b.buf.lastUsed = this.batchId;
      entries.push({ binding: i + 1, resource: { buffer: b.buf.buffer, offset: 0, size: b.size } });
    }
    const group = this.#device.createBindGroup({ layout, entries });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
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
    if (this.#count > 0) {
      this.#device.queue.writeBuffer(
        this.#uniformBuffer,
        0,
        this.#uniformData,
        0,
        this.#count * UNIFORM_SLOT,
      );
    }
    this.#device.queue.submit([encoder.finish()]);
    this.#encoder = null;
    this.#count = 0;
    this.batchId++;
    this.submits++;
  }
}
