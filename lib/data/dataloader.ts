/** DataLoader: seeded shuffling, batching, collation and one-batch-ahead prefetch. @module */
import { Tensor } from "../tensor/tensor.ts";
import { tensor } from "../tensor/ops_creation.ts";
import type { Device } from "../tensor/device.ts";
import { stack } from "../tensor/ops_combine.ts";
import { Rng } from "./_rng.ts";
import { type Dataset, type HostTensor, isHostTensor } from "./dataset.ts";

/** What the default collate turns a sample type into: leaves become batched tensors. */
export type Collated<T> = T extends number | boolean | Tensor | HostTensor ? Tensor
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { [K in keyof T]: Collated<T[K]> }
  : T;

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Draw a new random order every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Seed of the loader's own PRNG: the sequence of epoch orders is reproducible from it. */
  seed?: number;
  /** Turns the list of samples into a batch (default {@link defaultCollate}). */
  collate?: (samples: T[]) => B;
  /** Device of the batch tensors the default collate makes (default: the default device). */
  device?: Device;
}

function collateLeaves(op: string, samples: readonly unknown[], device?: Device): unknown {
  const first = samples[0];
  if (first instanceof Tensor) return stack(samples as Tensor[], 0);
  if (typeof first === "number" || typeof first === "boolean") {
    const values = samples as (number | boolean)[];
    const isInt = values.every((v) => typeof v === "boolean" || Number.isInteger(v));
    const flat = values.map(Number);
    return tensor(isInt ? Int32Array.from(flat) : Float32Array.from(flat), {
      dtype: isInt ? "int32" : "float32",
      device,
    });
  }
  if (isHostTensor(first)) return collateHost(op, samples as HostTensor[], device);
  if (Array.isArray(first)) {
    return first.map((_, k) => collateLeaves(op, samples.map((s) => (s as unknown[])[k]), device));
  }
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateLeaves(op, samples.map((s) => (s as Record<string, unknown>)[key]), device);
    }
    return out;
  }
  return samples;
}

/** One typed array for the whole batch, uploaded once: uint8 samples give int32, float32 samples float32. */
function collateHost(op: string, samples: readonly HostTensor[], device?: Device): Tensor {
  const shape = samples[0].shape;
  const size = samples[0].data.length;
  const isFloat = samples[0].data instanceof Float32Array;
  const out = isFloat ? new Float32Array(samples.length * size) : new Int32Array(samples.length * size);
  samples.forEach((s, k) => {
    if (s.data.length !== size || s.shape.join() !== shape.join()) {
      throw new RangeError(`${op}: samples in a batch must have the same shape, got [${shape}] and [${s.shape}]`);
    }
    if ((s.data instanceof Float32Array) !== isFloat) {
      throw new TypeError(`${op}: samples in a batch mix Uint8Array and Float32Array data`);
    }
    out.set(s.data, k * size);
  });
  const t = tensor(out, { dtype: isFloat ? "float32" : "int32", device });
  return t.reshape([samples.length, ...shape]);
}

/**
 * Stacks a list of samples into a batch, as `torch.utils.data.default_collate`: tensors are
 * stacked, numbers become an int32 (all integers) or float32 tensor, {@link HostTensor}s are
 * copied into one typed array and uploaded once, and arrays / plain objects are collated field
 * by field.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const [x, y] = data.defaultCollate([[{ data: new Float32Array([1, 2]), shape: [2] }, 0], [
 *   { data: new Float32Array([3, 4]), shape: [2] },
 *   1,
 * ]]) as data.Collated<[data.HostTensor, number]>;
 * assert.deepEqual(await x.toArray(), [[1, 2], [3, 4]]);
 * assert.equal(y.dtype, "int32");
 * ```
 */
export function defaultCollate<T>(samples: readonly T[], options: { device?: Device } = {}): Collated<T> {
  if (samples.length === 0) throw new RangeError("defaultCollate: expected at least one sample");
  return collateLeaves("defaultCollate", samples, options.device) as Collated<T>;
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function disposeAll(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeAll);
  else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach(disposeAll);
  }
}

/**
 * Iterates over a {@link Dataset} in batches, as `torch.utils.data.DataLoader`:
 * `for await (const [x, y] of loader)`. With `shuffle`, every epoch (every `for await`) draws a
 * new permutation from the loader's own PRNG, so a given `seed` reproduces the whole sequence
 * of epochs. While the consumer works on batch k, batch k+1 is already being assembled (its
 * samples fetched concurrently, collated on the host and uploaded), so a training step does not
 * wait on data loading. `length` is the number of batches per epoch.
 *
 * @example
 * ```ts
 * import { data, arange } from "denograd";
 * import assert from "node:assert/strict";
 * const ds = new data.TensorDataset(arange(10));
 * const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 0 });
 * assert.equal(loader.length, 3);
 * const seen: number[] = [];
 * for await (const [x] of loader) seen.push(...(await x.toArray()) as number[]);
 * assert.deepEqual(seen.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  /** The dataset batches are drawn from. */
  readonly dataset: Dataset<T>;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch draws a new order. */
  readonly shuffle: boolean;
  /** Whether an incomplete last batch is dropped. */
  readonly dropLast: boolean;
  #rng: Rng;
  #collate?: (samples: T[]) => B;
  #device?: Device;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!dataset || typeof dataset.get !== "function") {
      throw new TypeError("DataLoader: expected a Dataset (an object with length and get(i))");
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.#rng = new Rng(options.seed);
    this.#collate = options.collate;
    this.#device = options.device;
  }

  /** Batches per epoch: ⌊n / batchSize⌋ with `dropLast`, else ⌈n / batchSize⌉. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  async #load(indices: number[]): Promise<B> {
    if (!this.#collate && typeof this.dataset.getBatch === "function") {
      return await this.dataset.getBatch(indices) as B;
    }
    const samples = await Promise.all(indices.map((i) => this.dataset.get(i)));
    if (this.#collate) return this.#collate(samples);
    return collateLeaves("DataLoader", samples, this.#device) as B;
  }

  /** One epoch of batches; batch k+1 is prepared while the caller works on batch k. */
  async *[Symbol.asyncIterator](): AsyncGenerator<B> {
    const n = this.dataset.length;
    const order = this.shuffle ? this.#rng.permutation(n) : null;
    const count = this.length;
    const batchIndices = (b: number): number[] => {
      const out: number[] = [];
      for (let i = b * this.batchSize; i < Math.min(n, (b + 1) * this.batchSize); i++) out.push(order ? order[i] : i);
      return out;
    };
    const start = (b: number): Promise<B> => {
      // batches after the first start on a later task, once the consumer has dispatched its step
      // and awaits the device, so their host work fills that wait instead of delaying the step
      const p = b === 0 ? this.#load(batchIndices(b)) : nextTask().then(() => this.#load(batchIndices(b)));
      p.catch(() => {}); // a failure surfaces when the batch is awaited, not as an unhandled rejection
      return p;
    };
    let pending: Promise<B> | null = count > 0 ? start(0) : null;
    try {
      for (let b = 0; b < count; b++) {
        const batch = await pending!;
        pending = b + 1 < count ? start(b + 1) : null;
        yield batch;
      }
    } finally {
      // the consumer stopped early: release the batch prepared ahead, and swallow its errors
      if (pending) pending.then(disposeAll, () => {});
    }
  }
}
