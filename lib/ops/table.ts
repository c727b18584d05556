/**
 * The op table: every op denograd implements, one typed entry each. Backends generate their
 * elementwise code from it, the tensor layer records gradients from it, and the tests, the
 * docs and FEATURES.md loop over it. The backend unions (`UnaryOp`, `BinaryOp`, …) are derived
 * here, so an op exists for a backend exactly when it has an entry.
 * @module
 */
import type { AnyElementwiseEntry, OpKind } from "./entry.ts";
import { TENSOR_OPS } from "./tensor_ops.ts";
import { ARITHMETIC } from "./arithmetic.ts";
import { MATH } from "./math.ts";
import { MATH_TRIG } from "./math_trig.ts";
import { ACTIVATION } from "./activation.ts";
import { ACTIVATION_EXTRA } from "./activation_extra.ts";
import { COMPARISON } from "./comparison.ts";

/** Elementwise ops by name (arithmetic, math, activations, comparisons and logic). */
export const ELEMENTWISE = {
  ...ARITHMETIC,
  ...MATH,
  ...MATH_TRIG,
  ...ACTIVATION,
  ...ACTIVATION_EXTRA,
  ...COMPARISON,
} as const satisfies Record<string, AnyElementwiseEntry>;

/** The name of an elementwise op. */
export type ElementwiseOp = keyof typeof ELEMENTWISE;

type OpsOfArity<K extends number> = {
  [O in ElementwiseOp]: (typeof ELEMENTWISE)[O]["args"]["length"] extends K ? O : never;
}[ElementwiseOp];

/** Elementwise ops of one operand. */
export type UnaryOp = OpsOfArity<1>;
/** Elementwise ops of two operands. */
export type BinaryOp = OpsOfArity<2>;
/** Elementwise ops of three operands. */
export type TernaryOp = OpsOfArity<3>;

/** The entry of `op`, or a RangeError naming it. */
export function elementwiseEntry(op: string): AnyElementwiseEntry {
  const e = (ELEMENTWISE as Record<string, AnyElementwiseEntry>)[op];
  if (!e) throw new RangeError(`unknown elementwise op ${JSON.stringify(op)}`);
  return e;
}

/** Whether `op` names an elementwise entry. */
export function isElementwiseOp(op: string): op is ElementwiseOp {
  return Object.hasOwn(ELEMENTWISE, op);
}

/** `params` completed with the entry's defaults, in the entry's order. */
export function paramValues(entry: AnyElementwiseEntry, params: readonly number[] = []): readonly number[] {
  let defaults = DEFAULTS.get(entry);
  if (!defaults) DEFAULTS.set(entry, defaults = Object.freeze(Object.values(entry.params)));
  // per-op calls are hot: entries without params (most) share one frozen array
  if (params.length === 0 || defaults.length === 0) return defaults;
  return defaults.map((d, i) => params[i] ?? d);
}

const DEFAULTS = new WeakMap<AnyElementwiseEntry, readonly number[]>();
const NO_PARAMS: Readonly<Record<string, number>> = Object.freeze({});

/** `params` by name as the entry's reference and gradient rules receive them. */
export function namedParams(
  entry: AnyElementwiseEntry,
  params: readonly number[] = [],
): Readonly<Record<string, number>> {
  const names = Object.keys(entry.params);
  if (names.length === 0) return NO_PARAMS;
  const values = paramValues(entry, params);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

export { REDUCE_PRIMITIVES, type ReduceOp, TENSOR_OPS, type TensorOpEntry } from "./tensor_ops.ts";

/** One row of the table for docs: an op's name, kind, doc line and how users reach it. */
export interface OpSummary {
  readonly name: string;
  readonly kind: OpKind;
  readonly doc: string;
  /** The `Tensor` method, or the function of `mod.ts` / `F`, that exposes it (none for internal ops). */
  readonly method?: string;
  readonly fn?: string;
}

/** Every op of the table (elementwise first, then the other kinds), for docs and FEATURES.md. */
export function opSummaries(): OpSummary[] {
  const elementwise = Object.entries(ELEMENTWISE as Record<string, AnyElementwiseEntry>).map(([name, e]) => ({
    name,
    kind: "elementwise" as const,
    doc: e.doc,
    method: e.method,
  }));
  const others = Object.entries(TENSOR_OPS).map(([name, e]) => ({
    name,
    kind: e.kind,
    doc: e.doc,
    ...("method" in e.call ? { method: e.call.method } : { fn: e.call.fn }),
  }));
  return [...elementwise, ...others];
}
