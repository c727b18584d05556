/** Schedulers run one after another (`torch.optim.lr_scheduler.SequentialLR`). @module */
import type { Optimizer } from "./optimizer.ts";
import { bisectRight, LRScheduler, type SchedulerStateDict } from "./_lr_base.ts";
import { checkNumber } from "./_check.ts";

/**
 * Runs `schedulers[i]` between `milestones[i-1]` and `milestones[i]`, as torch 1.13: at a
 * milestone the next scheduler restarts from epoch 0 (its closed form, so the rate jumps back
 * to its start value). All schedulers must share `optimizer`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const { ExponentialLR, LinearLR, SequentialLR } = optim.lrScheduler;
 * const warmup = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
 * const decay = new ExponentialLR(opt, { gamma: 0.5 });
 * const sched = new SequentialLR(opt, [warmup, decay], { milestones: [2] });
 * const lrs = [sched.getLastLr()[0]];
 * for (let i = 0; i < 3; i++) {
 *   sched.step();
 *   lrs.push(sched.getLastLr()[0]);
 * }
 * assert.deepEqual(lrs, [0.5, 0.75, 1, 0.5]);
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The schedulers, in order. */
  readonly schedulers: LRScheduler[];
  /** Epochs at which the next one takes over. */
  milestones: number[];

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(optimizer: Optimizer, schedulers: LRScheduler[], options: { milestones: number[]; lastEpoch?: number }) {
    super(optimizer, (options?.lastEpoch ?? -1) + 1);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new RangeError(`SequentialLR: scheduler ${i} belongs to a different optimizer than the one passed in`);
      }
    });
    const milestones = options?.milestones;
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `SequentialLR: expected ${schedulers.length - 1} milestones (one fewer than schedulers), ` +
          `got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`,
      );
    }
    this.milestones = milestones.map((m, i) => checkNumber("SequentialLR", `milestones[${i}]`, m, { integer: true }));
    this.schedulers = [...schedulers];
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    for (const g of this.groups) g.lr = g.initialLr as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  /** The chainable rule (torch's `get_lr`). */
  protected getLr(): number[] {
    return this.lastLr;
  }

  /** Advances the scheduler whose range holds the new epoch. */
  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /** State of this scheduler with each sub-scheduler's under `schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Restores this scheduler and each sub-scheduler. */
  override loadStateDict(stateDict: SchedulerStateDict): void {
    super.loadStateDict(stateDict);
    const nested = stateDict.schedulers as SchedulerStateDict[] | undefined;
    nested?.forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}
