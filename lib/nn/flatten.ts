/** `nn.Flatten`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { flatten } from "../tensor/ops_movement.ts";
import { mergeArgs } from "../tensor/_args.ts";
import { Module } from "./module.ts";

/**
 * Flattens dims `startDim..endDim` (defaults 1 and −1, keeping the batch dim) into one.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new nn.Flatten().forward(zeros([2, 3, 4, 5])).shape, [2, 60]);
 * assert.deepEqual(new nn.Flatten(0, 1).forward(zeros([2, 3, 4, 5])).shape, [6, 4, 5]);
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  /** `new nn.Flatten(startDim?, endDim?)` or `new nn.Flatten({ startDim, endDim })`. */
  constructor(
    ...args: [options?: { startDim?: number; endDim?: number }] | [startDim?: number, endDim?: number]
  ) {
    super();
    const options = mergeArgs<{ startDim?: number; endDim?: number }>("Flatten", ["startDim", "endDim"], args);
    for (const [name, v] of Object.entries(options)) {
      if (!Number.isInteger(v)) throw new TypeError(`Flatten: ${name} must be an integer, got ${v}`);
    }
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
