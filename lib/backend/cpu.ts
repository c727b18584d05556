/**
 * The cpu backend: plain TypeScript over typed arrays.
 *
 * It is the reference ("oracle") the WebGPU kernels are tested against, the backend
 * gradcheck runs on (it alone stores float64), and the fallback when there is no GPU.
 * Every kernel reads its inputs through strided {@link View}s, computes in float64 and
 * stores into a fresh contiguous typed array (so float32 results round once, on store).
 * @module
 */
import type {
  Backend,
  BinaryOp,
  DType,
  FusedExpr,
  HostArray,
  MatmulBias,
  MemoryStats,
  RandomKind,
  ReduceOp,
  Storage,
  UnaryOp,
  View,
  WindowParams,
} from "./backend.ts";
import { contiguousStrides, numel, randomBits } from "./_view.ts";
import { stridedOffsets, viewOffsets } from "./_cpu_strided.ts";
import { evaluateFused } from "./_cpu_fused.ts";
import { crossEntropyRows, crossEntropyRowsBackward } from "./_cpu_cross_entropy.ts";
import { layerNormRows, layerNormRowsBackward, softmaxRows, softmaxRowsBackward } from "./_cpu_norm.ts";
import { maxPool2dPlanes, maxPool2dPlanesBackward } from "./_cpu_pool.ts";
import { binaryFn, COMPARISONS, isFloat, reduceIdentity, unaryFn } from "./_cpu_ops.ts";

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  bool: 1,
};

const TWO_PI = 2 * Math.PI;

/** A fresh zeroed host array of `dtype`. */
function newArray(dtype: DType, size: number): HostArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
    default:
      throw new TypeError(`cpu: unknown dtype ${String(dtype)}`);
  }
}

/**
 * The value stored for `x` in an array of `dtype`, for the one case typed-array
 * assignment gets wrong: bool is `x != 0` (NaN is true). Float→int32 truncation toward
 * zero (with int32 wrap-around) is what `Int32Array` assignment already does.
 */
function boolOf(x: number): number {
  return x !== 0 ? 1 : 0;
}

/** A storage of the cpu backend: a typed array plus a `freed` flag. */
export class CpuStorage implements Storage {
  /** The backend that owns this storage. */
  readonly backend: CpuBackend;
  /** Number of elements. */
  readonly size: number;
  /** Element type. */
  readonly dtype: DType;
  /** Whether {@link CpuBackend.free} has released this storage. */
  freed = false;
  #data: HostArray;

  /** Wraps `data` (taking ownership) as a storage of `dtype`. */
  constructor(backend: CpuBackend, data: HostArray, dtype: DType) {
    this.backend = backend;
    this.size = data.length;
    this.dtype = dtype;
    this.#data = data;
  }

  /** The backing typed array; throws if the storage was freed. */
  get data(): HostArray {
    if (this.freed) {
      throw new Error(
        "cpu: storage was already freed (disposed tensor used again?)",
      );
    }
    return this.#data;
  }
}

/** The element-offset map that reads `v` with `axes` moved to the end, in order. */
function moveAxesLast(v: View, axes: readonly number[]): Int32Array {
  const keep: number[] = [];
  for (let d = 0; d < v.shape.length; d++) if (!axes.includes(d)) keep.push(d);
  const order = [...keep, ...axes];
  return stridedOffsets(
    order.map((d) => v.shape[d]),
    order.map((d) => v.strides[d]),
    v.offset,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function outOfRange(
  opName: string,
  index: number,
  dim: number,
  size: number,
): RangeError {
  return new RangeError(
    `${opName}: index ${index} is out of range for dimension ${dim} of size ${size}`,
  );
}

/** `Σ_k x[k] · y[yOffset + k]` over `k < n`, in float64. */
function dot(
  x: Float64Array,
  y: Float64Array,
  yOffset: number,
  n: number,
): number {
  // Four independent partial sums let the CPU overlap the multiply-adds.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const p = yOffset + k;
    s0 += x[k] * y[p];
    s1 += x[k + 1] * y[p + 1];
    s2 += x[k + 2] * y[p + 2];
    s3 += x[k + 3] * y[p + 3];
  }
  for (; k < n; k++) s0 += x[k] * y[yOffset + k];
  return (s0 + s1) + (s2 + s3);
}

/** Output size of one spatial dimension of a sliding window. */
function windowOut(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
): number {
  const span = dilation * (kernel - 1) + 1;
  return Math.floor((size + 2 * padding - span) / stride) + 1;
}

/** The cpu backend; see {@link Backend} for the meaning of each primitive. */
export class CpuBackend implements Backend {
  /** Always `"cpu"`. */
  readonly name = "cpu" as const;
  /** Human-readable description. */
  readonly description = "cpu (TypeScript reference)";
  /** Every dtype, float64 included. */
  readonly dtypes: readonly DType[] = ["float32", "float64", "int32", "bool"];

  #liveStorages = 0;
  #liveBytes = 0;
  #buffersCreated = 0;

  // ---- storage ----------------------------------------------------------------

  /** Registers `data` as a new live storage. */
  #wrap(data: HostArray, dtype: DType): CpuStorage {
    this.#liveStorages++;
    this.#liveBytes += data.length * BYTES[dtype];
    this.#buffersCreated++;
    return new CpuStorage(this, data, dtype);
  }

  /** The typed array behind `s`, checking it belongs to this backend and is live. */
  #data(s: Storage): HostArray {
    if (!(s instanceof CpuStorage) || s.backend !== this) {
      throw new TypeError("cpu: storage belongs to another backend");
    }
    return s.data;
  }

  /** Checks that every element `v` addresses lies inside `s`. */
  #checkView(op: string, s: Storage, v: View): void {
    if (v.shape.length !== v.strides.length) {
      throw new RangeError(
        `cpu ${op}: view has ${v.shape.length} dims but ${v.strides.length} strides`,
      );
    }
    if (numel(v.shape) === 0) return;
    let lo = v.offset;
    let hi = v.offset;
    for (let d = 0; d < v.shape.length; d++) {
      const span = (v.shape[d] - 1) * v.strides[d];
      if (span < 0) lo += span;
      else hi += span;
    }
    if (lo < 0 || hi >= s.size) {
      throw new RangeError(
        `cpu ${op}: view [${v.shape}] strides [${v.strides}] offset ${v.offset} reaches outside a storage of ${s.size} elements`,
      );
    }
  }

  /** A live input's data, after checking the view stays inside it. */
  #input(op: string, s: Storage, v: View): HostArray {
    const data = this.#data(s);
    this.#checkView(op, s, v);
    return data;
  }

  /** Storage of `size` elements, all zero. */
  zeros(size: number, dtype: DType): Storage {
    return this.#wrap(newArray(dtype, size), dtype);
  }

  /** Storage of `size` elements, all `value` (bool stores `value != 0`). */
  fill(size: number, value: number, dtype: DType): Storage {
    const out = newArray(dtype, size);
    out.fill(dtype === "bool" ? boolOf(value) : value);
    return this.#wrap(out, dtype);
  }

  /** Storage holding `data` converted to `dtype`. */
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const out = newArray(dtype, data.length);
    if (dtype === "bool") {
      for (let i = 0; i < data.length; i++) out[i] = boolOf(data[i]);
    } else {
      for (let i = 0; i < data.length; i++) out[i] = data[i];
    }
    return this.#wrap(out, dtype);
  }

  /** A fresh copy of the storage's contents, synchronously (cpu only). */
  readSync(storage: Storage): HostArray {
    return this.#data(storage).slice();
  }

  /** A fresh copy of the storage's contents. */
  read(storage: Storage): Promise<HostArray> {
    try {
      return Promise.resolve(this.#data(storage).slice());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Releases a storage; freeing twice throws. */
  free(storage: Storage): void {
    const data = this.#data(storage);
    (storage as CpuStorage).freed = true;
    this.#liveStorages--;
    this.#liveBytes -= data.length * BYTES[storage.dtype];
  }

  /** Resolves at once: cpu work is synchronous. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Live counters; the cpu backend pools nothing, so `pooledBytes === liveBytes`. */
  memoryStats(): MemoryStats {
    return {
      liveStorages: this.#liveStorages,
      liveBytes: this.#liveBytes,
      buffersCreated: this.#buffersCreated,
      pooledBytes: this.#liveBytes,
    };
  }

  // ---- elementwise --------------------------------------------------------------

  /** Elementwise unary op (or cast, for `copy` with another `outDtype`). */
  unary(
    op: UnaryOp,
    a: Storage,
    av: View,
    outDtype: DType,
    params: readonly number[] = [],
  ): Storage {
    const src = this.#input(op, a, av);
    const f = unaryFn(op, params);
    const off = viewOffsets(av);
    const out = newArray(outDtype, off.length);
    if (outDtype === "bool") {
      for (let i = 0; i < off.length; i++) out[i] = boolOf(f(src[off[i]]));
    } else {
      for (let i = 0; i < off.length; i++) out[i] = f(src[off[i]]);
    }
    return this.#wrap(out, outDtype);
  }

  /** Elementwise binary op over two views of the output's shape. */
  binary(op: BinaryOp, a: Storage, av: View, b: Storage, bv: View): Storage {
    const x = this.#input(op, a, av);
    const y = this.#input(op, b, bv);
    if (!sameShape(av.shape, bv.shape)) {
      throw new RangeError(
        `cpu ${op}: shapes [${av.shape}] and [${bv.shape}] differ`,
      );
    }
    const outDtype: DType = COMPARISONS.has(op) ? "bool" : a.dtype;
    const f = binaryFn(op, a.dtype);
    const xo = viewOffsets(av);
    const yo = viewOffsets(bv);
    const out = newArray(outDtype, xo.length);
    if (outDtype === "bool") {
      for (let i = 0; i < xo.length; i++) {
        out[i] = boolOf(f(x[xo[i]], y[yo[i]]));
      }
    } else {
      for (let i = 0; i < xo.length; i++) out[i] = f(x[xo[i]], y[yo[i]]);
    }
    return this.#wrap(out, outDtype);
  }

  /** `cond ? a : b` elementwise. */
  where(
    cond: Storage,
    cv: View,
    a: Storage,
    av: View,
    b: Storage,
    bv: View,
  ): Storage {
    const c = this.#input("where", cond, cv);
    const x = this.#input("where", a, av);
    const y = this.#input("where", b, bv);
    if (!sameShape(cv.shape, av.shape) || !sameShape(cv.shape, bv.shape)) {
      throw new RangeError(
        `cpu where: shapes [${cv.shape}], [${av.shape}] and [${bv.shape}] differ`,
      );
    }
    const co = viewOffsets(cv);
    const xo = viewOffsets(av);
    const yo = viewOffsets(bv);
    const out = newArray(a.dtype, co.length);
    for (let i = 0; i < co.length; i++) {
      out[i] = c[co[i]] !== 0 ? x[xo[i]] : y[yo[i]];
    }
    return this.#wrap(out, a.dtype);
  }

  // ---- reductions ---------------------------------------------------------------

  /** Reduces over `axes`; reduced axes keep size 1. NaN propagates through max/min. */
  reduce(op: ReduceOp, a: Storage, av: View, axes: readonly number[]): Storage {
    const src = this.#input(op, a, av);
    const outDtype: DType = (op === "sum" || op === "prod") && a.dtype === "bool" ? "int32" : a.dtype;
    const int = outDtype === "int32";
    const off = moveAxesLast(av, axes);
    let group = 1;
    for (const d of axes) group *= av.shape[d];
    const outShape = av.shape.map((s, d) => (axes.includes(d) ? 1 : s));
    const out = newArray(outDtype, numel(outShape));
    const identity = reduceIdentity(op, a.dtype);
    for (let o = 0, p = 0; o < out.length; o++) {
      let acc = identity;
      const end = p + group;
      switch (op) {
        case "sum":
          for (; p < end; p++) {
            acc = int ? (acc + src[off[p]]) | 0 : acc + src[off[p]];
          }
          break;
        case "prod":
          for (; p < end; p++) {
            acc = int ? Math.imul(acc, src[off[p]]) : acc * src[off[p]];
          }
          break;
        case "max":
          for (; p < end; p++) {
            const v = src[off[p]];
            if (v > acc || v !== v) acc = v;
          }
          break;
        case "min":
          for (; p < end; p++) {
            const v = src[off[p]];
            if (v < acc || v !== v) acc = v;
          }
          break;
      }
      p = end;
      out[o] = acc;
    }
    return this.#wrap(out, outDtype);
  }

  /**
   * int32 index of the first max/min along `axis`. A NaN beats every number (the first
   * NaN wins) for both argmax and argmin, as in torch. An empty axis throws.
   */
  argReduce(
    op: "argmax" | "argmin",
    a: Storage,
    av: View,
    axis: number,
  ): Storage {
    const src = this.#input(op, a, av);
    const len = av.shape[axis];
    const off = moveAxesLast(av, [axis]);
    const out = new Int32Array(len === 0 ? 0 : off.length / len);
    if (len === 0 && numel(av.shape.map((s, d) => (d === axis ? 1 : s))) > 0) {
      throw new RangeError(
        `${op}: cannot reduce over an empty dimension ${axis}`,
      );
    }
    const better = op === "argmax" ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
    for (let o = 0; o < out.length; o++) {
      const p = o * len;
      let best = src[off[p]];
      let index = 0;
      if (best === best) {
        for (let k = 1; k < len; k++) {
          const v = src[off[p + k]];
          if (v !== v) {
            index = k;
            break;
          }
          if (better(v, best)) {
            best = v;
            index = k;
          }
        }
      }
      out[o] = index;
    }
    return this.#wrap(out, "int32");
  }

  // ---- matmul and convolution helpers ---------------------------------------------

  /** Batched `[..., M, K] @ [..., K, N]`, accumulated in float64. */
  matmul(a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
    const A = this.#input("matmul", a, av);
    const B = this.#input("matmul", b, bv);
    if (!isFloat(a.dtype) || a.dtype !== b.dtype) {
      throw new TypeError(
        `cpu matmul: needs two float inputs of one dtype, got ${a.dtype} and ${b.dtype}`,
      );
    }
    const r = av.shape.length;
    if (r < 2 || bv.shape.length !== r) {
      throw new RangeError(
        `cpu matmul: ranks of [${av.shape}] and [${bv.shape}] do not match`,
      );
    }
    const batch = av.shape.slice(0, r - 2);
    const [M, K] = [av.shape[r - 2], av.shape[r - 1]];
    const [K2, N] = [bv.shape[r - 2], bv.shape[r - 1]];
    if (K !== K2 || !sameShape(batch, bv.shape.slice(0, r - 2))) {
      throw new RangeError(
        `cpu matmul: shapes [${av.shape}] and [${bv.shape}] do not match`,
      );
    }
    const [sam, sak] = [av.strides[r - 2], av.strides[r - 1]];
    const [sbk, sbn] = [bv.strides[r - 2], bv.strides[r - 1]];
    const aBase = stridedOffsets(batch, av.strides.slice(0, r - 2), av.offset);
    const bBase = stridedOffsets(batch, bv.strides.slice(0, r - 2), bv.offset);
    const out = newArray(a.dtype, aBase.length * M * N);
    // Pack each batch's B as contiguous float64 columns (bt[j·K + k] = B[k, j]) and each
    // row of A as float64, so the inner loop is a dot product of two dense arrays.
    const bt = new Float64Array(K * N);
    const row = new Float64Array(K);
    const biasLength = bias?.along === "rows" ? M : N;
    if (bias && (bias.values.dtype !== a.dtype || bias.values.size !== biasLength)) {
      throw new RangeError(
        `cpu matmul: bias along ${bias.along} must be ${a.dtype} with ${biasLength} values, ` +
          `got ${bias.values.dtype} with ${bias.values.size}`,
      );
    }
    const biasValues = bias ? this.#data(bias.values) : null;
    for (let bi = 0, o = 0; bi < aBase.length; bi++) {
      for (let k = 0; k < K; k++) {
        const q = bBase[bi] + k * sbk;
        for (let j = 0; j < N; j++) bt[j * K + k] = B[q + j * sbn];
      }
      for (let i = 0; i < M; i++) {
        const aRow = aBase[bi] + i * sam;
        for (let k = 0; k < K; k++) row[k] = A[aRow + k * sak];
        if (!biasValues) {
          for (let j = 0; j < N; j++, o++) out[o] = dot(row, bt, j * K, K);
        } else if (bias!.along === "rows") {
          for (let j = 0; j < N; j++, o++) out[o] = dot(row, bt, j * K, K) + biasValues[i];
        } else {
          for (let j = 0; j < N; j++, o++) out[o] = dot(row, bt, j * K, K) + biasValues[j];
        }
      }
    }
    return this.#wrap(out, a.dtype);
  }

  /** `[B, C, H, W]` → `[B, C, kh·kw, Ho·Wo]` sliding-window columns. */
  im2col(x: Storage, xv: View, p: WindowParams, padValue: number): Storage {
    const X = this.#input("im2col", x, xv);
    const [B, C, H, W] = xv.shape;
    const [s0, s1, s2, s3] = xv.strides;
    const [kh, kw] = p.kernel;
    const [sh, sw] = p.stride;
    const [ph, pw] = p.padding;
    const [dh, dw] = p.dilation;
    const Ho = windowOut(H, kh, sh, ph, dh);
    const Wo = windowOut(W, kw, sw, pw, dw);
    const out = newArray(
      x.dtype,
      B * C * kh * kw * Math.max(Ho, 0) * Math.max(Wo, 0),
    );
    const pad = x.dtype === "bool" ? boolOf(padValue) : padValue;
    let o = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        const base = xv.offset + b * s0 + c * s1;
        for (let ki = 0; ki < kh; ki++) {
          for (let kj = 0; kj < kw; kj++) {
            for (let oy = 0; oy < Ho; oy++) {
              const y = oy * sh - ph + ki * dh;
              const rowInside = y >= 0 && y < H;
              for (let ox = 0; ox < Wo; ox++) {
                const xx = ox * sw - pw + kj * dw;
                out[o++] = rowInside && xx >= 0 && xx < W ? X[base + y * s2 + xx * s3] : pad;
              }
            }
          }
        }
      }
    }
    return this.#wrap(out, x.dtype);
  }

  /** Adjoint of {@link im2col}: sums every column entry back onto the pixel it read. */
  col2im(
    cols: Storage,
    cv: View,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    const src = this.#input("col2im", cols, cv);
    const [B, C, H, W] = imageShape;
    const [kh, kw] = p.kernel;
    const [sh, sw] = p.stride;
    const [ph, pw] = p.padding;
    const [dh, dw] = p.dilation;
    const Ho = windowOut(H, kh, sh, ph, dh);
    const Wo = windowOut(W, kw, sw, pw, dw);
    const expected = [B, C, kh * kw, Ho * Wo];
    if (!sameShape(cv.shape, expected)) {
      throw new RangeError(
        `cpu col2im: columns [${cv.shape}] should be [${expected}]`,
      );
    }
    const off = viewOffsets(cv);
    const acc = new Float64Array(B * C * H * W);
    let q = 0;
    for (let bc = 0; bc < B * C; bc++) {
      const base = bc * H * W;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          for (let oy = 0; oy < Ho; oy++) {
            const y = oy * sh - ph + ki * dh;
            const rowInside = y >= 0 && y < H;
            for (let ox = 0; ox < Wo; ox++, q++) {
              const xx = ox * sw - pw + kj * dw;
              if (rowInside && xx >= 0 && xx < W) {
                acc[base + y * W + xx] += src[off[q]];
              }
            }
          }
        }
      }
    }
    const out = newArray(cols.dtype, acc.length);
    if (cols.dtype === "bool") {
      for (let i = 0; i < acc.length; i++) out[i] = boolOf(acc[i]);
    } else {
      out.set(acc);
    }
    return this.#wrap(out, cols.dtype);
  }

  // ---- indexing ---------------------------------------------------------------------

  /** torch.gather along `dim`; out-of-range indices throw a RangeError naming `opName`. */
  gather(
    a: Storage,
    av: View,
    dim: number,
    idx: Storage,
    iv: View,
    opName: string,
  ): Storage {
    const src = this.#input(opName, a, av);
    const I = this.#input(opName, idx, iv);
    this.#checkIndexShape(opName, iv.shape, av.shape, dim);
    const size = av.shape[dim];
    const step = av.strides[dim];
    const io = viewOffsets(iv);
    const rowStrides = av.strides.map((s, d) => (d === dim ? 0 : s));
    const ao = stridedOffsets(iv.shape, rowStrides, av.offset);
    const out = newArray(a.dtype, io.length);
    for (let i = 0; i < io.length; i++) {
      const k = I[io[i]];
      if (!(k >= 0 && k < size)) throw outOfRange(opName, k, dim, size);
      out[i] = src[ao[i] + k * step];
    }
    return this.#wrap(out, a.dtype);
  }

  /** A copy of `base` with `src` added at the indexed positions (torch.scatter_add). */
  scatterAdd(
    base: Storage,
    shape: readonly number[],
    dim: number,
    idx: Storage,
    iv: View,
    src: Storage,
    sv: View,
    opName: string,
  ): Storage {
    const target = this.#data(base);
    const I = this.#input(opName, idx, iv);
    const S = this.#input(opName, src, sv);
    if (target.length !== numel(shape)) {
      throw new RangeError(
        `${opName}: base of ${target.length} elements is not of shape [${shape}]`,
      );
    }
    if (!sameShape(iv.shape, sv.shape)) {
      throw new RangeError(
        `${opName}: index [${iv.shape}] and source [${sv.shape}] shapes differ`,
      );
    }
    this.#checkIndexShape(opName, iv.shape, shape, dim);
    const out = target.slice();
    const strides = contiguousStrides(shape);
    const size = shape[dim];
    const step = strides[dim];
    const to = stridedOffsets(
      iv.shape,
      strides.map((s, d) => (d === dim ? 0 : s)),
      0,
    );
    const io = viewOffsets(iv);
    const so = viewOffsets(sv);
    for (let i = 0; i < io.length; i++) {
      const k = I[io[i]];
      if (!(k >= 0 && k < size)) throw outOfRange(opName, k, dim, size);
      out[to[i] + k * step] += S[so[i]];
    }
    return this.#wrap(out, base.dtype);
  }

  /** Index shape must have the data's rank and fit inside it off `dim` (as torch requires). */
  #checkIndexShape(
    opName: string,
    index: readonly number[],
    data: readonly number[],
    dim: number,
  ): void {
    const fits = index.length === data.length &&
      index.every((s, d) => d === dim || s <= data[d]);
    if (!fits || dim < 0 || dim >= data.length) {
      throw new RangeError(
        `${opName}: index shape [${index}] does not fit data shape [${data}] along dimension ${dim}`,
      );
    }
  }

  /** Writes `src` (through `sv`) into `dst` (through `dv`) in place. */
  copyInto(dst: Storage, dv: View, src: Storage, sv: View): void {
    const D = this.#input("copyInto", dst, dv);
    const S = this.#input("copyInto", src, sv);
    if (!sameShape(dv.shape, sv.shape)) {
      throw new RangeError(
        `cpu copyInto: shapes [${dv.shape}] and [${sv.shape}] differ`,
      );
    }
    const d = viewOffsets(dv);
    const s = viewOffsets(sv);
    // Read everything first so overlapping views of one storage behave like a copy.
    const values = new Float64Array(s.length);
    for (let i = 0; i < s.length; i++) values[i] = S[s[i]];
    if (dst.dtype === "bool") {
      for (let i = 0; i < d.length; i++) D[d[i]] = boolOf(values[i]);
    } else {
      for (let i = 0; i < d.length; i++) D[d[i]] = values[i];
    }
  }

  // ---- random -------------------------------------------------------------------------

  /** {@link Backend.crossEntropy}: one pass per row (see _cpu_cross_entropy.ts). */
  crossEntropy(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): [Storage, Storage] {
    const p = {
      logits: this.#data(logits),
      rows,
      classes,
      target: this.#data(target),
      ignoreIndex,
      labelSmoothing,
      opName,
    };
    const loss = newArray(logits.dtype, rows);
    const rowWeight = newArray(logits.dtype, rows);
    crossEntropyRows({ ...p, weight: weight ? this.#data(weight) : null }, loss, rowWeight);
    return [this.#wrap(loss, logits.dtype), this.#wrap(rowWeight, logits.dtype)];
  }

  /** {@link Backend.crossEntropyBackward}: one pass per row. */
  crossEntropyBackward(
    logits: Storage,
    rows: number,
    classes: number,
    target: Storage,
    weight: Storage | null,
    gradRows: Storage,
    ignoreIndex: number,
    labelSmoothing: number,
    opName: string,
  ): Storage {
    const p = {
      logits: this.#data(logits),
      rows,
      classes,
      target: this.#data(target),
      ignoreIndex,
      labelSmoothing,
      opName,
    };
    const out = newArray(logits.dtype, rows * classes);
    crossEntropyRowsBackward({ ...p, weight: weight ? this.#data(weight) : null }, this.#data(gradRows), out);
    return this.#wrap(out, logits.dtype);
  }

  /** {@link Backend.maxPool2d}: one pass over the windows (see _cpu_pool.ts). */
  maxPool2d(x: Storage, xv: View, p: WindowParams): { values: Storage; indices: Storage } {
    const X = this.#input("maxPool2d", x, xv);
    const [B, C, H, W] = xv.shape;
    const out: [number, number] = [
      Math.max(0, windowOut(H, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0])),
      Math.max(0, windowOut(W, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1])),
    ];
    const values = newArray(x.dtype, B * C * out[0] * out[1]);
    const indices = new Int32Array(values.length);
    const strides = xv.strides as [number, number, number, number];
    maxPool2dPlanes(X, strides, xv.offset, [B, C, H, W], p, out, values, indices);
    return { values: this.#wrap(values, x.dtype), indices: this.#wrap(indices, "int32") };
  }

  /** {@link Backend.maxPool2dBackward}: each pixel gathers from the windows that chose it. */
  maxPool2dBackward(
    gy: Storage,
    indices: Storage,
    imageShape: readonly [number, number, number, number],
    p: WindowParams,
  ): Storage {
    const [B, C, H, W] = imageShape;
    const out: [number, number] = [
      Math.max(0, windowOut(H, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0])),
      Math.max(0, windowOut(W, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1])),
    ];
    const gx = newArray(gy.dtype, B * C * H * W);
    maxPool2dPlanesBackward(this.#data(gy), this.#data(indices), imageShape, p, out, gx);
    return this.#wrap(gx, gy.dtype);
  }

  /** {@link Backend.softmax}: one pass per row (see _cpu_norm.ts). */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    const out = newArray(x.dtype, rows * cols);
    softmaxRows(this.#data(x), rows, cols, log, out);
    return this.#wrap(out, x.dtype);
  }

  /** {@link Backend.softmaxBackward}: one pass per row. */
  softmaxBackward(y: Storage, gy: Storage, rows: number, cols: number, log: boolean): Storage {
    const out = newArray(y.dtype, rows * cols);
    softmaxRowsBackward(this.#data(y), this.#data(gy), rows, cols, log, out);
    return this.#wrap(out, y.dtype);
  }

  /** {@link Backend.layerNorm}: one pass per row. */
  layerNorm(
    x: Storage,
    weight: Storage | null,
    bias: Storage | null,
    rows: number,
    cols: number,
    eps: number,
  ): { y: Storage; mean: Storage; rstd: Storage } {
    const y = newArray(x.dtype, rows * cols), mean = newArray(x.dtype, rows), rstd = newArray(x.dtype, rows);
    const w = weight ? this.#data(weight) : null, b = bias ? this.#data(bias) : null;
    layerNormRows(this.#data(x), w, b, rows, cols, eps, y, mean, rstd);
    return { y: this.#wrap(y, x.dtype), mean: this.#wrap(mean, x.dtype), rstd: this.#wrap(rstd, x.dtype) };
  }

  /** {@link Backend.layerNormBackward}: one pass per row (plus column sums for gw, gb). */
  layerNormBackward(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    gy: Storage,
    rows: number,
    cols: number,
    grads: { weight: boolean; bias: boolean },
  ): { gx: Storage; gw: Storage | null; gb: Storage | null } {
    const gx = newArray(x.dtype, rows * cols);
    const gw = grads.weight ? newArray(x.dtype, cols) : null, gb = grads.bias ? newArray(x.dtype, cols) : null;
    const w = weight ? this.#data(weight) : null;
    layerNormRowsBackward(this.#data(x), this.#data(mean), this.#data(rstd), w, this.#data(gy), rows, cols, gx, gw, gb);
    return {
      gx: this.#wrap(gx, x.dtype),
      gw: gw ? this.#wrap(gw, x.dtype) : null,
      gb: gb ? this.#wrap(gb, x.dtype) : null,
    };
  }

  /** {@link Backend.assertNone}: checked at once. */
  assertNone(flags: Storage, describe: (index: number) => string): void {
    const i = this.#data(flags).findIndex((v) => v !== 0);
    if (i >= 0) throw new RangeError(describe(i));
  }

  /** {@link Backend.fused}: the program evaluated per element in float64. */
  fused(
    outputs: readonly FusedExpr[],
    inputs: readonly Storage[],
    size: number,
    params: readonly number[],
    dtype: DType,
  ): Storage[] {
    if (dtype !== "float32" && dtype !== "float64") throw new TypeError(`cpu fused: needs a float dtype, got ${dtype}`);
    const data = inputs.map((s, k) => {
      const d = this.#data(s);
      if (s.dtype !== dtype || (d.length !== size && d.length !== 1)) {
        throw new RangeError(
          `cpu fused: input ${k} is ${s.dtype} with ${d.length} elements; expected ${dtype} with ${size} or 1`,
        );
      }
      return d;
    });
    const results = outputs.map(() => newArray(dtype, size) as Float32Array | Float64Array);
    evaluateFused(outputs, data, params, results, size, dtype);
    return results.map((r) => this.#wrap(r, dtype));
  }

  /** The counter-based random stream of {@link Backend} (uniform or normal). */
  random(
    kind: RandomKind,
    size: number,
    seed: number,
    counter: number,
    dtype: DType,
  ): Storage {
    if (!isFloat(dtype)) {
      throw new TypeError(
        `cpu random: dtype must be float32 or float64, got ${dtype}`,
      );
    }
    const out = newArray(dtype, size);
    const scale = 2 ** -24;
    if (kind === "uniform") {
      for (let i = 0; i < size; i++) {
        out[i] = (randomBits(seed, counter + i) >>> 8) * scale;
      }
    } else {
      for (let i = 0; i < size; i++) {
        const u1 = ((randomBits(seed, counter + 2 * i) >>> 8) + 1) * scale;
        const u2 = (randomBits(seed, counter + 2 * i + 1) >>> 8) * scale;
        out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
      }
    }
    return this.#wrap(out, dtype);
  }
}

/** A new, independent cpu backend (its own memory counters). */
export function createCpuBackend(): CpuBackend {
  return new CpuBackend();
}
