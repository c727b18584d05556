/**
 * What goes wrong on the device, and how it reaches the user as an Error: GPU errors (out of
 * memory, validation) and the deferred fault record that gather, scatterAdd, crossEntropy and
 * assertNone write instead of throwing (a kernel cannot throw; reading the record on every call
 * would cost a readback each). The record is copied out with the next `read`/`sync`.
 * @module
 */
import type { Binding } from "./bind_groups.ts";
import { type BufferPool, pooledBuffer } from "./pool.ts";
import type { Recorder } from "./recorder.ts";

/** Bytes of the fault record: [op id, offending index, pad, pad]. */
export const FAULT_BYTES = 16;

/** An Error saying what a GPUError means and what to do about it. */
export function describeGpuError(error: GPUError, during: string): Error {
  if (error instanceof GPUOutOfMemoryError) {
    return new Error(
      `webgpu: out of GPU memory during ${during} (${error.message || "no details"}); free tensors with ` +
        "dispose()/tidy(), use smaller batches or models, or use the cpu backend",
    );
  }
  if (error instanceof GPUValidationError) {
    return new Error(
      `webgpu: validation error during ${during}: ${error.message} (denograd should have rejected this ` +
        "input with a clear error first; please report it with the code that triggered it)",
    );
  }
  return new Error(`webgpu: internal GPU error during ${during}: ${error.message}`);
}

/** What a registered op needs to describe its fault. */
interface FaultInfo {
  opName: string;
  dim: number;
  size: number;
  describe?: (index: number) => string;
}

/**
 * The device's fault record: a 16-byte storage buffer where the first faulting kernel stores
 * its op id (registered here before the dispatch) and the offending index.
 */
export class FaultRecord {
  readonly #device: GPUDevice;
  readonly #buffer: GPUBuffer;
  readonly #binding: Binding;
  #ops = new Map<number, FaultInfo>();
  #nextId = 1;
  #dirty = false;

  constructor(device: GPUDevice, usage: GPUBufferUsageFlags) {
    this.#device = device;
    this.#buffer = device.createBuffer({ size: FAULT_BYTES, usage });
    this.#binding = { buf: pooledBuffer(this.#buffer, FAULT_BYTES), size: FAULT_BYTES };
  }

  /** The record's binding, for kernels that can fault. */
  get binding(): Binding {
    return this.#binding;
  }

  /** Registers a possible range fault (or, with `describe`, any fault); returns its id for the kernel. */
  register(opName: string, dim: number, size: number, describe?: (index: number) => string): number {
    const id = this.#nextId++;
    if (this.#nextId > 0xfffffff0) this.#nextId = 1;
    this.#ops.set(id, { opName, dim, size, describe });
    this.#dirty = true;
    return id;
  }

  /** Registers `id` again (a replayed kernel of a compiled step writes the id it was traced with). */
  restore(id: number, opName: string, dim: number, size: number, describe?: (index: number) => string): void {
    this.#ops.set(id, { opName, dim, size, describe });
    this.#dirty = true;
  }

  /** Whether a kernel that can fault ran since the last check. */
  get needsCheck(): boolean {
    return this.#dirty;
  }

  /**
   * When a kernel that can fault ran since the last check, appends a copy of the record to
   * `dst` at `offset` (FAULT_BYTES bytes) in `encoder` and returns the check to run on those bytes
   * once they are mapped; else null. The check hands a recorded fault to `report` (as a maker of
   * its RangeError) and clears the record.
   */
  takeCheck(
    encoder: GPUCommandEncoder,
    dst: GPUBuffer,
    offset: number,
    report: (fault: () => Error) => void,
  ): ((record: Int32Array) => void) | null {
    if (!this.#dirty) return null;
    encoder.copyBufferToBuffer(this.#buffer, 0, dst, offset, FAULT_BYTES);
    const ops = this.#ops;
    this.#ops = new Map();
    this.#dirty = false;
    return (rec) => {
      const id = rec[0] >>> 0;
      if (id !== 0) {
        this.#device.queue.writeBuffer(this.#buffer, 0, new Uint32Array(4));
        report(() => faultError(ops.get(id), rec[1]));
      }
    };
  }

  /**
   * Submits the recorder's batch with {@link takeCheck}'s copy in its own staging buffer. Resolves
   * after that copy is inspected (it never rejects for a fault; `report` receives it).
   */
  submit(recorder: Recorder, staging: BufferPool, report: (fault: () => Error) => void): Promise<void> {
    if (!this.#dirty) {
      recorder.submit();
      return Promise.resolve();
    }
    const copy = staging.acquire(FAULT_BYTES);
    const check = this.takeCheck(recorder.copyEncoder(), copy.buffer, 0, report)!;
    recorder.submit();
    return (async () => {
      try {
        await copy.buffer.mapAsync(GPUMapMode.READ, 0, FAULT_BYTES);
        const rec = new Int32Array(copy.buffer.getMappedRange(0, FAULT_BYTES).slice(0));
        copy.buffer.unmap();
        check(rec);
      } finally {
        staging.release(copy);
      }
    })();
  }
}

/** The RangeError of a recorded fault at `index` by the op `info` registered (if still known). */
function faultError(info: FaultInfo | undefined, index: number): RangeError {
  return new RangeError(
    info?.describe
      ? `${info.describe(index)} (detected on webgpu at the next readback)`
      : info
      ? `${info.opName}: index ${index} is out of range for dimension ${info.dim} of size ${info.size} ` +
        `(valid range [0, ${info.size}); detected on webgpu, where the index was clamped)`
      : `webgpu: an index was out of range (index ${index}) in an earlier gather/scatterAdd`,
  );
}
