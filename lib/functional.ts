/**
 * `F`, the functional namespace (torch.nn.functional): stateless layers built on tensor ops.
 * @module
 */
export { linear } from "./tensor/ops_linalg.ts";
export {
  avgPool2d,
  conv2d,
  type Conv2dOptions,
  cosineSimilarity,
  dropout,
  layerNorm,
  maxPool2d,
  type Pair,
  type PoolOptions,
} from "./tensor/ops_nn.ts";
export { gelu, leakyRelu, relu, sigmoid, softplus, tanh } from "./tensor/ops_elementwise.ts";
export { logSoftmax, softmax } from "./tensor/ops_reduce.ts";
export { embedding, oneHot } from "./tensor/ops_index.ts";
export { pad } from "./tensor/ops_combine.ts";
export { batchNorm, type BatchNormOptions } from "./nn/normalization.ts";
export * from "./losses/functional.ts";
export * from "./functional/activation.ts";
export * from "./functional/shape.ts";
export * from "./functional/nn.ts";
