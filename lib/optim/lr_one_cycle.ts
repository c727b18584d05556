/** The 1cycle policy (`torch.optim.lr_scheduler.OneCycleLR`). @module */
import type { Optimizer } from "./optimizer.ts";
import { LRScheduler } from "./_lr_base.ts";
import { checkBoolean, checkNumber } from "./_check.ts";

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** Peak learning rate, one value or one per group (required). */
  maxLr: number | number[];
  /** Total number of steps; else `epochs · stepsPerEpoch`. */
  totalSteps?: number;
  /** Number of epochs (with `stepsPerEpoch`, instead of `totalSteps`). */
  epochs?: number;
  /** Steps per epoch (with `epochs`). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** `"cos"` (default) or `"linear"` annealing. */
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (SGD/RMSprop `momentum`, or β1 of Adam-like `betas`) inversely (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak rate (default 0.85). */
  baseMomentum?: number | number[];
  /** Highest momentum, at the start and end (default 0.95). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, annihilate) instead of two (default false). */
  threePhase?: boolean;
  /** Index of the last step when resuming (default −1). */
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

function perGroup(name: string, value: number | number[], n: number): number[] {
  if (!Array.isArray(value)) return Array(n).fill(checkNumber("OneCycleLR", name, value));
  if (value.length !== n) throw new RangeError(`OneCycleLR: expected ${n} values for ${name}, got ${value.length}`);
  return value.map((v, i) => checkNumber("OneCycleLR", `${name}[${i}]`, v));
}

/**
 * The 1cycle policy, as torch 1.13: the rate rises from `maxLr/divFactor` to `maxLr` over
 * `pctStart` of the steps, then anneals to `initialLr/finalDivFactor`; momentum moves the other
 * way between `maxMomentum` and `baseMomentum`. Annealing from a to b at fraction x:
 * cos: b + (a − b)/2 · (1 + cos(πx)); linear: a + (b − a)x. Sets `initialLr`, `maxLr`, `minLr`,
 * `maxMomentum`, `baseMomentum` in each group. Stepping past `totalSteps` is a RangeError.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1, momentum: 0.9 });
 * const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
 * assert.ok(Math.abs(sched.getLastLr()[0] - 0.04) < 1e-12);
 * assert.equal(opt.paramGroups[0].momentum, 0.95);
 * ```
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the whole cycle. */
  totalSteps: number;
  /** `"cos"` or `"linear"`. */
  annealStrategy: "cos" | "linear";
  /** Whether momentum (or β1) cycles opposite to the rate. */
  cycleMomentum: boolean;
  /** Whether momentum lives in `betas[0]` (Adam-like) rather than `momentum`. */
  useBeta1: boolean;
  /** The schedule phases: end step and which group keys to anneal between. */
  phases: Phase[];

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super(optimizer, options?.lastEpoch);
    const o = options;
    if (o.totalSteps !== undefined) {
      this.totalSteps = checkNumber("OneCycleLR", "totalSteps", o.totalSteps, { min: 1, integer: true });
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps = checkNumber("OneCycleLR", "epochs", o.epochs, { min: 1, integer: true }) *
        checkNumber("OneCycleLR", "stepsPerEpoch", o.stepsPerEpoch, { min: 1, integer: true });
    } else {
      throw new TypeError("OneCycleLR: define either totalSteps or both epochs and stepsPerEpoch");
    }
    const pct = checkNumber("OneCycleLR", "pctStart", o.pctStart ?? 0.3, { min: 0, max: 1 });
    const total = this.totalSteps;
    this.phases = o.threePhase
      ? [
        {
          endStep: pct * total - 1,
          startLr: "initialLr",
          endLr: "maxLr",
          startMomentum: "maxMomentum",
          endMomentum: "baseMomentum",
        },
        {
          endStep: 2 * pct * total - 2,
          startLr: "maxLr",
          endLr: "initialLr",
          startMomentum: "baseMomentum",
          endMomentum: "maxMomentum",
        },
        {
          endStep: total - 1,
          startLr: "initialLr",
          endLr: "minLr",
          startMomentum: "maxMomentum",
          endMomentum: "maxMomentum",
        },
      ]
      : [
        {
          endStep: pct * total - 1,
          startLr: "initialLr",
          endLr: "maxLr",
          startMomentum: "maxMomentum",
          endMomentum: "baseMomentum",
        },
        {
          endStep: total - 1,
          startLr: "maxLr",
          endLr: "minLr",
          startMomentum: "baseMomentum",
          endMomentum: "maxMomentum",
        },
      ];
    this.annealStrategy = o.annealStrategy ?? "cos";
    if (this.annealStrategy !== "cos" && this.annealStrategy !== "linear") {
      throw new RangeError(
        `OneCycleLR: annealStrategy must be "cos" or "linear", got ${JSON.stringify(o.annealStrategy)}`,
      );
    }
    const n = this.groups.length;
    const maxLrs = perGroup("maxLr", o.maxLr, n);
    const divFactor = checkNumber("OneCycleLR", "divFactor", o.divFactor ?? 25, { min: 0, minOpen: true });
    const finalDiv = checkNumber("OneCycleLR", "finalDivFactor", o.finalDivFactor ?? 1e4, { min: 0, minOpen: true });
    if (this.lastEpoch === -1) {
      this.groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = maxLrs[i] / divFactor / finalDiv;
      });
    }
    this.cycleMomentum = checkBoolean("OneCycleLR", "cycleMomentum", o.cycleMomentum ?? true);
    this.useBeta1 = "betas" in optimizer.defaults;
    if (this.cycleMomentum) {
      if (!("momentum" in optimizer.defaults) && !this.useBeta1) {
        throw new TypeError("OneCycleLR: optimizer must have a momentum or betas option when cycleMomentum is true");
      }
      const maxM = perGroup("maxMomentum", o.maxMomentum ?? 0.95, n);
      const baseM = perGroup("baseMomentum", o.baseMomentum ?? 0.85, n);
      if (this.lastEpoch === -1) {
        this.groups.forEach((g, i) => {
          this.#setMomentum(g, maxM[i]);
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    this.start();
  }

  #setMomentum(g: Record<string, unknown>, m: number): void {
    if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "linear") return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${step + 1} times; totalSteps is ${this.totalSteps}`);
    }
    return this.groups.map((g) => {
      let start = 0, lr = 0;
      for (const [i, phase] of this.phases.entries()) {
        if (step <= phase.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (phase.endStep - start);
          lr = this.#anneal(g[phase.startLr] as number, g[phase.endLr] as number, pct);
          if (this.cycleMomentum) {
            this.#setMomentum(g, this.#anneal(g[phase.startMomentum] as number, g[phase.endMomentum] as number, pct));
          }
          break;
        }
        start = phase.endStep;
      }
      return lr;
    });
  }
}
