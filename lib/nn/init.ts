/**
 * `nn.init`: in-place parameter initialisation, as `torch.nn.init`. Each function fills the
 * tensor's storage without recording for autograd and returns the same tensor.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { noGrad } from "../tensor/tape.ts";
import { full, rand, randn } from "../tensor/ops_creation.ts";
import { isFloat } from "../tensor/dtype.ts";

/** Nonlinearities `calculateGain` knows (PyTorch's names; camelCase `leakyRelu` is accepted too). */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "leakyRelu"
  | "selu";

/** Which fan the Kaiming initialisers preserve: forward (`fan_in`, default) or backward (`fan_out`). */
export type FanMode = "fan_in" | "fan_out" | "fanIn" | "fanOut";

/** Options of `kaimingUniform_` and `kaimingNormal_`. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** `"fan_in"` (default) or `"fan_out"`. */
  mode?: FanMode;
  /** The nonlinearity that follows (default `"leaky_relu"`). */
  nonlinearity?: Nonlinearity;
}

// Replace the values of `t` with `value` (consumed), outside autograd.
function fill(t: Tensor, op: string, make: () => Tensor): Tensor {
  if (!isFloat(t.dtype) && op !== "constant_") {
    throw new TypeError(`nn.init.${op}: expected a float tensor, got ${t.dtype} [${t.shape}]`);
  }
  noGrad(() => {
    const value = make();
    t.assignStorage(value);
    value.dispose();
  });
  return t;
}

// Shift and scale a fresh draw in place of `t`: draw·scale + shift.
function affine(draw: Tensor, scale: number, shift: number): Tensor {
  const scaled = draw.mul(scale);
  draw.dispose();
  const out = scaled.add(shift);
  scaled.dispose();
  return out;
}

/**
 * The recommended gain for a nonlinearity: linear/conv/sigmoid 1, tanh 5/3, relu √2,
 * leaky_relu √(2 / (1 + slope²)) (slope `param`, default 0.01), selu 3/4.
 *
 * @example
 * ```ts
 * import { nn } from "denograd";
 * import assert from "node:assert/strict";
 * assert.equal(nn.init.calculateGain("relu"), Math.SQRT2);
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
    case "leakyRelu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new TypeError(`nn.init.calculateGain: negative slope ${slope} is not a valid number`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new RangeError(`nn.init.calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * Fan in and fan out of a weight of shape `[out, in, ...kernel]`:
 * `fanIn = in · ∏kernel`, `fanOut = out · ∏kernel` (needs at least 2 dims).
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new RangeError(
      `nn.init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got [${t.shape}]`,
    );
  }
  let receptive = 1;
  for (const s of t.shape.slice(2)) receptive *= s;
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fanOf(op: string, t: Tensor, mode: FanMode): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  if (mode === "fan_in" || mode === "fanIn") return fanIn;
  if (mode === "fan_out" || mode === "fanOut") return fanOut;
  throw new RangeError(`nn.init.${op}: mode must be "fan_in" or "fan_out", got ${JSON.stringify(mode)}`);
}

/**
 * Fills `t` with U(a, b) (defaults a = 0, b = 1).
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * const w = nn.init.uniform_(zeros([100]), { a: -2, b: -1 });
 * assert.ok(await w.max().item() < -1);
 * ```
 */
export function uniform_(t: Tensor, options: { a?: number; b?: number } = {}): Tensor {
  const a = options.a ?? 0, b = options.b ?? 1;
  if (!(b >= a)) throw new RangeError(`nn.init.uniform_: need a <= b, got a=${a}, b=${b}`);
  return fill(t, "uniform_", () => affine(rand(t.shape, { dtype: t.dtype, device: t.device }), b - a, a));
}

/** Fills `t` with N(mean, std²) (defaults mean = 0, std = 1). */
export function normal_(t: Tensor, options: { mean?: number; std?: number } = {}): Tensor {
  const mean = options.mean ?? 0, std = options.std ?? 1;
  if (!(std >= 0)) throw new RangeError(`nn.init.normal_: std must be >= 0, got ${std}`);
  return fill(t, "normal_", () => affine(randn(t.shape, { dtype: t.dtype, device: t.device }), std, mean));
}

/** Fills `t` with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  return fill(t, "constant_", () => full(t.shape, value, { dtype: t.dtype, device: t.device }));
}

/** Fills `t` with zeros. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills `t` with ones. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * Kaiming (He) uniform: U(−bound, bound) with `bound = gain · √(3 / fan)` and
 * `gain = calculateGain(nonlinearity, a)`. PyTorch's Linear and Conv weights use
 * `{ a: Math.sqrt(5) }`, i.e. `bound = 1/√fanIn`.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * const w = nn.init.kaimingUniform_(zeros([8, 16]), { a: Math.sqrt(5) });
 * assert.ok(await w.abs().max().item() <= 1 / 4);
 * ```
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const fan = fanOf("kaimingUniform_", t, options.mode ?? "fan_in");
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  const bound = fan === 0 ? 0 : Math.sqrt(3) * gain / Math.sqrt(fan);
  return uniform_(t, { a: -bound, b: bound });
}

/** Kaiming (He) normal: N(0, std²) with `std = gain / √fan`. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const fan = fanOf("kaimingNormal_", t, options.mode ?? "fan_in");
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return normal_(t, { std: fan === 0 ? 0 : gain / Math.sqrt(fan) });
}

/** Xavier (Glorot) uniform: U(−a, a) with `a = gain · √(6 / (fanIn + fanOut))` (gain default 1). */
export function xavierUniform_(t: Tensor, options: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, { a: -a, b: a });
}

/** Xavier (Glorot) normal: N(0, std²) with `std = gain · √(2 / (fanIn + fanOut))`. */
export function xavierNormal_(t: Tensor, options: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, { std: (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)) });
}
