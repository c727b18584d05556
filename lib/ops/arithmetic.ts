/** Arithmetic entries of the op table: +, −, ×, ÷, powers, extrema, remainders, rounding, clamp, where. @module */
import { elementwise } from "./entry.ts";
import { fx } from "./fx.ts";
import { floatMod, fmax, fmin, ieeePow, intPow, roundHalfEven } from "./_math.ts";

/** `b`, or a RangeError for integer division by zero (as torch raises). */
function intDivisor(op: string, b: number): number {
  if (b === 0) throw new RangeError(`${op}: integer division by zero`);
  return b;
}

/** Arithmetic ops, by name. */
export const ARITHMETIC = {
  copy: elementwise({
    args: ["x"],
    policy: "copy",
    forward: { wgsl: { float: "$0", int: "$0", bool: "$0" }, js: { float: "$0", int: "$0", bool: "$0" } },
    reference: () => (x) => x,
    grad: { x: ({ g, x }) => g.cast(x.dtype) },
    domain: [-3, 3],
    doc: "Copy; to another dtype, a cast (float→int truncates toward zero, anything→bool is `x != 0`).",
    torch: "x.clone()",
  }),
  neg: elementwise({
    args: ["x"],
    policy: "numeric",
    forward: { wgsl: { float: "-$0", int: "-$0" }, js: { float: "-$0", int: "(-$0 | 0)" } },
    reference: () => (x) => -x,
    grad: { x: ({ g }) => g.neg() },
    domain: [-3, 3],
    doc: "−x.",
    torch: "torch.neg(x)",
    method: "neg",
  }),
  add: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: { wgsl: { float: "$0 + $1", int: "$0 + $1" }, js: { float: "$0 + $1", int: "(($0 + $1) | 0)" } },
    reference: () => (a, b) => a + b,
    grad: { x: ({ g }) => g, y: ({ g }) => g },
    domain: [-3, 3],
    doc: "x + y (broadcasting).",
    torch: "torch.add(x, y)",
    method: "add",
  }),
  sub: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: { wgsl: { float: "$0 - $1", int: "$0 - $1" }, js: { float: "$0 - $1", int: "(($0 - $1) | 0)" } },
    reference: () => (a, b) => a - b,
    grad: { x: ({ g }) => g, y: ({ g }) => g.neg() },
    domain: [-3, 3],
    doc: "x − y (broadcasting).",
    torch: "torch.sub(x, y)",
    method: "sub",
  }),
  mul: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: { wgsl: { float: "$0 * $1", int: "$0 * $1" }, js: { float: "$0 * $1", int: "Math.imul($0, $1)" } },
    reference: () => (a, b) => a * b,
    referenceInt: () => Math.imul,
    grad: { x: ({ g, y }) => g.mul(y), y: ({ g, x }) => g.mul(x) },
    domain: [-3, 3],
    doc: "x · y (broadcasting).",
    torch: "torch.mul(x, y)",
    method: "mul",
  }),
  div: elementwise({
    args: ["x", "y"],
    policy: "divide",
    forward: { wgsl: { float: "$0 / $1", int: "idiv_($0, $1)" }, js: { float: "$0 / $1", int: "lib.idiv($0, $1)" } },
    reference: () => (a, b) => a / b,
    referenceInt: () => (a, b) => Math.trunc(a / intDivisor("div", b)) | 0,
    grad: { x: ({ g, y }) => g.div(y), y: ({ g, x, y }) => g.mul(x).div(y.mul(y)).neg() },
    domain: { x: [-3, 3], y: [0.5, 3] },
    doc: "x / y, true division: integer operands give float32.",
    torch: "torch.div(x, y)",
    method: "div",
  }),
  pow: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: {
      wgsl: { float: "pow_($0, $1)", int: "ipow_($0, $1)" },
      js: { float: "lib.ieeePow($0, $1)", int: "lib.intPow($0, $1)" },
    },
    reference: () => ieeePow,
    referenceInt: () => intPow,
    grad: {
      // y·x^(y−1), taken as 0 where y = 0 (as torch does: 0·0^−1 would be NaN at x = 0)
      x: ({ g, x, y }) => g.mul(y.mul(x.pow(y.sub(1))).where(y.ne(0), 0)),
      // d/dy x^y = x^y ln x, taken as 0 where x = 0 and y >= 0 (as torch does)
      y: ({ g, x, y, out }) => g.mul(out.mul(x.where(x.ne(0), 1).log())).where(x.ne(0).logicalOr(y.lt(0)), 0),
    },
    domain: { x: [0.5, 3], y: [-2, 2] },
    special: [3, -2, 0.5],
    doc: "x ** y with IEEE pow's special cases (a negative base needs an integer exponent).",
    torch: "torch.pow(x, y)",
    method: "pow",
  }),
  maximum: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: {
      wgsl: { float: "fmax_($0, $1)", int: "max($0, $1)" },
      js: { float: "lib.fmax($0, $1)", int: "Math.max($0, $1)" },
    },
    reference: () => fmax,
    // ties share the gradient equally
    grad: {
      x: ({ g, x, y, out }) => g.mul(x.gt(y).cast(out.dtype).add(x.eq(y).cast(out.dtype).mul(0.5))),
      y: ({ g, x, y, out }) => g.mul(x.lt(y).cast(out.dtype).add(x.eq(y).cast(out.dtype).mul(0.5))),
    },
    domain: [-3, 3],
    zeroSign: false,
    doc: "Elementwise maximum; NaN if either is NaN; ties split the gradient.",
    torch: "torch.maximum(x, y)",
    method: "maximum",
  }),
  minimum: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: {
      wgsl: { float: "fmin_($0, $1)", int: "min($0, $1)" },
      js: { float: "lib.fmin($0, $1)", int: "Math.min($0, $1)" },
    },
    reference: () => fmin,
    grad: {
      x: ({ g, x, y, out }) => g.mul(x.lt(y).cast(out.dtype).add(x.eq(y).cast(out.dtype).mul(0.5))),
      y: ({ g, x, y, out }) => g.mul(x.gt(y).cast(out.dtype).add(x.eq(y).cast(out.dtype).mul(0.5))),
    },
    domain: [-3, 3],
    zeroSign: false,
    doc: "Elementwise minimum; NaN if either is NaN; ties split the gradient.",
    torch: "torch.minimum(x, y)",
    method: "minimum",
  }),
  mod: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: {
      wgsl: { float: "fmod_($0, $1)", int: "imod_($0, $1)" },
      js: { float: "lib.floatMod($0, $1)", int: "lib.imod($0, $1)" },
    },
    reference: () => floatMod,
    referenceInt: () => (a, b) => floatMod(a, intDivisor("mod", b)),
    grad: { x: ({ g }) => g, y: ({ g, x, y }) => g.mul(x.div(y).floor()).neg() },
    domain: { x: [-3, 3], y: [0.7, 3] },
    doc: "Python-style remainder: the sign of the divisor (torch.remainder).",
    torch: "torch.remainder(x, y)",
    method: "remainder",
  }),
  reciprocal: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.div(fx.c(1), x),
    reference: () => (x) => 1 / x,
    grad: { x: ({ g, out }) => g.mul(out.mul(out)).neg() },
    domain: [0.5, 3],
    doc: "1 / x.",
    torch: "torch.reciprocal(x)",
    method: "reciprocal",
  }),
  abs: elementwise({
    args: ["x"],
    policy: "numeric",
    forward: { wgsl: { float: "abs($0)", int: "abs($0)" }, js: { float: "Math.abs($0)", int: "(Math.abs($0) | 0)" } },
    reference: () => Math.abs,
    grad: { x: ({ g, x }) => g.mul(x.sign()) },
    domain: [-3, 3],
    doc: "Absolute value.",
    torch: "torch.abs(x)",
    method: "abs",
  }),
  sign: elementwise({
    args: ["x"],
    policy: "numeric",
    forward: {
      wgsl: { float: "select(select(0.0, -1.0, $0 < 0.0), 1.0, $0 > 0.0)", int: "sign($0)" },
      js: { float: "($0 > 0 ? 1 : $0 < 0 ? -1 : 0)", int: "Math.sign($0)" },
    },
    reference: () => (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
    grad: "zero",
    domain: [-3, 3],
    doc: "−1, 0 or 1 (0 for NaN and ±0, as PyTorch gives); zero gradient.",
    torch: "torch.sign(x)",
    method: "sign",
  }),
  floor: elementwise({
    args: ["x"],
    policy: "rounding",
    forward: { wgsl: { float: "floor($0)", int: "$0" }, js: { float: "Math.floor($0)", int: "$0" } },
    reference: () => Math.floor,
    grad: "zero",
    domain: [-3, 3],
    doc: "Rounds down; zero gradient.",
    torch: "torch.floor(x)",
    method: "floor",
  }),
  ceil: elementwise({
    args: ["x"],
    policy: "rounding",
    forward: { wgsl: { float: "ceil($0)", int: "$0" }, js: { float: "Math.ceil($0)", int: "$0" } },
    reference: () => Math.ceil,
    grad: "zero",
    domain: [-3, 3],
    doc: "Rounds up; zero gradient.",
    torch: "torch.ceil(x)",
    method: "ceil",
  }),
  round: elementwise({
    args: ["x"],
    policy: "rounding",
    forward: { wgsl: { float: "round($0)", int: "$0" }, js: { float: "lib.roundHalfEven($0)", int: "$0" } },
    reference: () => roundHalfEven,
    grad: "zero",
    domain: [-3, 3],
    special: [2.5, -2.5, 0.5, 1.5],
    doc: "Rounds half to even; zero gradient.",
    torch: "torch.round(x)",
    method: "round",
  }),
  clamp: elementwise({
    args: ["x"],
    params: { min: -Infinity, max: Infinity },
    policy: "numeric",
    // NaN passes through; the explicit test keeps GPU compilers from folding the selects into
    // min/max, which return the bound for NaN (seen on NVIDIA). The min bound goes first and the
    // max bound on its result, so min > max gives max everywhere, as torch's min(max(x, lo), hi).
    forward: ({ x }, { min, max }) => {
      const low = fx.where(fx.lt(x, min), min, x);
      return fx.where(fx.isnan(x), x, fx.where(fx.gt(low, max), max, low));
    },
    reference: ({ min, max }) => (x) => {
      if (x !== x) return x;
      const low = x < min ? min : x;
      return low > max ? max : low;
    },
    grad: { x: ({ g, x, p }) => g.mul(x.ge(p.min).logicalAnd(x.le(p.max)).cast(g.dtype)) },
    domain: [-3, 3],
    paramCases: [{ min: -1, max: 1.5 }, { min: 0 }, { max: -0.5 }],
    doc: "Limits to [min, max] (either may be omitted; min > max gives max, as torch); the gradient passes where " +
      "min ≤ x ≤ max.",
    torch: "torch.clamp(x, min, max)",
    method: "clamp",
  }),
  where: elementwise({
    args: ["cond", "x", "y"],
    policy: "select",
    forward: {
      wgsl: { float: "select($2, $1, $0)", int: "select($2, $1, $0)", bool: "select($2, $1, $0)" },
      js: { float: "($0 ? $1 : $2)", int: "($0 ? $1 : $2)", bool: "($0 ? $1 : $2)" },
    },
    reference: () => (c, a, b) => (c !== 0 ? a : b),
    grad: { cond: null, x: ({ g, cond }) => g.where(cond, 0), y: ({ g, cond }) => g.maskedFill(cond, 0) },
    domain: { cond: [-1, 1], x: [-3, 3], y: [-3, 3] },
    doc: "cond ? x : y (broadcasting); gradients flow to the chosen branch.",
    torch: "torch.where(cond != 0, x, y)",
    method: "where",
  }),
};
