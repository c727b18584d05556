/** The tape: whether operations record themselves for backward, and how they do (`record`, `GradFn`, anomaly hooks). @module */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Tensor } from "./tensor.ts";

// The grad mode follows the async context, as torch's follows the thread: `noGrad(async () => …)`
// keeps recording off after its awaits, and code running meanwhile elsewhere keeps its own mode.
// Outside any withGradMode the store is empty, which means on. Reading it costs ~8 ns per op
// (measured against a plain flag; see tests/autograd/grad_mode_async_test.ts for the semantics).
const gradMode = new AsyncLocalStorage<boolean>();

/** Whether new operations are being recorded for autograd (in this async context). */
export function isGradEnabled(): boolean {
  return gradMode.getStore() ?? true;
}

/**
 * Runs `fn` with recording switched on or off and returns its result; the previous mode comes
 * back when `fn` returns or throws. When `fn` is async, the mode also holds after each of its
 * awaits, until its promise settles, without leaking into code that runs meanwhile.
 */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  // already in that mode: nothing to switch (and async continuations inherit this context)
  if (isGradEnabled() === on) return fn();
  return gradMode.run(on, fn);
}

/**
 * Runs `fn` without recording operations for autograd (like `torch.no_grad()`). `fn` may be
 * async: recording stays off after its awaits too.
 *
 * @example
 * ```ts
 * import { noGrad, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const w = ones([2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * assert.equal(y.requiresGrad, false);
 * const z = await noGrad(async () => {
 *   await Promise.resolve();
 *   return w.mul(3);
 * });
 * assert.equal(z.requiresGrad, false);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Tensors that a library call (a module's `forward`, a backward pass with `createGraph`) created
 * and did not return: no user code can reach them, only the graph below the call's outputs. They
 * are disposed when the last hold on the group is dropped (see `graphScope` in scope.ts and
 * `propagate` in lib/autograd/backward.ts).
 */
export interface OwnedGroup {
  /** The tensors to dispose. */
  readonly tensors: readonly Tensor[];
  /**
   * Holds still on the group: one per graph node of the call's outputs that no backward pass has
   * released yet, and one per later `createGraph` pass through those nodes whose gradient graph
   * may still read the tensors.
   */
  pending: number;
  /** Groups this one holds (its gradient graph reads theirs): dropped when this one is disposed. */
  holding: readonly OwnedGroup[];
}

/** One recorded operation: its inputs and how to turn the output's gradient into theirs. */
export interface GradFn {
  /** The op's name, used in error messages and anomaly reports. */
  readonly name: string;
  /** The inputs, in the order `backward` returns their gradients. */
  readonly inputs: readonly Tensor[];
  /** Gradients of the inputs given the output's gradient; `null` for inputs that need none. */
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
  /** Set once a backward pass without `retainGraph` has consumed this node. */
  released: boolean;
  /** Where the op was called (a stack trace), captured only under `detectAnomaly`. */
  stack?: string;
  /**
   * The library calls whose output this is: each holds its leftovers until this node is released.
   * @internal
   */
  owners?: OwnedGroup[];
  /**
   * The sum of the inputs' in-place write counters (`Tensor.version`) when the op was recorded:
   * counters only grow, so a different sum at backward time means an input was overwritten.
   */
  readonly versions?: number;
  /**
   * The tensors whose `versions` are checked, when not all the inputs (an in-place op's node
   * checks what its gradient reads, not the overwritten tensor it replaces).
   */
  readonly saved?: readonly Tensor[];
}

/** Checks run by `detectAnomaly` (lib/autograd/anomaly.ts); null (the default) costs one comparison per op. */
export interface AnomalyHooks {
  /** Called by {@link record} with every op's output. */
  forward(name: string, out: Tensor): void;
  /** Runs `fn` (one node's backward) and checks the gradients it returns. */
  backward(fn: GradFn, run: () => readonly (Tensor | null)[]): readonly (Tensor | null)[];
}

/** The installed anomaly checks, or null. */
export let anomalyHooks: AnomalyHooks | null = null;

/** Installs (or with null removes) the anomaly checks; returns the previous ones. */
export function setAnomalyHooks(hooks: AnomalyHooks | null): AnomalyHooks | null {
  const previous = anomalyHooks;
  anomalyHooks = hooks;
  return previous;
}

/**
 * Attaches a gradient function to `out` when recording is on and some input requires grad.
 * `backward` is written with ordinary tensor ops, so it is itself differentiable (createGraph).
 */
export function record(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: (grad: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (inputs.some((t) => t.requiresGrad) && isGradEnabled()) {
    out.requiresGrad = true;
    let versions = 0;
    for (const t of inputs) versions += t.version;
    out.gradFn = { name, inputs, backward, released: false, versions };
  }
  if (anomalyHooks !== null) anomalyHooks.forward(name, out);
  return out;
}
