/** Adagrad (`torch.optim.Adagrad`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link Adagrad}. */
export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Learning-rate decay η (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Term ε added to the denominator (default 1e-10). */
  eps?: number;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, sum · params: clr, eps, weightDecay, sign
const [p, g, sum] = [0, 1, 2].map(fx.input);
const [clr, eps, wd, sign] = [0, 1, 2, 3].map(fx.param);
const grad = fx.add(fx.mul(sign, g), fx.mul(wd, p));
const newSum = fx.add(sum, fx.mul(grad, grad));
const program: FusedExpr[] = [fx.sub(p, fx.mul(clr, fx.div(grad, fx.add(fx.un("sqrt", newSum), eps)))), newSum];

/**
 * Adagrad, as `torch.optim.Adagrad`:
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  γ̃ = γ / (1 + (t − 1)η);  s_t = s_{t-1} + g_t²;
 * θ_t = θ_{t-1} − γ̃ · g_t / (√s_t + ε).
 *
 * Options: `lr` = 1e-2, `lrDecay` = 0, `weightDecay` = 0, `initialAccumulatorValue` = 0,
 * `eps` = 1e-10, `maximize` = false. State: `step`, `sum`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.Adagrad([w], { lr: 0.5 });
 * w.grad = tensor([4], { dtype: "float32" });
 * opt.step(); // 1 − 0.5·4/√16
 * assert.ok(Math.abs((await w.item()) - 0.5) < 1e-6);
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<AdagradOptions>, options: AdagradOptions = {}) {
    super(params, {
      name: "Adagrad",
      defaults: {
        lr: 1e-2,
        lrDecay: 0,
        weightDecay: 0,
        initialAccumulatorValue: 0,
        eps: 1e-10,
        maximize: false,
        ...options,
      },
      validate(o) {
        checkNumber("Adagrad", "lrDecay", o.lrDecay, { min: 0 });
        checkNumber("Adagrad", "weightDecay", o.weightDecay, { min: 0 });
        checkNumber("Adagrad", "initialAccumulatorValue", o.initialAccumulatorValue, { min: 0 });
        checkNumber("Adagrad", "eps", o.eps, { min: 0 });
        checkBoolean("Adagrad", "maximize", o.maximize);
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdagradOptions>): void {
    const sum = this.stateTensor(state, "sum", p, group.initialAccumulatorValue);
    const params = () => {
      const step = (state.step = ((state.step as number | undefined) ?? 0) + 1);
      const clr = group.lr / (1 + (step - 1) * group.lrDecay);
      return [clr, group.eps, group.weightDecay, group.maximize ? -1 : 1];
    };
    this.applyFused(p, program, [p, grad, sum], params, state, ["sum"]);
  }
}
