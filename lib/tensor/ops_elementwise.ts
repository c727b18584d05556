/**
 * Elementwise ops with broadcasting and their gradients. Each op's forward and backward
 * sit side by side; backward rules use tensor ops, so they are differentiable again.
 * @module
 */
import type { BinaryOp, DType, FusedExpr, UnaryOp, View } from "../backend/backend.ts";
import { isGradEnabled, record, withGradMode } from "./tape.ts";
import { fusedElementwise, fx } from "./fused.ts";
import { isFloat, promote } from "./dtype.ts";
import { keep } from "./scope.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { sumToShape } from "./ops_reduce.ts";
import { backendFor, type Device } from "./device.ts";

// ---- operands --------------------------------------------------------------------------

/** Cached constants by device, dtype, then value (-0 apart: Map keys treat it as 0). */
const constants = new Map<string, Map<number | "-0", Tensor>>();
let constantCount = 0;

/**
 * A 0-d constant. The first 4096 distinct ones are cached and never disposed, so recorded
 * closures may hold them; the rest are ordinary tensors that `tidy` releases (a learning rate
 * that changes every step must not pin a storage per step).
 */
export function constant(value: number, dtype: DType, device: Device): Tensor {
  const group = device + dtype;
  let byValue = constants.get(group);
  if (!byValue) constants.set(group, byValue = new Map());
  const key = Object.is(value, -0) ? "-0" : value;
  let t = byValue.get(key);
  // (a storage from a device replaced by resetDevice() is stale too)
  if (!t || t.isDisposed || t.storage("constant").backend !== backendFor(device)) {
    t = withGradMode(false, () => Tensor.fromStorage(uploadScalar(value, dtype, device), [], dtype, device));
    if (constantCount < 4096) {
      if (!byValue.has(key)) constantCount++;
      byValue.set(key, keep(t));
    }
  }
  return t;
}

function uploadScalar(value: number, dtype: DType, device: Device) {
  return backendFor(device).upload([value], dtype);
}

function scalarDType(value: number | boolean, other: DType): DType {
  if (typeof value === "boolean") return other;
  if (isFloat(other)) return other;
  return Number.isInteger(value) ? (other === "bool" ? "int32" : other) : "float32";
}

/** The dtype `a op b` computes in, with torch's rules for Python scalars. */
export function resultDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promote(a.dtype, b.dtype);
  if (a instanceof Tensor) return scalarDType(b as number, a.dtype);
  if (b instanceof Tensor) return scalarDType(a as number, b.dtype);
  throw new TypeError("at least one operand must be a tensor");
}

/** `x` as a tensor of `dtype` on `device` (scalars become cached constants; tensors are cast). */
export function operand(op: string, x: TensorLike, dtype: DType, device: Device): Tensor {
  if (x instanceof Tensor) {
    if (x.device !== device) {
      throw new TypeError(
        `${op}: tensors are on different devices (${x.device} and ${device}); move one with .to("${device}")`,
      );
    }
    return x.dtype === dtype ? x : cast(x, dtype);
  }
  if (typeof x === "boolean") return constant(x ? 1 : 0, dtype, device);
  if (typeof x !== "number") {
    throw new TypeError(`${op}: expected a tensor or a number, got ${typeof x}`);
  }
  return constant(x, dtype, device);
}

/** The broadcast shape of two shapes (numpy rules), or a RangeError naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes [${a}] and [${b}] cannot be broadcast together: ` +
          `dimension ${i - n} is ${da} in the first and ${db} in the second`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** How `t` is read when broadcast to `shape` (zero strides on new or size-1 dims). */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const n = shape.length;
  const strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = t.ndim - n + i;
    strides[i] = j < 0 || (t.shape[j] === 1 && shape[i] !== 1) ? 0 : t.strides[j];
  }
  return { shape, strides, offset: t.offset };
}

// ---- raw kernels (no autograd) ---------------------------------------------------------

/** Runs a unary kernel on `x` without recording. */
export function unaryRaw(op: UnaryOp, x: Tensor, outDtype: DType = x.dtype, params?: number[]): Tensor {
  const s = x.backend.unary(op, x.storage(op), x.layout, outDtype, params);
  return Tensor.fromStorage(s, x.shape, outDtype, x.device);
}

/** Runs a binary kernel on two operands (promoted and broadcast) without recording. */
export function binaryRaw(op: BinaryOp, a: TensorLike, b: TensorLike, dtype?: DType): Tensor {
  const dt = dtype ?? resultDType(a, b);
  const device = (a instanceof Tensor ? a : b as Tensor).device;
  const ta = operand(op, a, dt, device);
  const tb = operand(op, b, dt, device);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const s = ta.backend.binary(
    op,
    ta.storage(op),
    broadcastView(ta, shape),
    tb.storage(op),
    broadcastView(tb, shape),
  );
  const outDtype: DType = ["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"].includes(op) ? "bool" : dt;
  return Tensor.fromStorage(s, shape, outDtype, device);
}

function floatOperand(_op: string, x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, "float32");
}

// ---- casts -------------------------------------------------------------------------------

/** Converts `x` to `dtype`; differentiable between float dtypes. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  if (!x.backend.dtypes.includes(dtype)) {
    throw new TypeError(`cast: the ${x.device} backend has no ${dtype}; use the cpu device for float64`);
  }
  const out = unaryRaw("copy", x, dtype);
  if (!isFloat(dtype) || !isFloat(x.dtype)) return out;
  return record("cast", [x], out, (g) => [cast(g, x.dtype)]);
}

// ---- arithmetic ------------------------------------------------------------------------

function asT(x: TensorLike): Tensor | null {
  return x instanceof Tensor ? x : null;
}

function inputs(a: TensorLike, b: TensorLike): Tensor[] {
  return [a, b].filter((x): x is Tensor => x instanceof Tensor);
}

function gradsFor(a: TensorLike, b: TensorLike, ga: () => Tensor, gb: () => Tensor): (Tensor | null)[] {
  const out: (Tensor | null)[] = [];
  const ta = asT(a), tb = asT(b);
  if (ta) out.push(ta.requiresGrad ? sumToShape(ga(), ta.shape) : null);
  if (tb) out.push(tb.requiresGrad ? sumToShape(gb(), tb.shape) : null);
  return out;
}

/** `a + b`. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("add", a, b);
  return record("add", inputs(a, b), out, (g) => gradsFor(a, b, () => g, () => g));
}

/** `a - b`. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("sub", a, b);
  return record("sub", inputs(a, b), out, (g) => gradsFor(a, b, () => g, () => neg(g)));
}

/** `a * b`. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("mul", a, b);
  return record("mul", inputs(a, b), out, (g) => gradsFor(a, b, () => mul(g, b), () => mul(g, a)));
}

/** `a / b` (true division: integer inputs give float32). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  let dt = resultDType(a, b);
  if (!isFloat(dt)) dt = "float32";
  const out = binaryRaw("div", a, b, dt);
  return record(
    "div",
    inputs(a, b),
    out,
    (g) => gradsFor(a, b, () => div(g, b), () => neg(div(mul(g, a), mul(b, b)))),
  );
}

/** `a ** b`. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("pow", a, b);
  return record("pow", inputs(a, b), out, (g) =>
    gradsFor(
      a,
      b,
      () => mul(g, mul(b, pow(a, b instanceof Tensor ? sub(b, 1) : Number(b) - 1))),
      () => {
        // d/db a^b = a^b ln a; defined as 0 where a == 0 and b >= 0 (as torch does)
        const ta = operand("pow", a, out.dtype, out.device);
        const safe = where(ta.eq(0), 1, ta);
        return where(
          ta.eq(0).logicalAnd(operand("pow", b, out.dtype, out.device).ge(0)),
          0,
          mul(g, mul(out, log(safe))),
        );
      },
    ));
}

/** Elementwise maximum; equal elements split the gradient. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("maximum", a, b);
  return record("maximum", inputs(a, b), out, (g) => {
    const half = mul(cast(compare("eq", a, b), out.dtype), 0.5);
    const wa = add(cast(compare("gt", a, b), out.dtype), half);
    const wb = add(cast(compare("lt", a, b), out.dtype), half);
    return gradsFor(a, b, () => mul(g, wa), () => mul(g, wb));
  });
}

/** Elementwise minimum; equal elements split the gradient. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("minimum", a, b);
  return record("minimum", inputs(a, b), out, (g) => {
    const half = mul(cast(compare("eq", a, b), out.dtype), 0.5);
    const wa = add(cast(compare("lt", a, b), out.dtype), half);
    const wb = add(cast(compare("gt", a, b), out.dtype), half);
    return gradsFor(a, b, () => mul(g, wa), () => mul(g, wb));
  });
}

/** Python-style remainder; gradient 1 for `a`, −floor(a/b) for `b`. */
export function remainder(a: TensorLike, b: TensorLike): Tensor {
  const out = binaryRaw("mod", a, b);
  if (!isFloat(out.dtype)) return out;
  return record(
    "remainder",
    inputs(a, b),
    out,
    (g) => gradsFor(a, b, () => g, () => neg(mul(g, rounding("floor", div(a, b))))),
  );
}

/** Comparison to bool (no gradient). */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: TensorLike, b: TensorLike): Tensor {
  return binaryRaw(op, a, b);
}

/** Logical and/or of values taken as booleans. */
export function logical(op: "and" | "or" | "xor", a: TensorLike, b: TensorLike): Tensor {
  return binaryRaw(op, a, b, "bool");
}

/** Logical not. */
export function logicalNot(x: Tensor): Tensor {
  return unaryRaw("not", x.dtype === "bool" ? x : cast(x, "bool"), "bool");
}

/** `cond ? a : b` with broadcasting; gradients flow to the chosen branch. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError("where: cond must be a bool tensor");
  const c = cond.dtype === "bool" ? cond : cast(cond, "bool");
  const dt = a instanceof Tensor || b instanceof Tensor
    ? resultDType(a, b)
    : [a, b].every((v) => typeof v === "boolean")
    ? "bool"
    : [a, b].every((v) => Number.isInteger(v) || typeof v === "boolean")
    ? "int32"
    : "float32";
  const ta = operand("where", a, dt, c.device);
  const tb = operand("where", b, dt, c.device);
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, ta.shape), tb.shape);
  const s = c.backend.where(
    c.storage("where"),
    broadcastView(c, shape),
    ta.storage("where"),
    broadcastView(ta, shape),
    tb.storage("where"),
    broadcastView(tb, shape),
  );
  const out = Tensor.fromStorage(s, shape, dt, c.device);
  return record("where", inputs(a, b), out, (g) => gradsFor(a, b, () => where(c, g, 0), () => where(c, 0, g)));
}

// ---- unary -------------------------------------------------------------------------------

function unaryOp(
  op: UnaryOp,
  x: Tensor,
  grad: (g: Tensor, x: Tensor, out: Tensor) => Tensor,
  params?: number[],
): Tensor {
  const xf = floatOperand(op, x);
  const out = unaryRaw(op, xf, xf.dtype, params);
  return record(op, [xf], out, (g) => [grad(g, xf, out)]);
}

/**
 * A pointwise backward as one fused kernel: `expr` over `inputs` (all of one shape, float
 * dtype and device). While a graph of the gradient is being built (createGraph), or when
 * the shapes differ, `composed` runs instead with differentiable ops.
 */
function pointwiseGrad(expr: FusedExpr, inputs: readonly Tensor[], composed: () => Tensor): Tensor {
  const [first] = inputs;
  const fusable = !isGradEnabled() && isFloat(first.dtype) &&
    inputs.every((t) => t.dtype === first.dtype && t.device === first.device && sameShape(t.shape, first.shape));
  return fusable ? fusedElementwise([expr], inputs)[0] : composed();
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// Fused backward programs; input 0 is the incoming gradient.
const TANH_GRAD = fx.mul(fx.input(0), fx.sub(fx.c(1), fx.mul(fx.input(1), fx.input(1))));
const SIGMOID_GRAD = fx.mul(fx.input(0), fx.mul(fx.input(1), fx.sub(fx.c(1), fx.input(1))));
const RELU_GRAD = fx.where(fx.bin("gt", fx.input(1), fx.c(0)), fx.input(0), fx.c(0));

/** −x. */
export function neg(x: Tensor): Tensor {
  if (x.dtype === "bool") throw new TypeError("neg: bool tensors cannot be negated; use logicalNot()");
  const out = unaryRaw("neg", x);
  return record("neg", [x], out, (g) => [neg(g)]);
}
/** e^x. */
export function exp(x: Tensor): Tensor {
  return unaryOp("exp", x, (g, _x, out) => mul(g, out));
}
/** ln x. */
export function log(x: Tensor): Tensor {
  return unaryOp("log", x, (g, x) => div(g, x));
}
/** ln(1 + x). */
export function log1p(x: Tensor): Tensor {
  return unaryOp("log1p", x, (g, x) => div(g, add(x, 1)));
}
/** e^x − 1. */
export function expm1(x: Tensor): Tensor {
  return unaryOp("expm1", x, (g, _x, out) => mul(g, add(out, 1)));
}
/** √x. */
export function sqrt(x: Tensor): Tensor {
  return unaryOp("sqrt", x, (g, _x, out) => div(g, mul(out, 2)));
}
/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  return unaryOp("rsqrt", x, (g, x, out) => mul(g, mul(div(out, x), -0.5)));
}
/** 1/x. */
export function reciprocal(x: Tensor): Tensor {
  return unaryOp("reciprocal", x, (g, _x, out) => neg(mul(g, mul(out, out))));
}
/** |x|. */
export function abs(x: Tensor): Tensor {
  if (!isFloat(x.dtype)) return unaryRaw("abs", x);
  return unaryOp("abs", x, (g, x) => mul(g, sign(x)));
}
/** sign(x) (zero gradient). */
export function sign(x: Tensor): Tensor {
  const out = unaryRaw("sign", x);
  return record("sign", [x], out, (g) => [mul(g, 0)]);
}
/** sin x. */
export function sin(x: Tensor): Tensor {
  return unaryOp("sin", x, (g, x) => mul(g, cos(x)));
}
/** cos x. */
export function cos(x: Tensor): Tensor {
  return unaryOp("cos", x, (g, x) => neg(mul(g, sin(x))));
}
/** tanh x. */
export function tanh(x: Tensor): Tensor {
  return unaryOp(
    "tanh",
    x,
    (g, _x, out) => pointwiseGrad(TANH_GRAD, [g, out], () => mul(g, sub(1, mul(out, out)))),
  );
}
/** 1/(1+e^−x). */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp(
    "sigmoid",
    x,
    (g, _x, out) => pointwiseGrad(SIGMOID_GRAD, [g, out], () => mul(g, mul(out, sub(1, out)))),
  );
}
/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  if (!isFloat(x.dtype)) return unaryRaw("relu", x);
  return unaryOp("relu", x, (g, x) => pointwiseGrad(RELU_GRAD, [g, x], () => where(compare("gt", x, 0), g, 0)));
}
/** x or slope·x. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unaryOp(
    "leakyRelu",
    x,
    (g, x) => where(compare("gt", x, 0), g, mul(g, negativeSlope)),
    [negativeSlope],
  );
}
/** erf x. */
export function erf(x: Tensor): Tensor {
  return unaryOp("erf", x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
}
/** GELU: x·Φ(x), or its tanh approximation. */
export function gelu(x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  const approximate = options.approximate ?? "none";
  if (approximate === "tanh") {
    const k = Math.sqrt(2 / Math.PI);
    return unaryOp("geluTanh", x, (g, x) => {
      const inner = mul(add(x, mul(pow(x, 3), 0.044715)), k);
      const t = tanh(inner);
      const dInner = mul(add(mul(mul(x, x), 3 * 0.044715), 1), k);
      const d = add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), dInner));
      return mul(g, d);
    });
  }
  if (approximate !== "none") {
    throw new TypeError(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  }
  return unaryOp("geluErf", x, (g, x) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(g, add(cdf, mul(x, pdf)));
  });
}
/** Softplus: log(1+e^(βx))/β, and x above `threshold`/β. */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  return unaryOp(
    "softplus",
    x,
    (g, x) => {
      const bx = mul(x, beta);
      return mul(g, where(compare("gt", bx, threshold), 1, sigmoid(bx)));
    },
    [beta, threshold],
  );
}
/** Limits to [min, max]; the gradient passes where min ≤ x ≤ max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError("clamp: min and max must not be NaN");
  if (!isFloat(x.dtype)) return unaryRaw("clamp", x, x.dtype, [lo, hi]);
  return unaryOp(
    "clamp",
    x,
    (g, x) => mul(g, cast(logical("and", compare("ge", x, lo), compare("le", x, hi)), g.dtype)),
    [lo, hi],
  );
}
/** floor/ceil/round (zero gradient). */
export function rounding(op: "floor" | "ceil" | "round", x: Tensor): Tensor {
  if (!isFloat(x.dtype)) return x;
  const out = unaryRaw(op, x);
  return record(op, [x], out, (g) => [mul(g, 0)]);
}
/** NaN test. */
export function isnan(x: Tensor): Tensor {
  return unaryRaw("isnan", x, "bool");
}
/** ±Infinity test. */
export function isinf(x: Tensor): Tensor {
  return unaryRaw("isinf", x, "bool");
}
