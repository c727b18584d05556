/** Connectionist temporal classification loss (torch.nn.CTCLoss). @module */
import { Tensor } from "../tensor/tensor.ts";
import { full, tensor } from "../tensor/ops_creation.ts";
import { cat, stack } from "../tensor/ops_combine.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { checkReduction, Loss, type ReductionOptions } from "./_reduction.ts";
import { graphScope } from "../tensor/scope.ts";

/** Options of {@link ctcLoss} and {@link CTCLoss}. */
export interface CTCLossOptions extends ReductionOptions {
  /** Index of the blank class (default 0). */
  blank?: number;
  /** Replace infinite losses (impossible alignments) and their gradients by 0 (default false). */
  zeroInfinity?: boolean;
}

/** Lengths as given: an int tensor `[N]` or a number array. */
export type Lengths = Tensor | readonly number[];

const OP = "ctcLoss";

function checkLengths(name: string, lengths: Lengths, n: number, device: Tensor["device"]): Tensor {
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== "int32" || lengths.ndim !== 1 || lengths.shape[0] !== n) {
      throw new TypeError(
        `${OP}: ${name} must be an int32 tensor of shape [${n}], got ${lengths.dtype} [${lengths.shape}]`,
      );
    }
    if (lengths.device !== device) {
      throw new TypeError(`${OP}: ${name} is on ${lengths.device} but logProbs is on ${device}`);
    }
    return lengths;
  }
  if (!Array.isArray(lengths) || lengths.length !== n) {
    throw new TypeError(`${OP}: ${name} must have one entry per batch element (${n}), got ${JSON.stringify(lengths)}`);
  }
  lengths.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`${OP}: ${name}[${i}] must be a non-negative integer, got ${v}`);
    }
  });
  return tensor(lengths, { dtype: "int32", device });
}

/** log(Σ exp) over dim 0 that is −∞ (with zero gradient, not NaN) where every term is −∞. */
function logAddExp(terms: Tensor): Tensor {
  const m = terms.detach().max(0);
  const shift = where(m.isinf(), 0, m);
  const s = terms.sub(shift).exp().sum(0);
  const live = s.gt(0);
  return where(live, where(live, s, 1).log().add(shift), -Infinity);
}

/** Targets as padded `[N, S]` int32, from either layout. */
function paddedTargets(targets: Tensor, targetLengths: Lengths, n: number): Tensor {
  if (targets.dtype !== "int32") {
    throw new TypeError(`${OP}: targets must be int32 class indices, got ${targets.dtype}; convert with .int()`);
  }
  if (targets.ndim === 2) {
    if (targets.shape[0] !== n) {
      throw new RangeError(`${OP}: padded targets [${targets.shape}] must have ${n} rows (the batch size)`);
    }
    return targets;
  }
  if (targets.ndim !== 1) {
    throw new RangeError(`${OP}: targets must be padded [N, S] or concatenated 1-D, got shape [${targets.shape}]`);
  }
  const total = targets.shape[0];
  let offsets: Tensor, width: number;
  if (targetLengths instanceof Tensor) {
    // exclusive prefix sum on the device: strictly lower-triangular ones times the lengths
    const lower = tensor(Array.from({ length: n * n }, (_, k) => (k % n < Math.floor(k / n) ? 1 : 0)), {
      dtype: "float32",
      device: targets.device,
    }).reshape([n, n]);
    offsets = lower.matmul(targetLengths.float().reshape([n, 1])).round().int();
    width = Math.max(total, 1);
  } else {
    const sum = targetLengths.reduce((a, b) => a + b, 0);
    if (sum !== total) {
      throw new RangeError(`${OP}: concatenated targets have ${total} labels but targetLengths sum to ${sum}`);
    }
    let acc = 0;
    offsets = tensor(targetLengths.map((l) => (acc += l) - l), { dtype: "int32", device: targets.device })
      .reshape([n, 1]);
    width = Math.max(...targetLengths, 1);
  }
  if (total === 0) {
    return tensor(new Int32Array(n * width), { dtype: "int32", device: targets.device }).reshape([n, width]);
  }
  const steps = tensor(Array.from({ length: width }, (_, s) => s), { dtype: "int32", device: targets.device });
  const index = offsets.add(steps.reshape([1, width])).clamp(0, total - 1);
  return targets.reshape([1, total]).expand([n, total]).gather(1, index);
}

/**
 * The connectionist temporal classification loss: the negative log-likelihood of each
 * target sequence summed over every alignment of it to the input frames (blanks between and
 * around labels, repeats collapsed), computed by the forward (alpha) recursion in log space.
 *
 * Unreduced: ℓ = {l₁ … l_N}, l_n = −log Σ_{π ∈ B⁻¹(y_n)} Π_t p_t(π_t) over the first
 * `inputLengths[n]` frames. `"mean"`: mean over n of l_n / max(targetLengths[n], 1) (torch's
 * rule); `"sum"`: Σ l_n. An impossible alignment gives +∞, or 0 with `zeroInfinity`.
 *
 * Built from differentiable tensor ops over the time steps, so gradients (the true ones with
 * respect to `logProbs`) come from autograd. Length values are validated when given as
 * number arrays; tensor lengths are used on the device without a readback.
 *
 * @param logProbs `[T, N, C]` log-probabilities (`logSoftmax(2)` of the network output).
 * @param targets padded `[N, S]` or concatenated `[Σ targetLengths]` int32 labels (never the blank).
 * @param inputLengths `[N]` frames used per sample (≤ T).
 * @param targetLengths `[N]` labels per sample (≤ S and ≤ its input length).
 * @param options `blank` (0), `reduction` (`"mean"`), `zeroInfinity` (false).
 * @returns a scalar, or `[N]` with `reduction: "none"`.
 *
 * @example
 * ```ts
 * import { F, randn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const logProbs = randn([6, 2, 4]).logSoftmax(2);
 * const targets = tensor([[1, 2], [3, 3]], { dtype: "int32" });
 * const loss = F.ctcLoss(logProbs, targets, [6, 5], [2, 2], { reduction: "none" });
 * assert.deepEqual(loss.shape, [2]);
 * ```
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options: CTCLossOptions = {},
): Tensor {
  return graphScope(() => ctcLossUnscoped(logProbs, targets, inputLengths, targetLengths, options));
}

function ctcLossUnscoped(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options: CTCLossOptions = {},
): Tensor {
  const reduction = checkReduction(OP, options.reduction);
  const blank = options.blank ?? 0;
  if (
    !(logProbs instanceof Tensor) || logProbs.ndim !== 3 ||
    (logProbs.dtype !== "float32" && logProbs.dtype !== "float64")
  ) {
    throw new TypeError(`${OP}: logProbs must be a float tensor [T, N, C], got ${String(logProbs)}`);
  }
  const [T, N, C] = logProbs.shape;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) {
    throw new RangeError(`${OP}: blank must be a class index in [0, ${C - 1}] (C = ${C}), got ${blank}`);
  }
  const device = logProbs.device;
  const inLen = checkLengths("inputLengths", inputLengths, N, device);
  const tgtLen = checkLengths("targetLengths", targetLengths, N, device);
  const padded = paddedTargets(targets, targetLengths, N);
  const S = padded.shape[1];
  if (Array.isArray(inputLengths)) {
    inputLengths.forEach((v, i) => {
      if (v > T) throw new RangeError(`${OP}: inputLengths[${i}] = ${v} exceeds the ${T} frames of logProbs`);
    });
  }
  if (Array.isArray(targetLengths)) {
    targetLengths.forEach((v, i) => {
      if (v > S) throw new RangeError(`${OP}: targetLengths[${i}] = ${v} exceeds the ${S} columns of padded targets`);
      const frames = Array.isArray(inputLengths) ? inputLengths[i] : T;
      if (v > frames) {
        throw new RangeError(`${OP}: targetLengths[${i}] = ${v} is longer than inputLengths[${i}] = ${frames}`);
      }
    });
  }

  // extended labels [N, 2S+1]: blank, y1, blank, y2, …, blank
  const L = 2 * S + 1;
  const blanks = padded.mul(0).add(blank);
  const ext = cat([stack([blanks, padded], 2).reshape([N, 2 * S]), blanks.narrow(1, 0, 1)], 1);
  // a label may be reached from two states back when it differs from the label there
  const skip = cat(
    [ext.narrow(1, 0, 2).ne(ext.narrow(1, 0, 2)), ext.narrow(1, 2, L - 2).ne(ext.narrow(1, 0, L - 2))],
    1,
  );
  const emit = logProbs.gather(2, ext.reshape([1, N, L]).expand([T, N, L]));
  const minusInf = full([N, L], -Infinity, { dtype: logProbs.dtype, device });
  const firstTwo = tensor(Array.from({ length: L }, (_, s) => s < 2), { dtype: "bool", device }).reshape([1, L]);
  let alpha = where(firstTwo.logicalAnd(inLen.gt(0).reshape([N, 1])), emit.select(0, 0), minusInf);
  const pad1 = minusInf.narrow(1, 0, 1), pad2 = minusInf.narrow(1, 0, 2);
  for (let t = 1; t < T; t++) {
    const prev1 = cat([pad1, alpha.narrow(1, 0, L - 1)], 1);
    const prev2 = where(skip, cat([pad2, alpha.narrow(1, 0, L - 2)], 1), -Infinity);
    const next = logAddExp(stack([alpha, prev1, prev2])).add(emit.select(0, t));
    alpha = where(inLen.gt(t).reshape([N, 1]), next, alpha);
  }
  // end in the last blank (2·len) or the last label (2·len − 1)
  const endIdx = stack([tgtLen.mul(2), tgtLen.mul(2).sub(1).clamp(0)], 1);
  const ends = alpha.gather(1, endIdx);
  const endTerms = where(stack([tgtLen.ge(0), tgtLen.gt(0)], 1), ends, -Infinity);
  let loss = logAddExp(endTerms.transpose(0, 1)).neg();
  if (options.zeroInfinity) loss = where(loss.isinf(), 0, loss);
  if (reduction === "none") return loss;
  if (reduction === "sum") return loss.sum();
  return loss.div(tgtLen.clamp(1).cast(loss.dtype)).mean();
}

/**
 * The CTC loss as a module; see {@link ctcLoss}. `forward(logProbs, targets, inputLengths,
 * targetLengths)`.
 *
 * @example
 * ```ts
 * import { nn, randn, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const ctc = new nn.CTCLoss({ blank: 0 });
 * const loss = ctc.forward(randn([5, 1, 3]).logSoftmax(2), tensor([[1, 2]], { dtype: "int32" }), [5], [2]);
 * assert.deepEqual(loss.shape, []);
 * ```
 */
export class CTCLoss extends Loss<CTCLossOptions> {
  override forward(logProbs: Tensor, targets: Tensor, inputLengths?: Lengths, targetLengths?: Lengths): Tensor {
    if (inputLengths === undefined || targetLengths === undefined) {
      throw new TypeError("CTCLoss: forward needs logProbs, targets, inputLengths and targetLengths");
    }
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.options);
  }
}
