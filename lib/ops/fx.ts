/**
 * Builders for {@link Expr} nodes, so expressions read like formulas:
 * `fx.mul(fx.input(0), fx.sub(fx.c(1), fx.input(1)))`. Op names are checked when an expression
 * is lowered (an unknown name is an Error naming it), and every composite entry of the table is
 * lowered by the generated tests.
 * @module
 */
import type { Expr } from "./expr.ts";

type E = Expr;

/** An op of the table applied to operands, with optional op params (numbers or uniform `param` nodes). */
function op(name: string, args: readonly E[], params?: readonly (number | E)[]): E {
  if (!params || params.length === 0) return { op: name, args };
  return { op: name, args, params: params.map((p) => (typeof p === "number" ? { const: p } : p)) };
}

/** Expression builders; each returns a new node (share a node by reusing the object). */
export const fx = {
  /** Element of input `k`. */
  input: (k: number): E => ({ input: k }),
  /** Scalar parameter `k` of the call (a uniform). */
  param: (k: number): E => ({ param: k }),
  /** A literal. */
  c: (value: number): E => ({ const: value }),
  /** Any op of the table by name. */
  op: (name: string, ...args: E[]): E => op(name, args),
  /** A one-operand op, with its params in the table's order. */
  un: (name: string, a: E, params?: readonly (number | E)[]): E => op(name, [a], params),
  /** A two-operand op. */
  bin: (name: string, a: E, b: E): E => op(name, [a, b]),
  add: (a: E, b: E): E => op("add", [a, b]),
  sub: (a: E, b: E): E => op("sub", [a, b]),
  mul: (a: E, b: E): E => op("mul", [a, b]),
  div: (a: E, b: E): E => op("div", [a, b]),
  neg: (a: E): E => op("neg", [a]),
  exp: (a: E): E => op("exp", [a]),
  log: (a: E): E => op("log", [a]),
  log1p: (a: E): E => op("log1p", [a]),
  sqrt: (a: E): E => op("sqrt", [a]),
  tanh: (a: E): E => op("tanh", [a]),
  erf: (a: E): E => op("erf", [a]),
  sigmoid: (a: E): E => op("sigmoid", [a]),
  isnan: (a: E): E => op("isnan", [a]),
  gt: (a: E, b: E): E => op("gt", [a, b]),
  lt: (a: E, b: E): E => op("lt", [a, b]),
  or: (a: E, b: E): E => op("or", [a, b]),
  /** `cond != 0 ? a : b`. */
  where: (cond: E, a: E, b: E): E => op("where", [cond, a, b]),
};
