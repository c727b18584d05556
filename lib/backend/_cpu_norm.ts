/**
 * Softmax, log-softmax and layer norm over the last dim of contiguous `[rows, cols]` data on the
 * cpu backend: one pass per row forward and one backward (the reference the webgpu kernels are
 * tested against). Sums run in float64 whatever the storage dtype.
 * @module
 */
import type { HostArray } from "./backend.ts";

/** The row's shift: its max, or 0 when the max is ±Infinity (as the composed softmax does). */
function rowShift(x: HostArray, base: number, cols: number): number {
  let m = x[base];
  for (let k = 1; k < cols; k++) if (x[base + k] > m || Number.isNaN(x[base + k])) m = x[base + k];
  return m === Infinity || m === -Infinity ? 0 : m;
}

/** `out = softmax(x)` per row, or `x − m − log Σ exp(x − m)` when `log`. */
export function softmaxRows(x: HostArray, rows: number, cols: number, log: boolean, out: HostArray): void {
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
export function softmaxRowsBackward(
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
export function layerNormRows(
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
export function layerNormRowsBackward(
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
