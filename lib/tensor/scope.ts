/**
 * Deterministic release of device memory: `tidy` scopes, `keep`, graph scopes (what a library
 * call leaves behind is released with the graph that needs it), and a FinalizationRegistry
 * backstop for tensors that are simply dropped.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { GradFn, OwnedGroup } from "./tape.ts";

const scopes: Set<Tensor>[] = [];

/** Registers a newly created tensor with the innermost open `tidy` scope. */
export function track(t: Tensor): void {
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(t);
}

/** Whether `t` was created inside the innermost open scope (and is still tracked by it). */
export function inInnermostScope(t: Tensor): boolean {
  return scopes[scopes.length - 1]?.has(t) ?? false;
}

/** Removes `t` from every open scope so `tidy` will not release it. */
export function untrack(t: Tensor): void {
  for (const scope of scopes) scope.delete(t);
}

/**
 * Exempts tensors from the enclosing `tidy` scopes (like `tf.keep`) and graph scopes (a module's
 * `forward` that caches a tensor outside its own fields): parameters, optimizer state and
 * gradients use this. Returns its argument.
 */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

/**
 * Adds the tensors inside `value` to `out`: directly, or in arrays, Maps and plain objects;
 * with `anyObject` also in Sets and the own fields of class instances (what a `forward` may
 * return), but never inside typed arrays or nn modules (their tensors are parameters).
 */
function collect(value: unknown, out: Set<Tensor>, anyObject: boolean, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, anyObject, seen);
    return;
  }
  if (Array.isArray(value) || (anyObject && value instanceof Set)) {
    for (const v of value) collect(v, out, anyObject, seen);
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  if (Object.getPrototypeOf(value) === Object.prototype || (anyObject && !isModule(value))) {
    for (const v of Object.values(value)) collect(v, out, anyObject, seen);
  }
}

function isModule(v: object): boolean {
  return typeof (v as { namedParameters?: unknown }).namedParameters === "function";
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
    // the abandoned promise may still reject (it uses what was just disposed): that is this error's story
    result.catch(() => {});
    throw new TypeError("tidy: fn must be synchronous; await outside tidy() and pass plain work in");
  }
  const kept = new Set<Tensor>();
  collect(result, kept, false);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Options of {@link graphScope}. */
export interface GraphScopeOptions {
  /** An object whose fields may keep tensors the call created (a module keeping an activation). */
  holder?: object;
  /** Groups the call's gradient graph reads, each with one hold already taken for this call. */
  holding?: OwnedGroup[];
}

/**
 * Runs a library call (a module's `forward`, a backward pass with `createGraph`) and hands what
 * it created but did not return to the graph: no user code can reach those tensors, so they are
 * released as PyTorch releases a graph's saved tensors. When no returned tensor has a grad
 * function (recording off, or nothing requires grad) they are disposed at once, as `tidy` would.
 * Otherwise they form one {@link OwnedGroup}, held by the graph node of each returned tensor; the
 * backward pass without `retainGraph` that releases the last of those nodes disposes the group
 * when it ends (not when it visits the node: deeper nodes may still need the tensors).
 *
 * Kept are the tensors in the result (inside arrays, Maps, Sets, plain objects and class
 * instances) and those in the fields of `options.holder`. The latter do not hold the group: an
 * activation kept for inspection must not pin the call's memory, so a kept graph can be
 * differentiated only together with, or before, the returned outputs. Everything created inside
 * still moves to the enclosing scope, so an outer `tidy` or graph scope releases it too (an outer
 * call's leftovers include its inner calls'). The `options.holding` groups are dropped when the
 * new group is disposed (at once when there is none). An async `fn` is left alone: its tensors may
 * still be in use.
 */
export function graphScope<T>(fn: () => T, options: GraphScopeOptions = {}): T {
  const holding = options.holding ?? [];
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    for (const g of holding) dropHold(g);
    throw e;
  }
  scopes.pop();
  const parent = scopes[scopes.length - 1];
  if (parent) {
    for (const t of scope) parent.add(t);
  }
  if (result instanceof Promise) return result;
  const returned = new Set<Tensor>(), stored = new Set<Tensor>();
  collect(result, returned, true);
  if (options.holder !== undefined) {
    for (const v of Object.values(options.holder)) collect(v, stored, true);
  }
  const leftovers: Tensor[] = [];
  const outputs = new Set<GradFn>();
  for (const t of scope) {
    if (returned.has(t)) {
      if (t.gradFn !== null && !t.gradFn.released) outputs.add(t.gradFn);
    } else if (!stored.has(t)) leftovers.push(t);
  }
  if (outputs.size === 0) {
    for (const t of leftovers) disposeLeftover(t);
    for (const g of holding) dropHold(g);
    return result;
  }
  if (leftovers.length === 0 && holding.length === 0) return result;
  const group: OwnedGroup = { tensors: leftovers, pending: outputs.size, holding };
  for (const node of outputs) (node.owners ??= []).push(group);
  return result;
}

/**
 * Drops one hold on `group` (a released output node, or a gradient graph that no longer needs
 * it); the last one disposes the group's tensors and drops the holds the group has on others.
 */
export function dropHold(group: OwnedGroup): void {
  if (--group.pending > 0) return;
  for (const t of group.tensors) disposeLeftover(t);
  for (const g of group.holding) dropHold(g);
}

// A leftover that required grad (an input made differentiable inside the call, like the
// interpolates of a gradient penalty) may have received a .grad: no one can read that either.
function disposeLeftover(t: Tensor): void {
  t.grad?.dispose();
  t.grad = null;
  t.dispose();
}
