/**
 * Reverse-mode differentiation: a topological sort of the recorded graph and one reversed
 * loop that accumulates gradients (the micrograd shape, without recursion).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { anomalyHooks, withGradMode } from "../tensor/tape.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { add } from "../tensor/ops_elementwise.ts";
import { onesLike } from "../tensor/ops_creation.ts";

/** Options of `backward` and `grad`. */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default: same as createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph?: boolean;
}

function topoOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = top[0].gradFn?.inputs ?? [];
      if (top[1] < inputs.length) {
        const next = inputs[top[1]++];
        if (!seen.has(next) && next.requiresGrad) {
          seen.add(next);
          stack.push([next, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  return order.reverse();
}

function seedGrads(op: string, roots: readonly Tensor[], grads: readonly Tensor[] | undefined): Map<Tensor, Tensor> {
  const map = new Map<Tensor, Tensor>();
  roots.forEach((root, i) => {
    if (!root.requiresGrad) {
      throw new Error(
        `${op}: tensor of shape [${root.shape}] does not require grad and has no grad function; ` +
          "create its inputs with { requiresGrad: true } and do not compute it under noGrad()",
      );
    }
    let g = grads?.[i];
    if (!g) {
      if (root.size !== 1) {
        throw new RangeError(
          `${op}: the output has shape [${root.shape}]; gradients can be created implicitly only for ` +
            "one-element outputs: pass a gradient of that shape, or reduce first (e.g. loss.sum())",
        );
      }
      g = onesLike(root);
    } else if (g.shape.join() !== root.shape.join()) {
      throw new RangeError(`${op}: gradient has shape [${g.shape}] but the output has shape [${root.shape}]`);
    }
    const prev = map.get(root);
    map.set(root, prev ? add(prev, g) : g);
  });
  return map;
}

/** Runs the reversed loop; `visit` sees each tensor's total gradient once it is complete. */
function propagate(
  op: string,
  roots: readonly Tensor[],
  grads: Map<Tensor, Tensor>,
  options: BackwardOptions,
  visit: (t: Tensor, g: Tensor) => void,
): void {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  for (const node of topoOrder(roots)) {
    const g = grads.get(node);
    if (!g) continue;
    visit(node, g);
    const fn = node.gradFn;
    if (!fn) continue;
    if (fn.released) {
      throw new Error(
        `${op}: the graph through "${fn.name}" was already freed by an earlier backward(); ` +
          "pass { retainGraph: true } to the first backward() to run it twice",
      );
    }
    const run = () => withGradMode(createGraph, () => fn.backward(g));
    const inputGrads = anomalyHooks === null ? run() : anomalyHooks.backward(fn, run);
    fn.inputs.forEach((input, i) => {
      const gi = inputGrads[i];
      if (!gi || !input.requiresGrad) return;
      if (gi.shape.join() !== input.shape.join()) {
        throw new Error(
          `${op}: internal error: "${fn.name}" gave a [${gi.shape}] gradient for a [${input.shape}] input`,
        );
      }
      const prev = grads.get(input);
      grads.set(input, prev ? withGradMode(createGraph, () => add(prev, gi)) : gi);
    });
    if (!retainGraph) {
      node.gradFn = { name: fn.name, inputs: [], backward: () => [], released: true };
    }
  }
}

/** A contiguous tensor with its own storage (gradients outlive the backward scope). */
function ownedCopy(t: Tensor): Tensor {
  return t.isContiguous ? t.clone() : t.contiguous();
}

function storeGrad(t: Tensor, g: Tensor, createGraph: boolean): void {
  const value = g.dtype === t.dtype ? g : g.cast(t.dtype);
  const next = t.grad ? withGradMode(createGraph, () => add(t.grad!, value)) : createGraph ? value : ownedCopy(value);
  const old = t.grad;
  t.grad = keep(next);
  if (old && old !== next && !createGraph) old.dispose();
}

/**
 * Accumulates gradients of `roots` into the `.grad` of every leaf that requires grad
 * (and of non-leaves marked with `retainGrad()`).
 */
export function backward(
  roots: readonly Tensor[],
  gradients: readonly Tensor[] | undefined,
  options: BackwardOptions = {},
): void {
  const createGraph = options.createGraph ?? false;
  const run = () => {
    const grads = seedGrads("backward", roots, gradients);
    propagate("backward", roots, grads, options, (t, g) => {
      if (t.isLeaf || t.retainsGrad) storeGrad(t, g, createGraph);
    });
  };
  if (createGraph) run();
  else tidy(run);
}

/**
 * Gradients of `outputs` with respect to `inputs` (like `torch.autograd.grad`), without
 * touching `.grad`. With `createGraph: true` the results are differentiable again.
 *
 * @example
 * ```ts
 * import { grad, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([3], { requiresGrad: true });
 * const [dx] = grad([x.pow(2).sum()], [x]);
 * assert.deepEqual(await dx!.toArray(), [6]);
 * ```
 */
export function grad(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  options: BackwardOptions & { gradOutputs?: readonly Tensor[]; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const createGraph = options.createGraph ?? false;
  for (const t of inputs) {
    if (!t.requiresGrad) throw new Error(`grad: input of shape [${t.shape}] does not require grad`);
  }
  const run = () => {
    const found = new Map<Tensor, Tensor>();
    const wanted = new Set(inputs);
    const grads = seedGrads("grad", outputs, options.gradOutputs);
    propagate("grad", outputs, grads, options, (t, g) => {
      if (wanted.has(t)) found.set(t, g);
    });
    return inputs.map((t, i) => {
      const g = found.get(t);
      if (!g) {
        if (options.allowUnused) return null;
        throw new Error(`grad: input ${i} (shape [${t.shape}]) was not used to compute the outputs; pass allowUnused`);
      }
      return createGraph ? g : ownedCopy(g);
    });
  };
  return createGraph ? run() : tidy(run);
}
