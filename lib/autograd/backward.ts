/**
 * Reverse-mode differentiation: a topological sort of the recorded graph and one reversed
 * loop that accumulates gradients (the micrograd shape, without recursion).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { anomalyHooks, type GradFn, type OwnedGroup, withGradMode } from "../tensor/tape.ts";
import { dropHold, graphScope, inInnermostScope, keep, tidy } from "../tensor/scope.ts";
import { add, constant } from "../tensor/ops_elementwise.ts";
import { onesLike } from "../tensor/ops_creation.ts";

/** Options of `backward` and `grad`. */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default: same as createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph?: boolean;
}

/** A gradient hook (`Tensor.registerHook`): sees the tensor's total gradient; a returned tensor replaces it. */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

// kept off the tensors: most never have one, and the lookup is one WeakMap probe per node
const gradHooks = new WeakMap<Tensor, Map<number, GradHook>>();
let nextGradHookId = 0;

/** Registers `hook` on `t`'s gradient (see `Tensor.registerHook`); returns a handle whose `remove()` unregisters it. */
export function registerGradHook(t: Tensor, hook: GradHook): { remove(): void } {
  if (typeof hook !== "function") throw new TypeError("registerHook: the hook must be a function");
  if (!t.requiresGrad) {
    throw new Error(
      `registerHook: cannot register a hook on a tensor of shape [${t.shape}] that does not require grad`,
    );
  }
  let hooks = gradHooks.get(t);
  if (!hooks) gradHooks.set(t, hooks = new Map());
  const id = nextGradHookId++, table = hooks;
  table.set(id, hook);
  return { remove: () => table.delete(id) };
}

function runGradHooks(t: Tensor, g: Tensor): Tensor {
  for (const hook of gradHooks.get(t)!.values()) {
    const r = hook(g);
    if (r === undefined) continue;
    if ((r as { __isTensor?: boolean })?.__isTensor !== true || r.shape.join() !== t.shape.join()) {
      throw new TypeError(
        `registerHook: a hook on a [${t.shape}] tensor must return nothing or a gradient of that shape, got ` +
          `${(r as unknown as { shape?: readonly number[] })?.shape ? `[${r.shape}]` : typeof r}`,
      );
    }
    g = r;
  }
  return g;
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
  if (grads !== undefined && grads.length !== roots.length) {
    throw new RangeError(
      `${op}: got ${grads.length} gradOutputs for ${roots.length} outputs; pass one gradient per output`,
    );
  }
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
      // the cached constant 1 (a lazy chain reads it as a uniform: no fill kernel per backward)
      g = root.shape.length === 0 ? constant(1, root.dtype, root.device) : onesLike(root);
    } else if (g.shape.join() !== root.shape.join()) {
      throw new RangeError(`${op}: gradient has shape [${g.shape}] but the output has shape [${root.shape}]`);
    }
    const prev = map.get(root);
    map.set(root, prev ? add(prev, g) : g);
  });
  return map;
}

/** What a pass did to the library calls' groups (see `graphScope`), for its caller to settle. */
interface GroupHolds {
  /** One entry per hold to drop once the gradients are copied out: an output node released. */
  readonly released: OwnedGroup[];
  /** With createGraph: the groups whose outputs the pass went through, each given one more hold. */
  readonly held: OwnedGroup[];
}

/**
 * Runs the reversed loop; `visit` sees each tensor's total gradient once it is complete. Without
 * `retainGraph` every node on the way is released, as PyTorch frees the graph's buffers.
 */
function propagate(
  op: string,
  roots: readonly Tensor[],
  grads: Map<Tensor, Tensor>,
  options: BackwardOptions,
  visit: (t: Tensor, g: Tensor) => void,
): GroupHolds {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const holds: GroupHolds = { released: [], held: [] };
  const held = new Set<OwnedGroup>();
  // one mode switch for the whole pass: the nodes' backward closures and the accumulation record
  // only with createGraph
  withGradMode(createGraph, () => {
    for (const node of topoOrder(roots)) {
      const fn = node.gradFn;
      let g = grads.get(node);
      if (g && gradHooks.has(node)) grads.set(node, g = runGradHooks(node, g));
      if (g) {
        visit(node, g);
        if (fn) accumulate(op, fn, g, grads);
      }
      if (!fn) continue;
      // the new gradient graph may read what the call left to its graph: it holds the group too
      if (createGraph && fn.owners) {
        for (const group of fn.owners) {
          if (held.has(group)) continue;
          held.add(group);
          group.pending++;
        }
      }
      if (!retainGraph && !fn.released) {
        node.gradFn = { name: fn.name, inputs: [], backward: () => [], released: true };
        if (fn.owners) holds.released.push(...fn.owners);
      }
    }
  });
  holds.held.push(...held);
  return holds;
}

/** Runs one node's backward and adds its inputs' gradients to `grads`. */
function accumulate(op: string, fn: GradFn, g: Tensor, grads: Map<Tensor, Tensor>): void {
  if (fn.released) {
    throw new Error(
      `${op}: the graph through "${fn.name}" was already freed by an earlier backward(); ` +
        "pass { retainGraph: true } to the first backward() to run it twice",
    );
  }
  if (fn.versions !== undefined) checkVersions(op, fn);
  const run = () => fn.backward(g);
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
    grads.set(input, prev ? add(prev, gi) : gi);
  });
}

/** Refuses a node whose inputs were written in place after it was recorded (its gradient would read new values). */
function checkVersions(op: string, fn: GradFn): void {
  const saved = fn.saved ?? fn.inputs;
  let now = 0;
  for (const t of saved) now += t.version;
  if (now === fn.versions) return;
  const changed = [...new Set(saved.filter((t) => t.version > 0))].map((t) =>
    `[${t.shape}] ${t.dtype} at version ${t.version}`
  );
  throw new Error(
    `${op}: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
      `an input of "${fn.name}" (${changed.join(", ")}) changed after "${fn.name}" was recorded. ` +
      "Hint: clone() the tensor before modifying it in place, or modify it after backward()",
  );
}

/** A contiguous tensor with its own storage (gradients outlive the backward scope). */
function ownedCopy(t: Tensor): Tensor {
  return t.isContiguous ? t.clone() : t.contiguous();
}

/**
 * Sets or accumulates `t.grad` and returns the new value (the caller keeps it out of every scope).
 * A gradient the pass itself created and no other leaf took becomes `.grad` as it is; others
 * (the caller's seeds, tensors from the forward pass, one tensor reaching two leaves) are copied.
 */
function storeGrad(t: Tensor, g: Tensor, createGraph: boolean, claimed: Set<Tensor>): Tensor {
  const value = g.dtype === t.dtype ? g : g.cast(t.dtype);
  const own = !claimed.has(value) && inInnermostScope(value) && value.isDense;
  claimed.add(value);
  const next = t.grad ? add(t.grad, value) : createGraph || own ? value : ownedCopy(value);
  const old = t.grad;
  t.grad = next;
  if (old && old !== next && !createGraph) old.dispose();
  return next;
}

/**
 * Accumulates gradients of `roots` into the `.grad` of every leaf that requires grad
 * (and of non-leaves marked with `retainGrad()`). Without `retainGraph` (and `createGraph`) the
 * graph is released on the way, and so is every tensor that only the graph held: what the
 * modules' `forward` calls created and did not return (see `graphScope`).
 */
export function backward(
  roots: readonly Tensor[],
  gradients: readonly Tensor[] | undefined,
  options: BackwardOptions = {},
): void {
  const createGraph = options.createGraph ?? false;
  const held: OwnedGroup[] = [];
  const run = () => {
    const grads = seedGrads("backward", roots, gradients);
    const stored: Tensor[] = [];
    // the caller's gradients are theirs: never taken as .grad
    const claimed = new Set<Tensor>(gradients ?? []);
    const holds = propagate("backward", roots, grads, options, (t, g) => {
      if (t.isLeaf || t.retainsGrad) stored.push(storeGrad(t, g, createGraph, claimed));
    });
    for (const group of holds.released) dropHold(group);
    held.push(...holds.held);
    return stored;
  };
  // with createGraph the new .grad graphs own what the pass created (and hold what they read)
  const stored = createGraph ? graphScope(run, { holding: held }) : tidy(run);
  for (const g of stored) keep(g);
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
  const held: OwnedGroup[] = [];
  for (const t of inputs) {
    if (!t.requiresGrad) throw new Error(`grad: input of shape [${t.shape}] does not require grad`);
  }
  const run = () => {
    const found = new Map<Tensor, Tensor>();
    const wanted = new Set(inputs);
    const grads = seedGrads("grad", outputs, options.gradOutputs);
    const holds = propagate("grad", outputs, grads, options, (t, g) => {
      if (wanted.has(t)) found.set(t, g);
    });
    held.push(...holds.held);
    try {
      return inputs.map((t, i) => {
        const g = found.get(t);
        if (!g) {
          if (options.allowUnused) return null;
          throw new Error(
            `grad: input ${i} (shape [${t.shape}]) was not used to compute the outputs; pass allowUnused`,
          );
        }
        return createGraph ? g : ownedCopy(g);
      });
    } finally {
      for (const group of holds.released) dropHold(group);
    }
  };
  return createGraph ? graphScope(run, { holding: held }) : tidy(run);
}
