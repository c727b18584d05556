/**
 * BERT's WordPiece tokenizer (Hugging Face `BertTokenizer`, Google's `tokenization.py`):
 * basic tokenization (see `_basic_tokenizer.ts`), then greedy longest-match-first WordPiece with
 * `##` continuation pieces, `[CLS]`/`[SEP]`, truncation, padding and attention masks.
 * @module
 */
import { basicTokenize, type BasicTokenizerOptions } from "./_basic_tokenizer.ts";
import { tensor } from "../tensor/ops_creation.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Device } from "../tensor/device.ts";
import { permissionError } from "../_permission.ts";

/** Options of `BertTokenizer` and `BertTokenizer.fromVocab`. */
export interface BertTokenizerOptions extends BasicTokenizerOptions {
  /** Default `maxLength` of `encode` / `encodeBatch` (default 512, BERT's position table). */
  maxLength?: number;
  /** Words longer than this many code points become `[UNK]` (default 100). */
  maxInputCharsPerWord?: number;
  /** Special tokens (defaults `[UNK]`, `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`). */
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
}

/** Options of `encode` and `encodeBatch`. */
export interface EncodeOptions {
  /** Add `[CLS] a [SEP]` / `[CLS] a [SEP] b [SEP]` (default true). */
  addSpecialTokens?: boolean;
  /** Length limit for truncation and `padding: "maxLength"` (default: the tokenizer's `maxLength`). */
  maxLength?: number;
  /** Cut to `maxLength`, longest sequence first for pairs (default true). */
  truncation?: boolean;
  /** `false`, `"maxLength"` or `"longest"` (default false for `encode`, "longest" for `encodeBatch`). */
  padding?: false | "maxLength" | "longest";
}

/** Options of `encodeBatch`: `EncodeOptions` plus the device of the returned tensors. */
export interface EncodeBatchOptions extends EncodeOptions {
  device?: Device;
}

/** The result of `encode`: parallel arrays of one length. */
export interface Encoding {
  inputIds: number[];
  /** 0 for the first sequence (with `[CLS]` and its `[SEP]`), 1 for the second. */
  tokenTypeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
}

/** The result of `encodeBatch`: int32 tensors of shape [B, L]. */
export interface BatchEncoding {
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
}

/** Options of `decode`. */
export interface DecodeOptions {
  /** Leave out `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]` (and `[UNK]`), default false. */
  skipSpecialTokens?: boolean;
  /** Remove the spaces before `.`, `,`, `?`, `!`, `'s`, `n't`, ... (default true, as BERT's config). */
  cleanUpTokenizationSpaces?: boolean;
}

const CACHE_LIMIT = 200_000;

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0xd800 || u > 0xdbff) n++;
  }
  return n;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Hugging Face's `clean_up_tokenization`. */
function cleanUp(text: string): string {
  return text.replaceAll(" .", ".").replaceAll(" ?", "?").replaceAll(" !", "!").replaceAll(" ,", ",")
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

/**
 * BERT's WordPiece tokenizer over a vocabulary (token id = line number, from 0).
 *
 * `tokenize(text)` runs the basic tokenizer (clean-up, CJK splitting, lower-casing with accent
 * stripping, punctuation splitting), then splits each word greedily into the longest vocabulary
 * prefix and `##`-prefixed continuations; a word with no split, or longer than
 * `maxInputCharsPerWord`, becomes `[UNK]`. Special tokens written in the text (`[SEP]`, ...) are
 * kept whole. Word → ids results are cached.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const tok = new data.BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able"]);
 * assert.deepEqual(tok.tokenize("Unaffable"), ["un", "##aff", "##able"]);
 * assert.deepEqual(tok.encode("unaffable").inputIds, [2, 4, 5, 6, 3]);
 * ```
 */
export class BertTokenizer {
  /** Token → id. */
  readonly vocab: ReadonlyMap<string, number>;
  /** Id → token. */
  readonly idsToTokens: readonly string[];
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  readonly padToken: string;
  readonly maskToken: string;
  readonly unkTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  /** -1 when the vocabulary has no pad token (padding then throws). */
  readonly padTokenId: number;
  /** -1 when the vocabulary has no mask token. */
  readonly maskTokenId: number;
  readonly maxLength: number;
  readonly maxInputCharsPerWord: number;
  readonly basicOptions: Readonly<BasicTokenizerOptions>;
  #vocab: Map<string, number>;
  #maxPieceChars: number;
  #cache = new Map<string, readonly number[]>();
  #specialIds: Set<number>;
  #specialSplit: RegExp;

  /**
   * @param tokens the vocabulary, token id = index (duplicates: the last index wins, as in HF).
   * @param options basic-tokenizer flags, `maxLength` (512), `maxInputCharsPerWord` (100), special tokens.
   * @param source where the tokens came from, for error messages.
   */
  constructor(tokens: readonly string[], options: BertTokenizerOptions = {}, source = "the vocabulary") {
    if (!Array.isArray(tokens) || tokens.length === 0) {
      throw new Error(`BertTokenizer: ${source} is empty; expected one WordPiece token a line`);
    }
    this.#vocab = new Map();
    let maxPiece = 1;
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new TypeError(`BertTokenizer: token ${i} of ${source} is not a string`);
      this.#vocab.set(t, i);
      const n = codePointLength(t);
      if (n > maxPiece) maxPiece = n;
    });
    this.vocab = this.#vocab;
    this.idsToTokens = [...tokens];
    this.#maxPieceChars = maxPiece;
    this.unkToken = options.unkToken ?? "[UNK]";
    this.clsToken = options.clsToken ?? "[CLS]";
    this.sepToken = options.sepToken ?? "[SEP]";
    this.padToken = options.padToken ?? "[PAD]";
    this.maskToken = options.maskToken ?? "[MASK]";
    const missing = [this.unkToken, this.clsToken, this.sepToken].filter((t) => !this.#vocab.has(t));
    if (missing.length > 0) {
      throw new Error(
        `BertTokenizer: ${source} (${tokens.length} lines) has no ${missing.join(", ")}; ` +
          "expected a BERT WordPiece vocabulary (one token a line, with [UNK], [CLS] and [SEP])",
      );
    }
    this.unkTokenId = this.#vocab.get(this.unkToken)!;
    this.clsTokenId = this.#vocab.get(this.clsToken)!;
    this.sepTokenId = this.#vocab.get(this.sepToken)!;
    this.padTokenId = this.#vocab.get(this.padToken) ?? -1;
    this.maskTokenId = this.#vocab.get(this.maskToken) ?? -1;
    this.maxLength = options.maxLength ?? 512;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 2) {
      throw new RangeError(`BertTokenizer: maxLength must be an integer >= 2, got ${this.maxLength}`);
    }
    this.basicOptions = {
      doLowerCase: options.doLowerCase ?? true,
      stripAccents: options.stripAccents,
      tokenizeChineseChars: options.tokenizeChineseChars ?? true,
    };
    const specials = [this.unkToken, this.clsToken, this.sepToken, this.padToken, this.maskToken]
      .filter((t) => this.#vocab.has(t));
    this.#specialIds = new Set(specials.map((t) => this.#vocab.get(t)!));
    this.#specialSplit = new RegExp(`(${specials.map(escapeRegExp).join("|")})`);
  }

  /**
   * Reads a `vocab.txt` (one token a line, id = line number) and builds the tokenizer.
   * Throws an Error naming the path when the file is missing, empty or has no `[UNK]`/`[CLS]`/`[SEP]`.
   *
   * @example
   * ```ts ignore
   * const tok = await data.BertTokenizer.fromVocab("bert-base-uncased/vocab.txt");
   * tok.tokenize("unaffable"); // ["un", "##aff", "##able"]
   * ```
   */
  static async fromVocab(path: string | URL, options: BertTokenizerOptions = {}): Promise<BertTokenizer> {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      const denied = permissionError("BertTokenizer.fromVocab", "read", path, e);
      if (denied) throw denied;
      const why = e instanceof Deno.errors.NotFound ? "not found" : `unreadable (${(e as Error).message})`;
      throw new Error(`BertTokenizer.fromVocab: vocab file ${path} ${why}`, { cause: e });
    }
    const lines = text.split("\n");
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    const tokens = lines.map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
    return new BertTokenizer(tokens, options, `vocab file ${path}`);
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.idsToTokens.length;
  }

  /** Greedy longest-match-first WordPiece ids of one basic token (cached). */
  #wordIds(word: string): readonly number[] {
    const hit = this.#cache.get(word);
    if (hit !== undefined) return hit;
    const ids = this.#wordPiece(word);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(word, ids);
    return ids;
  }

  #wordPiece(word: string): number[] {
    const special = this.#vocab.get(word);
    if (special !== undefined && this.#specialIds.has(special)) return [special];
    const chars = isAscii(word) ? null : Array.from(word);
    const n = chars ? chars.length : word.length;
    if (n > this.maxInputCharsPerWord) return [this.unkTokenId];
    const ids: number[] = [];
    for (let start = 0; start < n;) {
      let end = Math.min(n, start + this.#maxPieceChars);
      let found = -1;
      for (; end > start; end--) {
        const sub = chars ? chars.slice(start, end).join("") : word.slice(start, end);
        const id = this.#vocab.get(start > 0 ? "##" + sub : sub);
        if (id !== undefined) {
          found = id;
          break;
        }
      }
      if (found < 0) return [this.unkTokenId];
      ids.push(found);
      start = end;
    }
    return ids;
  }

  /** Basic tokens of `text`, special tokens written in it kept whole. */
  #words(text: string): string[] {
    if (typeof text !== "string") {
      throw new TypeError(`BertTokenizer: expected a string to tokenize, got ${typeof text}`);
    }
    if (!text.includes("[")) return basicTokenize(text, this.basicOptions);
    const out: string[] = [];
    for (const part of text.split(this.#specialSplit)) {
      if (this.#vocab.has(part) && this.#specialIds.has(this.#vocab.get(part)!)) out.push(part);
      else if (part !== "") basicTokenize(part, this.basicOptions, out);
    }
    return out;
  }

  /** Token ids of `text`, without special tokens. */
  tokenizeToIds(text: string): number[] {
    const out: number[] = [];
    for (const w of this.#words(text)) for (const id of this.#wordIds(w)) out.push(id);
    return out;
  }

  /** WordPiece tokens of `text` ("unaffable" → ["un", "##aff", "##able"]). */
  tokenize(text: string): string[] {
    return this.tokenizeToIds(text).map((id) => this.idsToTokens[id]);
  }

  /** Ids of tokens; tokens not in the vocabulary map to `[UNK]`'s id. */
  convertTokensToIds(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.#vocab.get(t) ?? this.unkTokenId);
  }

  /** Tokens of ids; throws a RangeError for an id outside [0, vocabSize). */
  convertIdsToTokens(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.idsToTokens.length) {
        throw new RangeError(`BertTokenizer: token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      return this.idsToTokens[id];
    });
  }

  /**
   * Encodes one text or a pair: `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, truncated to
   * `maxLength` (pairs: one token at a time from the longer sequence, the second on ties, as HF's
   * "longest_first"), padded with `[PAD]` when `padding: "maxLength"`.
   *
   * @returns `{ inputIds, tokenTypeIds, attentionMask }`, number arrays of one length.
   */
  encode(text: string, textPair?: string, options: EncodeOptions = {}): Encoding {
    const a = this.tokenizeToIds(text);
    const b = textPair === undefined ? undefined : this.tokenizeToIds(textPair);
    const maxLength = this.#maxLengthOf(options);
    const enc = this.#assemble(a, b, options, maxLength);
    if (options.padding === "maxLength") this.#pad(enc, maxLength);
    return enc;
  }

  #maxLengthOf(options: EncodeOptions): number {
    const m = options.maxLength ?? this.maxLength;
    if (!Number.isInteger(m) || m < 1) {
      throw new RangeError(`BertTokenizer.encode: maxLength must be a positive integer, got ${m}`);
    }
    return m;
  }

  #assemble(a: number[], b: number[] | undefined, options: EncodeOptions, maxLength: number): Encoding {
    const special = options.addSpecialTokens ?? true;
    if (options.truncation ?? true) {
      const nSpecial = special ? (b ? 3 : 2) : 0;
      const budget = maxLength - nSpecial;
      if (budget < 0) {
        throw new RangeError(
          `BertTokenizer.encode: maxLength ${maxLength} leaves no room for the ${nSpecial} special tokens`,
        );
      }
      let remove = a.length + (b?.length ?? 0) - budget;
      if (remove > 0) {
        if (!b) a.length -= Math.min(remove, a.length);
        else {
          // longest_first: equalize, then split the rest, the second sequence losing the odd one.
          const first = Math.min(Math.abs(a.length - b.length), remove);
          if (a.length > b.length) a.length -= first;
          else b.length -= first;
          remove -= first;
          a.length -= Math.floor(remove / 2);
          b.length -= remove - Math.floor(remove / 2);
        }
      }
    }
    const inputIds: number[] = [];
    const tokenTypeIds: number[] = [];
    if (special) inputIds.push(this.clsTokenId);
    for (const id of a) inputIds.push(id);
    if (special) inputIds.push(this.sepTokenId);
    for (let i = inputIds.length; i > 0; i--) tokenTypeIds.push(0);
    if (b) {
      for (const id of b) inputIds.push(id);
      if (special) inputIds.push(this.sepTokenId);
      for (let i = tokenTypeIds.length; i < inputIds.length; i++) tokenTypeIds.push(1);
    }
    return { inputIds, tokenTypeIds, attentionMask: inputIds.map(() => 1) };
  }

  #pad(enc: Encoding, length: number): void {
    if (enc.inputIds.length >= length) return;
    if (this.padTokenId < 0) {
      throw new Error(`BertTokenizer: cannot pad, the vocabulary has no ${this.padToken} token`);
    }
    while (enc.inputIds.length < length) {
      enc.inputIds.push(this.padTokenId);
      enc.tokenTypeIds.push(0);
      enc.attentionMask.push(0);
    }
  }

  /**
   * Encodes a batch of texts (or `[text, pair]` tuples) into int32 tensors of shape [B, L]:
   * `inputIds`, `tokenTypeIds`, `attentionMask`. `padding` defaults to "longest" (L = the longest
   * encoding); "maxLength" pads to `maxLength`; `false` requires equal lengths.
   *
   * @example
   * ```ts ignore
   * const { inputIds, attentionMask } = tok.encodeBatch(["a good film", "bad"], { maxLength: 256 });
   * inputIds.shape; // [2, 5]
   * ```
   */
  encodeBatch(texts: readonly (string | readonly [string, string])[], options: EncodeBatchOptions = {}): BatchEncoding {
    if (!Array.isArray(texts) || texts.length === 0) {
      throw new RangeError("BertTokenizer.encodeBatch: expected a non-empty array of texts");
    }
    const maxLength = this.#maxLengthOf(options);
    const encs = texts.map((t) => {
      const [a, b] = typeof t === "string" ? [t, undefined] : t;
      return this.#assemble(
        this.tokenizeToIds(a),
        b === undefined ? undefined : this.tokenizeToIds(b),
        options,
        maxLength,
      );
    });
    const padding = options.padding ?? "longest";
    let L = 0;
    for (const e of encs) L = Math.max(L, e.inputIds.length);
    if (padding === "maxLength") L = Math.max(L, maxLength);
    else if (padding === false && encs.some((e) => e.inputIds.length !== L)) {
      throw new RangeError(
        "BertTokenizer.encodeBatch: encodings have different lengths and padding is false; " +
          'use padding: "longest" or "maxLength"',
      );
    }
    const B = encs.length;
    const ids = new Int32Array(B * L), types = new Int32Array(B * L), mask = new Int32Array(B * L);
    if (this.padTokenId !== 0 && encs.some((e) => e.inputIds.length < L)) {
      if (this.padTokenId < 0) {
        throw new Error(`BertTokenizer: cannot pad, the vocabulary has no ${this.padToken} token`);
      }
      ids.fill(this.padTokenId);
    }
    encs.forEach((e, r) => {
      ids.set(e.inputIds, r * L);
      types.set(e.tokenTypeIds, r * L);
      mask.set(e.attentionMask, r * L);
    });
    const opts = { dtype: "int32" as const, device: options.device };
    return {
      inputIds: tensor(ids, opts).reshape([B, L]),
      tokenTypeIds: tensor(types, opts).reshape([B, L]),
      attentionMask: tensor(mask, opts).reshape([B, L]),
    };
  }

  /**
   * Text of token ids: tokens joined by spaces, `##` continuations glued to the previous piece
   * (" ##" removed), then HF's tokenization-space clean-up (" ." → ".", " n't" → "n't", ...).
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let tokens = this.convertIdsToTokens(ids);
    if (options.skipSpecialTokens) tokens = tokens.filter((_, i) => !this.#specialIds.has(ids[i]));
    const text = tokens.join(" ").replaceAll(" ##", "").trim();
    return (options.cleanUpTokenizationSpaces ?? true) ? cleanUp(text) : text;
  }
}
