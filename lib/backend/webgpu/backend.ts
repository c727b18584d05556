/**
 * The WebGPU backend: storage in pooled device buffers (runtime.ts), primitives as WGSL compute
 * kernels recorded into batches, one module per kernel family (see recorder.ts and
 * kernels/README.md).
 * @module
 */
import type {
  Backend,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  DType,
  ElementwiseOp,
  EvaluateLimits,
  FusedExpr,
  GatherArgs,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  MatmulBias,
  Operand,
  RandomKind,
  ReduceOp,
  ScatterAddArgs,
  ScatterReduceArgs,
  Storage,
  View,
  WindowParams,
} from "../backend.ts";
import { acquireDevice, type DeviceLimits } from "./device.ts";
import { evaluateLimits } from "./evaluate.ts";
// Each primitive runs whole where its storages fit one binding, else in pieces (split.ts):
// split_ops.ts and split_rows.ts wrap the kernel modules; matmul.ts and window.ts split themselves.
import { argReduce, copyInto, elementwise, evaluate, gather, reduce, scatterAdd } from "./split_ops.ts";
import * as norm from "./split_rows.ts";
import {
  assertNone,
  crossEntropy,
  crossEntropyBackward,
  fused,
  maxPool2d,
  maxPool2dBackward,
  random,
} from "./split_rows.ts";
import { LOOP_BUDGET } from "./kernels.ts";
import { matmul } from "./matmul.ts";
import { GpuRuntime } from "./runtime.ts";
import { col2im, im2col } from "./window.ts";
import { sort } from "./sort.ts";
import { scatterReduce } from "./scatter.ts";

/** The WebGPU implementation of {@link Backend}. */
export class WebGPUBackend extends GpuRuntime implements Backend {
  /** Always `"webgpu"`. */
  readonly name = "webgpu" as const;
  /** float32, int32 and bool (no float64 in WGSL). */
  readonly dtypes: readonly DType[] = ["float32", "int32", "bool"];
  /**
   * Whether the adapter is a CPU rasterizer (llvmpipe, lavapipe, softpipe, SwiftShader, WARP),
   * where the cpu backend is the faster default; see `isSoftwareAdapter` (adapter_kind.ts).
   */
  readonly softwareAdapter: boolean;

  /** A backend on `device`; `softwareAdapter` says whether its adapter runs on the CPU. */
  constructor(device: GPUDevice, limits: DeviceLimits, description: string, softwareAdapter: boolean) {
    super(device, limits, description);
    this.softwareAdapter = softwareAdapter;
  }

  /** {@link Backend.elementwise}: WGSL generated from the op's table entry (elementwise.ts). */
  elementwise(op: ElementwiseOp, operands: readonly Operand[], outDtype: DType, params?: readonly number[]): Storage {
    return elementwise(this, op, operands, outDtype, params);
  }

  /** {@link Backend.reduce} */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
    return reduce(this, op, a, av, axes);
  }

  /** {@link Backend.argReduce} */
  argReduce(op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage {
    return argReduce(this, op, a, av, axis);
  }

  /** One arg kernel invocation walks the whole axis, so it must stay under the loop budget. */
  readonly argReduceLength = LOOP_BUDGET;

  /** {@link Backend.matmul} */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
    return matmul(this, a, av, b, bv, bias);
  }

  /** {@link Backend.im2col} */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
    return im2col(this, x, xv, p, padValue);
  }

  /** {@link Backend.col2im} */
  col2im(cols: Storage, cv: View, imageShape: readonly [number, number, number, number], p: WindowParams): Storage {
    return col2im(this, cols, cv, imageShape, p);
  }

  /** {@link Backend.crossEntropy} (one workgroup per row; see cross_entropy.ts). */
  crossEntropy(args: CrossEntropyArgs): [Storage, Storage] {
    return crossEntropy(this, args);
  }

  /** {@link Backend.crossEntropyBackward}. */
  crossEntropyBackward(args: CrossEntropyBackwardArgs): Storage {
    return crossEntropyBackward(this, args);
  }

  /** {@link Backend.maxPool2d} (one invocation per output; see pool2d.ts). */
  maxPool2d(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage } {
    return maxPool2d(this, x, xv, p);
  }

  /** {@link Backend.maxPool2dBackward} (one invocation per input pixel). */
  maxPool2dBackward(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    return maxPool2dBackward(this, gy, indices, imageShape, p);
  }

  /** {@link Backend.sort} (bitonic networks over (value, position) pairs; see sort.ts). */
  sort(x: Storage, xv: View, axis: number, descending: boolean): { values: Storage; indices: Storage } {
    return sort(this, x, xv, axis, descending);
  }

  /** {@link Backend.softmax} (one workgroup per row; see norm.ts). */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmax(this, x, rows, cols, log);
  }

  /** {@link Backend.softmaxBackward}. */
  softmaxBackward(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmaxBackward(this, y, gy, rows, cols, log);
  }

  /** {@link Backend.layerNorm} (one workgroup per row). */
  layerNorm(args: LayerNormArgs): LayerNormOutputs {
    return norm.layerNorm(this, args);
  }

  /** {@link Backend.layerNormBackward}. */
  layerNormBackward(args: LayerNormBackwardArgs): LayerNormGrads {
    return norm.layerNormBackward(this, args);
  }

  /** {@link Backend.gather} */
  gather(args: GatherArgs): Storage {
    return gather(this, args);
  }

  /** {@link Backend.scatterAdd} */
  scatterAdd(args: ScatterAddArgs): Storage {
    return scatterAdd(this, args);
  }

  /** {@link Backend.scatterReduce} (scatter.ts; whole tensors within one binding) */
  scatterReduce(args: ScatterReduceArgs): Storage {
    return scatterReduce(this, args);
  }

  /** {@link Backend.copyInto} */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void {
    copyInto(this, dst, dv, src, sv);
  }

  /** {@link Backend.fused} (float32 only) */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[] {
    return fused(this, outputs, inputs, size, params, dtype);
  }

  /** {@link Backend.evaluate}: one generated kernel per chain structure (evaluate.ts). */
  evaluate(
    outputs: readonly FusedExpr[],
    operands: readonly Operand[],
    outDtypes: readonly DType[],
    params: readonly number[],
  ): Storage[] {
    return evaluate(this, outputs, operands, outDtypes, params);
  }

  /** {@link Backend.evaluateLimits}, from the device's storage bindings per stage. */
  get evaluateLimits(): EvaluateLimits {
    return this.#evaluateLimits ??= evaluateLimits(this.limits.maxStorageBuffersPerShaderStage);
  }
  #evaluateLimits: EvaluateLimits | null = null;

  /** {@link Backend.assertNone} (deferred: raised at the next readback) */
  assertNone(flags: Storage, describe: (index: number) => string): void {
    assertNone(this, flags, describe);
  }

  /** {@link Backend.random} */
  random(kind: RandomKind, size: number, seed: number, counter: number, dtype: DType): Storage {
    return random(this, kind, size, seed, counter, dtype);
  }
}

/** A WebGPU backend, or null when `navigator.gpu` is missing or gives no adapter. */
export async function createWebGPUBackend(): Promise<WebGPUBackend | null> {
  const acquired = await acquireDevice();
  if (!acquired) return null;
  return new WebGPUBackend(acquired.device, acquired.limits, acquired.description, acquired.softwareAdapter);
}
