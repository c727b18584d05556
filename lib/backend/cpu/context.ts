/** The cpu backend's storage type and the context its kernel modules run in. @module */
import type { Backend, DType, Storage, View } from "../backend.ts";
import type { Heap } from "./heap.ts";

/** A storage of the cpu backend: a block of the shared heap. */
export class CpuStorage implements Storage {
  /** The backend that owns this storage. */
  readonly backend: CpuContext;
  /** Number of elements. */
  readonly size: number;
  /** Element type. */
  readonly dtype: DType;
  /** Byte address of the first element in the heap (64-byte aligned). */
  readonly address: number;
  /** Bytes the block was allocated for. */
  readonly bytes: number;
  /** Whether the owning backend's `free` has released this storage. */
  freed = false;

  /** A storage over the block at `address`. */
  constructor(backend: CpuContext, address: number, bytes: number, size: number, dtype: DType) {
    this.backend = backend;
    this.address = address;
    this.bytes = bytes;
    this.size = size;
    this.dtype = dtype;
  }
}

/** What the kernel modules need from the backend. */
export interface CpuContext extends Backend {
  /** The shared memory. */
  readonly heap: Heap;
  /** A new storage of `size` elements of `dtype` (contents undefined: pooled blocks are reused). */
  alloc(size: number, dtype: DType, op?: string): CpuStorage;
  /** Checks `s` is a live storage of this backend (else a TypeError/Error naming `op`). */
  live(op: string, s: Storage): CpuStorage;
  /** Checks every element `v` addresses lies inside `s` (a RangeError naming `op` otherwise). */
  checkView(op: string, s: Storage, v: View): CpuStorage;
  /** A Float32Array over exactly `s`'s elements (valid until the next allocation). */
  f32(s: Storage): Float32Array;
  /** A Float64Array over exactly `s`'s elements. */
  f64(s: Storage): Float64Array;
  /** An Int32Array over exactly `s`'s elements. */
  i32(s: Storage): Int32Array;
  /** A Uint8Array over exactly `s`'s elements (bool: 0 or 1). */
  u8(s: Storage): Uint8Array;
}
