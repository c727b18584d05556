/** The tape: whether operations record themselves for backward, and how they do (`record`, `GradFn`, anomaly hooks). @module */
import type { Tensor } from "./tensor.ts";

let enabled = true;

/** Whether new operations are being recorded for autograd. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with recording switched on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/**
 * Runs `fn` without recording operations for autograd (like `torch.no_grad()`).
 *
 * @example
 * ```ts
 * import { noGrad, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const w = ones([2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * assert.equal(y.requiresGrad, false);
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
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
  if (enabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward, released: false };
  }
  if (anomalyHooks !== null) anomalyHooks.forward(name, out);
  return out;
}
