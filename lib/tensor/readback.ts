/**
 * Reads started now and awaited later. On webgpu every wait for the device costs a fixed floor in
 * Deno (about 11 ms on an idle queue: ext/webgpu polls the device, then sleeps 10 ms; see
 * bench/README.md, "Readback floor"), so a loop that awaits `loss.item()` every step cannot run
 * faster than about 85 steps a second. {@link readLater} records the copy at once (the tensor may be
 * disposed or overwritten right after) and defers the wait: every read recorded before the wait
 * starts shares it, so reading the loss of each of N steps costs one wait, not N.
 * `MetricLogger` (lib/metric_logger.ts) builds a training-loop logger on it.
 * @module
 */
import type { Backend, DType, HostArray, Storage } from "../backend/backend.ts";
import { unaryRaw } from "./ops_elementwise.ts";
import type { Tensor } from "./tensor.ts";

/**
 * A read recorded now and waited for later: what the webgpu runtime's `readLater` returns (its
 * read_group.ts `DeferredRead`). Declared here so the tensor layer does not import the backend.
 */
interface DeferredRead {
  wait(): Promise<void>;
  readonly ready: boolean;
  value(): HostArray;
}

/** A backend that can record a read now and wait for it later (webgpu; cpu reads finish at once). */
interface DeferringBackend {
  readLater(storage: Storage, op?: string): DeferredRead;
}

function defers(backend: Backend): backend is Backend & DeferringBackend {
  return typeof (backend as Partial<DeferringBackend>).readLater === "function";
}

/** A read that has already finished (or failed), as the cpu backend's reads are. */
function settledRead(promise: Promise<HostArray>): DeferredRead {
  let out: HostArray | null = null;
  const done = promise.then((v) => {
    out = v;
  });
  done.catch(() => {});
  return {
    wait: () => done,
    get ready() {
      return out !== null;
    },
    value: () => out!,
  };
}

/**
 * A tensor's values on their way to the host, from {@link readLater}. Await it (or call `data()`
 * / `item()`) for the values; `flush()` starts the device wait without waiting, so the values are
 * there by the time a later step awaits them. It stays valid after the tensor is disposed.
 *
 * Awaiting it starts the wait of every read recorded since the last wait (they share it: one
 * `mapAsync` for all of them), then resolves like `t.data()`: a fault recorded by an earlier
 * kernel (gather, crossEntropy, …) or a GPU error rejects it.
 */
export class PendingRead implements PromiseLike<HostArray> {
  /** Shape of the tensor read. */
  readonly shape: readonly number[];
  /** dtype of the tensor read. */
  readonly dtype: DType;
  readonly #read: DeferredRead;
  #result: Promise<HostArray> | null = null;

  /** Internal: use {@link readLater}. */
  constructor(read: DeferredRead, shape: readonly number[], dtype: DType) {
    this.#read = read;
    this.shape = shape;
    this.dtype = dtype;
  }

  /** Whether the values have reached the host (awaiting this read then costs no device wait). */
  get ready(): boolean {
    return this.#read.ready;
  }

  /**
   * Starts the device wait now (with every read recorded since the last one) without waiting for
   * it; errors are kept for `data()`. Returns this read.
   */
  flush(): this {
    this.#read.wait().catch(() => {});
    return this;
  }

  /** The values as a flat, row-major typed array, like `Tensor.data()`. */
  data(): Promise<HostArray> {
    this.#result ??= this.#read.wait().then(() => this.#read.value());
    return this.#result;
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.shape.reduce((n, d) => n * d, 1) !== 1) {
      throw new RangeError(
        `readLater: tensor of shape [${this.shape}] has more than one element; item() needs exactly one`,
      );
    }
    return (await this.data())[0];
  }

  /** Makes `await read` resolve to the values (see `data()`). */
  then<A = HostArray, B = never>(
    onfulfilled?: ((value: HostArray) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.data().then(onfulfilled, onrejected);
  }
}

/**
 * Starts reading `t` to the host and returns at once: the copy is recorded now (so `t` may be
 * disposed, or overwritten by later steps, right after), the wait for the device only when the
 * result is awaited, `flush()`ed, or another read (`data()`, `item()`) starts one. Reads recorded
 * before a wait all share it. On webgpu a wait costs a fixed floor in Deno (11.2–11.7 ms median on
 * an idle queue, measured with llvmpipe; it does not shrink on a fast GPU), so a loop that reads its
 * loss every step this way and awaits the reads every N steps pays that floor once per N steps
 * instead of every step. On cpu the read completes at once.
 *
 * @param t The tensor to read (any shape, any dtype).
 * @returns A {@link PendingRead}: await it for the flat values (`HostArray`), or call `item()`.
 * @example
 * ```ts
 * import { readLater, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const losses = [];
 * for (let step = 0; step < 5; step++) {
 *   const loss = tensor([step]).mul(2);
 *   losses.push(readLater(loss)); // recorded now, no wait
 *   loss.dispose();
 * }
 * const values = await Promise.all(losses.map((r) => r.item())); // one device wait for all five
 * assert.deepEqual(values, [0, 2, 4, 6, 8]);
 * ```
 */
export function readLater(t: Tensor): PendingRead {
  t.storage("readLater"); // throws for a disposed tensor
  if (t.isDense) return new PendingRead(start(t.backend, t.storage("readLater")), t.shape, t.dtype);
  // a copy of just this view, as Tensor.data() reads it; freeing it right after the recorded
  // copy is safe, since later kernels that reuse its buffer run after that copy
  const c = unaryRaw("copy", t);
  try {
    return new PendingRead(start(c.backend, c.storage("readLater")), t.shape, t.dtype);
  } finally {
    c.dispose();
  }
}

function start(backend: Backend, storage: Storage): DeferredRead {
  return defers(backend) ? backend.readLater(storage, "readLater") : settledRead(backend.read(storage));
}
