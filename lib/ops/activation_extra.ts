/**
 * More activation entries of the op table: the ELU family (ELU, SELU, CELU), Mish, the hard
 * piecewise-linear ones (Hardswish, Hardsigmoid, ReLU6, Hardtanh), LogSigmoid, Softsign and
 * PReLU (its weight an operand, so it broadcasts per channel and takes a gradient).
 * Each forward is PyTorch 1.13's own formula, so special values (±Infinity, NaN, −0) come out as
 * PyTorch gives them.
 * @module
 */
import { elementwise } from "./entry.ts";
import { fx } from "./fx.ts";

/** SELU's constants (Klambauer et al. 2017), as PyTorch writes them. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** `min(max(x + 3, 0), 6)`, the ramp of Hardswish and Hardsigmoid (NaN passes through, as in PyTorch). */
function ramp6(x: number): number {
  const r = x + 3;
  return r !== r ? r : r < 0 ? 0 : r > 6 ? 6 : r;
}

/** Activation ops beyond the basic ones, by name. */
export const ACTIVATION_EXTRA = {
  elu: elementwise({
    args: ["x"],
    params: { alpha: 1 },
    policy: "float",
    // eˣ − 1, not expm1, as PyTorch 1.13 computes it: its values near 0 (and +0 for −0) on every dtype
    forward: ({ x }, { alpha }) => fx.where(fx.gt(x, fx.c(0)), x, fx.mul(alpha, fx.sub(fx.exp(x), fx.c(1)))),
    reference: ({ alpha }) => (x) => (x > 0 ? x : alpha * (Math.exp(x) - 1)),
    grad: { x: ({ g, x, p }) => g.where(x.gt(0), g.mul(x.exp().mul(p.alpha))) },
    domain: [-3, 3],
    special: [-20, -88, -104],
    paramCases: [{ alpha: 0.5 }, { alpha: 2 }],
    doc: "ELU: x for x > 0, α(eˣ − 1) otherwise.",
    torch: "F.elu(x, alpha)",
    method: "elu",
  }),
  selu: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.mul(fx.c(SELU_SCALE), fx.un("elu", x, [SELU_ALPHA])),
    reference: () => (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * (Math.exp(x) - 1)),
    grad: { x: ({ g, x }) => g.mul(SELU_SCALE).where(x.gt(0), g.mul(x.exp().mul(SELU_SCALE * SELU_ALPHA))) },
    domain: [-3, 3],
    special: [-20, -88],
    doc: "SELU: scale·ELU(x, α) with α ≈ 1.6733, scale ≈ 1.0507.",
    torch: "F.selu(x)",
    method: "selu",
  }),
  celu: elementwise({
    args: ["x"],
    params: { alpha: 1 },
    policy: "float",
    // as elu: e^(x/α) − 1 as PyTorch computes it
    forward: ({ x }, { alpha }) =>
      fx.where(fx.gt(x, fx.c(0)), x, fx.mul(alpha, fx.sub(fx.exp(fx.div(x, alpha)), fx.c(1)))),
    reference: ({ alpha }) => (x) => (x > 0 ? x : alpha * (Math.exp(x / alpha) - 1)),
    grad: { x: ({ g, x, p }) => g.where(x.gt(0), g.mul(x.div(p.alpha).exp())) },
    domain: [-3, 3],
    special: [-20, -88],
    paramCases: [{ alpha: 0.5 }, { alpha: 2 }],
    doc: "CELU: x for x > 0, α(e^(x/α) − 1) otherwise.",
    torch: "F.celu(x, alpha)",
    method: "celu",
  }),
  mish: elementwise({
    args: ["x"],
    policy: "float",
    // PyTorch's form, log1p(eˣ) without softplus's threshold (mish(−∞) is then NaN, as in PyTorch)
    forward: ({ x }) => fx.mul(x, fx.tanh(fx.log1p(fx.exp(x)))),
    reference: () => (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
    grad: {
      x: ({ g, x }) => {
        // tanh(softplus(x)) = s(2 − s) / (1 + (1 − s)²) with s = σ(x): no log, exact for very negative x
        const s = x.sigmoid();
        const oneMinus = s.neg().add(1);
        const t = s.mul(s.neg().add(2)).div(oneMinus.square().add(1));
        return g.mul(t.add(x.mul(s).mul(t.square().neg().add(1))));
      },
    },
    domain: [-3, 3],
    special: [20, -20, 88, 89],
    doc: "Mish: x·tanh(softplus(x)).",
    torch: "F.mish(x)",
    method: "mish",
  }),
  hardswish: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.div(fx.mul(x, fx.un("clamp", fx.add(x, fx.c(3)), [0, 6])), fx.c(6)),
    reference: () => (x) => (x * ramp6(x)) / 6,
    // PyTorch's: 0 below −3, x/3 + 1/2 from −3 up to (not at) 3, 1 from 3 on
    grad: { x: ({ g, x }) => g.mul(x.div(3).add(0.5).where(x.lt(3), 1).where(x.ge(-3), 0)) },
    domain: [-5, 5],
    special: [3, -3, 2.9, -2.9, 3.1, -3.1],
    doc: "Hardswish: x·min(max(x + 3, 0), 6)/6.",
    torch: "F.hardswish(x)",
    method: "hardswish",
  }),
  hardsigmoid: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.div(fx.un("clamp", fx.add(x, fx.c(3)), [0, 6]), fx.c(6)),
    reference: () => (x) => ramp6(x) / 6,
    // PyTorch's: 1/6 strictly inside (−3, 3), 0 elsewhere
    grad: { x: ({ g, x }) => g.mul(1 / 6).where(x.gt(-3).logicalAnd(x.lt(3)), 0) },
    domain: [-5, 5],
    special: [3, -3, 2.9, -2.9, 3.1, -3.1],
    doc: "Hardsigmoid: min(max(x + 3, 0), 6)/6.",
    torch: "F.hardsigmoid(x)",
    method: "hardsigmoid",
  }),
  hardtanh: elementwise({
    args: ["x"],
    params: { minVal: -1, maxVal: 1 },
    policy: "float",
    // PyTorch computes hardtanh as clamp (NaN passes through)
    forward: ({ x }, { minVal, maxVal }) => fx.un("clamp", x, [minVal, maxVal]),
    reference: ({ minVal, maxVal }) => (x) => (x !== x ? x : x > maxVal ? maxVal : x < minVal ? minVal : x),
    // PyTorch's hardtanh_backward: zero at the bounds themselves, unlike clamp's
    grad: { x: ({ g, x, p }) => g.where(x.gt(p.minVal).logicalAnd(x.lt(p.maxVal)), 0) },
    domain: [-3, 3],
    paramCases: [{ minVal: -2, maxVal: 0.5 }],
    doc: "Hardtanh: x limited to [minVal, maxVal] (default [−1, 1]); zero gradient outside and at the bounds.",
    torch: "F.hardtanh(x, minVal, maxVal)",
    method: "hardtanh",
  }),
  relu6: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.un("clamp", x, [0, 6]),
    reference: () => (x) => (x !== x ? x : x > 6 ? 6 : x < 0 ? 0 : x),
    grad: { x: ({ g, x }) => g.where(x.gt(0).logicalAnd(x.lt(6)), 0) },
    domain: [-3, 8],
    special: [6, 5.9, 6.1],
    doc: "ReLU6: min(max(x, 0), 6) (hardtanh(x, 0, 6)).",
    torch: "F.relu6(x)",
    method: "relu6",
  }),
  logsigmoid: elementwise({
    args: ["x"],
    policy: "float",
    // min(x, 0) − log1p(e^−abs(x)): no overflow for inputs of any size
    forward: ({ x }) =>
      fx.sub(
        fx.where(fx.lt(x, fx.c(0)), x, fx.c(0)),
        fx.log1p(fx.exp(fx.neg(fx.un("abs", x)))),
      ),
    reference: () => (x) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))),
    grad: { x: ({ g, x }) => g.mul(x.neg().sigmoid()) },
    domain: [-4, 4],
    special: [30, -30, 100, -100, 20, -20],
    doc: "log σ(x), computed as min(x, 0) − log(1 + e^−abs(x)) (F.logsigmoid).",
    torch: "F.logsigmoid(x)",
    method: "logsigmoid",
  }),
  softsign: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.div(x, fx.add(fx.un("abs", x), fx.c(1))),
    reference: () => (x) => x / (Math.abs(x) + 1),
    grad: { x: ({ g, x }) => g.div(x.mul(x.sign()).add(1).square()) },
    domain: [-3, 3],
    doc: "Softsign: x / (1 + abs(x)).",
    torch: "F.softsign(x)",
    method: "softsign",
  }),
  prelu: elementwise({
    args: ["x", "weight"],
    policy: "float",
    forward: ({ x, weight }) => fx.where(fx.gt(x, fx.c(0)), x, fx.mul(weight, x)),
    reference: () => (x, w) => (x > 0 ? x : w * x),
    grad: {
      x: ({ g, x, weight }) => g.where(x.gt(0), g.mul(weight)),
      weight: ({ g, x }) => g.mul(x).maskedFill(x.gt(0), 0),
    },
    domain: { x: [-3, 3], weight: [-1, 1] },
    doc: "PReLU: x for x > 0, weight·x otherwise (weight broadcast per channel by F.prelu).",
    // one channel per element: PyTorch's prelu itself, its weight along dim 1
    torch: "F.prelu(x.reshape(1, -1), weight).reshape(-1)",
    method: "prelu",
  }),
};
