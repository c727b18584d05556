/** Reduce the learning rate when a metric stops improving (`ReduceLROnPlateau`). @module */
import type { Optimizer } from "./optimizer.ts";
import { copyPlain, type SchedulerStateDict } from "./_lr_base.ts";
import { checkNumber } from "./_check.ts";

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** `"min"` (default): lower is better; `"max"`: higher is better. */
  mode?: "min" | "max";
  /** Multiplier of the rate on a plateau (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change counted as an improvement (default 1e-4). */
  threshold?: number;
  /** `"rel"` (default): best·(1 ∓ threshold); `"abs"`: best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound of the rate, one value or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Divides the rate by `1/factor` when the metric passed to `step(metric)` has not improved for
 * more than `patience` epochs, as `torch.optim.lr_scheduler.ReduceLROnPlateau`: new lr =
 * max(lr · factor, minLr), applied only if it lowers lr by more than `eps`. Improvement in
 * "min"/"rel" mode means metric < best · (1 − threshold). `metric` is a number
 * (`await loss.item()`).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
 * for (const loss of [1, 1, 1]) sched.step(loss);
 * assert.deepEqual(sched.getLastLr(), [0.5]);
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** `"min"` or `"max"`. */
  mode: "min" | "max";
  /** Multiplier applied on a plateau. */
  factor: number;
  /** Bad epochs tolerated before reducing. */
  patience: number;
  /** Minimum change that counts as an improvement. */
  threshold: number;
  /** `"rel"` or `"abs"`. */
  thresholdMode: "rel" | "abs";
  /** Epochs to wait after a reduction. */
  cooldown: number;
  /** Lower bound of each group's rate. */
  minLrs: number[];
  /** Smallest reduction applied. */
  eps: number;
  /** Best metric so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Cooldown epochs left. */
  cooldownCounter = 0;
  /** Number of `step` calls so far. */
  lastEpoch = 0;
  /** The learning rates after the last step. */
  lastLr: number[];

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const name = "ReduceLROnPlateau";
    this.optimizer = optimizer;
    this.factor = checkNumber(name, "factor", options.factor ?? 0.1, { max: 1, maxOpen: true });
    this.mode = options.mode ?? "min";
    if (this.mode !== "min" && this.mode !== "max") {
      throw new RangeError(`${name}: mode must be "min" or "max", got ${JSON.stringify(options.mode)}`);
    }
    this.thresholdMode = options.thresholdMode ?? "rel";
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") {
      throw new RangeError(
        `${name}: thresholdMode must be "rel" or "abs", got ${JSON.stringify(options.thresholdMode)}`,
      );
    }
    this.patience = checkNumber(name, "patience", options.patience ?? 10, { min: 0, integer: true });
    this.threshold = checkNumber(name, "threshold", options.threshold ?? 1e-4);
    this.cooldown = checkNumber(name, "cooldown", options.cooldown ?? 0, { min: 0, integer: true });
    this.eps = checkNumber(name, "eps", options.eps ?? 1e-8, { min: 0 });
    const n = optimizer.paramGroups.length, minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== n) {
      throw new RangeError(`${name}: expected ${n} minLr values (one per parameter group), got ${minLr.length}`);
    }
    this.minLrs = (Array.isArray(minLr) ? minLr : Array(n).fill(minLr)).map((v, i) =>
      checkNumber(name, `minLr[${i}]`, v, { min: 0 })
    );
    this.best = this.mode === "min" ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  #isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === "rel" ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records this epoch's `metric` and reduces the rates after a plateau. */
  step(metric: number): void {
    if (typeof metric !== "number") {
      throw new TypeError(`ReduceLROnPlateau: step(metric) needs a number (await loss.item()), got ${typeof metric}`);
    }
    this.lastEpoch++;
    if (this.#isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state as plain data (every field but the optimizer). */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) if (k !== "optimizer") out[k] = copyPlain(v);
    return out;
  }

  /** Restores a state from {@link ReduceLROnPlateau.stateDict}. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    for (const [k, v] of Object.entries(stateDict)) {
      if (k !== "optimizer") (this as Record<string, unknown>)[k] = copyPlain(v);
    }
  }
}
