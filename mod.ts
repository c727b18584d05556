/**
 * denograd: tensors, reverse-mode autograd, losses and optimizers for Deno, with the heavy
 * ops running as WGSL compute kernels on WebGPU, or as float32 JavaScript and WebAssembly SIMD
 * kernels on every core of the cpu (with an optimised BLAS where `--allow-ffi` is granted).
 *
 * Importing this module picks the device: WebGPU when `navigator.gpu` yields a hardware adapter,
 * else cpu, also when the only adapter is a CPU rasterizer such as llvmpipe (set
 * `DENOGRAD_BACKEND=cpu|webgpu` to choose).
 *
 * @example
 * ```ts
 * import { randn } from "denograd";
 * import assert from "node:assert/strict";
 * const w = randn([3, 1], { requiresGrad: true });
 * const x = randn([8, 3]);
 * const loss = x.matmul(w).square().mean();
 * loss.backward();
 * assert.deepEqual(w.grad!.shape, [3, 1]);
 * ```
 * @module
 */
import { initDevices } from "./lib/tensor/device.ts";

await initDevices();

export { type NestedArray, type ReduceOptions, Tensor, type TensorCore, type TensorLike } from "./lib/tensor/tensor.ts";
export type { DType, HostArray, MemoryStats, View } from "./lib/backend/backend.ts";
export type { DTypeName } from "./lib/tensor/dtype.ts";
export {
  type Device,
  getDefaultDevice,
  getNumThreads,
  hasWebGPU,
  initDevices,
  resetDevice,
  setDefaultDevice,
  setNumThreads,
} from "./lib/tensor/device.ts";
export {
  arange,
  bernoulli,
  type CreateOptions,
  eye,
  full,
  fullLike,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  tensor,
  type TensorData,
  zeros,
  zerosLike,
} from "./lib/tensor/ops_creation.ts";
export { cat, pad, type PadMode, type PadOptions, stack } from "./lib/tensor/ops_combine.ts";
export type { IndexMethods } from "./lib/tensor/methods_index.ts";
export type { ShapeMethods } from "./lib/tensor/methods_shape.ts";
export type {
  NonzeroOptions,
  ScanMethods,
  ScanOptions,
  SelectOptions,
  SortOptions,
  TopkOptions,
  UniqueOptions,
  UniqueResult,
  ValuesAndIndices,
} from "./lib/tensor/methods_scan.ts";
export type { MathMethods } from "./lib/tensor/methods_math.ts";
export type { ShapeArgs } from "./lib/tensor/ops_creation.ts";
export type { GradHook } from "./lib/autograd/backward.ts";
export { where } from "./lib/tensor/ops_elementwise.ts";
export { linear, matmul } from "./lib/tensor/ops_linalg.ts";
export { embedding, oneHot } from "./lib/tensor/ops_index.ts";
export { type Index, type SetAtOptions, Slice, slice } from "./lib/tensor/ops_at.ts";
export {
  diag,
  diagonal,
  flip,
  meshgrid,
  type MeshgridOptions,
  movedim,
  repeatInterleave,
  type RepeatInterleaveOptions,
  roll,
  tile,
  tril,
  triu,
  unbind,
  unflatten,
} from "./lib/tensor/ops_shape.ts";
export {
  indexAdd,
  indexCopy,
  indexFill,
  maskedScatter,
  scatter,
  scatterReduce,
  type ScatterReduceOptions,
  type ScatterReduction,
  take,
  takeAlongDim,
} from "./lib/tensor/ops_scatter.ts";
export { einsum } from "./lib/tensor/einsum.ts";
export { keep, tidy } from "./lib/tensor/scope.ts";
export { type GradFn, isGradEnabled, noGrad } from "./lib/tensor/tape.ts";
export type { SliceSpec } from "./lib/tensor/ops_movement.ts";
export { isEager, setEager } from "./lib/tensor/lazy.ts";
export { compile, type CompiledFunction, type CompileStats } from "./lib/jit/compile.ts";
export { type BackwardOptions, grad } from "./lib/autograd/backward.ts";
export { gradcheck, type GradcheckFn, type GradcheckOptions, gradgradcheck } from "./lib/autograd/gradcheck.ts";
export {
  AutogradFunction,
  type BackwardResult,
  defineFunction,
  type FunctionClass,
  FunctionContext,
  type FunctionDefinition,
} from "./lib/autograd/function.ts";
export { type AnomalyOptions, detectAnomaly, isAnomalyEnabled } from "./lib/autograd/anomaly.ts";
export { memoryStats, synchronize } from "./lib/memory.ts";
export { type KernelTime, profileKernels } from "./lib/profile.ts";
export * as F from "./lib/functional.ts";
export * as nn from "./lib/nn/mod.ts";
export { load, loadBytes, type LoadOptions, save, saveBytes, type SaveOptions } from "./lib/io/safetensors.ts";
export * as optim from "./lib/optim/mod.ts";
export * as data from "./lib/data/mod.ts";
export { type BertActivation, BertConfig, type BertConfigOptions } from "./lib/models/bert_config.ts";
export {
  type BertClassificationInputs,
  type BertClassificationOutput,
  BertForSequenceClassification,
  type BertInputs,
  BertModel,
  type BertOutput,
} from "./lib/models/bert.ts";
// the types BERT's public fields and base class name (their classes are `nn.Module`, `nn.Linear`, `nn.Dropout`)
export type { Dropout, ForwardHook, ForwardPreHook, Linear, Module, RemovableHandle, StateDict } from "./lib/nn/mod.ts";
export { loadPretrained, type LoadPretrainedOptions } from "./lib/models/bert_pretrained.ts";
export * as plot from "./lib/plot/mod.ts";
export { type Metrics, Progress, progress, type ProgressMode, type ProgressOptions } from "./lib/progress.ts";
export { type LoggedStep, MetricLogger, type MetricLoggerOptions } from "./lib/metric_logger.ts";
export { PendingRead, readLater } from "./lib/tensor/readback.ts";
export type { FormatOptions } from "./lib/tensor/format.ts";
