/**
 * A BERT encoder (Devlin et al. 2018) laid out as Hugging Face's `BertModel` and
 * `BertForSequenceClassification`: the fields are named so that `stateDict()` keys equal the
 * keys of HF checkpoints (`bert.encoder.layer.0.attention.self.query.weight`, …), which is what
 * lets `loadPretrained` read them. Sizes come from a {@link BertConfig}.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { arange } from "../tensor/ops_creation.ts";
import { noGrad } from "../tensor/tape.ts";
import { isFloat } from "../tensor/dtype.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/linear.ts";
import { LayerNorm } from "../nn/normalization.ts";
import { Dropout } from "../nn/dropout.ts";
import { Embedding } from "../nn/embedding.ts";
import { normal_, zeros_ } from "../nn/init.ts";
import { crossEntropy } from "../losses/cross_entropy.ts";
import { mseLoss } from "../losses/regression.ts";
import { binaryCrossEntropyWithLogits } from "../losses/bce_with_logits.ts";
import { BertConfig, type BertConfigOptions } from "./bert_config.ts";

/** Largest finite value per float dtype: the additive mask is `(mask − 1) · max`, HF's `(1 − mask) · finfo.min`. */
const FLOAT_MAX: Record<string, number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

function toConfig(config: BertConfig | BertConfigOptions): BertConfig {
  return config instanceof BertConfig ? config : new BertConfig(config);
}

/** HF's `_init_weights`: Linear/Embedding weights N(0, range²), biases 0, padding row 0 (LayerNorm stays 1/0). */
function initWeights(module: Module, range: number): void {
  noGrad(() => {
    for (const m of module.modules()) {
      if (m instanceof Linear) {
        normal_(m.weight, { std: range });
        if (m.bias) zeros_(m.bias);
      } else if (m instanceof Embedding) {
        m.resetParameters(); // N(0, 1) with the padding row zeroed
        const scaled = m.weight.mul(range);
        m.weight.assignStorage(scaled);
        scaled.dispose();
      }
    }
  });
}

/** Word + position + token-type embeddings, then LayerNorm and dropout. */
class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(readonly config: BertConfig) {
    super();
    const c = config;
    this.word_embeddings = new Embedding(c.vocabSize, c.hiddenSize, { paddingIdx: c.padTokenId });
    this.position_embeddings = new Embedding(c.maxPositionEmbeddings, c.hiddenSize);
    this.token_type_embeddings = new Embedding(c.typeVocabSize, c.hiddenSize);
    this.LayerNorm = new LayerNorm(c.hiddenSize, { eps: c.layerNormEps });
    this.dropout = new Dropout(c.hiddenDropoutProb);
  }

  override forward(inputIds: Tensor, tokenTypeIds: Tensor | null): Tensor {
    const L = inputIds.shape[1];
    if (L > this.config.maxPositionEmbeddings) {
      throw new RangeError(
        `BertModel: sequence length ${L} exceeds maxPositionEmbeddings ${this.config.maxPositionEmbeddings}`,
      );
    }
    const words = this.word_embeddings.forward(inputIds);
    // no token types: every position is segment 0, i.e. row 0 of the table broadcast
    const types = tokenTypeIds
      ? this.token_type_embeddings.forward(tokenTypeIds)
      : this.token_type_embeddings.weight.narrow(0, 0, 1);
    const positions = this.position_embeddings.forward(arange(0, L, 1, { device: inputIds.device }));
    return this.dropout.forward(this.LayerNorm.forward(words.add(types).add(positions)));
  }
}

/** Multi-head scaled dot-product self-attention with separate query/key/value projections. */
class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;
  readonly numHeads: number;

  constructor(c: BertConfig) {
    super();
    this.query = new Linear(c.hiddenSize, c.hiddenSize);
    this.key = new Linear(c.hiddenSize, c.hiddenSize);
    this.value = new Linear(c.hiddenSize, c.hiddenSize);
    this.dropout = new Dropout(c.attentionProbsDropoutProb);
    this.numHeads = c.numAttentionHeads;
  }

  /** `x` `[N, L, E]`, `mask` the additive `[N, 1, 1, L]` (or null); returns `[N, L, E]`. */
  override forward(x: Tensor, mask: Tensor | null): Tensor {
    const [N, L, E] = x.shape, H = this.numHeads, D = E / H;
    const heads = (t: Tensor) => t.reshape([N, L, H, D]).permute([0, 2, 1, 3]);
    const q = heads(this.query.forward(x)), k = heads(this.key.forward(x)), v = heads(this.value.forward(x));
    let scores = q.matmul(k.permute([0, 1, 3, 2])).mul(1 / Math.sqrt(D)); // [N, H, L, L]
    if (mask) scores = scores.add(mask);
    const probs = this.dropout.forward(scores.softmax(-1));
    return probs.matmul(v).permute([0, 2, 1, 3]).reshape([N, L, E]);
  }
}

/** Dense + dropout + residual + LayerNorm (HF's `BertSelfOutput` and `BertOutput`). */
class BertResidualOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(inFeatures: number, c: BertConfig) {
    super();
    this.dense = new Linear(inFeatures, c.hiddenSize);
    this.LayerNorm = new LayerNorm(c.hiddenSize, { eps: c.layerNormEps });
    this.dropout = new Dropout(c.hiddenDropoutProb);
  }

  override forward(h: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(this.dropout.forward(this.dense.forward(h)).add(residual));
  }
}

/** Self-attention followed by its output projection and residual LayerNorm. */
class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertResidualOutput;

  constructor(c: BertConfig) {
    super();
    this.self = new BertSelfAttention(c);
    this.output = new BertResidualOutput(c.hiddenSize, c);
  }

  override forward(x: Tensor, mask: Tensor | null): Tensor {
    return this.output.forward(this.self.forward(x, mask), x);
  }
}

/** The feed-forward expansion: dense then the configured activation. */
class BertIntermediate extends Module {
  dense: Linear;

  constructor(readonly config: BertConfig) {
    super();
    this.dense = new Linear(config.hiddenSize, config.intermediateSize);
  }

  override forward(x: Tensor): Tensor {
    const h = this.dense.forward(x);
    const act = this.config.hiddenAct;
    return act === "relu" ? h.relu() : h.gelu({ approximate: act === "gelu_new" ? "tanh" : "none" });
  }
}

/** One encoder layer: attention block then feed-forward block, each with residual + LayerNorm. */
class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertResidualOutput;

  constructor(c: BertConfig) {
    super();
    this.attention = new BertAttention(c);
    this.intermediate = new BertIntermediate(c);
    this.output = new BertResidualOutput(c.intermediateSize, c);
  }

  override forward(x: Tensor, mask: Tensor | null): Tensor {
    const a = this.attention.forward(x, mask);
    return this.output.forward(this.intermediate.forward(a), a);
  }
}

/** The stack of encoder layers (`encoder.layer.<i>`). */
class BertEncoder extends Module {
  layer: BertLayer[];

  constructor(c: BertConfig) {
    super();
    this.layer = Array.from({ length: c.numHiddenLayers }, () => new BertLayer(c));
  }

  override forward(x: Tensor, mask: Tensor | null): Tensor {
    for (const layer of this.layer) x = layer.forward(x, mask);
    return x;
  }
}

/** tanh(dense(hidden state of the first token, `[CLS]`)). */
class BertPooler extends Module {
  dense: Linear;

  constructor(c: BertConfig) {
    super();
    this.dense = new Linear(c.hiddenSize, c.hiddenSize);
  }

  override forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

/** Inputs besides the token ids, for {@link BertModel} and {@link BertForSequenceClassification}. */
export interface BertInputs {
  /** `[N, L]`: 1 (or true) for real tokens, 0 for padding; bool, int32 or float (default all ones). */
  attentionMask?: Tensor | null;
  /** `[N, L]` int32 segment ids in `[0, typeVocabSize)` (default all zeros). */
  tokenTypeIds?: Tensor | null;
}

/** What {@link BertModel.forward} returns. */
export interface BertOutput {
  /** `[N, L, hiddenSize]`: the last encoder layer's output. */
  lastHiddenState: Tensor;
  /** `[N, hiddenSize]`: `tanh(W·h[CLS] + b)`. */
  poolerOutput: Tensor;
}

/**
 * The BERT encoder (HF `BertModel`):
 *
 * - embeddings: `LayerNorm(word[ids] + position[0..L) + tokenType[types])`, then dropout;
 * - each of `numHiddenLayers` layers: `a = LayerNorm(x + dropout(Wₒ·MHA(x)))` with
 *   `MHA = softmax(Q Kᵀ / √d + m) V` per head, where the additive mask is
 *   `m = (1 − attentionMask) · finfo.min` (padding keys get no weight), then
 *   `LayerNorm(a + dropout(W₂·act(W₁·a)))` with `act` = GELU (erf form) by default;
 * - pooler: `tanh(W_p·h[:, 0] + b_p)`.
 *
 * Weights start as HF's: Linear and Embedding weights N(0, initializerRange²), biases zero,
 * LayerNorm ones/zeros, the `padTokenId` row of the word embeddings zero (and it gets no
 * gradient). Dropout is active in training mode (`train()`/`eval()`).
 *
 * Shapes: `inputIds` int32 `[N, L]` with `L ≤ maxPositionEmbeddings`; outputs
 * `lastHiddenState` `[N, L, hiddenSize]` and `poolerOutput` `[N, hiddenSize]`. Ids outside the
 * vocabulary (or token types outside `typeVocabSize`) fail as an out-of-range `embedding`
 * index (on webgpu when a result is next read).
 *
 * @example
 * ```ts
 * import { BertModel, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const bert = new BertModel({ vocabSize: 100, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
 *   intermediateSize: 16, maxPositionEmbeddings: 16 }).eval();
 * const { lastHiddenState, poolerOutput } = bert.forward(tensor([[1, 5, 7, 0]]), {
 *   attentionMask: tensor([[1, 1, 1, 0]]),
 * });
 * assert.deepEqual(lastHiddenState.shape, [1, 4, 8]);
 * assert.deepEqual(poolerOutput.shape, [1, 8]);
 * assert.ok(Object.keys(bert.stateDict()).includes("encoder.layer.0.attention.self.query.weight"));
 * ```
 */
export class BertModel extends Module {
  /**
   * Word, position and token-type embeddings, summed, then LayerNorm and dropout (`embeddings.*`).
   * @internal its submodules follow Hugging Face's names; reach parameters through `stateDict()`
   */
  embeddings: BertEmbeddings;
  /**
   * The stack of `numHiddenLayers` transformer layers (`encoder.layer.<i>.*`).
   * @internal its submodules follow Hugging Face's names; reach parameters through `stateDict()`
   */
  encoder: BertEncoder;
  /**
   * `tanh(W · h[CLS] + b)`, the pooled output (`pooler.dense.*`).
   * @internal its submodules follow Hugging Face's names; reach parameters through `stateDict()`
   */
  pooler: BertPooler;
  /** The configuration the model was built with. */
  readonly config: BertConfig;

  /** A randomly initialised model (HF's normal init with `initializerRange`); see `loadPretrained` for weights. */
  constructor(config: BertConfig | BertConfigOptions = {}) {
    super();
    const c = this.config = toConfig(config);
    this.embeddings = new BertEmbeddings(c);
    this.encoder = new BertEncoder(c);
    this.pooler = new BertPooler(c);
    initWeights(this, c.initializerRange);
  }

  /** Hidden states and pooled output of int32 token ids `[N, L]` (see {@link BertInputs}). */
  override forward(inputIds: Tensor, inputs: BertInputs = {}): BertOutput {
    if (inputIds.dtype !== "int32" || inputIds.ndim !== 2) {
      throw new TypeError(`BertModel: inputIds must be int32 [N, L], got ${inputIds.dtype} [${inputIds.shape}]`);
    }
    const [N, L] = inputIds.shape;
    for (const [name, t] of [["attentionMask", inputs.attentionMask], ["tokenTypeIds", inputs.tokenTypeIds]] as const) {
      if (!t) continue;
      if (t.shape.join() !== inputIds.shape.join()) {
        throw new RangeError(`BertModel: ${name} has shape [${t.shape}] but inputIds has [${inputIds.shape}]`);
      }
      if (t.device !== inputIds.device) {
        throw new TypeError(`BertModel: ${name} is on ${t.device} but inputIds is on ${inputIds.device}`);
      }
    }
    if (inputs.tokenTypeIds && inputs.tokenTypeIds.dtype !== "int32") {
      throw new TypeError(`BertModel: tokenTypeIds must be int32, got ${inputs.tokenTypeIds.dtype}`);
    }
    const x = this.embeddings.forward(inputIds, inputs.tokenTypeIds ?? null);
    let mask: Tensor | null = null;
    if (inputs.attentionMask) {
      const m = inputs.attentionMask;
      if (m.dtype !== "bool" && m.dtype !== "int32" && !isFloat(m.dtype)) {
        throw new TypeError(`BertModel: attentionMask must be bool, int32 or float, got ${m.dtype}`);
      }
      mask = m.cast(x.dtype).sub(1).mul(FLOAT_MAX[x.dtype]).reshape([N, 1, 1, L]);
    }
    const lastHiddenState = this.encoder.forward(x, mask);
    return { lastHiddenState, poolerOutput: this.pooler.forward(lastHiddenState) };
  }
}

/** Inputs of {@link BertForSequenceClassification.forward}. */
export interface BertClassificationInputs extends BertInputs {
  /**
   * Targets for the loss: int32 class ids `[N]` (cross entropy), float `[N]` or `[N, 1]` when
   * `numLabels` is 1 (mean squared error), or float `[N, numLabels]` multi-label targets
   * (binary cross entropy with logits), as HF picks its `problem_type`.
   */
  labels?: Tensor | null;
}

/** What {@link BertForSequenceClassification.forward} returns. */
export interface BertClassificationOutput extends BertOutput {
  /** `[N, numLabels]`. */
  logits: Tensor;
  /** The mean loss over the batch when `labels` were given, else null. */
  loss: Tensor | null;
}

/**
 * BERT with a classification head (HF `BertForSequenceClassification`):
 * `logits = W_c · dropout(poolerOutput) + b_c`, and with `labels` the mean loss: cross
 * entropy for int32 class ids, MSE when `numLabels` is 1, binary cross entropy with logits for
 * float multi-label targets `[N, numLabels]`.
 *
 * Parameters are `bert.*` (a {@link BertModel}) and `classifier.weight`/`classifier.bias`
 * `[numLabels, hiddenSize]`/`[numLabels]`.
 *
 * @example
 * ```ts
 * import { BertForSequenceClassification, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const model = new BertForSequenceClassification({ vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1,
 *   numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 8, numLabels: 3 });
 * const { logits, loss } = model.forward(tensor([[2, 9, 4], [2, 7, 0]]), {
 *   attentionMask: tensor([[1, 1, 1], [1, 1, 0]]),
 *   labels: tensor([0, 2]),
 * });
 * assert.deepEqual(logits.shape, [2, 3]);
 * assert.ok(Number.isFinite(await loss!.item()));
 * ```
 */
export class BertForSequenceClassification extends Module {
  /** The encoder (`bert.*`). */
  bert: BertModel;
  /** Dropout on the pooled output (`hiddenDropoutProb`). */
  dropout: Dropout;
  /** The head, `[numLabels, hiddenSize]` (`classifier.*`). */
  classifier: Linear;
  /** The configuration the model was built with. */
  readonly config: BertConfig;

  /** A randomly initialised model; see `loadPretrained` for weights. */
  constructor(config: BertConfig | BertConfigOptions = {}) {
    super();
    const c = this.config = toConfig(config);
    this.bert = new BertModel(c);
    this.dropout = new Dropout(c.hiddenDropoutProb);
    this.classifier = new Linear(c.hiddenSize, c.numLabels);
    initWeights(this.classifier, c.initializerRange);
  }

  /** Logits `[N, numLabels]` of int32 token ids `[N, L]`, and the loss when `labels` are given. */
  override forward(inputIds: Tensor, inputs: BertClassificationInputs = {}): BertClassificationOutput {
    const out = this.bert.forward(inputIds, inputs);
    const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput));
    const labels = inputs.labels ?? null;
    return { ...out, logits, loss: labels ? this.#loss(logits, labels) : null };
  }

  #loss(logits: Tensor, labels: Tensor): Tensor {
    const n = this.config.numLabels;
    if (n === 1) return mseLoss(logits.reshape([logits.shape[0]]), labels.reshape([labels.size]).cast(logits.dtype));
    if (labels.dtype === "int32") return crossEntropy(logits, labels);
    if (isFloat(labels.dtype) && labels.shape.join() === logits.shape.join()) {
      return binaryCrossEntropyWithLogits(logits, labels);
    }
    throw new TypeError(
      `BertForSequenceClassification: labels must be int32 class ids [N] or float multi-label targets ` +
        `[${logits.shape}], got ${labels.dtype} [${labels.shape}]`,
    );
  }
}
