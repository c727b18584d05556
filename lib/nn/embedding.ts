/** `nn.Embedding`. @module */
import { mergeArgs, refuseOption } from "../tensor/_args.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { tensor, zeros } from "../tensor/ops_creation.ts";
import { embedding } from "../tensor/ops_index.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { noGrad } from "../tensor/tape.ts";
import { Module } from "./module.ts";
import { normal_ } from "./init.ts";

/** Options of `nn.Embedding`. */
export interface EmbeddingOptions {
  /** Row whose vector starts at zero and receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** torch's renormalisation bound: not supported (throws unless null). */
  maxNorm?: number | null;
  /** p of the maxNorm renormalisation (only the default 2). */
  normType?: number;
  /** Scale gradients by inverse word frequency: not supported (throws when true). */
  scaleGradByFreq?: boolean;
  /** Sparse gradients: not supported (throws when true). */
  sparse?: boolean;
}

/**
 * A lookup table: `out[...] = weight[ids[...]]`. The weight `[numEmbeddings, embeddingDim]`
 * starts as N(0, 1) with the `paddingIdx` row zeroed, as PyTorch.
 *
 * Shapes: ids int32 of any shape `[*]`, output `[*, embeddingDim]`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const emb = new nn.Embedding(10, 3, { paddingIdx: 0 });
 * const y = emb.forward(tensor([[0, 2], [4, 9]]));
 * assert.deepEqual(y.shape, [2, 2, 3]);
 * assert.deepEqual(await y.slice(0, 0).toArray(), [0, 0, 0]);
 * ```
 */
export class Embedding extends Module {
  /** `[numEmbeddings, embeddingDim]`. */
  weight: Tensor;
  /** The padding row (normalised to be non-negative), or null. */
  readonly paddingIdx: number | null;

  /**
   * `(numEmbeddings, embeddingDim, paddingIdx?)` as torch, or with an options object. torch's
   * `maxNorm`, `scaleGradByFreq` and `sparse` are refused (they throw) unless left at their defaults.
   */
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    ...args:
      | [options?: EmbeddingOptions]
      | [
        paddingIdx?: number | null,
        maxNorm?: number | null,
        normType?: number,
        scaleGradByFreq?: boolean,
        sparse?: boolean,
      ]
  ) {
    super();
    const options = mergeArgs<EmbeddingOptions & Record<string, unknown>>(
      "Embedding",
      ["paddingIdx", "maxNorm", "normType", "scaleGradByFreq", "sparse"],
      args,
    );
    refuseOption("Embedding", "maxNorm", options.maxNorm ?? undefined, undefined, "renormalise the weight yourself");
    refuseOption("Embedding", "normType", options.normType, 2, "it only applies with maxNorm");
    refuseOption("Embedding", "scaleGradByFreq", options.scaleGradByFreq, false, "gradients are not rescaled");
    refuseOption("Embedding", "sparse", options.sparse, false, "gradients are dense");
    for (const [name, v] of [["numEmbeddings", numEmbeddings], ["embeddingDim", embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Embedding: ${name} must be a positive integer, got ${v}`);
      }
    }
    const p = options.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx ${p} must be within num_embeddings ${numEmbeddings}`);
    }
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = this.param(zeros([numEmbeddings, embeddingDim]));
    this.resetParameters();
  }

  /** Re-draws the weight from N(0, 1) and zeroes the padding row. */
  resetParameters(): void {
    normal_(this.weight);
    const p = this.paddingIdx;
    if (p === null) return;
    noGrad(() => {
      const [rows] = this.weight.shape;
      const host = new Uint8Array(rows);
      host[p] = 1;
      const flat = tensor(host, { dtype: "bool", device: this.weight.device });
      const isPad = flat.reshape([rows, 1]);
      const masked = where(isPad, 0, this.weight);
      this.weight.assignStorage(masked);
      for (const t of [flat, isPad, masked]) t.dispose();
    });
  }

  override forward(ids: Tensor): Tensor {
    const out = embedding(ids, this.weight);
    if (this.paddingIdx === null || !out.requiresGrad) return out;
    // same values, but no gradient reaches the padding row
    const isPad = ids.eq(this.paddingIdx).unsqueeze(-1);
    return where(isPad, out.detach(), out);
  }
}
