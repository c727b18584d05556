/** `nn.Dropout`. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { dropout } from "../tensor/ops_nn.ts";
import { mergeArgs, refuseOption } from "../tensor/_args.ts";
import { Module } from "./module.ts";

/**
 * In training mode zeroes each element with probability `p` and scales the others by
 * `1 / (1 − p)`; in eval mode returns the input unchanged. `p` defaults to 0.5 and may be
 * given as a number (`new nn.Dropout(0.1)`) or as `{ p }`.
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const drop = new nn.Dropout(0.25).eval();
 * const x = ones([4]);
 * assert.equal(drop.forward(x), x);
 * ```
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;

  /** Dropout with probability `p` (a number, or `{ p }`; default 0.5); `inplace` (torch's second argument) must be false. */
  constructor(...args: [options?: { p?: number; inplace?: boolean }] | [p?: number, inplace?: boolean]) {
    super();
    const o = mergeArgs<{ p?: number; inplace?: boolean }>("Dropout", ["p", "inplace"], args);
    refuseOption("Dropout", "inplace", o.inplace, false, "dropout returns a new tensor");
    this.p = o.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${this.p}`);
  }

  /** In training mode zeroes each element with probability p and scales the rest by 1/(1 − p); else returns x. */
  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
