/** Multi-task loss weighting by learned homoscedastic uncertainty. @module */
import { Tensor } from "../tensor/tensor.ts";
import { tensor, zeros } from "../tensor/ops_creation.ts";
import { stack } from "../tensor/ops_combine.ts";
import { Module } from "../nn/module.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link multiTaskLoss} and {@link MultiTaskLoss}. */
export interface MultiTaskLossOptions {
  /**
   * Which tasks are regressions, weighted ½·e^(−s)·L + ½·s (Kendall et al.'s Gaussian
   * likelihood); the others get e^(−s)·L + s. One flag per task, or one for all (default false).
   */
  regression?: boolean | readonly boolean[];
}

const OP = "multiTaskLoss";

function factors(regression: MultiTaskLossOptions["regression"], k: number): number[] {
  const flags = Array.isArray(regression) ? regression : new Array(k).fill(regression ?? false);
  if (flags.length !== k) throw new RangeError(`${OP}: regression has ${flags.length} flags for ${k} tasks`);
  return flags.map((r) => (r ? 0.5 : 1));
}

/**
 * Σ_i c_i·(e^(−s_i)·L_i + s_i) with s_i = log σ_i² (Kendall, Gal & Cipolla 2018) and
 * c_i = ½ for regression tasks, 1 otherwise: each task's loss is scaled by its learned
 * precision, and the s_i term keeps the precisions from growing without bound.
 *
 * @param losses the K scalar task losses.
 * @param logVars `[K]` log-variances s (trainable).
 * @param options `regression` (false).
 *
 * @example
 * ```ts
 * import { F, tensor, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * const total = await F.multiTaskLoss([tensor(2), tensor(3)], zeros([2])).item();
 * assert.equal(total, 5); // s = 0: plain sum
 * ```
 */
export function multiTaskLoss(losses: readonly Tensor[], logVars: Tensor, options: MultiTaskLossOptions = {}): Tensor {
  return graphScope(() => multiTaskLossUnscoped(losses, logVars, options));
}

function multiTaskLossUnscoped(losses: readonly Tensor[], logVars: Tensor, options: MultiTaskLossOptions = {}): Tensor {
  const k = losses.length;
  if (logVars.ndim !== 1 || logVars.shape[0] !== k) {
    throw new RangeError(`${OP}: logVars must have shape [${k}] (one per loss), got [${logVars.shape}]`);
  }
  losses.forEach((l, i) => {
    if (!(l instanceof Tensor) || l.size !== 1) {
      throw new TypeError(`${OP}: loss ${i} must be a one-element tensor, got ${String(l)}`);
    }
  });
  const c = tensor(factors(options.regression, k), { dtype: logVars.dtype, device: logVars.device });
  const l = stack(losses.map((t) => t.reshape([]).cast(logVars.dtype)));
  return logVars.neg().exp().mul(l).add(logVars).mul(c).sum();
}

/**
 * Learned uncertainty weighting of K task losses; its log-variances `logVars` (zeros at
 * start) are parameters, so pass `parameters()` to the optimizer with the model's. See
 * {@link multiTaskLoss} for the formula.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const weighting = new nn.MultiTaskLoss(2, { regression: [true, false] });
 * const total = weighting.forward([tensor(1.5), tensor(0.7)]);
 * total.backward();
 * assert.deepEqual(weighting.logVars.grad!.shape, [2]);
 * ```
 */
export class MultiTaskLoss extends Module {
  /** The log-variances s = log σ², one per task. */
  logVars: Tensor;
  /** Options fixed at construction. */
  readonly options: MultiTaskLossOptions;

  constructor(numTasks: number, options: MultiTaskLossOptions = {}) {
    super();
    if (!Number.isInteger(numTasks) || numTasks < 1) {
      throw new RangeError(`MultiTaskLoss: numTasks must be a positive integer, got ${numTasks}`);
    }
    factors(options.regression, numTasks);
    this.options = options;
    this.logVars = this.param(zeros([numTasks]));
  }

  /** The weighted total of `losses` (one scalar per task). */
  override forward(losses: readonly Tensor[]): Tensor {
    return multiTaskLoss(losses, this.logVars, this.options);
  }
}
