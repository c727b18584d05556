/**
 * The argument and result objects of the backend primitives with many operands (cross entropy,
 * layer norm), and the types of the lazy engine's and step capture's primitives. Part of the
 * contract in backend.ts, which re-exports them.
 * @module
 */
import type { Storage } from "./backend.ts";

/**
 * Operands of {@link Backend.crossEntropy}: cross entropy with class indices over contiguous rows
 * (the tensor layer makes every storage dense first).
 */
export interface CrossEntropyArgs {
  /** Float `[rows, classes]`. */
  logits: Storage;
  /** Samples (rows of `logits`). */
  rows: number;
  /** Classes C (columns of `logits`). */
  classes: number;
  /** int32 `[rows]`: each row's class index. */
  target: Storage;
  /** Per-class weights `[classes]` of the logits' dtype, or null for all ones. */
  weight: Storage | null;
  /** Target value whose rows give loss 0 and weight 0. */
  ignoreIndex: number;
  /** ε in [0, 1]: the target becomes (1−ε)·onehot + ε/C. */
  labelSmoothing: number;
  /** Names the caller in range errors. */
  opName: string;
}

/** Operands of {@link Backend.crossEntropyBackward}: the forward's plus the loss gradient. */
export interface CrossEntropyBackwardArgs extends CrossEntropyArgs {
  /** `[rows]`, the logits' dtype: the gradient of each row's loss. */
  gradRows: Storage;
}

/** Operands of {@link Backend.layerNorm}, each storage contiguous and of `x`'s float dtype. */
export interface LayerNormArgs {
  /** `[rows, cols]`, normalized over each row. */
  x: Storage;
  /** `[cols]` scale, or null for ones. */
  weight: Storage | null;
  /** `[cols]` shift, or null for zeros. */
  bias: Storage | null;
  /** Rows of `x`. */
  rows: number;
  /** Elements per row. */
  cols: number;
  /** Added to the variance before the square root. */
  eps: number;
}

/** What {@link Backend.layerNorm} returns: the output and the per-row statistics its gradient reuses. */
export interface LayerNormOutputs {
  /** `[rows, cols]`. */
  y: Storage;
  /** `[rows]` row means. */
  mean: Storage;
  /** `[rows]` reciprocal standard deviations `1/√(var + eps)`. */
  rstd: Storage;
}

/** Operands of {@link Backend.layerNormBackward}: the forward's input and statistics plus `gy`. */
export interface LayerNormBackwardArgs {
  /** The forward's `x`, `[rows, cols]`. */
  x: Storage;
  /** The forward's `mean`, `[rows]`. */
  mean: Storage;
  /** The forward's `rstd`, `[rows]`. */
  rstd: Storage;
  /** The forward's `weight` `[cols]`, or null. */
  weight: Storage | null;
  /** Gradient of `y`, `[rows, cols]`. */
  gy: Storage;
  /** Rows of `x`. */
  rows: number;
  /** Elements per row. */
  cols: number;
  /** Which parameter gradients to compute (the others come back null). */
  grads: { weight: boolean; bias: boolean };
}

/** What {@link Backend.layerNormBackward} returns; `gw`/`gb` are null unless `grads` asked for them. */
export interface LayerNormGrads {
  /** `[rows, cols]`. */
  gx: Storage;
  /** `[cols]` or null. */
  gw: Storage | null;
  /** `[cols]` or null. */
  gb: Storage | null;
}

/**
 * What one {@link Backend.evaluate} call may hold. The lazy engine (lib/tensor/lazy.ts) realizes a
 * chain before it outgrows them.
 */
export interface EvaluateLimits {
  /** Operands (storages bound) per call, outputs not counted. */
  readonly inputs: number;
  /** Distinct uniform params per call. */
  readonly params: number;
  /** Op and cast nodes per call (bounds the generated code). */
  readonly nodes: number;
  /**
   * Uniform words per call: `1 + operands + rank + rank × strided operands + 2 × params` must fit,
   * where rank is the output's and an operand is strided unless it is read row-major in full or is
   * one element broadcast.
   */
  readonly words: number;
}

/**
 * A step recorded by {@link Backend.beginCapture} … {@link Backend.endCapture}: its kernels,
 * copies and uploads with their bindings and uniforms, ready to replay.
 */
export interface StepRecording {
  /**
   * One line per recorded command: the kernel, grid, uniform words (dynamic ones left out) and
   * each buffer's role. Two traces of a step that replays correctly give equal lines.
   */
  readonly signature: readonly string[];
  /** Kernel dispatches recorded. */
  readonly dispatches: number;
  /** Whether every storage from outside the step that it reads is still alive (else retrace). */
  isValid(): boolean;
  /**
   * Records the commands again, with `args` (storages of the trace's arguments' sizes and dtypes)
   * bound where the trace bound its arguments and every dynamic word re-read. Returns 1 when the
   * swapped pairs were exchanged (the first replay, then every other one), so each replaced tensor
   * must now hold its pre-trace storage; 0 when it must hold the one it held after the trace.
   */
  replay(args: readonly Storage[]): 0 | 1;
  /** Releases the device memory the recording holds. */
  dispose(): void;
}
