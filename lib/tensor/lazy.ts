/**
 * The lazy engine: elementwise ops do not dispatch. On a backend with {@link Backend.evaluate},
 * an elementwise op returns a *pending* tensor that holds an expression over realized storages
 * (its leaves) and cached constants (uniform params). A pending tensor is realized — one
 * generated kernel for its whole chain — when something needs its memory: a read, a
 * non-elementwise op, a view. A chain is realized early when it would outgrow the backend's
 * {@link EvaluateLimits} (operands, params, nodes, uniform words). Values match eager execution
 * within float32 rounding; `setEager(true)` or `DENOGRAD_EAGER=1` dispatches every op at once,
 * for comparison and debugging.
 *
 * A pending tensor holds a reference on each leaf's storage, so disposing the leaf tensors (as
 * `tidy` does) never invalidates it; disposing or realizing it releases them.
 * @module
 */
import type { Backend, DType, EvaluateLimits, Storage, View } from "../backend/backend.ts";
import { readKind } from "../backend/_view.ts";
import type { Expr } from "../ops/expr.ts";
import type { ScalarType } from "../ops/entry.ts";
import { elementwiseEntry } from "../ops/table.ts";
import { resultType } from "../ops/lower.ts";

/** Shared ownership of one storage by tensors, their views and the pending chains that read it. */
export class StorageRef {
  /** Holders; the storage is freed when the last one releases it. */
  refs = 1;
  /** Bumped by every in-place write (PyTorch's `_version`): backward refuses gradients that read stale values. */
  version = 0;
  /** Pending chains that read this storage: an in-place write computes them first ({@link flushReaders}). */
  readers: Set<Pending> | null = null;
  constructor(readonly storage: Storage, readonly backend: Backend) {}
  /** Drops one holder. */
  release(): void {
    if (--this.refs === 0) this.backend.free(this.storage);
  }
}

/** A realized operand of a chain: a held storage, read through `view` (of the chain's shape). */
interface Leaf {
  readonly ref: StorageRef;
  readonly view: View;
  readonly dtype: DType;
  readonly strided: boolean;
}

/** A node of a pending chain. Nodes are immutable and may be shared between chains. */
type Node =
  | { readonly kind: "leaf"; readonly leaf: Leaf; readonly type: ScalarType }
  | { readonly kind: "scalar"; readonly value: number; readonly type: ScalarType }
  | {
    readonly kind: "op";
    readonly op: string;
    readonly args: readonly Node[];
    readonly params: readonly number[];
    readonly type: ScalarType;
  }
  | { readonly kind: "cast"; readonly arg: Node; readonly type: ScalarType };

/** What a pending tensor holds: its chain, the leaves it references, and the counts limits apply to. */
export class Pending {
  /** The computed storage, until its tensor takes it. */
  #result: Storage | null = null;
  /** Released, or its storage taken. */
  #done = false;

  constructor(
    readonly node: Node,
    /** Distinct leaves, each holding one reference on its storage for this chain. */
    readonly leaves: readonly Leaf[],
    /** Distinct constants (keys of value and type): the uniform params the chain needs. */
    readonly scalars: ReadonlySet<string>,
    /** Op and cast nodes, counted along every path (an upper bound where nodes are shared). */
    readonly nodes: number,
    readonly backend: Backend,
    readonly dtype: DType,
  ) {
    for (const leaf of leaves) (leaf.ref.readers ??= new Set()).add(this);
  }

  /** Whether the chain has run (its tensor has not taken the result yet). */
  get computed(): boolean {
    return this.#result !== null;
  }

  /** Runs the chain now if it has not run, releasing its operands. */
  compute(): void {
    if (this.#result !== null || this.#done) return;
    this.#result = realize(this, this.dtype);
    this.#dropLeaves();
  }

  /** The chain's storage, computed if needed, for its tensor to own. */
  take(): Storage {
    this.compute();
    const s = this.#result!;
    this.#result = null;
    this.#done = true;
    return s;
  }

  /** Releases what the chain holds: its operands, or its computed storage. */
  release(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#result !== null) {
      this.backend.free(this.#result);
      this.#result = null;
    } else {
      this.#dropLeaves();
    }
  }

  #dropLeaves(): void {
    for (const leaf of this.leaves) {
      leaf.ref.readers?.delete(this);
      leaf.ref.release();
    }
  }
}

/**
 * Runs every pending chain that reads `ref`'s storage, so a write into that storage (an in-place
 * op) cannot change what they compute.
 */
export function flushReaders(ref: StorageRef): void {
  if (ref.readers === null || ref.readers.size === 0) return;
  for (const chain of [...ref.readers]) chain.compute();
}

// ---- the switch ------------------------------------------------------------------------

function envEager(): boolean {
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "DENOGRAD_EAGER" }).state;
    return state === "granted" && Deno.env.get("DENOGRAD_EAGER") === "1";
  } catch {
    return false;
  }
}

let eager = envEager();

/**
 * Switches the lazy engine off (`true`: every elementwise op dispatches its own kernel at once) or
 * back on; returns the previous setting. Values agree either way within float32 rounding; eager
 * mode is for comparisons and for finding which op of a chain fails. `DENOGRAD_EAGER=1` starts in it.
 *
 * @example
 * ```ts
 * import { setEager, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([1, 2, 3]);
 * const lazy = await x.mul(2).add(1).toArray();
 * const before = setEager(true);
 * assert.deepEqual(await x.mul(2).add(1).toArray(), lazy);
 * setEager(before);
 * ```
 */
export function setEager(on: boolean): boolean {
  const previous = eager;
  eager = on;
  return previous;
}

/** Whether elementwise ops dispatch at once ({@link setEager}). */
export function isEager(): boolean {
  return eager;
}

// ---- constants ---------------------------------------------------------------------------

/** A constant's node and its param key, made once per constant tensor. */
interface ConstantPart {
  readonly node: Node;
  readonly scalars: ReadonlySet<string>;
}

/** The cached 0-d constants: a chain reads them as uniform params, not as storages. */
const constantParts = new WeakMap<object, ConstantPart>();

/** Marks `t` (of `dtype`) as a constant holding `value` (its storage must hold exactly that value). */
export function markConstant(t: object, value: number, dtype: DType): void {
  const type = SCALAR_OF[dtype];
  constantParts.set(t, { node: { kind: "scalar", value, type }, scalars: new Set([scalarKey(value, type)]) });
}

// ---- building chains ---------------------------------------------------------------------

const SCALAR_OF: Record<DType, ScalarType> = { float32: "float", float64: "float", int32: "int", bool: "bool" };

/** What the engine needs from an operand tensor (kept structural to avoid an import cycle). */
export interface LazyOperand {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The operand's chain, or null once realized. */
  pendingChain(): Pending | null;
  /** Takes a reference on the operand's storage (realizing it first); the caller releases it. */
  holdStorage(op: string): StorageRef;
  /** How the operand is read when broadcast to `shape`. */
  viewAs(shape: readonly number[]): View;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One operand's part of a new chain. */
interface Part {
  node: Node;
  leaves: readonly Leaf[];
  /** Leaves this part took a reference on for the new chain (released if the chain is abandoned). */
  held: boolean;
  nodes: number;
  scalars: ReadonlySet<string>;
}

const NO_SCALARS: ReadonlySet<string> = new Set();
const NO_LEAVES: readonly Leaf[] = [];

function scalarKey(value: number, type: ScalarType): string {
  return `${type}:${Object.is(value, -0) ? "-0" : value}`;
}

function partOf(op: string, t: LazyOperand, shape: readonly number[], realize: boolean, params: boolean): Part {
  const constant = params ? constantParts.get(t) : undefined;
  if (constant !== undefined) {
    return { node: constant.node, leaves: NO_LEAVES, held: false, nodes: 0, scalars: constant.scalars };
  }
  const chain = realize ? null : t.pendingChain();
  if (chain !== null && sameShape(t.shape, shape)) {
    return { node: chain.node, leaves: chain.leaves, held: false, nodes: chain.nodes, scalars: chain.scalars };
  }
  const view = t.viewAs(shape);
  const leaf: Leaf = { ref: t.holdStorage(op), view, dtype: t.dtype, strided: readKind(view) === "strided" };
  return {
    node: { kind: "leaf", leaf, type: SCALAR_OF[t.dtype] },
    leaves: [leaf],
    held: true,
    nodes: 0,
    scalars: NO_SCALARS,
  };
}

/** The constants of several parts, each distinct one once. */
function unionScalars(parts: readonly Part[]): ReadonlySet<string> {
  let out: Set<string> | null = null;
  let only: ReadonlySet<string> = NO_SCALARS;
  for (const p of parts) {
    if (p.scalars.size === 0) continue;
    if (only.size === 0) {
      only = p.scalars;
      continue;
    }
    // a chain that reads the same constants again (x·c + d in a loop) keeps its set
    if (out === null) {
      let subset = true;
      for (const k of p.scalars) if (!only.has(k)) subset = false;
      if (subset) continue;
    }
    out ??= new Set(only);
    for (const k of p.scalars) out.add(k);
  }
  return out ?? only;
}

/** The leaves of several parts, each distinct leaf once (leaves of one storage and view merge at realization). */
function unionLeaves(parts: readonly Part[]): readonly Leaf[] {
  let only: readonly Leaf[] = NO_LEAVES;
  let out: Set<Leaf> | null = null;
  for (const p of parts) {
    if (p.leaves.length === 0) continue;
    if (only.length === 0) {
      only = p.leaves;
      continue;
    }
    out ??= new Set(only);
    for (const l of p.leaves) out.add(l);
  }
  return out ? [...out] : only;
}

function fits(limits: EvaluateLimits, leaves: readonly Leaf[], scalars: number, nodes: number, rank: number): boolean {
  let strided = 0;
  for (const l of leaves) if (l.strided) strided++;
  // leaves may repeat a storage (two views of it); each leaf is one binding, a safe upper bound
  return leaves.length <= limits.inputs && scalars <= limits.params && nodes <= limits.nodes &&
    1 + leaves.length + rank + rank * strided + 2 * scalars <= limits.words;
}

/**
 * The pending chain of `op` over `operands` (already of the dtypes the op computes in), of
 * `shape` and `outDtype`; `params` are the entry's params (literals in the generated code).
 * Operands whose chains would push the new one past the backend's limits are realized first.
 */
export function chainOf(
  op: string,
  operands: readonly LazyOperand[],
  shape: readonly number[],
  outDtype: DType,
  params: readonly number[],
  backend: Backend,
): Pending {
  const limits = backend.evaluateLimits!;
  // constants become uniform params, unless nothing else would give the kernel an operand
  let constantsAsParams = false;
  for (const t of operands) if (!constantParts.has(t)) constantsAsParams = true;
  let parts = operands.map((t) => partOf(op, t, shape, false, constantsAsParams));
  let leaves = unionLeaves(parts);
  let scalars = unionScalars(parts);
  let nodes = 1;
  for (const p of parts) nodes += p.nodes;
  if (!fits(limits, leaves, scalars.size, nodes, shape.length)) {
    for (const p of parts) if (p.held) { for (const l of p.leaves) l.ref.release(); }
    parts = operands.map((t) => partOf(op, t, shape, true, constantsAsParams));
    leaves = unionLeaves(parts);
    scalars = unionScalars(parts);
    nodes = 1;
  }
  // the new chain holds its own reference on every leaf: parts taken from other chains share theirs
  for (const p of parts) if (!p.held) { for (const l of p.leaves) l.ref.refs++; }
  const args = parts.map((p) => p.node);
  let node: Node;
  if (op === "copy") {
    node = castTo(args[0], SCALAR_OF[outDtype]);
  } else {
    const entry = elementwiseEntry(op);
    const natural = resultType(entry.policy, args.map((a) => a.type));
    node = { kind: "op", op, args, params, type: natural };
    if (natural !== SCALAR_OF[outDtype]) node = castTo(node, SCALAR_OF[outDtype]);
  }
  // a leaf shared by two parts counts once: take back the extra references
  if (parts.length > 1 && parts.filter((p) => p.leaves.length > 0).length > 1) {
    const counted = new Set<Leaf>();
    for (const p of parts) {
      for (const l of p.leaves) {
        if (counted.has(l)) l.ref.release();
        else counted.add(l);
      }
    }
  }
  return new Pending(node, leaves, scalars, nodes, backend, outDtype);
}

function castTo(node: Node, type: ScalarType): Node {
  return node.type === type ? node : { kind: "cast", arg: node, type };
}

// ---- realizing ---------------------------------------------------------------------------

/** Runs `chain` as one kernel; returns the new contiguous storage of `dtype`. */
export function realize(chain: Pending, dtype: DType): Storage {
  const operands: { storage: Storage; view: View }[] = [];
  const leafIndex = new Map<Leaf, number>();
  const byStorage = new Map<Storage, { view: View; index: number }[]>();
  const params: number[] = [];
  const paramIndex = new Map<string, number>();
  const exprs = new Map<Node, Expr>();
  for (const leaf of chain.leaves) {
    const same = byStorage.get(leaf.ref.storage)?.find((o) => sameView(o.view, leaf.view));
    if (same) {
      leafIndex.set(leaf, same.index);
      continue;
    }
    const index = operands.length;
    operands.push({ storage: leaf.ref.storage, view: leaf.view });
    leafIndex.set(leaf, index);
    const list = byStorage.get(leaf.ref.storage);
    if (list) list.push({ view: leaf.view, index });
    else byStorage.set(leaf.ref.storage, [{ view: leaf.view, index }]);
  }
  // iterative post-order: chains can be long and deep recursion is not needed for them
  const stack: Node[] = [chain.node];
  while (stack.length) {
    const n = stack[stack.length - 1];
    if (exprs.has(n)) {
      stack.pop();
      continue;
    }
    if (n.kind === "leaf") {
      exprs.set(n, { input: leafIndex.get(n.leaf)! });
    } else if (n.kind === "scalar") {
      const key = scalarKey(n.value, n.type);
      let k = paramIndex.get(key);
      if (k === undefined) {
        k = params.length;
        params.push(n.value);
        paramIndex.set(key, k);
      }
      exprs.set(n, { param: k });
    } else {
      const kids = n.kind === "op" ? n.args : [n.arg];
      const missing = kids.filter((c) => !exprs.has(c));
      if (missing.length) {
        stack.push(...missing);
        continue;
      }
      if (n.kind === "cast") exprs.set(n, { cast: n.type, arg: exprs.get(n.arg)! });
      else {
        exprs.set(n, {
          op: n.op,
          args: n.args.map((a) => exprs.get(a)!),
          params: n.params.map((v) => ({ const: v })),
        });
      }
    }
    stack.pop();
  }
  const root = exprs.get(chain.node)!;
  return chain.backend.evaluate!([root], operands, [dtype], params)[0];
}

function sameView(a: View, b: View): boolean {
  return a.offset === b.offset && sameShape(a.strides, b.strides);
}
