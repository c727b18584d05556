/**
 * `nn.TransformerEncoderLayer` and `nn.TransformerEncoder`: self-attention plus a feed-forward
 * block with residual connections and layer norms, with PyTorch's submodule names.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { gelu, relu } from "../tensor/ops_elementwise.ts";
import { checkOptions, mergeArgs } from "../tensor/_args.ts";
import { Module } from "./module.ts";
import { MultiheadAttention } from "./attention.ts";
import { DropoutLayer, type FactoryOptions, LayerNormParams, LinearParams } from "./_attention_parts.ts";

/** Constructor options of {@link TransformerEncoderLayer}. */
export interface TransformerEncoderLayerOptions extends FactoryOptions {
  /** Hidden width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability (default 0.1). */
  dropout?: number;
  /** Feed-forward activation: "relu" (default), "gelu" or a function. */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor);
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Inputs are `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** Pre-norm (normalise before attention and feed-forward) instead of post-norm (default false). */
  normFirst?: boolean;
}

/** Options of {@link TransformerEncoderLayer.forward}. */
export interface TransformerEncoderLayerForwardOptions {
  /** `[L, L]` or `[N·nhead, L, L]` attention mask (bool: true = masked; float: added). */
  srcMask?: Tensor | null;
  /** `[N, L]` key padding mask (bool: true = padding; float: added). */
  srcKeyPaddingMask?: Tensor | null;
  /** Apply a causal mask when `srcMask` is not given. */
  isCausal?: boolean;
}

/**
 * One transformer encoder layer (torch.nn.TransformerEncoderLayer, "Attention Is All You Need").
 *
 * Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
 * Pre-norm (`normFirst`): x = x + SA(norm1(x)); x = x + FF(norm2(x)).
 * SA(x) = dropout1(self_attn(x, x, x)), FF(x) = dropout2(linear2(dropout(activation(linear1(x))))).
 *
 * Submodules, as torch names them: `self_attn`, `linear1` (dModel→dimFeedforward), `dropout`,
 * `linear2`, `norm1`, `norm2`, `dropout1`, `dropout2`; Linear layers initialised as `nn.Linear`
 * and LayerNorms as ones/zeros.
 *
 * Args: `dModel`, `nhead`, options `dimFeedforward` (2048), `dropout` (0.1), `activation`
 * ("relu"), `layerNormEps` (1e-5), `batchFirst` (false), `normFirst` (false), `device`, `dtype`.
 *
 * Shapes: src `[L, N, dModel]` (`[N, L, dModel]` with batchFirst); output the same.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
 * const y = layer.forward(randn([2, 5, 8]));
 * assert.deepEqual(y.shape, [2, 5, 8]);
 * ```
 */
export class TransformerEncoderLayer extends Module {
  /** Self-attention block. */
  self_attn: MultiheadAttention;
  /** First feed-forward projection `[dimFeedforward, dModel]`. */
  linear1: LinearParams;
  /** Dropout after the activation. */
  dropout: DropoutLayer;
  /** Second feed-forward projection `[dModel, dimFeedforward]`. */
  linear2: LinearParams;
  /** LayerNorm around the attention block. */
  norm1: LayerNormParams;
  /** LayerNorm around the feed-forward block. */
  norm2: LayerNormParams;
  /** Dropout on the attention output. */
  dropout1: DropoutLayer;
  /** Dropout on the feed-forward output. */
  dropout2: DropoutLayer;
  /** Pre-norm when true. */
  readonly normFirst: boolean;
  /** The feed-forward activation. */
  readonly activation: (x: Tensor) => Tensor;
  readonly #args: [number, number, TransformerEncoderLayerOptions];

  /**
   * `(dModel, nhead, dimFeedforward?, dropout?, activation?, layerNormEps?, batchFirst?, normFirst?)`
   * as torch, or with an options object.
   */
  constructor(
    dModel: number,
    nhead: number,
    ...args:
      | [options?: TransformerEncoderLayerOptions]
      | [
        dimFeedforward?: number,
        dropout?: number,
        activation?: TransformerEncoderLayerOptions["activation"],
        layerNormEps?: number,
        batchFirst?: boolean,
        normFirst?: boolean,
      ]
  ) {
    super();
    const options = mergeArgs<TransformerEncoderLayerOptions>(
      "TransformerEncoderLayer",
      ["dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst"],
      args,
      ["device", "dtype"],
    );
    const factory = { device: options.device, dtype: options.dtype };
    const ff = options.dimFeedforward ?? 2048, p = options.dropout ?? 0.1, eps = options.layerNormEps ?? 1e-5;
    const act = options.activation ?? "relu";
    if (act !== "relu" && act !== "gelu" && typeof act !== "function") {
      throw new RangeError(`TransformerEncoderLayer: activation must be "relu", "gelu" or a function, got ${act}`);
    }
    this.self_attn = new MultiheadAttention(dModel, nhead, { ...factory, dropout: p, batchFirst: options.batchFirst });
    this.linear1 = new LinearParams(dModel, ff, true, factory);
    this.dropout = new DropoutLayer(p);
    this.linear2 = new LinearParams(ff, dModel, true, factory);
    this.norm1 = new LayerNormParams(dModel, eps, factory);
    this.norm2 = new LayerNormParams(dModel, eps, factory);
    this.dropout1 = new DropoutLayer(p);
    this.dropout2 = new DropoutLayer(p);
    this.normFirst = options.normFirst ?? false;
    this.activation = act === "relu" ? relu : act === "gelu" ? (x) => gelu(x) : act;
    this.#args = [dModel, nhead, { ...options }];
  }

  /** Runs the layer on `src`; the output has src's shape. */
  override forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkOptions("TransformerEncoderLayer.forward", options, ["srcMask", "srcKeyPaddingMask", "isCausal"]);
    let x = src;
    if (this.normFirst) {
      x = x.add(this.#selfAttention(this.norm1.forward(x), options));
      return x.add(this.#feedForward(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(this.#selfAttention(x, options)));
    return this.norm2.forward(x.add(this.#feedForward(x)));
  }

  #selfAttention(x: Tensor, options: TransformerEncoderLayerForwardOptions): Tensor {
    const { output } = this.self_attn.forward(x, x, x, {
      attnMask: options.srcMask,
      keyPaddingMask: options.srcKeyPaddingMask,
      isCausal: options.isCausal,
      needWeights: false,
    });
    return this.dropout1.forward(output);
  }

  #feedForward(x: Tensor): Tensor {
    const h = this.dropout.forward(this.activation(this.linear1.forward(x)));
    return this.dropout2.forward(this.linear2.forward(h));
  }

  /** A deep copy: same options, copies of every parameter, same training mode. */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(...this.#args);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }
}

/** A module that {@link TransformerEncoder} can stack: it runs like an encoder layer and can copy itself. */
export interface EncoderLayerLike extends Module {
  forward(src: Tensor, options?: TransformerEncoderLayerForwardOptions): Tensor;
  clone(): EncoderLayerLike;
}

/** Options of {@link TransformerEncoder.forward}. */
export interface TransformerEncoderForwardOptions {
  /** Attention mask passed to every layer as `srcMask`. */
  mask?: Tensor | null;
  /** Key padding mask passed to every layer. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal masking in every layer when `mask` is not given. */
  isCausal?: boolean;
}

/**
 * A stack of `numLayers` copies of `encoderLayer` (torch.nn.TransformerEncoder), then an optional
 * final `norm`: y = norm(layer_{n−1}(… layer_0(src))). As in torch, every copy starts with the same
 * weights as `encoderLayer` (deep copies); they are named `layers.0`, `layers.1`, ….
 *
 * Args: `encoderLayer` (copied, not used directly), `numLayers`, options `norm` (a module such as
 * `nn.LayerNorm(dModel)`, default none).
 *
 * Shapes: src `[L, N, dModel]` (`[N, L, dModel]` if the layer is batchFirst); output the same.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
 * const encoder = new nn.TransformerEncoder(layer, 2);
 * assert.equal(encoder.layers.length, 2);
 * assert.deepEqual(encoder.forward(randn([5, 3, 8])).shape, [5, 3, 8]);
 * ```
 */
export class TransformerEncoder extends Module {
  /** The stacked layers. */
  layers: EncoderLayerLike[];
  /** Final normalisation, or null. */
  norm: Module | null;

  /** `(encoderLayer, numLayers, norm?)` as torch, or with `{ norm }`; torch's `enableNestedTensor` and `maskCheck` are accepted (they only affect speed and checks there). */
  constructor(
    encoderLayer: EncoderLayerLike,
    numLayers: number,
    ...args:
      | [options?: { norm?: Module | null; enableNestedTensor?: boolean; maskCheck?: boolean }]
      | [norm?: Module | null, enableNestedTensor?: boolean, maskCheck?: boolean]
  ) {
    super();
    const options = mergeArgs<{ norm?: Module | null }>(
      "TransformerEncoder",
      ["norm", "enableNestedTensor", "maskCheck"],
      args,
    );
    if (!Number.isInteger(numLayers) || numLayers < 1) {
      throw new RangeError(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    }
    if (!(encoderLayer instanceof Module) || typeof encoderLayer.clone !== "function") {
      throw new TypeError("TransformerEncoder: encoderLayer must be a Module with a clone() method");
    }
    this.layers = Array.from({ length: numLayers }, () => encoderLayer.clone());
    this.norm = options.norm ?? null;
  }

  /** Runs `src` through every layer, then the final norm. */
  override forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    checkOptions("TransformerEncoder.forward", options, ["mask", "srcKeyPaddingMask", "isCausal"]);
    let x = src;
    for (const layer of this.layers) {
      x = layer.forward(x, {
        srcMask: options.mask,
        srcKeyPaddingMask: options.srcKeyPaddingMask,
        isCausal: options.isCausal,
      });
    }
    return this.norm ? this.norm.forward(x) as Tensor : x;
  }
}
