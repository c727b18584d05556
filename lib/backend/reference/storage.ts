/** The storage type of the reference backend and the context its kernel modules run in. @module */
import type { Backend, DType, HostArray, Storage, View } from "../backend.ts";
import { hostArray } from "../dtype.ts";

/** A storage of the reference backend: a typed array plus a `freed` flag. */
export class ReferenceStorage implements Storage {
  /** The backend that owns this storage. */
  readonly backend: ReferenceContext;
  /** Number of elements. */
  readonly size: number;
  /** Element type. */
  readonly dtype: DType;
  /** Whether the owning backend's `free` has released this storage. */
  freed = false;
  #data: HostArray;

  /** Wraps `data` (taking ownership) as a storage of `dtype`. */
  constructor(backend: ReferenceContext, data: HostArray, dtype: DType) {
    this.backend = backend;
    this.size = data.length;
    this.dtype = dtype;
    this.#data = data;
  }

  /** The backing typed array; throws if the storage was freed. */
  get data(): HostArray {
    if (this.freed) {
      throw new Error(
        "cpu: storage was already freed (disposed tensor used again?)",
      );
    }
    return this.#data;
  }
}

/** What the kernel modules need from the backend: checked access to inputs, and registering outputs. */
export interface ReferenceContext extends Backend {
  /** The typed array behind `s`, checking it belongs to this backend and is live. */
  data(s: Storage): HostArray;
  /** A live input's data, after checking that every element `v` addresses lies inside it. */
  input(op: string, s: Storage, v: View): HostArray;
  /** Registers `data` (taking ownership) as a new live storage of `dtype`. */
  wrap(data: HostArray, dtype: DType): ReferenceStorage;
}

/** A fresh zeroed host array of `dtype` (an unknown dtype is a TypeError naming the cpu backend). */
export function newArray(dtype: DType, size: number): HostArray {
  return hostArray(dtype, size, "cpu");
}

/**
 * The value stored for `x` in an array of `dtype`, for the one case typed-array
 * assignment gets wrong: bool is `x != 0` (NaN is true). Float→int32 truncation toward
 * zero (with int32 wrap-around) is what `Int32Array` assignment already does.
 */
export function boolOf(x: number): number {
  return x !== 0 ? 1 : 0;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
