/** Adversarial losses of GANs, on discriminator logits. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { reduce, type Reduction, type ReductionOptions } from "./_reduction.ts";
import { graphScope } from "../tensor/scope.ts";

/**
 * The GAN objective: `"minimax"` (Goodfellow et al. 2014, saturating generator),
 * `"nonSaturating"` (the −log D(G(z)) generator), `"hinge"` (Lim & Ye 2017) or
 * `"wasserstein"` (Arjovsky et al. 2017; the critic needs a Lipschitz constraint, e.g.
 * {@link gradientPenalty}).
 */
export type GanLossKind = "minimax" | "nonSaturating" | "hinge" | "wasserstein";

const KINDS: readonly GanLossKind[] = ["minimax", "nonSaturating", "hinge", "wasserstein"];

function checkKind(op: string, kind: unknown): GanLossKind {
  if (!KINDS.includes(kind as GanLossKind)) {
    throw new TypeError(
      `${op}: kind must be one of ${KINDS.map((k) => `"${k}"`).join(", ")}, got ${JSON.stringify(kind)}`,
    );
  }
  return kind as GanLossKind;
}

// −log σ(x) = softplus(−x); −log(1 − σ(x)) = softplus(x): stable for any logit
function realTerm(kind: GanLossKind, real: Tensor): Tensor {
  if (kind === "hinge") return real.neg().add(1).relu();
  if (kind === "wasserstein") return real.neg();
  return real.neg().softplus();
}

function fakeTerm(kind: GanLossKind, fake: Tensor): Tensor {
  if (kind === "hinge") return fake.add(1).relu();
  if (kind === "wasserstein") return fake;
  return fake.softplus();
}

function sides(op: string, a: Tensor, b: Tensor, reduction: Reduction | undefined): Tensor {
  if (reduction === "none" && a.shape.join() !== b.shape.join()) {
    throw new RangeError(`${op}: with reduction "none" real [${a.shape}] and fake [${b.shape}] logits must match`);
  }
  return reduce(op, a, reduction).add(reduce(op, b, reduction));
}

/**
 * The discriminator's (critic's) loss on logits D(x) of real and D(G(z)) of generated
 * samples, each side reduced separately and added:
 * minimax / nonSaturating: −log σ(D(x)) − log(1 − σ(D(G(z)))) (binary cross-entropy);
 * hinge: relu(1 − D(x)) + relu(1 + D(G(z))); wasserstein: D(G(z)) − D(x).
 * Computed through softplus, so extreme logits stay finite.
 *
 * @param kind the objective.
 * @param realLogits discriminator outputs on real data, any shape.
 * @param fakeLogits discriminator outputs on generated data (detach them for the D step).
 * @param options `reduction` (`"mean"`; `"none"` needs equal shapes and returns the sum per element).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const d = await F.ganDiscriminatorLoss("hinge", tensor([2, 0.5]), tensor([-2, 0])).item();
 * assert.equal(d, (0 + 0.5) / 2 + (0 + 1) / 2);
 * ```
 */
export function ganDiscriminatorLoss(
  kind: GanLossKind,
  realLogits: Tensor,
  fakeLogits: Tensor,
  options: ReductionOptions = {},
): Tensor {
  return graphScope(() => ganDiscriminatorLossUnscoped(kind, realLogits, fakeLogits, options));
}

function ganDiscriminatorLossUnscoped(
  kind: GanLossKind,
  realLogits: Tensor,
  fakeLogits: Tensor,
  options: ReductionOptions = {},
): Tensor {
  const k = checkKind("ganDiscriminatorLoss", kind);
  return sides("ganDiscriminatorLoss", realTerm(k, realLogits), fakeTerm(k, fakeLogits), options.reduction);
}

/**
 * The generator's loss on the discriminator's logits D(G(z)) of generated samples:
 * minimax (saturating): log(1 − σ(D(G(z)))) = −softplus(D(G(z)));
 * nonSaturating: −log σ(D(G(z))) = softplus(−D(G(z))); hinge and wasserstein: −D(G(z)).
 *
 * @param kind the objective.
 * @param fakeLogits discriminator outputs on generated data, any shape.
 * @param options `reduction` (`"mean"`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const g = await F.ganGeneratorLoss("wasserstein", tensor([1, 3])).item();
 * assert.equal(g, -2);
 * ```
 */
export function ganGeneratorLoss(kind: GanLossKind, fakeLogits: Tensor, options: ReductionOptions = {}): Tensor {
  return graphScope(() => ganGeneratorLossUnscoped(kind, fakeLogits, options));
}

function ganGeneratorLossUnscoped(kind: GanLossKind, fakeLogits: Tensor, options: ReductionOptions = {}): Tensor {
  const k = checkKind("ganGeneratorLoss", kind);
  const loss = k === "minimax"
    ? fakeLogits.softplus().neg()
    : k === "nonSaturating"
    ? fakeLogits.neg().softplus()
    : fakeLogits.neg();
  return reduce("ganGeneratorLoss", loss, options.reduction);
}
