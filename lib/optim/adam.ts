/** Adam (`torch.optim.Adam`), and the fused update it shares with AdamW. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBetas, checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates [β1, β2] of the moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Term ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Use the AMSGrad maximum of second moments (default false). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, m, v, vMax · params: stepSize, β1, 1-β1, β2, 1-β2, √bc2, eps, λ, sign, pScale
const [p, g, m, v, vMax] = [0, 1, 2, 3, 4].map(fx.input);
const [stepSize, b1, oneMinusB1, b2, oneMinusB2, bc2Sqrt, eps, wd, sign, pScale] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  .map(fx.param);
const grad = fx.add(fx.mul(sign, g), fx.mul(wd, p));
const newM = fx.add(fx.mul(b1, m), fx.mul(oneMinusB1, grad));
const newV = fx.add(fx.mul(b2, v), fx.mul(oneMinusB2, fx.mul(grad, grad)));
const newVMax = fx.bin("maximum", vMax, newV);
function update(second: FusedExpr): FusedExpr {
  const denom = fx.add(fx.div(fx.un("sqrt", second), bc2Sqrt), eps);
  return fx.sub(fx.mul(p, pScale), fx.mul(stepSize, fx.div(newM, denom)));
}

/**
 * The Adam-family program: outputs [θ, m, v] (plus v̂max with `amsgrad`) from inputs
 * [θ, g, m, v, (v̂max)] and params [lr/bc1, β1, 1−β1, β2, 1−β2, √bc2, ε, λ, ±1, θ scale].
 */
export const adamPrograms: { plain: FusedExpr[]; amsgrad: FusedExpr[] } = {
  plain: [update(newV), newM, newV],
  amsgrad: [update(newVMax), newM, newV, newVMax],
};

/** Validates the options Adam and AdamW share. */
export function validateAdam(name: string, o: Required<AdamOptions>): void {
  checkBetas(name, o.betas);
  checkNumber(name, "eps", o.eps, { min: 0 });
  checkNumber(name, "weightDecay", o.weightDecay, { min: 0 });
  checkBoolean(name, "amsgrad", o.amsgrad);
  checkBoolean(name, "maximize", o.maximize);
}

/** Shared base of {@link Adam} and AdamW: one Adam-family step per parameter. */
export abstract class AdamBase extends Optimizer<AdamOptions> {
  /**
   * One step on `p`: `coupledDecay()` is added to the gradient as λθ (Adam), `pScale()`
   * multiplies θ first (AdamW's decoupled decay); both are read again by every replay of a
   * compiled step, as a scheduled learning rate changes them.
   */
  protected adamStep(
    p: Tensor,
    gradient: Tensor,
    state: ParamState,
    group: ParamGroup<AdamOptions>,
    coupledDecay: () => number,
    pScale: () => number,
  ): void {
    const inputs = [p, gradient, this.stateTensor(state, "expAvg", p), this.stateTensor(state, "expAvgSq", p)];
    const keys = ["expAvg", "expAvgSq"];
    if (group.amsgrad) {
      inputs.push(this.stateTensor(state, "maxExpAvgSq", p));
      keys.push("maxExpAvgSq");
    }
    const params = () => {
      const [beta1, beta2] = group.betas;
      const step = (state.step = ((state.step as number | undefined) ?? 0) + 1);
      const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
      return [
        group.lr / bc1,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        Math.sqrt(bc2),
        group.eps,
        coupledDecay(),
        group.maximize ? -1 : 1,
        pScale(),
      ];
    };
    this.applyFused(p, group.amsgrad ? adamPrograms.amsgrad : adamPrograms.plain, inputs, params, state, keys);
  }
}

/**
 * Adam, as `torch.optim.Adam` (L2 penalty coupled into the gradient; see AdamW for decoupled):
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  m_t = β1 m_{t-1} + (1 − β1) g_t;  v_t = β2 v_{t-1} + (1 − β2) g_t²;
 * θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)   (v_t → max(v̂max, v_t) with amsgrad).
 *
 * Options: `lr` = 1e-3, `betas` = [0.9, 0.999], `eps` = 1e-8, `weightDecay` = 0,
 * `amsgrad` = false, `maximize` = false. State: `step`, `expAvg`, `expAvgSq`, `maxExpAvgSq`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1, -1], { requiresGrad: true });
 * const opt = new optim.Adam([w], { lr: 0.1 });
 * w.grad = tensor([3, -0.5], { dtype: "float32" });
 * opt.step(); // the first step moves each weight by lr against its gradient's sign
 * const [a, b] = await w.data();
 * assert.ok(Math.abs(a - 0.9) < 1e-6 && Math.abs(b + 0.9) < 1e-6);
 * ```
 */
export class Adam extends AdamBase {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<AdamOptions>, options: AdamOptions = {}) {
    super(params, {
      name: "Adam",
      defaults: {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: false,
        maximize: false,
        ...options,
      },
      validate: (o) => validateAdam("Adam", o),
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdamOptions>): void {
    this.adamStep(p, grad, state, group, () => group.weightDecay, () => 1);
  }
}
