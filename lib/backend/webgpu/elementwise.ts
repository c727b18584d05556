/** Unary, binary and where kernels: WGSL expressions per op and dtype. @module */
import type { BinaryOp, DType, Storage, UnaryOp, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { collapseDims, fillTemplate, TEMPLATES, UniformBlock, type WgslType, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/** Most workgroups one elementwise dispatch launches; the kernel loops over the rest (see elementwise.wgsl). */
const MAX_WORKGROUPS = 1024;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** `e` (of type `from`) converted to `to` with the backend's cast rules. */
export function castExpr(e: string, from: WgslType, to: WgslType): string {
  if (from === to) return e;
  if (to === "u32") return `to_bool(${e} != ${from}(0))`;
  return `${to}(${e})`;
}

/**
 * f32-valued expressions of `X` (an f32) for float math ops, shared with the fused kernels;
 * `u.fp.x`/`u.fp.y` stand for the op's params ({@link UnaryOp}).
 */
export const FLOAT_UNARY: Partial<Record<UnaryOp, string>> = {
  copy: "X",
  neg: "-X",
  exp: "exp(X)",
  log: "log(X)",
  log1p: "log1p_(X)",
  expm1: "expm1_(X)",
  sqrt: "sqrt(X)",
  rsqrt: "1.0 / sqrt(X)",
  abs: "abs(X)",
  sign: "select(sign(X), X, f32_is_nan(X))",
  sin: "sin(X)",
  cos: "cos(X)",
  tanh: "tanh_(X)",
  sigmoid: "sigmoid_(X)",
  relu: "select(0.0, X, X > 0.0 || f32_is_nan(X))",
  erf: "erf_(X)",
  floor: "floor(X)",
  ceil: "ceil(X)",
  round: "round(X)",
  reciprocal: "1.0 / X",
  leakyRelu: "select(X * u.fp.x, X, X > 0.0)",
  geluErf: "0.5 * X * (1.0 + erf_(X * SQRT_HALF))",
  geluTanh: "0.5 * X * (1.0 + tanh_(GELU_C * (X + 0.044715 * X * X * X)))",
  softplus: "select(log1p_(exp(u.fp.x * X)) / u.fp.x, X, u.fp.x * X > u.fp.y)",
  // NaN passes through; the explicit test keeps GPU compilers from folding the selects into
  // min/max, which return the bound for NaN (seen on NVIDIA).
  clamp: "select(select(select(X, u.fp.x, X < u.fp.x), u.fp.y, X > u.fp.y), X, f32_is_nan(X))",
};

/** i32-valued expressions of `x` (an i32) for ops with integer semantics. */
const INT_UNARY: Partial<Record<UnaryOp, string>> = {
  copy: "X",
  neg: "-X",
  abs: "abs(X)",
  sign: "sign(X)",
  relu: "max(X, 0)",
  floor: "X",
  ceil: "X",
  round: "X",
  // ip = [ceil(lo), trunc(lo), floor(hi), trunc(hi)]: exact for fractional bounds.
  clamp: "select(select(X, u.ip.y, X < u.ip.x), u.ip.w, X > u.ip.z)",
};

function unaryExpr(op: UnaryOp, a: WgslType, o: WgslType): string {
  if (op === "copy") return castExpr("x", a, o);
  if (op === "not") return castExpr(`to_bool(x == ${a}(0))`, "u32", o);
  if (op === "isnan" || op === "isinf") {
    if (a !== "f32") return castExpr("0u", "u32", o);
    return castExpr(`to_bool(f32_is_${op.slice(2)}(x))`, "u32", o);
  }
  if (a !== "f32" && INT_UNARY[op]) {
    const xi = a === "i32" ? "x" : "i32(x)";
    return castExpr(`(${INT_UNARY[op]!.replaceAll("X", xi)})`, "i32", o);
  }
  const f = FLOAT_UNARY[op];
  if (!f) throw new Error(`webgpu unary: unknown op ${String(op)}`);
  const xf = a === "f32" ? "x" : "f32(x)";
  return castExpr(`(${f.replaceAll("X", xf)})`, "f32", o);
}

/** bool-valued comparisons of `X` and `Y`. */
export const COMPARE: Partial<Record<BinaryOp, string>> = {
  eq: "X == Y",
  ne: "X != Y",
  lt: "X < Y",
  le: "X <= Y",
  gt: "X > Y",
  ge: "X >= Y",
};

/** f32-valued expressions of `X` and `Y` (f32s) for float binary ops, shared with the fused kernels. */
export const FLOAT_BINARY: Partial<Record<BinaryOp, string>> = {
  add: "X + Y",
  sub: "X - Y",
  mul: "X * Y",
  div: "X / Y",
  pow: "pow_(X, Y)",
  maximum: "fmax_(X, Y)",
  minimum: "fmin_(X, Y)",
  mod: "fmod_(X, Y)",
  atan2: "atan2_(X, Y)",
};

const INT_BINARY: Partial<Record<BinaryOp, string>> = {
  add: "X + Y",
  sub: "X - Y",
  mul: "X * Y",
  div: "idiv_(X, Y)",
  pow: "ipow_(X, Y)",
  maximum: "max(X, Y)",
  minimum: "min(X, Y)",
  mod: "imod_(X, Y)",
  atan2: "i32(atan2_(f32(X), f32(Y)))",
};

/** Whether `op` outputs bool. */
export function binaryOutputsBool(op: BinaryOp): boolean {
  return op in COMPARE || op === "and" || op === "or" || op === "xor";
}

/** `e` with its operand tokens `X`/`Y` replaced. */
function operands(e: string, x: string, y: string): string {
  return e.replaceAll("X", x).replaceAll("Y", y);
}

function binaryExpr(op: BinaryOp, t: WgslType): string {
  const c = COMPARE[op];
  if (c) return `to_bool(${operands(c, "x", "y")})`;
  const z = `${t}(0)`;
  if (op === "and") return `to_bool(x != ${z} && y != ${z})`;
  if (op === "or") return `to_bool(x != ${z} || y != ${z})`;
  if (op === "xor") return `to_bool((x != ${z}) != (y != ${z}))`;
  if (t === "f32") {
    const e = FLOAT_BINARY[op];
    if (!e) throw new Error(`webgpu binary: unknown op ${String(op)}`);
    return operands(e, "x", "y");
  }
  if (t === "i32") {
    const e = INT_BINARY[op];
    if (!e) throw new Error(`webgpu binary: unknown op ${String(op)}`);
    return operands(e, "x", "y");
  }
  // bool arithmetic: compute on 0/1 as f32, store `!= 0`.
  const e = FLOAT_BINARY[op];
  if (!e) throw new Error(`webgpu binary: unknown op ${String(op)}`);
  return `to_bool((${operands(e, "f32(x)", "f32(y)")}) != 0.0)`;
}

interface Operand {
  s: WebGPUStorage;
  v: View;
}

function checkShapes(op: string, ins: readonly Operand[]): void {
  const shape = ins[0].v.shape;
  for (const { v } of ins) {
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`webgpu ${op}: view shapes [${ins.map((w) => `[${w.v.shape}]`).join(", ")}] differ`);
    }
    if (v.strides.length !== v.shape.length) {
      throw new RangeError(`webgpu ${op}: view has ${v.shape.length} dims but ${v.strides.length} strides`);
    }
  }
}

const EW_KINDS = ["storage", "read-only-storage", "read-only-storage", "read-only-storage"] as const;

/**
 * How an invocation finds its input elements, by the rank left after collapsing dims. A loop
 * over dims (dynamically indexed uniforms) ran ~10x slower on llvmpipe than straight-line code,
 * so each collapsed rank gets its own variant: ranks 1 and 2 (almost every contiguous or
 * broadcast operand) with no or one division, higher ranks unrolled. Shapes and strides still
 * come from uniforms; only the rank picks the variant.
 */
const INDEXING = {
  linear: `    let ia = i32(u.offs.x) + i32(i) * stride_at(u.sa, 0u);
    let ib = i32(u.offs.y) + i32(i) * stride_at(u.sb, 0u);
    let ic = i32(u.offs.z) + i32(i) * stride_at(u.sc, 0u);
`,
  rank2: `    let d1 = dim_at(u.shape, 1u);
    let r0 = i32(i / d1);
    let r1 = i32(i - u32(r0) * d1);
    let ia = i32(u.offs.x) + r0 * stride_at(u.sa, 0u) + r1 * stride_at(u.sa, 1u);
    let ib = i32(u.offs.y) + r0 * stride_at(u.sb, 0u) + r1 * stride_at(u.sb, 1u);
    let ic = i32(u.offs.z) + r0 * stride_at(u.sc, 0u) + r1 * stride_at(u.sc, 1u);
`,
};

/** Straight-line indexing for collapsed rank `r` (3..MAX_RANK): literal dim indices, no loop. */
function unrolledIndex(r: number): string {
  const lines = [
    "    var rem = i;",
    "    var ia = i32(u.offs.x);",
    "    var ib = i32(u.offs.y);",
    "    var ic = i32(u.offs.z);",
  ];
  for (let k = r - 1; k >= 0; k--) {
    lines.push(
      `    { let sz = dim_at(u.shape, ${k}u); let q = rem / sz; let co = i32(rem - q * sz); rem = q;`,
      `      ia += co * stride_at(u.sa, ${k}u); ib += co * stride_at(u.sb, ${k}u); ic += co * stride_at(u.sc, ${k}u); }`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Runs the elementwise template over up to three operands with `expr`; `key` (with
 * the operand count) must determine the source (op and dtypes), so `expr` and the
 * WGSL are built only on the key's first use.
 */
function runElementwise(
  ctx: GpuContext,
  op: string,
  key: string,
  expr: () => string,
  outDtype: DType,
  ins: readonly Operand[],
  fp: readonly number[] = [],
  ip: readonly number[] = [],
): WebGPUStorage {
  checkShapes(op, ins);
  const shape = ins[0].v.shape;
  const n = numel(shape);
  const out = ctx.alloc(n, outDtype, op);
  if (n === 0) return out;
  const a = ins[0], b = ins[1] ?? a, c = ins[2] ?? a;
  const strides = [
    a.v.strides,
    ins.length > 1 ? b.v.strides : zeros(shape.length),
    ins.length > 2 ? c.v.strides : zeros(shape.length),
  ];
  const cd = collapseDims(shape, strides);
  const rank = cd.shape.length;
  const kernel = ctx.kernelFor(
    `${key}|r${Math.max(rank, 1)}`,
    "main",
    EW_KINDS,
    () =>
      fillTemplate(TEMPLATES.elementwise, {
        INDEX: rank <= 1 ? INDEXING.linear : rank === 2 ? INDEXING.rank2 : unrolledIndex(rank),
        OUT: wgslType(outDtype, op),
        A: wgslType(a.s.dtype, op),
        B: wgslType(b.s.dtype, op),
        C: wgslType(c.s.dtype, op),
        EXPR: expr(),
      }),
  );
  const u = new UniformBlock()
    .u32(0, n)
    .u32(1, cd.shape.length)
    .u32(4, a.v.offset)
    .u32(5, ins.length > 1 ? b.v.offset : 0)
    .u32(6, ins.length > 2 ? c.v.offset : 0)
    .dims(16, cd.shape)
    .strides(24, cd.strides[0])
    .strides(32, cd.strides[1])
    .strides(40, cd.strides[2]);
  for (let i = 0; i < fp.length; i++) u.f32(8 + i, fp[i]);
  for (let i = 0; i < ip.length; i++) u.i32(12 + i, ip[i]);
  ctx.run(
    kernel,
    u,
    [ctx.bind(out), ctx.bind(a.s), ctx.bind(b.s), ctx.bind(c.s)],
    Math.min(Math.ceil(n / 64), MAX_WORKGROUPS),
  );
  return out;
}

const ZEROS: number[][] = [];

/** A shared all-zero stride list of length `r` (never mutated). */
function zeros(r: number): number[] {
  return ZEROS[r] ??= new Array(r).fill(0);
}

function clampInt(v: number): number {
  return Math.min(INT_MAX, Math.max(INT_MIN, v));
}

/** {@link Backend.unary}. */
export function unary(
  ctx: GpuContext,
  op: UnaryOp,
  a: Storage,
  av: View,
  outDtype: DType,
  params: readonly number[] = [],
): Storage {
  const s = ctx.live(a, op);
  const at = wgslType(s.dtype, op);
  const ot = wgslType(outDtype, op);
  if (op === "not" && s.dtype !== "bool") throw new TypeError(`webgpu not: input must be bool, got ${s.dtype}`);
  let fp: number[] = [];
  let ip: number[] = [];
  if (op === "leakyRelu") fp = [params[0] ?? 0.01];
  if (op === "softplus") fp = [params[0] ?? 1, params[1] ?? 20];
  if (op === "clamp") {
    const lo = params[0] ?? -Infinity;
    const hi = params[1] ?? Infinity;
    fp = [lo, hi];
    ip = [clampInt(Math.ceil(lo)), clampInt(Math.trunc(lo)), clampInt(Math.floor(hi)), clampInt(Math.trunc(hi))];
  }
  const key = `u:${op}:${at}:${ot}`;
  return runElementwise(ctx, op, key, () => unaryExpr(op, at, ot), outDtype, [{ s, v: av }], fp, ip);
}

/** {@link Backend.binary}. */
export function binary(ctx: GpuContext, op: BinaryOp, a: Storage, av: View, b: Storage, bv: View): Storage {
  const sa = ctx.live(a, op);
  const sb = ctx.live(b, op);
  if (sa.dtype !== sb.dtype) throw new TypeError(`webgpu ${op}: dtypes ${sa.dtype} and ${sb.dtype} differ`);
  const t = wgslType(sa.dtype, op);
  const outDtype: DType = binaryOutputsBool(op) ? "bool" : sa.dtype;
  const key = `b:${op}:${t}`;
  return runElementwise(ctx, op, key, () => binaryExpr(op, t), outDtype, [{ s: sa, v: av }, { s: sb, v: bv }]);
}

/** {@link Backend.where}. */
export function where(
  ctx: GpuContext,
  cond: Storage,
  cv: View,
  a: Storage,
  av: View,
  b: Storage,
  bv: View,
): Storage {
  const sc = ctx.live(cond, "where");
  const sa = ctx.live(a, "where");
  const sb = ctx.live(b, "where");
  if (sa.dtype !== sb.dtype) throw new TypeError(`webgpu where: dtypes ${sa.dtype} and ${sb.dtype} differ`);
  const ct = wgslType(sc.dtype, "where");
  const at = wgslType(sa.dtype, "where");
  return runElementwise(ctx, "where", `w:${ct}:${at}`, () => `select(z, y, x != ${ct}(0))`, sa.dtype, [
    { s: sc, v: cv },
    { s: sa, v: av },
    { s: sb, v: bv },
  ]);
}
