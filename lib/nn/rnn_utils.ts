/**
 * `nn.utils.rnn`: variable-length batches for the recurrent layers, as torch.nn.utils.rnn —
 * `PackedSequence`, `packPaddedSequence`, `padPackedSequence`, `padSequence`, `packSequence`.
 * Packing and unpacking are one `indexSelect` each, so gradients flow through them.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { full, tensor } from "../tensor/ops_creation.ts";
import { cat, pad, stack } from "../tensor/ops_combine.ts";

/**
 * A batch of sequences of different lengths, time-major and sorted by decreasing length
 * (torch.nn.utils.rnn.PackedSequence): `data` `[sum(lengths), *]` holds step 0 of every sequence,
 * then step 1 of those that have one, …; `batchSizes[t]` is how many sequences are longer than t.
 * `sortedIndices[i]` is the batch index of the i-th longest sequence and `unsortedIndices` its
 * inverse (null when the batch was already sorted). Unlike torch, `batchSizes` and the indices are
 * plain number arrays (host data, as torch keeps `batch_sizes` on the cpu).
 */
export class PackedSequence {
  /** A packed batch from its parts, as {@link packPaddedSequence} builds it. */
  constructor(
    /** `[sum(lengths), *]`: the steps of every sequence, time-major. */
    readonly data: Tensor,
    /** How many sequences each time step holds (non-increasing). */
    readonly batchSizes: readonly number[],
    /** Batch index of the i-th longest sequence, or null when the input was sorted. */
    readonly sortedIndices: readonly number[] | null = null,
    /** Inverse permutation of `sortedIndices` (position of batch entry b in sorted order), or null. */
    readonly unsortedIndices: readonly number[] | null = null,
  ) {
    for (let t = 1; t < batchSizes.length; t++) {
      if (!(batchSizes[t] <= batchSizes[t - 1]) || batchSizes[t] < 1) {
        throw new RangeError(`PackedSequence: batchSizes must be positive and non-increasing, got [${batchSizes}]`);
      }
    }
    const total = batchSizes.reduce((a, b) => a + b, 0);
    if (data.shape[0] !== total) {
      throw new RangeError(`PackedSequence: data has ${data.shape[0]} rows but batchSizes sum to ${total}`);
    }
  }

  /** Number of sequences. */
  get batchSize(): number {
    return this.batchSizes[0] ?? 0;
  }

  /** Length of each sequence, in the original batch order. */
  get lengths(): number[] {
    const B = this.batchSize;
    const sortedLengths = Array.from({ length: B }, (_, i) => this.batchSizes.filter((n) => n > i).length);
    if (!this.unsortedIndices) return sortedLengths;
    return this.unsortedIndices.map((p) => sortedLengths[p]);
  }
}

function checkLengths(op: string, lengths: readonly number[], B: number, T: number): void {
  if (lengths.length !== B) throw new RangeError(`${op}: got ${lengths.length} lengths for a batch of ${B}`);
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 1 || n > T) {
      throw new RangeError(`${op}: lengths must be integers in [1, ${T}] (the padded length), got [${lengths}]`);
    }
  }
}

/**
 * Packs time-major `[T, B, *]` values (already sorted as `sortedIndices` says) into a PackedSequence.
 * @internal
 */
export function packSorted(
  padded: Tensor,
  lengths: readonly number[],
  sortedIndices: readonly number[] | null,
  unsortedIndices: readonly number[] | null,
): PackedSequence {
  const [T, B, ...rest] = padded.shape;
  const order = sortedIndices ?? lengths.map((_, i) => i);
  const maxLen = lengths[order[0]];
  const batchSizes: number[] = [];
  const rows: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    let n = 0;
    for (const b of order) {
      if (lengths[b] <= t) break;
      rows.push(t * B + b);
      n++;
    }
    batchSizes.push(n);
  }
  const flat = padded.reshape([T * B, ...rest]);
  const data = flat.indexSelect(0, tensor(rows, { dtype: "int32", device: padded.device }));
  return new PackedSequence(data, batchSizes, sortedIndices, unsortedIndices);
}

/** Options of {@link packPaddedSequence}. */
export interface PackPaddedOptions {
  /** `input` is `[B, T, *]` instead of `[T, B, *]` (default false). */
  batchFirst?: boolean;
  /** Require `lengths` to be non-increasing (default true); with false the batch is sorted here. */
  enforceSorted?: boolean;
}

/**
 * Packs a padded batch (torch.nn.utils.rnn.pack_padded_sequence): keeps the first `lengths[b]`
 * steps of each sequence b, in the time-major order a recurrent layer consumes.
 *
 * Shapes: input `[T, B, *]` (`[B, T, *]` with batchFirst), `lengths` B integers in [1, T].
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const packed = nn.utils.rnn.packPaddedSequence(randn([3, 4, 2]), [4, 2, 1], { batchFirst: true });
 * assert.deepEqual(packed.batchSizes, [3, 2, 1, 1]);
 * assert.deepEqual(packed.data.shape, [7, 2]);
 * ```
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: readonly number[],
  options: PackPaddedOptions = {},
): PackedSequence {
  if (input.ndim < 2) throw new RangeError(`packPaddedSequence: input must be at least 2-D, got [${input.shape}]`);
  const x = options.batchFirst ? input.transpose(0, 1) : input;
  const [T, B] = x.shape;
  checkLengths("packPaddedSequence", lengths, B, T);
  const sorted = lengths.every((n, i) => i === 0 || n <= lengths[i - 1]);
  if (sorted) return packSorted(x, lengths, null, null);
  if (options.enforceSorted ?? true) {
    throw new RangeError(
      `packPaddedSequence: lengths [${lengths}] are not sorted in decreasing order; sort the batch or pass ` +
        "{ enforceSorted: false }",
    );
  }
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a]);
  const inverse: number[] = [];
  order.forEach((b, i) => inverse[b] = i);
  return packSorted(x, lengths, order, inverse);
}

/** Options of {@link padPackedSequence}. */
export interface PadPackedOptions {
  /** Return `[B, T, *]` instead of `[T, B, *]` (default false). */
  batchFirst?: boolean;
  /** Value of the padded steps (default 0). */
  paddingValue?: number;
  /** Pad to this many steps instead of the longest length. */
  totalLength?: number;
}

/**
 * Unpacks a PackedSequence (torch.nn.utils.rnn.pad_packed_sequence) into a padded batch in the
 * original batch order, and the lengths: `[padded, lengths]`.
 *
 * Shapes: output `[T, B, *]` (`[B, T, *]` with batchFirst), T = totalLength or the longest length.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const x = randn([4, 3, 2]);
 * const packed = nn.utils.rnn.packPaddedSequence(x, [2, 4, 1], { enforceSorted: false });
 * const [padded, lengths] = nn.utils.rnn.padPackedSequence(packed);
 * assert.deepEqual([padded.shape, lengths], [[4, 3, 2], [2, 4, 1]]);
 * ```
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, number[]] {
  const { data, batchSizes, unsortedIndices } = sequence;
  const B = sequence.batchSize, maxLen = batchSizes.length;
  const T = options.totalLength ?? maxLen;
  if (!Number.isInteger(T) || T < maxLen) {
    throw new RangeError(`padPackedSequence: totalLength ${T} is shorter than the longest sequence (${maxLen})`);
  }
  const rest = data.shape.slice(1);
  const filler = data.shape[0];
  const rows: number[] = [];
  let start = 0;
  for (let t = 0; t < T; t++) {
    const n = batchSizes[t] ?? 0;
    for (let b = 0; b < B; b++) {
      const p = unsortedIndices ? unsortedIndices[b] : b;
      rows.push(p < n ? start + p : filler);
    }
    start += n;
  }
  const fill = full([1, ...rest], options.paddingValue ?? 0, { dtype: data.dtype, device: data.device });
  const padded = cat([data, fill], 0).indexSelect(0, tensor(rows, { dtype: "int32", device: data.device }))
    .reshape([T, B, ...rest]);
  return [options.batchFirst ? padded.transpose(0, 1) : padded, sequence.lengths];
}

/**
 * Stacks sequences of different lengths into one padded batch (torch.nn.utils.rnn.pad_sequence):
 * each `[Lᵢ, *]` is padded to the longest L with `paddingValue` (default 0).
 *
 * Shapes: output `[L, B, *]` (`[B, L, *]` with batchFirst).
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const batch = nn.utils.rnn.padSequence([ones([3, 2]), ones([1, 2])], { batchFirst: true });
 * assert.deepEqual(batch.shape, [2, 3, 2]);
 * ```
 */
export function padSequence(
  sequences: readonly Tensor[],
  options: { batchFirst?: boolean; paddingValue?: number } = {},
): Tensor {
  if (sequences.length === 0) throw new RangeError("padSequence: got no sequences");
  const rest = sequences[0].shape.slice(1).join();
  for (const s of sequences) {
    if (s.ndim < 1 || s.shape.slice(1).join() !== rest) {
      throw new RangeError(
        `padSequence: sequences must share their trailing dims; got [${s.shape}] and [${sequences[0].shape}]`,
      );
    }
  }
  const L = Math.max(...sequences.map((s) => s.shape[0]));
  const padded = sequences.map((s) => {
    if (s.shape[0] === L) return s;
    // pad() takes (left, right) pairs from the last dim back: only dim 0 grows, at its end
    const widths = new Array(2 * s.ndim).fill(0);
    widths[widths.length - 1] = L - s.shape[0];
    return pad(s, widths, options.paddingValue ?? 0);
  });
  return stack(padded, options.batchFirst ? 0 : 1);
}

/**
 * Packs a list of sequences `[Lᵢ, *]` (torch.nn.utils.rnn.pack_sequence): `padSequence` then
 * `packPaddedSequence` with their lengths.
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const packed = nn.utils.rnn.packSequence([ones([1, 2]), ones([3, 2])], { enforceSorted: false });
 * assert.deepEqual(packed.lengths, [1, 3]);
 * ```
 */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const lengths = sequences.map((s) => s.shape[0]);
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted });
}
