/** The storage type of the WebGPU backend and the context op modules run in. @module */
import type { Backend, DType, Storage } from "../backend.ts";
import type { DeviceLimits } from "./device.ts";
import type { BindingKind, Kernel, UniformBlock } from "./kernels.ts";
import type { PooledBuffer } from "./pool.ts";
import type { Binding } from "./recorder.ts";

/** Bytes per element on the device (bool is stored as a u32). */
export const ELEMENT_BYTES = 4;

/** `data` as the 4-byte elements a storage of `dtype` holds (bool as u32 0/1), without a copy where it already is. */
export function deviceArray(
  data: ArrayLike<number>,
  dtype: DType,
): Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> {
  if (dtype === "float32") {
    return data instanceof Float32Array && data.buffer instanceof ArrayBuffer
      ? data as Float32Array<ArrayBuffer>
      : Float32Array.from(data);
  }
  if (dtype === "int32") {
    return data instanceof Int32Array && data.buffer instanceof ArrayBuffer
      ? data as Int32Array<ArrayBuffer>
      : Int32Array.from(data);
  }
  const host = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) host[i] = data[i] !== 0 ? 1 : 0;
  return host;
}

/** Flat device memory: a pooled buffer holding `size` 4-byte elements. */
export class WebGPUStorage implements Storage {
  /** The owning backend. */
  readonly backend: Backend;
  /** Number of elements. */
  readonly size: number;
  /** Element type. */
  readonly dtype: DType;
  /** The pooled buffer, null once freed. */
  buf: PooledBuffer | null;
  /**
   * Where element 0 lies in `buf`, in bytes: 0, except for the windows split.ts makes into a
   * storage too big to bind whole (a multiple of minStorageBufferOffsetAlignment; never freed).
   */
  readonly byteOffset: number;

  constructor(backend: Backend, size: number, dtype: DType, buf: PooledBuffer, byteOffset = 0) {
    this.backend = backend;
    this.size = size;
    this.dtype = dtype;
    this.buf = buf;
    this.byteOffset = byteOffset;
  }

  /** Bytes the storage's elements occupy on the device. */
  get bytes(): number {
    return this.size * ELEMENT_BYTES;
  }
}

/** What op modules need from the backend. */
export interface GpuContext {
  readonly limits: DeviceLimits;
  /**
   * Workgroups that keep the device busy: a few per CPU thread on a software adapter
   * (llvmpipe), more on a GPU. Kernels that can split their work (split-K matmul) aim for at
   * least this many.
   */
  readonly parallelism: number;
  /** A pipeline for a filled template. */
  kernel(source: string, entry: string, kinds: readonly BindingKind[]): Kernel;
  /** A pipeline by a short key that (with `entry`) determines the source; `source` runs on first use only. */
  kernelFor(key: string, entry: string, kinds: readonly BindingKind[], source: () => string): Kernel;
  /**
   * A fresh output storage (counted as live), checked against maxBufferSize. One bigger than the
   * binding limit can only be bound in windows (split.ts).
   */
  alloc(size: number, dtype: DType, op: string): WebGPUStorage;
  /** Releases a storage (returns its buffer to the pool). */
  free(s: Storage): void;
  /** A live storage of this backend (throws otherwise). */
  live(s: Storage, op: string): WebGPUStorage;
  /** The binding of a storage (at least 4 bytes, from its window's offset). */
  bind(s: WebGPUStorage): Binding;
  /**
   * Records a copy of `count` elements from `src` at element `from` to `dst` at element `to`
   * (a buffer copy, ordered with the dispatches; no binding, so any size).
   */
  copyRange(src: WebGPUStorage, from: number, dst: WebGPUStorage, to: number, count: number): void;
  /** The fault-flag buffer's binding (used by gather/scatterAdd). */
  faultBinding(): Binding;
  /** Registers a possible range fault (or, with `describe`, any fault); returns its id for the kernel. */
  registerFault(opName: string, dim: number, size: number, describe?: (index: number) => string): number;
  /**
   * Records a dispatch of `workgroups` workgroups (split into a grid as needed); this and
   * {@link runGrid} raise a RangeError naming the kernel when a binding exceeds
   * maxStorageBufferBindingSize (the primitives split before that, see split.ts).
   */
  run(kernel: Kernel, uniform: UniformBlock, bindings: readonly Binding[], workgroups: number): void;
  /** Records a dispatch with an explicit 3-D grid (each dim within the limit). */
  runGrid(
    kernel: Kernel,
    uniform: UniformBlock,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
  ): void;
}
