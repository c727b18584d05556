/**
 * Storages past the binding limit. A storage may be as large as maxBufferSize, but one binding of
 * a kernel covers at most maxStorageBufferBindingSize bytes (128 MiB on most devices, llvmpipe
 * included), so an op over a bigger storage runs in pieces: each piece reads its operands through
 * windows (bindings at an aligned offset into the big buffer) and writes a fresh output that is
 * then copied into place in the big result. This module plans the pieces (which sub-box of the
 * index space each covers) and builds the windows; split_ops.ts, matmul.ts and window.ts apply them.
 *
 * Nothing here runs when every storage fits one binding: callers check {@link fitsOneBinding}
 * first and call the kernel as before.
 * @module
 */
import type { View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import { copyInto } from "./misc.ts";
import { ELEMENT_BYTES, type GpuContext, WebGPUStorage } from "./storage.ts";

/** Elements one binding may cover on this device (a storage also never exceeds maxBufferSize). */
export function bindingElements(ctx: GpuContext): number {
  const bytes = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  return Math.floor(bytes / ELEMENT_BYTES);
}

/** Elements a window's start is aligned to (minStorageBufferOffsetAlignment, 32 or 256 bytes). */
export function alignElements(ctx: GpuContext): number {
  return Math.max(1, Math.ceil((ctx.limits.minStorageBufferOffsetAlignment ?? 256) / ELEMENT_BYTES));
}

/** Whether storages (or outputs) of these element counts all fit one binding each. */
export function fitsOneBinding(ctx: GpuContext, ...sizes: number[]): boolean {
  const max = bindingElements(ctx);
  for (const n of sizes) if (n > max) return false;
  return true;
}

/** The RangeError of an op that cannot run in pieces here, naming what is too big and what to do. */
export function tooBig(ctx: GpuContext, op: string, what: string): RangeError {
  const limit = bindingElements(ctx) * ELEMENT_BYTES;
  return new RangeError(
    `webgpu ${op}: ${what} exceeds this device's binding limit of ${limit} bytes ` +
      `(maxStorageBufferBindingSize) and cannot be split into pieces that fit; ` +
      `use smaller tensors (e.g. a smaller batch, or a contiguous copy of a transposed operand) or the cpu backend`,
  );
}

/** `[first, last + 1)`: the elements `view` reads (`[offset, offset]` when it is empty). */
export function span(view: View): [number, number] {
  let lo = view.offset, hi = view.offset;
  for (let d = 0; d < view.shape.length; d++) {
    if (view.shape[d] === 0) return [view.offset, view.offset];
    const extent = (view.shape[d] - 1) * view.strides[d];
    if (extent < 0) lo += extent;
    else hi += extent;
  }
  return [lo, hi + 1];
}

/**
 * `s` seen through a window covering `view`'s elements, and `view` relative to it: the window
 * starts at the aligned element at or below the first one read. The window is never freed (it
 * owns nothing); it is valid while `s` is.
 */
export function windowOf(ctx: GpuContext, s: WebGPUStorage, view: View): { storage: WebGPUStorage; view: View } {
  const [lo, hi] = span(view);
  const a = alignElements(ctx);
  const base = Math.floor(lo / a) * a;
  if (base === 0 && hi >= s.size) return { storage: s, view };
  const size = Math.max(1, hi - base);
  const storage = new WebGPUStorage(s.backend, size, s.dtype, s.buf!, s.byteOffset + base * ELEMENT_BYTES);
  return { storage, view: { shape: view.shape, strides: view.strides, offset: view.offset - base } };
}

/**
 * Elements `[start, start + count)` of `s` as a storage of their own, for kernels that read a
 * whole storage from element 0: a window when `start` is aligned (`owned` false), else a copy the
 * caller frees (`owned` true).
 */
export function denseRange(
  ctx: GpuContext,
  s: WebGPUStorage,
  start: number,
  count: number,
  op: string,
): { storage: WebGPUStorage; owned: boolean } {
  if (start === 0 && count === s.size) return { storage: s, owned: false };
  if (start % alignElements(ctx) === 0) {
    const storage = new WebGPUStorage(s.backend, count, s.dtype, s.buf!, s.byteOffset + start * ELEMENT_BYTES);
    return { storage, owned: false };
  }
  const copy = ctx.alloc(count, s.dtype, op);
  ctx.copyRange(s, start, copy, 0, count);
  return { storage: copy, owned: true };
}

/** Frees what {@link denseRange} copied. */
export function release(ctx: GpuContext, r: { storage: WebGPUStorage; owned: boolean } | null): void {
  if (r?.owned) ctx.free(r.storage);
}

/**
 * Lengths of consecutive ranges of `rows` rows of `rowElements` elements each (the last may be
 * shorter) whose every array fits one binding: `rowElements` lists each array's elements per row
 * (an input row, an output row, …). Lengths are multiples of what keeps every range start aligned
 * where they can be, so the ranges are windows rather than copies. Null when one row is too big.
 */
export function rowChunk(ctx: GpuContext, rowElements: readonly number[]): number | null {
  const widest = Math.max(1, ...rowElements);
  const rows = Math.floor(bindingElements(ctx) / widest);
  if (rows < 1) return null;
  const a = alignElements(ctx);
  // rows·e is aligned for every e when rows is a multiple of a / gcd(e, a) for each e
  let step = 1;
  for (const e of rowElements) step = lcm(step, a / gcd(Math.max(1, e), a));
  return rows >= step ? Math.floor(rows / step) * step : rows;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/**
 * One operand of a tiled op, over the dims being tiled: its stride along each, and `inner`, the
 * span (in elements) of one index of those dims (1 for an elementwise operand; a whole reduced
 * row for a reduction's input).
 */
export interface TileOperand {
  strides: readonly number[];
  inner: number;
}

function spanOf(o: TileOperand, tile: readonly number[]): number {
  let s = o.inner;
  for (let i = 0; i < tile.length; i++) s += (tile[i] - 1) * Math.abs(o.strides[i]);
  return s;
}

/**
 * The tile (a size per dim of `dims`) whose every operand's span fits one binding, with room for
 * the window's alignment; null when even a tile of one index is too big. Tiles of whole rows (dims
 * before one split dim set to 1, dims after it whole) come first: their dense operands stay dense
 * and their results are contiguous. Where operands disagree on which dim is outer (a transposed
 * input), dims are shrunk one at a time, the one adding the most to the worst operand's span first.
 */
export function planTile(ctx: GpuContext, dims: readonly number[], operands: readonly TileOperand[]): number[] | null {
  const budget = bindingElements(ctx) - (alignElements(ctx) - 1);
  if (operands.some((o) => o.inner > budget)) return null;
  for (let d = 0; d < dims.length; d++) {
    const tile = dims.map((n, i) => (i < d ? 1 : n));
    let most = dims[d];
    for (const o of operands) {
      tile[d] = 1;
      const rest = spanOf(o, tile);
      const s = Math.abs(o.strides[d]);
      if (rest > budget) most = 0;
      else if (s > 0) most = Math.min(most, Math.floor((budget - rest) / s) + 1);
    }
    if (most >= 1) {
      tile[d] = most;
      return tile;
    }
  }
  const tile = [...dims];
  for (;;) {
    let worst: TileOperand | null = null, worstSpan = budget;
    for (const o of operands) {
      const s = spanOf(o, tile);
      if (s > worstSpan) [worst, worstSpan] = [o, s];
    }
    if (!worst) return tile;
    let dim = -1, extent = 0;
    for (let i = 0; i < tile.length; i++) {
      const e = (tile[i] - 1) * Math.abs(worst.strides[i]);
      if (e > extent) [dim, extent] = [i, e];
    }
    if (dim < 0) return null;
    const rest = worstSpan - extent;
    const fit = rest > budget ? 1 : Math.floor((budget - rest) / Math.abs(worst.strides[dim])) + 1;
    tile[dim] = Math.max(1, Math.min(tile[dim] - 1, fit));
  }
}

/** One tile: where it starts along each tiled dim and its size there. */
export interface Tile {
  start: number[];
  shape: number[];
}

/** The tiles of `tile`'s size covering `dims` (edge tiles are smaller), row-major. */
export function* tilesOf(dims: readonly number[], tile: readonly number[]): Generator<Tile> {
  if (dims.some((n) => n === 0)) return;
  const start = dims.map(() => 0);
  for (;;) {
    yield { start: [...start], shape: start.map((s, i) => Math.min(tile[i], dims[i] - s)) };
    let i = dims.length - 1;
    for (; i >= 0; i--) {
      start[i] += tile[i];
      if (start[i] < dims[i]) break;
      start[i] = 0;
    }
    if (i < 0) return;
  }
}

/**
 * The part of `view` a tile covers: its first dims restricted (`dims` names which view dim each
 * tiled dim is, by default the leading ones in order), the others whole.
 */
export function subView(view: View, tile: Tile, dims?: readonly number[]): View {
  const shape = [...view.shape];
  let offset = view.offset;
  tile.start.forEach((s, i) => {
    const d = dims ? dims[i] : i;
    offset += s * view.strides[d];
    shape[d] = tile.shape[i];
  });
  return { shape, strides: view.strides, offset };
}

/** Whether `view` walks its elements row-major without gaps (size-1 dims ignored). */
function rowMajor(view: View): boolean {
  let step = 1;
  for (let d = view.shape.length - 1; d >= 0; d--) {
    if (view.shape[d] === 1) continue;
    if (view.strides[d] !== step) return false;
    step *= view.shape[d];
  }
  return true;
}

/**
 * Copies `piece` (contiguous, `region`'s shape) into `out` at `region` (a view of `out`): a buffer
 * copy when the region is contiguous, else a strided copy into a window of `out`.
 */
export function place(ctx: GpuContext, out: WebGPUStorage, region: View, piece: WebGPUStorage): void {
  const n = numel(region.shape);
  if (n === 0) return;
  if (rowMajor(region)) {
    ctx.copyRange(piece, 0, out, region.offset, n);
    return;
  }
  const w = windowOf(ctx, out, region);
  copyInto(ctx, w.storage, w.view, piece, { shape: region.shape, strides: contiguousStrides(region.shape), offset: 0 });
}
