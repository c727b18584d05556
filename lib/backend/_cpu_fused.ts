/** The cpu evaluator of fused elementwise programs (see `Backend.fused`). @module */
import type { DType, FusedExpr } from "./backend.ts";
import { FUSED_LIMITS } from "./backend.ts";
import { binaryFn, unaryFn } from "./_cpu_ops.ts";

/** One step of a flattened program: reads earlier slots, writes its own. */
type Step = (slots: Float64Array, i: number) => number;

/** Orders the distinct nodes of `outputs` so each comes after the nodes it reads. */
export function linearize(outputs: readonly FusedExpr[]): FusedExpr[] {
  const order: FusedExpr[] = [];
  const seen = new Set<FusedExpr>();
  const visit = (root: FusedExpr) => {
    const stack: [FusedExpr, boolean][] = [[root, false]];
    while (stack.length) {
      const [node, expanded] = stack.pop()!;
      if (seen.has(node) && !expanded) continue;
      if (expanded) {
        if (!order.includes(node)) order.push(node);
        continue;
      }
      seen.add(node);
      stack.push([node, true]);
      for (const child of children(node)) if (!seen.has(child)) stack.push([child, false]);
    }
  };
  for (const out of outputs) visit(out);
  return order;
}

/** The operands of a node. */
export function children(e: FusedExpr): FusedExpr[] {
  if ("unary" in e) return [e.a];
  if ("binary" in e) return [e.a, e.b];
  if ("where" in e) return [e.where, e.a, e.b];
  return [];
}

/** Rejects programs outside {@link FUSED_LIMITS} or with bad references. */
export function checkFused(
  outputs: readonly FusedExpr[],
  inputCount: number,
  paramCount: number,
  backend: string,
): FusedExpr[] {
  if (outputs.length === 0 || outputs.length > FUSED_LIMITS.outputs) {
    throw new RangeError(`${backend} fused: expected 1..${FUSED_LIMITS.outputs} outputs, got ${outputs.length}`);
  }
  if (inputCount > FUSED_LIMITS.inputs || paramCount > FUSED_LIMITS.params) {
    throw new RangeError(
      `${backend} fused: at most ${FUSED_LIMITS.inputs} inputs and ${FUSED_LIMITS.params} params, ` +
        `got ${inputCount} and ${paramCount}`,
    );
  }
  const nodes = linearize(outputs);
  for (const n of nodes) {
    if ("input" in n && !(n.input >= 0 && n.input < inputCount)) {
      throw new RangeError(`${backend} fused: input ${n.input} does not exist (${inputCount} inputs)`);
    }
    if ("param" in n && !(n.param >= 0 && n.param < paramCount)) {
      throw new RangeError(`${backend} fused: param ${n.param} does not exist (${paramCount} params)`);
    }
  }
  return nodes;
}

/**
 * Evaluates the program for every element: `inputs[k]` hold `size` values or one.
 * Results are computed in float64 and stored into `outputs` (typed arrays of `size`).
 */
export function evaluateFused(
  program: readonly FusedExpr[],
  inputs: readonly ArrayLike<number>[],
  params: readonly number[],
  outputs: (Float32Array | Float64Array)[],
  size: number,
  dtype: DType,
): void {
  const nodes = checkFused(program, inputs.length, params.length, "cpu");
  const slot = new Map<FusedExpr, number>(nodes.map((n, i) => [n, i]));
  const steps: Step[] = nodes.map((n) => {
    if ("input" in n) {
      const data = inputs[n.input];
      return data.length === 1 ? () => data[0] : (_s, i) => data[i];
    }
    if ("param" in n) {
      const v = params[n.param];
      return () => v;
    }
    if ("const" in n) {
      const v = n.const;
      return () => v;
    }
    if ("unary" in n) {
      const f = unaryFn(n.unary, n.params ?? []);
      const a = slot.get(n.a)!;
      return (s) => f(s[a]);
    }
    if ("binary" in n) {
      const f = binaryFn(n.binary, dtype);
      const a = slot.get(n.a)!, b = slot.get(n.b)!;
      return (s) => f(s[a], s[b]);
    }
    const c = slot.get(n.where)!, a = slot.get(n.a)!, b = slot.get(n.b)!;
    return (s) => (s[c] !== 0 ? s[a] : s[b]);
  });
  const outSlots = program.map((e) => slot.get(e)!);
  const slots = new Float64Array(nodes.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < steps.length; k++) slots[k] = steps[k](slots, i);
    for (let o = 0; o < outSlots.length; o++) outputs[o][i] = slots[outSlots[o]];
  }
}
