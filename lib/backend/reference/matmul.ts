/** The batched matrix product of the reference backend (float64 dot products over packed rows). @module */
import type { MatmulBias, Storage, View } from "../backend.ts";
import { isFloat } from "../dtype.ts";
import { newArray, type ReferenceContext, sameShape } from "./storage.ts";
import { stridedOffsets } from "./strided.ts";

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

/** {@link Backend.matmul}: batched `[..., M, K] @ [..., K, N]`, accumulated in float64, plus the optional bias. */
export function matmul(
  ctx: ReferenceContext,
  a: Storage,
  av: View,
  b: Storage,
  bv: View,
  bias?: MatmulBias,
): Storage {
  const A = ctx.input("matmul", a, av);
  const B = ctx.input("matmul", b, bv);
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
  const biasValues = bias ? ctx.data(bias.values) : null;
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
  return ctx.wrap(out, a.dtype);
}
