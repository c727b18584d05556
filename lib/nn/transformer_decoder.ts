/**
 * `nn.TransformerDecoderLayer`, `nn.TransformerDecoder` and `nn.Transformer` (the full
 * encoder-decoder model), with PyTorch 1.13's submodule names, masks and layouts.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { tensor } from "../tensor/ops_creation.ts";
import { gelu, relu } from "../tensor/ops_elementwise.ts";
import { Module } from "./module.ts";
import { MultiheadAttention } from "./attention.ts";
import { DropoutLayer, type FactoryOptions, LayerNormParams, LinearParams } from "./_attention_parts.ts";
import { TransformerEncoder, TransformerEncoderLayer, type TransformerEncoderLayerOptions } from "./transformer.ts";
import { xavierUniform_ } from "./init.ts";

/** Constructor options of {@link TransformerDecoderLayer} (as those of the encoder layer). */
export interface TransformerDecoderLayerOptions extends FactoryOptions {
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
  /** Pre-norm instead of post-norm (default false). */
  normFirst?: boolean;
}

/** Options of the decoders' `forward` (PyTorch's keyword arguments). */
export interface TransformerDecoderForwardOptions {
  /** `[T, T]` or `[N·nhead, T, T]` mask of the self-attention (bool: true = masked; float: added). */
  tgtMask?: Tensor | null;
  /** `[T, S]` or `[N·nhead, T, S]` mask of the attention over the memory. */
  memoryMask?: Tensor | null;
  /** `[N, T]` padding mask of the target (bool: true = padding; float: added). */
  tgtKeyPaddingMask?: Tensor | null;
  /** `[N, S]` padding mask of the memory. */
  memoryKeyPaddingMask?: Tensor | null;
}

function activationOf(layer: string, act: TransformerDecoderLayerOptions["activation"]): (x: Tensor) => Tensor {
  const a = act ?? "relu";
  if (a === "relu") return relu;
  if (a === "gelu") return (x) => gelu(x);
  if (typeof a === "function") return a;
  throw new RangeError(`${layer}: activation must be "relu", "gelu" or a function, got ${a}`);
}

/**
 * One transformer decoder layer (torch.nn.TransformerDecoderLayer): self-attention over the target,
 * attention over the encoder's output (`memory`), then a feed-forward block.
 *
 * Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + MHA(x, memory)); x = norm3(x + FF(x)).
 * Pre-norm (`normFirst`): x = x + SA(norm1(x)); x = x + MHA(norm2(x), memory); x = x + FF(norm3(x)).
 * SA = dropout1 ∘ self_attn, MHA = dropout2 ∘ multihead_attn, FF(x) = dropout3(linear2(dropout(act(linear1(x))))).
 *
 * Submodules as torch's: `self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`, `norm1`,
 * `norm2`, `norm3`, `dropout1`, `dropout2`, `dropout3`.
 *
 * Args: `dModel`, `nhead`, options `dimFeedforward` (2048), `dropout` (0.1), `activation` ("relu"),
 * `layerNormEps` (1e-5), `batchFirst` (false), `normFirst` (false), `device`, `dtype`.
 *
 * Shapes: tgt `[T, N, E]`, memory `[S, N, E]` (`[N, T, E]`, `[N, S, E]` with batchFirst); output like tgt.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const layer = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
 * const mask = nn.Transformer.generateSquareSubsequentMask(4);
 * assert.deepEqual(layer.forward(randn([4, 2, 8]), randn([6, 2, 8]), { tgtMask: mask }).shape, [4, 2, 8]);
 * ```
 */
export class TransformerDecoderLayer extends Module {
  /** Self-attention over the target. */
  self_attn: MultiheadAttention;
  /** Attention from the target to the memory. */
  multihead_attn: MultiheadAttention;
  /** First feed-forward projection. */
  linear1: LinearParams;
  /** Dropout after the activation. */
  dropout: DropoutLayer;
  /** Second feed-forward projection. */
  linear2: LinearParams;
  /** LayerNorm around the self-attention block. */
  norm1: LayerNormParams;
  /** LayerNorm around the memory attention block. */
  norm2: LayerNormParams;
  /** LayerNorm around the feed-forward block. */
  norm3: LayerNormParams;
  /** Dropout on the self-attention output. */
  dropout1: DropoutLayer;
  /** Dropout on the memory attention output. */
  dropout2: DropoutLayer;
  /** Dropout on the feed-forward output. */
  dropout3: DropoutLayer;
  /** Pre-norm when true. */
  readonly normFirst: boolean;
  /** The feed-forward activation. */
  readonly activation: (x: Tensor) => Tensor;
  readonly #args: [number, number, TransformerDecoderLayerOptions];

  constructor(dModel: number, nhead: number, options: TransformerDecoderLayerOptions = {}) {
    super();
    const factory = { device: options.device, dtype: options.dtype };
    const ff = options.dimFeedforward ?? 2048, p = options.dropout ?? 0.1, eps = options.layerNormEps ?? 1e-5;
    this.activation = activationOf("TransformerDecoderLayer", options.activation);
    const mha = { ...factory, dropout: p, batchFirst: options.batchFirst };
    this.self_attn = new MultiheadAttention(dModel, nhead, mha);
    this.multihead_attn = new MultiheadAttention(dModel, nhead, mha);
    this.linear1 = new LinearParams(dModel, ff, true, factory);
    this.dropout = new DropoutLayer(p);
    this.linear2 = new LinearParams(ff, dModel, true, factory);
    this.norm1 = new LayerNormParams(dModel, eps, factory);
    this.norm2 = new LayerNormParams(dModel, eps, factory);
    this.norm3 = new LayerNormParams(dModel, eps, factory);
    this.dropout1 = new DropoutLayer(p);
    this.dropout2 = new DropoutLayer(p);
    this.dropout3 = new DropoutLayer(p);
    this.normFirst = options.normFirst ?? false;
    this.#args = [dModel, nhead, { ...options }];
  }

  /** Runs the layer on `tgt` attending to `memory`; the output has tgt's shape. */
  override forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.#selfAttention(this.norm1.forward(x), options));
      x = x.add(this.#memoryAttention(this.norm2.forward(x), memory, options));
      return x.add(this.#feedForward(this.norm3.forward(x)));
    }
    x = this.norm1.forward(x.add(this.#selfAttention(x, options)));
    x = this.norm2.forward(x.add(this.#memoryAttention(x, memory, options)));
    return this.norm3.forward(x.add(this.#feedForward(x)));
  }

  #selfAttention(x: Tensor, o: TransformerDecoderForwardOptions): Tensor {
    const { output } = this.self_attn.forward(x, x, x, {
      attnMask: o.tgtMask,
      keyPaddingMask: o.tgtKeyPaddingMask,
      needWeights: false,
    });
    return this.dropout1.forward(output);
  }

  #memoryAttention(x: Tensor, memory: Tensor, o: TransformerDecoderForwardOptions): Tensor {
    const { output } = this.multihead_attn.forward(x, memory, memory, {
      attnMask: o.memoryMask,
      keyPaddingMask: o.memoryKeyPaddingMask,
      needWeights: false,
    });
    return this.dropout2.forward(output);
  }

  #feedForward(x: Tensor): Tensor {
    const h = this.dropout.forward(this.activation(this.linear1.forward(x)));
    return this.dropout3.forward(this.linear2.forward(h));
  }

  /** A deep copy: same options, copies of every parameter, same training mode. */
  clone(): TransformerDecoderLayer {
    const copy = new TransformerDecoderLayer(...this.#args);
    copy.loadStateDict(this.stateDict());
    return copy.train(this.training);
  }
}

/**
 * A stack of `numLayers` copies of `decoderLayer` (torch.nn.TransformerDecoder), then an optional
 * final `norm`; every layer attends to the same `memory`. Copies start with `decoderLayer`'s
 * weights and are named `layers.0`, `layers.1`, ….
 *
 * Shapes: as {@link TransformerDecoderLayer}.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const decoder = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 2);
 * assert.deepEqual(decoder.forward(randn([3, 2, 8]), randn([5, 2, 8])).shape, [3, 2, 8]);
 * ```
 */
export class TransformerDecoder extends Module {
  /** The stacked layers. */
  layers: TransformerDecoderLayer[];
  /** Final normalisation, or null. */
  norm: Module | null;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) {
      throw new RangeError(`TransformerDecoder: numLayers must be a positive integer, got ${numLayers}`);
    }
    if (!(decoderLayer instanceof Module) || typeof decoderLayer.clone !== "function") {
      throw new TypeError("TransformerDecoder: decoderLayer must be a Module with a clone() method");
    }
    this.layers = Array.from({ length: numLayers }, () => decoderLayer.clone());
    this.norm = options.norm ?? null;
  }

  /** Runs `tgt` through every layer (each attending to `memory`), then the final norm. */
  override forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.norm ? this.norm.forward(x) as Tensor : x;
  }
}

/** Constructor options of {@link Transformer}. */
export interface TransformerOptions extends TransformerDecoderLayerOptions {
  /** Width of the model (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Use this encoder instead of building one. */
  customEncoder?: Module | null;
  /** Use this decoder instead of building one. */
  customDecoder?: Module | null;
}

/** Options of {@link Transformer.forward}. */
export interface TransformerForwardOptions extends TransformerDecoderForwardOptions {
  /** `[S, S]` mask of the encoder's self-attention. */
  srcMask?: Tensor | null;
  /** `[N, S]` padding mask of the source. */
  srcKeyPaddingMask?: Tensor | null;
}

// TransformerEncoderLayer refuses option keys it does not know: pass it only its own.
function encoderLayerOptions(o: TransformerOptions): TransformerEncoderLayerOptions {
  const { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, device, dtype } = o;
  return { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, device, dtype };
}

/**
 * The encoder-decoder transformer of "Attention Is All You Need" (torch.nn.Transformer):
 * memory = encoder(src), output = decoder(tgt, memory). The encoder is a `TransformerEncoder` of
 * `numEncoderLayers` layers with a final LayerNorm (`encoder.norm`), the decoder likewise; every
 * weight with more than one dim is then re-drawn with `xavier_uniform_`, as torch does.
 *
 * Args: `dModel` (512), `nhead` (8), `numEncoderLayers` (6), `numDecoderLayers` (6), then the layer
 * options; positional as torch's first four, or all in an options object.
 *
 * Shapes: src `[S, N, E]`, tgt `[T, N, E]` (`[N, S, E]`, `[N, T, E]` with batchFirst); output like tgt.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const model = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
 * const tgtMask = nn.Transformer.generateSquareSubsequentMask(3);
 * assert.deepEqual(model.forward(randn([5, 2, 8]), randn([3, 2, 8]), { tgtMask }).shape, [3, 2, 8]);
 * ```
 */
export class Transformer extends Module {
  /** The encoder stack. */
  encoder: Module;
  /** The decoder stack. */
  decoder: Module;
  /** Model width. */
  readonly dModel: number;
  /** Attention heads. */
  readonly nhead: number;
  /** Whether inputs are `[N, L, E]`. */
  readonly batchFirst: boolean;

  constructor(
    dModelOrOptions: number | TransformerOptions = {},
    nhead?: number,
    numEncoderLayers?: number,
    numDecoderLayers?: number,
    options: TransformerOptions = {},
  ) {
    super();
    const o: TransformerOptions = typeof dModelOrOptions === "number"
      ? { ...options, dModel: dModelOrOptions, nhead: nhead ?? options.nhead }
      : { ...dModelOrOptions };
    if (typeof dModelOrOptions === "number") {
      if (numEncoderLayers !== undefined) o.numEncoderLayers = numEncoderLayers;
      if (numDecoderLayers !== undefined) o.numDecoderLayers = numDecoderLayers;
    }
    const d = o.dModel ?? 512, h = o.nhead ?? 8, eps = o.layerNormEps ?? 1e-5;
    const factory = { device: o.device, dtype: o.dtype };
    const layerOptions = { ...o };
    this.encoder = o.customEncoder ??
      new TransformerEncoder(new TransformerEncoderLayer(d, h, encoderLayerOptions(o)), o.numEncoderLayers ?? 6, {
        norm: new LayerNormParams(d, eps, factory),
      });
    this.decoder = o.customDecoder ??
      new TransformerDecoder(new TransformerDecoderLayer(d, h, layerOptions), o.numDecoderLayers ?? 6, {
        norm: new LayerNormParams(d, eps, factory),
      });
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
    this.dModel = d;
    this.nhead = h;
    this.batchFirst = o.batchFirst ?? false;
  }

  /** Encodes `src` and decodes `tgt` against it. */
  override forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const batchDim = this.batchFirst ? 0 : 1;
    if (src.ndim === 3 && tgt.ndim === 3 && src.shape[batchDim] !== tgt.shape[batchDim]) {
      throw new RangeError(
        `Transformer: src [${src.shape}] and tgt [${tgt.shape}] must have the same batch size (dim ${batchDim})`,
      );
    }
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new RangeError(
        `Transformer: src [${src.shape}] and tgt [${tgt.shape}] must have dModel = ${this.dModel} features`,
      );
    }
    const memory = this.encoder.forward(src, {
      mask: options.srcMask,
      srcKeyPaddingMask: options.srcKeyPaddingMask,
    }) as Tensor;
    return this.decoder.forward(tgt, memory, {
      tgtMask: options.tgtMask,
      memoryMask: options.memoryMask,
      tgtKeyPaddingMask: options.tgtKeyPaddingMask,
      memoryKeyPaddingMask: options.memoryKeyPaddingMask,
    }) as Tensor;
  }

  /**
   * The `[sz, sz]` causal mask (torch's `generate_square_subsequent_mask`): 0 on and below the
   * diagonal, −∞ above it, so position i attends to positions ≤ i.
   */
  static generateSquareSubsequentMask(sz: number, options: FactoryOptions = {}): Tensor {
    if (!Number.isInteger(sz) || sz < 1) {
      throw new RangeError(`Transformer.generateSquareSubsequentMask: sz must be a positive integer, got ${sz}`);
    }
    const values = Array.from({ length: sz }, (_, i) => Array.from({ length: sz }, (_, j) => j > i ? -Infinity : 0));
    return tensor(values, options);
  }
}
