/** RAdam: rectified Adam (`torch.optim.RAdam`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBetas, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link RAdam}. */
export interface RAdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β1, β2] (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Term ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
}

// inputs: p, g, m, v · params: lr, bc1, √bc2, rect, rectify (1/0), β1, 1-β1, β2, 1-β2, eps, weightDecay
const [p, g, m, v] = [0, 1, 2, 3].map(fx.input);
const [lr, bc1, bc2Sqrt, rect, rectify, b1, oneMinusB1, b2, oneMinusB2, eps, wd] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  .map(fx.param);
const grad = fx.add(g, fx.mul(wd, p));
const newM = fx.add(fx.mul(b1, m), fx.mul(oneMinusB1, grad));
const newV = fx.add(fx.mul(b2, v), fx.mul(oneMinusB2, fx.mul(grad, grad)));
const scaled = fx.mul(fx.div(newM, bc1), lr);
const adaptive = fx.div(bc2Sqrt, fx.add(fx.un("sqrt", newV), eps));
const delta = fx.where(rectify, fx.mul(fx.mul(scaled, adaptive), rect), scaled);
const program: FusedExpr[] = [fx.sub(p, delta), newM, newV];

/**
 * RAdam, as `torch.optim.RAdam`:
 *
 * g_t = ∇f(θ_{t-1}) + λθ_{t-1};  m_t, v_t as in Adam;  m̂ = m_t/(1 − β1^t);
 * ρ∞ = 2/(1 − β2) − 1;  ρ_t = ρ∞ − 2tβ2^t/(1 − β2^t);
 * if ρ_t > 5: r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)),
 * θ_t = θ_{t-1} − γ m̂ · √(1 − β2^t)/(√v_t + ε) · r;  else θ_t = θ_{t-1} − γ m̂.
 *
 * Options: `lr` = 1e-3, `betas` = [0.9, 0.999], `eps` = 1e-8, `weightDecay` = 0.
 * State: `step`, `expAvg`, `expAvgSq`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.RAdam([w], { lr: 0.1 });
 * w.grad = tensor([3], { dtype: "float32" });
 * opt.step(); // not rectified yet: θ − γ·m̂ = 1 − 0.1·3
 * assert.ok(Math.abs((await w.item()) - 0.7) < 1e-6);
 * ```
 */
export class RAdam extends Optimizer<RAdamOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<RAdamOptions>, options: RAdamOptions = {}) {
    super(params, {
      name: "RAdam",
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...options },
      validate(o) {
        checkBetas("RAdam", o.betas);
        checkNumber("RAdam", "eps", o.eps, { min: 0 });
        checkNumber("RAdam", "weightDecay", o.weightDecay, { min: 0 });
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<RAdamOptions>): void {
    const inputs = [p, grad, this.stateTensor(state, "expAvg", p), this.stateTensor(state, "expAvgSq", p)];
    const params = () => {
      const [beta1, beta2] = group.betas;
      const step = (state.step = ((state.step as number | undefined) ?? 0) + 1);
      const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
      const rectify = rhoT > 5;
      const r = rectify ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      return [
        group.lr,
        bc1,
        Math.sqrt(bc2),
        r,
        rectify ? 1 : 0,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        group.eps,
        group.weightDecay,
      ];
    };
    this.applyFused(p, program, inputs, params, state, ["expAvg", "expAvgSq"]);
  }
}
