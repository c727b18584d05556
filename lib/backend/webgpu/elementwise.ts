/**
 * The elementwise kernel (`Backend.elementwise`): any op of the table over up to three strided,
 * broadcast operands. The WGSL comes from the op's table entry through the lowering and the
 * WGSL generator (codegen.ts); op params travel in the uniform block, each both as f32 and as a
 * saturated i32, so the kernel reads whichever type the op computes in and never recompiles for
 * new values.
 * @module
 */
import type { DType, Operand } from "../backend.ts";
import { numel } from "../_view.ts";
import { elementwiseEntry, type ElementwiseOp } from "../../ops/table.ts";
import { lowerExprs } from "../../ops/lower.ts";
import type { ScalarType } from "../../ops/entry.ts";
import { load, renderWgsl, store } from "./codegen.ts";
import { collapseDims, fillTemplate, TEMPLATES, UniformBlock, type WgslType, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/** Most workgroups one elementwise dispatch launches; the kernel loops over the rest (see elementwise.wgsl). */
const MAX_WORKGROUPS = 1024;
/** Op params the uniform block holds (`fp`/`ip`, one vec4 each). */
const MAX_PARAMS = 4;
/** Operands the kernel binds. */
const MAX_OPERANDS = 3;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const SCALAR: Record<WgslType, ScalarType> = { f32: "float", i32: "int", u32: "bool" };

/** `e`, a value of storage type `from`, converted to storage type `to` (the backend's cast rules). */
export function castStorage(e: string, from: WgslType, to: WgslType): string {
  if (from === to) return e;
  return store(load(e, from, SCALAR[from]), SCALAR[from], to);
}

const OPERAND_NAMES = ["a", "b", "c"] as const;
const INDEX_NAMES = ["ia", "ib", "ic"] as const;
const PARAM_SLOTS = ["x", "y", "z", "w"] as const;

/** The kernel's WGSL for `op` reading operands of storage types `ins` into `out`. */
function source(op: ElementwiseOp, ins: readonly WgslType[], out: WgslType, rank: number): string {
  const entry = elementwiseEntry(op);
  const expr = {
    op,
    args: ins.map((_, k) => ({ input: k })),
    params: Object.keys(entry.params).map((_, k) => ({ param: k })),
  };
  const program = lowerExprs([expr], ins.map((t) => SCALAR[t]));
  const { body, outputs } = renderWgsl(program, {
    input: (k) => ({ expr: `${OPERAND_NAMES[k]}[${INDEX_NAMES[k]}]`, storage: ins[k] }),
    param: (k, t) =>
      t === "int"
        ? `u.ip.${PARAM_SLOTS[k]}`
        : t === "float"
        ? `u.fp.${PARAM_SLOTS[k]}`
        : `(u.fp.${PARAM_SLOTS[k]} != 0.0)`,
  }, "    ");
  return fillTemplate(TEMPLATES.elementwise, {
    INDEX: rank <= 1 ? INDEXING.linear : rank === 2 ? INDEXING.rank2 : unrolledIndex(rank),
    OUT: out,
    A: ins[0],
    B: ins[1] ?? ins[0],
    C: ins[2] ?? ins[0],
    BODY: body,
    RESULT: store(outputs[0].expr, outputs[0].type, out),
  });
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

const ZEROS: number[][] = [];

/** A shared all-zero stride list of length `r` (never mutated). */
function zeros(r: number): number[] {
  return ZEROS[r] ??= new Array(r).fill(0);
}

/** `v` as an int kernel reads a param: truncated, saturated to the int32 range. */
function intParam(v: number): number {
  return Math.min(INT_MAX, Math.max(INT_MIN, Math.trunc(v)));
}

function checkOperands(op: string, operands: readonly Operand[]): void {
  const shape = operands[0].view.shape;
  for (const { view } of operands) {
    if (view.shape.length !== shape.length || view.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`webgpu ${op}: view shapes [${operands.map((o) => `[${o.view.shape}]`).join(", ")}] differ`);
    }
    if (view.strides.length !== view.shape.length) {
      throw new RangeError(`webgpu ${op}: view has ${view.shape.length} dims but ${view.strides.length} strides`);
    }
  }
}

/** {@link Backend.elementwise}. */
export function elementwise(
  ctx: GpuContext,
  op: ElementwiseOp,
  operands: readonly Operand[],
  outDtype: DType,
  params: readonly number[] = [],
): WebGPUStorage {
  const entry = elementwiseEntry(op);
  if (operands.length !== entry.args.length || operands.length > MAX_OPERANDS) {
    throw new RangeError(`webgpu ${op}: expected ${entry.args.length} operands, got ${operands.length}`);
  }
  if (params.length > MAX_PARAMS) throw new RangeError(`webgpu ${op}: at most ${MAX_PARAMS} params`);
  checkOperands(op, operands);
  const ss = operands.map((o) => ctx.live(o.storage, op));
  if (entry.policy !== "select" && entry.policy !== "copy" && ss.some((s) => s.dtype !== ss[0].dtype)) {
    throw new TypeError(`webgpu ${op}: dtypes ${ss.map((s) => s.dtype).join(" and ")} differ`);
  }
  if (entry.policy === "select" && ss[1].dtype !== ss[2].dtype) {
    throw new TypeError(`webgpu ${op}: dtypes ${ss[1].dtype} and ${ss[2].dtype} differ`);
  }
  const types = ss.map((s) => wgslType(s.dtype, op));
  const outType = wgslType(outDtype, op);
  const shape = operands[0].view.shape;
  const n = numel(shape);
  const out = ctx.alloc(n, outDtype, op);
  if (n === 0) return out;
  const views = operands.map((o) => o.view);
  const strides = [0, 1, 2].map((k) => views[k]?.strides ?? zeros(shape.length));
  const cd = collapseDims(shape, strides);
  const rank = Math.max(cd.shape.length, 1);
  const kernel = ctx.kernelFor(
    `ew:${op}:${types.join(",")}:${outType}|r${rank}`,
    "main",
    EW_KINDS,
    () => source(op, types, outType, rank),
  );
  const u = new UniformBlock()
    .u32(0, n)
    .u32(1, cd.shape.length)
    .u32(4, views[0].offset)
    .u32(5, views[1]?.offset ?? 0)
    .u32(6, views[2]?.offset ?? 0)
    .dims(16, cd.shape)
    .strides(24, cd.strides[0])
    .strides(32, cd.strides[1])
    .strides(40, cd.strides[2]);
  for (let i = 0; i < params.length; i++) u.f32(8 + i, params[i]).i32(12 + i, intParam(params[i]));
  const a = ss[0], b = ss[1] ?? a, c = ss[2] ?? a;
  ctx.run(
    kernel,
    u,
    [ctx.bind(out), ctx.bind(a), ctx.bind(b), ctx.bind(c)],
    Math.min(Math.ceil(n / 64), MAX_WORKGROUPS),
  );
  return out;
}
