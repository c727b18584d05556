/**
 * Neural-network ops built from primitives: convolution as im2col + matmul, pooling over
 * unfolded windows, layer norm, dropout. Their gradients come from the pieces, or from the
 * one-pass primitives' recorded backward (primitives.ts).
 * @module
 */
import type { WindowParams } from "../backend/backend.ts";
import { windowOutputSize } from "../backend/_view.ts";
import type { Tensor } from "./tensor.ts";
import { add, div, mul, rsqrt, sub } from "./ops_elementwise.ts";
import { reshape, slice } from "./ops_movement.ts";
import { cat, pad } from "./ops_combine.ts";
import { amax, maxWithIndices, mean, sum } from "./ops_reduce.ts";
import { matmul, matmulBias } from "./ops_linalg.ts";
import { bernoulli, ones } from "./ops_creation.ts";
import { isOptionsObject, mergeArgs, refuseOption } from "./_args.ts";
import { isFloat } from "./dtype.ts";
import { directMaxPool2d, fusedLayerNorm, unfoldRaw } from "./primitives.ts";

/** A size given as one number for both spatial dims or as a pair. */
export type Pair = number | [number, number];

function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new RangeError(`${op}: ${name} must be integers >= ${min}, got ${JSON.stringify(v)}`);
  }
  return p;
}

function windowParams(
  op: string,
  x: Tensor,
  kernel: Pair,
  o: { stride?: Pair; padding?: Pair; dilation?: Pair },
  defaultStride: Pair,
): WindowParams & { out: [number, number] } {
  if (x.ndim !== 4) throw new RangeError(`${op}: expected a 4-D input [N, C, H, W], got [${x.shape}]`);
  const k = pair(op, "kernel size", kernel, 1);
  const stride = pair(op, "stride", o.stride ?? defaultStride, 1);
  const padding = pair(op, "padding", o.padding ?? 0, 0);
  const dilation = pair(op, "dilation", o.dilation ?? 1, 1);
  const p = { kernel: k, stride, padding, dilation, out: [0, 0] as [number, number] };
  const out = p.out;
  out[0] = windowOutputSize(x.shape[2], p, 0);
  out[1] = windowOutputSize(x.shape[3], p, 1);
  if (out[0] <= 0 || out[1] <= 0) {
    throw new RangeError(
      `${op}: input [${x.shape}] is too small for kernel [${k}] with padding [${padding}] and dilation [${dilation}] ` +
        `(output would be ${out[0]}x${out[1]})`,
    );
  }
  return p;
}

/** Options of conv2d (torch.nn.functional.conv2d's keyword arguments). */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zero padding on each side (default 0), or `"valid"` (none) or `"same"` (output size = input size, stride 1). */
  padding?: Pair | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
}

/** conv2d's arguments after the bias: an options object, or torch's positional order. */
export type Conv2dArgs =
  | [options?: Conv2dOptions]
  | [stride?: Pair, padding?: Conv2dOptions["padding"], dilation?: Pair, groups?: number, options?: Conv2dOptions];

const CONV_POSITIONAL = ["stride", "padding", "dilation", "groups"] as const;

/**
 * 2-D convolution (cross-correlation, as in PyTorch): input `[N, C, H, W]`, weight
 * `[O, C/groups, kh, kw]`, optional bias `[O]`; output `[N, O, Ho, Wo]`. Takes torch's
 * positional order `conv2d(x, w, b, stride, padding, dilation, groups)` or an options object
 * (in the place of the bias too: `conv2d(x, w, { stride: 2 })`). Where the backend caps what one
 * kernel binding holds (`Backend.sizeLimits`, WebGPU), the im2col columns stay under that cap:
 * the batch, or an image's output rows, run in pieces joined with cat.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  biasOrOptions?: Tensor | null | Conv2dOptions,
  ...args: Conv2dArgs
): Tensor {
  if (isOptionsObject(biasOrOptions)) {
    if (args.length > 0) throw new TypeError("conv2d: an options object in the place of the bias must come last");
    return conv2d(x, weight, null, biasOrOptions as Conv2dOptions);
  }
  const bias = biasOrOptions as Tensor | null | undefined;
  const options = mergeArgs<Conv2dOptions>("conv2d", CONV_POSITIONAL, args);
  if (weight.ndim !== 4) {
    throw new RangeError(`conv2d: weight must be 4-D [O, C/groups, kh, kw], got [${weight.shape}]`);
  }
  const groups = options.groups ?? 1;
  const [o, cg, kh, kw] = weight.shape;
  if (x.ndim !== 4) throw new RangeError(`conv2d: expected a 4-D input [N, C, H, W], got [${x.shape}]`);
  const c = x.shape[1];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new RangeError(`conv2d: groups=${groups} must divide both in-channels ${c} and out-channels ${o}`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `conv2d: input [${x.shape}] has ${c} channels but weight [${weight.shape}] expects ${
        cg * groups
      } (groups=${groups})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new RangeError(`conv2d: bias must have shape [${o}], got [${bias.shape}]`);
  }
  const padding = options.padding ?? 0;
  if (typeof padding === "string") {
    const dilation = pair("conv2d", "dilation", options.dilation ?? 1, 1);
    if (padding === "valid") return conv2d(x, weight, bias, { ...options, padding: 0 });
    if (padding !== "same") throw new TypeError(`conv2d: padding must be a number, a pair, "same" or "valid"`);
    const stride = pair("conv2d", "stride", options.stride ?? 1, 1);
    if (stride.some((v) => v !== 1)) throw new RangeError(`conv2d: padding="same" needs stride 1, got [${stride}]`);
    // torch pads the odd remainder of d·(k − 1) on the bottom/right
    const total = [dilation[0] * (kh - 1), dilation[1] * (kw - 1)];
    const lo = total.map((t) => Math.floor(t / 2));
    if (total.every((t, i) => t === 2 * lo[i])) return conv2d(x, weight, bias, { ...options, padding: [lo[0], lo[1]] });
    const padded = pad(x, [lo[1], total[1] - lo[1], lo[0], total[0] - lo[0]]);
    return conv2d(padded, weight, bias, { ...options, padding: 0 });
  }
  const p = windowParams("conv2d", x, [kh, kw], { ...options, padding }, 1);
  const limit = x.backend.sizeLimits?.bindingBytes;
  return limit === undefined
    ? conv2dWhole(x, weight, bias, p, groups)
    : conv2dInPieces(x, weight, bias, p, groups, limit);
}

type Window = WindowParams & { out: [number, number] };

/** Bytes per element of a backend with size limits (WebGPU stores every dtype in 4 bytes). */
const ELEMENT_BYTES = 4;

/**
 * conv2d keeping its im2col columns and its product under the backend's binding limit (`limit`
 * bytes): whole where they fit, else over ranges of images, and for an image too big alone over
 * ranges of output rows (each reading the input rows it needs, its zero padding made explicit).
 * The pieces are joined with cat, so gradients come from the pieces' own records. A
 * [1000, 32, 26, 26] input with a 3×3 kernel (663 MB of columns) runs as 5 ranges of images.
 */
function conv2dInPieces(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  p: Window,
  groups: number,
  limit: number,
): Tensor {
  const [n, c, h] = x.shape;
  const [o, , kh, kw] = weight.shape;
  const [ho, wo] = p.out;
  const elements = Math.floor(limit / ELEMENT_BYTES);
  // the larger of an output row's column entries (C·kh·kw per position) and its outputs (O per position)
  const perRow = Math.max(c * kh * kw, o) * wo;
  const perImage = perRow * ho;
  if (n * perImage <= elements) return conv2dWhole(x, weight, bias, p, groups);
  if (perImage <= elements) {
    const step = Math.floor(elements / perImage);
    const pieces: Tensor[] = [];
    for (let i = 0; i < n; i += step) pieces.push(conv2dWhole(slice(x, 0, i, i + step), weight, bias, p, groups));
    return cat(pieces, 0);
  }
  const step = Math.floor(elements / perRow);
  if (step < 1) {
    throw new RangeError(
      `conv2d: one output row of input [${x.shape}] with weight [${weight.shape}] needs ${perRow * ELEMENT_BYTES} ` +
        `bytes of im2col columns, over this device's binding limit of ${limit} bytes; use fewer channels or a ` +
        `narrower input, or the cpu backend`,
    );
  }
  const [sh] = p.stride, [ph, pw] = p.padding, [dh] = p.dilation;
  const images: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const image = slice(x, 0, i, i + 1);
    const rows: Tensor[] = [];
    for (let r0 = 0; r0 < ho; r0 += step) {
      const r1 = Math.min(ho, r0 + step);
      // input rows top..bottom (inclusive) feed output rows r0..r1-1; rows outside the image are padding
      const top = r0 * sh - ph, bottom = (r1 - 1) * sh - ph + dh * (kh - 1);
      let part = slice(image, 2, Math.max(0, top), Math.min(h, bottom + 1));
      const padTop = Math.max(0, -top), padBottom = Math.max(0, bottom + 1 - h);
      if (padTop > 0 || padBottom > 0) part = pad(part, [0, 0, padTop, padBottom]);
      const q: Window = { ...p, padding: [0, pw], out: [r1 - r0, wo] };
      rows.push(conv2dWhole(part, weight, bias, q, groups));
    }
    images.push(cat(rows, 2));
  }
  return cat(images, 0);
}

/** conv2d as one im2col and one matmul. */
function conv2dWhole(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, p: Window, groups: number): Tensor {
  const [n] = x.shape;
  const [o, cg, kh, kw] = weight.shape;
  const cols = reshape(unfoldRaw(x, p, 0), [n, groups, cg * kh * kw, p.out[0] * p.out[1]]);
  const w = reshape(weight, [groups, o / groups, cg * kh * kw]);
  // One group: the bias rides in the matmul's store (a row per output channel).
  if (bias && groups === 1 && bias.dtype === x.dtype && weight.dtype === x.dtype && bias.device === x.device) {
    return reshape(matmulBias(w, cols, bias, "rows"), [n, o, p.out[0], p.out[1]]);
  }
  let y = reshape(matmul(w, cols), [n, o, p.out[0], p.out[1]]);
  if (bias) y = add(y, reshape(bias, [1, o, 1, 1]));
  return y;
}

/** Options of maxPool2d (torch.nn.functional.max_pool2d's keyword arguments). */
export interface PoolOptions {
  /** Step of the window (default: the kernel size; null means the default, as torch's None). */
  stride?: Pair | null;
  /** Implicit padding on each side (default 0, at most half the kernel). */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /** Round the output size up instead of down, so windows may run past the bottom/right edge (default false). */
  ceilMode?: boolean;
  /** Also return the argmax indices: not supported (throws when true). */
  returnIndices?: boolean;
}

/** Options of avgPool2d (torch.nn.functional.avg_pool2d's keyword arguments). */
export interface AvgPoolOptions {
  /** Step of the window (default: the kernel size; null means the default). */
  stride?: Pair | null;
  /** Zero padding on each side (default 0, at most half the kernel). */
  padding?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the mean's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

/** maxPool2d's arguments after the kernel size: an options object, or torch's positional order. */
export type MaxPoolArgs =
  | [options?: PoolOptions]
  | [
    stride?: Pair | null,
    padding?: Pair,
    dilation?: Pair,
    ceilMode?: boolean,
    returnIndices?: boolean,
    options?: PoolOptions,
  ];

/** avgPool2d's arguments after the kernel size: an options object, or torch's positional order. */
export type AvgPoolArgs =
  | [options?: AvgPoolOptions]
  | [
    stride?: Pair | null,
    padding?: Pair,
    ceilMode?: boolean,
    countIncludePad?: boolean,
    divisorOverride?: number | null,
    options?: AvgPoolOptions,
  ];

/** torch.nn.functional.max_pool2d's positional order after the kernel size. */
export const MAX_POOL_POSITIONAL = ["stride", "padding", "dilation", "ceilMode", "returnIndices"] as const;
/** torch.nn.functional.avg_pool2d's positional order after the kernel size. */
export const AVG_POOL_POSITIONAL = ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"] as const;

/**
 * Window parameters of a pooling op with torch's ceil mode: the output size rounded up, the last
 * window kept only where it starts inside the input or the left padding; `extra` is the bottom/
 * right overhang past the padded input the rounded-up windows need.
 */
function poolWindow(
  op: string,
  x: Tensor,
  kernel: Pair,
  o: { stride?: Pair | null; padding?: Pair; dilation?: Pair; ceilMode?: boolean },
): Window & { extra: [number, number] } {
  const p = windowParams(op, x, kernel, { ...o, stride: o.stride ?? undefined }, kernel);
  if (p.padding.some((v, i) => v * 2 > p.kernel[i])) {
    throw new RangeError(`${op}: padding [${p.padding}] must be at most half the kernel [${p.kernel}]`);
  }
  const extra: [number, number] = [0, 0];
  if (o.ceilMode) {
    for (const i of [0, 1] as const) {
      const size = x.shape[2 + i], span = p.dilation[i] * (p.kernel[i] - 1) + 1;
      let out = Math.ceil((size + 2 * p.padding[i] - span) / p.stride[i]) + 1;
      if ((out - 1) * p.stride[i] >= size + p.padding[i]) out--;
      p.out[i] = out;
      extra[i] = Math.max(0, (out - 1) * p.stride[i] + span - (size + 2 * p.padding[i]));
    }
  }
  return { ...p, extra };
}

/** `x` padded explicitly with `value` (the symmetric padding plus the ceil-mode overhang), and windows over it without padding. */
function explicitPadding(x: Tensor, p: Window & { extra: [number, number] }, value: number): [Tensor, Window] {
  const [ph, pw] = p.padding, [eh, ew] = p.extra;
  const padded = pad(x, [pw, pw + ew, ph, ph + eh], value);
  return [padded, { kernel: p.kernel, stride: p.stride, padding: [0, 0], dilation: p.dilation, out: p.out }];
}

/**
 * Max over each window (torch.nn.functional.max_pool2d); the gradient goes to the first maximum
 * of the window (as in PyTorch). Takes torch's positional order
 * `maxPool2d(x, kernelSize, stride, padding, dilation, ceilMode)` or an options object.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, ...args: MaxPoolArgs): Tensor {
  const options = mergeArgs<PoolOptions>("maxPool2d", MAX_POOL_POSITIONAL, args);
  refuseOption("maxPool2d", "returnIndices", options.returnIndices, false, "use maxWithIndices over unfolded windows");
  const p = poolWindow("maxPool2d", x, kernelSize, options);
  if (p.extra[0] > 0 || p.extra[1] > 0) {
    const [padded, q] = explicitPadding(x, p, -Infinity);
    return directMaxPool2d(padded, q) ?? composedMaxPool2d(padded, q);
  }
  return directMaxPool2d(x, p) ?? composedMaxPool2d(x, p);
}

/** Max pooling as im2col (−∞ padding) + a max reduction; the gradient comes from the pieces. */
function composedMaxPool2d(x: Tensor, p: WindowParams & { out: [number, number] }): Tensor {
  const cols = unfoldRaw(x, p, -Infinity);
  const { values } = maxWithIndices(cols, 2);
  return reshape(values, [x.shape[0], x.shape[1], p.out[0], p.out[1]]);
}

/**
 * Mean over each window (torch.nn.functional.avg_pool2d). The divisor is the window's size
 * clipped to the padded input (`countIncludePad`, default true), or to the input alone
 * (`countIncludePad: false`), or `divisorOverride`. Takes torch's positional order
 * `avgPool2d(x, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride)` or an
 * options object.
 */
export function avgPool2d(x: Tensor, kernelSize: Pair, ...args: AvgPoolArgs): Tensor {
  const options = mergeArgs<AvgPoolOptions>("avgPool2d", AVG_POOL_POSITIONAL, args);
  const p = poolWindow("avgPool2d", x, kernelSize, { ...options, dilation: 1 });
  const override = options.divisorOverride ?? null;
  if (override !== null && (!Number.isInteger(override) || override === 0)) {
    throw new RangeError(`avgPool2d: divisorOverride must be a non-zero integer, got ${override}`);
  }
  const shape = [x.shape[0], x.shape[1], p.out[0], p.out[1]];
  const includePad = options.countIncludePad ?? true;
  const overhang = p.extra[0] > 0 || p.extra[1] > 0, padded = p.padding[0] > 0 || p.padding[1] > 0;
  if (override === null && !overhang && (includePad || !padded)) return reshape(mean(unfoldRaw(x, p, 0), 2), shape);
  const [xp, q] = explicitPadding(x, p, 0);
  const sums = sum(unfoldRaw(xp, q, 0), 2);
  if (override !== null) return reshape(div(sums, override), shape);
  // the divisor counts the positions of each window that lie in the (padded) input, not the overhang
  const [h, w] = [x.shape[2], x.shape[3]], [ph, pw] = p.padding, [eh, ew] = p.extra;
  const counted = includePad
    ? pad(ones([1, 1, h + 2 * ph, w + 2 * pw], { dtype: xp.dtype, device: x.device }), [0, ew, 0, eh])
    : pad(ones([1, 1, h, w], { dtype: xp.dtype, device: x.device }), [pw, pw + ew, ph, ph + eh]);
  const counts = sum(unfoldRaw(counted, q, 0), 2);
  return reshape(div(sums, counts), shape);
}

/** Max over the whole spatial extent (`adaptive_max_pool2d(x, 1)`). */
export function globalMaxPool2d(x: Tensor): Tensor {
  return amax(x, [2, 3], { keepdim: true });
}

/**
 * Layer normalization over the trailing `normalizedShape` dims:
 * `(x − mean) / sqrt(var + eps) · weight + bias` with the biased variance. Runs as one pass per
 * row forward and backward where the backend has the primitive (see primitives.ts).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || k > x.ndim || normalizedShape.some((d, i) => d !== x.shape[x.ndim - k + i])) {
    throw new RangeError(
      `layerNorm: normalizedShape [${normalizedShape}] must match the trailing dims of [${x.shape}]`,
    );
  }
  for (const [name, p] of [["weight", weight], ["bias", bias]] as const) {
    if (p && (p.ndim !== k || p.shape.some((d, i) => d !== normalizedShape[i]))) {
      throw new RangeError(`layerNorm: ${name} of shape [${p.shape}] must have normalizedShape [${normalizedShape}]`);
    }
  }
  const fused = fusedLayerNorm(x, k, weight ?? null, bias ?? null, eps);
  if (fused) return fused;
  const axes = [...Array(k).keys()].map((i) => x.ndim - k + i);
  const mu = mean(x, axes, { keepdim: true });
  const centered = sub(x, mu);
  const variance = mean(mul(centered, centered), axes, { keepdim: true });
  let y = mul(centered, rsqrt(add(variance, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** Options of dropout (torch.nn.functional.dropout's keyword arguments). */
export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  /** Apply only when true (default true). */
  training?: boolean;
  /** Modify `x` in place: not supported (throws when true). */
  inplace?: boolean;
}

/**
 * Zeroes elements with probability `p` and scales the rest by 1/(1−p) when `training`
 * (torch.nn.functional.dropout): `dropout(x, p, training)` or `dropout(x, { p, training })`.
 */
export function dropout(
  x: Tensor,
  ...args: [options?: DropoutOptions] | [p?: number, training?: boolean, inplace?: boolean, options?: DropoutOptions]
): Tensor {
  const o = mergeArgs<DropoutOptions>("dropout", ["p", "training", "inplace"], args);
  refuseOption("dropout", "inplace", o.inplace, false, "dropout returns a new tensor; assign its result");
  const p = o.p ?? 0.5, training = o.training ?? true;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (!isFloat(x.dtype)) throw new TypeError(`dropout: expected a float tensor, got ${x.dtype}`);
  if (p === 1) return mul(x, 0);
  const mask = bernoulli(1 - p, { shape: x.shape, device: x.device, dtype: x.dtype });
  return mul(x, mul(mask, 1 / (1 - p)));
}

/**
 * Cosine similarity along `dim` (torch.nn.functional.cosine_similarity): x·y / max(‖x‖‖y‖, eps);
 * `cosineSimilarity(a, b, dim, eps)` or `cosineSimilarity(a, b, { dim, eps })`.
 */
export function cosineSimilarity(
  a: Tensor,
  b: Tensor,
  ...args: [options?: { dim?: number; eps?: number }] | [dim?: number, eps?: number]
): Tensor {
  const options = mergeArgs<{ dim?: number; eps?: number }>("cosineSimilarity", ["dim", "eps"], args);
  const dim = options.dim ?? 1, eps = options.eps ?? 1e-8;
  const dot = sum(mul(a, b), dim);
  const na = sum(mul(a, a), dim), nb = sum(mul(b, b), dim);
  return div(dot, mul(na, nb).clamp(eps * eps).sqrt());
}
