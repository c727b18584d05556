/** Binary cross entropy on logits, fused into one kernel forward and one backward. @module */
import { isGradEnabled, record } from "../tensor/tape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { full } from "../tensor/ops_creation.ts";
import { fusedElementwise, type FusedExpr, fx } from "../tensor/fused.ts";
import { checkReduction, Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { checkBinary, expandWeight } from "./bce.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link binaryCrossEntropyWithLogits} and {@link BCEWithLogitsLoss}. */
export interface BceWithLogitsOptions extends ReductionOptions {
  /** Rescaling weight, broadcastable to the input (default: none). */
  weight?: Tensor | null;
  /** Weight of positive examples, broadcast along the last (class) dim (default: none). */
  posWeight?: Tensor | null;
}

const NAME = "binaryCrossEntropyWithLogits";

// Inputs of the fused programs: 0 x, 1 y, 2 w, 3 pw, 4 g.
const X = fx.input(0);
const Y = fx.input(1);
const W = fx.input(2);
const PW = fx.input(3);
const G = fx.input(4);
const ONE = fx.c(1);
/** softplus(−x) = log1p(exp(−|x|)) + max(−x, 0), stable for any x. */
const SOFTPLUS_NEG_X = fx.add(
  fx.un("log1p", fx.un("exp", fx.un("neg", fx.un("abs", X)))),
  fx.un("relu", fx.un("neg", X)),
);
/** Log-weight 1 + (pw − 1)·y. */
const LOG_WEIGHT = fx.add(ONE, fx.mul(fx.sub(PW, ONE), Y));
/** ℓ = w·((1 − y)·x + (1 + (pw − 1)·y)·softplus(−x)). */
const LOSS: FusedExpr = fx.mul(W, fx.add(fx.mul(fx.sub(ONE, Y), X), fx.mul(LOG_WEIGHT, SOFTPLUS_NEG_X)));
/** ∂ℓ/∂x·g = (σ(x)·(1 + (pw − 1)·y) − pw·y)·w·g. */
const GRAD_X: FusedExpr = fx.mul(fx.mul(fx.sub(fx.mul(fx.un("sigmoid", X), LOG_WEIGHT), fx.mul(PW, Y)), W), G);
/** ∂ℓ/∂y·g = ((pw − 1)·softplus(−x) − x)·w·g. */
const GRAD_Y: FusedExpr = fx.mul(fx.mul(fx.sub(fx.mul(fx.sub(PW, ONE), SOFTPLUS_NEG_X), X), W), G);

/** The same loss from differentiable ops (double backward, or a weight that requires grad). */
function composed(x: Tensor, y: Tensor, w: Tensor | null, pw: Tensor | null): Tensor {
  const spNegX = x.abs().neg().exp().log1p().add(x.neg().relu());
  const logWeight = pw ? pw.sub(1).mul(y).add(1) : null;
  const l = y.neg().add(1).mul(x).add(logWeight ? logWeight.mul(spNegX) : spNegX);
  return w ? l.mul(w) : l;
}

/**
 * Binary cross entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits), i.e. a
 * sigmoid followed by BCE in the numerically stable form, with pos weight p:
 *
 *   ℓ_n = w_n·((1 − y_n)·x_n + (1 + (p − 1)·y_n)·(log1p(exp(−|x_n|)) + max(−x_n, 0)))
 *
 * which is max(x, 0) − x·y + log1p(exp(−|x|)) without weights. Forward and backward are one fused
 * kernel each; the backward is `(σ(x)·(1 + (p − 1)·y) − p·y)·w·g` for the input and
 * `((p − 1)·softplus(−x) − x)·w·g` for the target. `"mean"`/`"sum"`/`"none"` reduce ℓ.
 *
 * @param input Logits, any shape `[…, C]`.
 * @param target Same shape as the input, values in [0, 1].
 * @param options `weight` (broadcastable to the input), `posWeight` (`[C]`, broadcast along the last dim),
 *   `reduction` ("mean").
 * @returns A scalar, or the input's shape with `reduction: "none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.binaryCrossEntropyWithLogits(tensor([0, 0], { dtype: "float32" }), tensor([1, 0], { dtype: "float32" }));
 * assert.ok(Math.abs(await loss.item() - Math.LN2) < 1e-6);
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor {
  return graphScope(() => binaryCrossEntropyWithLogitsUnscoped(input, target, options));
}

function binaryCrossEntropyWithLogitsUnscoped(
  input: Tensor,
  target: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor {
  const w = checkBinary(NAME, input, target, options.weight);
  const pw = expandWeight(NAME, "posWeight", options.posWeight, input);
  checkReduction(NAME, options.reduction);
  if (w?.requiresGrad || pw?.requiresGrad) return reduce(NAME, composed(input, target, w, pw), options.reduction);
  const one = full([1], 1, { dtype: input.dtype, device: input.device });
  const ins = [input, target, w ?? one, pw ?? one];
  const [loss] = fusedElementwise([LOSS], ins);
  const out = record(NAME, [input, target], loss, (g) => {
    if (isGradEnabled()) {
      // createGraph: the same gradients from differentiable ops, so they can be differentiated again.
      return compositeGrads(input, target, w, pw, g);
    }
    const [gx, gy] = fusedElementwise([GRAD_X, GRAD_Y], [...ins, g.dtype === input.dtype ? g : g.cast(input.dtype)]);
    return [gx, target.requiresGrad ? gy : null];
  });
  return reduce(NAME, out, options.reduction);
}

/** The fused gradients written with differentiable ops. */
function compositeGrads(x: Tensor, y: Tensor, w: Tensor | null, pw: Tensor | null, g: Tensor): (Tensor | null)[] {
  const gw = w ? g.mul(w) : g;
  const logWeight = pw ? pw.sub(1).mul(y).add(1) : null;
  const gx = (logWeight ? x.sigmoid().mul(logWeight).sub(pw!.mul(y)) : x.sigmoid().sub(y)).mul(gw);
  const spNegX = x.abs().neg().exp().log1p().add(x.neg().relu());
  const gy = y.requiresGrad ? (pw ? pw.sub(1).mul(spNegX).sub(x) : x.neg()).mul(gw) : null;
  return [gx, gy];
}

/**
 * Binary cross entropy on logits as a module (torch.nn.BCEWithLogitsLoss); see
 * {@link binaryCrossEntropyWithLogits}.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.BCEWithLogitsLoss({ posWeight: tensor([2], { dtype: "float32" }) });
 * assert.ok((await loss.forward(tensor([0.5]), tensor([1], { dtype: "float32" })).item()) > 0);
 * ```
 */
export class BCEWithLogitsLoss extends Loss<BceWithLogitsOptions> {
  /** Loss of logits `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}
