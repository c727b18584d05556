/**
 * Cross entropy with class indices over contiguous float32 rows on the cpu backend: one pass per
 * row for the loss ({@link Backend.crossEntropy}) and one for its gradient
 * ({@link Backend.crossEntropyBackward}), with the reference's formulas and float64 sums.
 * Targets are checked before anything is allocated, so a bad label leaks no storage.
 * @module
 */
import type { CrossEntropyArgs, CrossEntropyBackwardArgs, Storage } from "../backend.ts";
import type { CpuContext } from "./context.ts";

/**
 * Each row's class (−1 where it is `ignoreIndex`); a RangeError naming `opName` for the first
 * other value outside `[0, classes)`, worded as the reference's.
 */
function checkedClasses(target: Int32Array, a: CrossEntropyArgs): Int32Array {
  const classes = new Int32Array(a.rows);
  for (let n = 0; n < a.rows; n++) {
    const t = target[n];
    if (t === a.ignoreIndex) {
      classes[n] = -1;
    } else if (t >= 0 && t < a.classes) {
      classes[n] = t;
    } else {
      throw new RangeError(
        `${a.opName}: class index ${t} is out of range for ${a.classes} classes (valid range [0, ${a.classes}) ` +
          `or ignoreIndex ${a.ignoreIndex})`,
      );
    }
  }
  return classes;
}

/** The row's max (NaN if any is NaN, as `Math.max` gives). */
function rowMax(x: Float32Array, base: number, c: number): number {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, x[base + k]);
  return m;
}

/** Checks the storages are live storages of `ctx` and returns the logits', target's and weight's arrays. */
function inputs(ctx: CpuContext, a: CrossEntropyArgs): { x: Float32Array; target: Int32Array; w: Float32Array } {
  const op = a.opName;
  ctx.live(op, a.logits);
  ctx.live(op, a.target);
  if (a.weight) ctx.live(op, a.weight);
  // a missing weight is ones: multiplying by 1 is exact, so one loop serves both cases
  const w = a.weight ? ctx.f32(a.weight) : new Float32Array(a.classes).fill(1);
  return { x: ctx.f32(a.logits), target: ctx.i32(a.target), w };
}

/**
 * {@link Backend.crossEntropy} for float32 logits `[rows, classes]` and int32 targets: with
 * y = target[n], ε = `labelSmoothing` and lse the row's log-sum-exp,
 * `loss[n] = (1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])` and `rowWeight[n] = w[y]`,
 * both 0 where y = `ignoreIndex`. Returns `[loss, rowWeight]`, each `[rows]`.
 */
export function crossEntropy(ctx: CpuContext, a: CrossEntropyArgs): [Storage, Storage] {
  const { rows, classes: c, labelSmoothing: eps } = a;
  const { x, target, w } = inputs(ctx, a);
  const ys = checkedClasses(target, a);
  const lossStorage = ctx.alloc(rows, "float32", a.opName);
  const weightStorage = ctx.alloc(rows, "float32", a.opName);
  const loss = ctx.f32(lossStorage), rowWeight = ctx.f32(weightStorage);
  for (let n = 0, base = 0; n < rows; n++, base += c) {
    const y = ys[n];
    if (y < 0) {
      loss[n] = 0;
      rowWeight[n] = 0;
      continue;
    }
    const m = rowMax(x, base, c);
    let lse = m;
    if (Number.isFinite(m)) {
      let s = 0;
      for (let k = 0; k < c; k++) s += Math.exp(x[base + k] - m);
      lse = m + Math.log(s);
    }
    let smooth = 0;
    if (eps !== 0) { for (let k = 0; k < c; k++) smooth += w[k] * (lse - x[base + k]); }
    loss[n] = (1 - eps) * w[y] * (lse - x[base + y]) + (eps / c) * smooth;
    rowWeight[n] = w[y];
  }
  return [lossStorage, weightStorage];
}

/**
 * {@link Backend.crossEntropyBackward} for float32: given `gradRows` `[rows]`,
 * `dx[n, c] = g[n]·(softmax[c]·((1−ε)w[y] + ε·Σw/C) − (1−ε)w[y]·[c = y] − ε·w[c]/C)`, zero rows
 * where ignored. The softmax is `exp(x − m)/Σ exp(x − m)` from a float64 scratch row (one `exp`
 * per logit), which equals the reference's `exp(x − lse)` to within a float64 rounding; rows
 * whose max is not finite use the reference's form.
 */
export function crossEntropyBackward(ctx: CpuContext, a: CrossEntropyBackwardArgs): Storage {
  const { rows, classes: c, labelSmoothing: eps } = a;
  const { x, target, w } = inputs(ctx, a);
  ctx.live(a.opName, a.gradRows);
  const ys = checkedClasses(target, a);
  const outStorage = ctx.alloc(rows * c, "float32", a.opName);
  const out = ctx.f32(outStorage), gradRows = ctx.f32(a.gradRows);
  let wsum = 0;
  for (let k = 0; k < c; k++) wsum += w[k];
  const e = new Float64Array(c);
  for (let n = 0, base = 0; n < rows; n++, base += c) {
    const y = ys[n];
    if (y < 0) {
      out.fill(0, base, base + c);
      continue;
    }
    const wy = w[y], g = gradRows[n];
    const coef = (1 - eps) * wy + (eps * wsum) / c;
    const m = rowMax(x, base, c);
    if (Number.isFinite(m)) {
      let s = 0;
      for (let k = 0; k < c; k++) s += e[k] = Math.exp(x[base + k] - m);
      for (let k = 0; k < c; k++) e[k] /= s;
    } else {
      for (let k = 0; k < c; k++) e[k] = Math.exp(x[base + k] - m);
    }
    for (let k = 0; k < c; k++) out[base + k] = g * (e[k] * coef - (eps * w[k]) / c);
    out[base + y] = g * (e[y] * coef - (1 - eps) * wy - (eps * w[y]) / c);
  }
  return outStorage;
}
