/** gather / scatterAdd with clamped indices and deferred range faults. @module */
import type { GatherArgs, ScatterAddArgs, Storage } from "../backend.ts";
import { checkIndexShape, checkScatterShapes, contiguousStrides, numel } from "../_view.ts";
import { fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import { copyContiguous } from "./misc.ts";
import type { GpuContext } from "./storage.ts";

const CAS_ADD = `var old = atomicLoad(&out[j]);
  loop {
    let r = atomicCompareExchangeWeak(&out[j], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;

/** {@link Backend.gather}. */
export function gather(ctx: GpuContext, args: GatherArgs): Storage {
  const { source: { storage: a, view: av }, dim, index: { storage: idx, view: iv }, opName } = args;
  const sa = ctx.live(a, opName);
  const si = ctx.live(idx, opName);
  if (si.dtype !== "int32") throw new TypeError(`${opName}: index must be int32, got ${si.dtype}`);
  checkIndexShape(opName, iv.shape, av.shape, dim);
  const t = wgslType(sa.dtype, opName);
  const n = numel(iv.shape);
  const out = ctx.alloc(n, sa.dtype, opName);
  if (n === 0) return out;
  const size = av.shape[dim];
  const kernel = ctx.kernelFor(
    `gather:${t}`,
    "gather",
    ["storage", "storage", "read-only-storage", "read-only-storage"],
    () => fillTemplate(TEMPLATES.index, { T: t, OUT_ELEM: t, GATHER_STORE: "out[i] = src[ai];", ADD: "" }),
  );
  const u = new UniformBlock()
    .u32(0, n).u32(1, iv.shape.length).u32(2, dim).u32(3, size)
    .u32(4, av.offset).u32(5, iv.offset).fault(7, ctx.registerFault(opName, dim, size))
    .dims(8, iv.shape).strides(16, av.strides).strides(24, iv.strides);
  ctx.run(kernel, u, [ctx.bind(out), ctx.faultBinding(), ctx.bind(si), ctx.bind(sa)], Math.ceil(n / 64));
  return out;
}

/** {@link Backend.scatterAdd}. */
export function scatterAdd(ctx: GpuContext, args: ScatterAddArgs): Storage {
  const { base, shape, dim, index: { storage: idx, view: iv }, src: { storage: src, view: sv }, opName } = args;
  const sb = ctx.live(base, opName);
  const si = ctx.live(idx, opName);
  const ss = ctx.live(src, opName);
  if (si.dtype !== "int32") throw new TypeError(`${opName}: index must be int32, got ${si.dtype}`);
  if (sb.dtype !== ss.dtype || (sb.dtype !== "float32" && sb.dtype !== "int32")) {
    wgslType(sb.dtype, opName);
    throw new TypeError(`${opName}: scatterAdd needs float32 or int32 base and source, got ${sb.dtype}, ${ss.dtype}`);
  }
  checkScatterShapes(opName, sb.size, shape, dim, iv, sv);
  const out = copyContiguous(ctx, sb, opName);
  const n = numel(iv.shape);
  if (n === 0) return out;
  const t = wgslType(sb.dtype, opName);
  const size = shape[dim];
  const kernel = ctx.kernelFor(
    `scatter:${t}`,
    "scatter",
    ["storage", "storage", "read-only-storage", "read-only-storage"],
    () =>
      fillTemplate(TEMPLATES.index, {
        T: t,
        OUT_ELEM: t === "f32" ? "atomic<u32>" : "atomic<i32>",
        GATHER_STORE: "",
        ADD: t === "f32" ? CAS_ADD : "atomicAdd(&out[j], v);",
      }),
  );
  const u = new UniformBlock()
    .u32(0, n).u32(1, iv.shape.length).u32(2, dim).u32(3, size)
    .u32(5, iv.offset).u32(6, sv.offset).fault(7, ctx.registerFault(opName, dim, size))
    .dims(8, iv.shape).strides(16, contiguousStrides(shape)).strides(24, iv.strides).strides(32, sv.strides);
  ctx.run(kernel, u, [ctx.bind(out), ctx.faultBinding(), ctx.bind(si), ctx.bind(ss)], Math.ceil(n / 64));
  return out;
}
