/**
 * scatterReduce on webgpu: the index family's scatter kernel (kernels/index.wgsl) with the
 * atomic add replaced by the reduction. WGSL has no float atomics, so f32 values fold in through
 * a compare-exchange loop on their bit pattern (as scatterAdd's add does); i32 and bool use the
 * native atomicMax/atomicMin/atomicStore. Products fold in whatever order the threads arrive, so
 * float products may differ from the cpu's in the last bits.
 * @module
 */
import type { ScatterReduceArgs, ScatterReduceOp, Storage } from "../backend.ts";
import { checkScatterShapes, contiguousStrides, numel } from "../_view.ts";
import { fillTemplate, TEMPLATES, UniformBlock, type WgslType, wgslType } from "./kernels.ts";
import { copyContiguous } from "./misc.ts";
import type { GpuContext } from "./storage.ts";

/** A compare-exchange loop storing `combined` (an expression of the old value `a` and `v`) at out[j]. */
function casLoop(t: WgslType, combined: string): string {
  const load = t === "f32" ? "bitcast<f32>(old)" : "old";
  const store = t === "f32" ? `bitcast<u32>(${combined})` : combined;
  return `var old = atomicLoad(&out[j]);
  loop {
    let a = ${load};
    let r = atomicCompareExchangeWeak(&out[j], old, ${store});
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
}

/** The WGSL statement folding `v` into out[j]. */
function combineStatement(reduce: ScatterReduceOp, t: WgslType): string {
  if (reduce === "replace") return t === "f32" ? "atomicStore(&out[j], bitcast<u32>(v));" : "atomicStore(&out[j], v);";
  if (t === "f32") {
    // NaN propagates as in PyTorch's amax/amin (WGSL's max/min may drop it)
    const nan = "a != a || v != v";
    if (reduce === "prod") return casLoop(t, "a * v");
    return casLoop(t, `select(${reduce === "amax" ? "max" : "min"}(a, v), a + v, ${nan})`);
  }
  if (reduce === "amax") return "atomicMax(&out[j], v);";
  if (reduce === "amin") return "atomicMin(&out[j], v);";
  return t === "u32" ? "atomicAnd(&out[j], v);" : casLoop(t, "a * v");
}

/** {@link Backend.scatterReduce}. */
export function scatterReduce(ctx: GpuContext, args: ScatterReduceArgs): Storage {
  const { base, shape, dim, index: { storage: idx, view: iv }, src: { storage: src, view: sv }, reduce, opName } = args;
  const sb = ctx.live(base, opName);
  const si = ctx.live(idx, opName);
  const ss = ctx.live(src, opName);
  if (si.dtype !== "int32") throw new TypeError(`${opName}: index must be int32, got ${si.dtype}`);
  if (sb.dtype !== ss.dtype) throw new TypeError(`${opName}: base is ${sb.dtype} but source is ${ss.dtype}`);
  checkScatterShapes(opName, sb.size, shape, dim, iv, sv);
  const t = wgslType(sb.dtype, opName);
  const out = copyContiguous(ctx, sb, opName);
  const n = numel(iv.shape);
  if (n === 0) return out;
  const size = shape[dim];
  const atomic = t === "f32" ? "atomic<u32>" : `atomic<${t}>`;
  const kernel = ctx.kernelFor(
    `scatter-${reduce}:${t}`,
    "scatter",
    ["storage", "storage", "read-only-storage", "read-only-storage"],
    () => fillTemplate(TEMPLATES.index, { T: t, OUT_ELEM: atomic, GATHER_STORE: "", ADD: combineStatement(reduce, t) }),
  );
  const u = new UniformBlock()
    .u32(0, n).u32(1, iv.shape.length).u32(2, dim).u32(3, size)
    .u32(5, iv.offset).u32(6, sv.offset).fault(7, ctx.registerFault(opName, dim, size))
    .dims(8, iv.shape).strides(16, contiguousStrides(shape)).strides(24, iv.strides).strides(32, sv.strides);
  ctx.run(kernel, u, [ctx.bind(out), ctx.faultBinding(), ctx.bind(si), ctx.bind(ss)], Math.ceil(n / 64));
  return out;
}
