/**
 * The special-value cases of every elementwise op of the table, built from the table itself:
 * 0, ±0, ±1, ±Infinity, NaN, the op's domain edges and its own special values (thresholds,
 * overflow points), as float32 and float64, and for integer-capable ops as int32 (wrapping
 * extremes included). tests/fixtures/make_op_values.ts hands these cases to PyTorch and stores
 * its answers in tests/fixtures/op_values.json; tests/ops/elementwise_test.ts compares denograd
 * with them and fails, naming the command, when the table has cases the fixture lacks.
 * @module
 */
import { ELEMENTWISE } from "../../lib/ops/table.ts";
import type { AnyElementwiseEntry } from "../../lib/ops/entry.ts";

/** One op, dtype and param set, with every operand's values (all operands of one length). */
export interface SpecialCase {
  op: string;
  dtype: "float32" | "float64" | "int32" | "bool";
  /** Params by name (the entry's defaults completed); JSON-safe (see {@link encode}). */
  params: Record<string, number | string>;
  /** One list per operand; JSON-safe (see {@link encode}). */
  inputs: (number | string)[][];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const UNARY_FLOATS = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 1e-7, -1e-7, 30, -30, 100, -100, Infinity, -Infinity, NaN];
const BINARY_FLOATS = [0, -0, 1, -1, 0.5, -2.5, 3, Infinity, -Infinity, NaN];
const UNARY_INTS = [0, 1, -1, 2, -3, 7, 100, -100, 65536, INT32_MAX, INT32_MIN];
const BINARY_INTS = [0, 1, -1, 3, -7, 65536, INT32_MAX, INT32_MIN];

/** `v` for JSON: NaN, infinities and −0 as strings. */
export function encode(v: number): number | string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Object.is(v, -0)) return "-0";
  return v;
}

/** The number {@link encode} wrote. */
export function decode(v: number | string): number {
  if (typeof v === "number") return v;
  return { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 }[v] ?? Number(v);
}

function domainEdges(entry: AnyElementwiseEntry): number[] {
  const d = entry.domain;
  const ranges = Array.isArray(d) ? [d] : Object.values(d).filter((r): r is [number, number] => r !== undefined);
  return ranges.flat();
}

function unique(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (!out.some((u) => Object.is(u, v))) out.push(v);
  return out;
}

/** Every tuple of `values` for `arity` operands (the cross product). */
function grid(values: readonly number[], arity: number): number[][] {
  let rows: number[][] = [[]];
  for (let k = 0; k < arity; k++) rows = rows.flatMap((r) => values.map((v) => [...r, v]));
  return rows;
}

/** Integer operand tuples PyTorch accepts: no remainder by zero (it raises), no negative integer powers. */
function intAllowed(op: string, row: readonly number[]): boolean {
  if (op === "mod" || op === "fmod") return row[1] !== 0 && !(row[0] === INT32_MIN && row[1] === -1);
  if (op === "pow") return row[1] >= 0 && row[1] <= 64;
  return true;
}

function dtypesOf(entry: AnyElementwiseEntry): SpecialCase["dtype"][] {
  switch (entry.policy) {
    case "logic":
      return ["float32", "bool"];
    case "float":
      return ["float32", "float64"];
    default:
      return ["float32", "float64", "int32"];
  }
}

/** Param sets an entry is tested with: its defaults, then each of its `paramCases`. */
export function paramSets(entry: AnyElementwiseEntry): Record<string, number>[] {
  return [{}, ...(entry.paramCases ?? [])].map((p) => ({ ...entry.params, ...p }));
}

/** The special-value cases of every elementwise entry, in table order. */
export function specialCases(): SpecialCase[] {
  const cases: SpecialCase[] = [];
  for (const [op, entry] of Object.entries(ELEMENTWISE) as [string, AnyElementwiseEntry][]) {
    const arity = entry.args.length;
    for (const dtype of dtypesOf(entry)) {
      let rows: number[][];
      if (dtype === "bool") rows = grid([0, 1], arity);
      else if (dtype === "int32") {
        rows = grid(arity === 1 ? UNARY_INTS : BINARY_INTS, arity).filter((r) => intAllowed(op, r));
      } else {
        const base = arity === 1 ? [...UNARY_FLOATS, ...(entry.special ?? [])] : BINARY_FLOATS;
        rows = grid(unique([...base, ...domainEdges(entry)]), arity);
      }
      if (entry.policy === "select") rows = rows.map(([c, a, b]) => [c > 0 ? 1 : 0, a, b]);
      for (const params of paramSets(entry)) {
        // int kernels take integral params only (denograd promotes to float32 otherwise, as PyTorch
        // does); ±Infinity is an absent bound, and PyTorch refuses a clamp with none
        const values = Object.values(params);
        const integral = values.every((v) => Number.isInteger(v) || !Number.isFinite(v));
        if (dtype === "int32" && (!integral || (values.length > 0 && values.every((v) => !Number.isFinite(v))))) {
          continue;
        }
        const inputs = entry.args.map((_, k) =>
          rows.map((r) => encode(dtype === "float32" ? Math.fround(r[k]) : r[k]))
        );
        cases.push({
          op,
          dtype,
          params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, encode(v)])),
          inputs,
        });
      }
    }
  }
  return cases;
}
