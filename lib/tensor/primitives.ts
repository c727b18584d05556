/**
 * The one home of "backend primitive plus its recorded backward": every tensor-level use of a
 * primitive that only some backends have (one-pass softmax, layer norm, max pooling, cross
 * entropy, deferred checks), and of the window primitives (im2col/col2im) that pooling and
 * convolution compose. Each wrapper says which primitive it runs, how its backward is recorded,
 * and what runs instead: while building a differentiable graph (createGraph) the backward is the
 * same gradient written with ordinary ops, and where the backend lacks the primitive (or the
 * arguments do not fit it) the wrapper returns null and its caller composes the op from
 * ordinary ops. Nothing above lib/tensor touches storages or backends; it calls these.
 * @module
 */
import type { DType, WindowParams } from "../backend/backend.ts";
import { windowOutputSize } from "../backend/_view.ts";
import { isGradEnabled, noGrad, record, withGradMode } from "./tape.ts";
import { isFloat } from "./dtype.ts";
import { Tensor } from "./tensor.ts";
import { add, compare, exp, mul, rsqrt, sub, where } from "./ops_elementwise.ts";
import { reshape, transpose } from "./ops_movement.ts";
import { mean, sum, sumToShape } from "./ops_reduce.ts";
import { oneHot } from "./ops_index.ts";
import { arange } from "./ops_creation.ts";

/**
 * `t` itself when kernels may read it as is (dense and of `dtype`), else a dense copy of `dtype`
 * (not recorded). `op` names the caller if `t` was disposed (by default as {@link Tensor.isDense}).
 */
function dense(t: Tensor, dtype: DType = t.dtype, op = "isDense"): Tensor {
  if (t.dtype === dtype && t.isContiguous && t.offset === 0 && t.size === t.storage(op).size) return t;
  return withGradMode(false, () => (t.dtype === dtype ? t.clone() : t.cast(dtype)));
}

function disposeCopy(copy: Tensor, original: Tensor): void {
  if (copy !== original) copy.dispose();
}

// ---- softmax and layer norm ------------------------------------------------------------------

/**
 * Softmax (or log-softmax when `log`) of `x` along dim `d` (non-negative) with
 * {@link Backend.softmax}, recorded as one op whose backward is {@link Backend.softmaxBackward};
 * under createGraph the backward is `y·(g − Σ g·y)` (or `g − exp(y)·Σ g`) from the output, written
 * with ordinary ops. A dim other than the last is swapped last and back. Null where the backend
 * lacks the primitives or `x` is not a non-empty float tensor; the caller (ops_reduce.ts) composes.
 */
export function fusedSoftmax(x: Tensor, d: number, log: boolean): Tensor | null {
  const b = x.backend;
  if (!b.softmax || !b.softmaxBackward || !isFloat(x.dtype) || x.ndim === 0 || x.size === 0) return null;
  const last = x.ndim - 1;
  if (d !== last) return transpose(fusedSoftmax(transpose(x, d, last), last, log)!, d, last);
  const op = log ? "logSoftmax" : "softmax";
  const cols = x.shape[last], rows = x.size / cols;
  const xd = dense(x);
  const y = Tensor.fromStorage(b.softmax(xd.storage(op), rows, cols, log), x.shape, x.dtype, x.device);
  disposeCopy(xd, x);
  return record(op, [x], y, (g) => {
    // the gradient from the output: differentiable through y's own record when building a graph
    if (isGradEnabled()) {
      return [
        log
          ? sub(g, mul(exp(y), sum(g, last, { keepdim: true })))
          : mul(y, sub(g, sum(mul(g, y), last, { keepdim: true }))),
      ];
    }
    const gd = dense(g, x.dtype);
    const gx = b.softmaxBackward!(y.storage(op), gd.storage(op), rows, cols, log);
    disposeCopy(gd, g);
    return [Tensor.fromStorage(gx, x.shape, x.dtype, x.device)];
  });
}

/** Whether `p` is null or a float tensor of `x`'s dtype and device shaped like the trailing `k` dims of `x`. */
function fitsTrailing(p: Tensor | null, x: Tensor, k: number): boolean {
  if (!p) return true;
  const tail = x.shape.slice(x.ndim - k);
  return p.dtype === x.dtype && p.device === x.device && p.ndim === k && p.shape.every((s, i) => s === tail[i]);
}

/**
 * Layer norm of `x` over its trailing `k` dims with {@link Backend.layerNorm}, recorded as one op
 * (inputs x, then weight and bias where given) whose backward is {@link Backend.layerNormBackward}
 * reusing the forward's row statistics; under createGraph the backward is the same gradient
 * written with ordinary ops. `weight`/`bias` must have exactly those dims (and x's dtype and
 * device). Null where the backend lacks the primitives or the arguments do not fit; the caller
 * (ops_nn.ts) composes.
 */
export function fusedLayerNorm(
  x: Tensor,
  k: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor | null {
  const b = x.backend;
  if (!b.layerNorm || !b.layerNormBackward || !isFloat(x.dtype) || x.size === 0) return null;
  if (!fitsTrailing(weight, x, k) || !fitsTrailing(bias, x, k)) return null;
  const op = "layerNorm";
  const cols = x.shape.slice(x.ndim - k).reduce((a, s) => a * s, 1), rows = x.size / cols;
  const xd = dense(x), wd = weight ? dense(weight) : null, bd = bias ? dense(bias) : null;
  const r = b.layerNorm({
    x: xd.storage(op),
    weight: wd?.storage(op) ?? null,
    bias: bd?.storage(op) ?? null,
    rows,
    cols,
    eps,
  });
  if (bd && bias) disposeCopy(bd, bias);
  const y = Tensor.fromStorage(r.y, x.shape, x.dtype, x.device);
  const mu = Tensor.fromStorage(r.mean, [rows], x.dtype, x.device);
  const rstd = Tensor.fromStorage(r.rstd, [rows], x.dtype, x.device);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(op, inputs, y, (g) => {
    if (isGradEnabled()) return composedLayerNormGrad(x, k, weight, bias, eps, g);
    const gd = dense(g, x.dtype);
    const s = b.layerNormBackward!({
      x: xd.storage(op),
      mean: mu.storage(op),
      rstd: rstd.storage(op),
      weight: wd?.storage(op) ?? null,
      gy: gd.storage(op),
      rows,
      cols,
      grads: { weight: !!weight?.requiresGrad, bias: !!bias?.requiresGrad },
    });
    disposeCopy(gd, g);
    const out: (Tensor | null)[] = [Tensor.fromStorage(s.gx, x.shape, x.dtype, x.device)];
    if (weight) out.push(s.gw ? Tensor.fromStorage(s.gw, weight.shape, x.dtype, x.device) : null);
    if (bias) out.push(s.gb ? Tensor.fromStorage(s.gb, bias.shape, x.dtype, x.device) : null);
    return out;
  });
}

/**
 * The gradients of layer norm written with differentiable ops (for double backward): with
 * `x̂ = (x − μ)·rstd` and `g = gy·w`, `gx = rstd·(g − mean(g) − x̂·mean(g·x̂))`, `gw = Σ gy·x̂`, `gb = Σ gy`.
 */
function composedLayerNormGrad(
  x: Tensor,
  k: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  gy: Tensor,
): (Tensor | null)[] {
  const axes = [...Array(k).keys()].map((i) => x.ndim - k + i);
  const keep = { keepdim: true };
  const centered = sub(x, mean(x, axes, keep));
  const rstd = rsqrt(add(mean(mul(centered, centered), axes, keep), eps));
  const h = mul(centered, rstd);
  const g = weight ? mul(gy, weight) : gy;
  const gx = mul(rstd, sub(sub(g, mean(g, axes, keep)), mul(h, mean(mul(g, h), axes, keep))));
  const out: (Tensor | null)[] = [gx];
  if (weight) out.push(weight.requiresGrad ? sumToShape(mul(gy, h), weight.shape) : null);
  if (bias) out.push(bias.requiresGrad ? sumToShape(gy, bias.shape) : null);
  return out;
}

// ---- sliding windows and max pooling ---------------------------------------------------------

/**
 * Sliding windows of `x` `[N, C, H, W]` as `[N, C, kh·kw, Ho·Wo]` with {@link Backend.im2col}
 * (every backend has it), out-of-image taps reading `padValue`. Recorded as "unfold", whose
 * backward is {@link foldRaw} (itself recorded, so it stays differentiable under createGraph).
 */
export function unfoldRaw(x: Tensor, p: WindowParams, padValue: number): Tensor {
  const xc = x.contiguous();
  const [n, c, h, w] = x.shape;
  const ho = windowOutputSize(h, p, 0), wo = windowOutputSize(w, p, 1);
  const s = x.backend.im2col(xc.storage("unfold"), xc.layout, p, padValue);
  const out = Tensor.fromStorage(s, [n, c, p.kernel[0] * p.kernel[1], ho * wo], x.dtype, x.device);
  return record("unfold", [x], out, (g) => [foldRaw(g, [n, c, h, w], p)]);
}

/**
 * The adjoint of {@link unfoldRaw} with {@link Backend.col2im}: columns `[N, C, kh·kw, Ho·Wo]`
 * summed back onto `image`. Recorded as "fold", whose backward is {@link unfoldRaw} with zero padding.
 */
export function foldRaw(cols: Tensor, image: [number, number, number, number], p: WindowParams): Tensor {
  const s = cols.backend.col2im(cols.storage("fold"), cols.layout, image, p);
  const out = Tensor.fromStorage(s, image, cols.dtype, cols.device);
  return record("fold", [cols], out, (g) => [unfoldRaw(g, p, 0)]);
}

/**
 * Max pooling of `x` `[N, C, H, W]` to `[N, C, Ho, Wo]` (`p.out`) with {@link Backend.maxPool2d} in
 * one pass, recorded as one op whose backward is {@link Backend.maxPool2dBackward} over the
 * recorded argmax indices; under createGraph the backward is
 * `fold(where(unfold(positions) = indices, gy, 0))` written with differentiable ops. Null where
 * the backend lacks the primitives, `x` is empty, or its dtype is not one the backend pools (float32,
 * and float64 on cpu and reference); the caller (ops_nn.ts) composes im2col with a max reduction.
 */
export function directMaxPool2d(x: Tensor, p: WindowParams & { out: [number, number] }): Tensor | null {
  const b = x.backend;
  if (!b.maxPool2d || !b.maxPool2dBackward || x.size === 0) return null;
  if (x.dtype !== "float32" && !(x.device !== "webgpu" && isFloat(x.dtype))) return null;
  const [n, c, h, w] = x.shape;
  const image: [number, number, number, number] = [n, c, h, w];
  const shape = [n, c, p.out[0], p.out[1]];
  const xd = x.isDense ? x : withGradMode(false, () => x.clone());
  const r = b.maxPool2d(xd.storage("maxPool2d"), xd.layout, p);
  if (xd !== x) xd.dispose();
  const y = Tensor.fromStorage(r.values, shape, x.dtype, x.device);
  const indices = Tensor.fromStorage(r.indices, shape, "int32", x.device);
  return record("maxPool2d", [x], y, (g) => {
    if (isGradEnabled()) {
      const positions = unfoldRaw(reshape(arange(0, h * w, 1, { device: x.device }), [1, 1, h, w]), p, -1);
      const chosen = compare("eq", positions, reshape(indices, [n, c, 1, p.out[0] * p.out[1]]));
      return [foldRaw(where(chosen, reshape(g, [n, c, 1, p.out[0] * p.out[1]]), 0), image, p)];
    }
    const gd = g.isDense && g.dtype === x.dtype ? g : withGradMode(false, () => g.cast(x.dtype).clone());
    const gx = b.maxPool2dBackward!(gd.storage("maxPool2d"), indices.storage("maxPool2d"), image, p);
    if (gd !== g) gd.dispose();
    return [Tensor.fromStorage(gx, image, x.dtype, x.device)];
  });
}

// ---- cross entropy ---------------------------------------------------------------------------

const CE = "crossEntropy";

/** Operands of {@link fusedCrossEntropyRows} (and of the loss's composed form). */
export interface CrossEntropyRows {
  /** Logits `[M, C]`. */
  x: Tensor;
  /** int32 class indices `[M]`. */
  t: Tensor;
  /** Per-class weights `[C]`, or null. */
  weight: Tensor | null;
  /** Target value whose rows are skipped. */
  ignoreIndex: number;
  /** Label smoothing ε. */
  eps: number;
}

/**
 * Per-row cross entropy `(1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])` and the rows'
 * weights w[y] (0 where ignored) with {@link Backend.crossEntropy}, recorded as one op on the
 * logits whose backward is {@link Backend.crossEntropyBackward}; under createGraph the backward is
 * the same gradient written with ordinary ops. Null where the backend lacks the primitives or the
 * weight requires grad (the primitive gives no weight gradient); lib/losses/cross_entropy.ts then
 * composes the rows from logSoftmax and gather.
 */
export function fusedCrossEntropyRows(a: CrossEntropyRows): [Tensor, Tensor] | null {
  const b = a.x.backend;
  if (!b.crossEntropy || !b.crossEntropyBackward || a.weight?.requiresGrad) return null;
  const [m, c] = a.x.shape;
  const x = dense(a.x, a.x.dtype, CE);
  const t = dense(a.t, a.t.dtype, CE);
  const w = a.weight ? dense(a.weight, a.x.dtype, CE) : null;
  const args = {
    logits: x.storage(CE),
    rows: m,
    classes: c,
    target: t.storage(CE),
    weight: w ? w.storage(CE) : null,
    ignoreIndex: a.ignoreIndex,
    labelSmoothing: a.eps,
    opName: CE,
  };
  const [ls, rs] = b.crossEntropy(args);
  const rows = Tensor.fromStorage(ls, [m], a.x.dtype, a.x.device);
  const rowWeight = Tensor.fromStorage(rs, [m], a.x.dtype, a.x.device);
  record(CE, [a.x], rows, (g) => {
    if (isGradEnabled()) return [composedCrossEntropyGrad(a, g)];
    const gd = dense(g, a.x.dtype, CE);
    const s = b.crossEntropyBackward!({ ...args, gradRows: gd.storage(CE) });
    return [Tensor.fromStorage(s, [m, c], a.x.dtype, a.x.device)];
  });
  return [rows, rowWeight];
}

/** The gradient of the per-row losses w.r.t. the logits, written with differentiable ops (double backward). */
function composedCrossEntropyGrad(a: CrossEntropyRows, g: Tensor): Tensor {
  const [m, c] = a.x.shape;
  const safe = where(a.t.eq(a.ignoreIndex), 0, a.t);
  const keep = a.t.ne(a.ignoreIndex).cast(a.x.dtype).reshape([m, 1]);
  const wy = a.weight ? a.weight.indexSelect(0, safe).reshape([m, 1]).mul(keep) : keep;
  const wsum = a.weight ? a.weight.sum() : c;
  const hot = oneHot(safe, c).cast(a.x.dtype);
  const coef = wy.mul(1 - a.eps).add(keep.mul(wsum).mul(a.eps / c));
  let d = a.x.softmax(1).mul(coef).sub(hot.mul(wy).mul(1 - a.eps));
  if (a.eps !== 0) d = d.sub(keep.mul(a.weight ? a.weight.reshape([1, c]) : 1).mul(a.eps / c));
  return d.mul(g.reshape([m, 1]));
}

// ---- deferred checks -------------------------------------------------------------------------

/**
 * Raises (cpu) or records (webgpu) a range fault named `op` for any entry of int32 `ids` outside
 * `[0, size)`: a {@link Backend.gather} of the ids from a zero table of `size` rows, discarded
 * (not recorded; nothing to differentiate). The cpu backend throws at once, webgpu at the next read.
 */
export function faultUnless(op: string, ids: Tensor, size: number): void {
  const flat = ids.reshape([ids.size, 1]).contiguous();
  const b = flat.backend;
  const table = b.zeros(size, "int32");
  try {
    const s = b.gather({
      source: { storage: table, view: { shape: [size, 1], strides: [1, 0], offset: 0 } },
      dim: 0,
      index: { storage: flat.storage(op), view: flat.layout },
      opName: op,
    });
    b.free(s);
  } finally {
    b.free(table);
  }
}

/**
 * Raises a RangeError with `describe(i)` if any element of `flags` (a mask, e.g. `x.lt(0)`) is
 * non-zero, `i` being the flat index of one such element, with {@link Backend.assertNone}: at once
 * on cpu, at the next readback on webgpu (the kernel writes the backend's fault record; nothing is
 * read here). Not recorded. Backends without the primitive skip the check.
 */
export function assertNone(flags: Tensor, describe: (index: number) => string): void {
  const backend = flags.backend;
  if (!backend.assertNone) return;
  noGrad(() => {
    const mask = flags.dtype === "bool" ? flags.contiguous() : flags.ne(0);
    const dense = mask.isDense ? mask : mask.clone();
    try {
      backend.assertNone!(dense.storage("assertNone"), describe);
    } finally {
      if (dense !== flags) dense.dispose();
      if (mask !== flags && mask !== dense) mask.dispose();
    }
  });
}
