/**
 * The row and flat primitives as the backend exposes them: whole when every storage fits one
 * binding, otherwise over consecutive ranges of rows (image planes for max pooling, elements for
 * fill, random and fused) that do. These kernels read their storages from element 0, so each
 * range is a window where its start is aligned and a copy where it is not ({@link denseRange});
 * {@link rowChunk} picks range lengths that keep the starts aligned where it can. The strided
 * primitives are in split_ops.ts.
 * @module
 */
import type {
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  DType,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  RandomKind,
  Storage,
  View,
  WindowParams,
} from "../backend.ts";
import { isContiguous, windowOutputSize } from "../_view.ts";
import type { Expr } from "../../ops/expr.ts";
import { assertNone as assertNoneWhole } from "./assert.ts";
import {
  crossEntropy as crossEntropyWhole,
  crossEntropyBackward as crossEntropyBackwardWhole,
} from "./cross_entropy.ts";
import { fused as fusedWhole } from "./fused.ts";
import { fill as fillWhole, random as randomWhole } from "./misc.ts";
import * as norm from "./norm.ts";
import { maxPool2d as maxPool2dWhole, maxPool2dBackward as maxPool2dBackwardWhole } from "./pool2d.ts";
import { elementwise } from "./split_ops.ts";
import { denseRange, fitsOneBinding, release, rowChunk, tooBig } from "./split.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

type Range = ReturnType<typeof denseRange>;

/**
 * Calls `run(start, count)` for consecutive ranges of `rows` rows, `rowElements` listing the
 * elements per row of every array involved; raises naming `op` when one row does not fit.
 */
function eachRowRange(
  ctx: GpuContext,
  op: string,
  rows: number,
  rowElements: readonly number[],
  run: (start: number, count: number) => void,
): void {
  const chunk = rowChunk(ctx, rowElements);
  if (chunk === null) throw tooBig(ctx, op, `one row of ${Math.max(...rowElements)} elements`);
  for (let start = 0; start < rows; start += chunk) run(start, Math.min(chunk, rows - start));
}

/** Rows `[start, start + count)` of `s` (rows of `cols` elements), as a window or a copy. */
function rowsOf(ctx: GpuContext, s: Storage, start: number, count: number, cols: number, op: string): Range {
  return denseRange(ctx, ctx.live(s, op), start * cols, count * cols, op);
}

/** Records `piece` into `out` at row `start` (rows of `cols` elements) and frees it. */
function put(ctx: GpuContext, piece: Storage, out: WebGPUStorage, start: number, cols: number, op: string): void {
  const p = ctx.live(piece, op);
  ctx.copyRange(p, 0, out, start * cols, p.size);
  ctx.free(p);
}

/** Sums gradient partials `a + b` (null when neither exists), freeing both. */
function addInto(ctx: GpuContext, a: Storage | null, b: Storage | null): Storage | null {
  if (!a || !b) return a ?? b;
  const v: View = { shape: [ctx.live(a, "add").size], strides: [1], offset: 0 };
  const sum = elementwise(ctx, "add", [{ storage: a, view: v }, { storage: b, view: v }], "float32");
  ctx.free(a);
  ctx.free(b);
  return sum;
}

/** Storage of `size` copies of `value`: one fill that fits a binding, copied along the rest. */
export function fill(ctx: GpuContext, size: number, value: number, dtype: DType, op: string): WebGPUStorage {
  if (fitsOneBinding(ctx, size)) return fillWhole(ctx, size, value, dtype, op);
  const out = ctx.alloc(size, dtype, op);
  const chunk = rowChunk(ctx, [1])!;
  const piece = fillWhole(ctx, chunk, value, dtype, op);
  for (let start = 0; start < size; start += chunk) ctx.copyRange(piece, 0, out, start, Math.min(chunk, size - start));
  ctx.free(piece);
  return out;
}

/** {@link Backend.random}: ranges drawing the same stream (element i uses counter + i, or + 2i for normal). */
export function random(
  ctx: GpuContext,
  kind: RandomKind,
  size: number,
  seed: number,
  counter: number,
  dtype: DType,
): Storage {
  if (fitsOneBinding(ctx, size)) return randomWhole(ctx, kind, size, seed, counter, dtype);
  const out = ctx.alloc(size, dtype, "random");
  const words = kind === "normal" ? 2 : 1;
  eachRowRange(ctx, "random", size, [1], (start, count) => {
    put(ctx, randomWhole(ctx, kind, count, seed, (counter + words * start) >>> 0, dtype), out, start, 1, "random");
  });
  return out;
}

/** {@link Backend.fused}: element ranges (one-element inputs broadcast to every range). */
export function fused(
  ctx: GpuContext,
  outputs: readonly Expr[],
  inputs: readonly Storage[],
  size: number,
  params: readonly number[],
  dtype: DType,
): Storage[] {
  const sizes = inputs.map((s) => ctx.live(s, "fused").size);
  if (fitsOneBinding(ctx, size, ...sizes) || sizes.some((n) => n !== size && n !== 1)) {
    return fusedWhole(ctx, outputs, inputs, size, params, dtype);
  }
  const outs = outputs.map(() => ctx.alloc(size, dtype, "fused"));
  eachRowRange(ctx, "fused", size, [1], (start, count) => {
    const ranges = inputs.map((s, k) => (sizes[k] === 1 ? null : rowsOf(ctx, s, start, count, 1, "fused")));
    const ins = inputs.map((s, k) => ranges[k]?.storage ?? s);
    fusedWhole(ctx, outputs, ins, count, params, dtype).forEach((p, j) => put(ctx, p, outs[j], start, 1, "fused"));
    ranges.forEach((r) => release(ctx, r));
  });
  return outs;
}

/** {@link Backend.assertNone}: ranges of the flags, each fault naming its index in the whole. */
export function assertNone(ctx: GpuContext, flags: Storage, describe: (index: number) => string): void {
  const f = ctx.live(flags, "assertNone");
  if (fitsOneBinding(ctx, f.size)) return assertNoneWhole(ctx, f, describe);
  eachRowRange(ctx, "assertNone", f.size, [1], (start, count) => {
    const r = rowsOf(ctx, f, start, count, 1, "assertNone");
    assertNoneWhole(ctx, r.storage, (i) => describe(start + i));
    release(ctx, r);
  });
}

/** {@link Backend.softmax} in ranges of rows. */
export function softmax(ctx: GpuContext, x: Storage, rows: number, cols: number, log: boolean): Storage {
  if (fitsOneBinding(ctx, ctx.live(x, "softmax").size)) return norm.softmax(ctx, x, rows, cols, log);
  const op = log ? "logSoftmax" : "softmax";
  const out = ctx.alloc(rows * cols, "float32", op);
  eachRowRange(ctx, op, rows, [cols], (start, count) => {
    const r = rowsOf(ctx, x, start, count, cols, op);
    put(ctx, norm.softmax(ctx, r.storage, count, cols, log), out, start, cols, op);
    release(ctx, r);
  });
  return out;
}

/** {@link Backend.softmaxBackward} in ranges of rows. */
export function softmaxBackward(
  ctx: GpuContext,
  y: Storage,
  gy: Storage,
  rows: number,
  cols: number,
  log: boolean,
): Storage {
  const op = log ? "logSoftmax backward" : "softmax backward";
  if (fitsOneBinding(ctx, ctx.live(y, op).size, ctx.live(gy, op).size)) {
    return norm.softmaxBackward(ctx, y, gy, rows, cols, log);
  }
  const out = ctx.alloc(rows * cols, "float32", op);
  eachRowRange(ctx, op, rows, [cols], (start, count) => {
    const ry = rowsOf(ctx, y, start, count, cols, op), rg = rowsOf(ctx, gy, start, count, cols, op);
    put(ctx, norm.softmaxBackward(ctx, ry.storage, rg.storage, count, cols, log), out, start, cols, op);
    release(ctx, ry);
    release(ctx, rg);
  });
  return out;
}

/** {@link Backend.layerNorm} in ranges of rows. */
export function layerNorm(ctx: GpuContext, a: LayerNormArgs): LayerNormOutputs {
  const op = "layerNorm";
  if (fitsOneBinding(ctx, ctx.live(a.x, op).size)) return norm.layerNorm(ctx, a);
  const { rows, cols } = a;
  const y = ctx.alloc(rows * cols, "float32", op);
  const mean = ctx.alloc(rows, "float32", op), rstd = ctx.alloc(rows, "float32", op);
  eachRowRange(ctx, op, rows, [cols, 1], (start, count) => {
    const rx = rowsOf(ctx, a.x, start, count, cols, op);
    const piece = norm.layerNorm(ctx, { ...a, x: rx.storage, rows: count });
    put(ctx, piece.y, y, start, cols, op);
    put(ctx, piece.mean, mean, start, 1, op);
    put(ctx, piece.rstd, rstd, start, 1, op);
    release(ctx, rx);
  });
  return { y, mean, rstd };
}

/** {@link Backend.layerNormBackward} in ranges of rows; the weight and bias gradients sum over them. */
export function layerNormBackward(ctx: GpuContext, a: LayerNormBackwardArgs): LayerNormGrads {
  const op = "layerNorm backward";
  if (fitsOneBinding(ctx, ctx.live(a.x, op).size, ctx.live(a.gy, op).size)) return norm.layerNormBackward(ctx, a);
  const { rows, cols } = a;
  const gx = ctx.alloc(rows * cols, "float32", op);
  let gw: Storage | null = null, gb: Storage | null = null;
  eachRowRange(ctx, op, rows, [cols, 1], (start, count) => {
    const rs = [a.x, a.gy].map((s) => rowsOf(ctx, s, start, count, cols, op));
    const stats = [a.mean, a.rstd].map((s) => rowsOf(ctx, s, start, count, 1, op));
    const piece = norm.layerNormBackward(ctx, {
      ...a,
      x: rs[0].storage,
      gy: rs[1].storage,
      mean: stats[0].storage,
      rstd: stats[1].storage,
      rows: count,
    });
    put(ctx, piece.gx, gx, start, cols, op);
    gw = addInto(ctx, gw, piece.gw);
    gb = addInto(ctx, gb, piece.gb);
    [...rs, ...stats].forEach((r) => release(ctx, r));
  });
  return { gx, gw, gb };
}

/** {@link Backend.crossEntropy} in ranges of rows. */
export function crossEntropy(ctx: GpuContext, a: CrossEntropyArgs): [Storage, Storage] {
  const { rows, classes, opName } = a;
  if (fitsOneBinding(ctx, ctx.live(a.logits, opName).size)) return crossEntropyWhole(ctx, a);
  const loss = ctx.alloc(rows, "float32", opName), rowWeight = ctx.alloc(rows, "float32", opName);
  eachRowRange(ctx, opName, rows, [classes, 1], (start, count) => {
    const rx = rowsOf(ctx, a.logits, start, count, classes, opName);
    const rt = rowsOf(ctx, a.target, start, count, 1, opName);
    const [l, w] = crossEntropyWhole(ctx, { ...a, logits: rx.storage, target: rt.storage, rows: count });
    put(ctx, l, loss, start, 1, opName);
    put(ctx, w, rowWeight, start, 1, opName);
    release(ctx, rx);
    release(ctx, rt);
  });
  return [loss, rowWeight];
}

/** {@link Backend.crossEntropyBackward} in ranges of rows. */
export function crossEntropyBackward(ctx: GpuContext, a: CrossEntropyBackwardArgs): Storage {
  const { rows, classes, opName } = a;
  if (fitsOneBinding(ctx, ctx.live(a.logits, opName).size)) return crossEntropyBackwardWhole(ctx, a);
  const out = ctx.alloc(rows * classes, "float32", opName);
  eachRowRange(ctx, opName, rows, [classes, 1], (start, count) => {
    const rx = rowsOf(ctx, a.logits, start, count, classes, opName);
    const rt = rowsOf(ctx, a.target, start, count, 1, opName);
    const rg = rowsOf(ctx, a.gradRows, start, count, 1, opName);
    const piece = crossEntropyBackwardWhole(ctx, {
      ...a,
      logits: rx.storage,
      target: rt.storage,
      gradRows: rg.storage,
      rows: count,
    });
    put(ctx, piece, out, start, classes, opName);
    [rx, rt, rg].forEach((r) => release(ctx, r));
  });
  return out;
}

/** {@link Backend.maxPool2d} in ranges of image planes (the input is contiguous). */
export function maxPool2d(
  ctx: GpuContext,
  x: Storage,
  xv: View,
  p: WindowParams,
): { values: Storage; indices: Storage } {
  const s = ctx.live(x, "maxPool2d");
  if (fitsOneBinding(ctx, s.size) || xv.shape.length !== 4 || xv.offset !== 0 || !isContiguous(xv)) {
    return maxPool2dWhole(ctx, x, xv, p);
  }
  const [N, C, H, W] = xv.shape;
  const Ho = Math.max(0, windowOutputSize(H, p, 0)), Wo = Math.max(0, windowOutputSize(W, p, 1));
  const values = ctx.alloc(N * C * Ho * Wo, "float32", "maxPool2d");
  const indices = ctx.alloc(N * C * Ho * Wo, "int32", "maxPool2d");
  eachRowRange(ctx, "maxPool2d", N * C, [H * W, Ho * Wo], (start, count) => {
    const r = rowsOf(ctx, s, start, count, H * W, "maxPool2d");
    const view = { shape: [1, count, H, W], strides: [count * H * W, H * W, W, 1], offset: 0 };
    const piece = maxPool2dWhole(ctx, r.storage, view, p);
    put(ctx, piece.values, values, start, Ho * Wo, "maxPool2d");
    put(ctx, piece.indices, indices, start, Ho * Wo, "maxPool2d");
    release(ctx, r);
  });
  return { values, indices };
}

/** {@link Backend.maxPool2dBackward} in ranges of image planes. */
export function maxPool2dBackward(
  ctx: GpuContext,
  gy: Storage,
  indices: Storage,
  imageShape: readonly [number, number, number, number],
  p: WindowParams,
): Storage {
  const op = "maxPool2dBackward";
  const [N, C, H, W] = imageShape;
  if (fitsOneBinding(ctx, N * C * H * W, ctx.live(gy, op).size, ctx.live(indices, op).size)) {
    return maxPool2dBackwardWhole(ctx, gy, indices, imageShape, p);
  }
  const Ho = Math.max(0, windowOutputSize(H, p, 0)), Wo = Math.max(0, windowOutputSize(W, p, 1));
  const out = ctx.alloc(N * C * H * W, "float32", op);
  eachRowRange(ctx, op, N * C, [H * W, Ho * Wo], (start, count) => {
    const rg = rowsOf(ctx, gy, start, count, Ho * Wo, op), ri = rowsOf(ctx, indices, start, count, Ho * Wo, op);
    put(ctx, maxPool2dBackwardWhole(ctx, rg.storage, ri.storage, [1, count, H, W], p), out, start, H * W, op);
    release(ctx, rg);
    release(ctx, ri);
  });
  return out;
}
