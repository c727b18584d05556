/** The base of learning-rate schedulers (torch's `_LRScheduler`). @module */
import type { Optimizer, ParamGroup } from "./optimizer.ts";

/** A plain, copyable record of a scheduler's state (functions and the optimizer left out). */
export type SchedulerStateDict = Record<string, unknown>;

/** Keys never put in a state dict: the optimizer, functions and nested schedulers. */
const TRANSIENT = new Set(["optimizer", "lrLambdas", "schedulers"]);

/** A deep copy of plain data (numbers, strings, arrays, plain objects). */
export function copyPlain<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Base class of epoch-indexed schedulers. `step()` advances `lastEpoch` and writes the new
 * learning rate of each parameter group (`group.lr`); `getLastLr()` returns those rates.
 * Subclasses set their fields, then call {@link LRScheduler.start} at the end of their
 * constructor (which, like torch, records `initialLr` in each group and takes the first step).
 * The state dict holds every own field except the optimizer and functions; torch's
 * `base_lrs`, `last_epoch`, `_step_count`, `_last_lr` are `baseLrs`, `lastEpoch`, `stepCount`,
 * `lastLr`.
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** Each group's `initialLr`. */
  baseLrs: number[] = [];
  /** Index of the last epoch (step) taken; −1 before the first. */
  lastEpoch: number;
  /** Number of `step()` calls, including the one made by the constructor. */
  stepCount = 0;
  /** The learning rates set by the last step. */
  lastLr: number[] = [];

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, lastEpoch = -1) {
    if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${new.target.name}: expected an optimizer, got ${String(optimizer)}`);
    }
    this.optimizer = optimizer;
    this.lastEpoch = lastEpoch;
  }

  /** The parameter groups of the optimizer. */
  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** Records `initialLr` (or checks it exists when resuming) and takes the first step. */
  protected start(): void {
    const name = this.constructor.name;
    this.groups.forEach((g, i) => {
      if (this.lastEpoch === -1) g.initialLr ??= g.lr;
      else if (typeof g.initialLr !== "number") {
        throw new RangeError(`${name}: paramGroups[${i}] has no initialLr, needed when resuming with lastEpoch >= 0`);
      }
    });
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    this.initialStep();
  }

  /** Resets the step count and takes the first step (SequentialLR calls it again). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The chainable rule: new rates from the current group rates and `lastEpoch`. */
  protected abstract getLr(): number[];

  /** The closed form at `lastEpoch`, used by `step(epoch)` where a scheduler has one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /**
   * Advances one epoch (or jumps to `epoch`, using the closed form when there is one) and
   * sets each group's `lr`.
   */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The learning rate of each group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state as plain data. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) if (!TRANSIENT.has(k) && typeof v !== "function") out[k] = copyPlain(v);
    return out;
  }

  /** Restores a state from {@link LRScheduler.stateDict}. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    for (const [k, v] of Object.entries(stateDict)) {
      if (!TRANSIENT.has(k)) (this as Record<string, unknown>)[k] = copyPlain(v);
    }
  }
}

/** Index of the first element of sorted `xs` greater than `x` (Python's `bisect_right`). */
export function bisectRight(xs: readonly number[], x: number): number {
  let i = 0;
  while (i < xs.length && xs[i] <= x) i++;
  return i;
}
