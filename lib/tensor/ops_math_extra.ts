/**
 * The tensor side of the extra math and activation entries of the op table (lib/ops/math.ts,
 * math_trig.ts, activation_extra.ts): argument checks, PyTorch's positional-or-options forms, and
 * the few activations that are not elementwise (softmin, GLU, PReLU's per-channel weight).
 * `Tensor` methods (methods_math.ts) and `F` (lib/functional/activation.ts) both call these.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import type { TensorLike } from "./tensor_core.ts";
import { clamp, elementwise } from "./ops_elementwise.ts";
import type { ElementwiseOp } from "../ops/table.ts";

/** A number given positionally, or the field `name` of an options object, or `fallback`. */
function option<K extends string>(
  op: string,
  arg: number | { readonly [N in K]?: number } | undefined,
  name: K,
  fallback: number,
): number {
  const v = typeof arg === "object" && arg !== null ? arg[name] : arg;
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw new TypeError(`${op}: ${name} must be a number, got ${typeof v}`);
  return v;
}

/** An integer dim given positionally or as `{ dim }`, or `fallback`. */
function dimOption(op: string, arg: number | { readonly dim?: number } | undefined, fallback?: number): number {
  const d = typeof arg === "object" && arg !== null ? arg.dim : arg;
  if (d === undefined && fallback !== undefined) return fallback;
  if (!Number.isInteger(d)) throw new TypeError(`${op}: dim must be an integer, got ${d}`);
  return d as number;
}

/** Applies a one-operand entry of the table to `x`. */
export function unary(op: ElementwiseOp, x: Tensor, params?: readonly number[]): Tensor {
  return elementwise(op, [x], params);
}

/** Applies a two-operand entry of the table to `x` and `other` (broadcasting). */
export function binary(op: ElementwiseOp, x: Tensor, other: TensorLike): Tensor {
  return elementwise(op, [x, other]);
}

/** ELU: `x` for x > 0, `alpha·(eˣ − 1)` otherwise (`F.elu`, default alpha 1). */
export function elu(x: Tensor, alpha?: number | { alpha?: number }): Tensor {
  return elementwise("elu", [x], [option("elu", alpha, "alpha", 1)]);
}

/** CELU: `x` for x > 0, `alpha·(e^(x/alpha) − 1)` otherwise (`F.celu`, default alpha 1; alpha ≠ 0). */
export function celu(x: Tensor, alpha?: number | { alpha?: number }): Tensor {
  const a = option("celu", alpha, "alpha", 1);
  if (a === 0) throw new RangeError("celu: alpha must not be 0 (it divides x); use relu for the limit");
  return elementwise("celu", [x], [a]);
}

/** Hardtanh: `x` limited to [minVal, maxVal] (`F.hardtanh`, default [−1, 1]). */
export function hardtanh(
  x: Tensor,
  minVal?: number | { minVal?: number; maxVal?: number },
  maxVal?: number,
): Tensor {
  const lo = option("hardtanh", minVal, "minVal", -1);
  const hi = typeof minVal === "object" ? option("hardtanh", minVal, "maxVal", 1) : maxVal ?? 1;
  if (!(lo <= hi)) throw new RangeError(`hardtanh: minVal (${lo}) must not exceed maxVal (${hi})`);
  return elementwise("hardtanh", [x], [lo, hi]);
}

/** Softmin along `dim`: `softmax(−x, dim)` (`F.softmin`). */
export function softmin(x: Tensor, dim: number | { dim?: number }): Tensor {
  return x.neg().softmax(dimOption("softmin", dim));
}

/**
 * GLU along `dim` (default −1): the first half times the sigmoid of the second half
 * (`F.glu`); the size along `dim` must be even.
 */
export function glu(x: Tensor, dim?: number | { dim?: number }): Tensor {
  const d = dimOption("glu", dim, -1);
  if (x.ndim === 0) throw new RangeError("glu: a 0-d tensor has no dim to halve; give a tensor of at least 1 dim");
  if (d < -x.ndim || d >= x.ndim) {
    throw new RangeError(`glu: dim ${d} is out of range for a tensor of ${x.ndim} dims (shape [${x.shape}])`);
  }
  const size = x.shape[d < 0 ? d + x.ndim : d];
  if (size % 2 !== 0) {
    throw new RangeError(`glu: the size along dim ${d} must be even to split in halves, got shape [${x.shape}]`);
  }
  const [a, b] = x.chunk(2, d);
  return a.mul(b.sigmoid());
}

/**
 * PReLU: `x` for x > 0, `weight·x` otherwise (`F.prelu`). `weight` holds one value, or one per
 * channel (dim 1 of `x`); gradients flow to both.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  if (typeof weight !== "object" || weight === null || !("shape" in weight)) {
    throw new TypeError("prelu: weight must be a tensor (one value, or one per channel)");
  }
  if (weight.ndim > 1) {
    throw new RangeError(`prelu: weight must be 0-d or 1-d, got shape [${weight.shape}]`);
  }
  const n = weight.size;
  if (n === 1) return elementwise("prelu", [x, weight.ndim === 0 ? weight : weight.reshape([])]);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  if (n !== channels) {
    throw new RangeError(
      `prelu: weight has ${n} values but x (shape [${x.shape}]) has ${channels} channels (dim 1); ` +
        "give one weight per channel or a single one",
    );
  }
  // [C] → [C, 1, …, 1], so it broadcasts along dim 1 of x
  const w = weight.reshape([channels, ...new Array<number>(x.ndim - 2).fill(1)]);
  return elementwise("prelu", [x, w]);
}

/** Linear interpolation `x + weight·(end − x)` (`torch.lerp`); weight a number or a tensor. */
export function lerp(x: Tensor, end: TensorLike, weight: TensorLike): Tensor {
  return elementwise("lerp", [x, end, weight]);
}

/**
 * C-style remainder (sign of the dividend, `torch.fmod`). An integer zero divisor gives 0 on the
 * cpu and webgpu devices (PyTorch raises) and throws on the reference device.
 */
export function fmod(x: Tensor, other: TensorLike): Tensor {
  return elementwise("fmod", [x, other]);
}

/** `clamp` under NumPy's name (`torch.clip`). */
export function clip(x: Tensor, min?: number | null, max?: number | null): Tensor {
  return clamp(x, min, max);
}
