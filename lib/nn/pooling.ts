/** `nn.MaxPool2d` and `nn.AvgPool2d`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { avgPool2d, maxPool2d, type Pair } from "../tensor/ops_nn.ts";
import { Module } from "./module.ts";

/** Options of `nn.MaxPool2d`. */
export interface MaxPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Pair;
  /** Implicit −∞ padding on each side (default 0, at most half the kernel). */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
}

/**
 * Max over each `kernelSize` window of `[N, C, H, W]`: `out[n, c, i, j] = max_window x`.
 * Output `[N, C, Ho, Wo]` with `Ho = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new nn.MaxPool2d(2).forward(randn([1, 3, 4, 6])).shape, [1, 3, 2, 3]);
 * ```
 */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: MaxPool2dOptions = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/** Options of `nn.AvgPool2d`. */
export interface AvgPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /** Count the zero padding in the mean (default true). */
  countIncludePad?: boolean;
}

/**
 * Mean over each `kernelSize` window of `[N, C, H, W]`; output `[N, C, Ho, Wo]` with
 * `Ho = ⌊(H + 2·padding − k) / stride⌋ + 1`.
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
  constructor(readonly kernelSize: Pair, readonly options: AvgPool2dOptions = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}
