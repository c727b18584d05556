/**
 * Trigonometric and hyperbolic entries of the op table beyond sin, cos and tanh: tan, the inverse
 * functions, sinh/cosh and their inverses, and hypot.
 *
 * WGSL's built-ins for most of these are specified by their textbook formulas (asin as
 * atan2(x, √(1 − x²)), sinh as (eˣ − e⁻ˣ)/2, atanh as log((1 + x)/(1 − x))/2, …), which lose
 * all relative accuracy near 0 or near the domain's edges in float32; the kernels use the helpers
 * of kernels/math.wgsl instead, written to stay within a few ulp there.
 * @module
 */
import { elementwise } from "./entry.ts";

/** Trigonometric and hyperbolic ops, by name. */
export const MATH_TRIG = {
  tan: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "tan($0)" }, js: { float: "Math.tan($0)" } },
    reference: () => Math.tan,
    grad: { x: ({ g, out }) => g.mul(out.mul(out).add(1)) },
    domain: [-1.2, 1.2],
    special: [1.5, -1.5, 0.25],
    doc: "Tangent.",
    torch: "torch.tan(x)",
    method: "tan",
  }),
  atan: elementwise({
    args: ["x"],
    policy: "float",
    // WGSL's atan may be 4096 ulp off: the atan2 helper's own reduction instead
    forward: { wgsl: { float: "atan2_($0, 1.0)" }, js: { float: "Math.atan($0)" } },
    reference: () => Math.atan,
    grad: { x: ({ g, x }) => g.div(x.mul(x).add(1)) },
    domain: [-3, 3],
    special: [1e10, -1e10, 0.25],
    doc: "Inverse tangent, in (−π/2, π/2).",
    torch: "torch.atan(x)",
    method: "atan",
  }),
  asin: elementwise({
    args: ["x"],
    policy: "float",
    // (1 − x)(1 + x) rather than 1 − x², which cancels near ±1
    forward: { wgsl: { float: "atan2_($0, sqrt((1.0 - $0) * (1.0 + $0)))" }, js: { float: "Math.asin($0)" } },
    reference: () => Math.asin,
    grad: { x: ({ g, x }) => g.div(x.mul(x).neg().add(1).sqrt()) },
    domain: [-0.95, 0.95],
    special: [0.999, -0.999, 1.5, -1.5],
    doc: "Inverse sine, in [−π/2, π/2]; NaN outside [−1, 1].",
    torch: "torch.asin(x)",
    method: "asin",
  }),
  acos: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "atan2_(sqrt((1.0 - $0) * (1.0 + $0)), $0)" }, js: { float: "Math.acos($0)" } },
    reference: () => Math.acos,
    grad: { x: ({ g, x }) => g.div(x.mul(x).neg().add(1).sqrt()).neg() },
    domain: [-0.95, 0.95],
    special: [0.999, -0.999, 1.5, -1.5],
    doc: "Inverse cosine, in [0, π]; NaN outside [−1, 1].",
    torch: "torch.acos(x)",
    method: "acos",
  }),
  sinh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "sinh_($0)" }, js: { float: "Math.sinh($0)" } },
    reference: () => Math.sinh,
    // cosh as (eˣ + e⁻ˣ)/2: no cancellation
    grad: { x: ({ g, x }) => g.mul(x.exp().add(x.neg().exp()).mul(0.5)) },
    domain: [-3, 3],
    special: [88, 89, -89, 90, 0.25, -0.25],
    doc: "Hyperbolic sine.",
    torch: "torch.sinh(x)",
    method: "sinh",
  }),
  cosh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "cosh_($0)" }, js: { float: "Math.cosh($0)" } },
    reference: () => Math.cosh,
    // sinh as tanh(x)·cosh(x), accurate near 0 where (eˣ − e⁻ˣ)/2 cancels
    grad: { x: ({ g, x, out }) => g.mul(x.tanh().mul(out)) },
    domain: [-3, 3],
    special: [88, 89, -89, 90],
    doc: "Hyperbolic cosine.",
    torch: "torch.cosh(x)",
    method: "cosh",
  }),
  asinh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "asinh_($0)" }, js: { float: "Math.asinh($0)" } },
    reference: () => Math.asinh,
    grad: { x: ({ g, x }) => g.div(x.mul(x).add(1).sqrt()) },
    domain: [-3, 3],
    special: [1e10, -1e10, 5000, -5000, 0.25],
    doc: "Inverse hyperbolic sine.",
    torch: "torch.asinh(x)",
    method: "asinh",
  }),
  acosh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "acosh_($0)" }, js: { float: "Math.acosh($0)" } },
    reference: () => Math.acosh,
    grad: { x: ({ g, x }) => g.div(x.sub(1).mul(x.add(1)).sqrt()) },
    domain: [1.1, 4],
    special: [1.0001, 1.5, 5000, 1e10, 0.5],
    doc: "Inverse hyperbolic cosine; NaN below 1.",
    torch: "torch.acosh(x)",
    method: "acosh",
  }),
  atanh: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "atanh_($0)" }, js: { float: "Math.atanh($0)" } },
    reference: () => Math.atanh,
    grad: { x: ({ g, x }) => g.div(x.mul(x).neg().add(1)) },
    domain: [-0.9, 0.9],
    special: [0.999, -0.999, 0.25, 1.5],
    doc: "Inverse hyperbolic tangent; ±Infinity at ±1, NaN outside [−1, 1].",
    torch: "torch.atanh(x)",
    method: "atanh",
  }),
  hypot: elementwise({
    args: ["x", "y"],
    policy: "float",
    forward: { wgsl: { float: "hypot_($0, $1)" }, js: { float: "Math.hypot($0, $1)" } },
    // (two arguments: the tests call references with a third, undefined, which Math.hypot would read)
    reference: () => (x, y) => Math.hypot(x, y),
    grad: { x: ({ g, x, out }) => g.mul(x).div(out), y: ({ g, y, out }) => g.mul(y).div(out) },
    domain: [0.3, 3],
    doc: "√(x² + y²) without overflow; +Infinity if either is infinite, even with a NaN.",
    torch: "torch.hypot(x, y)",
    method: "hypot",
  }),
};
