/** Datasets: the indexable collections a {@link DataLoader} draws samples from. @module */
import { Tensor } from "../tensor/tensor.ts";
import { tensor } from "../tensor/ops_creation.ts";
import { indexSelect } from "../tensor/ops_index.ts";
import { select, slice } from "../tensor/ops_movement.ts";

/**
 * A sample that still lives in host memory: a flat row-major typed array and its shape
 * (images are `[C, H, W]`). Transforms work on these, and the default collate copies a whole
 * batch of them into one typed array and uploads it once.
 */
export interface HostTensor {
  /** Row-major values; `Uint8Array` for raw pixels, `Float32Array` after `toTensor`. */
  readonly data: Float32Array | Uint8Array;
  /** Sizes, e.g. `[3, 32, 32]`. */
  readonly shape: readonly number[];
}

/** Whether `v` is a {@link HostTensor}. */
export function isHostTensor(v: unknown): v is HostTensor {
  if (v === null || typeof v !== "object") return false;
  const h = v as { data?: unknown; shape?: unknown };
  return (h.data instanceof Float32Array || h.data instanceof Uint8Array) && Array.isArray(h.shape);
}

/**
 * A map-style dataset, as `torch.utils.data.Dataset`: `length` samples, `get(i)` returns
 * sample `i` (or a promise of it). Subclasses may add `getBatch(indices)` to build a whole batch
 * at once; {@link DataLoader} uses it when no `collate` is given.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * class Squares extends data.Dataset<[number, number]> {
 *   get length() { return 4; }
 *   get(i: number): [number, number] { return [i, i * i]; }
 * }
 * assert.deepEqual(new Squares().get(3), [3, 9]);
 * ```
 */
export abstract class Dataset<T> {
  /** The number of samples. */
  abstract get length(): number;
  /** Sample `i`, for `0 <= i < length`. */
  abstract get(i: number): T | Promise<T>;
  /** Optional: the whole collated batch for `indices` (the fast path of {@link DataLoader}). */
  getBatch?(indices: readonly number[]): unknown;
}

/** Throws a RangeError unless `i` is an integer index into a dataset of `length` samples. */
export function checkIndex(op: string, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new RangeError(`${op}: index ${i} is out of range for ${length} samples`);
  }
}

/**
 * Wraps tensors that share their first dimension, as `torch.utils.data.TensorDataset`:
 * sample `i` is `[t0[i], t1[i], ...]`. Batches are gathered with one `indexSelect` per tensor
 * (a contiguous run of indices is a zero-copy slice), not stacked sample by sample.
 *
 * @example
 * ```ts
 * import { data, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const ds = new data.TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0]));
 * assert.equal(ds.length, 3);
 * const [x, y] = ds.get(1);
 * assert.deepEqual(await x.toArray(), [3, 4]);
 * assert.equal(await y.item(), 1);
 * ```
 */
export class TensorDataset extends Dataset<Tensor[]> {
  /** The wrapped tensors. */
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new RangeError("TensorDataset: expected at least one tensor");
    for (const t of tensors) {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: expected tensors, got ${typeof t}`);
      if (t.ndim === 0 || t.shape[0] !== tensors[0].shape[0]) {
        throw new RangeError(
          `TensorDataset: all tensors must share their first dimension, got shapes ${
            tensors.map((x) => `[${x.shape}]`).join(", ")
          }`,
        );
      }
    }
    this.tensors = tensors;
  }

  /** The shared first dimension. */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  /** `[t0[i], t1[i], ...]` (views, no copy). */
  get(i: number): Tensor[] {
    checkIndex("TensorDataset.get", i, this.length);
    return this.tensors.map((t) => select(t, 0, i));
  }

  /** `[t0[indices], t1[indices], ...]`: one gather per tensor, or a slice when the run is contiguous. */
  override getBatch(indices: readonly number[]): Tensor[] {
    for (const i of indices) checkIndex("TensorDataset.getBatch", i, this.length);
    const start = indices[0];
    if (indices.every((v, k) => v === start + k)) {
      return this.tensors.map((t) => slice(t, 0, start, start + indices.length));
    }
    return this.tensors.map((t) => {
      const index = tensor(Int32Array.from(indices), { dtype: "int32", device: t.device });
      const picked = indexSelect(t, 0, index);
      index.dispose();
      return picked;
    });
  }
}
