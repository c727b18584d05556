/**
 * Every loss in functional form; re-exported through `F`. Each line names one file of
 * lib/losses (append, keep one export line per file).
 * @module
 */
export { ctcLoss, type CTCLossOptions } from "./ctc_loss.ts";
export { crossEntropy, type CrossEntropyOptions } from "./cross_entropy.ts";
export { nllLoss, type NllLossOptions } from "./nll.ts";
export { type BceOptions, binaryCrossEntropy } from "./bce.ts";
export { type BceWithLogitsOptions, binaryCrossEntropyWithLogits } from "./bce_with_logits.ts";
export {
  hingeEmbeddingLoss,
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  multiMarginLoss,
  softMarginLoss,
} from "./margin_classification.ts";
export { focalLoss, type FocalLossOptions } from "./focal_loss.ts";
export { diceLoss, type DiceLossOptions } from "./dice_loss.ts";
export { ganDiscriminatorLoss, ganGeneratorLoss, type GanLossKind } from "./gan_loss.ts";
export { vaeLoss, type VaeLossOptions } from "./vae_loss.ts";
export { gradientPenalty, type GradientPenaltyOptions } from "./gradient_penalty.ts";
export { multiTaskLoss, type MultiTaskLossOptions } from "./multi_task_loss.ts";
export { l1Penalty, l2Penalty } from "./weight_penalty.ts";
export {
  huberLoss,
  type HuberLossOptions,
  l1Loss,
  mseLoss,
  smoothL1Loss,
  type SmoothL1LossOptions,
} from "./regression.ts";
export { klDiv, type KLDivOptions, type KLDivReduction } from "./kl_div.ts";
export { cosineEmbeddingLoss, type MarginOptions, marginRankingLoss } from "./embedding_losses.ts";
export {
  type DistanceFunction,
  pairwiseDistance,
  type PairwiseDistanceOptions,
  tripletMarginLoss,
  type TripletMarginOptions,
  tripletMarginWithDistanceLoss,
  type TripletMarginWithDistanceOptions,
} from "./triplet.ts";
export {
  gaussianNllLoss,
  type GaussianNLLOptions,
  poissonNllLoss,
  type PoissonNLLOptions,
} from "./poisson_gaussian.ts";
