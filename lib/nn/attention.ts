/**
 * `nn.MultiheadAttention`: scaled dot-product attention over `numHeads` learned projections,
 * with PyTorch's parameter names, initialisation, masks and layouts.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { arange, zeros } from "../tensor/ops_creation.ts";
import { linear } from "../tensor/ops_linalg.ts";
import { dropout } from "../tensor/ops_nn.ts";
import { isFloat } from "../tensor/dtype.ts";
import { mergeArgs, refuseOption } from "../tensor/_args.ts";
import { Module } from "./module.ts";
import { type FactoryOptions, LinearParams, xavierUniform } from "./_attention_parts.ts";

/** Constructor options of {@link MultiheadAttention}. */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** Learn biases for the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and output are `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** Feature size of `key` (default embedDim). */
  kdim?: number;
  /** Feature size of `value` (default embedDim). */
  vdim?: number;
}

/** Options of {@link MultiheadAttention.forward}. */
export interface MultiheadAttentionForwardOptions {
  /** `[N, S]` (or `[S]` unbatched): bool, true = ignore that key; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** `[L, S]` or `[N·numHeads, L, S]`: bool, true = not allowed to attend; or float, added to the scores. */
  attnMask?: Tensor | null;
  /** Also return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over heads (default true), else one map per head. */
  averageAttnWeights?: boolean;
  /** Apply a causal mask (position i attends to keys j ≤ i) when no `attnMask` is given. */
  isCausal?: boolean;
}

/**
 * Multi-head attention (torch.nn.MultiheadAttention):
 *
 * MultiHead(Q, K, V) = Concat(head₁, …, head_h) W_Oᵀ + b_O,
 * headᵢ = softmax(Qᵢ Kᵢᵀ / √d + M) Vᵢ with Qᵢ = Q W_Qᵢᵀ + b_Qᵢ (likewise K, V), d = embedDim / numHeads,
 * and M the additive mask (−∞ where a bool mask is true).
 *
 * Parameters, as in PyTorch's state dict: `in_proj_weight` `[3E, E]` (xavier uniform) — or
 * `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]`, `v_proj_weight` `[E, vdim]` when kdim or
 * vdim differ from E — `in_proj_bias` `[3E]` (zeros), `out_proj.weight` `[E, E]`
 * (kaiming uniform, a = √5) and `out_proj.bias` `[E]` (zeros).
 *
 * Args: `embedDim` E, `numHeads` (must divide E), options `dropout` (0), `bias` (true),
 * `batchFirst` (false), `kdim`, `vdim` (E), `device`, `dtype`.
 *
 * Shapes: query `[L, N, E]` (`[N, L, E]` with batchFirst, `[L, E]` unbatched), key `[S, N, kdim]`,
 * value `[S, N, vdim]`; output like query; weights `[N, L, S]` (averaged) or `[N, numHeads, L, S]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
 * const x = randn([3, 5, 8]);
 * const { output, weights } = mha.forward(x, x, x);
 * assert.deepEqual(output.shape, [3, 5, 8]);
 * assert.deepEqual(weights!.shape, [3, 5, 5]);
 * ```
 */
export class MultiheadAttention extends Module {
  /** `[3E, E]` packed query/key/value projection, or null when kdim/vdim differ from E. */
  in_proj_weight: Tensor | null = null;
  /** `[E, E]` query projection when kdim/vdim differ from E. */
  q_proj_weight: Tensor | null = null;
  /** `[E, kdim]` key projection when kdim/vdim differ from E. */
  k_proj_weight: Tensor | null = null;
  /** `[E, vdim]` value projection when kdim/vdim differ from E. */
  v_proj_weight: Tensor | null = null;
  /** `[3E]` packed projection bias, or null without bias. */
  in_proj_bias: Tensor | null = null;
  /** Output projection with `weight` `[E, E]` and `bias` `[E]`. */
  out_proj: LinearParams;
  /** Head count. */
  readonly numHeads: number;
  /** Model width E. */
  readonly embedDim: number;
  /** Feature size of keys. */
  readonly kdim: number;
  /** Feature size of values. */
  readonly vdim: number;
  /** Dropout probability on the attention weights. */
  readonly dropout: number;
  /** Whether inputs are `[N, L, E]`. */
  readonly batchFirst: boolean;

  /**
   * `(embedDim, numHeads, dropout?, bias?, addBiasKv?, addZeroAttn?, kdim?, vdim?, batchFirst?)`
   * as torch, or with an options object; `addBiasKv` and `addZeroAttn` are refused when true.
   */
  constructor(
    embedDim: number,
    numHeads: number,
    ...args:
      | [options?: MultiheadAttentionOptions]
      | [
        dropout?: number,
        bias?: boolean,
        addBiasKv?: boolean,
        addZeroAttn?: boolean,
        kdim?: number | null,
        vdim?: number | null,
        batchFirst?: boolean,
      ]
  ) {
    super();
    const options = mergeArgs<MultiheadAttentionOptions & { addBiasKv?: boolean; addZeroAttn?: boolean }>(
      "MultiheadAttention",
      ["dropout", "bias", "addBiasKv", "addZeroAttn", "kdim", "vdim", "batchFirst"],
      args,
      ["device", "dtype"],
    );
    refuseOption("MultiheadAttention", "addBiasKv", options.addBiasKv, false, "no learned key/value bias rows");
    refuseOption("MultiheadAttention", "addZeroAttn", options.addZeroAttn, false, "no zero attention row");
    if (!Number.isInteger(embedDim) || !Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new RangeError(
        `MultiheadAttention: embedDim ${embedDim} must be a positive integer divisible by numHeads ${numHeads}`,
      );
    }
    const p = options.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`MultiheadAttention: dropout must be in [0, 1], got ${p}`);
    const factory = { device: options.device, dtype: options.dtype };
    const kdim = options.kdim ?? embedDim, vdim = options.vdim ?? embedDim;
    if (kdim === embedDim && vdim === embedDim) {
      this.in_proj_weight = this.param(xavierUniform([3 * embedDim, embedDim], factory));
    } else {
      this.q_proj_weight = this.param(xavierUniform([embedDim, embedDim], factory));
      this.k_proj_weight = this.param(xavierUniform([embedDim, kdim], factory));
      this.v_proj_weight = this.param(xavierUniform([embedDim, vdim], factory));
    }
    const bias = options.bias ?? true;
    if (bias) this.in_proj_bias = this.param(zeros([3 * embedDim], factory));
    this.out_proj = new LinearParams(embedDim, embedDim, bias, factory);
    if (bias) this.out_proj.bias = this.out_proj.param(zeros([embedDim], factory)); // torch zeroes it after init
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.kdim = kdim;
    this.vdim = vdim;
    this.dropout = p;
    this.batchFirst = options.batchFirst ?? false;
  }

  /**
   * Attends from `query` to `key`/`value`. Returns the output (layout like `query`) and, when
   * `needWeights` (default true), the attention weights (after dropout), else `weights: null`.
   */
  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    ...args:
      | [options?: MultiheadAttentionForwardOptions]
      | [
        keyPaddingMask?: Tensor | null,
        needWeights?: boolean,
        attnMask?: Tensor | null,
        averageAttnWeights?: boolean,
        isCausal?: boolean,
      ]
  ): { output: Tensor; weights: Tensor | null } {
    // torch's positional order after query, key, value
    const options = mergeArgs<MultiheadAttentionForwardOptions>(
      "MultiheadAttention.forward",
      ["keyPaddingMask", "needWeights", "attnMask", "averageAttnWeights", "isCausal"],
      args,
    );
    const E = this.embedDim, H = this.numHeads, D = E / H;
    const unbatched = query.ndim === 2;
    const want = unbatched ? 2 : 3;
    for (
      const [name, t, feat] of [["query", query, E], ["key", key, this.kdim], ["value", value, this.vdim]] as const
    ) {
      if (t.ndim !== want || t.shape[t.ndim - 1] !== feat) {
        throw new RangeError(
          `MultiheadAttention: ${name} has shape [${t.shape}] but expected ${want}-D input with ${feat} features ` +
            `(${unbatched ? "[L, E]" : this.batchFirst ? "[N, L, E]" : "[L, N, E]"} layout)`,
        );
      }
      if (!isFloat(t.dtype)) throw new TypeError(`MultiheadAttention: ${name} must be a float tensor, got ${t.dtype}`);
    }
    // work in [N, L, E]
    const toBatchFirst = (t: Tensor) => unbatched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1);
    const q0 = toBatchFirst(query), k0 = toBatchFirst(key), v0 = toBatchFirst(value);
    const [N, L] = q0.shape, S = k0.shape[1];
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S) {
      throw new RangeError(
        `MultiheadAttention: query [${query.shape}], key [${key.shape}] and value [${value.shape}] must share the ` +
          `batch size, and key and value the sequence length`,
      );
    }
    const [q, k, v] = this.#project(query, key, value, q0, k0, v0);
    const heads = (t: Tensor, len: number) => t.reshape([N, len, H, D]).permute([0, 2, 1, 3]);
    let scores = heads(q, L).mul(1 / Math.sqrt(D)).matmul(heads(k, S).permute([0, 1, 3, 2])); // [N, H, L, S]
    scores = this.#applyMasks(scores, options, N, L, S, unbatched);
    let attn = scores.softmax(-1);
    attn = dropout(attn, this.dropout, this.training);
    const merged = attn.matmul(heads(v, S)).permute([0, 2, 1, 3]).reshape([N, L, E]);
    const out = this.out_proj.forward(merged);
    const output = unbatched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
    if (options.needWeights === false) return { output, weights: null };
    const w = (options.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    return { output, weights: unbatched ? w.squeeze(0) : w };
  }

  /** The input projections, one packed matmul for self-attention. */
  #project(query: Tensor, key: Tensor, value: Tensor, q: Tensor, k: Tensor, v: Tensor): Tensor[] {
    const E = this.embedDim, b = this.in_proj_bias;
    const bias = (i: number) => b ? b.narrow(0, i * E, E) : null;
    if (this.in_proj_weight) {
      if (query === key && key === value) return linear(q, this.in_proj_weight, b).chunk(3, -1);
      const w = (i: number) => this.in_proj_weight!.narrow(0, i * E, E);
      return [linear(q, w(0), bias(0)), linear(k, w(1), bias(1)), linear(v, w(2), bias(2))];
    }
    return [
      linear(q, this.q_proj_weight!, bias(0)),
      linear(k, this.k_proj_weight!, bias(1)),
      linear(v, this.v_proj_weight!, bias(2)),
    ];
  }

  /** Adds float masks and sets −∞ where bool masks are true; `scores` is `[N, H, L, S]`. */
  #applyMasks(
    scores: Tensor,
    options: MultiheadAttentionForwardOptions,
    N: number,
    L: number,
    S: number,
    unbatched: boolean,
  ): Tensor {
    const H = this.numHeads;
    let attnMask = options.attnMask ?? null;
    if (!attnMask && options.isCausal) {
      // true above the diagonal: key j > query i is masked
      attnMask = arange(0, S, 1, { device: scores.device }).unsqueeze(0)
        .gt(arange(0, L, 1, { device: scores.device }).unsqueeze(1));
    }
    if (attnMask) {
      checkMask("attnMask", attnMask);
      let m: Tensor;
      if (attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S) m = attnMask;
      else if (attnMask.ndim === 3 && attnMask.shape.join() === [N * H, L, S].join()) {
        m = attnMask.reshape([N, H, L, S]);
      } else {
        throw new RangeError(
          `MultiheadAttention: attnMask has shape [${attnMask.shape}] but expected [L, S] = [${L}, ${S}] or ` +
            `[N·numHeads, L, S] = [${N * H}, ${L}, ${S}]`,
        );
      }
      scores = maskScores(scores, m);
    }
    const pad = options.keyPaddingMask ?? null;
    if (pad) {
      checkMask("keyPaddingMask", pad);
      const expected = unbatched ? [S] : [N, S];
      if (pad.shape.join() !== expected.join()) {
        throw new RangeError(
          `MultiheadAttention: keyPaddingMask has shape [${pad.shape}] but expected ` +
            `${unbatched ? "[S]" : "[N, S]"} = [${expected}]`,
        );
      }
      scores = maskScores(scores, pad.reshape([N, 1, 1, S]));
    }
    return scores;
  }
}

function checkMask(name: string, mask: Tensor): void {
  if (mask.dtype !== "bool" && !isFloat(mask.dtype)) {
    throw new TypeError(`MultiheadAttention: ${name} must be a bool or float tensor, got ${mask.dtype}`);
  }
}

/** Bool mask: −∞ where true; float mask: added. */
function maskScores(scores: Tensor, mask: Tensor): Tensor {
  if (mask.dtype === "bool") return scores.maskedFill(mask, -Infinity);
  return scores.add(mask.dtype === scores.dtype ? mask : mask.cast(scores.dtype));
}
