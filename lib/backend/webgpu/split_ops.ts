/**
 * The strided primitives as the backend exposes them: each runs its kernel whole when every
 * storage it touches fits one binding (the usual case, no extra work), and otherwise in tiles of
 * its index space planned by split.ts, each tile reading windows of the big storages and copied
 * into place in the result. Ops of whole rows (softmax, layer norm, …) are in split_rows.ts.
 *
 * Per op: elementwise, evaluate and copyInto tile the output's index space; reduce tiles the kept
 * dims and, when one output's reduced elements alone are too big, reduces a dim in parts and
 * combines the parts with the reduction's combining op; argReduce tiles the kept dims (the axis
 * must fit, as the tensor layer already keeps it under {@link Backend.argReduceLength}); gather tiles
 * the index; scatterAdd tiles the index and source against a base that fits one binding.
 * @module
 */
import type { DType, GatherArgs, Operand, ReduceOp, ScatterAddArgs, Storage, View } from "../backend.ts";
import { checkIndexShape, checkScatterShapes, contiguousStrides, numel } from "../_view.ts";
import type { Expr } from "../../ops/expr.ts";
import type { ElementwiseOp } from "../../ops/table.ts";
import { REDUCE_PRIMITIVES } from "../../ops/tensor_ops.ts";
import { elementwise as elementwiseWhole } from "./elementwise.ts";
import { evaluate as evaluateWhole } from "./evaluate.ts";
import { gather as gatherWhole, scatterAdd as scatterAddWhole } from "./index.ts";
import { copyInto as copyIntoWhole } from "./misc.ts";
import { argReduce as argReduceWhole, reduce as reduceWhole } from "./reduce.ts";
import {
  alignElements,
  bindingElements,
  denseRange,
  fitsOneBinding,
  place,
  planTile,
  release,
  span,
  subView,
  type Tile,
  type TileOperand,
  tilesOf,
  tooBig,
  windowOf,
} from "./split.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

const shapes = (views: readonly View[]) => views.map((v) => `[${v.shape}]`).join(", ");

/** Operands of one elementwise tile over views of the output's shape. */
function elementwiseOperand(view: View): TileOperand {
  return { strides: view.strides, inner: 1 };
}

/**
 * Runs `run` (whose outputs are contiguous, of the operands' common shape) tile by tile over
 * windows of the operands, placing each output piece into a full-size result.
 */
function tiledOverShape(
  ctx: GpuContext,
  op: string,
  operands: readonly Operand[],
  outDtypes: readonly DType[],
  run: (operands: Operand[]) => Storage[],
): WebGPUStorage[] {
  const shape = operands[0]?.view.shape ?? [];
  const out: View = { shape, strides: contiguousStrides(shape), offset: 0 };
  const tile = planTile(ctx, shape, [...operands.map((o) => elementwiseOperand(o.view)), elementwiseOperand(out)]);
  if (!tile) throw tooBig(ctx, op, `an operand of [${shapes(operands.map((o) => o.view))}]`);
  const storages = operands.map((o) => ctx.live(o.storage, op));
  const results = outDtypes.map((dt) => ctx.alloc(numel(shape), dt, op));
  for (const t of tilesOf(shape, tile)) {
    const pieces = run(operands.map((o, k) => windowOf(ctx, storages[k], subView(o.view, t))));
    pieces.forEach((p, j) => {
      const s = ctx.live(p, op);
      place(ctx, results[j], subView(out, t), s);
      ctx.free(s);
    });
  }
  return results;
}

function sizesOf(ctx: GpuContext, storages: readonly Storage[], op: string): number[] {
  return storages.map((s) => ctx.live(s, op).size);
}

/** {@link Backend.elementwise}, in tiles past the binding limit. */
export function elementwise(
  ctx: GpuContext,
  op: ElementwiseOp,
  operands: readonly Operand[],
  outDtype: DType,
  params: readonly number[] = [],
): Storage {
  const n = numel(operands[0]?.view.shape ?? []);
  if (fitsOneBinding(ctx, n, ...sizesOf(ctx, operands.map((o) => o.storage), op))) {
    return elementwiseWhole(ctx, op, operands, outDtype, params);
  }
  return tiledOverShape(ctx, op, operands, [outDtype], (ops) => [elementwiseWhole(ctx, op, ops, outDtype, params)])[0];
}

/** {@link Backend.evaluate}, in tiles past the binding limit. */
export function evaluate(
  ctx: GpuContext,
  outputs: readonly Expr[],
  operands: readonly Operand[],
  outDtypes: readonly DType[],
  params: readonly number[],
): Storage[] {
  const n = numel(operands[0]?.view.shape ?? []);
  if (fitsOneBinding(ctx, n, ...sizesOf(ctx, operands.map((o) => o.storage), "evaluate"))) {
    return evaluateWhole(ctx, outputs, operands, outDtypes, params);
  }
  return tiledOverShape(
    ctx,
    "evaluate",
    operands,
    outDtypes,
    (ops) => evaluateWhole(ctx, outputs, ops, outDtypes, params),
  );
}

/** {@link Backend.copyInto}, in tiles past the binding limit. */
export function copyInto(ctx: GpuContext, dst: Storage, dv: View, src: Storage, sv: View): void {
  const d = ctx.live(dst, "copyInto"), s = ctx.live(src, "copyInto");
  if (fitsOneBinding(ctx, d.size, s.size)) return copyIntoWhole(ctx, d, dv, s, sv);
  if (dv.shape.length !== sv.shape.length || dv.shape.some((x, i) => x !== sv.shape[i])) {
    return copyIntoWhole(ctx, d, dv, s, sv); // raises the shape error
  }
  if (d === s) {
    // a window may not be bound for writing and reading at once: go through a temporary
    const tmp = ctx.alloc(numel(sv.shape), s.dtype, "copyInto");
    const tv = { shape: sv.shape, strides: contiguousStrides(sv.shape), offset: 0 };
    copyInto(ctx, tmp, tv, s, sv);
    copyInto(ctx, d, dv, tmp, tv);
    ctx.free(tmp);
    return;
  }
  const tile = planTile(ctx, dv.shape, [elementwiseOperand(dv), elementwiseOperand(sv)]);
  if (!tile) throw tooBig(ctx, "copyInto", `the copy of [${sv.shape}]`);
  for (const t of tilesOf(dv.shape, tile)) {
    const dw = windowOf(ctx, d, subView(dv, t)), sw = windowOf(ctx, s, subView(sv, t));
    copyIntoWhole(ctx, dw.storage, dw.view, sw.storage, sw.view);
  }
}

/** Dims of `rank` not in `axes`. */
function keptDims(rank: number, axes: readonly number[]): number[] {
  return [...Array(rank).keys()].filter((d) => !axes.includes(d));
}

/** The span of one index of the kept dims: the reduced dims' elements of one output. */
function reducedSpan(av: View, axes: readonly number[]): number {
  return span({ shape: axes.map((d) => av.shape[d]), strides: axes.map((d) => av.strides[d]), offset: 0 })[1];
}

/**
 * Tiles the kept dims of a reduction-like op (`run` reduces a window over `axes`, giving the
 * kept tile with size-1 reduced dims); null when the reduced elements of one output do not fit.
 * With `dense`, each tile is first copied contiguous (in tiles of its own), for reductions whose
 * reduced elements are spread too far apart in the input to share a window (a column of a big
 * row-major matrix).
 */
function tiledOverKept(
  ctx: GpuContext,
  op: string,
  s: WebGPUStorage,
  av: View,
  axes: readonly number[],
  outDtype: DType,
  run: (window: WebGPUStorage, view: View) => Storage,
  dense = false,
): WebGPUStorage | null {
  const kept = keptDims(av.shape.length, axes);
  const outShape = av.shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const out: View = { shape: outShape, strides: contiguousStrides(outShape), offset: 0 };
  const dims = kept.map((d) => av.shape[d]);
  // a dense copy keeps the kept dims outer and the reduced ones inner, so one output's elements are together
  const order = [...kept, ...axes];
  const packedIn = (shape: readonly number[]) => {
    const st = contiguousStrides(order.map((d) => shape[d]));
    return shape.map((_, d) => st[order.indexOf(d)]);
  };
  const packed = packedIn(av.shape);
  const input = dense
    ? { strides: kept.map((d) => packed[d]), inner: numel(axes.map((d) => av.shape[d])) }
    : { strides: kept.map((d) => av.strides[d]), inner: reducedSpan(av, axes) };
  const tile = planTile(ctx, dims, [input, { strides: kept.map((d) => out.strides[d]), inner: 1 }]);
  if (!tile) return null;
  const result = ctx.alloc(numel(outShape), outDtype, op);
  for (const t of tilesOf(dims, tile)) {
    const sub = subView(av, t, kept);
    let piece: WebGPUStorage;
    if (dense) {
      const tmp = ctx.alloc(numel(sub.shape), s.dtype, op);
      const tv: View = { shape: sub.shape, strides: packedIn(sub.shape), offset: 0 };
      copyInto(ctx, tmp, tv, s, sub);
      piece = ctx.live(run(tmp, tv), op);
      ctx.free(tmp);
    } else {
      const w = windowOf(ctx, s, sub);
      piece = ctx.live(run(w.storage, w.view), op);
    }
    place(ctx, result, subView(out, t, kept), piece);
    ctx.free(piece);
  }
  return result;
}

/** {@link Backend.reduce}, in tiles past the binding limit. */
export function reduce(ctx: GpuContext, op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
  const s = ctx.live(a, op);
  const nout = numel(av.shape.map((n, d) => (axes.includes(d) ? 1 : n)));
  if (fitsOneBinding(ctx, s.size, nout) || numel(av.shape) === 0) return reduceWhole(ctx, op, s, av, axes);
  const outDtype: DType = REDUCE_PRIMITIVES[op].widensToInt && s.dtype === "bool" ? "int32" : s.dtype;
  const tiled = tiledOverKept(ctx, op, s, av, axes, outDtype, (w, v) => reduceWhole(ctx, op, w, v, axes));
  if (tiled) return tiled;
  // One output's reduced elements are too many: reduce the dim adding most to their span in
  // parts that fit (each part again in tiles), then combine the parts elementwise.
  let dim = axes[0];
  for (const d of axes) {
    if ((av.shape[d] - 1) * Math.abs(av.strides[d]) > (av.shape[dim] - 1) * Math.abs(av.strides[dim])) dim = d;
  }
  const rest = reducedSpan(av, axes) - (av.shape[dim] - 1) * Math.abs(av.strides[dim]);
  const budget = bindingElements(ctx) - (alignElements(ctx) - 1);
  const len = Math.max(1, Math.min(av.shape[dim] - 1, Math.floor((budget - rest) / Math.abs(av.strides[dim])) + 1));
  const combine = REDUCE_PRIMITIVES[op].combine;
  let acc: Storage | null = null;
  for (let start = 0; start < av.shape[dim]; start += len) {
    const part = reduce(
      ctx,
      op,
      s,
      subView(av, { start: [start], shape: [Math.min(len, av.shape[dim] - start)] }, [dim]),
      axes,
    );
    if (acc === null) {
      acc = part;
      continue;
    }
    const v = { shape: [nout], strides: [1], offset: 0 };
    const next: Storage = elementwise(ctx, combine, [{ storage: acc, view: v }, { storage: part, view: v }], outDtype);
    ctx.free(acc);
    ctx.free(part);
    acc = next;
  }
  return acc!;
}

/** {@link Backend.argReduce}, in tiles of the kept dims past the binding limit. */
export function argReduce(ctx: GpuContext, op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage {
  const s = ctx.live(a, op);
  const nout = numel(av.shape.map((n, d) => (d === axis ? 1 : n)));
  if (fitsOneBinding(ctx, s.size, nout) || numel(av.shape) === 0) return argReduceWhole(ctx, op, s, av, axis);
  const run = (w: WebGPUStorage, v: View) => argReduceWhole(ctx, op, w, v, axis);
  const tiled = tiledOverKept(ctx, op, s, av, [axis], "int32", run) ??
    tiledOverKept(ctx, op, s, av, [axis], "int32", run, true);
  if (!tiled) throw tooBig(ctx, op, `one slice along dim ${axis} of [${av.shape}] (strides [${av.strides}])`);
  return tiled;
}

/** {@link Backend.gather}, in tiles of the index past the binding limit. */
export function gather(ctx: GpuContext, args: GatherArgs): Storage {
  const { source, index, dim, opName } = args;
  const src = ctx.live(source.storage, opName), idx = ctx.live(index.storage, opName);
  const n = numel(index.view.shape);
  if (fitsOneBinding(ctx, src.size, idx.size, n) || index.view.shape.length !== source.view.shape.length) {
    return gatherWhole(ctx, args);
  }
  const shape = index.view.shape;
  checkIndexShape(opName, shape, source.view.shape, dim);
  const out: View = { shape, strides: contiguousStrides(shape), offset: 0 };
  // the source follows the index on every dim but `dim`, which each tile reads whole
  const sv = source.view;
  const along = span({ shape: [sv.shape[dim]], strides: [sv.strides[dim]], offset: 0 })[1];
  const tile = planTile(ctx, shape, [
    elementwiseOperand(index.view),
    elementwiseOperand(out),
    { strides: sv.strides.map((st, d) => (d === dim ? 0 : st)), inner: along },
  ]);
  if (!tile) throw tooBig(ctx, opName, `gathering [${shape}] from [${sv.shape}]`);
  const result = ctx.alloc(n, src.dtype, opName);
  for (const t of tilesOf(shape, tile)) {
    const srcTile = subView(sv, {
      start: t.start.map((x, d) => (d === dim ? 0 : x)),
      shape: t.shape.map((x, d) => (d === dim ? sv.shape[dim] : x)),
    });
    const piece = ctx.live(
      gatherWhole(ctx, {
        source: windowOf(ctx, src, srcTile),
        dim,
        index: windowOf(ctx, idx, subView(index.view, t)),
        opName,
      }),
      opName,
    );
    place(ctx, result, subView(out, t), piece);
    ctx.free(piece);
  }
  return result;
}

/**
 * {@link Backend.scatterAdd}, in tiles of the index and source past the binding limit. The kernel
 * scatters into a whole contiguous base, with the index's coordinates as the base's off `dim`, so
 * each tile is a range of whole rows (leading dims fixed, one dim ranged, the rest whole) and
 * updates the base's matching rows: those of its range (all of `dim`'s when it ranges over
 * `dim` or a dim before it), read as one contiguous region and copied back.
 */
export function scatterAdd(ctx: GpuContext, args: ScatterAddArgs): Storage {
  const { base, shape, dim, index, src, opName } = args;
  const b = ctx.live(base, opName), idx = ctx.live(index.storage, opName), s = ctx.live(src.storage, opName);
  if (fitsOneBinding(ctx, b.size, idx.size, s.size) || index.view.shape.length !== shape.length) {
    return scatterAddWhole(ctx, args);
  }
  checkScatterShapes(opName, b.size, shape, dim, index.view, src.view);
  const iShape = index.view.shape;
  const baseStrides = contiguousStrides(shape);
  // the base rows a tile updates: its whole `dim`, so `dim` adds its full extent to the tile's span
  const baseOperand = {
    strides: baseStrides.map((st, d) => (d === dim ? 0 : st)),
    inner: (shape[dim] - 1) * baseStrides[dim] + 1 +
      shape.reduce((n, x, d) => (d > dim ? n + (x - 1) * baseStrides[d] : n), 0),
  };
  const tile = planTile(ctx, iShape, [elementwiseOperand(index.view), elementwiseOperand(src.view), baseOperand]);
  // the dim a tile ranges over; before it every tile dim is one index, after it whole
  const split = tile ? Math.max(0, ...tile.map((n, d) => (n < iShape[d] ? d : 0))) : -1;
  const rows = tile !== null && split <= dim && tile.every((n, d) => d >= split || n === 1);
  // the base rows of a tile: one index before `split`, its range at `split` (all of `dim`), whole after
  const regionOf = (t: Tile) => ({
    shape: shape.map((n, d) => (d < split ? 1 : d === split && d !== dim ? t.shape[d] : n)),
    offset: shape.reduce((o, _, d) => (d <= split && d !== dim ? o + t.start[d] * baseStrides[d] : o), 0),
  });
  const first = tile && regionOf({ start: tile.map(() => 0), shape: tile });
  if (!tile || !rows || !fitsOneBinding(ctx, numel(first!.shape))) {
    throw tooBig(ctx, opName, `scattering [${iShape}] into [${shape}] along dim ${dim}`);
  }
  const out = ctx.alloc(b.size, b.dtype, opName);
  ctx.copyRange(b, 0, out, 0, b.size);
  for (const t of tilesOf(iShape, tile)) {
    const { shape: regionShape, offset } = regionOf(t);
    const size = numel(regionShape);
    const region = denseRange(ctx, out, offset, size, opName);
    const piece = ctx.live(
      scatterAddWhole(ctx, {
        ...args,
        base: region.storage,
        shape: regionShape,
        index: windowOf(ctx, idx, subView(index.view, t)),
        src: windowOf(ctx, s, subView(src.view, t)),
      }),
      opName,
    );
    release(ctx, region);
    ctx.copyRange(piece, 0, out, offset, size);
    ctx.free(piece);
  }
  return out;
}
