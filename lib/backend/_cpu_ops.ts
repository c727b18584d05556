/**
 * Scalar tables of the cpu backend: the float64 function behind each elementwise op
 * and each reduction's identity.
 * @module
 */
import type { BinaryOp, DType, ReduceOp, UnaryOp } from "./backend.ts";
import { erf, floatMod, ieeePow, intPow, roundHalfEven, sigmoid } from "./_cpu_math.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const SQRT_HALF = Math.SQRT1_2;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** Whether `dtype` is a floating-point type. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/**
 * The scalar function of a unary op on float64 values (`params` as documented on
 * {@link UnaryOp}). Casting to the output dtype happens on store.
 */
export function unaryFn(
  op: UnaryOp,
  params: readonly number[],
): (x: number) => number {
  switch (op) {
    case "copy":
      return (x) => x;
    case "neg":
      return (x) => -x;
    case "exp":
      return Math.exp;
    case "log":
      return Math.log;
    case "log1p":
      return Math.log1p;
    case "expm1":
      return Math.expm1;
    case "sqrt":
      return Math.sqrt;
    case "rsqrt":
      return (x) => 1 / Math.sqrt(x);
    case "abs":
      return Math.abs;
    case "sign":
      return Math.sign;
    case "sin":
      return Math.sin;
    case "cos":
      return Math.cos;
    case "tanh":
      return Math.tanh;
    case "sigmoid":
      return sigmoid;
    case "relu":
      return (x) => (x > 0 || x !== x ? x : 0);
    case "erf":
      return erf;
    case "floor":
      return Math.floor;
    case "ceil":
      return Math.ceil;
    case "round":
      return roundHalfEven;
    case "reciprocal":
      return (x) => 1 / x;
    case "not":
      return (x) => (x === 0 ? 1 : 0);
    case "isnan":
      return (x) => (x !== x ? 1 : 0);
    case "isinf":
      return (x) => (x === Infinity || x === -Infinity ? 1 : 0);
    case "leakyRelu": {
      const slope = params[0] ?? 0.01;
      return (x) => (x > 0 ? x : x * slope);
    }
    case "geluErf":
      return (x) => 0.5 * x * (1 + erf(x * SQRT_HALF));
    case "geluTanh":
      return (x) => 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
    case "softplus": {
      const beta = params[0] ?? 1;
      const threshold = params[1] ?? 20;
      return (x) => beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
    }
    case "clamp": {
      const lo = params[0] ?? -Infinity;
      const hi = params[1] ?? Infinity;
      return (x) => Math.min(Math.max(x, lo), hi);
    }
    default:
      throw new Error(`cpu: unknown unary op ${String(op)}`);
  }
}

/** Binary ops whose output is bool (comparisons and logic). */
export const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>([
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "and",
  "or",
  "xor",
]);

/** `b`, or a RangeError for integer division by zero (as torch raises). */
function intDivisor(op: string, b: number): number {
  if (b === 0) throw new RangeError(`${op}: integer division by zero`);
  return b;
}

/** The scalar function of a binary op for inputs of `dtype` (int32 ops wrap). */
export function binaryFn(
  op: BinaryOp,
  dtype: DType,
): (a: number, b: number) => number {
  const int = dtype === "int32";
  switch (op) {
    case "add":
      return int ? (a, b) => (a + b) | 0 : (a, b) => a + b;
    case "sub":
      return int ? (a, b) => (a - b) | 0 : (a, b) => a - b;
    case "mul":
      return int ? Math.imul : (a, b) => a * b;
    case "div":
      return int ? (a, b) => Math.trunc(a / intDivisor("div", b)) | 0 : (a, b) => a / b;
    case "pow":
      return int ? intPow : ieeePow;
    case "maximum":
      return Math.max;
    case "minimum":
      return Math.min;
    case "mod":
      return int ? (a, b) => floatMod(a, intDivisor("mod", b)) : floatMod;
    case "atan2":
      return Math.atan2;
    case "eq":
      return (a, b) => (a === b ? 1 : 0);
    case "ne":
      return (a, b) => (a !== b ? 1 : 0);
    case "lt":
      return (a, b) => (a < b ? 1 : 0);
    case "le":
      return (a, b) => (a <= b ? 1 : 0);
    case "gt":
      return (a, b) => (a > b ? 1 : 0);
    case "ge":
      return (a, b) => (a >= b ? 1 : 0);
    case "and":
      return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case "or":
      return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
    case "xor":
      return (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0);
    default:
      throw new Error(`cpu: unknown binary op ${String(op)}`);
  }
}

/** The identity of a reduction over values of `dtype`. */
export function reduceIdentity(op: ReduceOp, dtype: DType): number {
  switch (op) {
    case "sum":
      return 0;
    case "prod":
      return 1;
    case "max":
      return isFloat(dtype) ? -Infinity : dtype === "int32" ? INT32_MIN : 0;
    case "min":
      return isFloat(dtype) ? Infinity : dtype === "int32" ? INT32_MAX : 1;
  }
}
