/**
 * Cross entropy with class indices on WebGPU: one workgroup per row, forward and backward in
 * one dispatch each (kernels/cross_entropy.wgsl). Range faults are deferred as in gather.
 * @module
 */
import type { CrossEntropyArgs, CrossEntropyBackwardArgs, Storage } from "../backend.ts";
import { type BindingKind, fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/** Most classes for which one invocation walks a whole row (`ce_*_rows`), 64 rows per workgroup. */
const ROW_CLASSES = 64;

const KINDS: readonly BindingKind[] = [
  "storage",
  "storage",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
  "storage",
];

interface Rows {
  logits: WebGPUStorage;
  target: WebGPUStorage;
  weight: WebGPUStorage;
  uniform: UniformBlock;
}

function prepare(ctx: GpuContext, a: CrossEntropyArgs): Rows {
  const { rows, classes, opName } = a;
  const x = ctx.live(a.logits, opName);
  const t = ctx.live(a.target, opName);
  const w = a.weight ? ctx.live(a.weight, opName) : x;
  wgslType(x.dtype, opName);
  if (x.dtype !== "float32" || w.dtype !== "float32" || t.dtype !== "int32") {
    throw new TypeError(
      `webgpu ${opName}: needs float32 logits and weight and int32 targets, got ${x.dtype}, ${w.dtype}, ${t.dtype}`,
    );
  }
  if (x.size !== rows * classes || t.size !== rows || (a.weight && w.size !== classes)) {
    throw new RangeError(
      `webgpu ${opName}: storages of ${x.size}, ${t.size} and ${a.weight ? w.size : "no"} elements do not fit ` +
        `${rows} rows of ${classes} classes`,
    );
  }
  const uniform = new UniformBlock()
    .u32(0, rows).u32(1, classes).i32(2, a.ignoreIndex).u32(3, a.weight ? 1 : 0).f32(4, a.labelSmoothing)
    .fault(5, ctx.registerFault(opName, 1, classes));
  return { logits: x, target: t, weight: w, uniform };
}

/** {@link Backend.crossEntropy}. */
export function crossEntropy(ctx: GpuContext, a: CrossEntropyArgs): [Storage, Storage] {
  const p = prepare(ctx, a);
  const loss = ctx.alloc(a.rows, "float32", a.opName);
  const rowWeight = ctx.alloc(a.rows, "float32", a.opName);
  const rowwise = a.classes <= ROW_CLASSES;
  const entry = rowwise ? "ce_forward_rows" : "ce_forward";
  const kernel = ctx.kernelFor("ce", entry, KINDS, () => fillTemplate(TEMPLATES.crossEntropy, {}));
  const b = [ctx.bind(loss), ctx.faultBinding(), ctx.bind(p.target), ctx.bind(p.logits), ctx.bind(p.weight)];
  ctx.run(kernel, p.uniform, [...b, ctx.bind(rowWeight)], rowwise ? Math.ceil(a.rows / 64) : a.rows);
  return [loss, rowWeight];
}

/** {@link Backend.crossEntropyBackward}. */
export function crossEntropyBackward(ctx: GpuContext, a: CrossEntropyBackwardArgs): Storage {
  const { rows, opName } = a;
  const p = prepare(ctx, a);
  const g = ctx.live(a.gradRows, opName);
  if (g.size !== rows || g.dtype !== "float32") {
    throw new RangeError(`webgpu ${opName}: gradient of ${g.size} ${g.dtype} elements; expected ${rows} float32`);
  }
  const out = ctx.alloc(rows * a.classes, "float32", opName);
  const rowwise = a.classes <= ROW_CLASSES;
  const entry = rowwise ? "ce_backward_rows" : "ce_backward";
  const kernel = ctx.kernelFor("ce", entry, KINDS, () => fillTemplate(TEMPLATES.crossEntropy, {}));
  const b = [ctx.bind(out), ctx.faultBinding(), ctx.bind(p.target), ctx.bind(p.logits), ctx.bind(p.weight)];
  ctx.run(kernel, p.uniform, [...b, ctx.bind(g)], rowwise ? Math.ceil(rows / 64) : rows);
  return out;
}
