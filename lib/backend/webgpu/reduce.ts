/** Reductions (sum/prod/max/min) and argmax/argmin. @module */
import type { DType, ReduceOp, Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { REDUCE_PRIMITIVES } from "../../ops/tensor_ops.ts";
import { elementwiseEntry } from "../../ops/table.ts";
import type { PrimitiveCode, ScalarType } from "../../ops/entry.ts";
import { wgslFloat } from "./codegen.ts";
import {
  collapseDims,
  fillTemplate,
  LOOP_BUDGET,
  TEMPLATES,
  UniformBlock,
  type WgslType,
  wgslType,
} from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

const KINDS = ["storage", "read-only-storage"] as const;

/** Reduced extents at or above this use the workgroup-parallel tree kernel. */
export const TREE_THRESHOLD = 256;

/** Partials per output in the two-pass path (below TREE_THRESHOLD, so pass 2 is one short loop). */
const GROUPS = 128;
/** Outputs up to which long reductions take the two-pass path instead of one workgroup per output. */
const CHUNKED_MAX_OUTPUTS = 8192;

const SCALAR: Record<WgslType, ScalarType> = { f32: "float", i32: "int", u32: "bool" };

/** The accumulator's start: the reduction's identity from its table entry. */
function identity(op: ReduceOp, t: WgslType): string {
  const v = REDUCE_PRIMITIVES[op].identity[SCALAR[t]];
  if (t === "f32") return wgslFloat(v);
  if (t === "i32") return v === -2147483648 ? "i32(-2147483647 - 1)" : `i32(${v})`;
  return `${v}u`;
}

/**
 * `acc` combined with `v`: the WGSL of the combining op's table entry (bool accumulators are
 * u32 0/1, for which the integer code is valid too).
 */
function combine(op: ReduceOp, t: WgslType): string {
  const code = (elementwiseEntry(REDUCE_PRIMITIVES[op].combine).forward as PrimitiveCode).wgsl;
  const text = t === "f32" ? code.float : code.int;
  if (text === undefined) throw new TypeError(`webgpu reduce: ${op} has no WGSL for ${t}`);
  return text.replace("$0", "acc").replace("$1", "v");
}

/** The reduce family's WGSL for `op` from `inT` elements into an `outT` accumulator. */
function source(op: ReduceOp, inT: WgslType, outT: WgslType): string {
  return fillTemplate(TEMPLATES.reduce, {
    OUT: outT,
    IN: inT,
    ACC: outT,
    INIT: identity(op, outT),
    LOAD: `${outT}(v)`,
    COMBINE: combine(op, outT),
    BETTER: "false",
    NOT_NAN: "true",
    V_NOT_NAN: "true",
  });
}

function uniformFor(
  nout: number,
  nred: number,
  kept: { shape: number[]; strides: number[][] },
  red: { shape: number[]; strides: number[][] },
  offset: number,
): UniformBlock {
  return new UniformBlock()
    .u32(0, nout)
    .u32(1, nred)
    .u32(2, kept.shape.length)
    .u32(3, red.shape.length)
    .u32(4, offset)
    .dims(8, kept.shape)
    .strides(16, kept.strides[0])
    .dims(24, red.shape)
    .strides(32, red.strides[0]);
}

function split(av: View, axes: readonly number[]) {
  const keep: number[] = [];
  for (let d = 0; d < av.shape.length; d++) if (!axes.includes(d)) keep.push(d);
  const kept = collapseDims(keep.map((d) => av.shape[d]), [keep.map((d) => av.strides[d])]);
  const red = collapseDims(axes.map((d) => av.shape[d]), [axes.map((d) => av.strides[d])]);
  return { keep, kept, red };
}

/** {@link Backend.reduce}. */
export function reduce(ctx: GpuContext, op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
  const s = ctx.live(a, op);
  const inT = wgslType(s.dtype, op);
  const outDtype: DType = REDUCE_PRIMITIVES[op].widensToInt && s.dtype === "bool" ? "int32" : s.dtype;
  const outT = wgslType(outDtype, op);
  const outShape = av.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const nout = numel(outShape);
  if (nout === 0) return ctx.alloc(0, outDtype, op);
  const { kept, red } = split(av, axes);
  const nred = numel(axes.map((d) => av.shape[d]));
  const tree = nred >= TREE_THRESHOLD;
  const kernel = ctx.kernelFor(
    `reduce:${op}:${inT}:${outT}`,
    tree ? "tree" : "small",
    KINDS,
    () => source(op, inT, outT),
  );
  if (tree && nout <= CHUNKED_MAX_OUTPUTS) {
    // Two passes: `groups` interleaved partials per output, then the same reduction over those.
    // Each invocation should combine a few dozen elements at least (with thousands of outputs and
    // short rows, per-invocation overhead otherwise dominates on llvmpipe), and at most
    // LOOP_BUDGET (llvmpipe silently ends an invocation's loops after 65,535 steps).
    const groups = Math.max(Math.min(GROUPS, Math.max(8, Math.ceil(nred / 64))), Math.ceil(nred / LOOP_BUDGET));
    const partials = ctx.alloc(nout * groups, outDtype, op);
    const chunked = ctx.kernelFor(`reduce:${op}:${inT}:${outT}`, "chunked", KINDS, () => source(op, inT, outT));
    const u = uniformFor(nout, nred, kept, red, av.offset).u32(5, groups);
    ctx.run(chunked, u, [ctx.bind(partials), ctx.bind(s)], Math.ceil((nout * groups) / 64));
    const second = reduce(ctx, op, partials, { shape: [nout, groups], strides: [groups, 1], offset: 0 }, [1]);
    ctx.free(partials);
    return second;
  }
  const out = ctx.alloc(nout, outDtype, op);
  const u = uniformFor(nout, nred, kept, red, av.offset);
  ctx.run(kernel, u, [ctx.bind(out), ctx.bind(s)], tree ? nout : Math.ceil(nout / 64));
  return out;
}

/** {@link Backend.argReduce}. */
export function argReduce(
  ctx: GpuContext,
  op: "argmax" | "argmin",
  a: Storage,
  av: View,
  axis: number,
): Storage {
  const s = ctx.live(a, op);
  const t = wgslType(s.dtype, op);
  const outShape = av.shape.map((d, i) => (i === axis ? 1 : d));
  const nout = numel(outShape);
  const len = av.shape[axis];
  if (len === 0 && nout > 0) throw new RangeError(`${op}: cannot reduce over an empty dimension ${axis}`);
  const out = ctx.alloc(len === 0 ? 0 : nout, "int32", op);
  if (nout === 0 || len === 0) return out;
  const { kept } = split(av, [axis]);
  const red = { shape: [len], strides: [[av.strides[axis]]] };
  const kernel = ctx.kernelFor(`reduce:${op}:${t}`, "arg", KINDS, () =>
    fillTemplate(TEMPLATES.reduce, {
      OUT: "i32",
      IN: t,
      ACC: t,
      INIT: `${t}(0)`,
      LOAD: "v",
      COMBINE: "v",
      BETTER: op === "argmax" ? "v > best" : "v < best",
      NOT_NAN: t === "f32" ? "!f32_is_nan(best)" : "true",
      V_NOT_NAN: t === "f32" ? "!f32_is_nan(v)" : "true",
    }));
  ctx.run(kernel, uniformFor(nout, len, kept, red, av.offset), [ctx.bind(out), ctx.bind(s)], Math.ceil(nout / 64));
  return out;
}
