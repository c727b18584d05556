/**
 * WGSL from lowered programs (lib/ops/lower.ts): one `let` per primitive node, operands
 * converted to the type each primitive computes in, literals and uniform params written in
 * the type their consumer needs. The elementwise and fused kernels both render through here,
 * so every op of the table has exactly one WGSL form.
 * @module
 */
import type { LoweredProgram, LowNode } from "../../ops/lower.ts";
import type { ScalarType } from "../../ops/entry.ts";
import type { WgslType } from "./kernels.ts";

/** The WGSL value type of a scalar type. */
const VALUE_TYPE: Record<ScalarType, string> = { float: "f32", int: "i32", bool: "bool" };

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** A WGSL f32 expression for `v` (infinities and NaN through their bit patterns). */
export function wgslFloat(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return "bitcast<f32>(0x7fc00000u)";
  if (f === Infinity) return "bitcast<f32>(0x7f800000u)";
  if (f === -Infinity) return "bitcast<f32>(0xff800000u)";
  if (Object.is(f, -0)) return "(-0.0)";
  const s = String(f);
  return `f32(${/[.e]/.test(s) ? s : s + ".0"})`;
}

/**
 * A WGSL i32 expression for `v` as an int computation reads it: truncated toward zero and
 * saturated (±Infinity too), NaN 0, exactly as int uniform params are packed.
 */
function wgslInt(v: number): string {
  const i = Number.isNaN(v) ? 0 : Math.min(INT_MAX, Math.max(INT_MIN, Math.trunc(v)));
  return i === INT_MIN ? "(-2147483647 - 1)" : `i32(${i})`;
}

/** `e` (a value of type `from`) as a value of type `to`. */
export function convert(e: string, from: ScalarType, to: ScalarType): string {
  if (from === to) return e;
  // `!(x == 0)`, not `x != 0`: llvmpipe compiles float `!=` as an ordered comparison, false for NaN
  if (to === "bool") return from === "float" ? `!(${e} == 0.0)` : `(${e} != 0)`;
  if (from === "bool") return to === "float" ? `select(0.0, 1.0, ${e})` : `select(0, 1, ${e})`;
  return to === "float" ? `f32(${e})` : `i32(${e})`;
}

/** How a program reads its leaves. */
export interface WgslLeaves {
  /** The raw storage read of input `k` (of storage type `storage`). */
  input(k: number): { expr: string; storage: WgslType };
  /** Uniform param `k` as a value of type `t`. */
  param(k: number, t: ScalarType): string;
}

/** A value of storage type `storage` as a value of scalar type `t`. */
export function load(expr: string, storage: WgslType, t: ScalarType): string {
  const from: ScalarType = storage === "f32" ? "float" : storage === "i32" ? "int" : "bool";
  return convert(from === "bool" ? `(${expr} != 0u)` : expr, from, t);
}

/** A value of scalar type `t` as a value to store into storage of type `storage`. */
export function store(e: string, t: ScalarType, storage: WgslType): string {
  if (storage === "u32") return `to_bool(${convert(e, t, "bool")})`;
  return convert(e, t, storage === "f32" ? "float" : "int");
}

/** The rendered statements and, per output, its value expression and type. */
export interface WgslProgram {
  /** One `let` per node, in dependency order (indent included). */
  readonly body: string;
  readonly outputs: readonly { readonly expr: string; readonly type: ScalarType }[];
}

/** Renders `program`: the body of `let`s and an expression per output. */
export function renderWgsl(program: LoweredProgram, leaves: WgslLeaves, indent = "  "): WgslProgram {
  const names = new Map<number, { expr: string; type: ScalarType }>();
  const lines: string[] = [];
  // A value read as type `t`: leaves adapt to their consumer, lets are converted.
  const operand = (n: LowNode, t: ScalarType): string => {
    if (n.kind === "const") {
      return t === "float" ? wgslFloat(n.value) : t === "int" ? wgslInt(n.value) : String(n.value !== 0);
    }
    if (n.kind === "param") return leaves.param(n.index, t);
    const v = names.get(n.id)!;
    return convert(v.expr, v.type, t);
  };
  for (const n of program.nodes) {
    if (n.kind === "input") {
      const { expr, storage } = leaves.input(n.index);
      lines.push(`${indent}let v${n.id}: ${VALUE_TYPE[n.type]} = ${load(expr, storage, n.type)};`);
      names.set(n.id, { expr: `v${n.id}`, type: n.type });
    } else if (n.kind === "prim") {
      const code = n.code.wgsl[n.compute];
      if (code === undefined) throw new TypeError(`webgpu: ${n.op} has no WGSL code for ${n.compute} values`);
      const args = n.args.map((a, i) => operand(a, n.argTypes[i]));
      const value = code.replace(/\$(\d)/g, (_, k: string) => `(${args[Number(k)]})`);
      lines.push(`${indent}let v${n.id}: ${VALUE_TYPE[n.type]} = ${value};`);
      names.set(n.id, { expr: `v${n.id}`, type: n.type });
    }
  }
  const outputs = program.outputs.map((n) => {
    if (n.kind === "const" || n.kind === "param") return { expr: operand(n, "float"), type: "float" as const };
    return names.get(n.id)!;
  });
  return { body: lines.join("\n"), outputs };
}
