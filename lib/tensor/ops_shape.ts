/**
 * Movement and construction beyond views of one dim: flip, roll, tril/triu, diag/diagonal, tile,
 * repeatInterleave, unflatten, movedim, unbind, meshgrid. Where PyTorch returns a view (diagonal,
 * movedim, unflatten, unbind, meshgrid) so does this module, through strides; the others copy by
 * composing slices, cat, gather and where, so their gradients come from those ops.
 * @module
 */
import { numel } from "../backend/_view.ts";
import { record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { normalizeDim, normalizeDims } from "./ops_reduce.ts";
import { clone, expand, flatten, inferShape, permute, repeat, reshape, select, slice } from "./ops_movement.ts";
import { compare, sub, where } from "./ops_elementwise.ts";
import { arange, tensor } from "./ops_creation.ts";
import { cat, pad } from "./ops_combine.ts";
import { indexSelect } from "./ops_index.ts";

/** A copy of `x` with the order of elements reversed along each of `dims` (torch.flip). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const axes = normalizeDims("flip", typeof dims === "number" ? dims : [...dims], x.ndim);
  let out = x;
  for (const d of axes) {
    const n = x.shape[d];
    if (n > 1) out = indexSelect(out, d, arange(n - 1, -1, -1, { device: x.device }));
  }
  return out === x ? clone(x) : out;
}

/**
 * `x` shifted by `shifts` along `dims`, elements pushed past the end wrapping to the start
 * (torch.roll). Without `dims`, the flattened tensor rolls and takes `x`'s shape back.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  const shiftList = typeof shifts === "number" ? [shifts] : [...shifts];
  if (dims === undefined || dims === null) {
    if (shiftList.length !== 1) {
      throw new RangeError(`roll: without dims, shifts must be one number, got [${shiftList}]`);
    }
    return reshape(roll(reshape(x, [x.size]), shiftList[0], 0), x.shape);
  }
  const dimList = typeof dims === "number" ? [dims] : [...dims];
  if (dimList.length !== shiftList.length) {
    throw new RangeError(`roll: shifts [${shiftList}] and dims [${dimList}] must have the same length`);
  }
  let out = x;
  for (const [i, dim] of dimList.entries()) {
    const d = normalizeDim("roll", dim, x.ndim);
    const n = x.shape[d];
    if (!Number.isInteger(shiftList[i])) throw new RangeError(`roll: shifts must be integers, got ${shiftList[i]}`);
    const s = n === 0 ? 0 : ((shiftList[i] % n) + n) % n;
    if (s !== 0) out = cat([slice(out, d, n - s, n), slice(out, d, 0, n - s)], d);
  }
  return out === x ? clone(x) : out;
}

/** Whether each `[row, col]` of the last two dims lies on or below (`lower`) the `diagonal`-th diagonal. */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new RangeError(`${op}: input must have at least 2 dims, got shape [${x.shape}]`);
  if (!Number.isInteger(diagonal)) throw new RangeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const [h, w] = x.shape.slice(-2);
  const rows = reshape(arange(0, h, 1, { device: x.device }), [h, 1]);
  const cols = reshape(arange(0, w, 1, { device: x.device }), [1, w]);
  const above = sub(cols, rows); // col − row: 0 on the main diagonal, k on the k-th
  const keep = compare(lower ? "le" : "ge", above, diagonal);
  return where(keep, x, x.dtype === "bool" ? false : 0);
}

/** The lower triangle of the last two dims: elements with `col − row ≤ diagonal` kept, the rest 0 (torch.tril). */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle("tril", x, diagonal, true);
}

/** The upper triangle of the last two dims: elements with `col − row ≥ diagonal` kept, the rest 0 (torch.triu). */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle("triu", x, diagonal, false);
}

/**
 * The `offset`-th diagonal of the matrices over `dim1` and `dim2`, as a view with that pair of
 * dims removed and the diagonal appended last (torch.diagonal): offset > 0 above the main
 * diagonal, < 0 below.
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  if (!Number.isInteger(offset)) throw new RangeError(`diagonal: offset must be an integer, got ${offset}`);
  const a = normalizeDim("diagonal", dim1, x.ndim), b = normalizeDim("diagonal", dim2, x.ndim);
  if (x.ndim < 2) throw new RangeError(`diagonal: input must have at least 2 dims, got shape [${x.shape}]`);
  if (a === b) throw new RangeError(`diagonal: dim1 and dim2 must differ, both are ${a}`);
  const length = Math.max(0, Math.min(x.shape[a] - Math.max(-offset, 0), x.shape[b] - Math.max(offset, 0)));
  const start = length === 0 ? 0 : offset >= 0 ? offset * x.strides[b] : -offset * x.strides[a];
  const rest = [...x.shape.keys()].filter((i) => i !== a && i !== b);
  const layout = {
    shape: [...rest.map((i) => x.shape[i]), length],
    strides: [...rest.map((i) => x.strides[i]), x.strides[a] + x.strides[b]],
    offset: x.offset + start,
  };
  const out = new Tensor(x, layout, x.dtype, x.device);
  return record("diagonal", [x], out, (g) => [undiagonal(g, x.shape, offset, a, b)]);
}

/** The adjoint of {@link diagonal}: `g` written on that diagonal of zeros of `shape`. */
function undiagonal(g: Tensor, shape: readonly number[], offset: number, a: number, b: number): Tensor {
  const backend = g.backend;
  const base = backend.zeros(numel(shape), g.dtype);
  const out = Tensor.fromStorage(base, shape, g.dtype, g.device);
  if (g.size > 0) {
    const target = diagonal(out.detach(), offset, a, b);
    backend.copyInto(base, target.layout, g.storage("diagonal backward"), g.layout);
  }
  return record("undiagonal", [g], out, (gg) => [diagonal(gg, offset, a, b)]);
}

/**
 * torch.diag: a 1-D `x` becomes the square matrix with `x` on its `diagonal`-th diagonal and
 * zeros elsewhere; a 2-D `x` gives a copy of its `diagonal`-th diagonal.
 */
export function diag(x: Tensor, diagonal_ = 0): Tensor {
  if (!Number.isInteger(diagonal_)) throw new RangeError(`diag: diagonal must be an integer, got ${diagonal_}`);
  if (x.ndim === 2) return clone(diagonal(x, diagonal_));
  if (x.ndim !== 1) throw new RangeError(`diag: input must be 1-D or 2-D, got shape [${x.shape}]`);
  const k = diagonal_;
  const m = x.shape[0] + Math.abs(k);
  // out[r, c] = x[c − max(k, 0)] where c − r = k: pad x to a row of m and keep that diagonal
  const row = reshape(pad(x, [Math.max(k, 0), Math.max(-k, 0)]), [1, m]);
  const rows = reshape(arange(0, m, 1, { device: x.device }), [m, 1]);
  const cols = reshape(arange(0, m, 1, { device: x.device }), [1, m]);
  return where(compare("eq", sub(cols, rows), k), expand(row, [m, m]), x.dtype === "bool" ? false : 0);
}

/**
 * `x` repeated `reps[i]` times along each dim (torch.tile): like `repeat`, but `reps` shorter
 * than the rank is padded with leading 1s.
 */
export function tile(x: Tensor, reps: number | readonly number[]): Tensor {
  const list = typeof reps === "number" ? [reps] : [...reps];
  if (list.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new RangeError(`tile: reps must be non-negative integers, got [${list}]`);
  }
  return repeat(x, [...new Array(Math.max(0, x.ndim - list.length)).fill(1), ...list]);
}

/** Options of {@link repeatInterleave}. */
export interface RepeatInterleaveOptions {
  /** The dim to repeat along; omitted, `x` is flattened first. */
  dim?: number;
}

/**
 * Each element (slice along `dim`) of `x` repeated `repeats` times in place (torch.repeat_interleave):
 * `[a, b]` with 2 gives `[a, a, b, b]`. `repeats` is a number, or one count per slice (an array, or
 * an int32 tensor on a host device: the output's size depends on the counts, so they must be read).
 */
export function repeatInterleave(
  x: Tensor,
  repeats: number | readonly number[] | Tensor,
  dim?: number | RepeatInterleaveOptions,
): Tensor {
  const opts = typeof dim === "object" ? dim : { dim };
  const input = opts.dim === undefined ? reshape(x, [x.size]) : x;
  const d = normalizeDim("repeatInterleave", opts.dim ?? 0, input.ndim);
  const n = input.ndim === 0 ? 1 : input.shape[d];
  if (typeof repeats === "number") {
    if (!Number.isInteger(repeats) || repeats < 0) {
      throw new RangeError(`repeatInterleave: repeats must be a non-negative integer, got ${repeats}`);
    }
    if (input.ndim === 0) return expand(reshape(input, [1]), [repeats]);
    const spread = [...input.shape];
    spread.splice(d + 1, 0, repeats);
    const lined = [...input.shape];
    lined.splice(d + 1, 0, 1);
    return flatten(expand(reshape(input, lined), spread), d, d + 1);
  }
  const counts = countsOf(repeats);
  if (counts.length === 1) return repeatInterleave(x, counts[0], opts);
  if (counts.length !== n || counts.some((c) => !Number.isInteger(c) || c < 0)) {
    throw new RangeError(
      `repeatInterleave: repeats must hold ${n} non-negative integers (one per slice of dim ${d}), got [${counts}]`,
    );
  }
  const picks: number[] = [];
  counts.forEach((c, i) => {
    for (let j = 0; j < c; j++) picks.push(i);
  });
  return indexSelect(input, d, tensor(picks, { dtype: "int32", device: x.device }));
}

/** The counts of a repeats argument, read from a host tensor when given one. */
function countsOf(repeats: readonly number[] | Tensor): number[] {
  if (!(repeats instanceof Tensor)) return [...repeats];
  if (repeats.dtype !== "int32" || repeats.ndim > 1) {
    throw new TypeError(
      `repeatInterleave: a repeats tensor must be 0-d or 1-D int32, got ${repeats.dtype} [${repeats.shape}]`,
    );
  }
  const readSync = repeats.backend.readSync;
  if (!readSync) {
    throw new TypeError(
      `repeatInterleave: repeats on ${repeats.device} cannot be read synchronously; pass await repeats.toArray() instead`,
    );
  }
  const dense = repeats.contiguous();
  return Array.from(
    readSync.call(dense.backend, dense.storage("repeatInterleave")).slice(dense.offset, dense.offset + dense.size),
  );
}

/** `x` with `dim` split into `sizes` (one may be −1), a view where the strides allow (torch.unflatten). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim("unflatten", dim, x.ndim);
  if (sizes.length === 0) throw new RangeError("unflatten: sizes must name at least one dim");
  const inner = inferShape("unflatten", sizes, x.shape[d], [x.shape[d]]);
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/** `x` with the dims `source` moved to the positions `destination`, the others keeping their order (torch.movedim, a view). */
export function movedim(
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor {
  // in the order given (normalizeDims sorts): source k goes to destination k
  const src = (typeof source === "number" ? [source] : [...source]).map((d) => normalizeDim("movedim", d, x.ndim));
  const dst = (typeof destination === "number" ? [destination] : [...destination]).map((d) =>
    normalizeDim("movedim", d, x.ndim)
  );
  if (src.length !== dst.length) {
    throw new RangeError(`movedim: source [${source}] and destination [${destination}] must have the same length`);
  }
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) {
    throw new RangeError(`movedim: source [${source}] and destination [${destination}] must not repeat a dim`);
  }
  const order = new Array<number>(x.ndim).fill(-1);
  src.forEach((s, i) => (order[dst[i]] = s));
  const others = [...Array(x.ndim).keys()].filter((i) => !src.includes(i));
  let k = 0;
  for (let i = 0; i < x.ndim; i++) if (order[i] === -1) order[i] = others[k++];
  return permute(x, order);
}

/** The slices of `x` along `dim`, each with that dim removed (torch.unbind, views). */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim("unbind", dim, x.ndim);
  if (x.ndim === 0) throw new RangeError("unbind: a 0-d tensor has no dim to unbind");
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/** Options of {@link meshgrid}. */
export interface MeshgridOptions {
  /** "ij" (matrix indexing, the default) or "xy" (Cartesian: the first two output dims swap). */
  indexing?: "ij" | "xy";
}

/**
 * Coordinate grids from 1-D tensors (torch.meshgrid): output `k` has shape `[n0, n1, …]` (with
 * `indexing: "xy"`, `[n1, n0, …]`) and holds tensor `k` broadcast along the other dims (views).
 * Takes the tensors as arguments or as one array, optionally followed by the options.
 */
export function meshgrid(...args: (Tensor | readonly Tensor[] | MeshgridOptions)[]): Tensor[] {
  let options: MeshgridOptions = {};
  const last = args[args.length - 1];
  if (last !== undefined && !(last instanceof Tensor) && !Array.isArray(last)) {
    options = last as MeshgridOptions;
    args = args.slice(0, -1);
  }
  const tensors = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as Tensor[];
  const indexing = options.indexing ?? "ij";
  if (indexing !== "ij" && indexing !== "xy") {
    throw new RangeError(`meshgrid: indexing must be "ij" or "xy", got "${indexing}"`);
  }
  if (tensors.length === 0) throw new RangeError("meshgrid: expected at least one tensor");
  for (const [i, t] of tensors.entries()) {
    if (!(t instanceof Tensor)) throw new TypeError(`meshgrid: argument ${i} is not a tensor`);
    if (t.ndim > 1) throw new RangeError(`meshgrid: tensor ${i} must be 0-D or 1-D, got shape [${t.shape}]`);
  }
  const sizes = tensors.map((t) => t.size);
  // "xy" swaps the first two axes: tensor 0 runs along output dim 1
  const axisOf = (k: number) => (indexing === "xy" && tensors.length >= 2 && k < 2 ? 1 - k : k);
  const shape = new Array<number>(tensors.length);
  sizes.forEach((n, k) => (shape[axisOf(k)] = n));
  return tensors.map((t, k) => {
    const lined = shape.map((_, i) => (i === axisOf(k) ? sizes[k] : 1));
    return expand(reshape(t, lined), shape);
  });
}
