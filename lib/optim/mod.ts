/**
 * `optim`: optimizers and `optim.lrScheduler`.
 * @module
 */
export {
  type BaseOptions,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type ParamState,
} from "./optimizer.ts";
export { SGD, type SGDOptions } from "./sgd.ts";
export { Adam, type AdamOptions } from "./adam.ts";
export { AdamW, type AdamWOptions } from "./adamw.ts";
export { Adagrad, type AdagradOptions } from "./adagrad.ts";
export { RMSprop, type RMSpropOptions } from "./rmsprop.ts";
export { Adadelta, type AdadeltaOptions } from "./adadelta.ts";
export { Adamax, type AdamaxOptions } from "./adamax.ts";
export { NAdam, type NAdamOptions } from "./nadam.ts";
export { RAdam, type RAdamOptions } from "./radam.ts";
export * as lrScheduler from "./lr_scheduler.ts";
