/** The storage type of the WebGPU backend and the context op modules run in. @module */
import type { Backend, DType, Storage } from "../backend.ts";
import type { DeviceLimits } from "./device.ts";
import type { BindingKind, Kernel, UniformBlock } from "./kernels.ts";
import type { PooledBuffer } from "./pool.ts";
import type { Binding } from "./recorder.ts";

/** Bytes per element on the device (bool is stored as a u32). */
export const ELEMENT_BYTES = 4;

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

  constructor(backend: Backend, size: number, dtype: DType, buf: PooledBuffer) {
    this.backend = backend;
    this.size = size;
    this.dtype = dtype;
    this.buf = buf;
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
  /** A fresh output storage (counted as live), checked against the binding limit. */
  alloc(size: number, dtype: DType, op: string): WebGPUStorage;
  /** Releases a storage (returns its buffer to the pool). */
  free(s: Storage): void;
  /** A live storage of this backend (throws otherwise). */
  live(s: Storage, op: string): WebGPUStorage;
  /** The binding of a storage (at least 4 bytes). */
  bind(s: WebGPUStorage): Binding;
  /** The fault-flag buffer's binding (used by gather/scatterAdd). */
  faultBinding(): Binding;
  /** Registers a possible range fault (or, with `describe`, any fault); returns its id for the kernel. */
  registerFault(opName: string, dim: number, size: number, describe?: (index: number) => string): number;
  /** Records a dispatch of `workgroups` workgroups (split into a grid as needed). */
  run(kernel: Kernel, uniform: UniformBlock, bindings: readonly Binding[], workgroups: number): void;
  /** Records a dispatch with an explicit 3-D grid (each dim within the limit). */
  runGrid(
    kernel: Kernel,
    uniform: UniformBlock,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
  ): void;
}
