/**
 * Ops whose result shape depends on the values: nonzero, maskedSelect, unique. Each reads values
 * back to the host, so each returns a Promise. The read is started before the first `await`, so
 * inside a captured step (lib/jit/compile.ts) it is refused like any other read: the compiled
 * call throws, since a replay cannot depend on values read back.
 * @module
 */
import type { HostArray } from "../backend/backend.ts";
import { contiguousStrides, numel } from "../backend/_view.ts";
import type { Tensor } from "./tensor.ts";
import { broadcastShapes } from "./ops_elementwise.ts";
import { expand, reshape } from "./ops_movement.ts";
import { indexSelect } from "./ops_index.ts";
import { fromHost } from "./ops_creation.ts";

/** Options of {@link nonzero}. */
export interface NonzeroOptions {
  /** One 1-D int32 tensor of positions per dim instead of one `[n, ndim]` tensor (default false). */
  asTuple?: boolean;
}

/** Flat positions of the non-zero elements of `values` (NaN counts as non-zero). */
function nonzeroPositions(values: HostArray): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) out.push(i);
  return out;
}

/**
 * The positions of the non-zero elements (torch.nonzero), in row-major order: an int32 tensor
 * `[n, ndim]` (PyTorch: int64), or with `asTuple` one 1-D tensor per dim (a 0-d input gives one
 * tensor of zeros). Reads the values back, hence async; refused inside a compiled step.
 */
export async function nonzero(x: Tensor, options: NonzeroOptions = {}): Promise<Tensor | Tensor[]> {
  const values = await x.data();
  const positions = nonzeroPositions(values);
  const n = positions.length, rank = x.ndim, strides = contiguousStrides(x.shape);
  const coords = new Int32Array(n * rank);
  for (let k = 0; k < n; k++) {
    let rest = positions[k];
    for (let d = 0; d < rank; d++) {
      coords[k * rank + d] = Math.floor(rest / strides[d]);
      rest %= strides[d];
    }
  }
  if (!options.asTuple) return fromHost(coords, [n, rank], "int32", x.device);
  if (rank === 0) return [fromHost(new Int32Array(n), [n], "int32", x.device)];
  return Array.from({ length: rank }, (_, d) => {
    const column = new Int32Array(n);
    for (let k = 0; k < n; k++) column[k] = coords[k * rank + d];
    return fromHost(column, [n], "int32", x.device);
  });
}

/**
 * The elements of `x` where `mask` is true, as a 1-D tensor in row-major order
 * (torch.masked_select); `x` and `mask` broadcast together. `mask` is bool (int32 is read as
 * non-zero = true, as PyTorch's deprecated uint8 masks). The gradient flows back to the picked
 * elements. Reads the mask back, hence async; refused inside a compiled step.
 */
export async function maskedSelect(x: Tensor, mask: Tensor): Promise<Tensor> {
  if (mask?.dtype !== "bool" && mask?.dtype !== "int32") {
    throw new TypeError(`maskedSelect: mask must be a bool tensor, got ${mask?.dtype ?? typeof mask}`);
  }
  if (mask.device !== x.device) {
    throw new TypeError(`maskedSelect: mask is on ${mask.device} but the input is on ${x.device}`);
  }
  const shape = broadcastShapes("maskedSelect", x.shape, mask.shape);
  const m = mask.shape.join() === shape.join() ? mask : expand(mask, shape);
  const values = await m.data();
  const picked = nonzeroPositions(values);
  const index = fromHost(picked, [picked.length], "int32", x.device);
  return indexSelect(reshape(expand(x, shape), [numel(shape)]), 0, index);
}

/** Options of {@link unique}. */
export interface UniqueOptions {
  /** Values in ascending order (default true); false gives them in order of first appearance. */
  sorted?: boolean;
  /** Also return, for each input element, the position of its value in `values` (int32, x's shape). */
  returnInverse?: boolean;
  /** Also return how often each value occurs (int32). */
  returnCounts?: boolean;
  /** Unique slices along a dim: not supported (a RangeError); leave it undefined. */
  dim?: number;
}

/** The result of {@link unique} when `returnInverse` or `returnCounts` is set. */
export interface UniqueResult {
  /** The distinct values, 1-D. */
  values: Tensor;
  /** Where each input element's value lies in `values` (x's shape), when asked for. */
  inverse?: Tensor;
  /** How often each value occurs, when asked for. */
  counts?: Tensor;
}

/**
 * The distinct values of `x` (torch.unique over all elements), 1-D, ascending (NaN last; each NaN
 * is distinct, as NaN ≠ NaN) or with `sorted: false` in order of first appearance (PyTorch leaves
 * that order unspecified). With `returnInverse`/`returnCounts` the result is a record
 * `{ values, inverse?, counts? }`. Reads the values back, hence async; refused inside a compiled step.
 */
export async function unique(x: Tensor, options: UniqueOptions = {}): Promise<Tensor | UniqueResult> {
  if (options.dim !== undefined) {
    throw new RangeError("unique: dim is not supported; call unique() over all elements (dim undefined)");
  }
  const values = await x.data();
  const slots = new Map<number, number>();
  const distinct: number[] = [], slotOf = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let slot = v === v ? slots.get(v) : undefined;
    if (slot === undefined) {
      slot = distinct.length;
      distinct.push(v);
      if (v === v) slots.set(v, slot);
    }
    slotOf[i] = slot;
  }
  // slots are numbered in order of first appearance, which is the unsorted order
  const order = distinct.map((_, k) => k);
  if (options.sorted ?? true) {
    order.sort((a, b) => {
      const va = distinct[a], vb = distinct[b], an = va !== va, bn = vb !== vb;
      if (an || bn) return an === bn ? a - b : an ? 1 : -1;
      return va - vb;
    });
  }
  const rank = new Int32Array(distinct.length);
  order.forEach((k, r) => (rank[k] = r));
  const out = fromHost(order.map((k) => distinct[k]), [order.length], x.dtype, x.device);
  if (!options.returnInverse && !options.returnCounts) return out;
  const result: UniqueResult = { values: out };
  if (options.returnInverse) result.inverse = fromHost(slotOf.map((s) => rank[s]), x.shape, "int32", x.device);
  if (options.returnCounts) {
    const counts = new Int32Array(distinct.length);
    for (const s of slotOf) counts[rank[s]]++;
    result.counts = fromHost(counts, [counts.length], "int32", x.device);
  }
  return result;
}
