/** Joining and padding: cat, stack, pad. @module */
import { contiguousStrides, numel } from "../backend/_view.ts";
import { record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { normalizeDim } from "./ops_reduce.ts";
import { slice, unsqueeze } from "./ops_movement.ts";
import { cast } from "./ops_elementwise.ts";
import { promote } from "./dtype.ts";
import { checkOptions } from "./_args.ts";
import { indexSelect } from "./ops_index.ts";
import { tensor } from "./ops_creation.ts";

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

/** How `pad` fills: a constant, the mirror image without the edge, the edge repeated, or the other end. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/** Options of `pad` (torch.nn.functional.pad's keyword arguments). */
export interface PadOptions {
  /** Fill rule (default "constant"). */
  mode?: PadMode;
  /** Fill value of constant mode (default 0). */
  value?: number;
}

const PAD_MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * Pads (torch.nn.functional.pad). `pad` lists (before, after) pairs starting from the last dim:
 * `[left, right, top, bottom]` pads the last two dims; negative amounts crop. `mode` is
 * `"constant"` (fill with `value`, default 0), `"reflect"` (mirror without repeating the edge,
 * each amount below the dim's size), `"replicate"` (repeat the edge) or `"circular"` (wrap
 * around, each amount at most the dim's size). Takes `pad(x, p, mode, value)`,
 * `pad(x, p, { mode, value })`, or the older `pad(x, p, value)`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const y = F.pad(tensor([1, 2, 3]), [2, 1], { mode: "reflect" });
 * assert.deepEqual(await y.toArray(), [3, 2, 1, 2, 3, 2]);
 * ```
 */
export function pad(
  x: Tensor,
  pad: readonly number[],
  modeOrOptions?: PadMode | number | PadOptions,
  value?: number,
): Tensor {
  let options: PadOptions;
  if (typeof modeOrOptions === "number") {
    if (value !== undefined) {
      throw new TypeError("pad: give the value once (pad(x, p, value) or pad(x, p, mode, value))");
    }
    options = { value: modeOrOptions };
  } else if (typeof modeOrOptions === "string" || modeOrOptions === undefined) {
    options = { mode: modeOrOptions, value };
  } else {
    if (value !== undefined) throw new TypeError("pad: the options object must come last");
    checkOptions("pad", modeOrOptions, ["mode", "value"]);
    options = modeOrOptions;
  }
  const mode = options.mode ?? "constant";
  if (!PAD_MODES.includes(mode)) {
    throw new TypeError(`pad: mode must be one of ${PAD_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
  }
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length / 2 > x.ndim) {
    throw new RangeError(`pad: expected (before, after) pairs for at most ${x.ndim} dims, got [${pad}]`);
  }
  if (pad.some((p) => !Number.isInteger(p))) throw new RangeError(`pad: paddings must be integers, got [${pad}]`);
  const before = new Array<number>(x.ndim).fill(0), after = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pad.length / 2; i++) {
    const d = x.ndim - 1 - i;
    before[d] = pad[2 * i];
    after[d] = pad[2 * i + 1];
    if (x.shape[d] + before[d] + after[d] < 0) {
      throw new RangeError(`pad: padding [${pad}] crops dim ${d} of size ${x.shape[d]} below 0 (input [${x.shape}])`);
    }
  }
  if (mode === "constant") {
    const v = options.value ?? 0;
    if (typeof v !== "number") throw new TypeError(`pad: value must be a number, got ${typeof v}`);
    return constantPad(crop(x, before, after), before.map((b) => Math.max(b, 0)), after.map((a) => Math.max(a, 0)), v);
  }
  if (options.value !== undefined && options.value !== 0) {
    throw new TypeError(`pad: mode "${mode}" takes no value (got ${options.value}); the fill comes from the input`);
  }
  let y = x;
  for (let d = 0; d < x.ndim; d++) {
    if (before[d] === 0 && after[d] === 0) continue;
    y = indexSelect(y, d, tensor(padIndices(mode, d, x.shape[d], before[d], after[d]), { device: x.device }));
  }
  return y;
}

/** For each position of the padded dim, the source position `mode` takes it from. */
function padIndices(mode: Exclude<PadMode, "constant">, d: number, n: number, before: number, after: number): number[] {
  const limit = mode === "reflect" ? n - 1 : mode === "circular" ? n : Infinity;
  if (n === 0 || Math.max(before, after) > limit) {
    const what = mode === "reflect" ? "below" : "at most";
    throw new RangeError(
      `pad: ${mode} padding (${before}, ${after}) of dim ${d} must be ${what} its size ${n}`,
    );
  }
  const out = Array.from({ length: n + before + after }, (_, i) => i - before);
  if (mode === "replicate") return out.map((j) => Math.min(Math.max(j, 0), n - 1));
  if (mode === "circular") return out.map((j) => ((j % n) + n) % n);
  return out.map((j) => (j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j));
}

/** `x` with the negative (cropping) amounts of `before`/`after` taken off, as a view. */
function crop(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  let y = x;
  for (let d = 0; d < x.ndim; d++) {
    if (before[d] < 0 || after[d] < 0) {
      y = slice(y, d, Math.max(0, -before[d]), x.shape[d] - Math.max(0, -after[d]));
    }
  }
  return y;
}

/** Pads with the constant `value`, `before[d]`/`after[d]` (non-negative) on each dim. */
function constantPad(x: Tensor, before: readonly number[], after: readonly number[], value: number): Tensor {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  const shape = x.shape.map((n, d) => n + before[d] + after[d]);
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
