/**
 * Softmax, log-softmax and layer norm through the backend's one-pass primitives
 * ({@link Backend.softmax}, {@link Backend.layerNorm}): one recorded op each, whose backward is
 * the one-pass gradient kernel, or, while building a differentiable graph (createGraph), the
 * same gradient written with ordinary ops. Each returns null where the backend lacks the
 * primitive or the arguments do not fit it; the callers then use the composed forms.
 * @module
 */
import type { Backend } from "../backend/backend.ts";
import { isGradEnabled, record, withGradMode } from "./tape.ts";
import { isFloat } from "./dtype.ts";
import { Tensor } from "./tensor.ts";
import { add, exp, mul, rsqrt, sub } from "./ops_elementwise.ts";
import { transpose } from "./ops_movement.ts";
import { mean, sum, sumToShape } from "./ops_reduce.ts";

/** `t` itself when kernels may read it as is, else a dense copy of `dtype` (not recorded). */
function dense(t: Tensor, dtype = t.dtype): Tensor {
  if (t.isDense && t.dtype === dtype) return t;
  return withGradMode(false, () => (t.dtype === dtype ? t.clone() : t.cast(dtype)));
}

function disposeCopy(copy: Tensor, original: Tensor): void {
  if (copy !== original) copy.dispose();
}

/**
 * Softmax (or log-softmax when `log`) of `x` along dim `d` (non-negative) with the backend's
 * primitive; a dim other than the last is swapped last and back. Null when not applicable.
 */
export function fusedSoftmax(x: Tensor, d: number, log: boolean): Tensor | null {
  const b: Backend = x.backend;
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
 * Layer norm of `x` over its trailing `k` dims with the backend's primitive; `weight`/`bias` must
 * have exactly those dims (and x's dtype and device). Null when not applicable.
 */
export function fusedLayerNorm(
  x: Tensor,
  k: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor | null {
  const b: Backend = x.backend;
  if (!b.layerNorm || !b.layerNormBackward || !isFloat(x.dtype) || x.size === 0) return null;
  if (!fitsTrailing(weight, x, k) || !fitsTrailing(bias, x, k)) return null;
  const op = "layerNorm";
  const cols = x.shape.slice(x.ndim - k).reduce((a, s) => a * s, 1), rows = x.size / cols;
  const xd = dense(x), wd = weight ? dense(weight) : null, bd = bias ? dense(bias) : null;
  const r = b.layerNorm(xd.storage(op), wd?.storage(op) ?? null, bd?.storage(op) ?? null, rows, cols, eps);
  if (bd && bias) disposeCopy(bd, bias);
  const y = Tensor.fromStorage(r.y, x.shape, x.dtype, x.device);
  const mu = Tensor.fromStorage(r.mean, [rows], x.dtype, x.device);
  const rstd = Tensor.fromStorage(r.rstd, [rows], x.dtype, x.device);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(op, inputs, y, (g) => {
    if (isGradEnabled()) return composedLayerNormGrad(x, k, weight, bias, eps, g);
    const gd = dense(g, x.dtype);
    const grads = { weight: !!weight?.requiresGrad, bias: !!bias?.requiresGrad };
    const s = b.layerNormBackward!(
      xd.storage(op),
      mu.storage(op),
      rstd.storage(op),
      wd?.storage(op) ?? null,
      gd.storage(op),
      rows,
      cols,
      grads,
    );
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
