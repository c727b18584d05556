/**
 * PyTorch-style indexing: `x.at(...)` reads like `x[...]` and `x.setAt([...], v)` like
 * `x[...] = v` (torch's `index_put_`). Integers (negative from the end), {@link slice} objects,
 * `null` (a new axis) and `"..."` are basic indices: the result is a view (no copy) with its
 * gradient. Int tensors are advanced indices: they broadcast together and pick elements with a
 * gather; as in PyTorch, their dims replace the indexed dims in place when the indexed dims are
 * adjacent (after integers are applied), and go first when a slice separates them.
 *
 * A bool mask index selects a number of elements only its values tell, so `at` cannot know the
 * result's shape without a readback (which is asynchronous here): `x.at(mask)` throws and points
 * to `await x.atAsync(mask)` (or `await x.maskedSelect(mask)`). Writing through a mask needs no
 * readback when the value broadcasts to every selected element (`x.setAt([mask], 0)`), so `setAt`
 * takes that form and `setAtAsync` the others.
 * @module
 */
import { Tensor } from "./tensor.ts";
import { isGradEnabled, noGrad } from "./tape.ts";
import { numel } from "../backend/_view.ts";
import { expand, permute, reshape, select, slice as sliceDim, unsqueeze } from "./ops_movement.ts";
import { add, broadcastShapes, cast, compare, constant, mul, where } from "./ops_elementwise.ts";
import { arange } from "./ops_creation.ts";
import { indexSelect, scatterAdd } from "./ops_index.ts";
import { scatter } from "./ops_scatter.ts";
import { nonzero } from "./ops_select.ts";
import { applyInPlace, checkWritable } from "./ops_inplace.ts";
import { writeInPlace } from "./inplace.ts";

/** A Python slice `start:stop:step` (null where omitted), made by {@link slice}. */
export class Slice {
  /** A slice from its bounds, as {@link slice} builds it. */
  constructor(
    /** The first index (null: the start, or the end for a negative step). */
    readonly start: number | null,
    /** The index it stops before (null: the end). */
    readonly stop: number | null,
    /** The stride between indices (null: 1). */
    readonly step: number | null,
  ) {}
}

/**
 * A slice index for {@link Tensor.at} / {@link Tensor.setAt}, as Python's `slice`: `slice(stop)`
 * is `:stop`, `slice(start, stop, step?)` is `start:stop:step`; null means omitted. Negative
 * bounds count from the end and out-of-range bounds clamp; the step must be positive (PyTorch's rule).
 *
 * @example
 * ```ts
 * import { slice, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([0, 1, 2, 3, 4, 5]);
 * assert.deepEqual(await x.at(slice(1, null, 2)).toArray(), [1, 3, 5]);
 * assert.deepEqual(await x.at(slice(-2, null)).toArray(), [4, 5]);
 * ```
 */
export function slice(stop: number | null): Slice;
/** `start:stop:step` as a {@link Slice}. */
export function slice(start: number | null, stop: number | null, step?: number | null): Slice;
export function slice(a: number | null, b?: number | null, step: number | null = null): Slice {
  for (const v of [a, b, step]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) {
      throw new TypeError(`slice: bounds and step must be integers or null, got ${v}`);
    }
  }
  if (step !== null && step <= 0) throw new RangeError(`slice: step must be greater than zero, got ${step}`);
  return b === undefined ? new Slice(null, a, null) : new Slice(a, b, step);
}

/** One index of {@link at}: an integer, a {@link slice}, null (new axis), "..." or an int (or bool) tensor. */
export type Index = number | Slice | null | "..." | Tensor;

/** Options of {@link setAt}. */
export interface SetAtOptions {
  /** Add the value at the indexed positions (repeated positions add up) instead of replacing (index_put_'s accumulate). @default {false} */
  accumulate?: boolean;
}

function isBoolTensor(i: unknown): i is Tensor {
  return i instanceof Tensor && i.dtype === "bool";
}

/** Basic indices applied as views; the int tensors left, aligned with the view's dims (null where none). */
function applyBasic(op: string, x: Tensor, indices: readonly Index[]): { view: Tensor; tensors: (Tensor | null)[] } {
  let consumed = 0, ellipsis = false;
  for (const idx of indices) {
    if (idx === "...") {
      if (ellipsis) throw new RangeError(`${op}: an index can only have a single ellipsis ("...")`);
      ellipsis = true;
    } else if (idx !== null) consumed++;
  }
  if (consumed > x.ndim) {
    throw new RangeError(
      `${op}: too many indices for a tensor of dimension ${x.ndim} (shape [${x.shape}]): got ${consumed}`,
    );
  }
  let view = x;
  const tensors: (Tensor | null)[] = [];
  let dim = 0, source = 0;
  for (const idx of indices) {
    if (idx === "...") {
      const n = x.ndim - consumed;
      for (let k = 0; k < n; k++) tensors.push(null);
      dim += n;
      source += n;
    } else if (idx === null) {
      view = unsqueeze(view, dim++);
      tensors.push(null);
    } else if (typeof idx === "number") {
      const n = view.shape[dim];
      if (!Number.isInteger(idx) || idx < -n || idx >= n) {
        throw new RangeError(`${op}: index ${idx} is out of bounds for dimension ${source} with size ${n}`);
      }
      view = select(view, dim, idx);
      source++;
    } else if (idx instanceof Slice) {
      view = sliceDim(view, dim++, idx.start ?? 0, idx.stop ?? Infinity, idx.step ?? 1);
      tensors.push(null);
      source++;
    } else if (idx instanceof Tensor) {
      if (idx.dtype === "bool") {
        throw new TypeError(
          `${op}: a bool mask index selects a data-dependent number of elements; use \`await x.atAsync(mask)\` ` +
            "or `await x.maskedSelect(mask)` to read, and setAt([mask], value) to write",
        );
      }
      if (idx.dtype !== "int32") {
        throw new TypeError(`${op}: tensors used as indices must be int32 (int64) or bool, got ${idx.dtype}`);
      }
      if (idx.device !== x.device) {
        throw new TypeError(`${op}: an index tensor is on ${idx.device} but the tensor indexed is on ${x.device}`);
      }
      tensors.push(idx);
      dim++;
      source++;
    } else {
      throw new TypeError(
        `${op}: unsupported index ${String(idx)}; use integers, slice(), null, "..." or int/bool tensors`,
      );
    }
  }
  while (tensors.length < view.ndim) tensors.push(null);
  return { view, tensors };
}

/** The int tensor indices of `view` picked with one gather, their dims placed by PyTorch's rule. */
function gatherAdvanced(op: string, view: Tensor, tensors: readonly (Tensor | null)[]): Tensor {
  const pos = tensors.flatMap((t, d) => (t ? [d] : []));
  if (pos.length === 0) return view;
  let bshape: number[] = [];
  for (const d of pos) bshape = broadcastShapes(op, bshape, tensors[d]!.shape);
  const sizes = pos.map((d) => view.shape[d]);
  // the row-major position in the indexed dims, negatives counted from the end
  let linear: Tensor | null = null;
  let stride = 1;
  for (let k = pos.length - 1; k >= 0; k--) {
    const idx = tensors[pos[k]]!;
    const n = sizes[k];
    const wrapped = where(compare("lt", idx, 0), add(idx, n), idx);
    const term = stride === 1 ? wrapped : mul(wrapped, stride);
    linear = linear === null ? term : add(linear, term);
    stride *= n;
  }
  const rest = view.shape.flatMap((_, d) => (tensors[d] ? [] : [d]));
  const restShape = rest.map((d) => view.shape[d]);
  const moved = permute(view, [...pos, ...rest]);
  const flat = reshape(moved, [numel(sizes), ...restShape]);
  const picked = indexSelect(flat, 0, reshape(expand(linear!, bshape), [numel(bshape)]));
  const out = reshape(picked, [...bshape, ...restShape]);
  const adjacent = pos[pos.length - 1] - pos[0] === pos.length - 1;
  if (!adjacent || pos[0] === 0) return out;
  // adjacent indexed dims: their broadcast dims take the place of the first one
  const b = bshape.length, before = pos[0];
  const perm = [
    ...Array.from({ length: before }, (_, i) => b + i),
    ...Array.from({ length: b }, (_, i) => i),
    ...Array.from({ length: rest.length - before }, (_, i) => b + before + i),
  ];
  return permute(out, perm);
}

/**
 * `x[indices…]` (PyTorch's indexing): a view for basic indices, a gather for int tensor indices;
 * differentiable either way. Bool masks need {@link atAsync}.
 *
 * @example
 * ```ts
 * import { slice, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * assert.deepEqual(await x.at(-1, slice(null, null, 2)).toArray(), [4, 6]);
 * assert.deepEqual(await x.at(tensor([1, 0]), tensor([2, 2])).toArray(), [6, 3]);
 * assert.deepEqual(x.at("...", null).shape, [2, 3, 1]);
 * ```
 */
export function at(x: Tensor, indices: readonly Index[]): Tensor {
  const { view, tensors } = applyBasic("at", x, indices);
  return gatherAdvanced("at", view, tensors);
}

/** Bool mask indices replaced by their positions (torch's rule: a k-d mask stands for k int index tensors). */
async function expandMasks(indices: readonly Index[]): Promise<Index[]> {
  const out: Index[] = [];
  for (const idx of indices) {
    if (isBoolTensor(idx)) {
      if (idx.ndim === 0) throw new RangeError("atAsync: a 0-d bool index is not supported; use a 1-element mask");
      out.push(...(await nonzero(idx, { asTuple: true }) as Tensor[]));
    } else out.push(idx);
  }
  return out;
}

/** {@link at} that also takes bool mask indices (their positions are read back first, hence async). */
export async function atAsync(x: Tensor, indices: readonly Index[]): Promise<Tensor> {
  return at(x, await expandMasks(indices));
}

/** The value as a tensor of `x`'s dtype broadcast to `shape`, or a RangeError naming the shapes. */
function valueAs(op: string, x: Tensor, value: Tensor | number, shape: readonly number[]): Tensor {
  if (typeof value === "number" || typeof value === "boolean") {
    return expand(constant(Number(value), x.dtype, x.device), shape);
  }
  const b = broadcastShapes(op, shape, value.shape);
  if (b.join() !== shape.join()) {
    throw new RangeError(
      `${op}: shape mismatch: a value of shape [${value.shape}] cannot be broadcast to the indexing result of shape [${shape}]`,
    );
  }
  return expand(cast(value, x.dtype), shape);
}

/** A lone bool mask (optionally followed by "...") covering x's leading dims, with a value that broadcasts to every pick. */
function maskForm(x: Tensor, indices: readonly Index[], value: Tensor | number): Tensor | null {
  const mask = indices[0];
  const only = indices.length === 1 || (indices.length === 2 && indices[1] === "...");
  if (!isBoolTensor(mask) || !only) return null;
  if (mask.ndim > x.ndim || mask.shape.some((s, i) => s !== x.shape[i])) {
    throw new RangeError(`setAt: the mask of shape [${mask.shape}] does not match the leading dims of [${x.shape}]`);
  }
  const rest = x.ndim - mask.ndim;
  if (value instanceof Tensor && value.ndim > rest && value.shape.slice(0, value.ndim - rest).some((s) => s !== 1)) {
    return null;
  }
  return reshape(mask, [...mask.shape, ...Array(rest).fill(1)]);
}

/**
 * `x[indices…] = value` in place (torch's `index_put_`), or `+=` with `accumulate` (repeated
 * positions add up). `value` is a number or a tensor broadcast to the indexing result and cast
 * to `x`'s dtype. A bool mask alone works when `value` broadcasts to every selected element;
 * other masks need {@link setAtAsync}. Returns `x`.
 */
export function setAt(
  x: Tensor,
  indices: readonly Index[],
  value: Tensor | number,
  options: SetAtOptions = {},
): Tensor {
  const op = "setAt";
  const accumulate = options.accumulate ?? false;
  const others = value instanceof Tensor ? [value] : [];
  const mask = maskForm(x, indices, value);
  if (mask !== null) {
    return applyInPlace(op, x, others, (s, o) => {
      const v = valueAs(op, s, o[0] ?? (value as number), s.shape);
      return where(mask, accumulate ? add(s, v) : v, s);
    }, { self: "passes", anyDType: true });
  }
  if (indices.some(isBoolTensor)) {
    throw new TypeError(
      "setAt: this bool mask index selects a data-dependent number of elements; use `await x.setAtAsync(indices, value)`",
    );
  }
  const tracking = isGradEnabled() && (x.requiresGrad || (value instanceof Tensor && value.requiresGrad));
  if (!tracking && !indices.some((i) => i instanceof Tensor)) {
    // basic indices without autograd: write straight into the view
    checkWritable(op, x);
    noGrad(() => {
      const view = at(x, indices);
      const v = valueAs(op, x, value, view.shape);
      writeInPlace(op, view, accumulate ? add(view, v) : v);
    });
    return x;
  }
  const positions = noGrad(() =>
    at(reshape(arange(0, x.size, 1, { dtype: "int32", device: x.device }), x.shape), indices)
  );
  const flatPositions = reshape(positions, [positions.size]);
  return applyInPlace(op, x, others, (s, o) => {
    const v = reshape(valueAs(op, s, o[0] ?? (value as number), positions.shape), [positions.size]);
    const flat = reshape(s, [s.size]);
    const out = accumulate ? scatterAdd(flat, 0, flatPositions, v) : scatter(flat, 0, flatPositions, v);
    return reshape(out, s.shape);
  }, { self: "passes", anyDType: true });
}

/** {@link setAt} that also takes any bool mask indices (their positions are read back first). */
export async function setAtAsync(
  x: Tensor,
  indices: readonly Index[],
  value: Tensor | number,
  options: SetAtOptions = {},
): Promise<Tensor> {
  return setAt(x, await expandMasks(indices), value, options);
}
