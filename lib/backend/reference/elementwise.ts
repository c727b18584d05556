/**
 * The elementwise kernel of the reference backend: any op of the table, each operand read
 * through its strided view, computed in float64 by the entry's reference closure (or its int32
 * closure where integer arithmetic differs: wrapping products, integer powers and division) and
 * rounded once on store.
 * @module
 */
import type { DType, Operand, Storage } from "../backend.ts";
import { elementwiseEntry, type ElementwiseOp, namedParams } from "../../ops/table.ts";
import type { AnyElementwiseEntry, ScalarFn } from "../../ops/entry.ts";
import { boolOf, newArray, type ReferenceContext, sameShape } from "./storage.ts";
import { viewOffsets } from "./strided.ts";

/** Policies whose int32 operands compute with the entry's int32 closure. */
const INTEGER_ARITHMETIC = new Set(["numeric", "divide", "rounding"]);

/** {@link Backend.elementwise}. */
export function elementwise(
  ctx: ReferenceContext,
  op: ElementwiseOp,
  operands: readonly Operand[],
  outDtype: DType,
  params: readonly number[] = [],
): Storage {
  const entry = elementwiseEntry(op);
  if (operands.length !== entry.args.length) {
    throw new RangeError(`cpu ${op}: expected ${entry.args.length} operands, got ${operands.length}`);
  }
  // per-op overhead matters here (many small tensors): no per-call arrays beyond the offsets
  const [a, b, c] = operands;
  const shape = a.view.shape;
  for (let k = 1; k < operands.length; k++) {
    if (!sameShape(operands[k].view.shape, shape)) {
      throw new RangeError(`cpu ${op}: shapes ${operands.map((o) => `[${o.view.shape}]`).join(", ")} differ`);
    }
  }
  const first = entry.policy === "select" ? b : a;
  for (let k = entry.policy === "select" ? 2 : 1; k < operands.length && entry.policy !== "copy"; k++) {
    if (operands[k].storage.dtype !== first.storage.dtype) {
      throw new TypeError(`cpu ${op}: dtypes ${first.storage.dtype} and ${operands[k].storage.dtype} differ`);
    }
  }
  const x = ctx.input(op, a.storage, a.view), xo = viewOffsets(a.view);
  const y = b ? ctx.input(op, b.storage, b.view) : null, yo = b ? viewOffsets(b.view) : null;
  const z = c ? ctx.input(op, c.storage, c.view) : null, zo = c ? viewOffsets(c.view) : null;
  const int = INTEGER_ARITHMETIC.has(entry.policy) && first.storage.dtype === "int32" &&
    entry.referenceInt !== undefined;
  const f = scalarFn(entry, int, params);
  const n = xo.length;
  const out = newArray(outDtype, n);
  if (outDtype === "bool") {
    for (let i = 0; i < n; i++) out[i] = boolOf(f(x[xo[i]], y ? y[yo![i]] : 0, z ? z[zo![i]] : 0));
  } else if (!y) {
    for (let i = 0; i < n; i++) out[i] = f(x[xo[i]], 0, 0);
  } else if (!z) {
    for (let i = 0; i < n; i++) out[i] = f(x[xo[i]], y[yo![i]], 0);
  } else {
    for (let i = 0; i < n; i++) out[i] = f(x[xo[i]], y[yo![i]], z[zo![i]]);
  }
  return ctx.wrap(out, outDtype);
}

/** Closures of entries without params, built once (float64 and int32 forms). */
const unparameterized = new WeakMap<AnyElementwiseEntry, [ScalarFn, ScalarFn | null]>();

/** The entry's reference closure (its int32 one when `int`) with `params` bound. */
function scalarFn(entry: AnyElementwiseEntry, int: boolean, params: readonly number[]): ScalarFn {
  type Make = (p: Readonly<Record<string, number>>) => ScalarFn;
  if (Object.keys(entry.params).length > 0) {
    return ((int ? entry.referenceInt : entry.reference) as Make)(namedParams(entry, params));
  }
  let fns = unparameterized.get(entry);
  if (!fns) {
    fns = [(entry.reference as Make)({}), entry.referenceInt ? (entry.referenceInt as Make)({}) : null];
    unparameterized.set(entry, fns);
  }
  return int && fns[1] ? fns[1] : fns[0];
}
