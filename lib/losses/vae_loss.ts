/** The variational autoencoder objective (negative ELBO). @module */
import type { Tensor } from "../tensor/tensor.ts";
import { checkReduction, type ReductionOptions } from "./_reduction.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link vaeLoss}. */
export interface VaeLossOptions extends ReductionOptions {
  /** `"bce"` (default; `recon` holds probabilities) or `"mse"` (squared error). */
  reconstruction?: "bce" | "mse";
  /** Weight β of the KL term (default 1; β-VAE above 1). */
  beta?: number;
}

const OP = "vaeLoss";

function sameShape(name: string, a: Tensor, b: Tensor): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new RangeError(`${OP}: ${name} shapes differ: [${a.shape}] and [${b.shape}]`);
  }
}

/**
 * Reconstruction loss plus β·KL(N(μ, σ²) ‖ N(0, 1)), with
 * KL = −½ Σ (1 + log σ² − μ² − σ²), summed over every non-batch element.
 *
 * Per sample n: l_n = Σ rec(recon_n, x_n) + β·KL_n, rec = binary cross-entropy (log clamped
 * at −100, as torch) or squared error. `"sum"` (default, as in the PyTorch VAE example):
 * Σ l_n; `"mean"`: mean over the batch of l_n; `"none"`: `[N]`.
 *
 * @param recon decoder output `[N, …]` (probabilities for `"bce"`).
 * @param x the data, same shape.
 * @param mu encoder means `[N, D]`; @param logvar encoder log-variances `[N, D]`.
 * @param options `reconstruction` (`"bce"`), `beta` (1), `reduction` (`"sum"`).
 *
 * @example
 * ```ts
 * import { F, tensor, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * const x = tensor([[0.2, 0.7]]);
 * const loss = await F.vaeLoss(x, x, zeros([1, 3]), zeros([1, 3]), { reconstruction: "mse" }).item();
 * assert.equal(loss, 0); // perfect reconstruction and a posterior equal to the prior
 * ```
 */
export function vaeLoss(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, options: VaeLossOptions = {}): Tensor {
  return graphScope(() => vaeLossUnscoped(recon, x, mu, logvar, options));
}

function vaeLossUnscoped(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, options: VaeLossOptions = {}): Tensor {
  const reduction = checkReduction(OP, options.reduction ?? "sum");
  const beta = options.beta ?? 1;
  const kind = options.reconstruction ?? "bce";
  if (kind !== "bce" && kind !== "mse") {
    throw new TypeError(`${OP}: reconstruction must be "bce" or "mse", got ${JSON.stringify(kind)}`);
  }
  sameShape("recon and x", recon, x);
  sameShape("mu and logvar", mu, logvar);
  if (recon.ndim < 1 || mu.ndim < 1 || mu.shape[0] !== recon.shape[0]) {
    throw new RangeError(`${OP}: recon [${recon.shape}] and mu [${mu.shape}] must share the batch dim 0`);
  }
  const n = recon.shape[0];
  const target = x.cast(recon.dtype);
  const rec = kind === "mse"
    ? recon.sub(target).square()
    : target.mul(recon.log().clamp(-100)).add(target.neg().add(1).mul(recon.neg().log1p().clamp(-100))).neg();
  const kl = logvar.add(1).sub(mu.square()).sub(logvar.exp()).mul(-0.5);
  const perSample = rec.reshape([n, -1]).sum(1).add(kl.reshape([n, -1]).sum(1).mul(beta));
  if (reduction === "none") return perSample;
  return reduction === "sum" ? perSample.sum() : perSample.mean();
}
