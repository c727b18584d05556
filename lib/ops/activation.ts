/** Activation entries of the op table: sigmoid, ReLU and its leaky form, GELU (erf and tanh), softplus. @module */
import { elementwise } from "./entry.ts";
import { fx } from "./fx.ts";
import { erf, sigmoid } from "./_math.ts";

const GELU_TANH_C = Math.sqrt(2 / Math.PI);
const GELU_TANH_K = 0.044715;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Activation ops, by name. */
export const ACTIVATION = {
  sigmoid: elementwise({
    args: ["x"],
    policy: "float",
    forward: { wgsl: { float: "sigmoid_($0)" }, js: { float: "lib.sigmoid($0)" } },
    reference: () => sigmoid,
    grad: { x: ({ g, out }) => g.mul(out.mul(out.neg().add(1))) },
    fusedGrad: { x: ({ g, out }) => fx.mul(g, fx.mul(out, fx.sub(fx.c(1), out))) },
    domain: [-4, 4],
    special: [30, -30, 100, -100],
    doc: "1 / (1 + e⁻ˣ), without overflow for inputs of any size.",
    torch: "torch.sigmoid(x)",
    method: "sigmoid",
  }),
  silu: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.mul(x, fx.sigmoid(x)),
    reference: () => (x) => x * sigmoid(x),
    grad: {
      x: ({ g, x }) => {
        const s = x.sigmoid();
        return g.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
      },
    },
    domain: [-4, 4],
    special: [30, -30, 100, -100],
    doc: "SiLU (swish), x·σ(x).",
    torch: "F.silu(x)",
    method: "silu",
  }),
  relu: elementwise({
    args: ["x"],
    policy: "numeric",
    // x < 0 ? 0 : x keeps NaN and −0, as PyTorch does
    forward: ({ x }) => fx.where(fx.lt(x, fx.c(0)), fx.c(0), x),
    reference: () => (x) => (x < 0 ? 0 : x),
    grad: { x: ({ g, x }) => g.where(x.gt(0), 0) },
    fusedGrad: { x: ({ g, x }) => fx.where(fx.gt(x, fx.c(0)), g, fx.c(0)) },
    domain: [-3, 3],
    doc: "max(x, 0); NaN and −0 stay as they are.",
    torch: "torch.relu(x)",
    method: "relu",
  }),
  leakyRelu: elementwise({
    args: ["x"],
    params: { negativeSlope: 0.01 },
    policy: "float",
    forward: ({ x }, { negativeSlope }) => fx.where(fx.gt(x, fx.c(0)), x, fx.mul(x, negativeSlope)),
    reference: ({ negativeSlope }) => (x) => (x > 0 ? x : x * negativeSlope),
    grad: { x: ({ g, x, p }) => g.where(x.gt(0), g.mul(p.negativeSlope)) },
    domain: [-3, 3],
    paramCases: [{ negativeSlope: 0.2 }, { negativeSlope: -1.5 }],
    doc: "x for x > 0, negativeSlope·x otherwise.",
    torch: "F.leaky_relu(x, negativeSlope)",
    method: "leakyRelu",
  }),
  geluErf: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => fx.mul(fx.mul(fx.c(0.5), x), fx.add(fx.c(1), fx.erf(fx.mul(x, fx.c(Math.SQRT1_2))))),
    reference: () => (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
    grad: {
      x: ({ g, x }) => {
        const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
        const pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
        return g.mul(cdf.add(x.mul(pdf)));
      },
    },
    domain: [-3, 3],
    doc: "GELU, x·Φ(x) with Φ from erf (`gelu()`).",
    torch: "F.gelu(x)",
    method: "gelu",
  }),
  geluTanh: elementwise({
    args: ["x"],
    policy: "float",
    forward: ({ x }) => {
      const cube = fx.mul(fx.mul(fx.mul(fx.c(GELU_TANH_K), x), x), x);
      return fx.mul(fx.mul(fx.c(0.5), x), fx.add(fx.c(1), fx.tanh(fx.mul(fx.c(GELU_TANH_C), fx.add(x, cube)))));
    },
    reference: () => (x) => 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + GELU_TANH_K * x * x * x))),
    grad: {
      x: ({ g, x }) => {
        const t = x.pow(3).mul(GELU_TANH_K).add(x).mul(GELU_TANH_C).tanh();
        const dInner = x.mul(x).mul(3 * GELU_TANH_K).add(1).mul(GELU_TANH_C);
        return g.mul(t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(dInner)));
      },
    },
    domain: [-3, 3],
    doc: 'GELU\'s tanh approximation, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (`gelu({ approximate: "tanh" })`).',
    torch: "F.gelu(x, approximate='tanh')",
    method: "gelu",
  }),
  softplus: elementwise({
    args: ["x"],
    params: { beta: 1, threshold: 20 },
    policy: "float",
    forward: ({ x }, { beta, threshold }) => {
      const bx = fx.mul(beta, x);
      return fx.where(fx.gt(bx, threshold), x, fx.div(fx.log1p(fx.exp(bx)), beta));
    },
    reference: ({ beta, threshold }) => (x) => (beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta),
    grad: {
      x: ({ g, x, p }) => {
        const bx = x.mul(p.beta);
        return g.mul(bx.sigmoid().maskedFill(bx.gt(p.threshold), 1));
      },
    },
    domain: [-3, 3],
    special: [20, 20.5, 19.5, -20],
    paramCases: [{ beta: 2, threshold: 1 }, { beta: 0.5 }],
    doc: "log(1 + e^(βx))/β, and x where βx > threshold.",
    torch: "F.softplus(x, beta, threshold)",
    method: "softplus",
  }),
};
