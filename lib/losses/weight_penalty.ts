/** L1 and L2 penalties on parameters (explicit weight regularisation). @module */
import { Tensor } from "../tensor/tensor.ts";
import { Module } from "../nn/module.ts";
import { graphScope } from "../tensor/scope.ts";

/** Parameters to penalise: a list of tensors or a module (its `parameters()`). */
export type PenaltyParams = Module | Iterable<Tensor>;

function paramList(op: string, params: PenaltyParams): Tensor[] {
  const list = params instanceof Module ? params.parameters() : [...params];
  if (list.length === 0) throw new RangeError(`${op}: no parameters given`);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: parameter ${i} is not a tensor`);
  });
  return list;
}

function total(terms: Tensor[]): Tensor {
  return terms.reduce((acc, t) => acc.add(t));
}

/**
 * The L1 penalty Σ_p Σ |w| over every parameter (add λ·l1Penalty(model) to a loss for
 * sparsity).
 *
 * @param params tensors or a module.
 * @returns a scalar.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.equal(await F.l1Penalty([tensor([1, -2]), tensor([[3]])]).item(), 6);
 * ```
 */
export function l1Penalty(params: PenaltyParams): Tensor {
  return graphScope(() => l1PenaltyUnscoped(params));
}

function l1PenaltyUnscoped(params: PenaltyParams): Tensor {
  return total(paramList("l1Penalty", params).map((p) => p.abs().sum()));
}

/**
 * The L2 penalty Σ_p Σ w² over every parameter, or ½ Σ w² with `{ half: true }` (whose
 * gradient is w, as weight decay).
 *
 * @param params tensors or a module.
 * @param options `half` (false).
 * @returns a scalar.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.equal(await F.l2Penalty([tensor([1, -2]), tensor([[3]])]).item(), 14);
 * ```
 */
export function l2Penalty(params: PenaltyParams, options: { half?: boolean } = {}): Tensor {
  return graphScope(() => l2PenaltyUnscoped(params, options));
}

function l2PenaltyUnscoped(params: PenaltyParams, options: { half?: boolean } = {}): Tensor {
  const sum = total(paramList("l2Penalty", params).map((p) => p.square().sum()));
  return options.half ? sum.mul(0.5) : sum;
}
