/** Shape and layout ops: views without copies where the strides allow, and device moves. @module */
import { contiguousStrides, numel } from "../backend/_view.ts";
import { record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { backendFor, type Device } from "./device.ts";
import { normalizeDim, normalizeDims, sumToShape } from "./ops_reduce.ts";
import { unaryRaw } from "./ops_elementwise.ts";

function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x, { shape, strides, offset }, x.dtype, x.device);
}

/** Resolves one −1 and checks the element count, naming `op` on failure. */
export function inferShape(op: string, shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.some((d, i) => !Number.isInteger(d) || d < -1 || (d === -1 && i !== free))) {
    throw new RangeError(`${op}: invalid shape [${shape}]: sizes must be non-negative integers with at most one -1`);
  }
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    if (rest === 0 || size % rest !== 0) {
      throw new RangeError(`${op}: shape [${shape}] is invalid for a tensor of shape [${from}] (${size} elements)`);
    }
    out[free] = size / rest;
  }
  if (numel(out) !== size) {
    throw new RangeError(`${op}: shape [${shape}] is invalid for a tensor of shape [${from}] (${size} elements)`);
  }
  return out;
}

/** Strides that let `x` be read as `shape` without copying, or null (torch's computeStride). */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.size === 0) return contiguousStrides(shape);
  const oldShape = x.shape, oldStrides = x.strides;
  const newStrides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1, viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) {
    for (; viewD >= 0; viewD--) newStrides[viewD] = 1;
  }
  return newStrides;
}

/** Reads `x` as `shape`; throws when that needs a copy (use reshape). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape("view", shape, x.size, x.shape);
  const strides = viewStrides(x, target);
  if (!strides) {
    throw new RangeError(
      `view: shape [${shape}] is not compatible with the strides [${x.strides}] of this [${x.shape}] tensor; ` +
        "use reshape() (which copies) or call contiguous() first",
    );
  }
  const out = viewOf(x, target, strides, x.offset);
  return record("view", [x], out, (g) => [reshape(g, x.shape)]);
}

/** `x` as `shape`, a view when possible and a copy otherwise. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape("reshape", shape, x.size, x.shape);
  if (target.length === x.ndim && target.every((d, i) => d === x.shape[i])) return x;
  const strides = viewStrides(x, target);
  const out = strides ? viewOf(x, target, strides, x.offset) : viewOf(copyRaw(x), target, contiguousStrides(target), 0);
  return record("reshape", [x], out, (g) => [reshape(g, x.shape)]);
}

function copyRaw(x: Tensor): Tensor {
  return unaryRaw("copy", x);
}

/** Reorders dims (a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new RangeError(`permute: got ${dims.length} dims [${dims}] for a tensor with ${x.ndim} dims`);
  }
  const norm = dims.map((d) => normalizeDim("permute", d, x.ndim));
  if (new Set(norm).size !== norm.length) throw new RangeError(`permute: dims [${dims}] repeat a dim`);
  const out = viewOf(x, norm.map((d) => x.shape[d]), norm.map((d) => x.strides[d]), x.offset);
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => (inverse[d] = i));
  return record("permute", [x], out, (g) => [permute(g, inverse)]);
}

/** Swaps two dims (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const order = [...Array(x.ndim).keys()];
  const a = normalizeDim("transpose", dim0, x.ndim), b = normalizeDim("transpose", dim1, x.ndim);
  if (x.ndim < 2) return x;
  [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/** Broadcasts to `shape` with zero strides (a view); −1 keeps a dim. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const n = shape.length;
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new RangeError(`expand: sizes must be non-negative integers (or -1 to keep a dim), got [${shape}]`);
  }
  if (n < x.ndim) {
    throw new RangeError(`expand: cannot expand shape [${x.shape}] to fewer dims [${shape}]`);
  }
  const outShape = new Array<number>(n), strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i - (n - x.ndim);
    const src = j >= 0 ? x.shape[j] : 1;
    if (shape[i] === -1 && j < 0) {
      throw new RangeError(`expand: -1 is not allowed for the new leading dim ${i} in [${shape}]`);
    }
    const want = shape[i] === -1 ? src : shape[i];
    if (src !== want && src !== 1) {
      throw new RangeError(
        `expand: shape [${x.shape}] cannot be expanded to [${shape}]: dim ${i} has size ${src}, which is not 1`,
      );
    }
    outShape[i] = want;
    strides[i] = j >= 0 && src === want ? x.strides[j] : 0;
  }
  if (outShape.length === x.ndim && outShape.every((d, i) => d === x.shape[i])) return x;
  const out = viewOf(x, outShape, strides, x.offset);
  return record("expand", [x], out, (g) => [sumToShape(g, x.shape)]);
}

/** Removes size-1 dims (all of them, or those listed). */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const axes = dim === undefined
    ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
    : normalizeDims("squeeze", dim, x.ndim);
  const keepAxes = [...Array(x.ndim).keys()].filter((i) => !(axes.includes(i) && x.shape[i] === 1));
  return reshape(x, keepAxes.map((i) => x.shape[i]));
}

/** Inserts a size-1 dim at `dim` (−1 appends). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Flattens dims `startDim..endDim`. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim("flatten", startDim, x.ndim), e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Row-major layout: `x` itself when already contiguous, else a copy. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous) return x;
  return clone(x);
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = copyRaw(x);
  return record("clone", [x], out, (g) => [g]);
}

/** A slice spec: index (removes the dim), `[start, end?, step?]`, or null for the whole dim. */
export type SliceSpec = number | null | [number?, number?, number?];

/** Elements `start..end` by `step` along `dim` (a view); negative bounds count from the end. */
export function slice(x: Tensor, dim: number, start = 0, end = Infinity, step = 1): Tensor {
  const d = normalizeDim("slice", dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start), e = Math.max(clampIdx(end), s);
  const len = Math.ceil((e - s) / step);
  if (s === 0 && len === n && step === 1) return x;
  const shape = [...x.shape], strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d] * step;
  const out = viewOf(x, shape, strides, x.offset + s * x.strides[d]);
  return record("slice", [x], out, (g) => [unslice(g, x.shape, d, s, step)]);
}

/** The adjoint of `slice`: `g` placed into zeros of `shape`. */
function unslice(g: Tensor, shape: readonly number[], d: number, start: number, step: number): Tensor {
  const backend = g.backend;
  const base = backend.zeros(numel(shape), g.dtype);
  const strides = contiguousStrides(shape);
  const target = {
    shape: g.shape,
    strides: strides.map((s, i) => (i === d ? s * step : s)),
    offset: start * strides[d],
  };
  backend.copyInto(base, target, g.storage("slice backward"), g.layout);
  const out = Tensor.fromStorage(base, shape, g.dtype, g.device);
  return record("unslice", [g], out, (gg) => [slice(gg, d, start, start + g.shape[d] * step, step)]);
}

/** Applies one slice spec per leading dim (numbers select and drop the dim). */
export function sliceMany(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  if (specs.length > x.ndim) throw new RangeError(`slice: ${specs.length} specs for a tensor with ${x.ndim} dims`);
  let out = x;
  let dim = 0;
  for (const spec of specs) {
    if (typeof spec === "number") {
      out = select(out, dim, spec);
      continue;
    }
    if (spec !== null) out = slice(out, dim, spec[0] ?? 0, spec[1] ?? Infinity, spec[2] ?? 1);
    dim++;
  }
  return out;
}

/** Element `index` along `dim`, dropping the dim (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim("select", dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new RangeError(`select: index ${index} is out of range for dim ${dim} of size ${n} (shape [${x.shape}])`);
  }
  const i = index < 0 ? index + n : index;
  return squeeze(slice(x, d, i, i + 1), d);
}

/** Views of `size`-long pieces (or the listed sizes) along `dim`. */
export function split(x: Tensor, size: number | number[], dim = 0): Tensor[] {
  const d = normalizeDim("split", dim, x.ndim);
  const sizes: number[] = [];
  if (typeof size === "number") {
    if (!Number.isInteger(size) || size < 0 || (size === 0 && x.shape[d] !== 0)) {
      throw new RangeError(`split: size must be a positive integer, got ${size}`);
    }
    for (let s = 0; s < x.shape[d]; s += size) sizes.push(Math.min(size, x.shape[d] - s));
    if (x.shape[d] === 0) sizes.push(0); // PyTorch gives one empty piece
  } else {
    if (size.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new RangeError(`split: sizes [${size}] must be non-negative integers`);
    }
    if (size.reduce((a, b) => a + b, 0) !== x.shape[d]) {
      throw new RangeError(`split: sizes [${size}] do not add up to dim ${dim} of size ${x.shape[d]}`);
    }
    sizes.push(...size);
  }
  let start = 0;
  return sizes.map((len) => {
    const piece = slice(x, d, start, start + len);
    start += len;
    return piece;
  });
}

/** `chunks` nearly equal views along `dim`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normalizeDim("chunk", dim, x.ndim);
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  // PyTorch: pieces of ceil(n / chunks), so fewer than `chunks` may come back; an empty dim gives `chunks` empty pieces
  if (x.shape[d] === 0) return Array.from({ length: chunks }, () => slice(x, d, 0, 0));
  return split(x, Math.ceil(x.shape[d] / chunks), d);
}

/** Tiles the tensor `repeats[i]` times along each dim (torch.Tensor.repeat). */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new RangeError(`repeat: repeats must be non-negative integers, got [${repeats}]`);
  }
  if (repeats.length < x.ndim) {
    throw new RangeError(`repeat: ${repeats.length} repeats for a tensor with ${x.ndim} dims`);
  }
  const shape = [...Array(repeats.length - x.ndim).fill(1), ...x.shape];
  const inter: number[] = [], expanded: number[] = [];
  shape.forEach((d, i) => {
    inter.push(1, d);
    expanded.push(repeats[i], d);
  });
  return reshape(expand(reshape(x, inter), expanded), shape.map((d, i) => d * repeats[i]));
}

/** Synchronous move from a host device (cpu, reference) to another device. */
export function toDeviceSync(x: Tensor, device: Device): Tensor {
  const readSync = x.backend.readSync;
  if (!readSync) throw new Error(`to: only cpu tensors move synchronously; use await t.toDevice("${device}")`);
  const c = x.isDense ? x : copyRaw(x);
  const host = readSync.call(c.backend, c.storage("to"));
  const out = Tensor.fromStorage(backendFor(device).upload(host, x.dtype), x.shape, x.dtype, device);
  if (c !== x) c.dispose();
  return record("to", [x], out, (g) => [toDeviceSync(g, x.device)]);
}

/** Move to `device`, awaiting the readback when leaving webgpu (not differentiable). */
export async function toDevice(x: Tensor, device: Device): Promise<Tensor> {
  if (device === x.device) return x;
  if (x.backend.readSync) return toDeviceSync(x, device);
  const host = await x.data();
  return Tensor.fromStorage(backendFor(device).upload(host, x.dtype), x.shape, x.dtype, device);
}
