/** RMSprop (`torch.optim.RMSprop`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link RMSprop}. */
export interface RMSpropOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Term ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Normalize by the variance estimate v − ḡ² instead of v (default false). */
  centered?: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, v, then ḡ (centered) and b (momentum) · params: lr, α, 1-α, eps, weightDecay, sign, momentum
const [lr, alpha, oneMinusAlpha, eps, wd, sign, momentum] = [0, 1, 2, 3, 4, 5, 6].map(fx.param);

/** Program with outputs [θ, v, (ḡ), (b)]; built once per variant. */
function build(centered: boolean, withMomentum: boolean): FusedExpr[] {
  const [p, g, v] = [0, 1, 2].map(fx.input);
  const grad = fx.add(fx.mul(sign, g), fx.mul(wd, p));
  const newV = fx.add(fx.mul(alpha, v), fx.mul(oneMinusAlpha, fx.mul(grad, grad)));
  const outputs = [newV];
  let variance = newV;
  if (centered) {
    const newAvg = fx.add(fx.mul(alpha, fx.input(3)), fx.mul(oneMinusAlpha, grad));
    variance = fx.sub(newV, fx.mul(newAvg, newAvg));
    outputs.push(newAvg);
  }
  const avg = fx.add(fx.un("sqrt", variance), eps);
  if (!withMomentum) return [fx.sub(p, fx.mul(lr, fx.div(grad, avg))), ...outputs];
  const newBuf = fx.add(fx.mul(momentum, fx.input(centered ? 4 : 3)), fx.div(grad, avg));
  return [fx.sub(p, fx.mul(lr, newBuf)), ...outputs, newBuf];
}
const programs = [build(false, false), build(false, true), build(true, false), build(true, true)];

/**
 * RMSprop, as `torch.optim.RMSprop`:
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  v_t = α v_{t-1} + (1 − α) g_t²;  ṽ = v_t, or v_t − ḡ_t² when
 * centered with ḡ_t = α ḡ_{t-1} + (1 − α) g_t;  with momentum b_t = μ b_{t-1} + g_t/(√ṽ + ε) and
 * θ_t = θ_{t-1} − γ b_t, else θ_t = θ_{t-1} − γ g_t/(√ṽ + ε).
 *
 * Options: `lr` = 1e-2, `alpha` = 0.99, `eps` = 1e-8, `weightDecay` = 0, `momentum` = 0,
 * `centered` = false, `maximize` = false. State: `step`, `squareAvg`, `momentumBuffer`, `gradAvg`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.RMSprop([w], { lr: 0.01, alpha: 0.75 });
 * w.grad = tensor([2], { dtype: "float32" });
 * opt.step(); // v = 0.25·4 = 1: 1 − 0.01·2/1
 * assert.ok(Math.abs((await w.item()) - 0.98) < 1e-6);
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<RMSpropOptions>, options: RMSpropOptions = {}) {
    super(params, {
      name: "RMSprop",
      defaults: {
        lr: 1e-2,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        centered: false,
        maximize: false,
        ...options,
      },
      validate(o) {
        checkNumber("RMSprop", "alpha", o.alpha, { min: 0 });
        checkNumber("RMSprop", "eps", o.eps, { min: 0 });
        checkNumber("RMSprop", "weightDecay", o.weightDecay, { min: 0 });
        checkNumber("RMSprop", "momentum", o.momentum, { min: 0 });
        checkBoolean("RMSprop", "centered", o.centered);
        checkBoolean("RMSprop", "maximize", o.maximize);
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<RMSpropOptions>): void {
    const { momentum, centered } = group;
    const inputs = [p, grad, this.stateTensor(state, "squareAvg", p)];
    const keys = ["squareAvg"];
    if (centered) keys.push("gradAvg");
    if (momentum > 0) keys.push("momentumBuffer");
    for (const key of keys.slice(1)) inputs.push(this.stateTensor(state, key, p));
    const params = () => {
      const { lr, alpha, eps, weightDecay, maximize } = group;
      state.step = ((state.step as number | undefined) ?? 0) + 1;
      return [lr, alpha, 1 - alpha, eps, weightDecay, maximize ? -1 : 1, momentum];
    };
    this.applyFused(p, programs[(centered ? 2 : 0) + (momentum > 0 ? 1 : 0)], inputs, params, state, keys);
  }
}
