/**
 * `Backend.matmul` for float32 on the cpu backend: the views become {@link GemmArgs} (element
 * indices and strides into the heap, so transposed and broadcast operands need no copy) and the
 * product runs through gemm.ts. Batch dims that do not collapse to one stride are walked here.
 * @module
 */
import type { MatmulBias, Storage, View } from "../backend.ts";
import { collapseDims } from "../_view.ts";
import type { CpuContext } from "./context.ts";
import { gemm, type GemmArgs } from "./gemm.ts";

/** {@link Backend.matmul} for float32 storages. */
export function matmul(ctx: CpuContext, a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
  const r = av.shape.length;
  if (r < 2 || bv.shape.length !== r) {
    throw new RangeError(`cpu matmul: operands need the same rank ≥ 2, got [${av.shape}] and [${bv.shape}]`);
  }
  const m = av.shape[r - 2], k = av.shape[r - 1], n = bv.shape[r - 1];
  const batchShape = av.shape.slice(0, r - 2);
  if (bv.shape[r - 2] !== k || batchShape.some((d, i) => d !== bv.shape[i])) {
    throw new RangeError(`cpu matmul: [${av.shape}] @ [${bv.shape}]: inner or batch dims differ`);
  }
  const sa = ctx.checkView("matmul", a, av), sb = ctx.checkView("matmul", b, bv);
  let batch = 1;
  for (const d of batchShape) batch *= d;
  const out = ctx.alloc(batch * m * n, "float32", "matmul");
  if (batch * m * n === 0) return out;
  const biasAt = bias
    ? ctx.checkView("matmul", bias.values, { shape: [bias.along === "rows" ? m : n], strides: [1], offset: 0 })
      .address >> 2
    : 0;
  const base: GemmArgs = {
    m,
    n,
    k,
    batch: 1,
    a: (sa.address >> 2) + av.offset,
    aRow: av.strides[r - 2],
    aCol: av.strides[r - 1],
    aBatch: 0,
    b: (sb.address >> 2) + bv.offset,
    bRow: bv.strides[r - 2],
    bCol: bv.strides[r - 1],
    bBatch: 0,
    c: out.address >> 2,
    bias: bias ? { at: biasAt, along: bias.along } : undefined,
  };
  const cd = collapseDims(batchShape, [av.strides.slice(0, r - 2), bv.strides.slice(0, r - 2)]);
  if (cd.shape.length <= 1) {
    gemm(ctx.heap, {
      ...base,
      batch,
      aBatch: cd.shape.length === 1 ? cd.strides[0][0] : 0,
      bBatch: cd.shape.length === 1 ? cd.strides[1][0] : 0,
    });
    return out;
  }
  // several batch dims with unrelated strides: one product per batch index, innermost dim batched
  const dims = cd.shape, rank = dims.length, inner = dims[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  for (let outer = 0; outer < batch / inner; outer++) {
    let aOff = 0, bOff = 0;
    for (let d = 0; d < rank - 1; d++) {
      aOff += index[d] * cd.strides[0][d];
      bOff += index[d] * cd.strides[1][d];
    }
    gemm(ctx.heap, {
      ...base,
      batch: inner,
      a: base.a + aOff,
      b: base.b + bOff,
      aBatch: cd.strides[0][rank - 1],
      bBatch: cd.strides[1][rank - 1],
      c: base.c + outer * inner * m * n,
    });
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return out;
}
