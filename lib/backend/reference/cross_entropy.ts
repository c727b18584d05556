/**
 * Cross entropy with class indices on the reference backend: one pass per row for the loss and
 * one for the gradient (the reference the webgpu kernel is tested against).
 * @module
 */
import type { CrossEntropyArgs, CrossEntropyBackwardArgs, HostArray, Storage } from "../backend.ts";
import { newArray, type ReferenceContext } from "./storage.ts";

/** {@link CrossEntropyArgs} with the storages' arrays in their place (all contiguous). */
interface CrossEntropyRows {
  logits: HostArray;
  rows: number;
  classes: number;
  target: HostArray;
  weight: HostArray | null;
  ignoreIndex: number;
  labelSmoothing: number;
  opName: string;
}

function classOf(p: CrossEntropyRows, n: number): number {
  const t = p.target[n];
  if (t === p.ignoreIndex) return -1;
  if (!(t >= 0 && t < p.classes)) {
    throw new RangeError(
      `${p.opName}: class index ${t} is out of range for ${p.classes} classes (valid range [0, ${p.classes}) ` +
        `or ignoreIndex ${p.ignoreIndex})`,
    );
  }
  return t;
}

function logSumExp(x: HostArray, base: number, c: number): number {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, x[base + k]);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (let k = 0; k < c; k++) s += Math.exp(x[base + k] - m);
  return m + Math.log(s);
}

/**
 * Per row n with y = target[n] (rows equal to ignoreIndex give 0 and weight 0):
 * `loss[n] = (1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])`, `rowWeight[n] = w[y]`.
 */
function crossEntropyRows(p: CrossEntropyRows, loss: HostArray, rowWeight: HostArray): void {
  const { logits: x, classes: c, weight: w, labelSmoothing: eps } = p;
  for (let n = 0; n < p.rows; n++) {
    const y = classOf(p, n);
    if (y < 0) {
      loss[n] = 0;
      rowWeight[n] = 0;
      continue;
    }
    const base = n * c;
    const lse = logSumExp(x, base, c);
    const wy = w ? w[y] : 1;
    let smooth = 0;
    if (eps !== 0) { for (let k = 0; k < c; k++) smooth += (w ? w[k] : 1) * (lse - x[base + k]); }
    loss[n] = (1 - eps) * wy * (lse - x[base + y]) + (eps / c) * smooth;
    rowWeight[n] = wy;
  }
}

/**
 * Gradient of {@link crossEntropyRows} given `gradRows` (one value per row):
 * `dx[n, c] = g[n]·(softmax[c]·((1−ε)w[y] + ε·Σw/C) − (1−ε)w[y]·[c = y] − ε·w[c]/C)`.
 */
function crossEntropyRowsBackward(p: CrossEntropyRows, gradRows: HostArray, out: HostArray): void {
  const { logits: x, classes: c, weight: w, labelSmoothing: eps } = p;
  let wsum = c;
  if (w) {
    wsum = 0;
    for (let k = 0; k < c; k++) wsum += w[k];
  }
  for (let n = 0; n < p.rows; n++) {
    const y = classOf(p, n);
    const base = n * c;
    if (y < 0) {
      for (let k = 0; k < c; k++) out[base + k] = 0;
      continue;
    }
    const lse = logSumExp(x, base, c);
    const wy = w ? w[y] : 1;
    const g = gradRows[n];
    const coef = (1 - eps) * wy + (eps * wsum) / c;
    for (let k = 0; k < c; k++) {
      const soft = Math.exp(x[base + k] - lse);
      const hit = k === y ? (1 - eps) * wy : 0;
      out[base + k] = g * (soft * coef - hit - (eps * (w ? w[k] : 1)) / c);
    }
  }
}

/** The arrays behind `a`'s storages, checked to be live storages of this backend. */
function rowsOf(ctx: ReferenceContext, a: CrossEntropyArgs): CrossEntropyRows {
  return {
    logits: ctx.data(a.logits),
    rows: a.rows,
    classes: a.classes,
    target: ctx.data(a.target),
    weight: a.weight ? ctx.data(a.weight) : null,
    ignoreIndex: a.ignoreIndex,
    labelSmoothing: a.labelSmoothing,
    opName: a.opName,
  };
}

/** {@link Backend.crossEntropy}: one pass per row. */
export function crossEntropy(ctx: ReferenceContext, a: CrossEntropyArgs): [Storage, Storage] {
  const p = rowsOf(ctx, a);
  const dtype = a.logits.dtype;
  const loss = newArray(dtype, a.rows);
  const rowWeight = newArray(dtype, a.rows);
  crossEntropyRows(p, loss, rowWeight);
  return [ctx.wrap(loss, dtype), ctx.wrap(rowWeight, dtype)];
}

/** {@link Backend.crossEntropyBackward}: one pass per row. */
export function crossEntropyBackward(ctx: ReferenceContext, a: CrossEntropyBackwardArgs): Storage {
  const p = rowsOf(ctx, a);
  const out = newArray(a.logits.dtype, a.rows * a.classes);
  crossEntropyRowsBackward(p, ctx.data(a.gradRows), out);
  return ctx.wrap(out, a.logits.dtype);
}
