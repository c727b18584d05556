/** `nn.MaxPool2d` and `nn.AvgPool2d`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { avgPool2d, type AvgPoolOptions, maxPool2d, type Pair, type PoolOptions } from "../tensor/ops_nn.ts";
import { mergeArgs } from "../tensor/_args.ts";
import { Module } from "./module.ts";

/** Options of `nn.MaxPool2d` (PyTorch's keyword arguments). */
export type MaxPool2dOptions = PoolOptions;

/** `nn.MaxPool2d`'s arguments after the kernel size: an options object, or torch's positional order. */
export type MaxPool2dArgs =
  | [options?: MaxPool2dOptions]
  | [
    stride?: Pair | null,
    padding?: Pair,
    dilation?: Pair,
    returnIndices?: boolean,
    ceilMode?: boolean,
    options?: MaxPool2dOptions,
  ];

/**
 * Max over each `kernelSize` window of `[N, C, H, W]`: `out[n, c, i, j] = max_window x`.
 * Output `[N, C, Ho, Wo]` with `Ho = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`
 * (⌈…⌉ with `ceilMode`). Takes torch's positional order
 * `(kernelSize, stride, padding, dilation, returnIndices, ceilMode)` or an options object.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new nn.MaxPool2d(2).forward(randn([1, 3, 4, 6])).shape, [1, 3, 2, 3]);
 * assert.deepEqual(new nn.MaxPool2d(2, { ceilMode: true }).forward(randn([1, 3, 5, 5])).shape, [1, 3, 3, 3]);
 * ```
 */
export class MaxPool2d extends Module {
  /** The options, positional ones merged in. */
  readonly options: MaxPool2dOptions;

  /** `new nn.MaxPool2d(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)` or with an options object. */
  constructor(readonly kernelSize: Pair, ...args: MaxPool2dArgs) {
    super();
    this.options = mergeArgs("MaxPool2d", ["stride", "padding", "dilation", "returnIndices", "ceilMode"], args);
    if (this.options.returnIndices) {
      throw new TypeError("MaxPool2d: returnIndices=true is not supported; use maxWithIndices over unfolded windows");
    }
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/** Options of `nn.AvgPool2d` (PyTorch's keyword arguments). */
export type AvgPool2dOptions = AvgPoolOptions;

/** `nn.AvgPool2d`'s arguments after the kernel size: an options object, or torch's positional order. */
export type AvgPool2dArgs =
  | [options?: AvgPool2dOptions]
  | [
    stride?: Pair | null,
    padding?: Pair,
    ceilMode?: boolean,
    countIncludePad?: boolean,
    divisorOverride?: number | null,
    options?: AvgPool2dOptions,
  ];

/**
 * Mean over each `kernelSize` window of `[N, C, H, W]`; output `[N, C, Ho, Wo]` with
 * `Ho = ⌊(H + 2·padding − k) / stride⌋ + 1` (⌈…⌉ with `ceilMode`). Takes torch's positional
 * order `(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride)` or an
 * options object.
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const y = new nn.AvgPool2d(2).forward(ones([1, 1, 4, 4]));
 * assert.deepEqual(await y.toArray(), [[[[1, 1], [1, 1]]]]);
 * ```
 */
export class AvgPool2d extends Module {
  /** The options, positional ones merged in. */
  readonly options: AvgPool2dOptions;

  /** `new nn.AvgPool2d(kernelSize, stride?, padding?, ceilMode?, countIncludePad?, divisorOverride?)` or with options. */
  constructor(readonly kernelSize: Pair, ...args: AvgPool2dArgs) {
    super();
    this.options = mergeArgs(
      "AvgPool2d",
      ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"],
      args,
    );
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}
