/**
 * Float math entries of the op table: exponentials and logarithms (natural, base 2 and 10), roots,
 * sine, cosine, tanh, erf, atan2, truncation, and the two-operand functions of C's libm and PyTorch
 * (logaddexp, copysign, fmod, lerp). More trigonometry is in math_trig.ts.
 * @module
 */
import { elementwise } from "./entry.ts";
import { fx } from "./fx.ts";
import { copysign, erf, intFmod } from "./_math.ts";

/** 2/√π, the scale of erf's derivative. */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** log₁₀ 2, so log10 is log2 scaled (exact at powers of two, without a second rounding of log). */
const LOG10_2 = Math.log10(2);

/** Float math ops, by name. */
export const MATH = {
  exp: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "exp($0)" }, js: { float: "Math.exp($0)" } },
    reference: () => Math.exp,
    grad: { x: ({ g, out }) => g.mul(out) },
    domain: [-3, 3],
    special: [88, -88, 89, -104],
    doc: "eˣ.",
    torch: "torch.exp(x)",
    method: "exp",
  }),
  log: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "log($0)" }, js: { float: "Math.log($0)" } },
    reference: () => Math.log,
    grad: { x: ({ g, x }) => g.div(x) },
    domain: [0.2, 4],
    // no subnormal inputs: GPUs may flush them to zero
    special: [1e-30, 1e30],
    doc: "Natural logarithm.",
    torch: "torch.log(x)",
    method: "log",
  }),
  log1p: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "log1p_($0)" }, js: { float: "Math.log1p($0)" } },
    reference: () => Math.log1p,
    grad: { x: ({ g, x }) => g.div(x.add(1)) },
    domain: [-0.8, 3],
    special: [1e-7, -1e-7, -0.9999, 0.25, -0.25],
    doc: "log(1 + x), accurate near 0.",
    torch: "torch.log1p(x)",
    method: "log1p",
  }),
  expm1: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "expm1_($0)" }, js: { float: "Math.expm1($0)" } },
    reference: () => Math.expm1,
    grad: { x: ({ g, out }) => g.mul(out.add(1)) },
    domain: [-3, 3],
    special: [1e-7, -1e-7, 0.25, -0.25, 88],
    doc: "eˣ − 1, accurate near 0.",
    torch: "torch.expm1(x)",
    method: "expm1",
  }),
  sqrt: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "sqrt($0)" }, js: { float: "Math.sqrt($0)" } },
    reference: () => Math.sqrt,
    grad: { x: ({ g, out }) => g.div(out.mul(2)) },
    domain: [0.2, 4],
    special: [1e-30, 1e30],
    doc: "√x.",
    torch: "torch.sqrt(x)",
    method: "sqrt",
  }),
  rsqrt: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.div(fx.c(1), fx.sqrt(x)),
    reference: () => (x) => 1 / Math.sqrt(x),
    grad: { x: ({ g, x, out }) => g.mul(out.div(x).mul(-0.5)) },
    domain: [0.2, 4],
    special: [1e-30, 1e30],
    doc: "1/√x.",
    torch: "torch.rsqrt(x)",
    method: "rsqrt",
  }),
  sin: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "sin($0)" }, js: { float: "Math.sin($0)" } },
    reference: () => Math.sin,
    grad: { x: ({ g, x }) => g.mul(x.cos()) },
    domain: [-3, 3],
    doc: "Sine.",
    torch: "torch.sin(x)",
    method: "sin",
  }),
  cos: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "cos($0)" }, js: { float: "Math.cos($0)" } },
    reference: () => Math.cos,
    grad: { x: ({ g, x }) => g.mul(x.sin()).neg() },
    domain: [-3, 3],
    doc: "Cosine.",
    torch: "torch.cos(x)",
    method: "cos",
  }),
  tanh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "tanh_($0)" }, js: { float: "Math.tanh($0)" } },
    reference: () => Math.tanh,
    grad: { x: ({ g, out }) => g.mul(out.mul(out).neg().add(1)) },
    fusedGrad: { x: ({ g, out }) => fx.mul(g, fx.sub(fx.c(1), fx.mul(out, out))) },
    domain: [-3, 3],
    special: [10, -10, 1e-7, 20],
    doc: "Hyperbolic tangent.",
    torch: "torch.tanh(x)",
    method: "tanh",
  }),
  erf: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "erf_($0)" }, js: { float: "lib.erf($0)" } },
    reference: () => erf,
    grad: { x: ({ g, x }) => g.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI)) },
    domain: [-3, 3],
    special: [0.49, 0.51, 5.9, 6.1, -6.1],
    doc: "The error function.",
    torch: "torch.erf(x)",
    method: "erf",
  }),
  atan2: elementwise({
    args: ["x", "y"],
    policy: "float",
    forward: { wgsl: { float: "atan2_($0, $1)" }, js: { float: "Math.atan2($0, $1)" } },
    reference: () => Math.atan2,
    grad: {
      x: ({ g, x, y }) => g.mul(y).div(x.mul(x).add(y.mul(y))),
      y: ({ g, x, y }) => g.mul(x).neg().div(x.mul(x).add(y.mul(y))),
    },
    domain: [0.3, 3],
    doc: "atan(x / y) in the quadrant of (y, x) (torch.atan2(input=x, other=y)).",
    torch: "torch.atan2(x, y)",
    method: "atan2",
  }),
  log2: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "log2($0)" }, js: { float: "Math.log2($0)" } },
    reference: () => Math.log2,
    grad: { x: ({ g, x }) => g.div(x.mul(Math.LN2)) },
    domain: [0.2, 4],
    special: [1e-30, 1e30, 1024],
    doc: "Base-2 logarithm.",
    torch: "torch.log2(x)",
    method: "log2",
  }),
  log10: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: `log2($0) * ${LOG10_2}` }, js: { float: "Math.log10($0)" } },
    reference: () => Math.log10,
    grad: { x: ({ g, x }) => g.div(x.mul(Math.LN10)) },
    domain: [0.2, 4],
    special: [1e-30, 1e30, 10, 1000],
    doc: "Base-10 logarithm.",
    torch: "torch.log10(x)",
    method: "log10",
  }),
  exp2: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "exp2($0)" }, js: { float: "(2 ** $0)" } },
    reference: () => (x) => 2 ** x,
    grad: { x: ({ g, out }) => g.mul(out.mul(Math.LN2)) },
    domain: [-3, 3],
    special: [127, 128, -126, 10.5],
    doc: "2ˣ.",
    torch: "torch.exp2(x)",
    method: "exp2",
  }),
  trunc: elementwise({
    args: ["x"],
    policy: "rounding",
    forward: { wgsl: { float: "trunc($0)", int: "$0" }, js: { float: "Math.trunc($0)", int: "$0" } },
    reference: () => Math.trunc,
    grad: "zero",
    domain: [-3, 3],
    special: [2.5, -2.5, 0.5, -0.99],
    doc: "Rounds toward zero; zero gradient.",
    torch: "torch.trunc(x)",
    method: "trunc",
  }),
  frac: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.sub(x, fx.un("trunc", x)),
    reference: () => (x) => x - Math.trunc(x),
    grad: { x: ({ g }) => g },
    domain: [-3, 3],
    special: [2.5, -2.5, -0.99, 1e7],
    doc: "x − trunc(x): the fractional part, with the sign of x.",
    torch: "torch.frac(x)",
    method: "frac",
  }),
  isfinite: elementwise({
    args: ["x"],
    policy: "predicate",
    forward: {
      wgsl: { float: "!(f32_is_nan($0) || f32_is_inf($0))", int: "true" },
      js: { float: "Number.isFinite($0)", int: "true" },
    },
    reference: () => (x) => (Number.isFinite(x) ? 1 : 0),
    grad: "none",
    domain: [-3, 3],
    doc: "Whether each element is finite (not NaN, not ±Infinity).",
    torch: "torch.isfinite(x)",
    method: "isfinite",
  }),
  logaddexp: elementwise({
    args: ["x", "y"],
    policy: "float",
    // PyTorch's: max(x, y) + log1p(e^−|x − y|), and x itself where x = y = ±Infinity
    forward: ({ x, y }) => {
      const big = fx.where(fx.gt(y, x), y, x);
      const soft = fx.add(big, fx.log1p(fx.exp(fx.neg(fx.un("abs", fx.sub(x, y))))));
      return fx.where(fx.op("and", fx.op("isinf", x), fx.op("eq", x, y)), x, soft);
    },
    reference: () => (x, y) =>
      (x === y && !Number.isFinite(x) && x === x) ? x : Math.max(x, y) + Math.log1p(Math.exp(-Math.abs(x - y))),
    grad: { x: ({ g, x, y }) => g.mul(x.sub(y).sigmoid()), y: ({ g, x, y }) => g.mul(y.sub(x).sigmoid()) },
    domain: [-3, 3],
    doc: "log(eˣ + eʸ) without overflow.",
    torch: "torch.logaddexp(x, y)",
    method: "logaddexp",
  }),
  copysign: elementwise({
    args: ["x", "y"],
    policy: "float",
    forward: {
      wgsl: { float: "bitcast<f32>((bitcast<u32>($0) & 0x7fffffffu) | (bitcast<u32>($1) & 0x80000000u))" },
      js: { float: "lib.copysign($0, $1)" },
    },
    reference: () => copysign,
    // PyTorch's: out/x where x ≠ 0 (±1), 0 at x = 0; none to y
    grad: { x: ({ g, x, out }) => g.mul(out.div(x).where(x.ne(0), 0)), y: ({ g }) => g.mul(0) },
    domain: [-3, 3],
    doc: "The magnitude of x with the sign (bit) of y, −0 and NaN included.",
    torch: "torch.copysign(x, y)",
    method: "copysign",
  }),
  fmod: elementwise({
    args: ["x", "y"],
    policy: "numeric",
    forward: {
      wgsl: { float: "cfmod_($0, $1)", int: "ifmod_($0, $1)" },
      js: { float: "($0 % $1)", int: "lib.intFmod($0, $1)" },
    },
    // JavaScript's `%` is C's fmod (sign of the dividend, x for an infinite divisor)
    reference: () => (a, b) => a % b,
    referenceInt: () => (a, b) => {
      if (b === 0) throw new RangeError("fmod: integer division by zero");
      return intFmod(a, b);
    },
    grad: {
      x: ({ g }) => g,
      // −trunc(x/y), trunc written with sign and floor
      y: ({ g, x, y }) => {
        const q = x.div(y);
        return g.mul(q.mul(q.sign()).floor().mul(q.sign())).neg();
      },
    },
    domain: { x: [-3, 3], y: [0.7, 3] },
    doc: "C-style remainder x − y·trunc(x/y): the sign of the dividend (torch.fmod).",
    torch: "torch.fmod(x, y)",
    method: "fmod",
  }),
  lerp: elementwise({
    args: ["x", "end", "weight"],
    policy: "float",
    // PyTorch 1.13's two forms: from x for w < 0.5, from end otherwise (exact at w = 0 and w = 1)
    forward: ({ x, end, weight }) => {
      const d = fx.sub(end, x);
      const small = fx.lt(weight, fx.c(0.5));
      return fx.where(small, fx.add(x, fx.mul(weight, d)), fx.sub(end, fx.mul(d, fx.sub(fx.c(1), weight))));
    },
    reference: () => (x, end, w) => (w < 0.5 ? x + w * (end - x) : end - (end - x) * (1 - w)),
    grad: {
      x: ({ g, weight }) => g.mul(weight.neg().add(1)),
      end: ({ g, weight }) => g.mul(weight),
      weight: ({ g, x, end }) => g.mul(end.sub(x)),
    },
    domain: { x: [-3, 3], end: [-3, 3], weight: [-0.3, 1.3] },
    doc: "x + weight·(end − x), linear interpolation (torch.lerp).",
    torch: "torch.lerp(x, end, weight)",
    method: "lerp",
  }),
};
