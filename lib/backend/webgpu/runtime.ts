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
import { fill } from "./split_rows.ts";
import { BufferPool } from "./pool.ts";
import { KernelProfiler } from "./profiler.ts";
import { type Binding, MAX_BATCH, Recorder } from "./recorder.ts";
import { decode, type DeferredRead, ReadGroup, type ReadGroupHost } from "./read_group.ts";
import { deviceArray, ELEMENT_BYTES, type GpuContext, WebGPUStorage } from "./storage.ts";
import { CaptureSlot } from "./capture.ts";
import type { StepRecording } from "../backend.ts";

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
  /** The read group new reads join until its wait starts. */
  #openGroup: ReadGroup | null = null;
  /** Settles once the open group's wait has started, in a microtask after the first read of a task. */
  #flushTick: Promise<void> | null = null;
  #waits = 0;
  readonly #readHost: ReadGroupHost;
  #liveStorages = 0;
  #liveBytes = 0;
  /** Why the device is unusable (lost or replaced by resetDevice), or null while it works. */
  #lost: string | null = null;
  /** The step being traced for capture (lib/jit/compile.ts), if any. */
  readonly #captures: CaptureSlot;
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
    this.#readHost = {
      recorder: this.#recorder,
      stagingPool: this.#stagingPool,
      faults: this.#faults,
      maxBufferSize: limits.maxBufferSize,
      report: this.#report,
      countWait: () => this.#waits++,
    };
    this.#storagePool.onDestroy = (b) => this.#recorder.dropBuffer(b);
    this.#captures = new CaptureSlot({
      device,
      recorder: this.#recorder,
      release: (buf) => this.#storagePool.release(buf),
      wrap: (buf, size, dtype) => {
        this.#liveStorages++;
        this.#liveBytes += size * ELEMENT_BYTES;
        return new WebGPUStorage(this.#backend, size, dtype, buf);
      },
      restoreFault: (f) => this.#faults.restore(f.id, f.opName, f.dim, f.size, f.describe),
    });
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

  // ---- step capture (capture.ts) -------------------------------------------------------

  /** {@link Backend.beginCapture}. */
  beginCapture(args: readonly Storage[]): void {
    this.#captures.begin(args.map((a) => this.live(a, "compile")));
  }

  /** {@link Backend.endCapture}. */
  endCapture(swaps: readonly (readonly [Storage, Storage])[] = []): StepRecording {
    return this.#captures.end(swaps.map(([a, b]) => [this.live(a, "compile"), this.live(b, "compile")]));
  }

  /** {@link Backend.abortCapture}. */
  abortCapture(): void {
    this.#captures.abort();
  }

  /** {@link Backend.reviveStorage}. */
  reviveStorage(freed: Storage): Storage | null {
    return this.#captures.revive(freed as WebGPUStorage);
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
    // Storages past maxStorageBufferBindingSize are fine: the primitives bind them in windows (split.ts).
    const limit = this.limits.maxBufferSize;
    if (bytes > limit) {
      throw new RangeError(
        `webgpu ${op}: a storage of ${size} elements (${bytes} bytes) exceeds this device's ` +
          `maxBufferSize of ${limit} bytes; split the tensor into smaller pieces ` +
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
    const s = new WebGPUStorage(this.#backend, size, dtype, buf);
    this.#captures.current?.onAlloc(s);
    return s;
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
    this.#captures.current?.onBind(s);
    return { buf: s.buf!, size: Math.max(ELEMENT_BYTES, s.bytes), offset: s.byteOffset };
  }

  /** @internal */
  copyRange(src: WebGPUStorage, from: number, dst: WebGPUStorage, to: number, count: number): void {
    if (count <= 0) return;
    const encoder = this.#recorder.copyEncoder();
    src.buf!.lastUsed = dst.buf!.lastUsed = this.#recorder.batchId;
    this.#captures.current?.onCopy(
      src.buf!,
      src.byteOffset + from * ELEMENT_BYTES,
      dst.buf!,
      dst.byteOffset + to * ELEMENT_BYTES,
      count * ELEMENT_BYTES,
    );
    encoder.copyBufferToBuffer(
      src.buf!.buffer,
      src.byteOffset + from * ELEMENT_BYTES,
      dst.buf!.buffer,
      dst.byteOffset + to * ELEMENT_BYTES,
      count * ELEMENT_BYTES,
    );
  }

  /**
   * Bytes one storage may hold (maxBufferSize) and one kernel binding may cover
   * (maxStorageBufferBindingSize, at most the former); see {@link Backend.sizeLimits}.
   */
  get sizeLimits(): { bindingBytes: number; storageBytes: number } {
    const storageBytes = this.limits.maxBufferSize;
    return { bindingBytes: Math.min(this.limits.maxStorageBufferBindingSize, storageBytes), storageBytes };
  }

  /** @internal */
  faultBinding(): Binding {
    return this.#faults.binding;
  }

  /** @internal */
  registerFault(opName: string, dim: number, size: number, describe?: (index: number) => string): number {
    const id = this.#faults.register(opName, dim, size, describe);
    this.#captures.current?.onFault({ id, opName, dim, size, describe });
    return id;
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
    const limit = this.limits.maxStorageBufferBindingSize;
    for (let i = 0; i < bindings.length; i++) {
      // the primitives split before this point (split.ts); only a kernel that does not gets here
      if (bindings[i].size > limit) {
        throw new RangeError(
          `webgpu ${kernel.name}: binding ${bindings[i].size} bytes at once exceeds this device's ` +
            `maxStorageBufferBindingSize of ${limit} bytes, and this kernel does not split its work; ` +
            `use smaller tensors (e.g. smaller batches) or the cpu backend`,
        );
      }
    }
    this.#recorder.dispatch(kernel, uniform.words, bindings, grid);
    this.#captures.current?.onDispatch(kernel, uniform.words, bindings, grid, uniform.dynamic, uniform.faultWords);
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
    const host = deviceArray(data, dtype);
    // Typed-array offset and size are in elements.
    this.device.queue.writeBuffer(s.buf!.buffer, 0, host, 0, n);
    this.#captures.current?.onUpload(s.buf!, 0, host);
    return s;
  }

  /**
   * Copies a storage to the host. The copy is recorded now, into the open {@link ReadGroup};
   * the group's one device wait starts in a microtask, so reads started in the same task
   * (`Promise.all([a.item(), b.item(), c.data()])`) share one submit and one `mapAsync`. That wait
   * is Deno's floor of about 11 ms even on an idle queue (bench/README.md, "Readback floor").
   * Throws a fault recorded by an earlier kernel (gather, crossEntropy, …) or a GPU error.
   */
  async read(storage: Storage): Promise<HostArray> {
    const pending = this.readLater(storage, "read");
    // every read of this task joins the group before the flush starts its wait
    const tick = this.#flushTick ??= Promise.resolve().then(() => {
      this.#flushTick = null;
      this.flushReads();
    });
    await tick;
    await pending.wait();
    return pending.value();
  }

  /**
   * @internal Records the copy of `storage` now, so the storage may be freed or overwritten
   * afterwards, and waits only once asked: `wait()` starts the group's device wait (with every
   * read recorded since, see {@link read}) and resolves when the bytes are on the host; `value()`
   * then decodes them and throws a recorded fault or GPU error, like {@link read}.
   */
  readLater(storage: Storage, op = "readLater"): DeferredRead {
    this.#captures.refuseRead(op);
    const s = this.live(storage, op);
    const bytes = s.bytes;
    let group = this.#openGroup;
    if (!group || !group.fits(bytes)) {
      if (group) this.#startGroup(group);
      group = this.#openGroup = new ReadGroup(this.#readHost, bytes);
    }
    const entry = group.add(s.buf!, s.byteOffset, bytes, s.size, s.dtype);
    const g = group;
    let done: Promise<void> | null = null;
    const wait = (): Promise<void> =>
      done ??= this.#startGroup(g).catch((e) => {
        if (this.#lost !== null) throw this.lostError(op);
        throw e;
      });
    return {
      wait,
      get ready(): boolean {
        return g.finished;
      },
      value: (): HostArray => {
        if (!g.finished) throw new Error(`webgpu ${op}: value() was called before wait() resolved`);
        this.#throwPending();
        return decode(entry);
      },
    };
  }

  /** @internal Starts the device wait of the open read group (a no-op when none is open). */
  flushReads(): void {
    if (this.#openGroup) this.#startGroup(this.#openGroup).catch(() => {});
  }

  #startGroup(group: ReadGroup): Promise<void> {
    if (this.#openGroup === group) this.#openGroup = null;
    if (this.#lost !== null && !group.started) return Promise.reject(this.lostError("read"));
    return group.start();
  }

  /** Submits the pending batch with the fault record's check (see {@link FaultRecord.submit}). */
  #submitWithFaultCheck(): Promise<void> {
    if (this.#faults.needsCheck) this.#waits++;
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
    const buf = s.buf!;
    this.#captures.current?.onFree(s);
    // a buffer a step recording holds stays out of the pool until the recording lets it go
    if (buf.pins) buf.orphan = true;
    else this.#storagePool.release(buf);
    s.buf = null;
    this.#liveStorages--;
    this.#liveBytes -= s.bytes;
  }

  /** Submits pending work and waits until the device finished it. */
  async sync(): Promise<void> {
    this.#captures.refuseRead("sync");
    if (this.#lost !== null) throw this.lostError("sync");
    const faults = this.#submitWithFaultCheck();
    this.#waits++;
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

  /**
   * Device waits started so far (one per read group's `mapAsync`, one per `sync`, plus a separate
   * fault-record map where one was needed), for tests and tuning: each costs Deno's ~11 ms floor.
   */
  get waits(): number {
    return this.#waits;
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
