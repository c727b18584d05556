/**
 * JavaScript from lowered programs (lib/ops/lower.ts), the cpu counterpart of the WGSL
 * generator: one `const` per primitive node inside a loop over the elements, compiled once per
 * program with `new Function`. Floats compute in float64 and round once on store, as the
 * reference does; int32 arithmetic wraps through the primitives' own code (`| 0`, `Math.imul`).
 * The reference backend keeps its plain closures (it is the oracle this code is tested against).
 * @module
 */
import type { Expr } from "../ops/expr.ts";
import type { ScalarType } from "../ops/entry.ts";
import { type LoweredProgram, lowerExprs, type LowNode } from "../ops/lower.ts";
import { JS_HELPERS } from "../ops/_math.ts";

/** `e` (a value of type `from`) as a value of type `to`. */
export function convert(e: string, from: ScalarType, to: ScalarType): string {
  if (from === to) return e;
  if (to === "bool") return `(${e} !== 0)`;
  if (from === "bool") return `(${e} ? 1 : 0)`;
  return to === "int" ? `(${e} | 0)` : e;
}

/** A JavaScript literal for `v` as a value of type `t`. */
function literal(v: number, t: ScalarType): string {
  if (t === "bool") return String(v !== 0);
  if (t === "int") {
    // as int params are packed: truncated toward zero, saturated, NaN 0
    const i = Number.isNaN(v) ? 0 : Math.min(2147483647, Math.max(-2147483648, Math.trunc(v)));
    return i < 0 ? `(${i})` : String(i);
  }
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${v})` : String(v);
}

/**
 * The statements computing every node of `program` and an expression per output. With
 * `roundFloat`, every float primitive's result is rounded to float32 (`Math.fround`), so a fused
 * float32 chain overflows, underflows and rounds as the same ops run one at a time would.
 */
export function renderJs(
  program: LoweredProgram,
  input: (k: number) => string,
  indent = "    ",
  roundFloat = false,
): { body: string; outputs: { expr: string; type: ScalarType }[] } {
  const names = new Map<number, { expr: string; type: ScalarType }>();
  const lines: string[] = [];
  const operand = (n: LowNode, t: ScalarType): string => {
    if (n.kind === "const") return literal(n.value, t);
    if (n.kind === "param") {
      return t === "float" ? `pf${n.index}` : t === "int" ? `pi${n.index}` : `(pf${n.index} !== 0)`;
    }
    const v = names.get(n.id)!;
    return convert(v.expr, v.type, t);
  };
  for (const n of program.nodes) {
    if (n.kind === "input") {
      lines.push(`${indent}const v${n.id} = ${input(n.index)};`);
      names.set(n.id, { expr: `v${n.id}`, type: n.type });
    } else if (n.kind === "prim") {
      const code = n.code.js[n.compute];
      if (code === undefined) throw new TypeError(`js: ${n.op} has no JavaScript code for ${n.compute} values`);
      const args = n.args.map((a, i) => operand(a, n.argTypes[i]));
      const value = code.replace(/\$(\d)/g, (_, k: string) => `(${args[Number(k)]})`);
      lines.push(`${indent}const v${n.id} = ${roundFloat && n.type === "float" ? `Math.fround(${value})` : value};`);
      names.set(n.id, { expr: `v${n.id}`, type: n.type });
    }
  }
  const outputs = program.outputs.map((n) =>
    n.kind === "const" || n.kind === "param" ? { expr: operand(n, "float"), type: "float" as const } : names.get(n.id)!
  );
  return { body: lines.join("\n"), outputs };
}

/** Typed arrays a generated kernel reads and writes. */
export type KernelArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A compiled elementwise kernel: `run(inputs, outputs, size, params)` evaluates every output
 * expression at each of `size` elements; an input of one element is read at index 0 (broadcast).
 */
export type JsKernel = (
  inputs: readonly KernelArray[],
  outputs: readonly KernelArray[],
  size: number,
  params: readonly number[],
) => void;

/**
 * Compiles `outputs` (expressions over table ops) for inputs holding `inputTypes` and outputs
 * stored as `outputTypes` (bool storage holds 0 or 1).
 */
export function compileJsKernel(
  outputs: readonly Expr[],
  inputTypes: readonly ScalarType[],
  outputTypes: readonly ScalarType[],
  paramCount = 0,
): JsKernel {
  const program = lowerExprs(outputs, inputTypes);
  const read = (k: number) => inputTypes[k] === "bool" ? `(x${k}[i * s${k}] !== 0)` : `x${k}[i * s${k}]`;
  const { body, outputs: values } = renderJs(program, read);
  const stores = values.map(({ expr, type }, j) => {
    const t = outputTypes[j];
    const v = t === "bool"
      ? `(${convert(expr, type, "bool")} ? 1 : 0)`
      : convert(expr, type, type === "bool" ? t : type);
    return `    o${j}[i] = ${v};`;
  });
  const source = [
    `"use strict";`,
    `return function kernel(ins, outs, n, params) {`,
    ...inputTypes.map((_, k) => `  const x${k} = ins[${k}], s${k} = x${k}.length === 1 ? 0 : 1;`),
    ...Array.from({ length: paramCount }, (_, k) => `  const pf${k} = params[${k}], pi${k} = lib.toInt(params[${k}]);`),
    ...values.map((_, j) => `  const o${j} = outs[${j}];`),
    `  for (let i = 0; i < n; i++) {`,
    body,
    ...stores,
    `  }`,
    `};`,
  ].join("\n");
  const lib = { ...JS_HELPERS, toInt };
  return new Function("lib", source)(lib) as JsKernel;
}

/** An int param as int kernels read it: truncated, ±Infinity saturated to the int32 range. */
export function toInt(v: number): number {
  return Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
}
