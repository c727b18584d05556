/** Adadelta (`torch.optim.Adadelta`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link Adadelta}. */
export interface AdadeltaOptions {
  /** Coefficient γ scaling the delta (default 1.0). */
  lr?: number;
  /** Decay rate ρ of the running averages (default 0.9). */
  rho?: number;
  /** Term ε inside the square roots (default 1e-6). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, v, u · params: lr, ρ, 1-ρ, eps, weightDecay, sign
const [p, g, v, u] = [0, 1, 2, 3].map(fx.input);
const [lr, rho, oneMinusRho, eps, wd, sign] = [0, 1, 2, 3, 4, 5].map(fx.param);
const grad = fx.add(fx.mul(sign, g), fx.mul(wd, p));
const newV = fx.add(fx.mul(rho, v), fx.mul(oneMinusRho, fx.mul(grad, grad)));
const std = fx.un("sqrt", fx.add(newV, eps));
const delta = fx.mul(fx.div(fx.un("sqrt", fx.add(u, eps)), std), grad);
const newU = fx.add(fx.mul(rho, u), fx.mul(oneMinusRho, fx.mul(delta, delta)));
const program: FusedExpr[] = [fx.sub(p, fx.mul(lr, delta)), newV, newU];

/**
 * Adadelta, as `torch.optim.Adadelta`:
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  v_t = ρ v_{t-1} + (1 − ρ) g_t²;
 * Δ_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t;  u_t = ρ u_{t-1} + (1 − ρ) Δ_t²;  θ_t = θ_{t-1} − γ Δ_t.
 *
 * Options: `lr` = 1.0, `rho` = 0.9, `eps` = 1e-6, `weightDecay` = 0, `maximize` = false.
 * State: `step`, `squareAvg` (v), `accDelta` (u).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.Adadelta([w], { rho: 0 });
 * w.grad = tensor([2], { dtype: "float32" });
 * opt.step(); // v = 4, Δ = √1e-6/√(4 + 1e-6)·2 ≈ 1e-3
 * assert.ok(Math.abs((await w.item()) - 0.999) < 1e-6);
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<AdadeltaOptions>, options: AdadeltaOptions = {}) {
    super(params, {
      name: "Adadelta",
      defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...options },
      validate(o) {
        checkNumber("Adadelta", "rho", o.rho, { min: 0, max: 1 });
        checkNumber("Adadelta", "eps", o.eps, { min: 0 });
        checkNumber("Adadelta", "weightDecay", o.weightDecay, { min: 0 });
        checkBoolean("Adadelta", "maximize", o.maximize);
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdadeltaOptions>): void {
    const inputs = [p, grad, this.stateTensor(state, "squareAvg", p), this.stateTensor(state, "accDelta", p)];
    const params = () => {
      const { lr, rho, eps, weightDecay, maximize } = group;
      state.step = ((state.step as number | undefined) ?? 0) + 1;
      return [lr, rho, 1 - rho, eps, weightDecay, maximize ? -1 : 1];
    };
    this.applyFused(p, program, inputs, params, state, ["squareAvg", "accDelta"]);
  }
}
