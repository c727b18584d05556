/**
 * The cpu backend, made for speed: the device `"cpu"`. Storages live in one shared WebAssembly
 * memory ({@link Heap}), pooled by size class; float32 stays float32. An elementwise chain runs as
 * one generated kernel (evaluate.ts): WebAssembly SIMD split over the threads for dense float32
 * chains of the ops it covers (wasm/elementwise.ts), a JavaScript loop otherwise. Matrix products
 * run as WebAssembly SIMD split over every core, or through an optimised BLAS where `--allow-ffi` is granted (gemm.ts), and the
 * convolution, normalisation and reduction primitives have float32 kernels beside this file.
 * float64 (for gradcheck), and the rare paths without a fast kernel, run the reference kernels
 * (`lib/backend/reference`) over the same memory, so every primitive of the contract exists here.
 * Every op completes before it returns; `read` resolves at once.
 * @module
 */
import type {
  Backend,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  DType,
  EvaluateLimits,
  FusedExpr,
  GatherArgs,
  HostArray,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormGrads,
  LayerNormOutputs,
  MatmulBias,
  MemoryStats,
  Operand,
  RandomKind,
  ReduceOp,
  ScatterAddArgs,
  ScatterReduceArgs,
  Storage,
  View,
  WindowParams,
} from "../backend.ts";
import { scatterReduce } from "../reference/scatter.ts";
import type { Expr } from "../../ops/expr.ts";
import { checkViewBounds } from "../_view.ts";
import { DTYPE_BYTES } from "../dtype.ts";
import { Heap } from "./heap.ts";
import { cpuThreads } from "./threads.ts";
import { setBlasThreads } from "./blas.ts";
import { type CpuContext, CpuStorage } from "./context.ts";
import { CPU_EVALUATE_LIMITS, evaluate } from "./evaluate.ts";
import { matmul } from "./matmul.ts";
import { copyInto } from "./copy.ts";
import * as window from "./window.ts";
import * as pool from "./pool2d.ts";
import * as reduction from "./reduce.ts";
import * as norm from "./norm.ts";
import * as ce from "./cross_entropy.ts";
import { sort } from "./sort.ts";
import type { ReferenceContext, ReferenceStorage } from "../reference/storage.ts";
import * as ref from "../reference/kernels.ts";
import { boolOf } from "../reference/storage.ts";

const EMPTY_PARAMS: readonly number[] = [];

/** The cpu backend; see {@link Backend} for the meaning of each primitive. */
export class CpuBackend implements Backend, CpuContext, ReferenceContext {
  /** The device it serves. */
  readonly name = "cpu" as const;
  /** Every dtype; float64 runs the reference loops. */
  readonly dtypes: readonly DType[] = ["float32", "float64", "int32", "bool"];
  /** The shared memory every storage lives in. */
  readonly heap: Heap = new Heap();
  /** {@link Backend.evaluateLimits} */
  readonly evaluateLimits: EvaluateLimits = CPU_EVALUATE_LIMITS;

  #liveStorages = 0;
  #liveBytes = 0;

  /** One line naming the kernels in use. */
  get description(): string {
    return `cpu (float32 JavaScript + WebAssembly SIMD, ${cpuThreads()} threads)`;
  }

  // ---- CpuContext -----------------------------------------------------------------

  /** @internal See {@link CpuContext.alloc}. */
  alloc(size: number, dtype: DType, op = "alloc"): CpuStorage {
    const bytes = Math.max(1, size * DTYPE_BYTES[dtype]);
    const address = this.heap.alloc(bytes, op);
    this.#liveStorages++;
    this.#liveBytes += size * DTYPE_BYTES[dtype];
    return new CpuStorage(this, address, bytes, size, dtype);
  }

  /** @internal See {@link CpuContext.live}. */
  live(op: string, s: Storage): CpuStorage {
    if (!(s instanceof CpuStorage) || s.backend !== this) {
      throw new TypeError(`cpu ${op}: storage belongs to another backend`);
    }
    if (s.freed) throw new Error(`cpu ${op}: storage was already freed (disposed tensor used again?)`);
    return s;
  }

  /** @internal See {@link CpuContext.checkView}. */
  checkView(op: string, s: Storage, v: View): CpuStorage {
    const c = this.live(op, s);
    checkViewBounds("cpu", op, v, s.size);
    return c;
  }

  /** @internal */
  f32(s: Storage): Float32Array {
    const c = this.live("read", s);
    return new Float32Array(this.heap.memory.buffer, c.address, c.size);
  }

  /** @internal */
  f64(s: Storage): Float64Array {
    const c = this.live("read", s);
    return new Float64Array(this.heap.memory.buffer, c.address, c.size);
  }

  /** @internal */
  i32(s: Storage): Int32Array {
    const c = this.live("read", s);
    return new Int32Array(this.heap.memory.buffer, c.address, c.size);
  }

  /** @internal */
  u8(s: Storage): Uint8Array {
    const c = this.live("read", s);
    return new Uint8Array(this.heap.memory.buffer, c.address, c.size);
  }

  // ---- ReferenceContext: the reference kernels run over the heap --------------------

  /** @internal The typed array over `s`'s elements. */
  data(s: Storage): HostArray {
    switch (s.dtype) {
      case "float32":
        return this.f32(s);
      case "float64":
        return this.f64(s);
      case "int32":
        return this.i32(s);
      default:
        return this.u8(s);
    }
  }

  /** @internal */
  input(op: string, s: Storage, v: View): HostArray {
    this.checkView(op, s, v);
    return this.data(s);
  }

  /** @internal A reference kernel's result, copied into the heap. */
  wrap(data: HostArray, dtype: DType): ReferenceStorage {
    const out = this.alloc(data.length, dtype, "wrap");
    this.data(out).set(data);
    return out as unknown as ReferenceStorage;
  }

  // ---- storage ----------------------------------------------------------------------

  /** Storage of `size` elements, all zero. */
  zeros(size: number, dtype: DType): Storage {
    const out = this.alloc(size, dtype, "zeros");
    this.data(out).fill(0);
    return out;
  }

  /** Storage of `size` elements, all `value` (bool stores `value != 0`). */
  fill(size: number, value: number, dtype: DType): Storage {
    const out = this.alloc(size, dtype, "fill");
    this.data(out).fill(dtype === "bool" ? boolOf(value) : value);
    return out;
  }

  /** Storage holding `data` converted to `dtype`. */
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const out = this.alloc(data.length, dtype, "upload");
    const dst = this.data(out);
    if (dtype === "bool") {
      for (let i = 0; i < data.length; i++) dst[i] = boolOf(data[i]);
    } else if (ArrayBuffer.isView(data)) {
      dst.set(data as HostArray);
    } else {
      for (let i = 0; i < data.length; i++) dst[i] = data[i];
    }
    return out;
  }

  /** A fresh copy of the storage's contents, synchronously. */
  readSync(storage: Storage): HostArray {
    return this.data(storage).slice();
  }

  /** A fresh copy of the storage's contents. */
  read(storage: Storage): Promise<HostArray> {
    try {
      return Promise.resolve(this.readSync(storage));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Returns a storage's block to its pool; freeing twice throws. */
  free(storage: Storage): void {
    const c = this.live("free", storage);
    c.freed = true;
    this.heap.release(c.address, c.bytes);
    this.#liveStorages--;
    this.#liveBytes -= c.size * DTYPE_BYTES[c.dtype];
  }

  /** Resolves at once: every op has completed when it returns. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Live storages and bytes; `buffersCreated` counts blocks taken from fresh memory (pool misses). */
  memoryStats(): MemoryStats {
    return {
      liveStorages: this.#liveStorages,
      liveBytes: this.#liveBytes,
      buffersCreated: this.heap.blocksCreated,
      pooledBytes: this.heap.pooledBytes,
    };
  }

  // ---- elementwise ------------------------------------------------------------------

  /** {@link Backend.evaluate}: one generated loop (evaluate.ts). */
  evaluate(
    outputs: readonly Expr[],
    operands: readonly Operand[],
    outDtypes: readonly DType[],
    params: readonly number[],
  ): Storage[] {
    return evaluate(this, outputs, operands, outDtypes, params);
  }

  /** {@link Backend.elementwise}: the one-op program through {@link evaluate}. */
  elementwise(op: string, operands: readonly Operand[], outDtype: DType, params?: readonly number[]): Storage {
    const p = params ?? EMPTY_PARAMS;
    const expr: Expr = {
      op,
      args: operands.map((_, k) => ({ input: k })),
      params: p.map((_, k) => ({ param: k })),
    };
    return evaluate(this, [expr], operands, [outDtype], p)[0];
  }

  /** {@link Backend.fused}: the program through {@link evaluate}, inputs read whole or broadcast. */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[] {
    const operands = inputs.map((s) => ({
      storage: s,
      view: { shape: [size], strides: [s.size === 1 ? 0 : 1], offset: 0 },
    }));
    if (operands.length === 0) {
      // evaluate takes its shape from the operands: give it a broadcast zero to walk
      const zero = this.fill(1, 0, dtype);
      const outs = evaluate(
        this,
        outputs,
        [{ storage: zero, view: { shape: [size], strides: [0], offset: 0 } }],
        outputs.map(() => dtype),
        params,
      );
      this.free(zero);
      return outs;
    }
    return evaluate(this, outputs, operands, outputs.map(() => dtype), params);
  }

  /** {@link Backend.copyInto} */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void {
    copyInto(this, dst, dv, src, sv);
  }

  // ---- the rest of the contract -------------------------------------------------------

  /** {@link Backend.matmul}: float32 through gemm.ts, float64 through the reference loops. */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
    if (a.dtype !== "float32") return ref.matmul(this, a, av, b, bv, bias);
    return matmul(this, a, av, b, bv, bias);
  }

  /** {@link Backend.reduce} */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
    return a.dtype === "float32" ? reduction.reduce(this, op, a, av, axes) : ref.reduce(this, op, a, av, axes);
  }

  /** {@link Backend.argReduce} */
  argReduce(op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage {
    return a.dtype === "float32" ? reduction.argReduce(this, op, a, av, axis) : ref.argReduce(this, op, a, av, axis);
  }

  /** {@link Backend.sort} (sort.ts: float32 index sort per row, the reference kernel otherwise) */
  sort(x: Storage, xv: View, axis: number, descending: boolean): { values: Storage; indices: Storage } {
    return sort(this, x, xv, axis, descending);
  }

  /** {@link Backend.im2col} */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
    return x.dtype === "float32" ? window.im2col(this, x, xv, p, padValue) : ref.im2col(this, x, xv, p, padValue);
  }

  /** {@link Backend.col2im} */
  col2im(cols: Storage, cv: View, imageShape: readonly [number, number, number, number], p: WindowParams): Storage {
    return cols.dtype === "float32"
      ? window.col2im(this, cols, cv, imageShape, p)
      : ref.col2im(this, cols, cv, imageShape, p);
  }

  /** {@link Backend.gather} */
  gather(args: GatherArgs): Storage {
    return ref.gather(this, args);
  }

  /** {@link Backend.scatterAdd} */
  scatterAdd(args: ScatterAddArgs): Storage {
    return ref.scatterAdd(this, args);
  }

  /** {@link Backend.scatterReduce} (reference/scatter.ts) */
  scatterReduce(args: ScatterReduceArgs): Storage {
    return scatterReduce(this, args);
  }

  /** {@link Backend.crossEntropy} */
  crossEntropy(args: CrossEntropyArgs): [Storage, Storage] {
    return args.logits.dtype === "float32" ? ce.crossEntropy(this, args) : ref.crossEntropy(this, args);
  }

  /** {@link Backend.crossEntropyBackward} */
  crossEntropyBackward(args: CrossEntropyBackwardArgs): Storage {
    return args.logits.dtype === "float32" ? ce.crossEntropyBackward(this, args) : ref.crossEntropyBackward(this, args);
  }

  /** {@link Backend.maxPool2d} */
  maxPool2d(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage } {
    return x.dtype === "float32" ? pool.maxPool2d(this, x, xv, p) : ref.maxPool2d(this, x, xv, p);
  }

  /** {@link Backend.maxPool2dBackward} */
  maxPool2dBackward(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    return gy.dtype === "float32"
      ? pool.maxPool2dBackward(this, gy, indices, imageShape, p)
      : ref.maxPool2dBackward(this, gy, indices, imageShape, p);
  }

  /** {@link Backend.softmax} */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    return x.dtype === "float32" ? norm.softmax(this, x, rows, cols, log) : ref.softmax(this, x, rows, cols, log);
  }

  /** {@link Backend.softmaxBackward} */
  softmaxBackward(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage {
    return y.dtype === "float32"
      ? norm.softmaxBackward(this, y, gy, rows, cols, log)
      : ref.softmaxBackward(this, y, gy, rows, cols, log);
  }

  /** {@link Backend.layerNorm} */
  layerNorm(args: LayerNormArgs): LayerNormOutputs {
    return args.x.dtype === "float32" ? norm.layerNorm(this, args) : ref.layerNorm(this, args);
  }

  /** {@link Backend.layerNormBackward} */
  layerNormBackward(args: LayerNormBackwardArgs): LayerNormGrads {
    return args.x.dtype === "float32" ? norm.layerNormBackward(this, args) : ref.layerNormBackward(this, args);
  }

  /** {@link Backend.assertNone}: checked at once. */
  assertNone(flags: Storage, describe: (index: number) => string): void {
    ref.assertNone(this, flags, describe);
  }

  /** {@link Backend.random}: the counter-based stream. */
  random(kind: RandomKind, size: number, seed: number, counter: number, dtype: DType): Storage {
    return ref.random(this, kind, size, seed, counter, dtype);
  }
}

/** A new cpu backend with its own heap. */
export function createCpuBackend(): CpuBackend {
  // OpenBLAS, if --allow-ffi loads it later, splits work over the same threads (DENOGRAD_CPU_THREADS)
  setBlasThreads(cpuThreads());
  return new CpuBackend();
}
