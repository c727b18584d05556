/**
 * Lowering: an {@link Expr} over table ops becomes a DAG of primitives with a type on every
 * node, ready for a backend's code generator. Composite entries are expanded through their
 * `forward`, types follow each entry's {@link Policy}, and structurally equal nodes are merged,
 * so a value written twice in a formula is computed once. Literals and uniform params take the
 * type their consumer computes in.
 * @module
 */
import type { Expr } from "./expr.ts";
import type { AnyElementwiseEntry, Policy, PrimitiveCode, ScalarType } from "./entry.ts";
import { elementwiseEntry } from "./table.ts";

/** A node of a lowered program. */
export type LowNode =
  /** Element of input `index`, of a fixed type. */
  | { readonly kind: "input"; readonly id: number; readonly index: number; readonly type: ScalarType }
  /** Uniform param `index`; its type is its consumer's. */
  | { readonly kind: "param"; readonly id: number; readonly index: number }
  /** A literal; its type is its consumer's. */
  | { readonly kind: "const"; readonly id: number; readonly value: number }
  /** A primitive op computing in `compute` over `args` (each converted to `argTypes[i]`), giving `type`. */
  | {
    readonly kind: "prim";
    readonly id: number;
    readonly op: string;
    readonly code: PrimitiveCode;
    readonly args: readonly LowNode[];
    readonly argTypes: readonly ScalarType[];
    readonly compute: ScalarType;
    readonly type: ScalarType;
  };

/** A lowered program: its primitive nodes in dependency order and its outputs. */
export interface LoweredProgram {
  /** Every distinct node, each after the nodes it reads (leaves included). */
  readonly nodes: readonly LowNode[];
  readonly outputs: readonly LowNode[];
}

/** The type of a node for its consumer; null for literals and params, which adapt. */
export function fixedType(n: LowNode): ScalarType | null {
  return n.kind === "input" || n.kind === "prim" ? n.type : null;
}

/** The common type of operands: float if any is float, else int if any is int, else `allBool`. */
function common(types: readonly (ScalarType | null)[], allBool: ScalarType): ScalarType {
  // a loop, not filter/includes: the lazy engine types every op it records with this
  let any = false, int = false;
  for (const t of types) {
    if (t === "float") return "float";
    if (t === null) continue;
    any = true;
    if (t === "int") int = true;
  }
  return !any ? "float" : int ? "int" : allBool;
}

/** What `policy` returns for operands of `types` ({@link typeRule}'s `type`, without building the rule). */
export function resultType(policy: Policy, types: readonly (ScalarType | null)[]): ScalarType {
  switch (policy) {
    case "float":
      return "float";
    case "numeric":
    case "divide":
    case "rounding":
      return common(types, "float");
    case "copy":
      return types[0] ?? "float";
    case "compare":
    case "logic":
    case "predicate":
      return "bool";
    case "select":
      return common(types.slice(1), "bool");
  }
}

/** What `policy` computes in for operands of `types`, what each operand becomes, and what it returns. */
export function typeRule(
  policy: Policy,
  types: readonly (ScalarType | null)[],
): { compute: ScalarType; argTypes: ScalarType[]; type: ScalarType } {
  const all = (t: ScalarType) => types.map(() => t);
  switch (policy) {
    case "float":
      return { compute: "float", argTypes: all("float"), type: "float" };
    case "numeric":
    case "divide":
    case "rounding": {
      const t = common(types, "float");
      return { compute: t, argTypes: all(t), type: t };
    }
    case "copy": {
      const t = types[0] ?? "float";
      return { compute: t, argTypes: [t], type: t };
    }
    case "compare": {
      const t = common(types, "int");
      return { compute: t, argTypes: all(t), type: "bool" };
    }
    case "logic":
      return { compute: "bool", argTypes: all("bool"), type: "bool" };
    case "predicate": {
      const t = types[0] === "float" || types[0] === null ? "float" : "int";
      return { compute: t, argTypes: [t], type: "bool" };
    }
    case "select": {
      const t = common(types.slice(1), "bool");
      return { compute: t, argTypes: ["bool", t, t], type: t };
    }
  }
}

/** Whether an entry is a primitive (backend code) rather than a composition of other entries. */
export function isPrimitive(entry: AnyElementwiseEntry): entry is AnyElementwiseEntry & { forward: PrimitiveCode } {
  return typeof entry.forward !== "function";
}

/** The code of a cast node: the value itself (the conversion happens as its operand is read). */
const IDENTITY: PrimitiveCode = {
  wgsl: { float: "$0", int: "$0", bool: "$0" },
  js: { float: "$0", int: "$0", bool: "$0" },
};

const F64 = new Float64Array(1);
const F64_BITS = new Uint32Array(F64.buffer);

/** A key that tells literals apart bit for bit (so -0 and NaN are literals of their own). */
function literalKey(v: number): string {
  F64[0] = v;
  return `${F64_BITS[0]}:${F64_BITS[1]}`;
}

/**
 * Lowers `outputs` (expressions over table ops) to primitives. `inputTypes[k]` is the type input
 * `k` holds. Ops whose params are omitted get the entry's defaults as literals.
 */
export function lowerExprs(outputs: readonly Expr[], inputTypes: readonly ScalarType[]): LoweredProgram {
  const nodes: LowNode[] = [];
  const byKey = new Map<string, LowNode>();
  const memo = new Map<Expr, LowNode>();

  const intern = (key: string, make: (id: number) => LowNode): LowNode => {
    let n = byKey.get(key);
    if (!n) {
      n = make(nodes.length);
      byKey.set(key, n);
      nodes.push(n);
    }
    return n;
  };

  const lower = (e: Expr): LowNode => {
    const hit = memo.get(e);
    if (hit) return hit;
    let n: LowNode;
    if ("input" in e) {
      const type = inputTypes[e.input];
      if (type === undefined) throw new RangeError(`lower: input ${e.input} has no type (${inputTypes.length} inputs)`);
      n = intern(`i${e.input}`, (id) => ({ kind: "input", id, index: e.input, type }));
    } else if ("param" in e) {
      n = intern(`p${e.param}`, (id) => ({ kind: "param", id, index: e.param }));
    } else if ("const" in e) {
      n = intern(`c${literalKey(e.const)}`, (id) => ({ kind: "const", id, value: e.const }));
    } else if ("cast" in e) {
      n = lowerCast(e.cast, lower(e.arg));
    } else {
      n = lowerOp(e);
    }
    memo.set(e, n);
    return n;
  };

  // a cast is an identity primitive whose operand is converted to the target type on the way in
  const lowerCast = (to: ScalarType, arg: LowNode): LowNode => {
    if (fixedType(arg) === to) return arg;
    return intern(`cast|${to}|${arg.id}`, (id) => ({
      kind: "prim",
      id,
      op: "cast",
      code: IDENTITY,
      args: [arg],
      argTypes: [to],
      compute: to,
      type: to,
    }));
  };

  const lowerOp = (e: Extract<Expr, { op: string }>): LowNode => {
    const entry = elementwiseEntry(e.op);
    if (e.args.length !== entry.args.length) {
      throw new RangeError(`lower: ${e.op} takes ${entry.args.length} operands, got ${e.args.length}`);
    }
    if (!isPrimitive(entry)) {
      const named = Object.fromEntries(entry.args.map((a, i) => [a, e.args[i]]));
      const names = Object.keys(entry.params);
      const defaults = Object.values(entry.params);
      const params = Object.fromEntries(names.map((p, i) => [p, e.params?.[i] ?? { const: defaults[i] }]));
      const compose = entry.forward as (x: Record<string, Expr>, p: Record<string, Expr>) => Expr;
      return lower(compose(named, params));
    }
    const args = e.args.map(lower);
    const rule = typeRule(entry.policy, args.map(fixedType));
    const key = `${e.op}|${rule.compute}|${args.map((a) => a.id).join(",")}`;
    return intern(key, (id) => ({ kind: "prim", id, op: e.op, code: entry.forward as PrimitiveCode, args, ...rule }));
  };

  const outs = outputs.map(lower);
  return { nodes, outputs: outs };
}
