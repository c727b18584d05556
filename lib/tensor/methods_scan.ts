/**
 * scans, sorting and selection. Methods of {@link Tensor} defined on one layer of its class chain
 * (TensorCore → MathMethods → ScanMethods → ShapeMethods → IndexMethods → Tensor), so each family of
 * ops keeps its methods beside its concept; the operations themselves live in `ops_*.ts`
 * (ops_scan.ts, ops_sort.ts, ops_select.ts).
 * @module
 */
import { MathMethods } from "./methods_math.ts";
import type { Tensor } from "./tensor.ts";
import * as S from "./ops_scan.ts";
import * as O from "./ops_sort.ts";
import * as D from "./ops_select.ts";

export type { ScanOptions, ValuesAndIndices } from "./ops_scan.ts";
export type { SelectOptions, SortOptions, TopkOptions } from "./ops_sort.ts";
export type { NonzeroOptions, UniqueOptions, UniqueResult } from "./ops_select.ts";

/** Tensor methods: scans, sorting and selection. */
export class ScanMethods extends MathMethods {
  get #self(): Tensor {
    return this as unknown as Tensor;
  }

  // ---- scans ---------------------------------------------------------------------------------

  /**
   * Cumulative sum along `dim` (torch.cumsum): `y[j] = x[0] + … + x[j]`; bool and int32 give int32.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 2, 3]).cumsum(0).toArray(), [1, 3, 6]);
   * ```
   */
  cumsum(dim: number | S.ScanOptions): Tensor {
    return S.cumsum(this.#self, dim);
  }

  /**
   * Cumulative product along `dim` (torch.cumprod): `y[j] = x[0] · … · x[j]`; its gradient is
   * exact with zeros in the input.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 2, 3]).cumprod(0).toArray(), [1, 2, 6]);
   * ```
   */
  cumprod(dim: number | S.ScanOptions): Tensor {
    return S.cumprod(this.#self, dim);
  }

  /**
   * Running maximum along `dim` and its position (torch.cummax): ties give the latest position,
   * NaN propagates.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const { values, indices } = tensor([1, 3, 2, 3]).cummax(0);
   * assert.deepEqual(await values.toArray(), [1, 3, 3, 3]);
   * assert.deepEqual(await indices.toArray(), [0, 1, 1, 3]);
   * ```
   */
  cummax(dim: number | S.ScanOptions): S.ValuesAndIndices {
    return S.cummax(this.#self, dim);
  }

  /** Running minimum along `dim` and its position (torch.cummin); ties and NaN as {@link cummax}. */
  cummin(dim: number | S.ScanOptions): S.ValuesAndIndices {
    return S.cummin(this.#self, dim);
  }

  /** `log Σ_{i ≤ j} exp(x[i])` along `dim`, computed stably (torch.logcumsumexp). Float only. */
  logcumsumexp(dim: number | S.ScanOptions): Tensor {
    return S.logcumsumexp(this.#self, dim);
  }

  // ---- sorting and selection ------------------------------------------------------------------

  /**
   * Sorted values along `dim` (default −1) and their positions (torch.sort): stable, NaN
   * largest. `x.sort(dim, descending)` or `x.sort({ dim, descending, stable })`.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const { values, indices } = tensor([3, 1, 2]).sort(0, true);
   * assert.deepEqual(await values.toArray(), [3, 2, 1]);
   * assert.deepEqual(await indices.toArray(), [0, 2, 1]);
   * ```
   */
  sort(dim?: number | O.SortOptions, descending?: boolean): S.ValuesAndIndices {
    return O.sort(this.#self, dim, descending);
  }

  /** Positions that sort along `dim` (torch.argsort); `x.argsort(dim, descending)` or options. */
  argsort(dim?: number | O.SortOptions, descending?: boolean): Tensor {
    return O.argsort(this.#self, dim, descending);
  }

  /**
   * The `k` largest (or smallest) values along `dim` and their positions, sorted (torch.topk).
   * `x.topk(k, dim, largest, sorted)` or `x.topk(k, { dim, largest, sorted })`.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 5, 3]).topk(2).values.toArray(), [5, 3]);
   * ```
   */
  topk(k: number, dim?: number | O.TopkOptions, largest?: boolean, sorted?: boolean): S.ValuesAndIndices {
    return O.topk(this.#self, k, dim, largest, sorted);
  }

  /** The `k`-th smallest value (k from 1) along `dim` and its position (torch.kthvalue). */
  kthvalue(k: number, dim?: number | O.SelectOptions, keepdim?: boolean): S.ValuesAndIndices {
    return O.kthvalue(this.#self, k, dim, keepdim);
  }

  /**
   * The lower median (torch.median): of all elements (0-d) without a dim, else along `dim` with
   * its position. NaN propagates.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.equal(await tensor([4, 1, 3, 2]).median().item(), 2);
   * ```
   */
  median(): Tensor;
  /** The lower median along `dim` and its index. */
  median(dim: number | O.SelectOptions, keepdim?: boolean): S.ValuesAndIndices;
  median(dim?: number | O.SelectOptions, keepdim?: boolean): Tensor | S.ValuesAndIndices {
    return dim === undefined ? O.median(this.#self) : O.median(this.#self, dim, keepdim);
  }

  /** The most frequent value along `dim` (smallest on ties) and its last position (torch.mode). */
  mode(dim?: number | O.SelectOptions, keepdim?: boolean): S.ValuesAndIndices {
    return O.mode(this.#self, dim, keepdim);
  }

  // ---- data-dependent shapes (read back: async, refused inside compile) -----------------------

  /**
   * Positions of the non-zero elements (torch.nonzero): int32 `[n, ndim]`, or one 1-D tensor per
   * dim with `{ asTuple: true }`. Async: it reads the values back (refused inside a compiled step).
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const at = await tensor([[0, 1], [2, 0]]).nonzero();
   * assert.deepEqual(await at.toArray(), [[0, 1], [1, 0]]);
   * ```
   */
  nonzero(options?: D.NonzeroOptions & { asTuple?: false }): Promise<Tensor>;
  /** With `asTuple`, one int32 index tensor per dim (PyTorch's `nonzero(as_tuple=True)`). */
  nonzero(options: D.NonzeroOptions & { asTuple: true }): Promise<Tensor[]>;
  nonzero(options: D.NonzeroOptions = {}): Promise<Tensor | Tensor[]> {
    return D.nonzero(this.#self, options);
  }

  /**
   * The elements where `mask` (bool, broadcast) is true, 1-D (torch.masked_select); the gradient
   * flows back to them. Async: it reads the mask back (refused inside a compiled step).
   */
  maskedSelect(mask: Tensor): Promise<Tensor> {
    return D.maskedSelect(this.#self, mask);
  }

  /**
   * The distinct values, 1-D and ascending (torch.unique over all elements); with
   * `returnInverse`/`returnCounts` a record `{ values, inverse?, counts? }`. Async: it reads the
   * values back (refused inside a compiled step).
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const u = await tensor([3, 1, 3, 2]).unique();
   * assert.deepEqual(await u.toArray(), [1, 2, 3]);
   * ```
   */
  unique(options?: D.UniqueOptions & { returnInverse?: false; returnCounts?: false }): Promise<Tensor>;
  /** With `returnInverse` or `returnCounts`, the values with the inverse indices and counts asked for. */
  unique(options: D.UniqueOptions & ({ returnInverse: true } | { returnCounts: true })): Promise<D.UniqueResult>;
  /** The values, or a record when `returnInverse` or `returnCounts` is set. */
  unique(options: D.UniqueOptions): Promise<Tensor | D.UniqueResult>;
  unique(options: D.UniqueOptions = {}): Promise<Tensor | D.UniqueResult> {
    return D.unique(this.#self, options);
  }
}
