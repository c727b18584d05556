/** `BertConfig`: the sizes and hyperparameters of a BERT encoder, as Hugging Face's `BertConfig`. @module */
import { permissionError } from "../_permission.ts";

/** The feed-forward activation: `gelu` (erf form), `gelu_new` (tanh approximation) or `relu`. */
export type BertActivation = "gelu" | "gelu_new" | "relu";

/** The fields of {@link BertConfig}, all optional when constructing one. */
export interface BertConfigOptions {
  /** Size of the word-piece vocabulary (default 30522). */
  vocabSize?: number;
  /** Width of the hidden states (default 768). */
  hiddenSize?: number;
  /** Number of encoder layers (default 12). */
  numHiddenLayers?: number;
  /** Attention heads per layer; must divide `hiddenSize` (default 12). */
  numAttentionHeads?: number;
  /** Width of the feed-forward layer (default 3072). */
  intermediateSize?: number;
  /** Feed-forward activation (default "gelu", the erf form). */
  hiddenAct?: BertActivation;
  /** Dropout after embeddings and every dense output (default 0.1). */
  hiddenDropoutProb?: number;
  /** Dropout on the attention probabilities (default 0.1). */
  attentionProbsDropoutProb?: number;
  /** Longest sequence the position table covers (default 512). */
  maxPositionEmbeddings?: number;
  /** Number of segment (token type) ids (default 2). */
  typeVocabSize?: number;
  /** LayerNorm epsilon (default 1e-12). */
  layerNormEps?: number;
  /** Standard deviation of the normal initialisation of weights (default 0.02). */
  initializerRange?: number;
  /** Id of `[PAD]`: its word-embedding row starts at zero and gets no gradient (default 0). */
  padTokenId?: number;
  /** Outputs of the sequence-classification head (default 2). */
  numLabels?: number;
}

const ACTIVATIONS: readonly BertActivation[] = ["gelu", "gelu_new", "relu"];

/** HF `config.json` key → field, for the fields denograd reads. */
const JSON_KEYS: Record<string, keyof BertConfigOptions> = {
  vocab_size: "vocabSize",
  hidden_size: "hiddenSize",
  num_hidden_layers: "numHiddenLayers",
  num_attention_heads: "numAttentionHeads",
  intermediate_size: "intermediateSize",
  hidden_act: "hiddenAct",
  hidden_dropout_prob: "hiddenDropoutProb",
  attention_probs_dropout_prob: "attentionProbsDropoutProb",
  max_position_embeddings: "maxPositionEmbeddings",
  type_vocab_size: "typeVocabSize",
  layer_norm_eps: "layerNormEps",
  initializer_range: "initializerRange",
  pad_token_id: "padTokenId",
  num_labels: "numLabels",
};

/**
 * The configuration of a BERT encoder, with Hugging Face's fields and defaults (those of
 * bert-base-uncased). Build one directly, or from a checkpoint's `config.json` with
 * {@link BertConfig.fromJSON} / {@link BertConfig.fromFile}.
 *
 * Checks on construction: sizes are positive integers, `numAttentionHeads` divides
 * `hiddenSize`, dropouts are in [0, 1], `hiddenAct` is supported; a violation is a
 * `RangeError` naming the field and the value.
 *
 * @example
 * ```ts
 * import { BertConfig } from "denograd";
 * import assert from "node:assert/strict";
 * const c = new BertConfig({ hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512 });
 * assert.equal(c.vocabSize, 30522);
 * assert.equal(BertConfig.fromJSON({ hidden_size: 64, num_attention_heads: 4 }).hiddenSize, 64);
 * ```
 */
export class BertConfig {
  /** Size of the word-piece vocabulary. */
  readonly vocabSize: number;
  /** Width of the hidden states. */
  readonly hiddenSize: number;
  /** Number of encoder layers. */
  readonly numHiddenLayers: number;
  /** Attention heads per layer; must divide `hiddenSize`. */
  readonly numAttentionHeads: number;
  /** Width of the feed-forward layer. */
  readonly intermediateSize: number;
  /** Feed-forward activation. */
  readonly hiddenAct: BertActivation;
  /** Dropout after embeddings and every dense output. */
  readonly hiddenDropoutProb: number;
  /** Dropout on the attention probabilities. */
  readonly attentionProbsDropoutProb: number;
  /** Longest sequence the position table covers. */
  readonly maxPositionEmbeddings: number;
  /** Number of segment (token type) ids. */
  readonly typeVocabSize: number;
  /** LayerNorm epsilon. */
  readonly layerNormEps: number;
  /** Standard deviation of the normal initialisation of weights. */
  readonly initializerRange: number;
  /** Id of `[PAD]`: its word-embedding row starts at zero and gets no gradient. */
  readonly padTokenId: number;
  /** Outputs of the sequence-classification head. */
  readonly numLabels: number;

  /** A configuration with HF's `bert-base-uncased` defaults for every option not given. */
  constructor(options: BertConfigOptions = {}) {
    this.vocabSize = options.vocabSize ?? 30522;
    this.hiddenSize = options.hiddenSize ?? 768;
    this.numHiddenLayers = options.numHiddenLayers ?? 12;
    this.numAttentionHeads = options.numAttentionHeads ?? 12;
    this.intermediateSize = options.intermediateSize ?? 3072;
    this.hiddenAct = options.hiddenAct ?? "gelu";
    this.hiddenDropoutProb = options.hiddenDropoutProb ?? 0.1;
    this.attentionProbsDropoutProb = options.attentionProbsDropoutProb ?? 0.1;
    this.maxPositionEmbeddings = options.maxPositionEmbeddings ?? 512;
    this.typeVocabSize = options.typeVocabSize ?? 2;
    this.layerNormEps = options.layerNormEps ?? 1e-12;
    this.initializerRange = options.initializerRange ?? 0.02;
    this.padTokenId = options.padTokenId ?? 0;
    this.numLabels = options.numLabels ?? 2;
    this.#validate();
  }

  #validate(): void {
    const positive = [
      "vocabSize",
      "hiddenSize",
      "numHiddenLayers",
      "numAttentionHeads",
      "intermediateSize",
      "maxPositionEmbeddings",
      "typeVocabSize",
      "numLabels",
    ] as const;
    for (const k of positive) {
      if (!Number.isInteger(this[k]) || this[k] < 1) {
        throw new RangeError(`BertConfig: ${k} must be a positive integer, got ${this[k]}`);
      }
    }
    if (this.hiddenSize % this.numAttentionHeads !== 0) {
      throw new RangeError(
        `BertConfig: hiddenSize ${this.hiddenSize} is not a multiple of numAttentionHeads ${this.numAttentionHeads}`,
      );
    }
    for (const k of ["hiddenDropoutProb", "attentionProbsDropoutProb"] as const) {
      if (!(this[k] >= 0 && this[k] <= 1)) throw new RangeError(`BertConfig: ${k} must be in [0, 1], got ${this[k]}`);
    }
    if (!ACTIVATIONS.includes(this.hiddenAct)) {
      throw new RangeError(`BertConfig: hiddenAct must be one of ${ACTIVATIONS.join(", ")}, got "${this.hiddenAct}"`);
    }
    if (!(this.layerNormEps > 0)) {
      throw new RangeError(`BertConfig: layerNormEps must be > 0, got ${this.layerNormEps}`);
    }
    if (!(this.initializerRange >= 0)) {
      throw new RangeError(`BertConfig: initializerRange must be >= 0, got ${this.initializerRange}`);
    }
    if (!Number.isInteger(this.padTokenId) || this.padTokenId < 0 || this.padTokenId >= this.vocabSize) {
      throw new RangeError(`BertConfig: padTokenId must be an id in [0, ${this.vocabSize}), got ${this.padTokenId}`);
    }
  }

  /**
   * Reads a parsed Hugging Face `config.json` (snake_case keys); missing keys take the
   * defaults and unknown keys are ignored. `numLabels` comes from `num_labels`, else from the
   * size of `id2label`. `source` names the file in errors.
   */
  static fromJSON(json: unknown, source = "config.json"): BertConfig {
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new TypeError(`BertConfig: ${source} must hold a JSON object, got ${JSON.stringify(json)}`);
    }
    const obj = json as Record<string, unknown>;
    const options: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(JSON_KEYS)) {
      const v = obj[key];
      if (v === undefined || v === null) continue;
      const want = field === "hiddenAct" ? "string" : "number";
      if ((want === "string" && typeof v !== "string") || (want === "number" && typeof v !== "number")) {
        throw new TypeError(`BertConfig: ${source}: "${key}" must be a ${want}, got ${JSON.stringify(v)}`);
      }
      options[field] = v;
    }
    if (options.numLabels === undefined && obj.id2label && typeof obj.id2label === "object") {
      options.numLabels = Object.keys(obj.id2label).length;
    }
    const kind = obj.position_embedding_type;
    if (kind !== undefined && kind !== "absolute") {
      throw new RangeError(
        `BertConfig: ${source}: position_embedding_type "${kind}" is not supported (only "absolute")`,
      );
    }
    try {
      return new BertConfig(options as BertConfigOptions);
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${e.message} (in ${source})`);
      throw e;
    }
  }

  /** Reads and parses a `config.json` file (needs `--allow-read`). */
  static async fromFile(path: string | URL): Promise<BertConfig> {
    const shown = path instanceof URL ? decodeURIComponent(path.pathname) : path;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new Error(`BertConfig: ${shown} does not exist`);
      throw permissionError("BertConfig.fromFile", "read", path, e) ?? e;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`BertConfig: ${shown} is not valid JSON (${(e as Error).message})`);
    }
    return BertConfig.fromJSON(json, shown);
  }

  /** The Hugging Face `config.json` object for this configuration (snake_case keys). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { model_type: "bert", position_embedding_type: "absolute" };
    for (const [key, field] of Object.entries(JSON_KEYS)) out[key] = this[field];
    return out;
  }
}
