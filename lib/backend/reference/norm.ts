/**
 * Softmax, log-softmax and layer norm over the last dim of contiguous `[rows, cols]` data on the
 * reference backend: one pass per row forward and one backward (the reference the webgpu kernels
 * are tested against). Sums run in float64 whatever the storage dtype.
 * @module
 */
import type {
  HostArray,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  Storage,
} from "../backend.ts";
import { newArray, type ReferenceContext } from "./storage.ts";

/** The row's shift: its max, or 0 when the max is ±Infinity (as the composed softmax does). */
function rowShift(x: HostArray, base: number, cols: number): number {
  let m = x[base];
  for (let k = 1; k < cols; k++) if (x[base + k] > m || Number.isNaN(x[base + k])) m = x[base + k];
  return m === Infinity || m === -Infinity ? 0 : m;
}

/** `out = softmax(x)` per row, or `x − m − log Σ exp(x − m)` when `log`. */
function softmaxRows(x: HostArray, rows: number, cols: number, log: boolean, out: HostArray): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = rowShift(x, base, cols);
    let s = 0;
    for (let k = 0; k < cols; k++) s += Math.exp(x[base + k] - m);
    if (log) {
      const ls = Math.log(s);
      for (let k = 0; k < cols; k++) out[base + k] = x[base + k] - m - ls;
    } else {
      for (let k = 0; k < cols; k++) out[base + k] = Math.exp(x[base + k] - m) / s;
    }
  }
}

/** Given the output `y`: `gx = y·(gy − Σ gy·y)`, or `gy − exp(y)·Σ gy` when `log`. */
function softmaxRowsBackward(
  y: HostArray,
  gy: HostArray,
  rows: number,
  cols: number,
  log: boolean,
  out: HostArray,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let k = 0; k < cols; k++) s += log ? gy[base + k] : gy[base + k] * y[base + k];
    for (let k = 0; k < cols; k++) {
      const i = base + k;
      out[i] = log ? gy[i] - Math.exp(y[i]) * s : y[i] * (gy[i] - s);
    }
  }
}

/** `y = (x − mean)·rstd·w + b` per row with `rstd = 1/√(var + eps)` (biased variance); writes mean and rstd. */
function layerNormRows(
  x: HostArray,
  w: HostArray | null,
  b: HostArray | null,
  rows: number,
  cols: number,
  eps: number,
  y: HostArray,
  mean: HostArray,
  rstd: HostArray,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s = 0;
    for (let k = 0; k < cols; k++) s += x[base + k];
    const mu = s / cols;
    let v = 0;
    for (let k = 0; k < cols; k++) v += (x[base + k] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let k = 0; k < cols; k++) {
      const h = (x[base + k] - mu) * rs;
      y[base + k] = h * (w ? w[k] : 1) + (b ? b[k] : 0);
    }
  }
}

/**
 * With `x̂ = (x − mean)·rstd` and `g = gy·w`: `gx = rstd·(g − mean(g) − x̂·mean(g·x̂))` per row, and
 * when given `gw = Σ_rows gy·x̂`, `gb = Σ_rows gy`.
 */
function layerNormRowsBackward(
  x: HostArray,
  mean: HostArray,
  rstd: HostArray,
  w: HostArray | null,
  gy: HostArray,
  rows: number,
  cols: number,
  gx: HostArray,
  gw: HostArray | null,
  gb: HostArray | null,
): void {
  const accW = gw ? new Float64Array(cols) : null, accB = gb ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const base = r * cols, mu = mean[r], rs = rstd[r];
    let sg = 0, sgh = 0;
    for (let k = 0; k < cols; k++) {
      const i = base + k, h = (x[i] - mu) * rs, g = gy[i] * (w ? w[k] : 1);
      sg += g;
      sgh += g * h;
      if (accW) accW[k] += gy[i] * h;
      if (accB) accB[k] += gy[i];
    }
    sg /= cols;
    sgh /= cols;
    for (let k = 0; k < cols; k++) {
      const i = base + k, h = (x[i] - mu) * rs;
      gx[i] = rs * (gy[i] * (w ? w[k] : 1) - sg - h * sgh);
    }
  }
  if (gw && accW) gw.set(accW);
  if (gb && accB) gb.set(accB);
}

/** {@link Backend.softmax}: one pass per row. */
export function softmax(ctx: ReferenceContext, x: Storage, rows: number, cols: number, log: boolean): Storage {
  const out = newArray(x.dtype, rows * cols);
  softmaxRows(ctx.data(x), rows, cols, log, out);
  return ctx.wrap(out, x.dtype);
}

/** {@link Backend.softmaxBackward}: one pass per row. */
export function softmaxBackward(
  ctx: ReferenceContext,
  y: Storage,
  gy: Storage,
  rows: number,
  cols: number,
  log: boolean,
): Storage {
  const out = newArray(y.dtype, rows * cols);
  softmaxRowsBackward(ctx.data(y), ctx.data(gy), rows, cols, log, out);
  return ctx.wrap(out, y.dtype);
}

/** {@link Backend.layerNorm}: one pass per row. */
export function layerNorm(ctx: ReferenceContext, a: LayerNormArgs): LayerNormOutputs {
  const { x, rows, cols } = a;
  const y = newArray(x.dtype, rows * cols), mean = newArray(x.dtype, rows), rstd = newArray(x.dtype, rows);
  const w = a.weight ? ctx.data(a.weight) : null, b = a.bias ? ctx.data(a.bias) : null;
  layerNormRows(ctx.data(x), w, b, rows, cols, a.eps, y, mean, rstd);
  return { y: ctx.wrap(y, x.dtype), mean: ctx.wrap(mean, x.dtype), rstd: ctx.wrap(rstd, x.dtype) };
}

/** {@link Backend.layerNormBackward}: one pass per row (plus column sums for gw, gb). */
export function layerNormBackward(ctx: ReferenceContext, a: LayerNormBackwardArgs): LayerNormGrads {
  const { x, rows, cols } = a;
  const gx = newArray(x.dtype, rows * cols);
  const gw = a.grads.weight ? newArray(x.dtype, cols) : null, gb = a.grads.bias ? newArray(x.dtype, cols) : null;
  const w = a.weight ? ctx.data(a.weight) : null;
  layerNormRowsBackward(ctx.data(x), ctx.data(a.mean), ctx.data(a.rstd), w, ctx.data(a.gy), rows, cols, gx, gw, gb);
  return {
    gx: ctx.wrap(gx, x.dtype),
    gw: gw ? ctx.wrap(gw, x.dtype) : null,
    gb: gb ? ctx.wrap(gb, x.dtype) : null,
  };
}
