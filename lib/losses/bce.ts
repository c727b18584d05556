/** Binary cross entropy of probabilities. @module */
import { record } from "../tensor/tape.ts";
import { noGrad } from "../tensor/tape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { checkReduction, Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { checkTensor } from "./_classes.ts";
import { faultUnless } from "../tensor/primitives.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link binaryCrossEntropy} and {@link BCELoss}. */
export interface BceOptions extends ReductionOptions {
  /** Rescaling weight, broadcastable to the input (default: none). */
  weight?: Tensor | null;
}

const NAME = "binaryCrossEntropy";

/** Checks `input` and `target` (same shape, float) and returns `weight` expanded to the input's shape. */
export function checkBinary(loss: string, input: Tensor, target: Tensor, weight?: Tensor | null): Tensor | null {
  checkTensor(loss, "input", input, "float");
  checkTensor(loss, "target", target, "float");
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new RangeError(`${loss}: target of shape [${target.shape}] must match the input's shape [${input.shape}]`);
  }
  return expandWeight(loss, "weight", weight, input);
}

/** `weight` (broadcastable to `input`, trailing dims aligned) expanded to the input's shape. */
export function expandWeight(
  loss: string,
  name: string,
  weight: Tensor | null | undefined,
  input: Tensor,
): Tensor | null {
  if (weight === undefined || weight === null) return null;
  checkTensor(loss, name, weight, "float");
  const lead = input.ndim - weight.ndim;
  if (lead < 0 || weight.shape.some((s, i) => s !== 1 && s !== input.shape[lead + i])) {
    throw new RangeError(
      `${loss}: ${name} of shape [${weight.shape}] does not broadcast to the input's shape [${input.shape}]`,
    );
  }
  return weight.expand(input.shape);
}

/**
 * Binary cross entropy between probabilities `input` and targets (torch.nn.functional.binary_cross_entropy):
 *
 *   ℓ_n = −w_n·(y_n·log x_n + (1 − y_n)·log(1 − x_n))
 *
 * with each log clamped at −100 (as PyTorch does, so x = 0 or 1 stays finite). The gradient is
 * PyTorch's `w·(x − y) / max((1 − x)·x, 1e-12)` (1e-12 as a float32, as PyTorch). `"mean"`/`"sum"`/`"none"` reduce ℓ.
 * Inputs outside [0, 1] (or NaN) are a RangeError: at the call on cpu; on webgpu the check runs on
 * the device through the gather fault flag and throws at the next read (e.g. `await loss.item()`).
 *
 * @param input Probabilities, any shape.
 * @param target Same shape as the input, values in [0, 1].
 * @param options `weight` (broadcastable to the input), `reduction` ("mean").
 * @returns A scalar, or the input's shape with `reduction: "none"`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = F.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0], { dtype: "float32" }));
 * assert.ok(Math.abs(await loss.item() - Math.LN2) < 1e-6);
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  return graphScope(() => binaryCrossEntropyUnscoped(input, target, options));
}

function binaryCrossEntropyUnscoped(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const weight = checkBinary(NAME, input, target, options.weight);
  checkReduction(NAME, options.reduction);
  noGrad(() => {
    const valid = input.ge(0).logicalAnd(input.le(1));
    faultUnless(
      `${NAME}: input probabilities must lie in [0, 1], found a value outside (or NaN)`,
      where(valid, 0, -1),
      1,
    );
  });
  const unreduced = noGrad(() => {
    const logs = target.mul(input.log().clamp(-100)).add(target.neg().add(1).mul(input.neg().log1p().clamp(-100)));
    return weight ? logs.mul(weight).neg() : logs.neg();
  });
  const out = record(NAME, weight ? [input, target, weight] : [input, target], unreduced, (g) => {
    const gx = input.sub(target).div(input.neg().add(1).mul(input).clamp(Math.fround(1e-12))).mul(g);
    const gy = input.neg().log1p().clamp(-100).sub(input.log().clamp(-100)).mul(g);
    return [
      weight ? gx.mul(weight) : gx,
      target.requiresGrad ? (weight ? gy.mul(weight) : gy) : null,
      weight?.requiresGrad ? unreduced.div(weight).mul(g) : null,
    ];
  });
  return reduce(NAME, out, options.reduction);
}

/**
 * Binary cross entropy as a module (torch.nn.BCELoss); see {@link binaryCrossEntropy}.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const p = tensor([1, 0], { dtype: "float32" });
 * const v = new nn.BCELoss({ reduction: "sum" }).forward(p, p);
 * assert.equal(await v.item(), 0);
 * ```
 */
export class BCELoss extends Loss<BceOptions> {
  /** Loss of probabilities `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}
