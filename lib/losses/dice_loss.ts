/** Soft Dice loss for segmentation. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { oneHot } from "../tensor/ops_index.ts";
import { Loss, reduce, type ReductionOptions } from "./_reduction.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link diceLoss} and {@link DiceLoss}. */
export interface DiceLossOptions extends ReductionOptions {
  /** Added to numerator and denominator (default 1). */
  smooth?: number;
  /** `input` holds logits: sigmoid (float target) or softmax over dim 1 (int target) first. */
  logits?: boolean;
}

const OP = "diceLoss";

/**
 * Soft Dice loss, per sample over every non-batch dim:
 * l_n = 1 − (2 Σ p·t + smooth) / (Σ p + Σ t + smooth).
 * An int32 class-index target `[N, …]` is one-hot encoded against `input` `[N, C, …]`
 * (classes on dim 1), so the sums also run over classes; any other target must have the
 * input's shape. `"mean"` (default): mean over n; `"sum"`: Σ l_n; `"none"`: `[N]`.
 *
 * @param input probabilities, or logits with `{ logits: true }`: `[N, …]` or `[N, C, …]`.
 * @param target floats of `input`'s shape, or int32 class indices `[N, …]`.
 * @param options `smooth` (1), `logits` (false), `reduction` (`"mean"`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const perfect = await F.diceLoss(tensor([[1, 0, 1]], { dtype: "float32" }), tensor([[1, 0, 1]])).item();
 * assert.ok(Math.abs(perfect) < 1e-6);
 * ```
 */
export function diceLoss(input: Tensor, target: Tensor, options: DiceLossOptions = {}): Tensor {
  return graphScope(() => diceLossUnscoped(input, target, options));
}

function diceLossUnscoped(input: Tensor, target: Tensor, options: DiceLossOptions = {}): Tensor {
  const smooth = options.smooth ?? 1;
  if (input.dtype !== "float32" && input.dtype !== "float64") {
    throw new TypeError(`${OP}: input must be float, got ${input.dtype}`);
  }
  if (input.ndim < 2) throw new RangeError(`${OP}: input must be [N, …] with at least 2 dims, got [${input.shape}]`);
  let p = input, t: Tensor;
  if (target.dtype === "int32" && target.ndim === input.ndim - 1) {
    const ok = target.ndim === input.ndim - 1 && target.shape.every((d, i) => d === input.shape[i === 0 ? 0 : i + 1]);
    if (!ok) {
      throw new RangeError(
        `${OP}: class-index target [${target.shape}] must be input [${input.shape}] without its class dim 1`,
      );
    }
    if (options.logits) p = input.softmax(1);
    // oneHot puts classes last: [N, …, C] → [N, C, …]
    const k = target.ndim;
    const perm = [0, k, ...Array.from({ length: k - 1 }, (_, i) => i + 1)];
    t = oneHot(target, input.shape[1]).cast(input.dtype).permute(perm);
  } else {
    if (target.shape.join() !== input.shape.join()) {
      throw new RangeError(`${OP}: target [${target.shape}] must have the shape of input [${input.shape}]`);
    }
    if (options.logits) p = input.sigmoid();
    t = target.cast(input.dtype);
  }
  const dims = [...input.shape.keys()].slice(1);
  const inter = p.mul(t).sum(dims);
  const loss = inter.mul(2).add(smooth).div(p.sum(dims).add(t.sum(dims)).add(smooth)).neg().add(1);
  return reduce(OP, loss, options.reduction);
}

/**
 * Soft Dice loss as a module; see {@link diceLoss}.
 *
 * @example
 * ```ts
 * import { nn, rand } from "denograd";
 * import assert from "node:assert/strict";
 * const loss = new nn.DiceLoss({ smooth: 1 }).forward(rand([2, 1, 4, 4]), rand([2, 1, 4, 4]).round());
 * assert.deepEqual(loss.shape, []);
 * ```
 */
export class DiceLoss extends Loss<DiceLossOptions> {
  override forward(input: Tensor, target: Tensor): Tensor {
    return diceLoss(input, target, this.options);
  }
}
