/** Normalization layers: `nn.BatchNorm1d`, `nn.BatchNorm2d`, `nn.LayerNorm`, and `batchNorm`. @module */
import { mergeArgs } from "../tensor/_args.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { ones, zeros } from "../tensor/ops_creation.ts";
import { layerNorm } from "../tensor/ops_nn.ts";
import { noGrad } from "../tensor/tape.ts";
import { Module } from "./module.ts";

/** Options of the functional `batchNorm`. */
export interface BatchNormOptions {
  /** Scale per channel `[C]` (none when omitted). */
  weight?: Tensor | null;
  /** Shift per channel `[C]` (none when omitted). */
  bias?: Tensor | null;
  /** Normalise with the batch statistics and update the running ones (default false). */
  training?: boolean;
  /** Weight of the new batch in the running averages (default 0.1); a tensor is allowed. */
  momentum?: number | Tensor;
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
}

// Replace `target`'s values by (1 − f)·target + f·stat (outside autograd).
function blend(target: Tensor, stat: Tensor, f: number | Tensor): void {
  noGrad(() => {
    const delta = stat.sub(target), step = delta.mul(f), next = target.add(step);
    target.assignStorage(next);
    for (const t of [delta, step, next]) t.dispose();
  });
}

/**
 * Batch normalization over the channel dim 1 of `[N, C, *]` (torch.nn.functional.batch_norm):
 * `y = (x − E[x]) / √(Var[x] + eps) · weight + bias`.
 *
 * In training the statistics are the batch's, per channel over every dim but 1, with the
 * biased variance; the running buffers (when given) are updated in place as
 * `running = (1 − momentum)·running + momentum·stat`, with the unbiased variance for
 * `runningVar`. Otherwise the running statistics normalise.
 *
 * @example
 * ```ts
 * import { F, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const y = F.batchNorm(randn([8, 3]), null, null, { training: true });
 * assert.ok(Math.abs(await y.mean().item()) < 1e-5);
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  ...args:
    | [options?: BatchNormOptions]
    | [
      weight?: Tensor | null,
      bias?: Tensor | null,
      training?: boolean,
      momentum?: number | Tensor,
      eps?: number,
      options?: BatchNormOptions,
    ]
): Tensor {
  // torch's positional order after the running statistics: weight, bias, training, momentum, eps
  const options = mergeArgs<BatchNormOptions>("batchNorm", ["weight", "bias", "training", "momentum", "eps"], args);
  const eps = options.eps ?? 1e-5, momentum = options.momentum ?? 0.1;
  const training = options.training ?? false;
  if (x.ndim < 2) throw new RangeError(`batchNorm: expected an input [N, C, *] with at least 2 dims, got [${x.shape}]`);
  const c = x.shape[1];
  for (
    const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", options.weight], [
      "bias",
      options.bias,
    ]] as const
  ) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new RangeError(`batchNorm: ${name} must have shape [${c}] for input [${x.shape}], got [${t.shape}]`);
    }
  }
  const axes = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const perChannel = [1, c, ...Array(x.ndim - 2).fill(1)];
  let y: Tensor;
  if (training || !runningMean || !runningVar) {
    const n = x.size / c;
    if (training && n <= 1) {
      throw new RangeError(`batchNorm: expected more than 1 value per channel when training, got input [${x.shape}]`);
    }
    const mu = x.mean(axes, { keepdim: true });
    const centered = x.sub(mu);
    const variance = centered.square().mean(axes, { keepdim: true });
    y = centered.mul(variance.add(eps).rsqrt());
    if (training) {
      if (runningMean) blend(runningMean, mu.detach().reshape([c]), momentum);
      if (runningVar) blend(runningVar, variance.detach().reshape([c]).mul(n / (n - 1)), momentum);
    }
  } else {
    y = x.sub(runningMean.reshape(perChannel)).mul(runningVar.reshape(perChannel).add(eps).rsqrt());
  }
  if (options.weight) y = y.mul(options.weight.reshape(perChannel));
  if (options.bias) y = y.add(options.bias.reshape(perChannel));
  return y;
}

/** Options of `nn.BatchNorm1d` and `nn.BatchNorm2d` (PyTorch's keyword arguments). */
export interface BatchNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running-average weight of each new batch (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn `weight` (ones) and `bias` (zeros) per channel (default true). */
  affine?: boolean;
  /** Keep `running_mean`, `running_var`, `num_batches_tracked` buffers (default true). */
  trackRunningStats?: boolean;
}

const NULL_MOMENTUM = Symbol("null momentum");

// The shared implementation of BatchNorm1d/2d (PyTorch's _BatchNorm). Field names are
// PyTorch's state_dict keys, hence snake_case.
abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor | null;
  running_var: Tensor | null;
  num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  /** `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)` as torch, or with an options object. */
  constructor(
    readonly numFeatures: number,
    ...args:
      | [options?: BatchNormLayerOptions]
      | [eps?: number, momentum?: number | null, affine?: boolean, trackRunningStats?: boolean]
  ) {
    super();
    const options = mergeArgs<BatchNormLayerOptions>(
      new.target.name,
      ["eps", "momentum", "affine", "trackRunningStats"],
      // a null momentum (cumulative average) is a value here, not a left-out argument
      args.map((a) => (a === null ? NULL_MOMENTUM : a)),
    );
    if ((options.momentum as unknown) === NULL_MOMENTUM) options.momentum = null;
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new RangeError(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true, track = options.trackRunningStats ?? true;
    this.weight = affine ? this.param(ones([numFeatures])) : null;
    this.bias = affine ? this.param(zeros([numFeatures])) : null;
    this.running_mean = track ? this.buffer(zeros([numFeatures])) : null;
    this.running_var = track ? this.buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = track ? this.buffer(zeros([], { dtype: "int32" })) : null;
  }

  /** Input ranks this layer accepts. */
  protected abstract readonly ranks: readonly number[];

  override forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim)) {
      const expected = this.ranks.map((r) => r === 2 ? "[N, C]" : r === 3 ? "[N, C, L]" : "[N, C, H, W]").join(" or ");
      throw new RangeError(`${this.constructor.name}: expected input ${expected}, got [${x.shape}]`);
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `${this.constructor.name}: input [${x.shape}] has ${x.shape[1]} channels, expected ${this.numFeatures}`,
      );
    }
    let momentum: number | Tensor = this.momentum ?? 0;
    let owned: Tensor | null = null;
    if (this.training && this.num_batches_tracked) {
      const nbt = this.num_batches_tracked;
      noGrad(() => {
        const next = nbt.add(1);
        nbt.assignStorage(next);
        next.dispose();
        // momentum null: cumulative moving average with factor 1 / num_batches_tracked
        if (this.momentum === null) momentum = owned = nbt.float().reciprocal();
      });
    }
    const y = batchNorm(x, this.running_mean, this.running_var, {
      weight: this.weight,
      bias: this.bias,
      training: this.training || !this.running_mean,
      momentum,
      eps: this.eps,
    });
    (owned as Tensor | null)?.dispose();
    return y;
  }
}

/**
 * Batch normalization of `[N, C]` or `[N, C, L]` inputs (see {@link batchNorm}); training
 * mode uses batch statistics and updates the running buffers, eval mode uses the buffers.
 * `weight` starts at ones, `bias` at zeros, `running_mean` zeros, `running_var` ones.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const bn = new nn.BatchNorm1d(4);
 * bn.forward(randn([8, 4]));
 * assert.equal(await bn.num_batches_tracked!.item(), 1);
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
}

/**
 * Batch normalization of `[N, C, H, W]` inputs (see {@link batchNorm}), statistics per
 * channel over N, H and W.
 *
 * @example
 * ```ts
 * import { nn } from "denograd";
 * import assert from "node:assert/strict";
 * const bn = new nn.BatchNorm2d(3, { momentum: 0.01 });
 * assert.deepEqual(Object.keys(bn.stateDict()),
 *   ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
 * ```
 */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
}

/** Options of `nn.LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) of `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims:
 * `y = (x − E[x]) / √(Var[x] + eps) · weight + bias` (biased variance).
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const ln = new nn.LayerNorm(16);
 * assert.deepEqual(ln.forward(randn([2, 5, 16])).shape, [2, 5, 16]);
 * ```
 */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  /** `(normalizedShape, eps?, elementwiseAffine?)` as torch, or with an options object. */
  constructor(
    normalizedShape: number | readonly number[],
    ...args: [options?: LayerNormOptions] | [eps?: number, elementwiseAffine?: boolean]
  ) {
    super();
    const options = mergeArgs<LayerNormOptions>("LayerNorm", ["eps", "elementwiseAffine"], args);
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`LayerNorm: normalizedShape must be positive integers, got [${this.normalizedShape}]`);
    }
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.param(ones(this.normalizedShape)) : null;
    this.bias = affine ? this.param(zeros(this.normalizedShape)) : null;
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
