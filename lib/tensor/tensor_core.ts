/**
 * The storage half of {@link Tensor}: ownership of backend storage (views, pending chains of the
 * lazy engine, disposal), reading values back, and the autograd node. tensor.ts adds the op
 * methods; only tensor.ts imports this file (its class must be defined before `Tensor` extends it).
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
import * as M from "./ops_movement.ts";
import {
  backward as runBackward,
  type BackwardOptions,
  type GradHook,
  registerGradHook,
} from "../autograd/backward.ts";
import { type FormatOptions, formatTensor, tensorMimeBundle } from "./format.ts";
import { Tensor } from "./tensor.ts";

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
 * The storage half of every {@link Tensor} (all tensors are `Tensor`s; this class is never made
 * on its own): shape, dtype, device, storage or pending chain, reading values, the autograd node.
 */
export class TensorCore {
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
    track(this.#self);
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

  /** This object as the `Tensor` it always is (tensor.ts's class is the only subclass, and nothing makes a bare core). */
  get #self(): Tensor {
    return this as unknown as Tensor;
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
    return E.broadcastView(this.#self, shape);
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
    untrack(this.#self);
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
    return readLater(this.#self);
  }

  /** Copies the values to the host as a flat, row-major typed array. */
  async data(): Promise<HostArray> {
    this.#live("data");
    if (this.isDense) return await this.backend.read(this.storage("data"));
    // a copy of just this view (contiguous() may return a view that starts at an offset)
    const c = E.unaryRaw("copy", this.#self);
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
    if (device === this.device) return this.#self;
    if (this.device === "webgpu") {
      throw new Error(
        'to("cpu"): moving off webgpu needs a readback, which is asynchronous; use `await t.toDevice("cpu")`',
      );
    }
    return M.toDeviceSync(this.#self, device);
  }

  /** Copy on `device`, awaiting the readback when leaving webgpu. */
  toDevice(device: Device): Promise<Tensor> {
    return M.toDevice(this.#self, device);
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

  /**
   * Registers `hook(grad)` on this tensor's gradient (PyTorch's `register_hook`): it runs each time
   * backward has this tensor's total gradient, before a leaf accumulates it into `.grad`; a tensor
   * it returns replaces the gradient. Returns a handle whose `remove()` unregisters the hook.
   *
   * @example
   * ```ts
   * import { tensor } from "denograd";
   * import assert from "node:assert/strict";
   * const x = tensor([1, 2], { requiresGrad: true });
   * const handle = x.registerHook((g) => g.mul(10));
   * x.mul(3).sum().backward();
   * assert.deepEqual(await x.grad!.toArray(), [30, 30]);
   * handle.remove();
   * ```
   */
  registerHook(hook: GradHook): { remove(): void } {
    return registerGradHook(this.#self, hook);
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
    runBackward([this.#self], gradient ? [gradient] : undefined, options);
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
}
