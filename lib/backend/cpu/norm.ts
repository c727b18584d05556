/**
 * Softmax, log-softmax and layer norm over the last dim of contiguous float32 `[rows, cols]` data
 * on the cpu backend, one pass per row forward and one backward. The formulas and their order
 * are the reference's (lib/backend/reference/norm.ts): sums run in JS numbers (float64) and each
 * value rounds to float32 once, on store. What differs is speed: monomorphic Float32Array loops
 * with the options (`log`, weight, bias) decided once per call instead of per element, and
 * softmax keeps each row's `exp(x − m)` in a float64 scratch row so it is computed once.
 * @module
 */
import type { LayerNormArgs, LayerNormBackwardArgs, LayerNormGrads, LayerNormOutputs, Storage } from "../backend.ts";
import type { CpuContext } from "./context.ts";

/** The row's shift: its max (a NaN wins), or 0 when the max is ±Infinity (as the composed softmax does). */
function rowShift(x: Float32Array, base: number, cols: number): number {
  let m = x[base];
  for (let k = 1; k < cols; k++) {
    const v = x[base + k];
    if (v > m || v !== v) m = v;
  }
  return m === Infinity || m === -Infinity ? 0 : m;
}

/**
 * {@link Backend.softmax} for float32: with m the row's max (0 when ±Infinity),
 * `exp(x − m) / Σ exp(x − m)`, or when `log` `x − m − log Σ exp(x − m)`.
 */
export function softmax(ctx: CpuContext, x: Storage, rows: number, cols: number, log: boolean): Storage {
  ctx.live("softmax", x);
  const outStorage = ctx.alloc(rows * cols, "float32", "softmax");
  const out = ctx.f32(outStorage), X = ctx.f32(x);
  const e = new Float64Array(cols);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const m = rowShift(X, base, cols);
    let s = 0;
    if (log) {
      for (let k = 0; k < cols; k++) s += Math.exp(X[base + k] - m);
      const ls = Math.log(s);
      // (x − m) − ls in the reference's order, so the rounding matches
      for (let k = 0; k < cols; k++) out[base + k] = X[base + k] - m - ls;
    } else {
      for (let k = 0; k < cols; k++) s += e[k] = Math.exp(X[base + k] - m);
      for (let k = 0; k < cols; k++) out[base + k] = e[k] / s;
    }
  }
  return outStorage;
}

/**
 * {@link Backend.softmaxBackward} for float32, from the output `y` and `gy` (both `[rows, cols]`):
 * `y·(gy − Σ gy·y)`, or when `log` `gy − exp(y)·Σ gy` (sums over each row).
 */
export function softmaxBackward(
  ctx: CpuContext,
  y: Storage,
  gy: Storage,
  rows: number,
  cols: number,
  log: boolean,
): Storage {
  ctx.live("softmaxBackward", y);
  ctx.live("softmaxBackward", gy);
  const outStorage = ctx.alloc(rows * cols, "float32", "softmaxBackward");
  const out = ctx.f32(outStorage), Y = ctx.f32(y), G = ctx.f32(gy);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const end = base + cols;
    let s = 0;
    if (log) {
      for (let i = base; i < end; i++) s += G[i];
      for (let i = base; i < end; i++) out[i] = G[i] - Math.exp(Y[i]) * s;
    } else {
      for (let i = base; i < end; i++) s += G[i] * Y[i];
      for (let i = base; i < end; i++) out[i] = Y[i] * (G[i] - s);
    }
  }
  return outStorage;
}

/**
 * {@link Backend.layerNorm} for float32: per row `y = (x − mean)·rstd·w + b` with
 * `rstd = 1/√(var + eps)` (biased variance, two passes as in the reference); returns `y`
 * `[rows, cols]` and `mean`, `rstd` `[rows]`.
 */
export function layerNorm(ctx: CpuContext, a: LayerNormArgs): LayerNormOutputs {
  const { rows, cols, eps } = a;
  ctx.live("layerNorm", a.x);
  if (a.weight) ctx.live("layerNorm", a.weight);
  if (a.bias) ctx.live("layerNorm", a.bias);
  const yStorage = ctx.alloc(rows * cols, "float32", "layerNorm");
  const meanStorage = ctx.alloc(rows, "float32", "layerNorm");
  const rstdStorage = ctx.alloc(rows, "float32", "layerNorm");
  const y = ctx.f32(yStorage), mean = ctx.f32(meanStorage), rstd = ctx.f32(rstdStorage), x = ctx.f32(a.x);
  const w = a.weight ? ctx.f32(a.weight) : null, b = a.bias ? ctx.f32(a.bias) : null;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const end = base + cols;
    let s = 0;
    for (let i = base; i < end; i++) s += x[i];
    const mu = s / cols;
    let v = 0;
    for (let i = base; i < end; i++) {
      const d = x[i] - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    // the reference adds `+ 0` for a missing bias and multiplies by 1 for a missing weight; both
    // are exact except that `+ 0` turns −0 into +0, kept here for equal results
    if (w && b) {
      for (let k = 0; k < cols; k++) y[base + k] = (x[base + k] - mu) * rs * w[k] + b[k];
    } else if (w) {
      for (let k = 0; k < cols; k++) y[base + k] = (x[base + k] - mu) * rs * w[k] + 0;
    } else if (b) {
      for (let k = 0; k < cols; k++) y[base + k] = (x[base + k] - mu) * rs + b[k];
    } else {
      for (let k = 0; k < cols; k++) y[base + k] = (x[base + k] - mu) * rs + 0;
    }
  }
  return { y: yStorage, mean: meanStorage, rstd: rstdStorage };
}

/**
 * {@link Backend.layerNormBackward} for float32: with `x̂ = (x − mean)·rstd` and `g = gy·w`,
 * `gx = rstd·(g − mean(g) − x̂·mean(g·x̂))` per row, and when `grads` asks for them
 * `gw = Σ_rows gy·x̂` and `gb = Σ_rows gy` (each `[cols]`, summed in float64 across rows).
 */
export function layerNormBackward(ctx: CpuContext, a: LayerNormBackwardArgs): LayerNormGrads {
  const { rows, cols } = a;
  for (const s of [a.x, a.mean, a.rstd, a.gy]) ctx.live("layerNormBackward", s);
  if (a.weight) ctx.live("layerNormBackward", a.weight);
  const gxStorage = ctx.alloc(rows * cols, "float32", "layerNormBackward");
  const gwStorage = a.grads.weight ? ctx.alloc(cols, "float32", "layerNormBackward") : null;
  const gbStorage = a.grads.bias ? ctx.alloc(cols, "float32", "layerNormBackward") : null;
  const gx = ctx.f32(gxStorage), x = ctx.f32(a.x), gy = ctx.f32(a.gy);
  const mean = ctx.f32(a.mean), rstd = ctx.f32(a.rstd);
  // a missing weight is ones: multiplying by 1 is exact, so one loop serves both cases
  const w = a.weight ? ctx.f32(a.weight) : new Float32Array(cols).fill(1);
  const accW = gwStorage ? new Float64Array(cols) : null, accB = gbStorage ? new Float64Array(cols) : null;
  const h = new Float64Array(cols);
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    const mu = mean[r], rs = rstd[r];
    let sg = 0, sgh = 0;
    if (accW && accB) {
      // the usual case (both parameters learnt) in one pass
      for (let k = 0; k < cols; k++) {
        const d = gy[base + k], hk = h[k] = (x[base + k] - mu) * rs, g = d * w[k];
        sg += g;
        sgh += g * hk;
        accW[k] += d * hk;
        accB[k] += d;
      }
    } else {
      for (let k = 0; k < cols; k++) {
        const hk = h[k] = (x[base + k] - mu) * rs, g = gy[base + k] * w[k];
        sg += g;
        sgh += g * hk;
      }
      if (accW) { for (let k = 0; k < cols; k++) accW[k] += gy[base + k] * h[k]; }
      if (accB) { for (let k = 0; k < cols; k++) accB[k] += gy[base + k]; }
    }
    sg /= cols;
    sgh /= cols;
    for (let k = 0; k < cols; k++) gx[base + k] = rs * (gy[base + k] * w[k] - sg - h[k] * sgh);
  }
  if (gwStorage && accW) ctx.f32(gwStorage).set(accW);
  if (gbStorage && accB) ctx.f32(gbStorage).set(accB);
  return { gx: gxStorage, gw: gwStorage, gb: gbStorage };
}
