/**
 * movement, construction, scatter and take. Methods of {@link Tensor} defined on one layer of its class chain
 * (TensorCore → MathMethods → ScanMethods → ShapeMethods → IndexMethods → Tensor), so each family of
 * ops keeps its methods beside its concept; the operations themselves live in `ops_*.ts`
 * (ops_shape.ts, ops_scatter.ts; einsum.ts is a function only, as in PyTorch).
 * @module
 */
import { ScanMethods } from "./methods_scan.ts";
import type { Tensor } from "./tensor.ts";
import * as P from "./ops_shape.ts";
import * as X from "./ops_scatter.ts";

export type { MeshgridOptions, RepeatInterleaveOptions } from "./ops_shape.ts";
export type { ScatterReduceOptions, ScatterReduction } from "./ops_scatter.ts";

/** A number given positionally or as the named field of an options object. */
function option<K extends string>(value: number | Partial<Record<K, number>> | undefined, key: K, fallback: number) {
  return typeof value === "object" ? value[key] ?? fallback : value ?? fallback;
}

/** Tensor methods: movement, construction, scatter and take. */
export class ShapeMethods extends ScanMethods {
  get #self(): Tensor {
    return this as unknown as Tensor;
  }

  // ---- movement and construction -------------------------------------------------------------

  /**
   * A copy with the elements reversed along `dims` (torch.flip), given as one array or as
   * separate numbers.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([[1, 2], [3, 4]]).flip(1).toArray(), [[2, 1], [4, 3]]);
   * ```
   */
  flip(...dims: (number | readonly number[])[]): Tensor {
    return P.flip(this.#self, dims.flat());
  }

  /**
   * Elements shifted by `shifts` along `dims`, wrapping around (torch.roll); without `dims` the
   * flattened tensor rolls. `dims` may come as `{ dims }`.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 2, 3, 4]).roll(1).toArray(), [4, 1, 2, 3]);
   * ```
   */
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | { dims?: number | number[] }): Tensor {
    const d = dims !== undefined && typeof dims === "object" && !Array.isArray(dims)
      ? (dims as { dims?: number | number[] }).dims
      : dims as number | readonly number[] | undefined;
    return P.roll(this.#self, shifts, d);
  }

  /**
   * The lower triangle of the last two dims, the rest zeroed (torch.tril): kept where
   * `col − row ≤ diagonal` (positional or `{ diagonal }`, default 0).
   *
   * @example
   * ```ts
   * import { ones } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await ones([2, 2]).tril().toArray(), [[1, 0], [1, 1]]);
   * ```
   */
  tril(diagonal?: number | { diagonal?: number }): Tensor {
    return P.tril(this.#self, option(diagonal, "diagonal", 0));
  }

  /** The upper triangle of the last two dims (torch.triu): kept where `col − row ≥ diagonal` (default 0). */
  triu(diagonal?: number | { diagonal?: number }): Tensor {
    return P.triu(this.#self, option(diagonal, "diagonal", 0));
  }

  /**
   * torch.diag: a 1-D tensor becomes a matrix with it on the `diagonal`-th diagonal; a 2-D tensor
   * gives (a copy of) its `diagonal`-th diagonal.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 2]).diag().toArray(), [[1, 0], [0, 2]]);
   * ```
   */
  diag(diagonal?: number | { diagonal?: number }): Tensor {
    return P.diag(this.#self, option(diagonal, "diagonal", 0));
  }

  /**
   * The `offset`-th diagonal over `dim1`, `dim2` (defaults 0, 0, 1), appended as the last dim of
   * a view (torch.diagonal). Positional or `{ offset, dim1, dim2 }`.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([[1, 2], [3, 4]]).diagonal().toArray(), [1, 4]);
   * ```
   */
  diagonal(offset?: number | { offset?: number; dim1?: number; dim2?: number }, dim1 = 0, dim2 = 1): Tensor {
    if (typeof offset === "object") {
      return P.diagonal(this.#self, offset.offset ?? 0, offset.dim1 ?? 0, offset.dim2 ?? 1);
    }
    return P.diagonal(this.#self, offset ?? 0, dim1, dim2);
  }

  /** Repeats along each dim, `reps` padded with leading 1s (torch.tile); an array or separate numbers. */
  tile(...reps: (number | readonly number[])[]): Tensor {
    return P.tile(this.#self, reps.flat());
  }

  /**
   * Each element (or slice along `dim`) repeated `repeats` times in place (torch.repeat_interleave);
   * without `dim` the result is flat. `dim` positional or `{ dim }`.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([1, 2]).repeatInterleave(2).toArray(), [1, 1, 2, 2]);
   * ```
   */
  repeatInterleave(repeats: number | readonly number[] | Tensor, dim?: number | P.RepeatInterleaveOptions): Tensor {
    return P.repeatInterleave(this.#self, repeats, dim);
  }

  /** `dim` split into `sizes` (one may be −1), a view where possible (torch.unflatten). */
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return P.unflatten(this.#self, dim, sizes);
  }

  /** The dims `source` moved to `destination`, the rest in order (torch.movedim, a view). */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    return P.movedim(this.#self, source, destination);
  }

  /** Same as {@link movedim} (torch.moveaxis). */
  moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    return P.movedim(this.#self, source, destination);
  }

  /** The slices along `dim` (default 0), that dim removed (torch.unbind, views). */
  unbind(dim?: number | { dim?: number }): Tensor[] {
    return P.unbind(this.#self, option(dim, "dim", 0));
  }

  // ---- scatter and take ----------------------------------------------------------------------

  /**
   * A copy with `src` (a tensor, or a number) written at `index` along `dim` (torch.scatter):
   * `out[i][index[i][j]] = src[i][j]` for dim 1. `{ reduce: "add" | "multiply" }` accumulates instead.
   *
   * @example
   * ```ts
   * import { tensor, zeros } from "denograd";
   * import assert from "node:assert/strict";
   * const out = zeros([3]).scatter(0, tensor([2, 0]), tensor([5.5, 7.5]));
   * assert.deepEqual(await out.toArray(), [7.5, 0, 5.5]);
   * ```
   */
  scatter(dim: number, index: Tensor, src: Tensor | number, options?: { reduce?: "add" | "multiply" }): Tensor {
    return X.scatter(this.#self, dim, index, src, options);
  }

  /**
   * A copy where the `src` values aimed at each position (as in {@link scatter}) are reduced with
   * its value by `reduce`: "sum", "prod", "mean", "amax", "amin" (torch.scatter_reduce);
   * `{ includeSelf: false }` leaves this tensor's values out where something is scattered.
   */
  scatterReduce(
    dim: number,
    index: Tensor,
    src: Tensor,
    reduce: X.ScatterReduction,
    options?: X.ScatterReduceOptions,
  ): Tensor {
    return X.scatterReduce(this.#self, dim, index, src, reduce, options);
  }

  /**
   * `alpha · source` added at the slices a 1-D `index` names along `dim` (torch.index_add);
   * repeated indices accumulate.
   *
   * @example
   * ```ts
   * import { ones, tensor, zeros } from "denograd";
   * import assert from "node:assert/strict";
   * const out = zeros([3, 2]).indexAdd(0, tensor([2, 2]), ones([2, 2]), { alpha: 3 });
   * assert.deepEqual(await out.toArray(), [[0, 0], [0, 0], [6, 6]]);
   * ```
   */
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor {
    return X.indexAdd(this.#self, dim, index, source, options);
  }

  /** The slices a 1-D `index` names along `dim` replaced by those of `source` (torch.index_copy). */
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor {
    return X.indexCopy(this.#self, dim, index, source);
  }

  /** The slices a 1-D `index` names along `dim` set to `value`, a number or 0-d tensor (torch.index_fill). */
  indexFill(dim: number, index: Tensor, value: number | Tensor): Tensor {
    return X.indexFill(this.#self, dim, index, value);
  }

  /**
   * The positions where `mask` is true filled in row-major order by consecutive elements of
   * `source` (torch.masked_scatter).
   *
   * @example
   * ```ts
   * import { tensor, zeros } from "denograd";
   * import assert from "node:assert/strict";
   * const out = zeros([4]).maskedScatter(tensor([true, false, true, false]), tensor([5.5, 6.5]));
   * assert.deepEqual(await out.toArray(), [5.5, 0, 6.5, 0]);
   * ```
   */
  maskedScatter(mask: Tensor, source: Tensor): Tensor {
    return X.maskedScatter(this.#self, mask, source);
  }

  /**
   * Elements of the flattened tensor at `index` (any shape; negatives count from the end), shaped
   * like `index` (torch.take).
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * assert.deepEqual(await tensor([[1, 2], [3, 4]]).take(tensor([3, -4])).toArray(), [4, 1]);
   * ```
   */
  take(index: Tensor): Tensor {
    return X.take(this.#self, index);
  }

  /**
   * Values at `indices` along `dim`, the two broadcast against each other off `dim`
   * (torch.take_along_dim); without `dim`, both flattened.
   */
  takeAlongDim(indices: Tensor, dim?: number | null): Tensor {
    return X.takeAlongDim(this.#self, indices, dim);
  }
}
