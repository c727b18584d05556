/**
 * Tests of the cpu backend's BLAS path (lib/backend/cpu/blas.ts) against a float64 triple loop.
 * The products need `--allow-ffi` and an optimised BLAS (OpenBLAS, MKL or Accelerate); without the
 * permission they are ignored and only the "no permission" behaviour is checked:
 * `deno test --allow-ffi --allow-read=. tests/backend/cpu_blas_test.ts`.
 */
import assert from "node:assert/strict";
import { Heap } from "../../lib/backend/cpu/heap.ts";
import { blasGemm, blasInfo, type GemmArgs, setBlasThreads } from "../../lib/backend/cpu/blas.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
// opening the library here, at registration, is what lets the cases say why they are skipped
const info = ffi ? blasInfo() : null;
const NEEDS = "(needs --allow-ffi and an optimised BLAS)";
const skip = info === null;

/** The strides of one product; A, B (and the bias) are placed and filled with random values by {@link run}. */
type Layout = Omit<GemmArgs, "a" | "b" | "c" | "bias"> & { bias?: "rows" | "cols" };

/** Allocates the elements a strided operand reaches, fills them with random float32 values, returns its element index. */
function place(heap: Heap, seed: number, extents: [number, number][]): number {
  const span = 1 + extents.reduce((s, [extent, stride]) => s + (extent - 1) * stride, 0);
  const at = heap.alloc(span * 4) / 4;
  heap.views.f32.set(randomArray(span, -1, 1, seed, { float32: true }), at);
  return at;
}

/**
 * Runs blasGemm on random operands laid out as `layout` says; returns what it returned, C, the
 * float64 product and per-value tolerances (the float32 rounding bound (k+1)·2⁻²⁴·Σ|terms|, doubled).
 */
function run(layout: Layout, seed = 1) {
  const heap = new Heap();
  const { m, n, k, batch } = layout;
  const a = place(heap, seed, [[batch, layout.aBatch], [m, layout.aRow], [k, layout.aCol]]);
  const b = place(heap, seed + 1, [[batch, layout.bBatch], [k, layout.bRow], [n, layout.bCol]]);
  const biasAt = layout.bias ? place(heap, seed + 2, [[layout.bias === "rows" ? m : n, 1]]) : 0;
  const c = heap.alloc(Math.max(1, batch * m * n) * 4) / 4;
  // NaN in C shows a product that read C when it should not (beta = 0) or left a value unwritten
  heap.views.f32.fill(NaN, c, c + batch * m * n);
  const args: GemmArgs = {
    ...layout,
    a,
    b,
    c,
    bias: layout.bias ? { at: biasAt, along: layout.bias } : undefined,
  };
  const ok = blasGemm(heap, args);
  const f32 = heap.views.f32;
  const want = new Float64Array(batch * m * n), tol = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const term = f32[a + t * layout.aBatch + i * layout.aRow + p * layout.aCol] *
            f32[b + t * layout.bBatch + p * layout.bRow + j * layout.bCol];
          sum += term;
          abs += Math.abs(term);
        }
        const add = layout.bias === "rows" ? f32[biasAt + i] : layout.bias === "cols" ? f32[biasAt + j] : 0;
        want[(t * m + i) * n + j] = sum + add;
        tol[(t * m + i) * n + j] = 2 * (k + 1) * 2 ** -24 * (abs + Math.abs(add));
      }
    }
  }
  return { ok, got: Array.from(f32.subarray(c, c + batch * m * n)), want, tol, heap, args };
}

function assertProduct(layout: Layout, what: string): void {
  const r = run(layout);
  assert.equal(r.ok, true, `${what}: blasGemm should take these strides`);
  assertClose(r.got, r.want, { atolEach: r.tol, what });
}

/** Row-major strides (padded by `pad` elements per row) of an m×k A and a k×n B. */
function rowMajor(n: number, k: number, pad = 0) {
  return { aRow: k + pad, aCol: 1, bRow: n + pad, bCol: 1 };
}

Deno.test({
  name: `blasGemm() matches a float64 product for row-major A and B, dense and padded ${NEEDS}`,
  ignore: skip,
  fn() {
    const [m, n, k] = [37, 29, 53];
    assertProduct({ m, n, k, batch: 1, ...rowMajor(n, k), aBatch: 0, bBatch: 0 }, "dense");
    assertProduct({ m, n, k, batch: 1, ...rowMajor(n, k, 5), aBatch: 0, bBatch: 0 }, "padded");
  },
});

Deno.test({
  name: `blasGemm() matches a float64 product for transposed (column-major) A and B ${NEEDS}`,
  ignore: skip,
  fn() {
    const [m, n, k] = [23, 41, 19];
    // A[i,p] at i + p·(m+3): A stored as its transpose; likewise B
    assertProduct({ m, n, k, batch: 1, aRow: 1, aCol: m + 3, aBatch: 0, bRow: 1, bCol: k, bBatch: 0 }, "both");
    assertProduct({ m, n, k, batch: 1, aRow: 1, aCol: m, aBatch: 0, bRow: n, bCol: 1, bBatch: 0 }, "A only");
    assertProduct({ m, n, k, batch: 1, aRow: k, aCol: 1, aBatch: 0, bRow: 1, bCol: k + 2, bBatch: 0 }, "B only");
  },
});

Deno.test({
  name: `blasGemm() loops or folds batches, batch stride 0 included ${NEEDS}`,
  ignore: skip,
  fn() {
    const [m, n, k, batch] = [13, 17, 11, 4];
    const rm = rowMajor(n, k);
    assertProduct({ m, n, k, batch, ...rm, aBatch: m * k, bBatch: k * n }, "both batched");
    // shared B with stacked A: the one-call (batch·m)×k fold
    assertProduct({ m, n, k, batch, ...rm, aBatch: m * k, bBatch: 0 }, "B shared, A stacked");
    assertProduct({ m: 1, n, k, batch, ...rm, aBatch: k + 3, bBatch: 0 }, "B shared, A single rows");
    // A stored as the transpose of the stacked (batch·m)×k matrix: the fold with transA
    assertProduct({ m, n, k, batch, aRow: 1, aCol: batch * m, aBatch: m, bRow: n, bCol: 1, bBatch: 0 }, "A^T");
    // shared B but A batches spaced irregularly: must loop, not fold
    assertProduct({ m, n, k, batch, ...rm, aBatch: m * k + 7, bBatch: 0 }, "B shared, A gapped");
    assertProduct({ m, n, k, batch, ...rm, aBatch: 0, bBatch: k * n }, "A shared");
    assertProduct({ m, n, k, batch: 3, ...rm, aBatch: 0, bBatch: 0 }, "both shared");
  },
});

Deno.test({
  name: `blasGemm() adds a bias along rows or columns, in every batch ${NEEDS}`,
  ignore: skip,
  fn() {
    const [m, n, k] = [9, 14, 21];
    const rm = rowMajor(n, k);
    for (const bias of ["rows", "cols"] as const) {
      assertProduct({ m, n, k, batch: 1, ...rm, aBatch: 0, bBatch: 0, bias }, `bias ${bias}`);
      assertProduct({ m, n, k, batch: 3, ...rm, aBatch: m * k, bBatch: k * n, bias }, `batched bias ${bias}`);
      assertProduct({ m, n, k, batch: 3, ...rm, aBatch: m * k, bBatch: 0, bias }, `folded bias ${bias}`);
    }
    // k = 0: an empty sum leaves the bias alone (and zeros without one)
    assertProduct({ m, n, k: 0, batch: 2, ...rm, aBatch: 0, bBatch: 0, bias: "cols" }, "k = 0 with bias");
    assertProduct({ m, n, k: 0, batch: 2, ...rm, aBatch: 0, bBatch: 0 }, "k = 0");
  },
});

Deno.test({
  name: `blasGemm() returns false and leaves C untouched for strides BLAS cannot take ${NEEDS}`,
  ignore: skip,
  fn() {
    const [m, n, k] = [6, 5, 7];
    const rm = rowMajor(n, k);
    const cases: [string, Layout][] = [
      ["A with no unit stride", { m, n, k, batch: 1, ...rm, aRow: 2 * k, aCol: 2, aBatch: 0, bBatch: 0 }],
      ["A rows overlapping (lda < k)", { m, n, k, batch: 1, ...rm, aRow: k - 1, aBatch: 0, bBatch: 0 }],
      ["B rows broadcast (stride 0)", { m, n, k, batch: 1, ...rm, bRow: 0, aBatch: 0, bBatch: 0 }],
      ["B columns broadcast", { m, n, k, batch: 2, ...rm, bCol: 0, bRow: 1, aBatch: m * k, bBatch: 0 }],
    ];
    for (const [what, layout] of cases) {
      const r = run(layout);
      assert.equal(r.ok, false, what);
      assert.ok(r.got.every(Number.isNaN), `${what}: C was written`);
    }
  },
});

Deno.test({
  name: `blasGemm() throws a RangeError before BLAS reads outside the heap ${NEEDS}`,
  ignore: skip,
  fn() {
    const { heap, args } = run({ m: 4, n: 4, k: 4, batch: 1, ...rowMajor(4, 4), aBatch: 0, bBatch: 0 });
    const end = heap.views.f32.length;
    assert.throws(() => blasGemm(heap, { ...args, b: end - 3 }), /blasGemm: B reaches elements .* outside the heap/);
    assert.throws(() => blasGemm(heap, { ...args, c: -1 }), /blasGemm: C reaches/);
    assert.throws(() => blasGemm(heap, { ...args, m: 2.5 }), /blasGemm: m must be an integer/);
  },
});

Deno.test({
  name: `setBlasThreads() sets the library's thread count; blasInfo() names it ${NEEDS}`,
  ignore: skip,
  fn() {
    const before = blasInfo()!;
    assert.match(before.library, /OpenBLAS|MKL|Accelerate/);
    if (before.threads === 0) return; // Accelerate: the library decides
    try {
      setBlasThreads(1);
      assert.equal(blasInfo()!.threads, 1);
    } finally {
      setBlasThreads(before.threads);
    }
    assert.equal(blasInfo()!.threads, before.threads);
  },
});

Deno.test("setBlasThreads() rejects a count that is not a positive integer", () => {
  assert.throws(() => setBlasThreads(0), /setBlasThreads: the thread count must be a positive integer, got 0/);
  assert.throws(() => setBlasThreads(1.5), RangeError);
});

Deno.test({
  name: "without --allow-ffi, blasGemm() returns false and blasInfo() is null (runs only without the permission)",
  ignore: ffi,
  fn() {
    const r = run({ m: 3, n: 3, k: 3, batch: 1, ...rowMajor(3, 3), aBatch: 0, bBatch: 0 });
    assert.equal(r.ok, false);
    assert.ok(r.got.every(Number.isNaN), "C was written");
    assert.equal(blasInfo(), null);
  },
});
