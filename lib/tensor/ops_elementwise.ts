/**
 * Elementwise ops: every entry of the op table (`lib/ops/table.ts`) runs through
 * {@link elementwise}, which promotes and broadcasts the operands as PyTorch does, dispatches
 * the backend's one elementwise primitive and records the entry's gradient rule. The named
 * functions below are the ones other modules call; a new op needs only its table entry (and a
 * `Tensor` method line if it is public).
 * @module
 */
import type { DType, View } from "../backend/backend.ts";
import type { AnyElementwiseEntry, GradTensor } from "../ops/entry.ts";
import type { Expr } from "../ops/expr.ts";
import { elementwiseEntry, type ElementwiseOp, namedParams, paramValues } from "../ops/table.ts";
import { isGradEnabled, record, withGradMode } from "./tape.ts";
import { fusedElementwise } from "./fused.ts";
import { type DTypeName, isFloat, promote } from "./dtype.ts";
import { keep } from "./scope.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { sumToShape } from "./ops_reduce.ts";
import { backendFor, type Device } from "./device.ts";
import { chainOf, isEager, markConstant } from "./lazy.ts";

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
  // a chain like x·c + d looks up the same few constants every op: check the last two first
  for (const hit of recentConstants) {
    if (
      hit !== null && Object.is(hit.value, value) && hit.dtype === dtype && hit.device === device &&
      !hit.t.isDisposed && hit.backend === backendFor(device)
    ) {
      return hit.t;
    }
  }
  const t = cachedConstant(value, dtype, device);
  recentConstants[recentNext] = { value, dtype, device, t, backend: backendFor(device) };
  recentNext = 1 - recentNext;
  return t;
}

/** The last two constants {@link constant} returned (with the backend they were made on). */
const recentConstants: ({ value: number; dtype: DType; device: Device; t: Tensor; backend: unknown } | null)[] = [
  null,
  null,
];
let recentNext = 0;

function cachedConstant(value: number, dtype: DType, device: Device): Tensor {
  const group = device + dtype;
  let byValue = constants.get(group);
  if (!byValue) constants.set(group, byValue = new Map());
  const key = Object.is(value, -0) ? "-0" : value;
  let t = byValue.get(key);
  // (a storage from a device replaced by resetDevice() is stale too)
  if (!t || t.isDisposed || t.storage("constant").backend !== backendFor(device)) {
    t = withGradMode(false, () => Tensor.fromStorage(backendFor(device).upload([value], dtype), [], dtype, device));
    // what the storage holds: the value rounded to the dtype, as the lazy engine's params must read it
    const stored = dtype === "float32"
      ? Math.fround(value)
      : dtype === "bool"
      ? (value ? 1 : 0)
      : dtype === "int32"
      ? value | 0
      : value;
    markConstant(t, stored, dtype);
    if (constantCount < 4096) {
      if (!byValue.has(key)) constantCount++;
      byValue.set(key, keep(t));
    }
  }
  return t;
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

/** The dtype several operands compute in: tensors promote, then scalars as in {@link resultDType}. */
function commonDType(operands: readonly TensorLike[]): DType {
  let dt: DType | null = null;
  for (const x of operands) if (x instanceof Tensor) dt = dt === null ? x.dtype : promote(dt, x.dtype);
  if (dt === null) throw new TypeError("at least one operand must be a tensor");
  for (const x of operands) if (!(x instanceof Tensor)) dt = scalarDType(x, dt);
  return dt;
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

// ---- the generic op ----------------------------------------------------------------------

/** The dtype an entry computes in for these operands (torch's promotion, then the entry's policy). */
function computeDType(entry: AnyElementwiseEntry, operands: readonly TensorLike[]): DType {
  switch (entry.policy) {
    case "logic":
      return "bool";
    case "float": {
      const dt = commonDType(operands);
      return isFloat(dt) ? dt : "float32";
    }
    case "divide": {
      const dt = commonDType(operands);
      return isFloat(dt) ? dt : "float32";
    }
    case "select":
      return whereDType(operands[1], operands[2]);
    default:
      return commonDType(operands);
  }
}

/** The dtype `where(cond, a, b)` returns: torch's promotion, with bool and integer literals kept. */
function whereDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor || b instanceof Tensor) return resultDType(a, b);
  if ([a, b].every((v) => typeof v === "boolean")) return "bool";
  return [a, b].every((v) => Number.isInteger(v) || typeof v === "boolean") ? "int32" : "float32";
}

const BOOL_POLICIES = new Set(["compare", "logic", "predicate"]);

/** Runs the backend kernel of `op` on operands already of one dtype and device, without recording. */
function run(op: ElementwiseOp, ts: readonly Tensor[], outDtype: DType, params: readonly number[]): Tensor {
  let shape = ts[0].shape as readonly number[];
  for (let i = 1; i < ts.length; i++) {
    const other = ts[i].shape;
    // a 0-d operand (a scalar constant) broadcasts to anything: no new shape array per op
    if (other.length === 0) continue;
    if (shape.length === 0) shape = other;
    else if (!sameShape(shape, other)) shape = broadcastShapes(op, shape, other);
  }
  const backend = ts[0].backend;
  // (an operand of a replaced or other backend goes the eager way, whose kernel names the problem)
  if (backend.evaluate && !isEager() && ts.every((t) => t.isPending || t.storage(op).backend === backend)) {
    return Tensor.fromPending(chainOf(op, ts, shape, outDtype, params, backend), shape, outDtype, ts[0].device);
  }
  const operands = ts.map((t) => ({ storage: t.storage(op), view: broadcastView(t, shape) }));
  const s = backend.elementwise(op, operands, outDtype, params);
  return Tensor.fromStorage(s, shape, outDtype, ts[0].device);
}

/**
 * Applies elementwise op `op` of the table to `operands` (tensors, or numbers wherever a tensor
 * may stand), with PyTorch's type promotion and broadcasting, and records the entry's gradient.
 * `params` are the entry's params in its order (defaults where omitted).
 */
export function elementwise(op: ElementwiseOp, operands: readonly TensorLike[], params?: readonly number[]): Tensor {
  const entry = elementwiseEntry(op);
  if (operands.length !== entry.args.length) {
    throw new RangeError(`${op}: expected ${entry.args.length} operands, got ${operands.length}`);
  }
  let first: Tensor | undefined;
  for (const x of operands) if (!first && x instanceof Tensor) first = x;
  if (!first) throw new TypeError(`${op}: at least one operand must be a tensor`);
  const device = first.device;
  const dtype = computeDType(entry, operands);
  if (entry.policy === "rounding" && !isFloat(dtype)) return first;
  const ts = operands.map((x, i) => operand(op, x, entry.policy === "select" && i === 0 ? "bool" : dtype, device));
  const values = paramValues(entry, params);
  const outDtype: DType = BOOL_POLICIES.has(entry.policy) ? "bool" : dtype;
  const out = run(op, ts, outDtype, values);
  if (entry.grad === "none" || !isFloat(outDtype)) return out;
  // scalars became constants, which never take gradients: the tape records only tensor operands
  const tensors = operands.every((x) => x instanceof Tensor) ? ts : ts.filter((_, i) => operands[i] instanceof Tensor);
  return record(op, tensors, out, (g) => {
    const grads = gradients(op, entry, ts, out, g, values);
    return tensors === ts ? grads : grads.filter((_, i) => operands[i] instanceof Tensor);
  });
}

/** The gradients of each operand from the entry's rule (or its one-kernel form), summed to their shapes. */
function gradients(
  op: ElementwiseOp,
  entry: AnyElementwiseEntry,
  ts: readonly Tensor[],
  out: Tensor,
  g: Tensor,
  params: readonly number[],
): (Tensor | null)[] {
  if (entry.grad === "none") return ts.map(() => null);
  if (entry.grad === "zero") return ts.map((t) => (t.requiresGrad ? sumToShape(mul(g, 0), t.shape) : null));
  const rules = entry.grad;
  const ctx: Record<string, unknown> = { g, out, p: namedParams(entry, params) };
  entry.args.forEach((name, i) => (ctx[name] = ts[i]));
  return ts.map((t, i) => {
    const name = entry.args[i];
    const rule = rules[name];
    if (!t.requiresGrad || !rule) return null;
    const fused = entry.fusedGrad?.[name] && !isGradEnabled() ? fusedGrad(op, entry, i, ts, out, g, params) : null;
    return sumToShape(fused ?? (rule as (c: unknown) => GradTensor)(ctx) as Tensor, t.shape);
  });
}

/** One-kernel gradient programs by op, operand and params, built once (backends cache their code per program). */
const fusedGradPrograms = new Map<string, readonly Expr[]>();

/**
 * A gradient rule's one-kernel form: g, the operands and the output as inputs 0, 1…n, n+1 of one
 * fused program. Null (use the tensor rule) when they differ in shape, dtype or device.
 */
function fusedGrad(
  op: ElementwiseOp,
  entry: AnyElementwiseEntry,
  argIndex: number,
  ts: readonly Tensor[],
  out: Tensor,
  g: Tensor,
  params: readonly number[],
): Tensor | null {
  const inputs = [g, ...ts, out];
  const fits = isFloat(g.dtype) &&
    inputs.every((t) => t.dtype === g.dtype && t.device === g.device && sameShape(t.shape, g.shape));
  if (!fits) return null;
  const key = `${op}|${argIndex}|${params.join(",")}`;
  let program = fusedGradPrograms.get(key);
  if (!program) {
    const rule = entry.fusedGrad![entry.args[argIndex]] as (e: unknown, p: unknown) => Expr;
    const e: Record<string, Expr> = { g: { input: 0 }, out: { input: ts.length + 1 } };
    entry.args.forEach((name, i) => (e[name] = { input: i + 1 }));
    const p = Object.fromEntries(Object.keys(entry.params).map((name, i) => [name, { const: params[i] }]));
    program = [rule(e, p)];
    if (fusedGradPrograms.size > 1024) fusedGradPrograms.clear();
    fusedGradPrograms.set(key, program);
  }
  return fusedElementwise(program, inputs)[0];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---- raw kernels (no autograd) ---------------------------------------------------------

/** Runs a one-operand kernel on `x` as it is (no promotion, no recording). */
export function unaryRaw(op: ElementwiseOp, x: Tensor, outDtype: DType = x.dtype, params: number[] = []): Tensor {
  return run(op, [x], outDtype, paramValues(elementwiseEntry(op), params));
}

/** Runs a two-operand kernel on operands promoted (to `dtype` when given) and broadcast, without recording. */
export function binaryRaw(op: ElementwiseOp, a: TensorLike, b: TensorLike, dtype?: DType): Tensor {
  const entry = elementwiseEntry(op);
  const dt = dtype ?? resultDType(a, b);
  const device = (a instanceof Tensor ? a : b as Tensor).device;
  const outDtype: DType = BOOL_POLICIES.has(entry.policy) ? "bool" : dt;
  return run(op, [operand(op, a, dt, device), operand(op, b, dt, device)], outDtype, paramValues(entry));
}

// ---- casts -------------------------------------------------------------------------------

/** Converts `x` to `dtype` ("int64" is stored as int32); differentiable between float dtypes. */
export function cast(x: Tensor, to: DTypeName): Tensor {
  const dtype = to === "int64" || to === "long" ? "int32" : to;
  if (x.dtype === dtype) return x;
  if (!x.backend.dtypes.includes(dtype)) {
    throw new TypeError(`cast: the ${x.device} backend has no ${dtype}; use the cpu device for float64`);
  }
  const out = unaryRaw("copy", x, dtype);
  if (!isFloat(dtype) || !isFloat(x.dtype)) return out;
  return record("cast", [x], out, (g) => [cast(g, x.dtype)]);
}

// ---- the ops other modules call by name ----------------------------------------------------

/** `a + b`. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("add", [a, b]);
}
/** `a - b`. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("sub", [a, b]);
}
/** `a * b`. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("mul", [a, b]);
}
/** `a / b` (true division: integer inputs give float32). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("div", [a, b]);
}
/** Elementwise minimum. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("minimum", [a, b]);
}
/** Comparison to bool (no gradient). */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: TensorLike, b: TensorLike): Tensor {
  return elementwise(op, [a, b]);
}
/** `cond ? a : b` with broadcasting; gradients flow to the chosen branch. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError("where: cond must be a bool tensor");
  return elementwise("where", [cond, a, b]);
}
/** −x (bool tensors cannot be negated). */
export function neg(x: Tensor): Tensor {
  if (x.dtype === "bool") throw new TypeError("neg: bool tensors cannot be negated; use logicalNot()");
  return elementwise("neg", [x]);
}
/** e^x. */
export function exp(x: Tensor): Tensor {
  return elementwise("exp", [x]);
}
/** ln x. */
export function log(x: Tensor): Tensor {
  return elementwise("log", [x]);
}
/** √x. */
export function sqrt(x: Tensor): Tensor {
  return elementwise("sqrt", [x]);
}
/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  return elementwise("rsqrt", [x]);
}
/** tanh x. */
export function tanh(x: Tensor): Tensor {
  return elementwise("tanh", [x]);
}
/** 1/(1+e^−x). */
export function sigmoid(x: Tensor): Tensor {
  return elementwise("sigmoid", [x]);
}
/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return elementwise("relu", [x]);
}
/** x or slope·x. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return elementwise("leakyRelu", [x], [negativeSlope]);
}
/** GELU: x·Φ(x), or its tanh approximation. */
export function gelu(x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  const approximate = options.approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") {
    throw new TypeError(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  }
  return elementwise(approximate === "tanh" ? "geluTanh" : "geluErf", [x]);
}
/** Softplus: log(1+e^(βx))/β, and x above `threshold`/β. */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  return elementwise("softplus", [x], [options.beta ?? 1, options.threshold ?? 20]);
}
/**
 * Limits to [min, max]; the gradient passes where min ≤ x ≤ max. Integer tensors stay integer for
 * integral bounds and become float32 for fractional ones, as in PyTorch.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError("clamp: min and max must not be NaN");
  const integral = (v: number) => Number.isInteger(v) || !Number.isFinite(v);
  const t = !isFloat(x.dtype) && !(integral(lo) && integral(hi)) ? cast(x, "float32") : x;
  return elementwise("clamp", [t], [lo, hi]);
}
/** NaN test. */
export function isnan(x: Tensor): Tensor {
  return elementwise("isnan", [x]);
}
/** ±Infinity test. */
export function isinf(x: Tensor): Tensor {
  return elementwise("isinf", [x]);
}
