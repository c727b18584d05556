/**
 * float32 elementwise programs as generated WebAssembly SIMD: the fast path of the cpu backend's
 * `evaluate` (evaluate.ts) for chains such as optimizer updates, four elements per f32x4 op.
 *
 * Only primitives whose float32 SIMD form gives, bit for bit, what the JavaScript path gives are
 * accepted; that path computes each op in float64 and rounds it to float32 (`Math.fround`), which
 * for a single correctly rounded op (+, −, ×, ÷, √) on float32 operands is the float32 op itself
 * (double rounding is innocuous when the wide format has ≥ 2p + 2 bits: 53 ≥ 2·24 + 2). The
 * others are exact (neg, abs, floor, ceil, round half to even = `f32x4.nearest`, comparisons,
 * selects) or written out to match the table's definition: `maximum`/`minimum` are NaN-propagating
 * and return the FIRST operand on ties (so `maximum(−0, +0)` is −0), which `f32x4.max` (+0) is not.
 * Bool values are lane masks (all ones = true); bool → float is `mask & 1.0`, float → bool is
 * `x != 0` (NaN true), as the JavaScript `convert` does. A literal read as a float must be a
 * float32 value: the JavaScript path computes `x · 0.1` with the float64 literal, which no f32 op
 * reproduces. Anything else (transcendentals, int32, bool storage) makes {@link emitElementwise}
 * return null and the JavaScript loop runs.
 *
 * The export {@link ELEMENTWISE_EXPORT} takes, all i32: the outputs' byte addresses, the inputs'
 * byte addresses, each param's float32 bits, a scratch address (unused; the thread pool passes
 * one) and the half-open element range `start, end` it computes, four at a time, then one at a
 * time for the last `(end − start) mod 4`.
 * @module
 */
import { type FunctionBuilder, ModuleBuilder, type Op } from "./emit.ts";
import type { Expr } from "../../../ops/expr.ts";
import type { ScalarType } from "../../../ops/entry.ts";
import { fixedType, type LoweredProgram, lowerExprs, type LowNode } from "../../../ops/lower.ts";

/** How an input is read: element i at `base + 4i` (dense), or one element for all (scalar, splat once). */
export type SimdRead = "dense" | "scalar";

/** The name of the generated export. */
export const ELEMENTWISE_EXPORT = "elementwise";

/** Float ops that are one f32x4 instruction. */
const FLOAT_OPS: Record<string, Op> = {
  neg: "f32x4.neg",
  abs: "f32x4.abs",
  sqrt: "f32x4.sqrt",
  floor: "f32x4.floor",
  ceil: "f32x4.ceil",
  round: "f32x4.nearest",
  add: "f32x4.add",
  sub: "f32x4.sub",
  mul: "f32x4.mul",
  div: "f32x4.div",
};
/** Comparisons in float: IEEE, so `ne` is true and the others false when a lane holds NaN, as in JavaScript. */
const COMPARE_OPS: Record<string, Op> = {
  eq: "f32x4.eq",
  ne: "f32x4.ne",
  lt: "f32x4.lt",
  le: "f32x4.le",
  gt: "f32x4.gt",
  ge: "f32x4.ge",
};
/** Logic on bool masks. */
const LOGIC_OPS: Record<string, Op> = { and: "v128.and", or: "v128.or", xor: "v128.xor" };
/** Float ops written out of several instructions (see {@link emitOp}). */
const SPECIAL_FLOAT = new Set(["maximum", "minimum", "sign", "isnan", "isinf"]);

type Prim = Extract<LowNode, { kind: "prim" }>;

/** Whether `n` computes in a type this generator covers, with code that matches the JavaScript path. */
function supportedPrim(n: Prim): boolean {
  const { op, compute } = n;
  if (![n.type, ...n.argTypes].every((t) => t === "float" || t === "bool")) return false;
  if (op in FLOAT_OPS || op in COMPARE_OPS || SPECIAL_FLOAT.has(op)) return compute === "float";
  if (op in LOGIC_OPS || op === "not") return compute === "bool";
  return (op === "copy" || op === "cast" || op === "where") && compute !== "int";
}

/** Whether a literal read as `t` has the value the JavaScript path reads (a float must be a float32). */
function exactLiteral(value: number, t: ScalarType): boolean {
  return t !== "float" || Number.isNaN(value) || Object.is(Math.fround(value), value);
}

/**
 * The lowered program when every node of it is covered (see the module doc), else null.
 * @param outputs The program's outputs (expressions over table ops).
 * @param inputCount How many inputs it reads (all float32).
 */
export function lowerForSimd(outputs: readonly Expr[], inputCount: number): LoweredProgram | null {
  const program = lowerExprs(outputs, Array.from({ length: inputCount }, () => "float" as const));
  for (const n of program.nodes) {
    if (n.kind !== "prim") continue;
    if (!supportedPrim(n)) return null;
    for (let i = 0; i < n.args.length; i++) {
      const a = n.args[i];
      if (a.kind === "const" && !exactLiteral(a.value, n.argTypes[i])) return null;
    }
  }
  return program;
}

/**
 * The module computing `outputs` over float32 inputs read as `reads` (see the module doc for the
 * export's arguments), or null when the program uses anything the SIMD path does not cover.
 * @param outputs The program's outputs; each is stored as float32 (bool values as 1 or 0).
 * @param reads How each input is read.
 * @param paramCount How many uniform params it takes.
 */
export function emitElementwise(
  outputs: readonly Expr[],
  reads: readonly SimdRead[],
  paramCount: number,
): Uint8Array<ArrayBuffer> | null {
  const program = lowerForSimd(outputs, reads.length);
  if (program === null) return null;
  const module = new ModuleBuilder();
  const outCount = program.outputs.length;
  const argCount = outCount + reads.length + paramCount;
  const f = module.function(ELEMENTWISE_EXPORT, Array.from({ length: argCount + 3 }, () => "i32"));
  new Generator(f, program, reads, paramCount).emit();
  return module.emit();
}

/** The code of one program: a prologue of hoisted splats, a vector loop and a one-element tail loop. */
class Generator {
  readonly #f: FunctionBuilder;
  readonly #program: LoweredProgram;
  readonly #reads: readonly SimdRead[];
  readonly #outCount: number;
  readonly #paramBase: number;
  readonly #start: number;
  /** Locals of splatted constants, params and scalar inputs, by `id:type` (and `#name` for fixed ones). */
  readonly #hoisted = new Map<string, number>();
  /** The local holding each input and primitive node's value in the loop body. */
  readonly #values = new Map<number, number>();
  /** Locals of converted values in the current body, by `id:type`. */
  #converted = new Map<string, number>();
  readonly #at: number;

  constructor(f: FunctionBuilder, program: LoweredProgram, reads: readonly SimdRead[], paramCount: number) {
    this.#f = f;
    this.#program = program;
    this.#reads = reads;
    this.#outCount = program.outputs.length;
    this.#paramBase = this.#outCount + reads.length;
    this.#start = this.#paramBase + paramCount + 1; // after the scratch address
    this.#at = f.local("i32");
  }

  emit(): void {
    const f = this.#f, at = this.#at, start = this.#start, end = this.#start + 1;
    this.#prologue();
    const vectorEnd = f.local("i32"), byteEnd = f.local("i32");
    // byte offsets from the start of each operand: [start, end) in elements becomes [4·start, 4·end)
    f.get(end).i32(2).op("i32.shl").set(byteEnd);
    f.get(start).i32(2).op("i32.shl").get(end).get(start).op("i32.sub").i32(-4).op("i32.and").i32(2).op("i32.shl")
      .op("i32.add").set(vectorEnd);
    f.for(at, () => f.get(start).i32(2).op("i32.shl"), () => f.get(vectorEnd), 16, () => this.#body(true));
    f.for(at, () => f.get(at), () => f.get(byteEnd), 4, () => this.#body(false));
  }

  /** Splats every value the loop reads unchanged: literals and params (per type they are read as), scalar inputs. */
  #prologue(): void {
    const f = this.#f;
    const leaf = (n: LowNode, t: ScalarType) => {
      if (n.kind === "const") {
        this.#hoist(`${n.id}:${t}`, () => {
          if (t === "bool") f.i32(n.value !== 0 ? -1 : 0).op("i32x4.splat");
          else f.f32(n.value).op("f32x4.splat");
        });
      } else if (n.kind === "param") {
        this.#hoist(`${n.id}:${t}`, () => {
          f.get(this.#paramBase + n.index).op("i32x4.splat"); // the float32 bits: the same lanes as f32x4.splat
          if (t === "bool") f.get(this.#fixed("zero")).op("f32x4.ne");
        });
      }
    };
    this.#hoist("#zero", () => f.v128Zero());
    this.#hoist("#one", () => f.f32(1).op("f32x4.splat"));
    for (const n of this.#program.nodes) {
      if (n.kind === "input" && this.#reads[n.index] === "scalar") {
        this.#values.set(n.id, this.#newLocal(() => f.get(this.#outCount + n.index).mem("v128.load32_splat")));
      } else if (n.kind === "prim") {
        n.args.forEach((a, i) => leaf(a, n.argTypes[i]));
      }
    }
    for (const n of this.#program.outputs) leaf(n, "float");
  }

  #hoist(key: string, push: () => void): void {
    if (!this.#hoisted.has(key)) this.#hoisted.set(key, this.#newLocal(push));
  }

  #newLocal(push: () => void): number {
    const local = this.#f.local("v128");
    push();
    this.#f.set(local);
    return local;
  }

  /** One step of the loop: 4 elements (`vector`) or 1 (splatted into every lane; lane 0 is stored). */
  #body(vector: boolean): void {
    const f = this.#f;
    this.#converted = new Map();
    for (const n of this.#program.nodes) {
      if (n.kind === "input" && this.#reads[n.index] === "dense") {
        let local = this.#values.get(n.id);
        if (local === undefined) this.#values.set(n.id, local = f.local("v128"));
        f.get(this.#outCount + n.index).get(this.#at).op("i32.add").mem(vector ? "v128.load" : "v128.load32_splat");
        f.set(local);
      } else if (n.kind === "prim") {
        const args = n.args.map((a, i) => this.#operand(a, n.argTypes[i]));
        emitOp(f, n, args, this.#fixed.bind(this));
        let local = this.#values.get(n.id);
        if (local === undefined) this.#values.set(n.id, local = f.local("v128"));
        f.set(local);
      }
    }
    this.#program.outputs.forEach((n, j) => {
      const value = this.#operand(n, "float");
      f.get(j).get(this.#at).op("i32.add").get(value);
      if (vector) f.mem("v128.store");
      else f.extractLane(0).mem("f32.store");
    });
  }

  #fixed(name: "zero" | "one"): number {
    return this.#hoisted.get(`#${name}`)!;
  }

  /** The local holding `n` as a value of type `t`, converting it (once per body) when its type differs. */
  #operand(n: LowNode, t: ScalarType): number {
    if (n.kind === "const" || n.kind === "param") return this.#hoisted.get(`${n.id}:${t}`)!;
    const local = this.#values.get(n.id)!;
    const from = fixedType(n)!;
    if (from === t) return local;
    const key = `${n.id}:${t}`;
    let converted = this.#converted.get(key);
    if (converted === undefined) {
      const f = this.#f;
      converted = f.local("v128");
      // bool → float: 1 or 0; float → bool: x != 0 (NaN true)
      if (t === "float") f.get(local).get(this.#fixed("one")).op("v128.and");
      else f.get(local).get(this.#fixed("zero")).op("f32x4.ne");
      f.set(converted);
      this.#converted.set(key, converted);
    }
    return converted;
  }
}

/** Pushes the value of primitive `n` whose (converted) operands are in the locals `args`. */
function emitOp(f: FunctionBuilder, n: Prim, args: readonly number[], fixed: (name: "zero" | "one") => number): void {
  const [a, b, c] = args;
  const { op } = n;
  if (op === "copy" || op === "cast") {
    f.get(a);
  } else if (op in FLOAT_OPS) {
    for (const x of args) f.get(x);
    f.op(FLOAT_OPS[op]);
  } else if (op in COMPARE_OPS) {
    f.get(a).get(b).op(COMPARE_OPS[op]);
  } else if (op in LOGIC_OPS) {
    f.get(a).get(b).op(LOGIC_OPS[op]);
  } else if (op === "not") {
    f.get(a).op("v128.not");
  } else if (op === "where") {
    f.get(b).get(c).get(a).op("v128.bitselect"); // (b & cond) | (c & ~cond)
  } else if (op === "maximum" || op === "minimum") {
    // fmax: NaN if either is; b where a < b, else a (ties keep a). fmin: b where b < a, else a.
    // A NaN a already yields a (every compare is false); a NaN b must be chosen explicitly.
    f.get(b).get(a);
    if (op === "maximum") f.get(a).get(b);
    else f.get(b).get(a);
    f.op("f32x4.lt").get(b).get(b).op("f32x4.ne").op("v128.or").op("v128.bitselect");
  } else if (op === "sign") {
    // x > 0 ? 1 : x < 0 ? −1 : 0 (NaN and ±0 give +0)
    f.get(fixed("one")).get(fixed("one")).op("f32x4.neg").get(fixed("zero")).get(a).get(fixed("zero")).op("f32x4.lt")
      .op("v128.bitselect").get(a).get(fixed("zero")).op("f32x4.gt").op("v128.bitselect");
  } else if (op === "isnan") {
    f.get(a).get(a).op("f32x4.ne");
  } else if (op === "isinf") {
    f.get(a).op("f32x4.abs").f32(Infinity).op("f32x4.splat").op("f32x4.eq");
  } else {
    throw new TypeError(`wasm elementwise: ${op} has no SIMD code (lowerForSimd should have refused it)`);
  }
}
