/** The WGAN-GP gradient penalty (Gulrajani et al. 2017). @module */
import { Tensor } from "../tensor/tensor.ts";
import { rand } from "../tensor/ops_creation.ts";
import { grad } from "../autograd/backward.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link gradientPenalty}. */
export interface GradientPenaltyOptions {
  /** Penalty weight λ (default 10). */
  lambda?: number;
  /** Interpolation weights ε `[N]` (default: uniform on [0, 1), one per sample). */
  epsilon?: Tensor;
}

const OP = "gradientPenalty";

/**
 * λ · mean_n (‖∇_x̂ critic(x̂)_n‖₂ − 1)² at x̂ = ε·real + (1 − ε)·fake, one ε per sample.
 * The input gradient is taken with `createGraph`, so the penalty is differentiable with
 * respect to the critic's parameters (double backward) and, when they require grad, to
 * `real` and `fake`.
 *
 * @param critic maps `[N, …]` to scores `[N]` or `[N, 1]` (summed before differentiating).
 * @param real real samples `[N, …]`; @param fake generated samples, same shape.
 * @param options `lambda` (10), `epsilon` (random).
 * @returns a scalar to add to the critic's loss.
 *
 * @example
 * ```ts
 * import { F, nn, randn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([[3, 4]], { requiresGrad: true }); // a linear critic with ‖∇‖ = 5
 * const gp = F.gradientPenalty((x) => x.matmul(w.T), randn([4, 2]), randn([4, 2]), { lambda: 1 });
 * assert.equal(await gp.item(), 16);
 * gp.backward();
 * assert.ok(w.grad !== null);
 * ```
 */
export function gradientPenalty(
  critic: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  options: GradientPenaltyOptions = {},
): Tensor {
  return graphScope(() => gradientPenaltyUnscoped(critic, real, fake, options));
}

function gradientPenaltyUnscoped(
  critic: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  options: GradientPenaltyOptions = {},
): Tensor {
  const lambda = options.lambda ?? 10;
  if (typeof critic !== "function") throw new TypeError(`${OP}: critic must be a function of a tensor`);
  if (!(real instanceof Tensor) || !(fake instanceof Tensor) || real.shape.join() !== fake.shape.join()) {
    throw new RangeError(`${OP}: real [${real?.shape}] and fake [${fake?.shape}] must be tensors of the same shape`);
  }
  if (real.ndim < 1) throw new RangeError(`${OP}: samples must have a batch dim 0, got shape [${real.shape}]`);
  const n = real.shape[0];
  const eps = options.epsilon ?? rand([n], { dtype: real.dtype, device: real.device });
  if (eps.size !== n) throw new RangeError(`${OP}: epsilon must have one value per sample (${n}), got [${eps.shape}]`);
  const e = eps.reshape([n, ...real.shape.slice(1).map(() => 1)]).cast(real.dtype);
  let xHat = real.mul(e).add(fake.mul(e.neg().add(1)));
  if (!xHat.requiresGrad) xHat = xHat.detach().requiresGrad_(true);
  const scores = critic(xHat);
  const [g] = grad([scores.sum()], [xHat], { createGraph: true });
  return g!.reshape([n, -1]).norm(2, 1).sub(1).square().mean().mul(lambda);
}
