/** `nn.Conv2d`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { zeros } from "../tensor/ops_creation.ts";
import { conv2d, type Pair } from "../tensor/ops_nn.ts";
import { Module } from "./module.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.ts";

/** Options of `nn.Conv2d` (PyTorch's keyword arguments). */
export interface Conv2dLayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

function pairOf(v: Pair): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/**
 * 2-D convolution (cross-correlation) over `[N, C, H, W]`:
 * `out[n, o] = bias[o] + Σ_c weight[o, c] ⋆ x[n, c]`.
 *
 * Weight `[outChannels, inChannels/groups, kh, kw]` starts as `kaimingUniform_(W, { a: √5 })`
 * and the bias as U(−1/√fanIn, 1/√fanIn) with `fanIn = inChannels/groups · kh · kw`, as PyTorch.
 *
 * Shapes: input `[N, inChannels, H, W]`, output `[N, outChannels, Ho, Wo]` with
 * `Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
 * assert.deepEqual(conv.forward(randn([2, 3, 5, 5])).shape, [2, 8, 5, 5]);
 * ```
 */
export class Conv2d extends Module {
  /** `[outChannels, inChannels/groups, kh, kw]`. */
  weight: Tensor;
  /** `[outChannels]`, or null without bias. */
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    if (![inChannels, outChannels].every((c) => Number.isInteger(c) && c >= 0)) {
      throw new RangeError(`Conv2d: channels must be non-negative integers, got ${inChannels} and ${outChannels}`);
    }
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1) {
      throw new RangeError(`Conv2d: groups must be a positive integer, got ${this.groups}`);
    }
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(
        `Conv2d: groups=${this.groups} must divide both inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    this.kernelSize = pairOf(kernelSize);
    if (this.kernelSize.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new RangeError(`Conv2d: kernelSize must be positive integers, got ${JSON.stringify(kernelSize)}`);
    }
    this.stride = pairOf(options.stride ?? 1);
    this.padding = pairOf(options.padding ?? 0);
    this.dilation = pairOf(options.dilation ?? 1);
    this.weight = this.param(zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = (options.bias ?? true) ? this.param(zeros([outChannels])) : null;
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

  override forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
