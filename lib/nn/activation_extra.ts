/**
 * More activation layers (`torch.nn` names): thin modules over the functional forms of
 * lib/functional/activation.ts. Each takes PyTorch's positional arguments or one options object.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { full } from "../tensor/ops_creation.ts";
import * as F from "../functional/activation.ts";
import { Module } from "./module.ts";

/** A number given positionally, or field `name` of an options object, or `fallback`. */
function pick<K extends string>(
  layer: string,
  arg: number | { readonly [N in K]?: number } | undefined,
  name: K,
  fallback: number,
): number {
  const v = typeof arg === "object" && arg !== null ? arg[name] : arg;
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw new TypeError(`${layer}: ${name} must be a number, got ${typeof v}`);
  return v;
}

/** An integer dim given positionally or as `{ dim }`. */
function pickDim(layer: string, arg: number | { readonly dim?: number } | undefined, fallback?: number): number {
  const d = typeof arg === "object" && arg !== null ? arg.dim : arg;
  if (d === undefined && fallback !== undefined) return fallback;
  if (!Number.isInteger(d)) {
    throw new TypeError(`${layer}: dim must be an integer, got ${d}`);
  }
  return d as number;
}

/**
 * SiLU (swish): `x·σ(x)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.SiLU().forward(tensor([0])).toArray(), [0]);
 * ```
 */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

/**
 * ELU: `x` for x > 0, `alpha·(eˣ − 1)` otherwise (default alpha 1).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.ELU(0.5).forward(tensor([3])).toArray(), [3]);
 * assert.equal(new nn.ELU({ alpha: 2 }).alpha, 2);
 * ```
 */
export class ELU extends Module {
  readonly alpha: number;

  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = pick("ELU", alpha, "alpha", 1);
  }

  override forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
}

/**
 * SELU: `scale·ELU(x, α)` with α ≈ 1.6733 and scale ≈ 1.0507.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.SELU().forward(tensor([0])).toArray(), [0]);
 * ```
 */
export class SELU extends Module {
  override forward(x: Tensor): Tensor {
    return F.selu(x);
  }
}

/**
 * CELU: `x` for x > 0, `alpha·(e^(x/alpha) − 1)` otherwise (default alpha 1; alpha ≠ 0).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.CELU(2).forward(tensor([1])).toArray(), [1]);
 * ```
 */
export class CELU extends Module {
  readonly alpha: number;

  constructor(alpha?: number | { alpha?: number }) {
    super();
    this.alpha = pick("CELU", alpha, "alpha", 1);
    if (this.alpha === 0) throw new RangeError("CELU: alpha must not be 0 (it divides x)");
  }

  override forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha);
  }
}

/**
 * Mish: `x·tanh(softplus(x))`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Mish().forward(tensor([0])).toArray(), [0]);
 * ```
 */
export class Mish extends Module {
  override forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}

/**
 * Hardswish: `x·min(max(x + 3, 0), 6)/6`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Hardswish().forward(tensor([0, 4])).toArray(), [0, 4]);
 * ```
 */
export class Hardswish extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

/**
 * Hardsigmoid: `min(max(x + 3, 0), 6)/6`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Hardsigmoid().forward(tensor([0])).toArray(), [0.5]);
 * ```
 */
export class Hardsigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}

/**
 * ReLU6: `min(max(x, 0), 6)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.ReLU6().forward(tensor([-1, 7])).toArray(), [0, 6]);
 * ```
 */
export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}

/**
 * Hardtanh: `x` limited to [minVal, maxVal] (default [−1, 1]).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Hardtanh(-2, 2).forward(tensor([-3, 3])).toArray(), [-2, 2]);
 * assert.equal(new nn.Hardtanh({ maxVal: 4 }).maxVal, 4);
 * ```
 */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;

  constructor(minVal?: number | { minVal?: number; maxVal?: number }, maxVal?: number) {
    super();
    this.minVal = pick("Hardtanh", minVal, "minVal", -1);
    this.maxVal = typeof minVal === "object" ? pick("Hardtanh", minVal, "maxVal", 1) : maxVal ?? 1;
    if (!(this.minVal <= this.maxVal)) {
      throw new RangeError(`Hardtanh: minVal (${this.minVal}) must not exceed maxVal (${this.maxVal})`);
    }
  }

  override forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal);
  }
}

/**
 * `log σ(x)`, computed stably.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.LogSigmoid().forward(tensor([-100])).toArray(), [-100]);
 * ```
 */
export class LogSigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}

/**
 * Softsign: `x / (1 + |x|)`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Softsign().forward(tensor([1])).toArray(), [0.5]);
 * ```
 */
export class Softsign extends Module {
  override forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}

/**
 * Softmin along `dim`: `softmax(−x, dim)`. PyTorch's implicit dim (deprecated there) is not
 * taken: give the dim.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Softmin(1).forward(tensor([[2, 2]])).toArray(), [[0.5, 0.5]]);
 * ```
 */
export class Softmin extends Module {
  readonly dim: number;

  constructor(dim: number | { dim: number }) {
    super();
    this.dim = pickDim("Softmin", dim);
  }

  override forward(x: Tensor): Tensor {
    return F.softmin(x, this.dim);
  }
}

/**
 * GLU: halves `x` along `dim` (default −1, its size even) into `a`, `b` and returns `a·σ(b)`.
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(new nn.GLU().forward(zeros([3, 4])).shape, [3, 2]);
 * ```
 */
export class GLU extends Module {
  readonly dim: number;

  constructor(dim?: number | { dim?: number }) {
    super();
    this.dim = pickDim("GLU", dim, -1);
  }

  override forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }
}

/** Options of `nn.PReLU`. */
export interface PReLUOptions {
  /** Learned slopes: 1, or the number of channels (dim 1 of the input). @default {1} */
  numParameters?: number;
  /** The slopes' initial value. @default {0.25} */
  init?: number;
}

/**
 * PReLU: `x` for x > 0, `weight·x` otherwise, with `weight` learned: one slope, or one per channel
 * (dim 1 of the input). The parameter is `weight` (`[numParameters]`, all `init`), as in PyTorch.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const m = new nn.PReLU();
 * assert.deepEqual(await m.forward(tensor([-4, 4])).toArray(), [-1, 4]);
 * assert.deepEqual(Object.keys(m.stateDict()), ["weight"]);
 * ```
 */
export class PReLU extends Module {
  readonly numParameters: number;
  /** `[numParameters]` slopes. */
  weight: Tensor;

  constructor(numParameters?: number | PReLUOptions, init?: number) {
    super();
    const options = typeof numParameters === "object" && numParameters !== null ? numParameters : {};
    const n = typeof numParameters === "number" ? numParameters : options.numParameters ?? 1;
    const value = typeof numParameters === "object" ? options.init ?? 0.25 : init ?? 0.25;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`PReLU: numParameters must be a positive integer (1 or the channel count), got ${n}`);
    }
    this.numParameters = n;
    this.weight = this.param(full([n], value));
  }

  override forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
}
