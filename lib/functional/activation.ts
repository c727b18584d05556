/**
 * `F` functions: the activations of `torch.nn.functional` beyond relu, gelu, sigmoid, tanh,
 * softplus and leakyRelu (which `F` takes from lib/tensor/ops_elementwise.ts). Each is its
 * op-table entry (lib/ops/activation_extra.ts) or a composition (softmin, glu); PyTorch's names
 * in camelCase, its positional arguments or an options object.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import * as X from "../tensor/ops_math_extra.ts";

/**
 * SiLU (swish): `x·σ(x)` (`F.silu`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.silu(tensor([0])).toArray(), [0]);
 * ```
 */
export function silu(x: Tensor): Tensor {
  return X.unary("silu", x);
}

/**
 * ELU: `x` for x > 0, `alpha·(eˣ − 1)` otherwise (`F.elu`, default alpha 1).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const [neg, pos] = await F.elu(tensor([-1, 2]), { alpha: 2 }).toArray() as number[];
 * assert.equal(pos, 2);
 * assert.ok(Math.abs(neg - 2 * Math.expm1(-1)) < 1e-6);
 * ```
 */
export function elu(x: Tensor, alpha?: number | { alpha?: number }): Tensor {
  return X.elu(x, alpha);
}

/**
 * SELU: `scale·ELU(x, α)` with α = 1.6732632423543772 and scale = 1.0507009873554805 (`F.selu`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.equal(((await F.selu(tensor([1])).toArray()) as number[])[0], Math.fround(1.0507009873554805));
 * ```
 */
export function selu(x: Tensor): Tensor {
  return X.unary("selu", x);
}

/**
 * CELU: `x` for x > 0, `alpha·(e^(x/alpha) − 1)` otherwise (`F.celu`, default alpha 1; alpha ≠ 0).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.celu(tensor([3]), 2).toArray(), [3]);
 * ```
 */
export function celu(x: Tensor, alpha?: number | { alpha?: number }): Tensor {
  return X.celu(x, alpha);
}

/**
 * Mish: `x·tanh(softplus(x))` (`F.mish`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.mish(tensor([0])).toArray(), [0]);
 * ```
 */
export function mish(x: Tensor): Tensor {
  return X.unary("mish", x);
}

/**
 * Hardswish: `x·min(max(x + 3, 0), 6)/6` (`F.hardswish`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.hardswish(tensor([-4, 4])).toArray(), [-0, 4]);
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  return X.unary("hardswish", x);
}

/**
 * Hardsigmoid: `min(max(x + 3, 0), 6)/6` (`F.hardsigmoid`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.hardsigmoid(tensor([-4, 0, 4])).toArray(), [0, 0.5, 1]);
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  return X.unary("hardsigmoid", x);
}

/**
 * ReLU6: `min(max(x, 0), 6)` (`F.relu6`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.relu6(tensor([-1, 3, 9])).toArray(), [0, 3, 6]);
 * ```
 */
export function relu6(x: Tensor): Tensor {
  return X.unary("relu6", x);
}

/**
 * Hardtanh: `x` limited to [minVal, maxVal] (`F.hardtanh`, default [−1, 1]); positional bounds
 * or `{ minVal, maxVal }`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.hardtanh(tensor([-3, 0.5, 3]), -2, 2).toArray(), [-2, 0.5, 2]);
 * ```
 */
export function hardtanh(x: Tensor, minVal?: number | { minVal?: number; maxVal?: number }, maxVal?: number): Tensor {
  return X.hardtanh(x, minVal, maxVal);
}

/**
 * `log σ(x)`, computed as `min(x, 0) − log(1 + e^−|x|)` so it neither overflows nor loses
 * precision for large |x| (`F.logsigmoid`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.logsigmoid(tensor([-200])).toArray(), [-200]);
 * ```
 */
export function logsigmoid(x: Tensor): Tensor {
  return X.unary("logsigmoid", x);
}

/**
 * Softsign: `x / (1 + |x|)` (`F.softsign`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.softsign(tensor([-3, 1])).toArray(), [-0.75, 0.5]);
 * ```
 */
export function softsign(x: Tensor): Tensor {
  return X.unary("softsign", x);
}

/**
 * Softmin along `dim`: `softmax(−x, dim)` (`F.softmin`); `dim` positional or `{ dim }`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.softmin(tensor([[1, 1]]), 1).toArray(), [[0.5, 0.5]]);
 * ```
 */
export function softmin(x: Tensor, dim: number | { dim?: number }): Tensor {
  return X.softmin(x, dim);
}

/**
 * GLU: splits `x` in halves `a`, `b` along `dim` (default −1, its size even) and returns `a·σ(b)`
 * (`F.glu`).
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * assert.deepEqual(await F.glu(tensor([[4, 0]])).toArray(), [[2]]);
 * ```
 */
export function glu(x: Tensor, dim?: number | { dim?: number }): Tensor {
  return X.glu(x, dim);
}

/**
 * PReLU: `x` for x > 0, `weight·x` otherwise (`F.prelu`). `weight` holds a single value or one per
 * channel (dim 1 of `x`); it takes a gradient like `x`.
 *
 * @example
 * ```ts
 * import { F, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const y = F.prelu(tensor([[-2, -2], [2, 2]]).reshape([2, 2]), tensor([0.5, 0.25]));
 * assert.deepEqual(await y.toArray(), [[-1, -0.5], [2, 2]]);
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  return X.prelu(x, weight);
}
