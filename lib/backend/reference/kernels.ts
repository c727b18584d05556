/**
 * The reference kernels by name, for backends that run them over their own memory (the cpu
 * backend's float64 and fallback paths): each takes a {@link ReferenceContext}.
 * @module
 */
export { assertNone } from "./assert.ts";
export { crossEntropy, crossEntropyBackward } from "./cross_entropy.ts";
export { copyInto, gather, scatterAdd } from "./index.ts";
export { matmul } from "./matmul.ts";
export { layerNorm, layerNormBackward, softmax, softmaxBackward } from "./norm.ts";
export { maxPool2d, maxPool2dBackward } from "./pool2d.ts";
export { random } from "./random.ts";
export { argReduce, reduce } from "./reduce.ts";
export { col2im, im2col } from "./window.ts";
export type { ReferenceContext } from "./storage.ts";
