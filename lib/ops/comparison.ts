/** Comparison, logic and predicate entries of the op table; all return bool and take no gradient. @module */
import { elementwise } from "./entry.ts";

/** A comparison entry: `wgsl`/`js` compare `$0` with `$1` in the operands' common type. */
function comparison<const M extends string>(
  wgsl: string,
  js: string,
  reference: (a: number, b: number) => boolean,
  word: string,
  method: M,
) {
  return elementwise({
    args: ["x", "y"],
    policy: "compare",
    forward: { wgsl: { float: wgsl, int: wgsl }, js: { float: js, int: js } },
    reference: () => (a, b) => (reference(a, b) ? 1 : 0),
    grad: "none",
    domain: [-2, 2],
    doc: `x ${word} y, as bool.`,
    torch: `torch.${method}(x, y)`,
    method,
  });
}

/** A logic entry: operands are taken as booleans (`x != 0`). */
function logic<const M extends string>(
  wgsl: string,
  js: string,
  reference: (a: boolean, b: boolean) => boolean,
  word: string,
  method: M,
) {
  return elementwise({
    args: ["x", "y"],
    policy: "logic",
    forward: { wgsl: { bool: wgsl }, js: { bool: js } },
    reference: () => (a, b) => (reference(a !== 0, b !== 0) ? 1 : 0),
    grad: "none",
    domain: [-1, 1],
    doc: `Logical ${word} of values taken as booleans.`,
    torch: `torch.logical_${word}(x, y)`,
    method,
  });
}

/** Comparison and logic ops, by name. */
export const COMPARISON = {
  eq: comparison("$0 == $1", "($0 === $1)", (a, b) => a === b, "==", "eq"),
  ne: comparison("!($0 == $1)", "($0 !== $1)", (a, b) => a !== b, "!=", "ne"),
  lt: comparison("$0 < $1", "($0 < $1)", (a, b) => a < b, "<", "lt"),
  le: comparison("$0 <= $1", "($0 <= $1)", (a, b) => a <= b, "<=", "le"),
  gt: comparison("$0 > $1", "($0 > $1)", (a, b) => a > b, ">", "gt"),
  ge: comparison("$0 >= $1", "($0 >= $1)", (a, b) => a >= b, ">=", "ge"),
  and: logic("$0 && $1", "($0 && $1)", (a, b) => a && b, "and", "logicalAnd"),
  or: logic("$0 || $1", "($0 || $1)", (a, b) => a || b, "or", "logicalOr"),
  xor: logic("$0 != $1", "($0 !== $1)", (a, b) => a !== b, "xor", "logicalXor"),
  not: elementwise({
    args: ["x"],
    policy: "logic",
    forward: { wgsl: { bool: "!$0" }, js: { bool: "!$0" } },
    reference: () => (x) => (x === 0 ? 1 : 0),
    grad: "none",
    domain: [-1, 1],
    doc: "Logical not of values taken as booleans.",
    torch: "torch.logical_not(x)",
    method: "logicalNot",
  }),
  isnan: elementwise({
    args: ["x"],
    policy: "predicate",
    forward: { wgsl: { float: "f32_is_nan($0)", int: "false" }, js: { float: "($0 !== $0)", int: "false" } },
    reference: () => (x) => (x !== x ? 1 : 0),
    grad: "none",
    domain: [-3, 3],
    doc: "Whether each element is NaN.",
    torch: "torch.isnan(x)",
    method: "isnan",
  }),
  isinf: elementwise({
    args: ["x"],
    policy: "predicate",
    forward: {
      wgsl: { float: "f32_is_inf($0)", int: "false" },
      js: { float: "($0 === Infinity || $0 === -Infinity)", int: "false" },
    },
    reference: () => (x) => (x === Infinity || x === -Infinity ? 1 : 0),
    grad: "none",
    domain: [-3, 3],
    doc: "Whether each element is ±Infinity.",
    torch: "torch.isinf(x)",
    method: "isinf",
  }),
};
