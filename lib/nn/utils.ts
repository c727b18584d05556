/** `nn.utils`: gradient clipping, and `nn.utils.rnn` (packed sequences). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { tidy } from "../tensor/scope.ts";
import { fusedElementwise, fx } from "../tensor/fused.ts";
import { noGrad } from "../tensor/tape.ts";
import { stack } from "../tensor/ops_combine.ts";
import { zeros } from "../tensor/ops_creation.ts";

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Order p of the norm: a positive number or `Infinity` (default 2). */
  normType?: number;
  /** Reject a NaN/infinite total norm with an error (needs a readback, so the call returns a Promise). */
  errorIfNonfinite?: boolean;
}

function gradsOf(op: string, params: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(params) ? params : [params as Tensor];
  for (const p of list) {
    if ((p as { __isTensor?: boolean })?.__isTensor !== true) throw new TypeError(`${op}: params must be tensors`);
  }
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

function totalNorm(grads: readonly Tensor[], normType: number): Tensor {
  if (normType === Infinity) {
    const norms = grads.map((g) => g.abs().max());
    return norms.length === 1 ? norms[0] : stack(norms).max();
  }
  return stack(grads.map((g) => g.norm(normType))).norm(normType);
}

// g · min(maxNorm / (‖g‖ + 1e-6), 1), with ‖g‖ a one-element input: one kernel per gradient
const scaled = fx.mul(fx.input(0), fx.bin("minimum", fx.div(fx.param(0), fx.add(fx.input(1), fx.c(1e-6))), fx.c(1)));

function scaleGrads(grads: readonly Tensor[], maxNorm: number, total: Tensor): void {
  for (const g of grads) {
    const [out] = fusedElementwise([scaled], [g, total], [maxNorm]);
    g.assignStorage(out);
    out.dispose();
  }
}

/**
 * Rescales the gradients of `params` in place so that their joint norm is at most `maxNorm`,
 * as `torch.nn.utils.clip_grad_norm_`:
 *
 * ‖g‖ = ‖(‖g_1‖_p, …, ‖g_n‖_p)‖_p (max |g| for p = ∞);  g_i ← g_i · min(maxNorm / (‖g‖ + 1e-6), 1).
 *
 * The scale factor is computed on the device, so no readback happens. Returns the total norm
 * (before clipping) as a one-element tensor (0 when no parameter has a gradient). With
 * `errorIfNonfinite: true` it awaits the norm and throws a RangeError for NaN/±Infinity before
 * touching the gradients, so it returns a Promise.
 *
 * Args: `params` (a tensor or tensors), `maxNorm`, `normType` = 2, `errorIfNonfinite` = false.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([0, 0], { requiresGrad: true });
 * w.grad = tensor([3, 4], { dtype: "float32" });
 * const norm = nn.utils.clipGradNorm([w], 1);
 * assert.equal(await norm.item(), 5);
 * const [a, b] = await w.grad.data();
 * assert.ok(Math.abs(a - 0.6) < 1e-5 && Math.abs(b - 0.8) < 1e-5);
 * ```
 */
export function clipGradNorm(
  params: Tensor | readonly Tensor[],
  maxNorm: number,
  options?: ClipGradNormOptions & { errorIfNonfinite?: false },
): Tensor;
/** With `errorIfNonfinite: true`: awaits the norm, rejects a non-finite one, then clips. */
export function clipGradNorm(
  params: Tensor | readonly Tensor[],
  maxNorm: number,
  options: ClipGradNormOptions & { errorIfNonfinite: true },
): Promise<Tensor>;
export function clipGradNorm(
  params: Tensor | readonly Tensor[],
  maxNorm: number,
  options: ClipGradNormOptions = {},
): Tensor | Promise<Tensor> {
  const normType = options.normType ?? 2;
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) {
    throw new RangeError(`clipGradNorm: maxNorm must be a number, got ${maxNorm}`);
  }
  if (typeof normType !== "number" || !(normType > 0)) {
    throw new RangeError(`clipGradNorm: normType must be a positive number or Infinity, got ${normType}`);
  }
  const grads = gradsOf("clipGradNorm", params);
  if (grads.length === 0) return options.errorIfNonfinite ? Promise.resolve(zeros([])) : zeros([]);
  const total = noGrad(() => tidy(() => totalNorm(grads, normType)));
  if (!options.errorIfNonfinite) {
    noGrad(() => scaleGrads(grads, maxNorm, total));
    return total;
  }
  return total.item().then((value) => {
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `clipGradNorm: the total norm of order ${normType} of the gradients is ${value}; ` +
          "set errorIfNonfinite: false to clip anyway",
      );
    }
    noGrad(() => scaleGrads(grads, maxNorm, total));
    return total;
  });
}

/**
 * Clamps every gradient of `params` to [−clipValue, clipValue] in place
 * (`torch.nn.utils.clip_grad_value_`): g ← min(max(g, −c), c).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([0, 0], { requiresGrad: true });
 * w.grad = tensor([-3, 0.5], { dtype: "float32" });
 * nn.utils.clipGradValue(w, 1);
 * assert.deepEqual(Array.from(await w.grad.data()), [-1, 0.5]);
 * ```
 */
export function clipGradValue(params: Tensor | readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== "number" || !(clipValue >= 0)) {
    throw new RangeError(`clipGradValue: clipValue must be a number >= 0, got ${clipValue}`);
  }
  const grads = gradsOf("clipGradValue", params);
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.assignStorage(g.clamp(-clipValue, clipValue));
    })
  );
}

/** `nn.utils.rnn`: packed and padded sequences for the recurrent layers. */
export * as rnn from "./rnn_utils.ts";
