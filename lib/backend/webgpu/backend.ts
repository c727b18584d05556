/**
 * The WebGPU backend: storage in pooled device buffers, primitives as WGSL
 * compute kernels recorded into batches (see recorder.ts and kernels/README.md).
 * @module
 */
import type {
  Backend,
  BinaryOp,
  DType,
  FusedExpr,
  HostArray,
  KernelTime,
  MatmulBias,
  MemoryStats,
  RandomKind,
  ReduceOp,
  Storage,
  UnaryOp,
  View,
  WindowParams,
} from "../backend.ts";
import type { BindGroupStats } from "./bind_groups.ts";
import { acquireDevice, type DeviceLimits } from "./device.ts";
import * as elementwise from "./elementwise.ts";
import { fused } from "./fused.ts";
import { gather, scatterAdd } from "./index.ts";
import { crossEntropy, crossEntropyBackward } from "./cross_entropy.ts";
import * as norm from "./norm.ts";
import { assertNone } from "./assert.ts";
import {
  type BindingKind,
  gridFor,
  type Kernel,
  KernelCache,
  LOOP_BUDGET,
  type UniformBlock,
  wgslType,
} from "./kernels.ts";
import { matmul } from "./matmul.ts";
import { copyInto, fill, random } from "./misc.ts";
import { BufferPool, pooledBuffer } from "./pool.ts";
import { KernelProfiler } from "./profiler.ts";
import { type Binding, MAX_BATCH, Recorder } from "./recorder.ts";
import { argReduce, reduce } from "./reduce.ts";
import { ELEMENT_BYTES, type GpuContext, WebGPUStorage } from "./storage.ts";
import { col2im, im2col } from "./window.ts";
import { maxPool2d, maxPool2dBackward } from "./pool2d.ts";

interface FaultInfo {
  opName: string;
  dim: number;
  size: number;
  describe?: (index: number) => string;
}

/** Bytes of the fault record: [op id, offending index, pad, pad]. */
const FAULT_BYTES = 16;

/** Allocations from this size on are wrapped in an out-of-memory error scope. */
const BIG_ALLOCATION = 16 << 20;

/** An Error saying what a GPUError means and what to do about it. */
function describeGpuError(error: GPUError, during: string): Error {
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

/** The WebGPU implementation of {@link Backend}. */
export class WebGPUBackend implements Backend, GpuContext {
  /** Always `"webgpu"`. */
  readonly name = "webgpu" as const;
  /** Adapter description and backend. */
  readonly description: string;
  /** @internal See {@link GpuContext.parallelism}. */
  readonly parallelism: number;
  /** float32, int32 and bool (no float64 in WGSL). */
  readonly dtypes: readonly DType[] = ["float32", "int32", "bool"];
  /** The device limits kernels respect. */
  readonly limits: DeviceLimits;
  /** The device itself. */
  readonly device: GPUDevice;

  readonly #kernels: KernelCache;
  readonly #recorder: Recorder;
  readonly #storagePool: BufferPool;
  readonly #stagingPool: BufferPool;
  readonly #faultBuffer: GPUBuffer;
  readonly #faultPooled;
  #faultOps = new Map<number, FaultInfo>();
  #nextFaultId = 1;
  #faultDirty = false;
  #pendingError: Error | null = null;
  #liveStorages = 0;
  #liveBytes = 0;
  /** Why the device is unusable (lost or replaced by resetDevice), or null while it works. */
  #lost: string | null = null;

  constructor(device: GPUDevice, limits: DeviceLimits, description: string) {
    this.device = device;
    this.limits = limits;
    this.description = description;
    // On the H200, 64 beat 8 and 256 for the CIFAR CNN step's split-K products (GPU time 2.4 ms
    // against 4.4 and 5.0); on llvmpipe a few workgroups per thread keep the cores busy.
    this.parallelism = description.includes("fallback adapter") ? 4 * cpuThreads() : 64;
    this.#kernels = new KernelCache(device);
    this.#recorder = new Recorder(device);
    const storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.#storagePool = new BufferPool(device, storageUsage, limits.maxBufferSize);
    this.#stagingPool = new BufferPool(
      device,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      limits.maxBufferSize,
    );
    this.#faultBuffer = device.createBuffer({ size: FAULT_BYTES, usage: storageUsage });
    this.#faultPooled = pooledBuffer(this.#faultBuffer, FAULT_BYTES);
    this.#storagePool.onDestroy = (b) => this.#recorder.dropBuffer(b);
    device.addEventListener("uncapturederror", (e) => {
      e.preventDefault();
      this.#pendingError ??= describeGpuError((e as GPUUncapturedErrorEvent).error, "a kernel or allocation");
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
        if (err) this.#pendingError ??= describeGpuError(err, `${op} (allocating ${bytes} bytes)`);
      }, () => {});
    }
    this.#liveStorages++;
    this.#liveBytes += bytes;
    return new WebGPUStorage(this, size, dtype, buf);
  }

  /** @internal A fresh output storage; it may reuse a buffer the pending batch used. */
  alloc(size: number, dtype: DType, op: string): WebGPUStorage {
    return this.#wrap(size, dtype, Infinity, op);
  }

  /** @internal */
  live(s: Storage, op: string): WebGPUStorage {
    if (s instanceof WebGPUStorage && s.backend !== this && s.backend instanceof WebGPUBackend && s.backend.isLost) {
      throw s.backend.lostError(op);
    }
    if (!(s instanceof WebGPUStorage) || s.backend !== this) {
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
    return { buf: this.#faultPooled, size: FAULT_BYTES };
  }

  /** @internal */
  registerFault(opName: string, dim: number, size: number, describe?: (index: number) => string): number {
    const id = this.#nextFaultId++;
    if (this.#nextFaultId > 0xfffffff0) this.#nextFaultId = 1;
    this.#faultOps.set(id, { opName, dim, size, describe });
    this.#faultDirty = true;
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

  /**
   * Submits the pending batch; when a gather/scatter ran since the last check, the
   * fault record is copied out in the same submit. Resolves after that copy is
   * inspected (rejecting never: faults are stored for {@link #throwPending}).
   */
  #submitWithFaultCheck(): Promise<void> {
    if (!this.#faultDirty) {
      this.#recorder.submit();
      return Promise.resolve();
    }
    const staging = this.#stagingPool.acquire(FAULT_BYTES);
    const encoder = this.#recorder.copyEncoder();
    encoder.copyBufferToBuffer(this.#faultBuffer, 0, staging.buffer, 0, FAULT_BYTES);
    const ops = this.#faultOps;
    this.#faultOps = new Map();
    this.#faultDirty = false;
    this.#recorder.submit();
    return (async () => {
      try {
        await staging.buffer.mapAsync(GPUMapMode.READ, 0, FAULT_BYTES);
        const rec = new Int32Array(staging.buffer.getMappedRange(0, FAULT_BYTES).slice(0));
        staging.buffer.unmap();
        const id = rec[0] >>> 0;
        if (id !== 0) {
          this.device.queue.writeBuffer(this.#faultBuffer, 0, new Uint32Array(4));
          const info = ops.get(id);
          this.#pendingError ??= new RangeError(
            info?.describe
              ? `${info.describe(rec[1])} (detected on webgpu at the next readback)`
              : info
              ? `${info.opName}: index ${rec[1]} is out of range for dimension ${info.dim} of size ${info.size} ` +
                `(valid range [0, ${info.size}); detected on webgpu, where the index was clamped)`
              : `webgpu: an index was out of range (index ${rec[1]}) in an earlier gather/scatterAdd`,
          );
        }
      } finally {
        this.#stagingPool.release(staging);
      }
    })();
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

  // ---- primitives -----------------------------------------------------------------

  /** {@link Backend.unary} */
  unary(op: UnaryOp, a: Storage, av: View, outDtype: DType, params?: readonly number[]): Storage {
    return elementwise.unary(this, op, a, av, outDtype, params);
  }

  /** {@link Backend.binary} */
  binary(op: BinaryOp, a: Storage, av: View, b: Storage, bv: View): Storage {
    return elementwise.binary(this, op, a, av, b, bv);
  }

  /** {@link Backend.where} */
  where(cond: Storage, cv: View, a: Storage, av: View, b: Storage, bv: View): Storage {
    return elementwise.where(this, cond, cv, a, av, b, bv);
  }

  /** {@link Backend.reduce} */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
    return reduce(this, op, a, av, axes);
  }

  /** {@link Backend.argReduce} */
  argReduce(op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage {
    return argReduce(this, op, a, av, axis);
  }

  /** One arg kernel invocation walks the whole axis, so it must stay under the loop budget. */
  readonly argReduceLength = LOOP_BUDGET;

  /** {@link Backend.matmul} */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
    return matmul(this, a, av, b, bv, bias);
  }

  /** {@link Backend.im2col} */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
    return im2col(this, x, xv, p, padValue);
  }

  /** {@link Backend.col2im} */
  col2im(cols: Storage, cv: View, imageShape: readonly [number, number, number, number], p: WindowParams): Storage {
    return col2im(this, cols, cv, imageShape, p);
  }

  /** {@link Backend.crossEntropy} (one workgroup per row; see cross_entropy.ts). */
  crossEntropy(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): [Storage, Storage] {
    return crossEntropy(this, logits, rows, classes, target, weight, ignoreIndex, labelSmoothing, opName);
  }

  /** {@link Backend.crossEntropyBackward}. */
  crossEntropyBackward(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    gradRows: Storage,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): Storage {
    return crossEntropyBackward(
      this,
      logits,
      rows,
      classes,
      target,
      weight,
      gradRows,
      ignoreIndex,
      labelSmoothing,
      opName,
    );
  }

  /** {@link Backend.maxPool2d} (one invocation per output; see pool2d.ts). */
  maxPool2d(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage } {
    return maxPool2d(this, x, xv, p);
  }

  /** {@link Backend.maxPool2dBackward} (one invocation per input pixel). */
  maxPool2dBackward(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    return maxPool2dBackward(this, gy, indices, imageShape, p);
  }

  /** {@link Backend.softmax} (one workgroup per row; see norm.ts). */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmax(this, x, rows, cols, log);
  }

  /** {@link Backend.softmaxBackward}. */
  softmaxBackward(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmaxBackward(this, y, gy, rows, cols, log);
  }

  /** {@link Backend.layerNorm} (one workgroup per row). */
  layerNorm(
    x: Storage,
    weight: Storage | null,
    bias: Storage | null,
    rows: number,
    cols: number,
    eps: number,
  ): { y: Storage; mean: Storage; rstd: Storage } {
    return norm.layerNorm(this, x, weight, bias, rows, cols, eps);
  }

  /** {@link Backend.layerNormBackward}. */
  layerNormBackward(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    gy: Storage,
    rows: number,
    cols: number,
    grads: { weight: boolean; bias: boolean },
  ): { gx: Storage; gw: Storage | null; gb: Storage | null } {
    return norm.layerNormBackward(this, x, mean, rstd, weight, gy, rows, cols, grads);
  }

  /** {@link Backend.gather} */
  gather(a: Storage, av: View, dim: number, idx: Storage, iv: View, opName: string): Storage {
    return gather(this, a, av, dim, idx, iv, opName);
  }

  /** {@link Backend.scatterAdd} */
  scatterAdd(
    base: Storage,
    shape: readonly number[],
    dim: number,
    idx: Storage,
    iv: View,
    src: Storage,
    sv: View,
    opName: string,
  ): Storage {
    return scatterAdd(this, base, shape, dim, idx, iv, src, sv, opName);
  }

  /** {@link Backend.copyInto} */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void {
    copyInto(this, dst, dv, src, sv);
  }

  /** {@link Backend.fused} (float32 only) */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[] {
    return fused(this, outputs, inputs, size, params, dtype);
  }

  /** {@link Backend.assertNone} (deferred: raised at the next readback) */
  assertNone(flags: Storage, describe: (index: number) => string): void {
    assertNone(this, flags, describe);
  }

  /** {@link Backend.random} */
  random(kind: RandomKind, size: number, seed: number, counter: number, dtype: DType): Storage {
    return random(this, kind, size, seed, counter, dtype);
  }
}

/** Threads a software adapter runs on: LP_NUM_THREADS when readable, else the core count. */
function cpuThreads(): number {
  try {
    const n = Number(Deno.env.get("LP_NUM_THREADS"));
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // no env permission: fall back to the core count
  }
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** A WebGPU backend, or null when `navigator.gpu` is missing or gives no adapter. */
export async function createWebGPUBackend(): Promise<WebGPUBackend | null> {
  const acquired = await acquireDevice();
  if (!acquired) return null;
  return new WebGPUBackend(acquired.device, acquired.limits, acquired.description);
}
