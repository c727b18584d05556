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

/** Element types. `float64` exists only on the cpu backend (for gradcheck). */
export type DType = "float32" | "float64" | "int32" | "bool";

/** Highest tensor rank any kernel must handle. */
export const MAX_RANK = 8;

/** How a kernel reads a storage; every field is in elements. */
export interface View {
  shape: readonly number[];
  strides: readonly number[];
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
 * Elementwise ops of one input. Params (in `params`) where noted:
 * - `copy`      identity; with a different `outDtype` it is a cast (float→int truncates toward zero,
 *               anything→bool is `x != 0`, bool→number is 0/1).
 * - `neg exp log log1p sqrt rsqrt abs sign sin cos tanh sigmoid relu erf floor ceil round
 *   reciprocal expm1 not(bool only) isnan isinf` — as in PyTorch (`round` is half-to-even).
 *   `isnan`/`isinf` output bool.
 * - `leakyRelu` params [negativeSlope]
 * - `geluErf`   x·Φ(x) with Φ from erf;  `geluTanh` 0.5x(1+tanh(√(2/π)(x+0.044715x³)))
 * - `softplus`  params [beta, threshold]: x if beta·x > threshold else log1p(exp(beta·x))/beta
 * - `clamp`     params [min, max] (either may be ±Infinity)
 */
export type UnaryOp =
  | "copy"
  | "neg"
  | "exp"
  | "log"
  | "log1p"
  | "expm1"
  | "sqrt"
  | "rsqrt"
  | "abs"
  | "sign"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "erf"
  | "floor"
  | "ceil"
  | "round"
  | "reciprocal"
  | "not"
  | "isnan"
  | "isinf"
  | "leakyRelu"
  | "geluErf"
  | "geluTanh"
  | "softplus"
  | "clamp";

/**
 * Elementwise ops of two inputs (same dtype). Comparisons (`eq ne lt le gt ge`) and
 * `and or xor` output bool; the rest output the input dtype. Integer `div` truncates
 * toward zero; `mod` is Python's (sign of the divisor), like torch.remainder.
 * `pow` of floats follows IEEE pow (negative base with non-integer exponent → NaN).
 */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "mod"
  | "atan2"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "and"
  | "or"
  | "xor";

/** Reductions. `sum`/`prod` of bool or int32 accumulate in int32. */
export type ReduceOp = "sum" | "max" | "min" | "prod";

/** Geometry of a 2-D sliding window (im2col / col2im). */
export interface WindowParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/**
 * One node of a fused elementwise program. Every value is a float of the program's dtype;
 * comparisons and logical ops give 1 or 0, and `where` tests `cond != 0`. Nodes may be shared
 * (the same object used twice is computed once).
 * - `{ input: k }`   element i of input k (or element 0 when that input has one element)
 * - `{ param: k }`   scalar k of the call's `params` (passed as a uniform, so changing values such
 *                    as a scheduled learning rate never recompiles)
 * - `{ const: v }`   a literal baked into the kernel
 */
export type FusedExpr =
  | { readonly input: number }
  | { readonly param: number }
  | { readonly const: number }
  | { readonly unary: UnaryOp; readonly a: FusedExpr; readonly params?: readonly number[] }
  | { readonly binary: BinaryOp; readonly a: FusedExpr; readonly b: FusedExpr }
  | { readonly where: FusedExpr; readonly a: FusedExpr; readonly b: FusedExpr };

/** Limits every backend accepts for {@link Backend.fused}. */
export const FUSED_LIMITS = { inputs: 6, outputs: 4, params: 16 } as const;

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
  /** `"cpu"` or `"webgpu"`. */
  readonly name: "cpu" | "webgpu";
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

  /** Elementwise op of `a` read through `av`; result has `av.shape`, contiguous. */
  unary(
    op: UnaryOp,
    a: Storage,
    av: View,
    outDtype: DType,
    params?: readonly number[],
  ): Storage;
  /** Elementwise op; `av` and `bv` are already broadcast to the same shape (the output's). */
  binary(op: BinaryOp, a: Storage, av: View, b: Storage, bv: View): Storage;
  /** `cond ? a : b`; `cond` is bool; all three views share the output shape; a and b share a dtype. */
  where(
    cond: Storage,
    cv: View,
    a: Storage,
    av: View,
    b: Storage,
    bv: View,
  ): Storage;
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
   * `out[i_0..i_{n-1}] = a[i_0.., idx[i_0..i_{n-1}], ..]` with the index replacing position
   * `dim` (torch.gather). `iv` (int32) has the output's shape; `av` has the same rank.
   * Indices outside `[0, av.shape[dim])` are an error: the cpu backend throws a RangeError
   * naming `opName`; the webgpu backend clamps, records the fault, and throws it at the next
   * `read`/`sync`.
   */
  gather(
    a: Storage,
    av: View,
    dim: number,
    idx: Storage,
    iv: View,
    opName: string,
  ): Storage;
  /**
   * A copy of contiguous `base` (of `shape`) with `src[j]` added at `base[.., idx[j], ..]`
   * (torch.scatter_add along `dim`). `iv` and `sv` share a shape. Float or int32. Range errors as in gather.
   */
  scatterAdd(
    base: Storage,
    shape: readonly number[],
    dim: number,
    idx: Storage,
    iv: View,
    src: Storage,
    sv: View,
    opName: string,
  ): Storage;
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
   * Optional: a deferred assertion. If any element of the contiguous bool storage `flags` is
   * non-zero, a RangeError with message `describe(i)` (i = the first such element found) is raised:
   * synchronously on cpu, at the next readback on webgpu (no readback on the hot path, as with
   * gather's range faults). Backends without it skip the check.
   */
  assertNone?(flags: Storage, describe: (index: number) => string): void;
  /**
   * Optional: cross entropy with class indices, one row per sample. `logits` is contiguous
   * `[rows, classes]` (float), `target` contiguous int32 `[rows]`, `weight` contiguous `[classes]` or
   * null. Returns `[loss, rowWeight]`, each `[rows]`: with y = target[n] and ε = `labelSmoothing`,
   * `loss[n] = (1−ε)·w[y]·(lse − x[y]) + (ε/C)·Σ_c w[c]·(lse − x[c])` and `rowWeight[n] = w[y]`,
   * both 0 where y = `ignoreIndex`. Other indices outside `[0, classes)` are range errors as in gather.
   */
  crossEntropy?(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): [Storage, Storage];
  /**
   * Optional: the gradient of {@link Backend.crossEntropy} w.r.t. `logits` given `gradRows` `[rows]`:
   * `g[n]·(softmax[c]·((1−ε)w[y] + ε·Σw/C) − (1−ε)w[y]·[c = y] − ε·w[c]/C)`, zero rows where ignored.
   */
  crossEntropyBackward?(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    gradRows: Storage,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): Storage;
  /**
   * Optional: softmax over the last dim of contiguous float `x` `[rows, cols]`, one pass per row:
   * with m the row's max (0 when ±Infinity), `exp(x − m) / Σ exp(x − m)`, or when `log`
   * `x − m − log Σ exp(x − m)`. Returns `[rows, cols]`.
   */
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
  softmax?(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * Optional: the gradient of {@link Backend.softmax} from its output `y` and `gy` (both `[rows, cols]`):
   * `y·(gy − Σ gy·y)`, or when `log` `gy − exp(y)·Σ gy` (sums over each row).
   */
  softmaxBackward?(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * Optional: layer norm over the last dim of contiguous float `x` `[rows, cols]`, one pass per row:
   * `y = (x − mean)·rstd·w + b` with `rstd = 1/√(var + eps)` (biased variance); `weight`/`bias`
   * are `[cols]` or null (1 and 0). Returns `y` `[rows, cols]` and `mean`, `rstd` `[rows]`.
   */
  layerNorm?(
    x: Storage,
    weight: Storage | null,
    bias: Storage | null,
    rows: number,
    cols: number,
    eps: number,
  ): { y: Storage; mean: Storage; rstd: Storage };
  /**
   * Optional: the gradients of {@link Backend.layerNorm} given `gy` `[rows, cols]`; with
   * `x̂ = (x − mean)·rstd` and `g = gy·w`: `gx = rstd·(g − mean(g) − x̂·mean(g·x̂))` (means over a
   * row), and when `grads` asks for them `gw = Σ_rows gy·x̂`, `gb = Σ_rows gy` (each `[cols]`).
   */
  layerNormBackward?(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    gy: Storage,
    rows: number,
    cols: number,
    grads: { weight: boolean; bias: boolean },
  ): { gx: Storage; gw: Storage | null; gb: Storage | null };
  /** `size` random float32 (or float64 on cpu) values; see the stream definition above. */
  random(
    kind: RandomKind,
    size: number,
    seed: number,
    counter: number,
    dtype: DType,
  ): Storage;
}
