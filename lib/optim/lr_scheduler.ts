/**
 * `optim.lrScheduler`: learning-rate schedules with torch 1.13's values. Create one after
 * the optimizer, call `optimizer.step()` then `scheduler.step()` once per epoch (or batch).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * const lrs = [];
 * for (let i = 0; i < 4; i++) {
 *   lrs.push(sched.getLastLr()[0]);
 *   opt.step();
 *   sched.step();
 * }
 * assert.deepEqual(lrs, [1, 1, 0.5, 0.5]);
 * ```
 * @module
 */
import type { Optimizer } from "./optimizer.ts";
import { bisectRight, LRScheduler } from "./_lr_base.ts";
import { checkNumber } from "./_check.ts";

export { LRScheduler, type SchedulerStateDict } from "./_lr_base.ts";
export { OneCycleLR, type OneCycleLROptions } from "./lr_one_cycle.ts";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./lr_plateau.ts";
export { SequentialLR } from "./lr_sequential.ts";

/** Options every epoch-indexed scheduler takes. */
export interface SchedulerOptions {
  /** Index of the last epoch when resuming (default −1: start fresh). */
  lastEpoch?: number;
}

/**
 * Sets each group's rate to `initialLr · λ(epoch)` (`torch.optim.lr_scheduler.LambdaLR`).
 * `lrLambda` is one function or one per parameter group. The functions are not saved in
 * the state dict.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 2 });
 * const sched = new optim.lrScheduler.LambdaLR(opt, (epoch) => 1 / (epoch + 1));
 * sched.step();
 * assert.deepEqual(sched.getLastLr(), [1]);
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** One multiplier function per parameter group. */
  readonly lrLambdas: ((epoch: number) => number)[];

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(
    optimizer: Optimizer,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    options: SchedulerOptions = {},
  ) {
    super(optimizer, options.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) {
      throw new RangeError(`LambdaLR: expected ${n} lrLambdas (one per parameter group), got ${lrLambda.length}`);
    }
    this.lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array(n).fill(lrLambda);
    if (this.lrLambdas.some((f) => typeof f !== "function")) {
      throw new TypeError("LambdaLR: lrLambda must be a function");
    }
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}

/**
 * Multiplies the rate by `gamma` every `stepSize` epochs (`torch.optim.lr_scheduler.StepLR`):
 * lr = initialLr · γ^⌊epoch / stepSize⌋. Options: `stepSize` (required), `gamma` = 0.1.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 1, gamma: 0.5 });
 * sched.step();
 * assert.deepEqual(sched.getLastLr(), [0.5]);
 * ```
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplicative decay factor. */
  gamma: number;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: SchedulerOptions & { stepSize: number; gamma?: number }) {
    super(optimizer, options?.lastEpoch);
    this.stepSize = checkNumber("StepLR", "stepSize", options?.stepSize, { min: 1, integer: true });
    this.gamma = checkNumber("StepLR", "gamma", options.gamma ?? 0.1);
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  /** The closed form at `lastEpoch` (used by `step(epoch)`). */
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Multiplies the rate by `gamma` at each milestone epoch (`torch.optim.lr_scheduler.MultiStepLR`):
 * lr = initialLr · γ^(number of milestones ≤ epoch); a milestone listed twice counts twice.
 * Options: `milestones` (required), `gamma` = 0.1.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.MultiStepLR(opt, { milestones: [1], gamma: 0.1 });
 * sched.step();
 * assert.deepEqual(sched.getLastLr(), [0.1]);
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** Sorted milestones, repeated ones kept. */
  milestones: number[];
  /** Multiplicative decay factor. */
  gamma: number;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: SchedulerOptions & { milestones: number[]; gamma?: number }) {
    super(optimizer, options?.lastEpoch);
    if (!Array.isArray(options?.milestones)) throw new TypeError("MultiStepLR: milestones must be an array of epochs");
    this.milestones = options.milestones.map((m, i) =>
      checkNumber("MultiStepLR", `milestones[${i}]`, m, { integer: true })
    )
      .sort((a, b) => a - b);
    this.gamma = checkNumber("MultiStepLR", "gamma", options.gamma ?? 0.1);
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.groups.map((g) => (count === 0 ? g.lr : g.lr * this.gamma ** count));
  }

  /** The closed form at `lastEpoch` (used by `step(epoch)`). */
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
}

/**
 * Multiplies the rate by `gamma` every epoch (`torch.optim.lr_scheduler.ExponentialLR`):
 * lr = initialLr · γ^epoch.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.5 });
 * sched.step();
 * sched.step();
 * assert.deepEqual(sched.getLastLr(), [0.25]);
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay factor. */
  gamma: number;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: SchedulerOptions & { gamma: number }) {
    super(optimizer, options?.lastEpoch);
    this.gamma = checkNumber("ExponentialLR", "gamma", options?.gamma);
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  /** The closed form at `lastEpoch` (used by `step(epoch)`). */
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/**
 * Cosine annealing (`torch.optim.lr_scheduler.CosineAnnealingLR`), in torch's recursive form:
 *
 * η_t = η_min + (η_{t−1} − η_min) · (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)),
 *
 * which equals η_min + (η_0 − η_min)(1 + cos(πt/T))/2 when nothing else changes the rate; past
 * `tMax` it rises again (period 2·tMax). Options: `tMax` (required), `etaMin` = 0.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 2 });
 * sched.step();
 * assert.ok(Math.abs(sched.getLastLr()[0] - 0.5) < 1e-12);
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half period T of the cosine, in epochs. */
  tMax: number;
  /** Lowest rate η_min. */
  etaMin: number;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, options: SchedulerOptions & { tMax: number; etaMin?: number }) {
    super(optimizer, options?.lastEpoch);
    this.tMax = checkNumber("CosineAnnealingLR", "tMax", options?.tMax, { min: 0, minOpen: true });
    this.etaMin = checkNumber("CosineAnnealingLR", "etaMin", options.etaMin ?? 0);
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    if (t === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2);
    }
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.groups.map((g) =>
      ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (g.lr - etaMin) + etaMin
    );
  }

  /** The closed form at `lastEpoch` (used by `step(epoch)`). */
  protected override closedFormLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2);
  }
}

/**
 * Scales the rate linearly from `startFactor` to `endFactor` over `totalIters` epochs
 * (`torch.optim.lr_scheduler.LinearLR`), then holds it:
 * lr = initialLr · (s + (e − s) · min(epoch, totalIters) / totalIters).
 * Options: `startFactor` = 1/3, `endFactor` = 1, `totalIters` = 5.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const sched = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
 * assert.deepEqual(sched.getLastLr(), [0.5]);
 * sched.step();
 * assert.deepEqual(sched.getLastLr(), [0.75]);
 * ```
 */
export class LinearLR extends LRScheduler {
  /** Multiplier at epoch 0. */
  startFactor: number;
  /** Multiplier from `totalIters` on. */
  endFactor: number;
  /** Epochs of the linear ramp. */
  totalIters: number;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(
    optimizer: Optimizer,
    options: SchedulerOptions & { startFactor?: number; endFactor?: number; totalIters?: number } = {},
  ) {
    super(optimizer, options.lastEpoch);
    this.startFactor = checkNumber("LinearLR", "startFactor", options.startFactor ?? 1 / 3, {
      min: 0,
      minOpen: true,
      max: 1,
    });
    this.endFactor = checkNumber("LinearLR", "endFactor", options.endFactor ?? 1, { min: 0, max: 1 });
    this.totalIters = checkNumber("LinearLR", "totalIters", options.totalIters ?? 5, { min: 1, integer: true });
    this.start();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    if (t === 0) return this.groups.map((g) => g.lr * s);
    if (t > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  /** The closed form at `lastEpoch` (used by `step(epoch)`). */
  protected override closedFormLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(n, t)) / n));
  }
}
