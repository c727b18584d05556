/** `nn.Flatten`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { flatten } from "../tensor/ops_movement.ts";
import { Module } from "./module.ts";

/**
 * Flattens dims `startDim..endDim` (defaults 1 and −1, keeping the batch dim) into one.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new nn.Flatten().forward(zeros([2, 3, 4, 5])).shape, [2, 60]);
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(options: { startDim?: number; endDim?: number } = {}) {
    super();
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
