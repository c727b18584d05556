/** `nn.Conv2d`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { zeros } from "../tensor/ops_creation.ts";
import { conv2d, type Pair } from "../tensor/ops_nn.ts";
import { pad } from "../tensor/ops_combine.ts";
import { mergeArgs } from "../tensor/_args.ts";
import { Module } from "./module.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.ts";

/** Options of `nn.Conv2d` (PyTorch's keyword arguments). */
export interface Conv2dLayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Padding on each side (default 0), or `"same"` / `"valid"`. */
  padding?: Pair | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** How the padding is filled: zeros (default), or as `F.pad`'s reflect, replicate or circular modes. */
  paddingMode?: "zeros" | "reflect" | "replicate" | "circular";
}

/** `nn.Conv2d`'s arguments after the kernel size: an options object, or torch's positional order. */
export type Conv2dLayerArgs =
  | [options?: Conv2dLayerOptions]
  | [
    stride?: Pair,
    padding?: Conv2dLayerOptions["padding"],
    dilation?: Pair,
    groups?: number,
    bias?: boolean,
    paddingMode?: Conv2dLayerOptions["paddingMode"],
    options?: Conv2dLayerOptions,
  ];

const POSITIONAL = ["stride", "padding", "dilation", "groups", "bias", "paddingMode"] as const;
const PADDING_MODES = ["zeros", "reflect", "replicate", "circular"];

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
 * // torch's positional order: in, out, kernel, stride, padding, dilation, groups, bias
 * assert.deepEqual(new nn.Conv2d(1, 16, 3, 2).forward(randn([1, 1, 7, 7])).shape, [1, 16, 3, 3]);
 * ```
 */
export class Conv2d extends Module {
  /** `[outChannels, inChannels/groups, kh, kw]`. */
  weight: Tensor;
  /** `[outChannels]`, or null without bias. */
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | "same" | "valid";
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: "zeros" | "reflect" | "replicate" | "circular";

  /** `new nn.Conv2d(in, out, kernel, stride?, padding?, dilation?, groups?, bias?, paddingMode?)` or with an options object. */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    ...args: Conv2dLayerArgs
  ) {
    super();
    const options = mergeArgs<Conv2dLayerOptions>("Conv2d", POSITIONAL, args);
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
    const padding = options.padding ?? 0;
    this.padding = typeof padding === "string" ? padding : pairOf(padding);
    this.dilation = pairOf(options.dilation ?? 1);
    this.paddingMode = options.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(this.paddingMode)) {
      throw new TypeError(`Conv2d: paddingMode must be one of ${PADDING_MODES.join(", ")}, got ${this.paddingMode}`);
    }
    if (this.paddingMode !== "zeros" && typeof this.padding === "string") {
      throw new TypeError(`Conv2d: paddingMode "${this.paddingMode}" needs a numeric padding, got "${this.padding}"`);
    }
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
    if (this.paddingMode !== "zeros" && typeof this.padding !== "string") {
      const [ph, pw] = this.padding;
      const padded = pad(x, [pw, pw, ph, ph], this.paddingMode);
      return conv2d(padded, this.weight, this.bias, {
        stride: this.stride,
        dilation: this.dilation,
        groups: this.groups,
      });
    }
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
