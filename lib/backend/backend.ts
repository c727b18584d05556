/**
 * The contract every denograd backend fulfils.
 *
 * A backend owns raw storage (flat, typed, element-addressed) and a small set of
 * primitive kernels. Everything else — views, broadcasting, autograd, losses —
 * lives above it in `lib/tensor` and is composed from these primitives, so a new
 * backend only has to provide this file's interface.
 *
 * Conventions shared by every primitive:
 * - A {@link View} describes how a kernel reads a storage: `shape`, `strides` and
 *   `offset`, all in elements (not bytes). Strides may be 0 (broadcast) and need
 *   not be contiguous (transposes, slices).
 * - Every primitive that returns a {@link Storage} returns a new, contiguous
 *   (row-major) storage that the caller owns and must `free`.
 * - Inputs to one primitive always have the same dtype unless stated; the tensor
 *   layer casts first.
 * - Ranks are at most {@link MAX_RANK}.
 * @module
 */
import type { ReduceOp } from "../ops/tensor_ops.ts";
import type { Expr } from "../ops/expr.ts";

/** Element types. `float64` exists only on the cpu (reference) backend, for gradcheck. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** Highest tensor rank any kernel must handle. */
export const MAX_RANK = 8;

/** How a kernel reads a storage; every field is in elements. */
export interface View {
  /** Size of each dimension. */
  shape: readonly number[];
  /** Element step of each dimension in the storage (0 where broadcast). */
  strides: readonly number[];
  /** Element offset of the first element. */
  offset: number;
}

/** Flat device memory holding `size` elements of `dtype`. */
export interface Storage {
  readonly backend: Backend;
  readonly size: number;
  readonly dtype: DType;
}

/** Host-side typed array for each dtype (bool is one byte, 0 or 1). */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * The ops of the backends' elementwise and reduce primitives come from the op table
 * (`lib/ops/table.ts`): an op exists for a backend exactly when it has an entry there, whose
 * semantics (dtypes, special values, params and their defaults) the entry documents.
 */
export type { BinaryOp, ElementwiseOp, TernaryOp, UnaryOp } from "../ops/table.ts";
export type { ReduceOp } from "../ops/tensor_ops.ts";
export { FUSED_LIMITS } from "../ops/expr.ts";

/** One operand of a primitive: a storage and how the kernel reads it. */
export interface Operand {
  storage: Storage;
  view: View;
}

/** The operands of {@link Backend.gather}. */
export interface GatherArgs {
  /** The values gathered from. */
  source: Operand;
  /** The dim the index replaces. */
  dim: number;
  /** int32 indices, of the output's shape. */
  index: Operand;
  /** The op named in range errors. */
  opName: string;
}

/** The operands of {@link Backend.scatterAdd}. */
export interface ScatterAddArgs {
  /** The contiguous values added to (not modified: the result is a copy). */
  base: Storage;
  /** `base`'s shape. */
  shape: readonly number[];
  /** The dim the index replaces. */
  dim: number;
  /** int32 indices, of `src`'s shape. */
  index: Operand;
  /** The values added. */
  src: Operand;
  /** The op named in range errors. */
  opName: string;
}

/** How {@link Backend.scatterReduce} combines a source value with the value at its position. */
export type ScatterReduceOp = "replace" | "prod" | "amax" | "amin";

/** The operands of {@link Backend.scatterReduce}: scatterAdd's, and how values meet. */
export interface ScatterReduceArgs extends ScatterAddArgs {
  /** `"replace"` writes the source (the last in row-major index order wins); the others fold it in. */
  reduce: ScatterReduceOp;
}

/** Geometry of a 2-D sliding window (im2col / col2im). */
export interface WindowParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/**
 * One node of a fused elementwise program: an expression over the op table (lib/ops/expr.ts).
 * Every value is a float of the program's dtype; comparisons and logical ops give 1 or 0 when
 * stored, and `where` tests `cond != 0`. Nodes may be shared (the same object used twice is
 * computed once). Programs are immutable: backends may cache their code by the program array.
 */
export type FusedExpr = Expr;

/**
 * A bias that {@link Backend.matmul} adds as it stores: `values` (contiguous, the operands'
 * dtype) holds one value per row of each `[M, N]` product (`along: "rows"`, length M, as in a
 * convolution's output channels) or per column (`"cols"`, length N, as in `linear`).
 */
export interface MatmulBias {
  values: Storage;
  along: "rows" | "cols";
}

/** GPU time of one kernel over a profiled region (see profileKernels). */
export interface KernelTime {
  /** The kernel's name (entry point, or its cache key). */
  name: string;
  /** Dispatches. */
  calls: number;
  /** Total GPU milliseconds. */
  ms: number;
}

/** Live device memory, for leak tests and users. */
export interface MemoryStats {
  /** Storages handed out and not yet freed. */
  liveStorages: number;
  /** Bytes of those storages. */
  liveBytes: number;
  /** Device buffers ever created (pool misses); flat in a steady-state loop. */
  buffersCreated: number;
  /** Bytes held by the backend in total (live + pooled). */
  pooledBytes: number;
}

import type {
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  EvaluateLimits,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  StepRecording,
} from "./primitive_args.ts";
export type {
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  EvaluateLimits,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  StepRecording,
} from "./primitive_args.ts";

/** Which random distribution {@link Backend.random} draws from. */
export type RandomKind = "uniform" | "normal";

/**
 * A backend: storage plus primitive kernels.
 *
 * Random numbers are counter-based so every backend draws the same stream: element `i`
 * of a call with `(seed, counter)` uses the 32-bit words `bits(counter + j)` below, where
 * all arithmetic is u32 with wrap-around:
 *
 * ```
 * pcg(v)  = { s = v * 747796405 + 2891336453; w = ((s >> ((s >> 28) + 4)) ^ s) * 277803737; (w >> 22) ^ w }
 * bits(n) = pcg(pcg(n) ^ seed)
 * uniform: u = (bits(counter + i) >> 8) * 2^-24                       in [0, 1)
 * normal:  u1 = ((bits(counter + 2i) >> 8) + 1) * 2^-24               in (0, 1]
 *          u2 = (bits(counter + 2i + 1) >> 8) * 2^-24
 *          z  = sqrt(-2 ln u1) * cos(2π u2)
 * ```
 * The caller advances its counter by `size` (uniform) or `2·size` (normal).
 */
export interface Backend {
  /** `"cpu"`, `"webgpu"` or `"reference"`. */
  readonly name: "cpu" | "webgpu" | "reference";
  /** One line describing the device (adapter name, driver). */
  readonly description: string;
  /** dtypes this backend stores. */
  readonly dtypes: readonly DType[];

  /** Storage of `size` elements, all zero. */
  zeros(size: number, dtype: DType): Storage;
  /** Storage of `size` elements, all `value`. */
  fill(size: number, value: number, dtype: DType): Storage;
  /** Storage holding a copy of `data` (converted to `dtype`). */
  upload(data: ArrayLike<number>, dtype: DType): Storage;
  /** Copy of a storage's contents to the host; the only asynchronous primitive. */
  read(storage: Storage): Promise<HostArray>;
  /** Optional: the same copy synchronously, on backends whose work completes as it is issued (cpu, reference). */
  readSync?(storage: Storage): HostArray;
  /** Releases a storage. Freeing twice is a bug the backend may report. */
  free(storage: Storage): void;
  /** Waits until all queued work has finished (no-op on cpu). */
  sync(): Promise<void>;
  /** Live memory counters. */
  memoryStats(): MemoryStats;
  /** Starts timing each kernel (backends with timestamp queries only; see profileKernels). */
  startProfile?(): void;
  /** Stops timing once queued work is done; per-kernel totals, largest first. */
  stopProfile?(): Promise<KernelTime[]>;

  /**
   * Elementwise op `op` of the table over `operands` (as many as the op takes), whose views all
   * have the output's shape (broadcast already applied through zero strides). The operands share
   * a dtype, except `where`'s condition (bool); the result is contiguous, of `outDtype` (a cast
   * on store), computed in the type the entry's policy picks. `params` are the entry's params in
   * its order, defaults completed. `op` is typed as a string here (an {@link ElementwiseOp}; an
   * unknown name is a RangeError) because tensors expose their backend, and the public API must
   * not depend on the table's inferred types.
   */
  elementwise(op: string, operands: readonly Operand[], outDtype: DType, params?: readonly number[]): Storage;
  /**
   * Reduces `av` over `axes` (sorted, unique, non-empty). The result is contiguous with
   * `av.shape` where each reduced axis has size 1. Empty reductions give the identity
   * (0 for sum, 1 for prod, -Infinity/Infinity for max/min on floats).
   */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage;
  /** Index (int32) of the first max/min along `axis`; result shape is `av.shape` with `axis` set to 1. */
  argReduce(op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage;
  /**
   * Longest axis {@link argReduce} handles in one pass, where the backend has a limit (WebGPU:
   * llvmpipe ends a shader's loops after 65,535 steps); longer axes are reduced in chunks.
   */
  readonly argReduceLength?: number;
  /**
   * Optional: the sizes a device caps. `storageBytes` is the largest storage (WebGPU
   * `maxBufferSize`); `bindingBytes` (at most that) the most one kernel binding covers
   * (`maxStorageBufferBindingSize`, 128 MiB on most devices). Every primitive works on storages up
   * to `storageBytes`, splitting itself past `bindingBytes`; composite ops keep the intermediates
   * they create under `bindingBytes` where they can (conv2d splits its batch). Absent: no limits.
   */
  readonly sizeLimits?: { readonly bindingBytes: number; readonly storageBytes: number };
  /**
   * Batched matrix product: `av` is `[...batch, M, K]`, `bv` is `[...batch, K, N]` with identical
   * batch dims (broadcast already applied through zero strides). Result `[...batch, M, N]`,
   * plus `bias` where given (added as the result is stored, so it costs no extra pass).
   * float dtypes only.
   */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage;
  /**
   * im2col: `xv` is `[B, C, H, W]`. Result `[B, C, kh·kw, Ho·Wo]` (contiguous) where
   * `Ho = floor((H + 2ph − dh(kh−1) − 1)/sh) + 1` (same for W); out-of-image taps read `padValue`.
   */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage;
  /**
   * col2im, the adjoint of {@link im2col} with `padValue` 0: `cv` is `[B, C, kh·kw, Ho·Wo]`;
   * result `[B, C, H, W]` where each pixel is the sum of every column entry that read it.
   */
  col2im(
    cols: Storage,
    cv: View,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage;
  /**
   * `out[i_0..i_{n-1}] = source[i_0.., index[i_0..i_{n-1}], ..]` with the index replacing position
   * `dim` (torch.gather). `index` (int32) has the output's shape; `source` has the same rank.
   * Indices outside `[0, source.shape[dim])` are an error: the cpu backend throws a RangeError
   * naming `opName`; the webgpu backend clamps, records the fault, and throws it at the next
   * `read`/`sync`.
   */
  gather(args: GatherArgs): Storage;
  /**
   * A copy of contiguous `base` (of `shape`) with `src[j]` added at `base[.., index[j], ..]`
   * (torch.scatter_add along `dim`). `index` and `src` share a shape. Float or int32. Range errors as in gather.
   */
  scatterAdd(args: ScatterAddArgs): Storage;
  /**
   * Optional: like {@link scatterAdd}, with `src[j]` combined into its position by `reduce`
   * (torch.scatter_reduce's step; the tensor layer builds sum, mean and include_self on it). Float,
   * int32, and bool for replace/amax/amin. Range errors as in gather. A backend without it refuses
   * scatter, scatterReduce and the index ops built on them.
   */
  scatterReduce?(args: ScatterReduceArgs): Storage;
  /** Writes `src` read through `sv` into `dst` through `dv` (same shape), in place. */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void;
  /**
   * Evaluates several elementwise expressions in one kernel (optimizer updates, fused loss
   * terms). `inputs` are contiguous storages of `dtype` (a float type) holding `size` elements
   * or exactly one (broadcast); at most {@link FUSED_LIMITS} inputs, outputs and params.
   * Returns one new contiguous storage of `size` elements per output expression.
   */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[];
  /**
   * Optional: the lazy engine's kernel. Evaluates the expressions `outputs` (over table ops, casts,
   * operands and params) for every element of the common shape in one kernel. Input `k` of an
   * expression is element-wise `operands[k]` read through its view (every view has the output's
   * shape, any strides, any dtype); `{ param: k }` is `params[k]`, read as its consumer's type.
   * Output `j` is stored contiguous, of `outDtypes[j]`, converted as a cast would. Programs within
   * {@link evaluateLimits} never fail for their size; their code is cached by structure and types, so
   * new shapes, strides and param values never compile again.
   */
  evaluate?(
    outputs: readonly Expr[],
    operands: readonly Operand[],
    outDtypes: readonly DType[],
    params: readonly number[],
  ): Storage[];
  /** The limits of {@link evaluate}; present exactly when it is. */
  readonly evaluateLimits?: EvaluateLimits;
  /**
   * Optional: starts recording a step for replay (lib/jit/compile.ts). Until
   * {@link endCapture}, every dispatch, copy and upload is also recorded, no buffer freed or
   * allocated is handed out again, and reads are refused. `args` are the step's argument storages.
   */
  beginCapture?(args: readonly Storage[]): void;
  /**
   * Ends the recording. `swaps` pair, for each tensor the step replaced, the storage it held
   * before the trace with the one it holds after: replays alternate between the commands as
   * recorded and with each pair exchanged (see {@link StepRecording.replay}). Throws, naming the
   * cause, when the step cannot be replayed (it read a storage from outside that it also freed,
   * as a tensor replaced instead of updated in place).
   */
  endCapture?(swaps?: readonly (readonly [Storage, Storage])[]): StepRecording;
  /** Optional: drops a recording in progress (the traced function threw). */
  abortCapture?(): void;
  /**
   * Optional, during a capture, for a storage from before the capture that the step replaced
   * (the step's end writes a parameter's new values back there): a live storage over its memory
   * if the step freed it, the storage itself if it is still alive, or null if the capture
   * allocated it (nothing to restore).
   */
  reviveStorage?(replaced: Storage): Storage | null;
  /**
   * Optional: a deferred assertion. If any element of the contiguous bool storage `flags` is
   * non-zero, a RangeError with message `describe(i)` (i = the first such element found) is raised:
   * synchronously on cpu, at the next readback on webgpu (no readback on the hot path, as with
   * gather's range faults). Backends without it skip the check.
   */
  assertNone?(flags: Storage, describe: (index: number) => string): void;
  /**
   * Optional: cross entropy with class indices, one row per sample ({@link CrossEntropyArgs}).
   * Returns `[loss, rowWeight]`, each `[rows]`: with y = target[n] and ε = `labelSmoothing`,
   * `loss[n] = (1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])` and `rowWeight[n] = w[y]`,
   * both 0 where y = `ignoreIndex`. Other indices outside `[0, classes)` are range errors as in gather.
   */
  crossEntropy?(args: CrossEntropyArgs): [Storage, Storage];
  /**
   * Optional: the gradient of {@link Backend.crossEntropy} w.r.t. `logits` given `gradRows` `[rows]`:
   * `g[n]·(softmax[c]·((1−ε)w[y] + ε·Σw/C) − (1−ε)w[y]·[c = y] − ε·w[c]/C)`, zero rows where ignored.
   */
  crossEntropyBackward?(args: CrossEntropyBackwardArgs): Storage;
  /**
   * Optional: a stable sort of `x` (read through `xv`; float32, int32, and float64 where stored)
   * along `axis`. Returns `values` (contiguous, `xv.shape`, x's dtype) and int32 `indices` (the
   * position along `axis` each value came from). NaN sorts as the largest value (last ascending,
   * first when `descending`); equal values keep their order in both directions, so the result is
   * the sort by (value, index) and every backend gives the same indices. The tensor layer (sort,
   * topk, median, …) needs it; a backend without it refuses those ops.
   */
  sort?(x: Storage, xv: View, axis: number, descending: boolean): { values: Storage; indices: Storage };
  /**
   * Optional: 2-D max pooling of contiguous float `x` `[N, C, H, W]` (`xv` its view) in one pass.
   * Returns `values` `[N, C, Ho, Wo]` (the max over each window's in-image taps, `Ho` as in
   * {@link Backend.im2col}) and int32 `indices` of the same shape: the flat `iy·W + ix` of that max
   * within its image plane (the first maximum wins; a NaN replaces the running max, as in PyTorch).
   */
  maxPool2d?(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage };
  /**
   * Optional: the gradient of {@link Backend.maxPool2d}: `gx[n, c, y, x] = Σ gy[n, c, oy, ox]` over
   * the windows whose `indices` entry is `y·W + x` (gather style). `gy`, `indices` contiguous
   * `[N, C, Ho, Wo]`; returns `[N, C, H, W]` = `imageShape`.
   */
  maxPool2dBackward?(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage;
  /**
   * Optional: softmax over the last dim of contiguous float `x` `[rows, cols]`, one pass per row:
   * with m the row's max (0 when ±Infinity), `exp(x − m) / Σ exp(x − m)`, or when `log`
   * `x − m − log Σ exp(x − m)`. Returns `[rows, cols]`.
   */
  softmax?(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * Optional: the gradient of {@link Backend.softmax} from its output `y` and `gy` (both `[rows, cols]`):
   * `y·(gy − Σ gy·y)`, or when `log` `gy − exp(y)·Σ gy` (sums over each row).
   */
  softmaxBackward?(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * Optional: layer norm over the last dim of contiguous float `x` `[rows, cols]`, one pass per row
   * ({@link LayerNormArgs}): `y = (x − mean)·rstd·w + b` with `rstd = 1/√(var + eps)` (biased
   * variance). Returns `y` `[rows, cols]` and `mean`, `rstd` `[rows]`.
   */
  layerNorm?(args: LayerNormArgs): LayerNormOutputs;
  /**
   * Optional: the gradients of {@link Backend.layerNorm} ({@link LayerNormBackwardArgs}); with
   * `x̂ = (x − mean)·rstd` and `g = gy·w`: `gx = rstd·(g − mean(g) − x̂·mean(g·x̂))` (means over a
   * row), and when `grads` asks for them `gw = Σ_rows gy·x̂`, `gb = Σ_rows gy` (each `[cols]`).
   */
  layerNormBackward?(args: LayerNormBackwardArgs): LayerNormGrads;
  /**
   * `size` random float32 (or float64 on cpu) values; see the stream definition above. In a
   * traced step, `seed` and `counter` are dynamic params 0 and 1 (lib/backend/capture.ts).
   */
  random(
    kind: RandomKind,
    size: number,
    seed: number,
    counter: number,
    dtype: DType,
  ): Storage;
}
