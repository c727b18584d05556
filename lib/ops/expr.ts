/**
 * The expression form of elementwise work: a DAG whose inner nodes apply ops of the op table
 * (`lib/ops/elementwise`) and whose leaves are inputs, params and literals. Composite table
 * entries write their forward in it, fused programs (optimizer updates, fused losses, fused
 * backward rules) are built from it, and every backend generates its code from it — WGSL for
 * webgpu, JavaScript for the cpu — after {@link lowerExprs} has expanded it to primitives.
 *
 * Nodes may be shared: the same object used twice is one value, computed once.
 * @module
 */
import type { ScalarType } from "./entry.ts";

/** One node of an expression. `op` names an entry of the elementwise table. */
export type Expr =
  /** Element of input `k` (element 0 where that input has one element). */
  | { readonly input: number }
  /** Scalar `k` of the call's params: a uniform, so new values (a scheduled learning rate) never recompile. */
  | { readonly param: number }
  /** A literal baked into the generated code. */
  | { readonly const: number }
  /**
   * `arg` converted to scalar type `cast`, as storing it into a tensor of that type would convert it
   * (float to int truncates toward zero, anything to bool is `!= 0` with NaN true). The lazy engine
   * writes dtype casts inside a chain with it.
   */
  | { readonly cast: ScalarType; readonly arg: Expr }
  /**
   * An op of the table applied to `args`, with the op's own params in the entry's order (defaults
   * where omitted); a param is a literal or a uniform (`{ param: k }`), never an element-dependent value.
   */
  | { readonly op: string; readonly args: readonly Expr[]; readonly params?: readonly Expr[] };

/** The operands of a node (none for leaves). */
export function children(e: Expr): readonly Expr[] {
  if ("cast" in e) return [e.arg];
  if (!("op" in e)) return [];
  return e.params ? [...e.args, ...e.params] : e.args;
}

/** The distinct nodes of `outputs`, each after the nodes it reads (iterative: deep chains do not overflow). */
export function linearize(outputs: readonly Expr[]): Expr[] {
  const order: Expr[] = [];
  const done = new Set<Expr>();
  const entered = new Set<Expr>();
  for (const root of outputs) {
    const stack: Expr[] = [root];
    while (stack.length) {
      const node = stack[stack.length - 1];
      if (done.has(node)) {
        stack.pop();
        continue;
      }
      if (entered.has(node)) {
        stack.pop();
        done.add(node);
        order.push(node);
        continue;
      }
      entered.add(node);
      for (const child of children(node)) if (!done.has(child)) stack.push(child);
    }
  }
  return order;
}

/** The input indices (sorted) that `outputs` read. */
export function inputsOf(outputs: readonly Expr[]): number[] {
  const used = new Set<number>();
  for (const n of linearize(outputs)) if ("input" in n) used.add(n.input);
  return [...used].sort((a, b) => a - b);
}

/** Limits every backend accepts for fused programs (inputs, outputs and params per call). */
export const FUSED_LIMITS = { inputs: 6, outputs: 4, params: 16 } as const;

/**
 * Rejects programs outside {@link FUSED_LIMITS} or with references to inputs and params that do
 * not exist; returns the program's nodes in {@link linearize} order.
 */
export function checkFused(
  outputs: readonly Expr[],
  inputCount: number,
  paramCount: number,
  backend: string,
): Expr[] {
  if (outputs.length === 0 || outputs.length > FUSED_LIMITS.outputs) {
    throw new RangeError(`${backend} fused: expected 1..${FUSED_LIMITS.outputs} outputs, got ${outputs.length}`);
  }
  if (inputCount > FUSED_LIMITS.inputs || paramCount > FUSED_LIMITS.params) {
    throw new RangeError(
      `${backend} fused: at most ${FUSED_LIMITS.inputs} inputs and ${FUSED_LIMITS.params} params, ` +
        `got ${inputCount} and ${paramCount}`,
    );
  }
  const nodes = linearize(outputs);
  for (const n of nodes) {
    if ("input" in n && !(Number.isInteger(n.input) && n.input >= 0 && n.input < inputCount)) {
      throw new RangeError(`${backend} fused: input ${n.input} does not exist (${inputCount} inputs)`);
    }
    if ("param" in n && !(Number.isInteger(n.param) && n.param >= 0 && n.param < paramCount)) {
      throw new RangeError(`${backend} fused: param ${n.param} does not exist (${paramCount} params)`);
    }
    if ("op" in n && n.params?.some((p) => !("const" in p) && !("param" in p))) {
      throw new RangeError(`${backend} fused: params of ${n.op} must be literals or uniform params`);
    }
  }
  return nodes;
}

const KEY_F64 = new Float64Array(1);
const KEY_BITS = new Uint32Array(KEY_F64.buffer);

/**
 * A string that two programs share exactly when they have the same structure: the same ops,
 * params, literals (bit for bit), casts, input and param indices, and sharing of nodes. Backends
 * cache generated code by it (with the operands' types), so a program rebuilt every step from new
 * objects still compiles once.
 */
export function structureKey(outputs: readonly Expr[]): string {
  const nodes = linearize(outputs);
  const index = new Map<Expr, number>();
  const parts: string[] = [];
  for (const n of nodes) {
    index.set(n, parts.length);
    if ("input" in n) parts.push(`i${n.input}`);
    else if ("param" in n) parts.push(`p${n.param}`);
    else if ("const" in n) {
      KEY_F64[0] = n.const;
      parts.push(`c${KEY_BITS[0]}.${KEY_BITS[1]}`);
    } else if ("cast" in n) parts.push(`${n.cast}(${index.get(n.arg)})`);
    else {
      const params = n.params ? `[${n.params.map((q) => index.get(q)).join(",")}]` : "";
      parts.push(`${n.op}(${n.args.map((a) => index.get(a)).join(",")})${params}`);
    }
  }
  return `${parts.join(";")}>${outputs.map((o) => index.get(o)).join(",")}`;
}
