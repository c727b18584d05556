/**
 * The reference backend: plain TypeScript over typed arrays, serving the device "reference".
 *
 * It is the oracle the other backends' kernels are tested against; the cpu backend also runs
 * its kernels over the cpu heap for float64 (gradcheck) and the paths without a fast kernel. Every kernel reads its
 * inputs through strided {@link View}s, computes in float64 and stores into a fresh contiguous
 * typed array (so float32 results round once, on store). This class holds storage and memory
 * counters; each kernel family is a module beside it, as in the webgpu backend.
 * @module
 */
import type {
  Backend,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  DType,
  ElementwiseOp,
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
import { scatterReduce } from "./scatter.ts";
import { checkViewBounds } from "../_view.ts";
import { DTYPE_BYTES } from "../dtype.ts";
import { boolOf, newArray, type ReferenceContext, ReferenceStorage } from "./storage.ts";
import { elementwise } from "./elementwise.ts";
import { fused } from "./fused.ts";
import { argReduce, reduce } from "./reduce.ts";
import { matmul } from "./matmul.ts";
import { col2im, im2col } from "./window.ts";
import { copyInto, gather, scatterAdd } from "./index.ts";
import { crossEntropy, crossEntropyBackward } from "./cross_entropy.ts";
import { maxPool2d, maxPool2dBackward } from "./pool2d.ts";
import * as norm from "./norm.ts";
import { assertNone } from "./assert.ts";
import { random } from "./random.ts";
import { sort } from "./sort.ts";

/** The reference backend; see {@link Backend} for the meaning of each primitive. */
export class ReferenceBackend implements Backend, ReferenceContext {
  /** The device it serves: `"reference"`. */
  readonly name = "reference" as const;
  /** Human-readable description. */
  readonly description = "reference (TypeScript, float64)";
  /** Every dtype, float64 included. */
  readonly dtypes: readonly DType[] = ["float32", "float64", "int32", "bool"];

  #liveStorages = 0;
  #liveBytes = 0;
  #buffersCreated = 0;

  // ---- ReferenceContext -------------------------------------------------------

  /** @internal See {@link ReferenceContext.wrap}. */
  wrap(data: HostArray, dtype: DType): ReferenceStorage {
    this.#liveStorages++;
    this.#liveBytes += data.length * DTYPE_BYTES[dtype];
    this.#buffersCreated++;
    return new ReferenceStorage(this, data, dtype);
  }

  /** @internal See {@link ReferenceContext.data}. */
  data(s: Storage): HostArray {
    if (!(s instanceof ReferenceStorage) || s.backend !== this) {
      throw new TypeError("cpu: storage belongs to another backend");
    }
    return s.data;
  }

  /** @internal See {@link ReferenceContext.input}. */
  input(op: string, s: Storage, v: View): HostArray {
    const data = this.data(s);
    checkViewBounds("cpu", op, v, s.size);
    return data;
  }

  // ---- storage ----------------------------------------------------------------

  /** Storage of `size` elements, all zero. */
  zeros(size: number, dtype: DType): Storage {
    return this.wrap(newArray(dtype, size), dtype);
  }

  /** Storage of `size` elements, all `value` (bool stores `value != 0`). */
  fill(size: number, value: number, dtype: DType): Storage {
    const out = newArray(dtype, size);
    out.fill(dtype === "bool" ? boolOf(value) : value);
    return this.wrap(out, dtype);
  }

  /** Storage holding `data` converted to `dtype`. */
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const out = newArray(dtype, data.length);
    if (dtype === "bool") {
      for (let i = 0; i < data.length; i++) out[i] = boolOf(data[i]);
    } else {
      for (let i = 0; i < data.length; i++) out[i] = data[i];
    }
    return this.wrap(out, dtype);
  }

  /** A fresh copy of the storage's contents, synchronously (this backend only). */
  readSync(storage: Storage): HostArray {
    return this.data(storage).slice();
  }

  /** A fresh copy of the storage's contents. */
  read(storage: Storage): Promise<HostArray> {
    try {
      return Promise.resolve(this.data(storage).slice());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Releases a storage; freeing twice throws. */
  free(storage: Storage): void {
    const data = this.data(storage);
    (storage as ReferenceStorage).freed = true;
    this.#liveStorages--;
    this.#liveBytes -= data.length * DTYPE_BYTES[storage.dtype];
  }

  /** Resolves at once: every kernel here is synchronous. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Live counters; nothing is pooled, so `pooledBytes === liveBytes`. */
  memoryStats(): MemoryStats {
    return {
      liveStorages: this.#liveStorages,
      liveBytes: this.#liveBytes,
      buffersCreated: this.#buffersCreated,
      pooledBytes: this.#liveBytes,
    };
  }

  // ---- primitives (one module per family) ----------------------------------------

  /** {@link Backend.elementwise}: the entry's reference closure per element (elementwise.ts). */
  elementwise(op: ElementwiseOp, operands: readonly Operand[], outDtype: DType, params?: readonly number[]): Storage {
    return elementwise(this, op, operands, outDtype, params);
  }

  /** {@link Backend.reduce} (reduce.ts) */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
    return reduce(this, op, a, av, axes);
  }

  /** {@link Backend.argReduce} */
  argReduce(op: "argmax" | "argmin", a: Storage, av: View, axis: number): Storage {
    return argReduce(this, op, a, av, axis);
  }

  /** {@link Backend.sort} (sort.ts) */
  sort(x: Storage, xv: View, axis: number, descending: boolean): { values: Storage; indices: Storage } {
    return sort(this, x, xv, axis, descending);
  }

  /** {@link Backend.matmul} (matmul.ts) */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
    return matmul(this, a, av, b, bv, bias);
  }

  /** {@link Backend.im2col} (window.ts) */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
    return im2col(this, x, xv, p, padValue);
  }

  /** {@link Backend.col2im} */
  col2im(cols: Storage, cv: View, imageShape: readonly [number, number, number, number], p: WindowParams): Storage {
    return col2im(this, cols, cv, imageShape, p);
  }

  /** {@link Backend.gather} (index.ts) */
  gather(args: GatherArgs): Storage {
    return gather(this, args);
  }

  /** {@link Backend.scatterAdd} */
  scatterAdd(args: ScatterAddArgs): Storage {
    return scatterAdd(this, args);
  }

  /** {@link Backend.scatterReduce} (reference/scatter.ts) */
  scatterReduce(args: ScatterReduceArgs): Storage {
    return scatterReduce(this, args);
  }

  /** {@link Backend.copyInto} */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void {
    copyInto(this, dst, dv, src, sv);
  }

  /** {@link Backend.crossEntropy} (cross_entropy.ts) */
  crossEntropy(args: CrossEntropyArgs): [Storage, Storage] {
    return crossEntropy(this, args);
  }

  /** {@link Backend.crossEntropyBackward} */
  crossEntropyBackward(args: CrossEntropyBackwardArgs): Storage {
    return crossEntropyBackward(this, args);
  }

  /** {@link Backend.maxPool2d} (pool2d.ts) */
  maxPool2d(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage } {
    return maxPool2d(this, x, xv, p);
  }

  /** {@link Backend.maxPool2dBackward} */
  maxPool2dBackward(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    return maxPool2dBackward(this, gy, indices, imageShape, p);
  }

  /** {@link Backend.softmax} (norm.ts) */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmax(this, x, rows, cols, log);
  }

  /** {@link Backend.softmaxBackward} */
  softmaxBackward(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage {
    return norm.softmaxBackward(this, y, gy, rows, cols, log);
  }

  /** {@link Backend.layerNorm} */
  layerNorm(args: LayerNormArgs): LayerNormOutputs {
    return norm.layerNorm(this, args);
  }

  /** {@link Backend.layerNormBackward} */
  layerNormBackward(args: LayerNormBackwardArgs): LayerNormGrads {
    return norm.layerNormBackward(this, args);
  }

  /** {@link Backend.assertNone}: checked at once (assert.ts). */
  assertNone(flags: Storage, describe: (index: number) => string): void {
    assertNone(this, flags, describe);
  }

  /** {@link Backend.fused}: the program evaluated per element in float64 (fused.ts). */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[] {
    return fused(this, outputs, inputs, size, params, dtype);
  }

  /** {@link Backend.random}: the counter-based stream (random.ts). */
  random(kind: RandomKind, size: number, seed: number, counter: number, dtype: DType): Storage {
    return random(this, kind, size, seed, counter, dtype);
  }
}

/** A new, independent reference backend (its own memory counters). */
export function createReferenceBackend(): ReferenceBackend {
  return new ReferenceBackend();
}
