/**
 * {@link Backend.sort} on WebGPU (kernels/sort.wgsl): bitonic networks over (value, position)
 * pairs, so the result is the stable sort and matches the cpu and reference backends. Rows of up
 * to {@link ROW_CAP} elements sort in one dispatch, one workgroup per row in workgroup memory;
 * longer rows sort in global scratch memory, one dispatch per network stage (⌈log₂ n⌉·(⌈log₂ n⌉+1)/2
 * of them). Any view is read as it is: the kernels address rows through the view's strides.
 * @module
 */
import sortSrc from "../../../kernels/sort.wgsl" with { type: "text" };
import type { Storage, View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import { type BindingKind, fillTemplate, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

/** The longest row sorted in workgroup memory (`CAP` in sort.wgsl). */
export const ROW_CAP = 1024;
const WG = 64;
const ROW_KINDS: readonly BindingKind[] = ["storage", "storage", "read-only-storage"];
const GLOBAL_KINDS: readonly BindingKind[] = [...ROW_KINDS, "storage", "storage"];

/** {@link Backend.sort}: float32 and int32 (the tensor layer sorts bool as int32). */
export function sort(
  ctx: GpuContext,
  x: Storage,
  xv: View,
  axis: number,
  descending: boolean,
): { values: Storage; indices: Storage } {
  const op = "sort";
  const sx = ctx.live(x, op);
  const t = wgslType(sx.dtype, op);
  if (t === "u32") throw new TypeError("webgpu sort: bool values are sorted as int32; cast them first");
  const n = numel(xv.shape);
  const values = ctx.alloc(n, sx.dtype, op), indices = ctx.alloc(n, "int32", op);
  if (n === 0) return { values, indices };
  const len = xv.shape[axis], rows = n / len;
  const order = [...xv.shape.keys()].filter((d) => d !== axis).concat([axis]);
  const outStrides = contiguousStrides(xv.shape);
  let padded = 1;
  while (padded < len) padded *= 2;
  const uniform = (k = 0, j = 0) =>
    new UniformBlock()
      .u32(0, rows).u32(1, len).u32(2, padded).u32(3, descending ? 1 : 0)
      .u32(4, xv.shape.length).u32(5, xv.offset).u32(6, k).u32(7, j)
      .dims(8, order.map((d) => xv.shape[d]))
      .strides(16, order.map((d) => xv.strides[d]))
      .strides(24, order.map((d) => outStrides[d]));
  const source = () => fillTemplate(sortSrc, { T: t, IS_NAN: t === "f32" ? "f32_is_nan(v)" : "false" });
  const kernel = (entry: string, kinds: readonly BindingKind[]) => ctx.kernelFor(`sort:${t}`, entry, kinds, source);
  if (padded <= ROW_CAP) {
    ctx.run(kernel("sort_rows", ROW_KINDS), uniform(), [ctx.bind(values), ctx.bind(indices), ctx.bind(sx)], rows);
    return { values, indices };
  }
  const keys = ctx.alloc(rows * padded, sx.dtype, op), slots = ctx.alloc(rows * padded, "int32", op);
  const bindings = [values, indices, sx, keys, slots].map((s) => ctx.bind(s));
  ctx.run(kernel("sort_init", GLOBAL_KINDS), uniform(), bindings, Math.ceil((rows * padded) / WG));
  const step = kernel("sort_step", GLOBAL_KINDS);
  for (let k = 2; k <= padded; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) ctx.run(step, uniform(k, j), bindings, Math.ceil((rows * padded) / 2 / WG));
  }
  ctx.run(kernel("sort_store", GLOBAL_KINDS), uniform(), bindings, Math.ceil(n / WG));
  ctx.free(keys);
  ctx.free(slots);
  return { values, indices };
}
