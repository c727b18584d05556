/**
 * Math and activations beyond the basic elementwise ops: logarithms and exponentials of base 2
 * and 10, trigonometric and hyperbolic functions, truncation, the two-operand functions of C's
 * libm (logaddexp, copysign, fmod, hypot, lerp) and the activations of `torch.nn.functional`
 * (ELU, SELU, CELU, Mish, the hard ones, LogSigmoid, Softsign, Softmin, GLU, PReLU). Methods of
 * {@link Tensor} defined on one layer of its class chain (TensorCore → MathMethods → ScanMethods →
 * ShapeMethods → IndexMethods → Tensor), so each family of ops keeps its methods beside its
 * concept; the operations themselves live in `ops_math_extra.ts`.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { TensorCore, type TensorLike } from "./tensor_core.ts";
import * as X from "./ops_math_extra.ts";

/** Tensor methods: math and activations beyond the basic elementwise ops. */
export class MathMethods extends TensorCore {
  // ---- math ----------------------------------------------------------------------------
  /** Base-2 logarithm (`torch.log2`). */
  log2(): Tensor {
    return X.unary("log2", this as unknown as Tensor);
  }
  /** Base-10 logarithm (`torch.log10`). */
  log10(): Tensor {
    return X.unary("log10", this as unknown as Tensor);
  }
  /** 2ˣ (`torch.exp2`). */
  exp2(): Tensor {
    return X.unary("exp2", this as unknown as Tensor);
  }
  /** Tangent (`torch.tan`). */
  tan(): Tensor {
    return X.unary("tan", this as unknown as Tensor);
  }
  /** Inverse tangent, in (−π/2, π/2) (`torch.atan`). */
  atan(): Tensor {
    return X.unary("atan", this as unknown as Tensor);
  }
  /** Inverse sine, in [−π/2, π/2]; NaN outside [−1, 1] (`torch.asin`). */
  asin(): Tensor {
    return X.unary("asin", this as unknown as Tensor);
  }
  /** Inverse cosine, in [0, π]; NaN outside [−1, 1] (`torch.acos`). */
  acos(): Tensor {
    return X.unary("acos", this as unknown as Tensor);
  }
  /** Hyperbolic sine (`torch.sinh`). */
  sinh(): Tensor {
    return X.unary("sinh", this as unknown as Tensor);
  }
  /** Hyperbolic cosine (`torch.cosh`). */
  cosh(): Tensor {
    return X.unary("cosh", this as unknown as Tensor);
  }
  /** Inverse hyperbolic sine (`torch.asinh`). */
  asinh(): Tensor {
    return X.unary("asinh", this as unknown as Tensor);
  }
  /** Inverse hyperbolic cosine; NaN below 1 (`torch.acosh`). */
  acosh(): Tensor {
    return X.unary("acosh", this as unknown as Tensor);
  }
  /** Inverse hyperbolic tangent; ±Infinity at ±1, NaN outside [−1, 1] (`torch.atanh`). */
  atanh(): Tensor {
    return X.unary("atanh", this as unknown as Tensor);
  }
  /** Rounds toward zero; integer tensors stay as they are; zero gradient (`torch.trunc`). */
  trunc(): Tensor {
    return X.unary("trunc", this as unknown as Tensor);
  }
  /** The fractional part x − trunc(x), with the sign of x (`torch.frac`). */
  frac(): Tensor {
    return X.unary("frac", this as unknown as Tensor);
  }
  /** Whether each element is finite (not NaN or ±Infinity), as bool (`torch.isfinite`). */
  isfinite(): Tensor {
    return X.unary("isfinite", this as unknown as Tensor);
  }
  /** atan(this / other) in the quadrant of (other, this) (`torch.atan2(input, other)`). */
  atan2(other: TensorLike): Tensor {
    return X.binary("atan2", this as unknown as Tensor, other);
  }
  /** log(eˣ + eʸ), without overflow (`torch.logaddexp`). */
  logaddexp(other: TensorLike): Tensor {
    return X.binary("logaddexp", this as unknown as Tensor, other);
  }
  /** |this| with the sign bit of `other` (−0 and NaN signs included; `torch.copysign`). */
  copysign(other: TensorLike): Tensor {
    return X.binary("copysign", this as unknown as Tensor, other);
  }
  /** √(this² + other²) without overflow (`torch.hypot`). */
  hypot(other: TensorLike): Tensor {
    return X.binary("hypot", this as unknown as Tensor, other);
  }
  /**
   * C-style remainder: the sign of the dividend, unlike `remainder` (`torch.fmod`). An integer zero
   * divisor gives 0 (PyTorch raises).
   */
  fmod(other: TensorLike): Tensor {
    return X.fmod(this as unknown as Tensor, other);
  }
  /**
   * Linear interpolation `this + weight·(end − this)`, `weight` a number or a tensor (`torch.lerp`).
   */
  lerp(end: TensorLike, weight: TensorLike): Tensor {
    return X.lerp(this as unknown as Tensor, end, weight);
  }
  /** `clamp` under NumPy's name (`torch.clip`): limits values to [min, max], either may be omitted. */
  clip(min?: number | null, max?: number | null): Tensor {
    return X.clip(this as unknown as Tensor, min, max);
  }

  // ---- activations -----------------------------------------------------------------------
  /**
   * ELU: x for x > 0, alpha·(eˣ − 1) otherwise (`F.elu`; alpha positional or `{ alpha }`, default 1).
   */
  elu(alpha?: number | { alpha?: number }): Tensor {
    return X.elu(this as unknown as Tensor, alpha);
  }
  /** CELU: x for x > 0, alpha·(e^(x/alpha) − 1) otherwise (`F.celu`; default alpha 1, not 0). */
  celu(alpha?: number | { alpha?: number }): Tensor {
    return X.celu(this as unknown as Tensor, alpha);
  }
  /** Hardtanh: limits to [minVal, maxVal] (`F.hardtanh`; default [−1, 1]; positional or an options object). */
  hardtanh(minVal?: number | { minVal?: number; maxVal?: number }, maxVal?: number): Tensor {
    return X.hardtanh(this as unknown as Tensor, minVal, maxVal);
  }
  /** SELU: scale·ELU(x, α) with PyTorch's α ≈ 1.6733 and scale ≈ 1.0507 (`F.selu`). */
  selu(): Tensor {
    return X.unary("selu", this as unknown as Tensor);
  }
  /** Mish: x·tanh(softplus(x)) (`F.mish`). */
  mish(): Tensor {
    return X.unary("mish", this as unknown as Tensor);
  }
  /** Hardswish: x·min(max(x + 3, 0), 6)/6 (`F.hardswish`). */
  hardswish(): Tensor {
    return X.unary("hardswish", this as unknown as Tensor);
  }
  /** Hardsigmoid: min(max(x + 3, 0), 6)/6 (`F.hardsigmoid`). */
  hardsigmoid(): Tensor {
    return X.unary("hardsigmoid", this as unknown as Tensor);
  }
  /** ReLU6: min(max(x, 0), 6) (`F.relu6`). */
  relu6(): Tensor {
    return X.unary("relu6", this as unknown as Tensor);
  }
  /** log σ(x), computed stably as min(x, 0) − log(1 + e^−|x|) (`F.logsigmoid`). */
  logsigmoid(): Tensor {
    return X.unary("logsigmoid", this as unknown as Tensor);
  }
  /** Softsign: x / (1 + |x|) (`F.softsign`). */
  softsign(): Tensor {
    return X.unary("softsign", this as unknown as Tensor);
  }
  /** Softmin along `dim`: softmax(−x) (`F.softmin`). */
  softmin(dim: number | { dim?: number }): Tensor {
    return X.softmin(this as unknown as Tensor, dim);
  }
  /** GLU: the first half along `dim` (default −1) times the sigmoid of the second (`F.glu`). */
  glu(dim?: number | { dim?: number }): Tensor {
    return X.glu(this as unknown as Tensor, dim);
  }
  /** PReLU: x for x > 0, weight·x otherwise; weight one value or one per channel (dim 1) (`F.prelu`). */
  prelu(weight: Tensor): Tensor {
    return X.prelu(this as unknown as Tensor, weight);
  }
}
