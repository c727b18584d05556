/** Adamax: Adam with the infinity norm (`torch.optim.Adamax`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBetas, checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link Adamax}. */
export interface AdamaxOptions {
  /** Learning rate γ (default 2e-3). */
  lr?: number;
  /** Decay rates [β1, β2] (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Term ε added to |g| (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, m, u · params: clr, β1, 1-β1, β2, eps, weightDecay, sign
const [p, g, m, u] = [0, 1, 2, 3].map(fx.input);
const [clr, b1, oneMinusB1, b2, eps, wd, sign] = [0, 1, 2, 3, 4, 5, 6].map(fx.param);
const grad = fx.add(fx.mul(sign, g), fx.mul(wd, p));
const newM = fx.add(fx.mul(b1, m), fx.mul(oneMinusB1, grad));
const newU = fx.bin("maximum", fx.mul(b2, u), fx.add(fx.un("abs", grad), eps));
const program: FusedExpr[] = [fx.sub(p, fx.mul(clr, fx.div(newM, newU))), newM, newU];

/**
 * Adamax, as `torch.optim.Adamax`:
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  m_t = β1 m_{t-1} + (1 − β1) g_t;  u_t = max(β2 u_{t-1}, |g_t| + ε);
 * θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / u_t.
 *
 * Options: `lr` = 2e-3, `betas` = [0.9, 0.999], `eps` = 1e-8, `weightDecay` = 0,
 * `maximize` = false. State: `step`, `expAvg` (m), `expInf` (u).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.Adamax([w], { lr: 0.1 });
 * w.grad = tensor([5], { dtype: "float32" });
 * opt.step(); // the first step moves by lr
 * assert.ok(Math.abs((await w.item()) - 0.9) < 1e-6);
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<AdamaxOptions>, options: AdamaxOptions = {}) {
    super(params, {
      name: "Adamax",
      defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, ...options },
      validate(o) {
        checkBetas("Adamax", o.betas);
        checkNumber("Adamax", "eps", o.eps, { min: 0 });
        checkNumber("Adamax", "weightDecay", o.weightDecay, { min: 0 });
        checkBoolean("Adamax", "maximize", o.maximize);
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdamaxOptions>): void {
    const inputs = [p, grad, this.stateTensor(state, "expAvg", p), this.stateTensor(state, "expInf", p)];
    const params = () => {
      const [beta1, beta2] = group.betas;
      const step = (state.step = ((state.step as number | undefined) ?? 0) + 1);
      return [
        group.lr / (1 - beta1 ** step),
        beta1,
        1 - beta1,
        beta2,
        group.eps,
        group.weightDecay,
        group.maximize ? -1 : 1,
      ];
    };
    this.applyFused(p, program, inputs, params, state, ["expAvg", "expInf"]);
  }
}
