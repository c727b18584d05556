/**
 * Anomaly detection (like `torch.autograd.detect_anomaly`): while enabled, every op's output
 * and every gradient a backward rule returns is checked for NaN and Inf, and the first
 * offender is named with where its op was called.
 * @module
 */
import { type AnomalyHooks, type GradFn, setAnomalyHooks } from "../tensor/tape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { assertNone } from "../tensor/primitives.ts";
import { isinf, isnan } from "../tensor/ops_elementwise.ts";
import { hasWebGPU, synchronize } from "../tensor/device.ts";

/** Options of {@link detectAnomaly}. */
export interface AnomalyOptions {
  /** Also check forward outputs, not only gradients (default true; torch checks only backward). */
  checkForward?: boolean;
  /** Treat ±Infinity as an anomaly too, not only NaN (default true). */
  checkInf?: boolean;
}

/** The user's frames of a stack captured at record time (denograd's own autograd frames dropped). */
function callSite(): string {
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const kept = lines.filter((l) => !l.includes("/lib/autograd/")).slice(0, 8);
  return kept.length ? kept.join("\n") : "    (no stack available)";
}

function isFloatTensor(t: Tensor): boolean {
  return (t.dtype === "float32" || t.dtype === "float64") && t.size > 0 && !t.isDisposed;
}

/** Raises (at once on cpu, at the next readback on webgpu) if `t` holds NaN, then Inf. */
function check(t: Tensor, checkInf: boolean, what: (kind: string, index: number) => string): void {
  const nan = isnan(t);
  try {
    assertNone(nan, (i) => what("NaN", i));
  } finally {
    nan.dispose();
  }
  if (!checkInf) return;
  const inf = isinf(t);
  try {
    assertNone(inf, (i) => what("Inf", i));
  } finally {
    inf.dispose();
  }
}

function hooks(options: AnomalyOptions): AnomalyHooks {
  const checkForward = options.checkForward ?? true;
  const checkInf = options.checkInf ?? true;
  let inBackward = 0;
  return {
    forward(name: string, out: Tensor): void {
      if (inBackward > 0) return;
      const stack = callSite();
      if (out.gradFn && out.gradFn.name === name && out.gradFn.stack === undefined) out.gradFn.stack = stack;
      if (!checkForward || !isFloatTensor(out)) return;
      const shape = out.shape;
      const dtype = out.dtype;
      check(
        out,
        checkInf,
        (kind, i) =>
          `detectAnomaly: the forward of "${name}" produced ${kind} (first at flat index ${i} of its ` +
          `${dtype} output of shape [${shape}]). "${name}" was called at:\n${stack}`,
      );
    },
    backward(fn: GradFn, run: () => readonly (Tensor | null)[]): readonly (Tensor | null)[] {
      inBackward++;
      let grads: readonly (Tensor | null)[];
      try {
        grads = run();
      } finally {
        inBackward--;
      }
      const stack = fn.stack ?? "    (created before detectAnomaly was enabled)";
      grads.forEach((g, k) => {
        if (!g || !isFloatTensor(g)) return;
        const shape = g.shape;
        check(
          g,
          checkInf,
          (kind, i) =>
            `detectAnomaly: the backward of "${fn.name}" produced ${kind} in the gradient of its input ${k} ` +
            `(first at flat index ${i} of shape [${shape}]). The forward "${fn.name}" was called at:\n${stack}`,
        );
      });
      return grads;
    },
  };
}

let depth = 0;

/**
 * Runs `fn` with anomaly detection: every recorded op's forward output and every gradient
 * computed by backward is checked for NaN (and Inf), and the first offender raises an Error
 * naming the op, forward or backward, the shape, and for backward the forward op whose gradient
 * went bad, with the stack of where that op was called (captured only while enabled).
 *
 * On cpu the error is thrown at once by the offending op. On webgpu each check is a small
 * kernel writing the deferred-fault record, so the error surfaces at the next read or sync
 * (`await t.item()`, `await synchronize()`) and names the first bad op; an async `fn` is
 * followed by a sync so its anomalies surface before `detectAnomaly` resolves.
 * Costs one comparison per op when disabled; when enabled, two extra kernels per op.
 * Async blocks running concurrently share the mode; nest rather than interleave them.
 *
 * Args: `fn` (sync or async), `options.checkForward` (default true), `options.checkInf`
 * (default true).
 *
 * @example
 * ```ts
 * import { detectAnomaly, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([-1, 2], { requiresGrad: true });
 * await assert.rejects(
 *   detectAnomaly(async () => {
 *     await x.log().sum().item();
 *   }),
 *   /forward of "log" produced NaN/,
 * );
 * ```
 */
export function detectAnomaly<T>(fn: () => T, options: AnomalyOptions = {}): T {
  const previous = setAnomalyHooks(hooks(options));
  depth++;
  const restore = () => {
    depth--;
    setAnomalyHooks(previous);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) {
    return (async () => {
      try {
        const value = await result;
        if (hasWebGPU()) await synchronize("webgpu");
        return value;
      } finally {
        restore();
      }
    })() as T;
  }
  restore();
  return result;
}

/** Whether {@link detectAnomaly} is active. */
export function isAnomalyEnabled(): boolean {
  return depth > 0;
}
