/** `nn.Linear` and `nn.Identity`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { zeros } from "../tensor/ops_creation.ts";
import { linear } from "../tensor/ops_linalg.ts";
import { mergeArgs } from "../tensor/_args.ts";
import { Module } from "./module.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.ts";

/** Options of `nn.Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

function checkFeatures(layer: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${layer}: ${name} must be a non-negative integer, got ${n}`);
}

/**
 * Applies `y = x Wᵀ + b` to the last dim.
 *
 * Weight `[outFeatures, inFeatures]` starts as `kaimingUniform_(W, { a: √5 })`, i.e.
 * U(−1/√inFeatures, 1/√inFeatures), and the bias `[outFeatures]` as U(−1/√inFeatures, 1/√inFeatures),
 * exactly as PyTorch.
 *
 * Shapes: input `[*, inFeatures]`, output `[*, outFeatures]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const fc = new nn.Linear(20, 30);
 * assert.deepEqual(fc.forward(randn([128, 20])).shape, [128, 30]);
 * assert.deepEqual(Object.keys(fc.stateDict()), ["weight", "bias"]);
 * ```
 */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  weight: Tensor;
  /** `[outFeatures]`, or null without bias. */
  bias: Tensor | null;

  /**
   * A layer mapping `inFeatures` to `outFeatures`, initialised as PyTorch's (Kaiming-uniform
   * weight, uniform bias); `new nn.Linear(in, out, false)` or `{ bias: false }` drops the bias.
   */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    ...args: [options?: LinearOptions] | [bias?: boolean]
  ) {
    super();
    const options = mergeArgs<LinearOptions>("Linear", ["bias"], args);
    checkFeatures("Linear", "inFeatures", inFeatures);
    checkFeatures("Linear", "outFeatures", outFeatures);
    this.weight = this.param(zeros([outFeatures, inFeatures]));
    this.bias = (options.bias ?? true) ? this.param(zeros([outFeatures])) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters as the constructor does. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, { a: -bound, b: bound });
    }
  }

  /** `x Wᵀ + b` over the last dim of `x`. */
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/**
 * Returns its input unchanged (a placeholder layer).
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const x = ones([2]);
 * assert.equal(new nn.Identity().forward(x), x);
 * ```
 */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}
