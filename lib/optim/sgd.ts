/** Stochastic gradient descent with momentum (`torch.optim.SGD`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { type FusedExpr, fx } from "../tensor/fused.ts";
import { checkBoolean, checkNumber } from "./_check.ts";
import { Optimizer, type ParamGroup, type Params, type ParamState } from "./optimizer.ts";

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Learning rate γ (required). */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize?: boolean;
}

// inputs: p, g, buf · params: lr, sign, weightDecay, bufCoef, gradCoef, momentum
const [p, g, buf] = [0, 1, 2].map(fx.input);
const [lr, sign, wd, bufCoef, gradCoef, momentum] = [0, 1, 2, 3, 4, 5].map(fx.param);
const dp = fx.add(fx.mul(sign, g), fx.mul(wd, p));
const plain: FusedExpr[] = [fx.sub(p, fx.mul(lr, dp))];
const newBuf = fx.add(fx.mul(bufCoef, buf), fx.mul(gradCoef, dp));
const heavyBall: FusedExpr[] = [fx.sub(p, fx.mul(lr, newBuf)), newBuf];
const nesterov: FusedExpr[] = [fx.sub(p, fx.mul(lr, fx.add(dp, fx.mul(momentum, newBuf)))), newBuf];

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum, as `torch.optim.SGD`:
 *
 * g_t = ±∇f(θ_{t-1}) + λθ_{t-1};  b_1 = g_1,  b_t = μ b_{t-1} + (1 − τ) g_t;
 * θ_t = θ_{t-1} − γ·(g_t + μ b_t)  with nesterov, else  θ_{t-1} − γ·b_t  (γ·g_t when μ = 0).
 *
 * Options: `lr` (required), `momentum` = 0, `dampening` = 0, `weightDecay` = 0,
 * `nesterov` = false, `maximize` = false. State per parameter: `momentumBuffer` (when μ ≠ 0).
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
 * for (let i = 0; i < 2; i++) {
 *   w.grad = tensor([1], { dtype: "float32" });
 *   opt.step();
 * }
 * // b1 = 1, b2 = 0.9 + 1: w = 1 - 0.1 - 0.19
 * assert.ok(Math.abs((await w.item()) - 0.71) < 1e-6);
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<SGDOptions>, options: SGDOptions) {
    if (options?.lr === undefined) throw new TypeError("SGD: lr is required, e.g. new optim.SGD(params, { lr: 0.01 })");
    super(params, {
      name: "SGD",
      defaults: { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options },
      validate(o) {
        checkNumber("SGD", "momentum", o.momentum, { min: 0 });
        checkNumber("SGD", "dampening", o.dampening);
        checkNumber("SGD", "weightDecay", o.weightDecay, { min: 0 });
        checkBoolean("SGD", "maximize", o.maximize);
        if (checkBoolean("SGD", "nesterov", o.nesterov) && (o.momentum <= 0 || o.dampening !== 0)) {
          throw new RangeError(
            `SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum ${o.momentum} ` +
              `and dampening ${o.dampening}`,
          );
        }
      },
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<SGDOptions>): void {
    const sign = () => (group.maximize ? -1 : 1);
    if (group.momentum === 0) {
      this.applyFused(p, plain, [p, grad], () => [group.lr, sign(), group.weightDecay], state, []);
      return;
    }
    const first = state.momentumBuffer === undefined;
    const buf = this.stateTensor(state, "momentumBuffer", p);
    const params = () => {
      const { lr, momentum, dampening, weightDecay } = group;
      return [lr, sign(), weightDecay, first ? 0 : momentum, first ? 1 : 1 - dampening, momentum];
    };
    this.applyFused(p, group.nesterov ? nesterov : heavyBall, [p, grad, buf], params, state, ["momentumBuffer"]);
  }
}
