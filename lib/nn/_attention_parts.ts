/**
 * Small parameter holders used inside the attention and transformer modules, initialised as
 * PyTorch's `nn.Linear`, `nn.LayerNorm` and `nn.Dropout` are, so that their fields produce
 * torch's state-dict keys (`out_proj.weight`, `linear1.bias`, `norm1.weight`, …). Unlike
 * `nn.Linear`/`nn.LayerNorm` they take torch's `device`/`dtype` factory options, which the
 * float64 cpu checks of these modules need.
 * @module
 */
import type { DType } from "../backend/backend.ts";
import type { Device } from "../tensor/device.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { ones, zeros } from "../tensor/ops_creation.ts";
import { linear } from "../tensor/ops_linalg.ts";
import { dropout, layerNorm } from "../tensor/ops_nn.ts";
import { Module } from "./module.ts";
import { kaimingUniform_, uniform_, xavierUniform_ } from "./init.ts";

/** Where and in which float type a module creates its parameters (torch's factory kwargs). */
export interface FactoryOptions {
  /** Device of the parameters (default: the default device). */
  device?: Device;
  /** Float dtype of the parameters (default float32). */
  dtype?: DType;
}

/** A `[fanOut, fanIn]` weight filled by `xavier_uniform_`: U(−a, a), a = √(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: readonly [number, number], options: FactoryOptions): Tensor {
  return xavierUniform_(zeros(shape, options));
}

/** `nn.Linear`'s parameters: weight `kaiming_uniform_(a=√5)` (bound 1/√in), bias U(−1/√in, 1/√in). */
export class LinearParams extends Module {
  /** `[out, in]`. */
  weight: Tensor;
  /** `[out]`, or null without bias. */
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, bias: boolean, options: FactoryOptions) {
    super();
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.param(kaimingUniform_(zeros([outFeatures, inFeatures], options), { a: Math.sqrt(5) }));
    this.bias = bias ? this.param(uniform_(zeros([outFeatures], options), { a: -bound, b: bound })) : null;
  }
  /** `x Wᵀ + b`. */
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** `nn.LayerNorm(dim, eps)`'s parameters: weight ones, bias zeros. */
export class LayerNormParams extends Module {
  /** `[dim]`, ones. */
  weight: Tensor;
  /** `[dim]`, zeros. */
  bias: Tensor;
  constructor(readonly dim: number, readonly eps: number, options: FactoryOptions) {
    super();
    this.weight = this.param(ones([dim], options));
    this.bias = this.param(zeros([dim], options));
  }
  /** Normalises over the last dim. */
  override forward(x: Tensor): Tensor {
    return layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

/** `nn.Dropout(p)`: active only in training mode. */
export class DropoutLayer extends Module {
  constructor(readonly p: number) {
    super();
  }
  /** Zeroes elements with probability p in training, scaling the rest by 1/(1−p). */
  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
