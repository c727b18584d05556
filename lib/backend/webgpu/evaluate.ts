/**
 * `Backend.evaluate` on WebGPU: the kernel of the lazy engine. A chain of elementwise ops over
 * operands of any dtype, read in full, broadcast or strided, runs as one generated kernel. The
 * source depends only on the program's structure ({@link structureKey}), the operands' and outputs'
 * storage types, how each operand is read and the output's collapsed rank: shapes, strides,
 * offsets and param values travel in the uniform, so a new shape or learning rate never compiles
 * again.
 * @module
 */
import type { DType, EvaluateLimits, Operand, Storage } from "../backend.ts";
import { readKind } from "../_view.ts";
import { type Expr, structureKey } from "../../ops/expr.ts";
import { lowerExprs } from "../../ops/lower.ts";
import type { ScalarType } from "../../ops/entry.ts";
import { renderWgsl, store } from "./codegen.ts";
import {
  type BindingKind,
  collapseDims,
  fillTemplate,
  TEMPLATES,
  UniformBlock,
  type WgslType,
  wgslType,
} from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";
import { streamLayout, vec4Binding } from "./stream.ts";
import type { Binding } from "./bind_groups.ts";

/** Words of the uniform block (one 256-byte slot). */
const UNIFORM_WORDS = 64;
/** Op and cast nodes per program: enough for long chains, small enough to compile quickly. */
const MAX_NODES = 256;
/** Distinct params per program. */
const MAX_PARAMS = 16;

const SCALAR: Record<WgslType, ScalarType> = { f32: "float", i32: "int", u32: "bool" };

/** The limits of {@link evaluate} on a device binding `maxStorageBuffers` storages per stage. */
export function evaluateLimits(maxStorageBuffers: number): EvaluateLimits {
  // (the walk's two words, per and width, come on top of the count the limits' formula names)
  return {
    inputs: Math.max(1, maxStorageBuffers - 1),
    params: MAX_PARAMS,
    nodes: MAX_NODES,
    words: UNIFORM_WORDS - HEADER + 1,
  };
}

/** Words before the operands' offsets: the element count, then the walk's `per` and `width` (stream.ts). */
const HEADER = 3;

/** Where each field of a variant's uniform block starts. */
interface Layout {
  /** Word of operand k's offset. */
  offset: (k: number) => number;
  /** First word of the collapsed dims. */
  dims: number;
  /** First word of strided operand k's strides (by operand index; -1 when not strided). */
  strides: number[];
  /** First word of the f32 params, then of the i32 params. */
  fparams: number;
  iparams: number;
  words: number;
}

function layoutOf(kinds: readonly string[], rank: number, params: number): Layout {
  let next = HEADER + kinds.length;
  const dims = next;
  next += rank;
  const strides = kinds.map((k) => {
    if (k !== "strided") return -1;
    const at = next;
    next += rank;
    return at;
  });
  const fparams = next;
  const iparams = fparams + params;
  return { offset: (k) => HEADER + k, dims, strides, fparams, iparams, words: iparams + params };
}

/** The `let j<k>` lines giving each operand's element index for element `i`. */
function indexing(kinds: readonly string[], rank: number, layout: Layout): string {
  const lines: string[] = [];
  if (kinds.includes("strided")) {
    // coordinates of i in the collapsed shape, innermost first
    lines.push("    var rem = i;");
    for (let d = rank - 1; d >= 0; d--) {
      lines.push(
        `    let n${d} = w_(${layout.dims + d}u);`,
        d === 0
          ? `    let c0 = i32(rem);`
          : `    let q${d} = rem / n${d}; let c${d} = i32(rem - q${d} * n${d}); rem = q${d};`,
      );
    }
  }
  kinds.forEach((kind, k) => {
    const off = `w_(${layout.offset(k)}u)`;
    if (kind === "dense") lines.push(`    let j${k} = ${off} + i;`);
    else if (kind === "scalar") lines.push(`    let j${k} = ${off};`);
    else {
      const terms = Array.from({ length: rank }, (_, d) => `c${d} * bitcast<i32>(w_(${layout.strides[k] + d}u))`);
      lines.push(`    let j${k} = u32(i32(${off}) + ${terms.join(" + ")});`);
    }
  });
  return lines.join("\n") + "\n";
}

/** The kernel source of one variant. */
function source(
  outputs: readonly Expr[],
  ins: readonly WgslType[],
  outs: readonly WgslType[],
  kinds: readonly string[],
  rank: number,
  layout: Layout,
  vec4: boolean,
): string {
  const program = lowerExprs(outputs, ins.map((t) => SCALAR[t]));
  const param = (k: number, t: ScalarType) => {
    const f = `bitcast<f32>(w_(${layout.fparams + k}u))`;
    return t === "int" ? `bitcast<i32>(w_(${layout.iparams + k}u))` : t === "float" ? f : `(${f} != 0.0)`;
  };
  const dense = (k: number) => vec4 && kinds[k] === "dense";
  const bindings = [
    ...outs.map((t, j) =>
      `@group(0) @binding(${j + 1}) var<storage, read_write> o${j}: array<${vec4 ? `vec4<${t}>` : t}>;`
    ),
    ...ins.map((t, k) =>
      `@group(0) @binding(${outs.length + k + 1}) var<storage, read> x${k}: array<${dense(k) ? `vec4<${t}>` : t}>;`
    ),
  ];
  if (!vec4) {
    const { body, outputs: values } = renderWgsl(program, {
      input: (k) => ({ expr: `x${k}[j${k}]`, storage: ins[k] }),
      param,
    }, "    ");
    return fillTemplate(TEMPLATES.evaluate, {
      BINDINGS: bindings.join("\n"),
      INDEX: indexing(kinds, rank, layout),
      BODY: body,
      STORES: values.map((v, j) => `    o${j}[i] = ${store(v.expr, v.type, outs[j])};`).join("\n"),
    });
  }
  // four elements per item: each dense operand is loaded as one vec4, the body runs per component
  const loads = ins.map((_, k) =>
    `    let q${k} = x${k}[${dense(k) ? `w_(${layout.offset(k)}u) + i` : `w_(${layout.offset(k)}u)`}];`
  );
  const lanes = [0, 1, 2, 3].map((c) => {
    const { body, outputs: values } = renderWgsl(program, {
      input: (k) => ({ expr: dense(k) ? `q${k}[${c}]` : `q${k}`, storage: ins[k] }),
      param,
    }, "    ");
    // every lane's lets get their own names
    return {
      body: body.replace(/\bv(\d+)\b/g, `v$1_${c}`),
      values: values.map((v) => ({ ...v, expr: v.expr.replace(/\bv(\d+)\b/g, `v$1_${c}`) })),
    };
  });
  return fillTemplate(TEMPLATES.evaluate, {
    BINDINGS: bindings.join("\n"),
    INDEX: loads.join("\n") + "\n",
    BODY: lanes.map((l) => l.body).join("\n"),
    STORES: outs.map((t, j) =>
      `    o${j}[i] = vec4<${t}>(${lanes.map((l) => store(l.values[j].expr, l.values[j].type, t)).join(", ")});`
    ).join("\n"),
  });
}

const F32 = new Float32Array(1);
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** `v` as an int kernel reads a param: truncated, saturated to the int32 range (NaN 0). */
function intParam(v: number): number {
  return Number.isNaN(v) ? 0 : Math.min(INT_MAX, Math.max(INT_MIN, Math.trunc(v)));
}

/** {@link Backend.evaluate}. */
export function evaluate(
  ctx: GpuContext,
  outputs: readonly Expr[],
  operands: readonly Operand[],
  outDtypes: readonly DType[],
  params: readonly number[],
): Storage[] {
  if (outputs.length === 0 || outputs.length !== outDtypes.length) {
    throw new RangeError(`webgpu evaluate: ${outputs.length} outputs but ${outDtypes.length} output dtypes`);
  }
  const limits = evaluateLimits(ctx.limits.maxStorageBuffersPerShaderStage);
  if (operands.length + outputs.length > limits.inputs + 1 || params.length > limits.params) {
    throw new RangeError(
      `webgpu evaluate: ${operands.length} operands, ${outputs.length} outputs and ${params.length} params ` +
        `exceed the device's ${limits.inputs + 1} storage bindings or ${limits.params} params`,
    );
  }
  const shape = operands[0]?.view.shape ?? [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (const o of operands) {
    if (o.view.shape.length !== shape.length || o.view.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `webgpu evaluate: operand shapes ${operands.map((x) => `[${x.view.shape}]`).join(", ")} differ`,
      );
    }
  }
  const ss: WebGPUStorage[] = operands.map((o) => ctx.live(o.storage, "evaluate"));
  const outs = outDtypes.map((dt) => ctx.alloc(n, dt, "evaluate"));
  if (n === 0) return outs;
  const kinds = operands.map((o) => readKind(o.view));
  // a chain that is only a dense operand (clone, a no-op cast) is a buffer copy: a memcpy on llvmpipe
  const only = outputs[0];
  if (
    outputs.length === 1 && "input" in only && kinds[only.input] === "dense" && ss[only.input].dtype === outDtypes[0]
  ) {
    ctx.copyRange(ss[only.input], operands[only.input].view.offset, outs[0], 0, n);
    return outs;
  }
  const stridedAt = kinds.flatMap((k, i) => (k === "strided" ? [i] : []));
  const cd = collapseDims(shape, stridedAt.map((i) => operands[i].view.strides));
  const rank = stridedAt.length ? Math.max(cd.shape.length, 1) : 0;
  const layout = layoutOf(kinds, rank, params.length);
  if (layout.words > UNIFORM_WORDS) {
    throw new RangeError(
      `webgpu evaluate: ${stridedAt.length} strided operands of rank ${rank} and ${params.length} params need ` +
        `${layout.words} uniform words (at most ${UNIFORM_WORDS}); realize part of the chain first`,
    );
  }
  // whole vec4s per item where every operand is read in full at a 4-aligned offset (or broadcast)
  // and every binding has room for the last item's padding (stream.ts, vec4Binding)
  let vec4 = kinds.every((k, i) => k === "scalar" || (k === "dense" && operands[i].view.offset % 4 === 0));
  const inBindings = ss.map((s, k) => (vec4 && kinds[k] === "dense" ? vec4Binding(ctx, s) : ctx.bind(s)));
  const outBindings = outs.map((s) => (vec4 ? vec4Binding(ctx, s) : ctx.bind(s)));
  if (vec4 && [...inBindings, ...outBindings].some((b) => b === null)) vec4 = false;
  const bindings = vec4
    ? [...outBindings as Binding[], ...inBindings as Binding[]]
    : [...outs.map((s) => ctx.bind(s)), ...ss.map((s) => ctx.bind(s))];
  const ins = ss.map((s) => wgslType(s.dtype, "evaluate"));
  const outTypes = outDtypes.map((dt) => wgslType(dt, "evaluate"));
  const key = `ev:${structureKey(outputs)}|${ins.join(",")}>${outTypes.join(",")}|${
    kinds.join(",")
  }|r${rank}|p${params.length}${vec4 ? "|v4" : ""}`;
  const bindingKinds: BindingKind[] = [
    ...outs.map((): BindingKind => "storage"),
    ...ss.map((): BindingKind => "read-only-storage"),
  ];
  const kernel = ctx.kernelFor(
    key,
    "main",
    bindingKinds,
    () => source(outputs, ins, outTypes, kinds, rank, layout, vec4),
  );
  const items = vec4 ? Math.ceil(n / 4) : n;
  const walk = streamLayout(ctx, items);
  const u = new UniformBlock().u32(0, items).u32(1, walk.per).u32(2, walk.width);
  operands.forEach((o, k) => u.u32(layout.offset(k), vec4 && kinds[k] === "dense" ? o.view.offset / 4 : o.view.offset));
  for (let d = 0; d < rank; d++) u.u32(layout.dims + d, cd.shape[d] ?? 1);
  stridedAt.forEach((k, s) => {
    for (let d = 0; d < rank; d++) u.i32(layout.strides[k] + d, cd.strides[s][d] ?? 0);
  });
  params.forEach((v, k) => {
    F32[0] = v;
    u.f32(layout.fparams + k, F32[0]).i32(layout.iparams + k, intParam(v));
  });
  ctx.run(kernel, u, bindings, walk.workgroups);
  return outs;
}
