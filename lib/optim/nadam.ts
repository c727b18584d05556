/** NAdam: Adam with Nesterov momentum (`torch.optim.NAdam`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBetas, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link NAdam}. */
export interface NAdamOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β1, β2] (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Term ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum decay ψ (default 4e-3). */
  momentumDecay?: number;
}

// inputs: p, g, m, v · params: c1, c2, β1, 1-β1, β2, 1-β2, bc2, eps, weightDecay
const [p, g, m, v] = [0, 1, 2, 3].map(fx.input);
const [c1, c2, b1, oneMinusB1, b2, oneMinusB2, bc2, eps, wd] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(fx.param);
const grad = fx.add(g, fx.mul(wd, p));
const newM = fx.add(fx.mul(b1, m), fx.mul(oneMinusB1, grad));
const newV = fx.add(fx.mul(b2, v), fx.mul(oneMinusB2, fx.mul(grad, grad)));
const denom = fx.add(fx.un("sqrt", fx.div(newV, bc2)), eps);
const afterGrad = fx.add(p, fx.mul(c1, fx.div(grad, denom)));
const program: FusedExpr[] = [fx.add(afterGrad, fx.mul(c2, fx.div(newM, denom))), newM, newV];

/**
 * NAdam, as `torch.optim.NAdam`:
 *
 * g_t = ∇f(θ_{t-1}) + λθ_{t-1};  μ_t = β1(1 − ½·0.96^{tψ});  Π_t = ∏_{i≤t} μ_i;
 * m_t = β1 m_{t-1} + (1 − β1) g_t;  v_t = β2 v_{t-1} + (1 − β2) g_t²;  d = √(v_t/(1 − β2^t)) + ε;
 * θ_t = θ_{t-1} − γ(1 − μ_t)/(1 − Π_t) · g_t/d − γ μ_{t+1}/(1 − Π_t μ_{t+1}) · m_t/d.
 *
 * Options: `lr` = 2e-3, `betas` = [0.9, 0.999], `eps` = 1e-8, `weightDecay` = 0,
 * `momentumDecay` = 4e-3. State: `step`, `muProduct` (a number, rounded to float32 as torch
 * keeps it in a float32 tensor), `expAvg`, `expAvgSq`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.NAdam([w], { lr: 0.01 });
 * w.grad = tensor([1], { dtype: "float32" });
 * opt.step();
 * assert.ok((await w.item()) < 1);
 * ```
 */
export class NAdam extends Optimizer<NAdamOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<NAdamOptions>, options: NAdamOptions = {}) {
    super(params, {
      name: "NAdam",
      defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, ...options },
      validate(o) {
        checkBetas("NAdam", o.betas);
        checkNumber("NAdam", "eps", o.eps, { min: 0 });
        checkNumber("NAdam", "weightDecay", o.weightDecay, { min: 0 });
        checkNumber("NAdam", "momentumDecay", o.momentumDecay, { min: 0 });
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<NAdamOptions>): void {
    const inputs = [p, grad, this.stateTensor(state, "expAvg", p), this.stateTensor(state, "expAvgSq", p)];
    const params = () => {
      const { lr, eps, weightDecay, momentumDecay } = group;
      const [beta1, beta2] = group.betas;
      const step = (state.step = ((state.step as number | undefined) ?? 0) + 1);
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      const f = Math.fround;
      const muProduct = (state.muProduct = f(f((state.muProduct as number | undefined) ?? 1) * f(mu)));
      const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
      return [
        (-lr * (1 - mu)) / (1 - muProduct),
        (-lr * muNext) / (1 - muProductNext),
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        1 - beta2 ** step,
        eps,
        weightDecay,
      ];
    };
    this.applyFused(p, program, inputs, params, state, ["expAvg", "expAvgSq"]);
  }
}
