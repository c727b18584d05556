/**
 * The fused elementwise program of the reference backend: every node evaluated per element in
 * float64 with its entry's reference closure (composite entries too: the oracle does not expand
 * them, so it checks their expression forms rather than sharing them).
 * @module
 */
import type { DType, FusedExpr, Storage } from "../backend.ts";
import { checkFused } from "../../ops/expr.ts";
import { elementwiseEntry, namedParams } from "../../ops/table.ts";
import type { ScalarFn } from "../../ops/entry.ts";
import { newArray, type ReferenceContext } from "./storage.ts";

/** One step of a flattened program: computes its node from earlier slots (element `i`). */
type Step = (slots: Float64Array, i: number) => number;

/**
 * Evaluates the program for every element: `inputs[k]` hold `size` values or one.
 * Results are computed in float64 and stored into `outputs` (typed arrays of `size`).
 */
export function evaluateFused(
  program: readonly FusedExpr[],
  inputs: readonly ArrayLike<number>[],
  params: readonly number[],
  outputs: (Float32Array | Float64Array)[],
  size: number,
): void {
  const p = planOf(program, inputs.length, params.length);
  const steps: Step[] = p.nodes.map((n, k) => {
    if ("input" in n) {
      const data = inputs[n.input];
      return data.length === 1 ? () => data[0] : (_s, i) => data[i];
    }
    if ("param" in n) {
      const v = params[n.param];
      return () => v;
    }
    if ("const" in n) {
      const v = n.const;
      return () => v;
    }
    if ("cast" in n) {
      const [a] = p.args[k];
      return CASTS[n.cast](a);
    }
    const f = p.fns[k] ?? bind(n, params);
    const [a, b, c] = p.args[k];
    if (n.args.length === 1) return (s) => f(s[a], 0, 0);
    if (n.args.length === 2) return (s) => f(s[a], s[b], 0);
    return (s) => f(s[a], s[b], s[c]);
  });
  const outSlots = p.outSlots;
  const slots = new Float64Array(p.nodes.length);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < steps.length; k++) slots[k] = steps[k](slots, i);
    for (let o = 0; o < outSlots.length; o++) outputs[o][i] = slots[outSlots[o]];
  }
}

/** Steps converting slot `a` as a store into each type would (int: toward zero, saturated, NaN 0; bool: `!= 0`). */
const CASTS: Record<"float" | "int" | "bool", (a: number) => Step> = {
  float: (a) => (s) => s[a],
  int: (a) => (s) => {
    const v = s[a];
    return Number.isNaN(v) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
  },
  bool: (a) => (s) => (s[a] !== 0 ? 1 : 0),
};

/** A program checked and flattened: its nodes in order, each op's operand slots and (for literal params) its closure. */
interface Plan {
  nodes: FusedExpr[];
  args: number[][];
  fns: (ScalarFn | null)[];
  outSlots: number[];
}

/** Plans by program (optimizers and losses pass the same program array every step), then input/param counts. */
const plans = new WeakMap<readonly FusedExpr[], Map<string, Plan>>();

function planOf(program: readonly FusedExpr[], inputCount: number, paramCount: number): Plan {
  let byCount = plans.get(program);
  if (!byCount) plans.set(program, byCount = new Map());
  const key = `${inputCount}|${paramCount}`;
  let plan = byCount.get(key);
  if (!plan) {
    const nodes = checkFused(program, inputCount, paramCount, "cpu");
    const slot = new Map<FusedExpr, number>(nodes.map((n, i) => [n, i]));
    plan = {
      nodes,
      args: nodes.map((n) => ("op" in n ? n.args.map((x) => slot.get(x)!) : "cast" in n ? [slot.get(n.arg)!] : [])),
      // op params are literals or uniforms, constant over a call: literal ones are bound once here
      fns: nodes.map((n) => ("op" in n && (n.params ?? []).every((q) => "const" in q) ? bind(n, []) : null)),
      outSlots: program.map((e) => slot.get(e)!),
    };
    byCount.set(key, plan);
  }
  return plan;
}

/** The reference closure of an op node with its params (literals, or uniforms read from `params`) bound. */
function bind(n: FusedExpr, params: readonly number[]): ScalarFn {
  const { op, params: ps } = n as Extract<FusedExpr, { op: string }>;
  const entry = elementwiseEntry(op);
  const values = ps?.map((q) => ("const" in q ? q.const : params[(q as { param: number }).param]));
  return (entry.reference as (p: Readonly<Record<string, number>>) => ScalarFn)(namedParams(entry, values));
}

/** {@link Backend.fused}: every output expression over `size` elements, one float64 evaluation each. */
export function fused(
  ctx: ReferenceContext,
  outputs: readonly FusedExpr[],
  inputs: readonly Storage[],
  size: number,
  params: readonly number[],
  dtype: DType,
): Storage[] {
  if (dtype !== "float32" && dtype !== "float64") throw new TypeError(`cpu fused: needs a float dtype, got ${dtype}`);
  const data = inputs.map((s, k) => {
    const d = ctx.data(s);
    if (s.dtype !== dtype || (d.length !== size && d.length !== 1)) {
      throw new RangeError(
        `cpu fused: input ${k} is ${s.dtype} with ${d.length} elements; expected ${dtype} with ${size} or 1`,
      );
    }
    return d;
  });
  const results = outputs.map(() => newArray(dtype, size) as Float32Array | Float64Array);
  evaluateFused(outputs, data, params, results, size);
  return results.map((r) => ctx.wrap(r, dtype));
}
