/**
 * `nn`: modules (layers, containers, losses) and `nn.utils`.
 * @module
 */
export { Module, type StateDict } from "./module.ts";
/** `nn.utils`: gradient clipping. */
export * as utils from "./utils.ts";
export * from "../losses/modules.ts";
export * as init from "./init.ts";
export { Identity, Linear, type LinearOptions } from "./linear.ts";
export { Conv2d, type Conv2dLayerOptions } from "./conv.ts";
export { AvgPool2d, type AvgPool2dOptions, MaxPool2d, type MaxPool2dOptions } from "./pooling.ts";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormLayerOptions,
  LayerNorm,
  type LayerNormOptions,
} from "./normalization.ts";
export { Dropout } from "./dropout.ts";
export { Embedding, type EmbeddingOptions } from "./embedding.ts";
export { GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh } from "./activation.ts";
export {
  CELU,
  ELU,
  GLU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LogSigmoid,
  Mish,
  PReLU,
  type PReLUOptions,
  ReLU6,
  SELU,
  SiLU,
  Softmin,
  Softsign,
} from "./activation_extra.ts";
export { Flatten } from "./flatten.ts";
export { ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential } from "./container.ts";
export { GRU, LSTM, type RecurrentInput, RNN, type RNNOptions } from "./rnn.ts";
export { GRUCell, LSTMCell, RNNCell, type RNNCellOptions, type RnnNonlinearity } from "./rnn_cells.ts";
export {
  Transformer,
  TransformerDecoder,
  type TransformerDecoderForwardOptions,
  TransformerDecoderLayer,
  type TransformerDecoderLayerOptions,
  type TransformerForwardOptions,
  type TransformerOptions,
} from "./transformer_decoder.ts";
export { type ForwardHook, type ForwardPreHook, type RemovableHandle } from "./module.ts";
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
} from "./attention.ts";
export {
  type EncoderLayerLike,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderLayerOptions,
} from "./transformer.ts";
