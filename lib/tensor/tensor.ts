/**
 * The Tensor: a typed, strided view of backend storage plus its autograd node.
 * Operations live in `ops_*.ts`; the methods here only delegate to them.
 * @module
 */
import type { Backend, DType, HostArray, Storage, View } from "../backend/backend.ts";
import { contiguousStrides, isContiguous, numel } from "../backend/_view.ts";
import type { GradFn } from "./tape.ts";
import { Pending, StorageRef } from "./lazy.ts";
import { isTracing, noteAssignment } from "../backend/capture.ts";
import { type PendingRead, readLater } from "./readback.ts";
import { backendFor, type Device } from "./device.ts";
import { track, untrack } from "./scope.ts";
import * as E from "./ops_elementwise.ts";
import * as R from "./ops_reduce.ts";
import * as M from "./ops_movement.ts";
import * as L from "./ops_linalg.ts";
import * as I from "./ops_index.ts";
import { backward as runBackward, type BackwardOptions } from "../autograd/backward.ts";
import { type FormatOptions, formatTensor, tensorMimeBundle } from "./format.ts";
import type { ELEMENTWISE } from "../ops/table.ts";
import type { GradTensor } from "../ops/entry.ts";

// Backstop for tensors dropped without dispose(): their storage (or a pending chain's hold on its
// operands) returns to the pool when the garbage collector notices. tidy()/dispose() make it deterministic.
const finalizer = new FinalizationRegistry<{ release(): void }>((held) => held.release());

/** Row-major strides of frozen shapes (a chain's tensors share their shape array and these). */
const contiguousOf = new WeakMap<readonly number[], readonly number[]>();

/** A number or a tensor: scalars are accepted wherever a tensor operand is. */
export type TensorLike = Tensor | number | boolean;

/** Nested arrays of numbers as `toArray()` returns them. */
export type NestedArray = number | boolean | NestedArray[];

/** Options of reductions over dims. */
export interface ReduceOptions {
  /** Keep reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * An n-dimensional array on a device, optionally recording operations for autograd.
 * Create tensors with `tensor`, `zeros`, `randn`, …; read values with `await t.data()`.
 */
export class Tensor {
  /** Marks tensors for duck-typed checks across module copies. */
  readonly __isTensor = true;
  /** Size of each dimension. */
  readonly shape: readonly number[];
  /** Element step of each dimension in the storage (0 where broadcast). */
  readonly strides: readonly number[];
  /** Element offset of the first element in the storage. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
  /** Device holding the storage. */
  readonly device: Device;
  /** Whether gradients flow to (and accumulate in) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient after `backward()`, for leaves that require grad. */
  grad: Tensor | null = null;
  /** The recorded operation that produced this tensor, if any. */
  gradFn: GradFn | null = null;
  /** Keep `.grad` on this non-leaf tensor during backward (see retainGrad). */
  retainsGrad = false;
  #ref: StorageRef | null = null;
  /** The expression this tensor will hold once realized (lib/tensor/lazy.ts); null once it has a storage. */
  #pending: Pending | null = null;

  /**
   * Internal: wrap `storage` (takes ownership), share `base`'s storage as a view, or hold a
   * pending chain of the lazy engine (contiguous `layout`).
   */
  constructor(
    source: Storage | Tensor | Pending,
    layout: View,
    dtype: DType,
    device: Device,
  ) {
    if (source instanceof Tensor) {
      const ref = source.#live("view");
      ref.refs++;
      this.#ref = ref;
    } else if (source instanceof Pending) {
      this.#pending = source;
    } else {
      this.#ref = new StorageRef(source, backendFor(device));
    }
    // frozen arrays are shared as they are (an op's output takes its input's shape without a copy)
    this.shape = Object.isFrozen(layout.shape) ? layout.shape : Object.freeze([...layout.shape]);
    this.strides = Object.isFrozen(layout.strides) ? layout.strides : Object.freeze([...layout.strides]);
    this.offset = layout.offset;
    this.dtype = dtype;
    this.device = device;
    finalizer.register(this, this.#ref ?? this.#pending!, this);
    track(this);
  }

  /** Internal (lazy engine): a contiguous tensor of `shape` that holds `chain` until realized. */
  static fromPending(chain: Pending, shape: readonly number[], dtype: DType, device: Device): Tensor {
    const frozen = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    let strides = contiguousOf.get(frozen);
    if (!strides) contiguousOf.set(frozen, strides = Object.freeze(contiguousStrides(frozen)));
    return new Tensor(chain, { shape: frozen, strides, offset: 0 }, dtype, device);
  }

  /** Wraps a fresh contiguous storage of `shape`. */
  static fromStorage(storage: Storage, shape: readonly number[], dtype: DType, device: Device): Tensor {
    return new Tensor(storage, { shape, strides: contiguousStrides(shape), offset: 0 }, dtype, device);
  }

  #live(op: string): StorageRef {
    if (this.#ref !== null) return this.#ref;
    if (this.#pending !== null) return this.#realize();
    throw new Error(
      `${op}: tensor of shape [${this.shape}] (${this.dtype}) was disposed and cannot be used again; ` +
        "keep it out of tidy() or call keep() on it",
    );
  }

  /** Runs the pending chain: from here on this tensor holds a storage like any other. */
  #realize(): StorageRef {
    const chain = this.#pending!;
    const ref = new StorageRef(chain.take(), chain.backend);
    this.#pending = null;
    this.#ref = ref;
    finalizer.unregister(this);
    finalizer.register(this, ref, this);
    return ref;
  }

  /**
   * Internal (lazy engine): the pending chain, or null when this tensor holds a storage.
   * @internal
   */
  pendingChain(): Pending | null {
    // a chain an in-place write computed early (flushReaders) is a storage now
    if (this.#pending?.computed) this.#realize();
    return this.#pending;
  }

  /**
   * How many times this tensor's storage was written in place (PyTorch's `_version`); shared by
   * its views. Backward refuses a gradient whose saved inputs changed since they were recorded.
   */
  get version(): number {
    return this.#ref?.version ?? 0;
  }

  /**
   * Internal (lazy engine): a new hold on this tensor's storage, realizing it first; the caller releases it.
   * @internal
   */
  holdStorage(op: string): StorageRef {
    const ref = this.#live(op);
    ref.refs++;
    return ref;
  }

  /**
   * Internal (lazy engine): how this tensor is read when broadcast to `shape`.
   * @internal
   */
  viewAs(shape: readonly number[]): View {
    return E.broadcastView(this, shape);
  }

  /**
   * Computes this tensor now if it is pending (see {@link isPending}); returns it. Reads and
   * non-elementwise ops do this on demand, so this is only needed to control when the work is
   * queued (before a timing, or to keep a value computed once that several chains read).
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const y = tensor([1, 2]).mul(3).add(1);
   * assert.equal(y.realize().isPending, false);
   * ```
   */
  realize(): this {
    if (this.#pending !== null) this.#realize();
    return this;
  }

  /** Whether this tensor still waits to be computed (lazy engine): reading it or using it in a non-elementwise op computes it. */
  get isPending(): boolean {
    return this.pendingChain() !== null;
  }

  /**
   * Internal: the storage, checked to be alive; `op` names the caller in errors.
   * @internal
   */
  storage(op: string): Storage {
    return this.#live(op).storage;
  }

  /**
   * Internal: the backend of this tensor's device.
   * @internal
   */
  get backend(): Backend {
    return backendFor(this.device);
  }

  /** How kernels read this tensor. */
  get layout(): View {
    return { shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** Whether the elements are laid out row-major without gaps. */
  get isContiguous(): boolean {
    return isContiguous(this.layout);
  }

  /** Internal: whether this tensor reads its whole storage, row-major from offset 0 (kernels may take it as is). */
  get isDense(): boolean {
    if (this.#pending !== null) return true;
    return this.isContiguous && this.offset === 0 && this.size === this.storage("isDense").size;
  }

  /** Whether `dispose()` has been called (or the tensor was released by `tidy`). */
  get isDisposed(): boolean {
    return this.#ref === null && this.#pending === null;
  }

  /** Whether this tensor was created by the user rather than by a recorded operation. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Number of dimensions (torch's `dim()`). */
  dim(): number {
    return this.shape.length;
  }

  /** Releases this tensor's hold on device memory now. Idempotent. */
  dispose(): void {
    const held = this.#ref ?? this.#pending;
    if (held === null) return;
    finalizer.unregister(this);
    untrack(this);
    this.#ref = null;
    this.#pending = null;
    this.gradFn = null;
    held.release();
  }

  /** `using t = …` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Internal, for optimizers and in-place updates: make this tensor hold `src`'s storage
   * (same shape), keeping its identity, `grad` and `requiresGrad`.
   */
  assignStorage(src: Tensor): void {
    if (src.device !== this.device || src.dtype !== this.dtype || src.shape.join() !== this.shape.join()) {
      throw new TypeError(
        `assign: expected ${this.dtype} [${this.shape}] on ${this.device}, got ${src.dtype} [${src.shape}] on ${src.device}`,
      );
    }
    const c = src.isDense ? src : E.unaryRaw("copy", src);
    const ref = c.#live("assign");
    ref.refs++;
    const old = this.#live("assign");
    // a traced step (compile) alternates between this first storage and the new one (see lib/jit)
    if (isTracing()) noteAssignment(this, { ref: old, layout: this.layout });
    this.#ref = ref;
    finalizer.unregister(this);
    finalizer.register(this, ref, this);
    (this as { strides: readonly number[] }).strides = Object.freeze(contiguousStrides(this.shape));
    (this as { offset: number }).offset = 0;
    old.release();
    if (c !== src) c.dispose();
  }

  /**
   * Internal (compile): make this tensor hold `ref`'s storage again (a storage it held before a
   * traced step replaced it; see lib/jit/compile.ts), contiguous.
   * @internal
   */
  restoreStorage(ref: StorageRef): void {
    ref.refs++;
    const old = this.#live("compile");
    this.#ref = ref;
    finalizer.unregister(this);
    finalizer.register(this, ref, this);
    (this as { strides: readonly number[] }).strides = Object.freeze(contiguousStrides(this.shape));
    (this as { offset: number }).offset = 0;
    old.release();
  }

  /**
   * Starts a read now and lets the caller await it later (see lib/tensor/readback.ts): reads
   * started before the wait begins share one device wait, so a loop can read every step's loss
   * without paying the readback floor each step.
   */
  readLater(): PendingRead {
    return readLater(this);
  }

  /** Copies the values to the host as a flat, row-major typed array. */
  async data(): Promise<HostArray> {
    this.#live("data");
    if (this.isDense) return await this.backend.read(this.storage("data"));
    // a copy of just this view (contiguous() may return a view that starts at an offset)
    const c = E.unaryRaw("copy", this);
    try {
      return await c.backend.read(c.storage("data"));
    } finally {
      c.dispose();
    }
  }

  /** Copies the values to the host as nested arrays (booleans for bool tensors). */
  async toArray(): Promise<NestedArray> {
    const flat = await this.data();
    const isBool = this.dtype === "bool";
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.shape.length) return isBool ? flat[start] !== 0 : flat[start];
      const step = numel(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, start + i * step));
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new RangeError(
        `item: tensor of shape [${this.shape}] has ${this.size} elements; item() needs exactly one`,
      );
    }
    return (await this.data())[0];
  }

  /** Copy on `device` (a no-op when already there). Reading back from webgpu is async: see `toDevice`. */
  to(device: Device): Tensor {
    if (device === this.device) return this;
    if (this.device === "webgpu") {
      throw new Error(
        'to("cpu"): moving off webgpu needs a readback, which is asynchronous; use `await t.toDevice("cpu")`',
      );
    }
    return M.toDeviceSync(this, device);
  }

  /** Copy on `device`, awaiting the readback when leaving webgpu. */
  toDevice(device: Device): Promise<Tensor> {
    return M.toDevice(this, device);
  }

  /** A tensor sharing this storage with no autograd history. */
  detach(): Tensor {
    return new Tensor(this, this.layout, this.dtype, this.device);
  }

  /** Sets `requiresGrad` in place and returns this tensor (like `requires_grad_`). */
  requiresGrad_(on = true): this {
    if (on && this.dtype !== "float32" && this.dtype !== "float64") {
      throw new TypeError(
        `requiresGrad: only float tensors can require gradients, got a ${this.dtype} tensor of shape [${this.shape}]`,
      );
    }
    this.requiresGrad = on;
    return this;
  }

  /** Keeps `.grad` for this non-leaf tensor during backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad and
   * accumulates them into `.grad`. A non-scalar output needs `gradient` of its shape.
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    runBackward([this], gradient ? [gradient] : undefined, options);
  }

  /** Short description; values need `await t.data()`. */
  toString(): string {
    const flags = this.requiresGrad ? ", requiresGrad" : "";
    return `Tensor(shape=[${this.shape}], dtype=${this.dtype}, device=${this.device}${flags})`;
  }

  /** What `console.log` and Deno's inspector print: the short description ({@link toString}). */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /**
   * The values as PyTorch prints them, e.g. `tensor([[0.1234, 1.0000],\n        [2.5000, 3.0000]],
   * requiresGrad=true)`: 4 decimals, scientific when needed, `...` beyond 1000 elements (see
   * `lib/tensor/format.ts`). Async because the values may live on the GPU.
   */
  format(options: FormatOptions = {}): Promise<string> {
    return formatTensor(this, options);
  }

  /** Writes `await this.format(options)` to the console (stdout). */
  async print(options: FormatOptions = {}): Promise<void> {
    console.log(await this.format(options));
  }

  /** Deno's Jupyter kernel awaits this: the PyTorch-style text plus an HTML table for ≤ 2-D. */
  [Symbol.for("Jupyter.display")](): Promise<Record<string, string>> {
    return tensorMimeBundle(this).catch((err) => ({ "text/plain": `${this.toString()} (${err.message})` }));
  }

  // ---- elementwise -------------------------------------------------------------------
  /** `this + other` (broadcasting). */
  add(other: TensorLike): Tensor {
    return E.add(this, other);
  }
  /** `this - other` (broadcasting). */
  sub(other: TensorLike): Tensor {
    return E.sub(this, other);
  }
  /** `this * other` (broadcasting). */
  mul(other: TensorLike): Tensor {
    return E.mul(this, other);
  }
  /** `this / other` (true division; ints promote to float32). */
  div(other: TensorLike): Tensor {
    return E.div(this, other);
  }
  /** `this ** exponent`. */
  pow(exponent: TensorLike): Tensor {
    return E.elementwise("pow", [this, exponent]);
  }
  /** Elementwise maximum. */
  maximum(other: TensorLike): Tensor {
    return E.elementwise("maximum", [this, other]);
  }
  /** Elementwise minimum. */
  minimum(other: TensorLike): Tensor {
    return E.elementwise("minimum", [this, other]);
  }
  /** Python-style remainder (sign of the divisor). */
  remainder(other: TensorLike): Tensor {
    return E.elementwise("mod", [this, other]);
  }
  /** `this == other` as bool. */
  eq(other: TensorLike): Tensor {
    return E.elementwise("eq", [this, other]);
  }
  /** `this != other` as bool. */
  ne(other: TensorLike): Tensor {
    return E.elementwise("ne", [this, other]);
  }
  /** `this < other` as bool. */
  lt(other: TensorLike): Tensor {
    return E.elementwise("lt", [this, other]);
  }
  /** `this <= other` as bool. */
  le(other: TensorLike): Tensor {
    return E.elementwise("le", [this, other]);
  }
  /** `this > other` as bool. */
  gt(other: TensorLike): Tensor {
    return E.elementwise("gt", [this, other]);
  }
  /** `this >= other` as bool. */
  ge(other: TensorLike): Tensor {
    return E.elementwise("ge", [this, other]);
  }
  /** Logical and of bool tensors. */
  logicalAnd(other: TensorLike): Tensor {
    return E.elementwise("and", [this, other]);
  }
  /** Logical or of bool tensors. */
  logicalOr(other: TensorLike): Tensor {
    return E.elementwise("or", [this, other]);
  }
  /** Logical xor of bool tensors. */
  logicalXor(other: TensorLike): Tensor {
    return E.elementwise("xor", [this, other]);
  }
  /** Logical not. */
  logicalNot(): Tensor {
    return E.elementwise("not", [this]);
  }
  /** `-this`. */
  neg(): Tensor {
    return E.neg(this);
  }
  /** e^x. */
  exp(): Tensor {
    return E.elementwise("exp", [this]);
  }
  /** Natural logarithm. */
  log(): Tensor {
    return E.elementwise("log", [this]);
  }
  /** log(1 + x), accurate near 0. */
  log1p(): Tensor {
    return E.elementwise("log1p", [this]);
  }
  /** e^x − 1, accurate near 0. */
  expm1(): Tensor {
    return E.elementwise("expm1", [this]);
  }
  /** Square root. */
  sqrt(): Tensor {
    return E.elementwise("sqrt", [this]);
  }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor {
    return E.elementwise("rsqrt", [this]);
  }
  /** x². */
  square(): Tensor {
    return E.mul(this, this);
  }
  /** 1 / x. */
  reciprocal(): Tensor {
    return E.elementwise("reciprocal", [this]);
  }
  /** |x|. */
  abs(): Tensor {
    return E.elementwise("abs", [this]);
  }
  /** −1, 0 or 1. */
  sign(): Tensor {
    return E.elementwise("sign", [this]);
  }
  /** Sine. */
  sin(): Tensor {
    return E.elementwise("sin", [this]);
  }
  /** Cosine. */
  cos(): Tensor {
    return E.elementwise("cos", [this]);
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return E.elementwise("tanh", [this]);
  }
  /** 1 / (1 + e^−x). */
  sigmoid(): Tensor {
    return E.elementwise("sigmoid", [this]);
  }
  /** x·sigmoid(x) (SiLU, swish). */
  silu(): Tensor {
    return E.elementwise("silu", [this]);
  }
  /** max(x, 0). */
  relu(): Tensor {
    return E.elementwise("relu", [this]);
  }
  /** x for x > 0, negativeSlope·x otherwise. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    return E.leakyRelu(this, negativeSlope);
  }
  /** Gaussian error linear unit; `approximate: "tanh"` for the tanh form. */
  gelu(options: { approximate?: "none" | "tanh" } = {}): Tensor {
    return E.gelu(this, options);
  }
  /** log(1 + e^(βx))/β, linear above `threshold`. */
  softplus(options: { beta?: number; threshold?: number } = {}): Tensor {
    return E.softplus(this, options);
  }
  /** Error function. */
  erf(): Tensor {
    return E.elementwise("erf", [this]);
  }
  /** Limits values to [min, max] (either may be omitted). */
  clamp(min?: number | null, max?: number | null): Tensor {
    return E.clamp(this, min, max);
  }
  /** Rounds down. */
  floor(): Tensor {
    return E.elementwise("floor", [this]);
  }
  /** Rounds up. */
  ceil(): Tensor {
    return E.elementwise("ceil", [this]);
  }
  /** Rounds half to even. */
  round(): Tensor {
    return E.elementwise("round", [this]);
  }
  /** Whether each element is NaN. */
  isnan(): Tensor {
    return E.elementwise("isnan", [this]);
  }
  /** Whether each element is ±Infinity. */
  isinf(): Tensor {
    return E.elementwise("isinf", [this]);
  }
  /** Converts to `dtype` (a copy, differentiable between float types). */
  cast(dtype: DType): Tensor {
    return E.cast(this, dtype);
  }
  /** Same as `cast`. */
  toDType(dtype: DType): Tensor {
    return E.cast(this, dtype);
  }
  /** Cast to float32. */
  float(): Tensor {
    return E.cast(this, "float32");
  }
  /** Cast to float64 (cpu only). */
  double(): Tensor {
    return E.cast(this, "float64");
  }
  /** Cast to int32. */
  int(): Tensor {
    return E.cast(this, "int32");
  }
  /** Cast to bool. */
  bool(): Tensor {
    return E.cast(this, "bool");
  }

  // ---- reductions --------------------------------------------------------------------
  /** Sum over `dim` (all dims when omitted). */
  sum(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.sum(this, dim, options);
  }
  /** Mean over `dim`. */
  mean(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.mean(this, dim, options);
  }
  /** Product over `dim`. */
  prod(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.prod(this, dim, options);
  }
  /** Maximum over `dim` (all when omitted); ties share the gradient. */
  max(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.amax(this, dim, options);
  }
  /** Minimum over `dim`. */
  min(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.amin(this, dim, options);
  }
  /** Maximum and its index along one dim (torch.max(x, dim)). */
  maxWithIndices(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor } {
    return R.maxWithIndices(this, dim, options);
  }
  /** Minimum and its index along one dim. */
  minWithIndices(dim: number, options?: ReduceOptions): { values: Tensor; indices: Tensor } {
    return R.minWithIndices(this, dim, options);
  }
  /** Index of the maximum along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number, options?: ReduceOptions): Tensor {
    return R.argReduce("argmax", this, dim, options);
  }
  /** Index of the minimum along `dim`. */
  argmin(dim?: number, options?: ReduceOptions): Tensor {
    return R.argReduce("argmin", this, dim, options);
  }
  /** Variance with Bessel's correction by default (`correction: 1`). */
  var(dim?: number | number[], options?: ReduceOptions & { correction?: number }): Tensor {
    return R.variance(this, dim, options);
  }
  /** Standard deviation. */
  std(dim?: number | number[], options?: ReduceOptions & { correction?: number }): Tensor {
    return R.std(this, dim, options);
  }
  /** log Σ exp(x), computed stably. */
  logsumexp(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.logsumexp(this, dim, options);
  }
  /** p-norm over `dim` (all elements when omitted). */
  norm(p: number = 2, dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.norm(this, p, dim, options);
  }
  /** Whether every element is non-zero (bool tensor). */
  all(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.all(this, dim, options);
  }
  /** Whether any element is non-zero (bool tensor). */
  any(dim?: number | number[], options?: ReduceOptions): Tensor {
    return R.any(this, dim, options);
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return R.softmax(this, dim);
  }
  /** log(softmax(x)) along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    return R.logSoftmax(this, dim);
  }

  // ---- movement (views where possible) ----------------------------------------------
  /** Same data with a new shape (one dim may be −1); copies only when it must. */
  reshape(shape: readonly number[]): Tensor {
    return M.reshape(this, shape);
  }
  /** Same data with a new shape; never copies (throws when the strides do not allow it). */
  view(shape: readonly number[]): Tensor {
    return M.view(this, shape);
  }
  /** Swaps two dims. */
  transpose(dim0: number, dim1: number): Tensor {
    return M.transpose(this, dim0, dim1);
  }
  /** Transpose of a 2-D tensor. */
  get T(): Tensor {
    return M.transpose(this, 0, 1);
  }
  /** Reorders dims. */
  permute(dims: readonly number[]): Tensor {
    return M.permute(this, dims);
  }
  /** Broadcasts size-1 dims to `shape` (−1 keeps a dim) without copying. */
  expand(shape: readonly number[]): Tensor {
    return M.expand(this, shape);
  }
  /** Broadcasts to `other`'s shape. */
  expandAs(other: Tensor): Tensor {
    return M.expand(this, other.shape);
  }
  /** Removes size-1 dims (all, or the given ones). */
  squeeze(dim?: number | number[]): Tensor {
    return M.squeeze(this, dim);
  }
  /** Inserts a size-1 dim at `dim`. */
  unsqueeze(dim: number): Tensor {
    return M.unsqueeze(this, dim);
  }
  /** Flattens dims `startDim..endDim` into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return M.flatten(this, startDim, endDim);
  }
  /** A row-major copy, or this tensor's storage shared when already contiguous. */
  contiguous(): Tensor {
    return M.contiguous(this);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return M.clone(this);
  }
  /** Elements `start..end` (exclusive) with `step` along `dim`, as a view. */
  narrow(dim: number, start: number, length: number): Tensor {
    const n = this.shape[R.normalizeDim("narrow", dim, this.ndim)];
    const s = start < 0 ? start + n : start;
    if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
      throw new RangeError(`narrow: start ${start} and length ${length} do not fit dim ${dim} of size ${n}`);
    }
    return M.slice(this, dim, start, start + length, 1);
  }
  /** Python-style slicing: one `[start, end, step]` (or index number, or null for all) per dim. */
  slice(...ranges: M.SliceSpec[]): Tensor {
    return M.sliceMany(this, ranges);
  }
  /** Element `index` along `dim`, removing that dim (a view). */
  select(dim: number, index: number): Tensor {
    return M.select(this, dim, index);
  }
  /** Splits into chunks of `size` along `dim` (views). */
  split(size: number | number[], dim = 0): Tensor[] {
    return M.split(this, size, dim);
  }
  /** Splits into `chunks` nearly equal views along `dim`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return M.chunk(this, chunks, dim);
  }
  /** Repeats the tensor along each dim. */
  repeat(repeats: readonly number[]): Tensor {
    return M.repeat(this, repeats);
  }

  // ---- linear algebra and indexing -------------------------------------------------
  /** Matrix product with torch's 1-D and batch-broadcasting rules. */
  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }
  /** Values at `index` along `dim` (torch.gather). */
  gather(dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  }
  /** Copy with `src` added at `index` along `dim` (torch.scatter_add). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, src);
  }
  /** Rows (or slices along `dim`) picked by a 1-D int32 `index`. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  }
  /** `cond ? this : other`. */
  where(cond: Tensor, other: TensorLike): Tensor {
    return E.where(cond, this, other);
  }
  /** Fills where `mask` is true with `value`. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return E.where(mask, value, this);
  }
}

// The op table names the Tensor method of each public op, and its gradient rules are written
// against GradTensor: both checks fail to compile when Tensor lacks what the table relies on.
type TableMethods = NonNullable<(typeof ELEMENTWISE)[keyof typeof ELEMENTWISE]["method"]>;
const _everyTableMethodExists: TableMethods extends keyof Tensor ? true : never = true;
const _tensorFitsGradRules: Tensor extends GradTensor ? true : never = true;
