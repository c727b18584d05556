/** AdamW: Adam with decoupled weight decay (`torch.optim.AdamW`). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { AdamBase, type AdamOptions, validateAdam } from "./adam.ts";
import type { ParamGroup, Params, ParamState } from "./optimizer.ts";

/** Options of {@link AdamW}: Adam's, with `weightDecay` decoupled (default 1e-2). */
export type AdamWOptions = AdamOptions;

/**
 * AdamW, as `torch.optim.AdamW`: the decay shrinks the weights directly instead of being
 * added to the gradient.
 *
 * θ' = θ_{t-1}(1 − γλ);  g_t = ±∇f(θ_{t-1});  m_t, v_t as in Adam;
 * θ_t = θ' − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)   (v_t → max(v̂max, v_t) with amsgrad).
 *
 * Options: `lr` = 1e-3, `betas` = [0.9, 0.999], `eps` = 1e-8, `weightDecay` = 1e-2,
 * `amsgrad` = false, `maximize` = false. State: `step`, `expAvg`, `expAvgSq`, `maxExpAvgSq`.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([2], { requiresGrad: true });
 * const opt = new optim.AdamW([w], { lr: 0.1, weightDecay: 0.5 });
 * w.grad = tensor([1], { dtype: "float32" });
 * opt.step(); // 2·(1 − 0.05) − 0.1
 * assert.ok(Math.abs((await w.item()) - 1.8) < 1e-6);
 * ```
 */
export class AdamW extends AdamBase {
  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<AdamWOptions>, options: AdamWOptions = {}) {
    super(params, {
      name: "AdamW",
      defaults: {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 1e-2,
        amsgrad: false,
        maximize: false,
        ...options,
      },
      validate: (o) => validateAdam("AdamW", o),
    });
  }

  /** One fused update of `p` and its state (the formula in the class docs). */
  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdamWOptions>): void {
    this.adamStep(p, grad, state, group, () => 0, () => 1 - group.lr * group.weightDecay);
  }
}
