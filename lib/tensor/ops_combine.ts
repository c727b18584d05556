/** Joining and padding: cat, stack, pad. @module */
import { contiguousStrides, numel } from "../backend/_view.ts";
import { record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { normalizeDim } from "./ops_reduce.ts";
import { slice, unsqueeze } from "./ops_movement.ts";
import { cast } from "./ops_elementwise.ts";
import { promote } from "./dtype.ts";

/** Joins tensors along an existing dim; shapes must match elsewhere. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new RangeError("cat: expected a non-empty array of tensors");
  }
  const first = tensors[0];
  const d = normalizeDim("cat", dim, first.ndim);
  let dtype = first.dtype;
  for (const t of tensors) {
    if (t.device !== first.device) {
      throw new TypeError(`cat: tensors are on different devices (${first.device}, ${t.device})`);
    }
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => i !== d && s !== first.shape[i])) {
      throw new RangeError(
        `cat: shapes ${tensors.map((x) => `[${x.shape}]`).join(", ")} must match except in dim ${dim}`,
      );
    }
    dtype = promote(dtype, t.dtype);
  }
  const parts = tensors.map((t) => cast(t, dtype));
  const shape = [...first.shape];
  shape[d] = parts.reduce((n, t) => n + t.shape[d], 0);
  const backend = first.backend;
  const out = backend.zeros(numel(shape), dtype);
  const strides = contiguousStrides(shape);
  let start = 0;
  const starts: number[] = [];
  for (const t of parts) {
    starts.push(start);
    if (t.size > 0) {
      backend.copyInto(out, { shape: t.shape, strides, offset: start * strides[d] }, t.storage("cat"), t.layout);
    }
    start += t.shape[d];
  }
  const result = Tensor.fromStorage(out, shape, dtype, first.device);
  return record("cat", parts, result, (g) => parts.map((t, i) => slice(g, d, starts[i], starts[i] + t.shape[d])));
}

/** Joins tensors of equal shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new RangeError("stack: expected a non-empty array of tensors");
  }
  const d = normalizeDim("stack", dim, tensors[0].ndim + 1);
  for (const t of tensors) {
    if (t.shape.join() !== tensors[0].shape.join()) {
      throw new RangeError(
        `stack: all tensors must have the same shape, got ${tensors.map((x) => `[${x.shape}]`).join(", ")}`,
      );
    }
  }
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/**
 * Pads with a constant. `pad` lists (before, after) pairs starting from the last dim, as in
 * `torch.nn.functional.pad`: `[left, right, top, bottom]` pads the last two dims.
 */
export function pad(x: Tensor, pad: readonly number[], value = 0): Tensor {
  if (pad.length % 2 !== 0 || pad.length / 2 > x.ndim) {
    throw new RangeError(`pad: expected pairs for at most ${x.ndim} dims, got [${pad}]`);
  }
  if (pad.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new RangeError(`pad: paddings must be non-negative integers, got [${pad}]`);
  }
  const shape = [...x.shape];
  const before = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pad.length / 2; i++) {
    const d = x.ndim - 1 - i;
    before[d] = pad[2 * i];
    shape[d] += pad[2 * i] + pad[2 * i + 1];
  }
  const backend = x.backend;
  const out = backend.fill(numel(shape), value, x.dtype);
  const strides = contiguousStrides(shape);
  const offset = before.reduce((o, b, i) => o + b * strides[i], 0);
  if (x.size > 0) backend.copyInto(out, { shape: x.shape, strides, offset }, x.storage("pad"), x.layout);
  const result = Tensor.fromStorage(out, shape, x.dtype, x.device);
  return record("pad", [x], result, (g) => {
    let r = g;
    for (let d = 0; d < x.ndim; d++) if (shape[d] !== x.shape[d]) r = slice(r, d, before[d], before[d] + x.shape[d]);
    return [r];
  });
}
