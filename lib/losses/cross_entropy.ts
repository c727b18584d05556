/** Cross entropy between logits and class indices or class probabilities. @module */
import { Tensor } from "../tensor/tensor.ts";
import { isFloat } from "../tensor/dtype.ts";
import { type CrossEntropyRows, fusedCrossEntropyRows } from "../tensor/primitives.ts";
import { checkReduction, Loss, type ReductionOptions } from "./_reduction.ts";
import { checkTensor, checkWeight, classRows, safeClasses } from "./_classes.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link crossEntropy} and {@link CrossEntropyLoss}. */
export interface CrossEntropyOptions extends ReductionOptions {
  /** Rescaling weight per class, shape `[C]` (default: all ones). */
  weight?: Tensor | null;
  /** Class-index target value that is ignored and excluded from the mean (default -100). */
  ignoreIndex?: number;
  /** Amount of smoothing ε in [0, 1] (default 0): the target becomes (1−ε)·onehot + ε/C. */
  labelSmoothing?: number;
}

const NAME = "crossEntropy";

/**
 * Per-row losses `(1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])` and the rows' weights
 * w[y] (0 where ignored), composed from differentiable ops: the fallback of
 * {@link fusedCrossEntropyRows} where the backend has no crossEntropy primitive.
 */
function composedRows(a: CrossEntropyRows): [Tensor, Tensor] {
  const [m, c] = a.x.shape;
  const safe = safeClasses(NAME, a.t, c, a.ignoreIndex);
  const keep = a.t.ne(a.ignoreIndex).cast(a.x.dtype);
  const wy = a.weight ? a.weight.indexSelect(0, safe).mul(keep) : keep;
  const logp = a.x.logSoftmax(1);
  let rows = logp.gather(1, safe.reshape([m, 1])).reshape([m]).neg().mul(wy);
  if (a.eps !== 0) {
    const smooth = (a.weight ? logp.mul(a.weight.reshape([1, c])) : logp).sum(1).neg().mul(keep);
    rows = rows.mul(1 - a.eps).add(smooth.mul(a.eps / c));
  }
  return [rows, wy.detach()];
}

/**
 * Cross entropy between unnormalized logits and targets (torch.nn.functional.cross_entropy):
 * log-softmax over the class dimension (dim 1, or 0 for an unbatched `[C]` input) and the
 * negative log-likelihood.
 *
 * Class-index targets (int32), with y_n the target, w the weight and ε the label smoothing:
 *
 *   ℓ_n = (1−ε)·w[y_n]·(−log softmax(x_n)[y_n]) + (ε/C)·Σ_c w[c]·(−log softmax(x_n)[c])
 *
 * and ℓ_n = 0 where y_n = ignoreIndex. `"mean"` divides Σℓ_n by Σ w[y_n] over non-ignored n (NaN
 * when every target is ignored), `"sum"` sums, `"none"` returns ℓ with the target's shape.
 *
 * Probability targets (float, same shape as input), with p = (1−ε)·target + ε/C:
 * ℓ_n = −Σ_c w[c]·p_c·log softmax(x_n)[c]; `"mean"` divides by the number of rows (no weight
 * normalization).
 *
 * Class-index targets on a backend with the `crossEntropy` primitive (cpu and webgpu) run forward
 * and backward in one pass each; an index outside [0, C) that is not ignoreIndex is a RangeError
 * (at the call on cpu, at the next read on webgpu).
 *
 * @param input Logits `[N, C]`, `[N, C, d1, …]` or `[C]`.
 * @param target int32 `[N]`, `[N, d1, …]` or `[]`; or float of the input's shape.
 * @param options `weight` (`[C]`), `ignoreIndex` (-100), `reduction` ("mean"), `labelSmoothing` (0).
 * @returns The loss: a scalar, or the target's shape with `reduction: "none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const logits = tensor([[0, 0], [0, 0]], { dtype: "float32" });
 * const loss = F.crossEntropy(logits, tensor([0, 1], { dtype: "int32" }));
 * assert.ok(Math.abs(await loss.item() - Math.LN2) < 1e-6);
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return graphScope(() => crossEntropyUnscoped(input, target, options));
}

function crossEntropyUnscoped(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkTensor(NAME, "input", input, "float");
  if (!(target instanceof Tensor)) throw new TypeError(`${NAME}: target must be a Tensor, got ${typeof target}`);
  const reduction = checkReduction(NAME, options.reduction);
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== "number" || !(eps >= 0 && eps <= 1)) {
    throw new RangeError(`${NAME}: labelSmoothing must be in [0, 1], got ${eps}`);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) {
    throw new RangeError(`${NAME}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  if (input.ndim === 0) throw new RangeError(`${NAME}: input must have a class dimension, got a scalar`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const c = input.shape[classDim];
  const weight = options.weight ?? null;
  checkWeight(NAME, weight, c, input);
  if (isFloat(target.dtype)) return probabilityTargets(input, target, weight, eps, classDim, reduction);
  checkTensor(NAME, "target", target, "int32");
  if (target.device !== input.device) {
    throw new TypeError(`${NAME}: target is on ${target.device} but the input is on ${input.device}`);
  }
  const { rows: x, targetShape } = classRows(NAME, input, target);
  const args: CrossEntropyRows = { x, t: target.reshape([target.size]), weight, ignoreIndex, eps };
  const [rows, rowWeight] = fusedCrossEntropyRows(args) ?? composedRows(args);
  switch (reduction) {
    case "mean":
      return rows.sum().div(rowWeight.sum());
    case "sum":
      return rows.sum();
    case "none":
      return rows.reshape(targetShape);
  }
}

function probabilityTargets(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  eps: number,
  classDim: number,
  reduction: "mean" | "sum" | "none",
): Tensor {
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new RangeError(
      `${NAME}: probability targets must have the input's shape [${input.shape}], got [${target.shape}]`,
    );
  }
  const c = input.shape[classDim];
  const p = eps !== 0 ? target.mul(1 - eps).add(eps / c) : target;
  let prod = input.logSoftmax(classDim).mul(p);
  if (weight) prod = prod.mul(weight.reshape(input.shape.map((s, i) => (i === classDim ? s : 1))));
  const rows = prod.sum(classDim).neg();
  return reduction === "mean" ? rows.mean() : reduction === "sum" ? rows.sum() : rows;
}

/**
 * Cross entropy as a module (torch.nn.CrossEntropyLoss); see {@link crossEntropy} for the formula.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const value = loss.forward(tensor([[2, 0, 0]], { dtype: "float32" }), tensor([0], { dtype: "int32" }));
 * assert.ok((await value.item()) > 0);
 * ```
 */
export class CrossEntropyLoss extends Loss<CrossEntropyOptions> {
  /** Loss of logits `input` against class indices or probabilities `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}
