/**
 * The device side of the WebGPU backend: pooled storage, batched dispatch, readback, device loss
 * and deferred faults. It implements {@link GpuContext}, what the kernel-family modules use, and
 * the storage half of the {@link Backend} contract; backend.ts adds the primitives.
 * @module
 */
import type { Backend, DType, HostArray, KernelTime, MemoryStats, Storage } from "../backend.ts";
import type { BindGroupStats } from "./bind_groups.ts";
import { type DeviceLimits, softwareThreads } from "./device.ts";
import { describeGpuError, FAULT_BYTES, FaultRecord } from "./faults.ts";
import { type BindingKind, gridFor, type Kernel, KernelCache, type UniformBlock, wgslType } from "./kernels.ts";
import { fill } from "./misc.ts";
import { BufferPool } from "./pool.ts";
import { KernelProfiler } from "./profiler.ts";
import { type Binding, MAX_BATCH, Recorder } from "./recorder.ts";
import { ELEMENT_BYTES, type GpuContext, WebGPUStorage } from "./storage.ts";

/** Allocations from this size on are wrapped in an out-of-memory error scope. */
const BIG_ALLOCATION = 16 << 20;

/**
 * Device, memory and batches of one WebGPU device; abstract because only {@link WebGPUBackend}
 * (backend.ts), which adds the primitives, is ever created.
 */
export abstract class GpuRuntime implements GpuContext {
  /** Adapter description and backend. */
  readonly description: string;
  /** @internal See {@link GpuContext.parallelism}. */
  readonly parallelism: number;
  /** The device limits kernels respect. */
  readonly limits: DeviceLimits;
  /** The device itself. */
  readonly device: GPUDevice;

  readonly #kernels: KernelCache;
  readonly #recorder: Recorder;
  readonly #storagePool: BufferPool;
  readonly #stagingPool: BufferPool;
  readonly #faults: FaultRecord;
  #pendingError: Error | null = null;
  /** Keeps the first fault or GPU error until the next read or sync throws it. */
  readonly #report = (fault: () => Error): void => {
    this.#pendingError ??= fault();
  };
  #liveStorages = 0;
  #liveBytes = 0;
  /** Why the device is unusable (lost or replaced by resetDevice), or null while it works. */
  #lost: string | null = null;
  /** This runtime as the Backend its storages name: every instance is a WebGPUBackend (this class is abstract). */
  readonly #backend = this as this & Backend;

  constructor(device: GPUDevice, limits: DeviceLimits, description: string) {
    this.device = device;
    this.limits = limits;
    this.description = description;
    // On the H200, 64 beat 8 and 256 for the CIFAR CNN step's split-K products (GPU time 2.4 ms
    // against 4.4 and 5.0); on llvmpipe a few workgroups per thread keep the cores busy.
    this.parallelism = description.includes("fallback adapter") ? 4 * softwareThreads() : 64;
    this.#kernels = new KernelCache(device);
    this.#recorder = new Recorder(device);
    const storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.#storagePool = new BufferPool(device, storageUsage, limits.maxBufferSize);
    this.#stagingPool = new BufferPool(
      device,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      limits.maxBufferSize,
    );
    this.#faults = new FaultRecord(device, storageUsage);
    this.#storagePool.onDestroy = (b) => this.#recorder.dropBuffer(b);
    device.addEventListener("uncapturederror", (e) => {
      e.preventDefault();
      this.#report(() => describeGpuError((e as GPUUncapturedErrorEvent).error, "a kernel or allocation"));
    });
    device.lost.then((info) => {
      this.#lost ??= `the GPU device was lost (reason: ${info.reason ?? "unknown"}${
        info.message ? `, "${info.message}"` : ""
      })`;
    });
  }

  /** Whether the device was lost or replaced; every storage on it is then unusable. */
  get isLost(): boolean {
    return this.#lost !== null;
  }

  /** @internal The Error raised by any use of this backend once its device is gone. */
  lostError(op: string): Error {
    return new Error(
      `webgpu ${op}: ${this.#lost ?? "the GPU device is unusable"}; tensors created on it cannot be used ` +
        "any more. Call `await resetDevice()` to request a new device, then recreate the tensors " +
        "(e.g. reload the model from a checkpoint with load())",
    );
  }

  /** @internal Marks this backend replaced (by resetDevice) and releases its device. */
  retire(): void {
    this.#lost ??= "the device was replaced by resetDevice()";
    this.device.destroy();
  }

  // ---- GpuContext -------------------------------------------------------------

  /** @internal */
  kernel(source: string, entry: string, kinds: readonly BindingKind[]): Kernel {
    return this.#kernels.get(source, entry, kinds);
  }

  /** @internal */
  kernelFor(key: string, entry: string, kinds: readonly BindingKind[], source: () => string): Kernel {
    return this.#kernels.keyed(key, entry, kinds, source);
  }

  #checkSize(size: number, op: string): number {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`webgpu ${op}: invalid size ${size}`);
    const bytes = size * ELEMENT_BYTES;
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > limit) {
      throw new RangeError(
        `webgpu ${op}: a storage of ${size} elements (${bytes} bytes) exceeds this device's ` +
          `maxStorageBufferBindingSize of ${limit} bytes; split the tensor into smaller pieces ` +
          `(e.g. smaller batches) or use the cpu backend`,
      );
    }
    return bytes;
  }

  #wrap(size: number, dtype: DType, idleBefore: number, op: string): WebGPUStorage {
    if (this.#lost !== null) throw this.lostError(op);
    wgslType(dtype, op);
    const bytes = this.#checkSize(size, op);
    const big = bytes >= BIG_ALLOCATION;
    if (big) this.device.pushErrorScope("out-of-memory");
    const buf = this.#storagePool.acquire(bytes, idleBefore);
    if (big) {
      this.device.popErrorScope().then((err) => {
        if (err) this.#report(() => describeGpuError(err, `${op} (allocating ${bytes} bytes)`));
      }, () => {});
    }
    this.#liveStorages++;
    this.#liveBytes += bytes;
    return new WebGPUStorage(this.#backend, size, dtype, buf);
  }

  /** @internal A fresh output storage; it may reuse a buffer the pending batch used. */
  alloc(size: number, dtype: DType, op: string): WebGPUStorage {
    return this.#wrap(size, dtype, Infinity, op);
  }

  /** @internal */
  live(s: Storage, op: string): WebGPUStorage {
    if (
      s instanceof WebGPUStorage && s.backend !== this.#backend && s.backend instanceof GpuRuntime && s.backend.isLost
    ) {
      throw s.backend.lostError(op);
    }
    if (!(s instanceof WebGPUStorage) || s.backend !== this.#backend) {
      throw new TypeError(`webgpu ${op}: storage belongs to another backend`);
    }
    if (this.#lost !== null) throw this.lostError(op);
    if (!s.buf) throw new Error(`webgpu ${op}: storage was already freed (disposed tensor used again?)`);
    return s;
  }

  /** @internal */
  bind(s: WebGPUStorage): Binding {
    return { buf: s.buf!, size: Math.max(ELEMENT_BYTES, s.bytes) };
  }

  /** @internal */
  faultBinding(): Binding {
    return this.#faults.binding;
  }

  /** @internal */
  registerFault(opName: string, dim: number, size: number, describe?: (index: number) => string): number {
    return this.#faults.register(opName, dim, size, describe);
  }

  /** @internal */
  run(kernel: Kernel, uniform: UniformBlock, bindings: readonly Binding[], workgroups: number): void {
    if (workgroups <= 0) return;
    this.runGrid(kernel, uniform, bindings, gridFor(workgroups, this.limits.maxComputeWorkgroupsPerDimension));
  }

  /** @internal */
  runGrid(
    kernel: Kernel,
    uniform: UniformBlock,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
  ): void {
    this.#recorder.dispatch(kernel, uniform.words, bindings, grid);
  }

  // ---- storage ------------------------------------------------------------------

  /** Storage of `size` zeros (filled by a kernel in the pending batch). */
  zeros(size: number, dtype: DType): Storage {
    return fill(this, size, 0, dtype, "zeros");
  }

  /** Storage of `size` copies of `value` (bool stores `value != 0`). */
  fill(size: number, value: number, dtype: DType): Storage {
    return fill(this, size, value, dtype, "fill");
  }

  /**
   * Storage holding `data` converted to `dtype`. Written with `queue.writeBuffer`,
   * which runs before the pending batch, so only a buffer idle since before that
   * batch is used.
   */
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const n = data.length;
    const s = this.#wrap(n, dtype, this.#recorder.batchId, "upload");
    if (n === 0) return s;
    let host: Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>;
    if (dtype === "float32") {
      host = data instanceof Float32Array && data.buffer instanceof ArrayBuffer
        ? data as Float32Array<ArrayBuffer>
        : Float32Array.from(data);
    } else if (dtype === "int32") {
      host = data instanceof Int32Array && data.buffer instanceof ArrayBuffer
        ? data as Int32Array<ArrayBuffer>
        : Int32Array.from(data);
    } else {
      host = new Uint32Array(n);
      for (let i = 0; i < n; i++) host[i] = data[i] !== 0 ? 1 : 0;
    }
    // Typed-array offset and size are in elements.
    this.device.queue.writeBuffer(s.buf!.buffer, 0, host, 0, n);
    return s;
  }

  /** Copies a storage to the host: submits the batch, then maps a staging buffer. */
  async read(storage: Storage): Promise<HostArray> {
    const s = this.live(storage, "read");
    const bytes = s.bytes;
    let staging = null;
    if (bytes > 0) {
      staging = this.#stagingPool.acquire(bytes);
      const encoder = this.#recorder.copyEncoder();
      s.buf!.lastUsed = this.#recorder.batchId;
      encoder.copyBufferToBuffer(s.buf!.buffer, 0, staging.buffer, 0, bytes);
    }
    const faults = this.#submitWithFaultCheck();
    let raw: ArrayBuffer | null = null;
    if (staging) {
      try {
        await staging.buffer.mapAsync(GPUMapMode.READ, 0, bytes);
        raw = staging.buffer.getMappedRange(0, bytes).slice(0);
        staging.buffer.unmap();
      } catch (e) {
        await faults.catch(() => {});
        if (this.#lost !== null) throw this.lostError("read");
        throw e;
      } finally {
        this.#stagingPool.release(staging);
      }
    }
    await faults;
    this.#throwPending();
    switch (s.dtype) {
      case "float32":
        return raw ? new Float32Array(raw) : new Float32Array(0);
      case "int32":
        return raw ? new Int32Array(raw) : new Int32Array(0);
      default: {
        const out = new Uint8Array(s.size);
        if (raw) {
          const w = new Uint32Array(raw);
          for (let i = 0; i < out.length; i++) out[i] = w[i];
        }
        return out;
      }
    }
  }

  /** Submits the pending batch with the fault record's check (see {@link FaultRecord.submit}). */
  #submitWithFaultCheck(): Promise<void> {
    return this.#faults.submit(this.#recorder, this.#stagingPool, this.#report);
  }

  #throwPending(): void {
    const e = this.#pendingError;
    if (e) {
      this.#pendingError = null;
      throw e;
    }
  }

  /** Releases a storage; its buffer returns to the pool (a pending batch may still use it). */
  free(storage: Storage): void {
    // freeing must work after a device loss (dispose, tidy and finalizers call it)
    const s = this.#lost !== null && storage instanceof WebGPUStorage && storage.buf
      ? storage
      : this.live(storage, "free");
    this.#storagePool.release(s.buf!);
    s.buf = null;
    this.#liveStorages--;
    this.#liveBytes -= s.bytes;
  }

  /** Submits pending work and waits until the device finished it. */
  async sync(): Promise<void> {
    if (this.#lost !== null) throw this.lostError("sync");
    const faults = this.#submitWithFaultCheck();
    try {
      await this.device.queue.onSubmittedWorkDone();
      await faults;
    } catch (e) {
      if (this.#lost !== null) throw this.lostError("sync");
      throw e;
    }
    if (this.#lost !== null) throw this.lostError("sync");
    this.#throwPending();
  }

  /** Starts per-kernel timing; throws where the device has no timestamp queries. */
  startProfile(): void {
    if (this.#recorder.profiler) throw new Error("profileKernels: a profile is already running on this device");
    if (!this.device.features.has("timestamp-query")) {
      throw new Error("profileKernels: this WebGPU device has no timestamp queries (feature timestamp-query)");
    }
    this.#recorder.submit();
    this.#recorder.profiler = new KernelProfiler(this.device, MAX_BATCH);
  }

  /** Waits for queued work and returns per-kernel GPU time since {@link startProfile}. */
  async stopProfile(): Promise<KernelTime[]> {
    const profiler = this.#recorder.profiler;
    if (!profiler) throw new Error("profileKernels: no profile is running on this device");
    try {
      await this.sync();
    } finally {
      this.#recorder.profiler = null;
    }
    return await profiler.report();
  }

  /** Live storages/bytes, buffers ever created, and all device bytes held. */
  memoryStats(): MemoryStats {
    return {
      liveStorages: this.#liveStorages,
      liveBytes: this.#liveBytes,
      buffersCreated: this.#storagePool.created + this.#stagingPool.created,
      pooledBytes: this.#storagePool.heldBytes + this.#stagingPool.heldBytes + this.#recorder.heldBytes +
        FAULT_BYTES,
    };
  }

  /** Submits so far (batches), for tests and tuning. */
  get submits(): number {
    return this.#recorder.submits;
  }

  /** Bind group cache counters (hits, misses, evictions, size), for tests and tuning. */
  get bindGroupStats(): BindGroupStats {
    return this.#recorder.bindGroups.stats;
  }

  /** Pipelines compiled so far. */
  get pipelines(): number {
    return this.#kernels.size;
  }

  /** Submits pending work, then destroys idle pooled buffers. */
  trim(): void {
    this.#recorder.submit();
    this.#storagePool.trim();
    this.#stagingPool.trim();
  }
}
