/**
 * Deterministic release of device memory: `tidy` scopes, `keep`, and a
 * FinalizationRegistry backstop for tensors that are simply dropped.
 * @module
 */
import type { Tensor } from "./tensor.ts";

const scopes: Set<Tensor>[] = [];

/** Registers a newly created tensor with the innermost open `tidy` scope. */
export function track(t: Tensor): void {
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(t);
}

/** Removes `t` from every open scope so `tidy` will not release it. */
export function untrack(t: Tensor): void {
  for (const scope of scopes) scope.delete(t);
}

/**
 * Exempts tensors from the enclosing `tidy` scopes (like `tf.keep`): parameters,
 * optimizer state and gradients use this. Returns its argument.
 */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}

function isTensor(v: object): v is Tensor {
  return (v as { __isTensor?: boolean }).__isTensor === true;
}

/**
 * Runs `fn` and then disposes every tensor created inside it except those it returns
 * (directly, or inside arrays, plain objects and Maps) and those passed to `keep`.
 * Returned tensors move to the enclosing scope. Use one around each training step to keep
 * device memory flat.
 *
 * @example
 * ```ts
 * import { memoryStats, ones, tidy } from "denograd";
 * import assert from "node:assert/strict";
 * const x = ones([3]);
 * const step = () => x.mul(2).add(1);
 * tidy(step).dispose(); // the first use caches the scalar constants 2 and 1
 * const before = memoryStats().liveStorages;
 * const y = tidy(step);
 * assert.equal(memoryStats().liveStorages, before + 1);
 * y.dispose();
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new TypeError("tidy: fn must be synchronous; await outside tidy() and pass plain work in");
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}
