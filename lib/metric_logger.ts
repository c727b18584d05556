/**
 * Per-step metrics of a training loop without a device wait per step: see {@link MetricLogger}.
 * @module
 */
import { type PendingRead, readLater } from "./tensor/readback.ts";
import type { Tensor } from "./tensor/tensor.ts";

/** The values of one logged step, once they have reached the host. */
export interface LoggedStep {
  /** 0 for the first `log` call, then 1, 2, …. */
  step: number;
  /** Each metric's value at that step. */
  values: Record<string, number>;
}

/** Options of {@link MetricLogger}. */
export interface MetricLoggerOptions {
  /**
   * Steps per device wait: the values of `every` consecutive `log` calls are read with one wait,
   * which runs while the next `every` steps are recorded.
   * @default {10}
   */
  every?: number;
  /** Called for each step, in step order, when its values arrive (e.g. `(v) => bar.update(v)`). */
  onValues?: (values: Record<string, number>, step: number) => void;
  /**
   * Keep every step's values in `history`.
   * @default {true}
   */
  keepHistory?: boolean;
}

interface LoggedReads {
  step: number;
  reads: [string, PendingRead | number][];
}

/**
 * Logs one-element tensors (a loss, an accuracy) every step without waiting for the device every
 * step. `log({ loss })` records the copies at once (dispose `loss` right after, as usual) and
 * returns; every `every` steps the block of values logged since is read with one device wait,
 * which runs while the loop records the next steps, and `log` then returns the promise of the
 * block before it. So values arrive one block late, and a loop that awaits `log` every step waits
 * only when the device is more than a block behind.
 *
 * Why: on webgpu each device wait costs a fixed floor in Deno (11.2–11.7 ms median on an idle
 * queue, measured with llvmpipe; it does not shrink on a fast GPU; bench/README.md, "Readback
 * floor"); `await loss.item()` every step caps a loop at about 85 steps a second. With `every: 10`
 * the README's MLP loop (200 steps, loss read every step) ran 4.7–5.4× faster than with
 * `await loss.item()` per step, as fast as the same loop reading nothing (bench/readback.ts, two
 * runs on llvmpipe). `every: 1` reads each step one step behind (1.9–2.0× faster).
 *
 * Errors of a read (a fault raised by a kernel, a lost device) reject the `log` call that returns
 * that block's promise, or `flush()`.
 *
 * @example
 * ```ts
 * import { MetricLogger, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const seen: number[] = [];
 * const logger = new MetricLogger({ every: 4, onValues: (v) => seen.push(v.loss) });
 * for (let step = 0; step < 10; step++) {
 *   const loss = tensor([1 / (step + 1)]);
 *   await logger.log({ loss, lr: 0.1 }); // waits only for the block before the last one
 *   loss.dispose();
 * }
 * const history = await logger.flush(); // reads the rest
 * assert.equal(history.length, 10);
 * assert.ok(Math.abs(history[3].values.loss - 0.25) < 1e-7);
 * assert.equal(seen.length, 10);
 * assert.equal(logger.latest.lr, 0.1);
 * ```
 */
export class MetricLogger {
  /** Steps per device wait. */
  readonly every: number;
  /** Every step's values that have arrived, in step order (empty with `keepHistory: false`). */
  readonly history: LoggedStep[] = [];
  /** The values of the latest step that has arrived (e.g. for a progress bar). */
  latest: Record<string, number> = {};
  /** Steps logged so far. */
  steps = 0;
  readonly #onValues: MetricLoggerOptions["onValues"];
  readonly #keepHistory: boolean;
  #block: LoggedReads[] = [];
  #inFlight: Promise<void> = Promise.resolve();

  /** A logger that reads its values once every `every` steps (see {@link MetricLoggerOptions}). */
  constructor(options: MetricLoggerOptions = {}) {
    const every = options.every ?? 10;
    if (!Number.isInteger(every) || every < 1) {
      throw new RangeError(`MetricLogger: every must be a positive integer, got ${every}`);
    }
    this.every = every;
    this.#onValues = options.onValues;
    this.#keepHistory = options.keepHistory ?? true;
  }

  /**
   * Logs one step: each tensor in `values` (one element each) is copied now and read with its
   * block; numbers are kept as they are. Resolves at once, except every `every` steps, when it
   * starts this block's wait and returns the previous block's (whose values then are in
   * `history`/`latest`). Await it: it is what keeps a loop from running ahead of the device.
   */
  log(values: Record<string, Tensor | number>): Promise<void> {
    const reads: [string, PendingRead | number][] = [];
    for (const [name, v] of Object.entries(values)) {
      if (typeof v === "number") {
        reads.push([name, v]);
        continue;
      }
      if (v.size !== 1) {
        throw new RangeError(
          `MetricLogger.log: metric "${name}" has shape [${v.shape}] (${v.size} elements); log one-element ` +
            `tensors, e.g. ${name}.mean()`,
        );
      }
      reads.push([name, readLater(v)]);
    }
    this.#block.push({ step: this.steps++, reads });
    return this.#block.length >= this.every ? this.#startBlock() : Promise.resolve();
  }

  /** Reads every step logged so far and resolves to `history`. */
  async flush(): Promise<LoggedStep[]> {
    if (this.#block.length > 0) await this.#startBlock();
    await this.#inFlight;
    return this.history;
  }

  /** Starts the wait of the current block; returns the previous block's promise. */
  #startBlock(): Promise<void> {
    const block = this.#block;
    this.#block = [];
    for (const { reads } of block) {
      for (const [, r] of reads) if (typeof r !== "number") r.flush();
    }
    const previous = this.#inFlight;
    // in step order after the previous block; its error is reported once, by `previous`
    const current = previous.catch(() => {}).then(() => this.#deliver(block));
    current.catch(() => {});
    this.#inFlight = current;
    return previous;
  }

  async #deliver(block: LoggedReads[]): Promise<void> {
    for (const { step, reads } of block) {
      const values: Record<string, number> = {};
      for (const [name, r] of reads) values[name] = typeof r === "number" ? r : (await r.data())[0];
      this.latest = values;
      if (this.#keepHistory) this.history.push({ step, values });
      this.#onValues?.(values, step);
    }
  }
}
