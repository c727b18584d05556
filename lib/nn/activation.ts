/**
 * Activation layers: thin modules over the elementwise and softmax ops.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { gelu, leakyRelu, relu, sigmoid, softplus, tanh } from "../tensor/ops_elementwise.ts";
import { logSoftmax, softmax } from "../tensor/ops_reduce.ts";
import { Module } from "./module.ts";

/**
 * `max(x, 0)` elementwise.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.ReLU().forward(tensor([-1, 2])).toArray(), [0, 2]);
 * ```
 */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * `x · Φ(x)` (Φ the standard normal CDF), or with `{ approximate: "tanh" }`
 * `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const y = await new nn.GELU({ approximate: "tanh" }).forward(tensor([0])).toArray();
 * assert.deepEqual(y, [0]);
 * ```
 */
export class GELU extends Module {
  constructor(readonly options: { approximate?: "none" | "tanh" } = {}) {
    super();
    const a = options.approximate ?? "none";
    if (a !== "none" && a !== "tanh") {
      throw new RangeError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(a)}`);
    }
  }

  override forward(x: Tensor): Tensor {
    return gelu(x, this.options);
  }
}

/**
 * `1 / (1 + e^−x)` elementwise.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Sigmoid().forward(tensor([0])).toArray(), [0.5]);
 * ```
 */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * Hyperbolic tangent elementwise.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Tanh().forward(tensor([0])).toArray(), [0]);
 * ```
 */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * `x` for `x ≥ 0`, `negativeSlope · x` otherwise (default slope 0.01).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const y = await new nn.LeakyReLU({ negativeSlope: 0.5 }).forward(tensor([-2, 3])).toArray();
 * assert.deepEqual(y, [-1, 3]);
 * ```
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options: { negativeSlope?: number } = {}) {
    super();
    this.negativeSlope = options.negativeSlope ?? 0.01;
  }

  override forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/**
 * `log(1 + e^(β·x)) / β`, and `x` itself where `β·x > threshold` (defaults β = 1, threshold = 20).
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Softplus().forward(tensor([30])).toArray(), [30]);
 * ```
 */
export class Softplus extends Module {
  constructor(readonly options: { beta?: number; threshold?: number } = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return softplus(x, this.options);
  }
}

/**
 * `softmax(x)_i = e^(x_i) / Σ_j e^(x_j)` along `dim`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await new nn.Softmax(-1).forward(tensor([[1, 1]])).toArray(), [[0.5, 0.5]]);
 * ```
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`Softmax: dim must be an integer, got ${dim}`);
  }

  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/**
 * `log(softmax(x))` along `dim`, computed stably.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const y = await new nn.LogSoftmax(1).forward(tensor([[0, 0]])).toArray();
 * assert.deepEqual(y, [[-Math.LN2, -Math.LN2].map(Math.fround)]);
 * ```
 */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`LogSoftmax: dim must be an integer, got ${dim}`);
  }

  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}
