/**
 * {@link Backend.sort} of the cpu backend: each float32 value maps to an unsigned 32-bit key in
 * value order (its bits, flipped: NaN above +∞, −0 equal to +0, reversed when descending). Rows of
 * 256 or more sort by a stable LSD radix sort of (key, position), 8 bits a pass; shorter rows sort
 * natively (no comparator) as float64s packing `key·2^21 + position`. Both give the stable sort.
 * The other dtypes (float64 for gradcheck, int32, bool) run the reference kernel over the same memory.
 * @module
 */
import type { Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import type { ReferenceContext } from "../reference/storage.ts";
import { rowOffsets, sort as referenceSort } from "../reference/sort.ts";
import { moveAxesLast } from "../reference/strided.ts";
import type { CpuContext } from "./context.ts";

/** Positions fit in the low 21 bits of a packed key (32 + 21 bits stay exact in a float64). */
const POSITION_BITS = 2 ** 21;
const NAN_BITS = 0x7fc00000;
/** From this row length on, rows are radix sorted (below, a native sort of packed keys is faster). */
const RADIX_FROM = 256;

/** The unsigned key of float32 `v` (bits `u`) in sort order: NaN above +∞, −0 as +0, reversed when descending. */
function keyOf(v: number, u: number, descending: boolean): number {
  const w = v !== v ? NAN_BITS : v === 0 ? 0 : u;
  const key = w & 0x80000000 ? ~w >>> 0 : (w | 0x80000000) >>> 0;
  return descending ? 0xffffffff - key : key;
}

/**
 * Scratch of a row sort: keys and positions, and their copies for the radix passes.
 * Stable LSD radix sort, 8 bits a pass: equal keys keep their positions' order.
 */
class RowSorter {
  readonly row: Float32Array;
  readonly bits: Uint32Array;
  readonly order: Uint32Array;
  readonly #keys: Uint32Array;
  readonly #keys2: Uint32Array;
  readonly #order2: Uint32Array;
  readonly #packed: Float64Array;
  readonly #counts = new Uint32Array(256);

  constructor(readonly len: number) {
    this.row = new Float32Array(len);
    this.bits = new Uint32Array(this.row.buffer);
    this.order = new Uint32Array(len);
    const radix = len >= RADIX_FROM;
    this.#keys = new Uint32Array(radix ? len : 0);
    this.#keys2 = new Uint32Array(radix ? len : 0);
    this.#order2 = new Uint32Array(radix ? len : 0);
    this.#packed = new Float64Array(radix ? 0 : len);
  }

  /** Sorts `row` into `order` (positions by (value, position)). */
  sort(descending: boolean): void {
    const { len, row, bits, order } = this;
    if (len < RADIX_FROM) {
      const packed = this.#packed;
      for (let k = 0; k < len; k++) packed[k] = keyOf(row[k], bits[k], descending) * POSITION_BITS + k;
      packed.sort();
      for (let k = 0; k < len; k++) order[k] = packed[k] % POSITION_BITS;
      return;
    }
    let keys = this.#keys, keys2 = this.#keys2, pos = order, pos2 = this.#order2;
    for (let k = 0; k < len; k++) {
      keys[k] = keyOf(row[k], bits[k], descending);
      pos[k] = k;
    }
    const counts = this.#counts;
    for (let shift = 0; shift < 32; shift += 8) {
      counts.fill(0);
      for (let k = 0; k < len; k++) counts[(keys[k] >>> shift) & 255]++;
      for (let b = 0, total = 0; b < 256; b++) {
        const c = counts[b];
        counts[b] = total;
        total += c;
      }
      for (let k = 0; k < len; k++) {
        const at = counts[(keys[k] >>> shift) & 255]++;
        keys2[at] = keys[k];
        pos2[at] = pos[k];
      }
      [keys, keys2, pos, pos2] = [keys2, keys, pos2, pos];
    }
    // four passes: the result is back in the first buffers (order)
  }
}

/** {@link Backend.sort}: stable, NaN largest (see the contract). */
export function sort(
  ctx: CpuContext & ReferenceContext,
  x: Storage,
  xv: View,
  axis: number,
  descending: boolean,
): { values: Storage; indices: Storage } {
  const len = xv.shape[axis];
  if (x.dtype !== "float32" || xv.shape.length === 0) {
    return referenceSort(ctx, x, xv, axis, descending);
  }
  ctx.checkView("sort", x, xv);
  const n = numel(xv.shape);
  const values = ctx.alloc(n, "float32", "sort"), indices = ctx.alloc(n, "int32", "sort");
  if (n === 0) return { values, indices };
  const from = moveAxesLast(xv, [axis]), to = rowOffsets(xv.shape, axis);
  const src = ctx.f32(x), out = ctx.f32(values), idx = ctx.i32(indices);
  const sorter = new RowSorter(len), { row, order } = sorter;
  for (let p = 0; p < n; p += len) {
    for (let k = 0; k < len; k++) row[k] = src[from[p + k]];
    sorter.sort(descending);
    for (let k = 0; k < len; k++) {
      const at = order[k];
      out[to[p + k]] = row[at];
      idx[to[p + k]] = at;
    }
  }
  return { values, indices };
}
