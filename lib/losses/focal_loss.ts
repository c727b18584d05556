/** Focal loss (Lin et al. 2017), binary (sigmoid) and multi-class (softmax). @module */
import { Tensor } from "../tensor/tensor.ts";
import { tensor } from "../tensor/ops_creation.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link focalLoss} and {@link FocalLoss}. */
export interface FocalLossOptions extends ReductionOptions {
  /**
   * Binary: weight of the positive class, α·t + (1 − α)(1 − t) (default 0.25; negative
   * disables it, as in torchvision). Multi-class: per-class weights `[C]` (default none).
   */
  alpha?: number | readonly number[] | Tensor | null;
  /** Focusing exponent γ on (1 − p_t) (default 2). */
  gamma?: number;
}

const OP = "focalLoss";

function binary(logits: Tensor, target: Tensor, alpha: number, gamma: number): Tensor {
  if (target.shape.join() !== logits.shape.join()) {
    throw new RangeError(`${OP}: binary target [${target.shape}] must have the shape of logits [${logits.shape}]`);
  }
  const t = target.cast(logits.dtype);
  const p = logits.sigmoid();
  // binary cross-entropy with logits, stably: softplus(x) − x·t
  const ce = logits.softplus().sub(logits.mul(t));
  const pT = p.mul(t).add(p.neg().add(1).mul(t.neg().add(1)));
  let loss = ce.mul(pT.neg().add(1).pow(gamma));
  if (alpha >= 0) loss = loss.mul(t.mul(alpha).add(t.neg().add(1).mul(1 - alpha)));
  return loss;
}

function multiclass(logits: Tensor, target: Tensor, alpha: FocalLossOptions["alpha"], gamma: number): Tensor {
  if (
    logits.ndim < 2 || target.ndim !== logits.ndim - 1 ||
    target.shape.some((d, i) => d !== logits.shape[i === 0 ? 0 : i + 1])
  ) {
    throw new RangeError(
      `${OP}: multi-class logits must be [N, C, …] with class-index target [N, …]; got logits [${logits.shape}] ` +
        `and target [${target.shape}]`,
    );
  }
  const C = logits.shape[1];
  const logpT = logits.logSoftmax(1).gather(1, target.unsqueeze(1)).squeeze(1);
  let loss = logpT.exp().neg().add(1).pow(gamma).mul(logpT).neg();
  if (alpha !== undefined && alpha !== null) {
    const a = alpha instanceof Tensor
      ? alpha
      : tensor(typeof alpha === "number" ? new Array(C).fill(alpha) : [...alpha], {
        dtype: logits.dtype,
        device: logits.device,
      });
    if (a.ndim !== 1 || a.shape[0] !== C) {
      throw new RangeError(`${OP}: multi-class alpha must have one weight per class (${C}), got shape [${a.shape}]`);
    }
    loss = loss.mul(a.cast(logits.dtype).gather(0, target.reshape([target.size])).reshape(target.shape));
  }
  return loss;
}

/**
 * Focal loss: cross-entropy scaled by (1 − p_t)^γ so that well-classified examples count
 * less. A `target` of the logits' shape selects the binary form (sigmoid, exactly
 * torchvision.ops.sigmoid_focal_loss); an int32 class-index `target` with one dim fewer
 * (`[N, …]` for logits `[N, C, …]`) selects the multi-class form (softmax over dim 1).
 *
 * Unreduced, binary: l = α_t · (1 − p_t)^γ · BCEWithLogits(x, t), p = σ(x),
 * p_t = p·t + (1 − p)(1 − t), α_t = α·t + (1 − α)(1 − t).
 * Multi-class: l_n = −α_{y_n} (1 − p_{n,y_n})^γ log p_{n,y_n}, p = softmax(x, 1).
 * `"mean"` (default; torchvision defaults to `"none"`): mean of l (not normalised by α);
 * `"sum"`: Σ l.
 *
 * @param logits binary: any shape; multi-class: `[N, C, …]`.
 * @param target binary: values in [0, 1], same shape; multi-class: int32 `[N, …]`.
 * @param options `alpha` (0.25 binary, none multi-class), `gamma` (2), `reduction` (`"mean"`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const easy = await F.focalLoss(tensor([4.5]), tensor([1])).item();
 * const hard = await F.focalLoss(tensor([-4.5]), tensor([1])).item();
 * assert.ok(easy < hard * 1e-3);
 * ```
 */
export function focalLoss(logits: Tensor, target: Tensor, options: FocalLossOptions = {}): Tensor {
  return graphScope(() => focalLossUnscoped(logits, target, options));
}

function focalLossUnscoped(logits: Tensor, target: Tensor, options: FocalLossOptions = {}): Tensor {
  const gamma = options.gamma ?? 2;
  if (!(gamma >= 0)) throw new RangeError(`${OP}: gamma must be non-negative, got ${gamma}`);
  if (logits.dtype !== "float32" && logits.dtype !== "float64") {
    throw new TypeError(`${OP}: logits must be float, got ${logits.dtype}`);
  }
  let loss: Tensor;
  if (target.dtype === "int32" && target.ndim === logits.ndim - 1) {
    loss = multiclass(logits, target, options.alpha, gamma);
  } else {
    const alpha = options.alpha ?? 0.25;
    if (typeof alpha !== "number") {
      throw new TypeError(`${OP}: binary (float target) alpha must be a number, got ${String(alpha)}`);
    }
    loss = binary(logits, target, alpha, gamma);
  }
  return reduce(OP, loss, options.reduction);
}

/**
 * Focal loss as a module; see {@link focalLoss}.
 *
 * @example
 * ```ts
 * import { nn, randn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.FocalLoss({ gamma: 2 }).forward(randn([3, 4]), tensor([0, 3, 1], { dtype: "int32" }));
 * assert.deepEqual(loss.shape, []);
 * ```
 */
export class FocalLoss extends Loss<FocalLossOptions> {
  override forward(logits: Tensor, target: Tensor): Tensor {
    return focalLoss(logits, target, this.options);
  }
}
