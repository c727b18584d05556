/**
 * Softmax, log-softmax and layer norm over the last dim on WebGPU: one workgroup per row, forward
 * and backward (gx) in one dispatch each (kernels/softmax.wgsl, kernels/layer_norm.wgsl); the
 * layer-norm weight and bias gradients are column sums over row chunks, then over the chunks
 * (kernels/layer_norm_params.wgsl).
 * @module
 */
import layerNormParamsSrc from "../../../kernels/layer_norm_params.wgsl" with { type: "text" };
import type { LayerNormArgs, LayerNormBackwardArgs, LayerNormGrads, LayerNormOutputs, Storage } from "../backend.ts";
import { type BindingKind, fillTemplate, LOOP_BUDGET, TEMPLATES, UniformBlock } from "./kernels.ts";
import type { Binding } from "./recorder.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

const SOFTMAX_KINDS: readonly BindingKind[] = ["storage", "read-only-storage", "read-only-storage"];
const LN_KINDS: readonly BindingKind[] = [
  "storage",
  "storage",
  "storage",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
];
const PARAM_KINDS: readonly BindingKind[] = [
  "storage",
  "storage",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
  "read-only-storage",
];
/** Rows each `ln_params` workgroup sums before the partials are added up. */
const CHUNK_ROWS = 64;

/**
 * Whether to run one thread per row (the `_rows` entries, no barriers) rather than one workgroup
 * per row: unless there are few rows for their length. Measured on Mesa's llvmpipe, where
 * barriers are dear, one thread per row was 2–10x faster from 33 rows of 1000 up to 8192 of 128.
 */
function threadPerRow(rows: number, cols: number): boolean {
  // A thread walks its whole row, so rows longer than LOOP_BUDGET go one workgroup per row
  // (llvmpipe silently ends longer loops).
  return rows >= Math.max(16, cols / 64) && cols <= LOOP_BUDGET;
}

/** Runs `entry` (or its one-thread-per-row `_rows` variant) over `rows`. */
function runRows(
  ctx: GpuContext,
  family: string,
  src: string,
  entry: string,
  kinds: readonly BindingKind[],
  u: UniformBlock,
  bindings: Binding[],
  rows: number,
  cols: number,
): void {
  const perThread = threadPerRow(rows, cols);
  const name = perThread ? `${entry}_rows` : entry;
  const kernel = ctx.kernelFor(family, name, kinds, () => fillTemplate(src, {}));
  ctx.run(kernel, u, bindings, perThread ? Math.ceil(rows / 64) : rows);
}

/** The live float32 storage `s` of exactly `size` elements. */
function f32(ctx: GpuContext, s: Storage, size: number, what: string, op: string): WebGPUStorage {
  const w = ctx.live(s, op);
  if (w.dtype !== "float32" || w.size !== size) {
    throw new RangeError(`webgpu ${op}: ${what} is ${w.dtype} with ${w.size} elements; expected float32 with ${size}`);
  }
  return w;
}

/** {@link Backend.softmax}. */
export function softmax(ctx: GpuContext, x: Storage, rows: number, cols: number, log: boolean): Storage {
  const op = log ? "logSoftmax" : "softmax";
  const xs = f32(ctx, x, rows * cols, "x", op);
  const out = ctx.alloc(rows * cols, "float32", op);
  if (rows * cols === 0) return out;
  const u = new UniformBlock().u32(0, rows).u32(1, cols).u32(2, log ? 1 : 0);
  const b = [ctx.bind(out), ctx.bind(xs), ctx.bind(xs)];
  runRows(ctx, "softmax", TEMPLATES.softmax, "softmax_forward", SOFTMAX_KINDS, u, b, rows, cols);
  return out;
}

/** {@link Backend.softmaxBackward}. */
export function softmaxBackward(
  ctx: GpuContext,
  y: Storage,
  gy: Storage,
  rows: number,
  cols: number,
  log: boolean,
): Storage {
  const op = log ? "logSoftmax backward" : "softmax backward";
  const ys = f32(ctx, y, rows * cols, "y", op), gs = f32(ctx, gy, rows * cols, "gy", op);
  const out = ctx.alloc(rows * cols, "float32", op);
  if (rows * cols === 0) return out;
  const u = new UniformBlock().u32(0, rows).u32(1, cols).u32(2, log ? 1 : 0);
  const b = [ctx.bind(out), ctx.bind(ys), ctx.bind(gs)];
  runRows(ctx, "softmax", TEMPLATES.softmax, "softmax_backward", SOFTMAX_KINDS, u, b, rows, cols);
  return out;
}

/** {@link Backend.layerNorm}. */
export function layerNorm(ctx: GpuContext, a: LayerNormArgs): LayerNormOutputs {
  const op = "layerNorm";
  const { rows, cols } = a;
  const xs = f32(ctx, a.x, rows * cols, "x", op);
  const ws = a.weight ? f32(ctx, a.weight, cols, "weight", op) : xs;
  const bs = a.bias ? f32(ctx, a.bias, cols, "bias", op) : xs;
  const y = ctx.alloc(rows * cols, "float32", op);
  const mean = ctx.alloc(rows, "float32", op), rstd = ctx.alloc(rows, "float32", op);
  if (rows * cols === 0) return { y, mean, rstd };
  const u = new UniformBlock().u32(0, rows).u32(1, cols).u32(2, a.weight ? 1 : 0).u32(3, a.bias ? 1 : 0)
    .f32(4, a.eps);
  const b = [ctx.bind(y), ctx.bind(mean), ctx.bind(rstd), ctx.bind(xs), ctx.bind(ws), ctx.bind(bs)];
  runRows(ctx, "layerNorm", TEMPLATES.layerNorm, "ln_forward", LN_KINDS, u, b, rows, cols);
  return { y, mean, rstd };
}

/** {@link Backend.layerNormBackward}. */
export function layerNormBackward(ctx: GpuContext, a: LayerNormBackwardArgs): LayerNormGrads {
  const op = "layerNorm backward";
  const { rows, cols, grads } = a;
  const xs = f32(ctx, a.x, rows * cols, "x", op), gs = f32(ctx, a.gy, rows * cols, "gy", op);
  const ms = f32(ctx, a.mean, rows, "mean", op), rs = f32(ctx, a.rstd, rows, "rstd", op);
  const ws = a.weight ? f32(ctx, a.weight, cols, "weight", op) : xs;
  const gx = ctx.alloc(rows * cols, "float32", op);
  if (rows * cols > 0) {
    const u = new UniformBlock().u32(0, rows).u32(1, cols).u32(2, a.weight ? 1 : 0).u32(3, 0);
    const b = [ctx.bind(gx), ctx.bind(ms), ctx.bind(rs), ctx.bind(xs), ctx.bind(ws), ctx.bind(gs)];
    runRows(ctx, "layerNorm", TEMPLATES.layerNorm, "ln_backward", LN_KINDS, u, b, rows, cols);
  }
  if (!grads.weight && !grads.bias) return { gx, gw: null, gb: null };
  const [gw, gb] = paramGrads(ctx, xs, ms, rs, gs, rows, cols, op);
  if (!grads.weight) ctx.free(gw);
  if (!grads.bias) ctx.free(gb);
  return { gx, gw: grads.weight ? gw : null, gb: grads.bias ? gb : null };
}

/** `[Σ_rows gy·x̂, Σ_rows gy]`, each `[cols]`: one dispatch, or two when rows span several chunks. */
function paramGrads(
  ctx: GpuContext,
  xs: WebGPUStorage,
  ms: WebGPUStorage,
  rs: WebGPUStorage,
  gs: WebGPUStorage,
  rows: number,
  cols: number,
  op: string,
): [WebGPUStorage, WebGPUStorage] {
  const chunks = Math.max(1, Math.ceil(rows / CHUNK_ROWS)), tiles = Math.ceil(cols / 64);
  const gw = ctx.alloc(cols, "float32", op), gb = ctx.alloc(cols, "float32", op);
  if (cols === 0) return [gw, gb];
  const source = () => fillTemplate(layerNormParamsSrc, {});
  const u = new UniformBlock().u32(0, rows).u32(1, cols).u32(2, CHUNK_ROWS).u32(3, chunks);
  const partial = ctx.kernelFor("layerNormParams", "ln_params", PARAM_KINDS, source);
  const stats = [ctx.bind(xs), ctx.bind(ms), ctx.bind(rs), ctx.bind(gs)];
  if (chunks === 1) {
    ctx.run(partial, u, [ctx.bind(gw), ctx.bind(gb), ...stats], tiles);
    return [gw, gb];
  }
  const pw = ctx.alloc(chunks * cols, "float32", op), pb = ctx.alloc(chunks * cols, "float32", op);
  ctx.run(partial, u, [ctx.bind(pw), ctx.bind(pb), ...stats], tiles * chunks);
  const sum = ctx.kernelFor("layerNormParams", "ln_params_sum", PARAM_KINDS, source);
  ctx.run(sum, u, [ctx.bind(gw), ctx.bind(gb), ctx.bind(pw), ctx.bind(pw), ctx.bind(pw), ctx.bind(pb)], tiles);
  ctx.free(pw);
  ctx.free(pb);
  return [gw, gb];
}
