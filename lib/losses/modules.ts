/**
 * Every loss as an `nn` module; re-exported through `nn`. Each line names one file of
 * lib/losses (append, keep one export line per file).
 * @module
 */
export { Loss, type Reduction, type ReductionOptions } from "./_reduction.ts";
export { CTCLoss } from "./ctc_loss.ts";
export { CrossEntropyLoss } from "./cross_entropy.ts";
export { NLLLoss } from "./nll.ts";
export { BCELoss } from "./bce.ts";
export { BCEWithLogitsLoss } from "./bce_with_logits.ts";
export {
  HingeEmbeddingLoss,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  SoftMarginLoss,
} from "./margin_classification.ts";
export { FocalLoss } from "./focal_loss.ts";
export { DiceLoss } from "./dice_loss.ts";
export { MultiTaskLoss } from "./multi_task_loss.ts";
export { HuberLoss, L1Loss, MSELoss, SmoothL1Loss } from "./regression.ts";
export { KLDivLoss } from "./kl_div.ts";
export { CosineEmbeddingLoss, MarginRankingLoss } from "./embedding_losses.ts";
export { TripletMarginLoss, TripletMarginWithDistanceLoss } from "./triplet.ts";
export { GaussianNLLLoss, PoissonNLLLoss } from "./poisson_gaussian.ts";
