/** Reduction handling shared by every loss, and the base class of loss modules. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { Module } from "../nn/module.ts";

/** How per-element losses are combined. */
export type Reduction = "mean" | "sum" | "none";

/** Options every loss takes. */
export interface ReductionOptions {
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

/** Validates a reduction name, naming the loss on error. */
export function checkReduction(loss: string, reduction: unknown): Reduction {
  if (reduction === undefined) return "mean";
  if (reduction === "mean" || reduction === "sum" || reduction === "none") return reduction;
  throw new TypeError(`${loss}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
}

/** Applies `reduction` to unreduced losses. */
export function reduce(loss: string, unreduced: Tensor, reduction: Reduction | undefined): Tensor {
  switch (checkReduction(loss, reduction)) {
    case "mean":
      return unreduced.mean();
    case "sum":
      return unreduced.sum();
    case "none":
      return unreduced;
  }
}

/**
 * Base of loss modules: options are fixed in the constructor and `forward` calls the
 * functional form (PyTorch's `_Loss`).
 */
export abstract class Loss<O extends { reduction?: string } = ReductionOptions> extends Module {
  /** Reduction names a subclass accepts besides mean/sum/none (KLDivLoss: `"batchmean"`). */
  static readonly extraReductions: readonly string[] = [];
  /** The options this loss was constructed with. */
  readonly options: O;

  constructor(options: O = {} as O) {
    super();
    const extra = (new.target as unknown as { extraReductions: readonly string[] }).extraReductions;
    if (!extra.includes(options.reduction as string)) checkReduction(new.target.name, options.reduction);
    this.options = options;
  }

  /** The reduction in use. */
  get reduction(): NonNullable<O["reduction"]> | "mean" {
    return this.options.reduction ?? "mean";
  }

  /** The loss of `input` against `target` (and further inputs some losses take). */
  abstract override forward(input: Tensor, target: Tensor, ...rest: Tensor[]): Tensor;
}
