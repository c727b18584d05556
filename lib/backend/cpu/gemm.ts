/**
 * The cpu backend's float32 matrix product: the system BLAS when it is available and suits the
 * strides (blas.ts), else the generated WebAssembly SIMD GEMM (wasm/gemm.ts) split over the
 * thread pool (threads.ts). Operands are read in place from the heap through their element
 * strides, so transposed and broadcast views need no copy.
 * @module
 */
import { blasGemm } from "./blas.ts";
import type { Heap } from "./heap.ts";
import { cpuThreads, MAX_PARTS, runJob } from "./threads.ts";
import { gemmModule, gemmScratchBytes, packedBBytes } from "./wasm/gemm.ts";

/**
 * A batched matrix product `C[b] = A[b] · B[b] (+ bias)` over the heap's float32 view.
 *
 * `A[b,i,p] = f32[a + b·aBatch + i·aRow + p·aCol]` (m × k), `B[b,p,j] = f32[b + b·bBatch + p·bRow + j·bCol]`
 * (k × n), indices and strides in elements, strides ≥ 0 (0 broadcasts); `C` is contiguous
 * `[batch, m, n]` from element `c` and overlaps neither operand nor the bias. `bias.at` is the
 * element index of `m` values added to each row (`"rows"`: `C[b,i,j] += bias[i]`) or of `n` values
 * added to each column (`"cols"`: `C[b,i,j] += bias[j]`).
 */
export interface GemmArgs {
  /** Rows of A and C. */
  m: number;
  /** Columns of B and C. */
  n: number;
  /** Columns of A, rows of B: the length of each dot product. */
  k: number;
  /** Number of products. */
  batch: number;
  /** Element index of `A[0,0,0]`. */
  a: number;
  /** Element stride between rows of A. */
  aRow: number;
  /** Element stride between columns of A. */
  aCol: number;
  /** Element stride between the A of consecutive batches (0: one A for all). */
  aBatch: number;
  /** Element index of `B[0,0,0]`. */
  b: number;
  /** Element stride between rows of B. */
  bRow: number;
  /** Element stride between columns of B. */
  bCol: number;
  /** Element stride between the B of consecutive batches (0: one B for all). */
  bBatch: number;
  /** Element index of `C[0,0,0]`; C is contiguous `[batch, m, n]`. */
  c: number;
  /** Values added to C: `m` of them along `"rows"`, `n` along `"cols"`, from element index `at`. */
  bias?: { at: number; along: "rows" | "cols" };
}

/**
 * Multiply-adds (m·n·k summed over the batch) per thread below which a product is not split
 * further: about 90 µs on one core here, against ~3 µs to hand a job to spinning workers and
 * tens to hundreds of µs to wake sleeping ones.
 */
const SPLIT_WORK = 2 ** 21;
/** Parts per thread of a split product, so that a thread slowed by other processes takes fewer. */
const PARTS_PER_THREAD = 4;
/**
 * Fewest columns per part beyond one per thread when a product is split by columns: each part
 * then packs all of A, which costs about as much as computing ~11 columns (measured at 1024).
 */
const MIN_COLUMNS = 256;

/**
 * Computes `C[b] = A[b] · B[b] (+ bias)` for every batch item (see {@link GemmArgs}).
 *
 * With k = 0 the sums are empty: C becomes the bias, or zeros. Large products are split over
 * {@link cpuThreads} threads by batch items, rows or columns, whichever has enough to share, in
 * several parts per thread that the threads claim in turn.
 *
 * @param heap The heap every index refers to.
 * @param args Shapes, element indices and strides.
 * @throws RangeError when a size or stride is not a non-negative integer, or an operand reaches outside the heap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Heap } from "./heap.ts";
 * import { gemm } from "./gemm.ts";
 * const heap = new Heap();
 * const at = heap.alloc(4 * 8) >> 2, f32 = heap.views.f32;
 * f32.set([1, 2, 3, 4], at); // A = B = [[1, 2], [3, 4]]
 * gemm(heap, { m: 2, n: 2, k: 2, batch: 1, a: at, aRow: 2, aCol: 1, aBatch: 0, b: at, bRow: 2, bCol: 1, bBatch: 0, c: at + 4 });
 * assert.deepEqual([...heap.views.f32.subarray(at + 4, at + 8)], [7, 10, 15, 22]);
 * ```
 */
export function gemm(heap: Heap, args: GemmArgs): void {
  if (!checkArgs(heap, "gemm", args)) return;
  if (blasGemm(heap, args)) return;
  wasmGemm(heap, args);
}

/**
 * {@link gemm} without the BLAS attempt: always the WebAssembly kernel (for tests and benchmarks
 * of that kernel, and as the fallback). Same arguments, result and errors.
 */
export function wasmGemm(heap: Heap, args: GemmArgs): void {
  if (!checkArgs(heap, "wasmGemm", args)) return;
  const { m, n, k, batch, bias } = args;
  if (k === 0) return emptySum(heap, args);
  const { cfg, module } = gemmModule();
  const biasMode = bias === undefined ? 0 : bias.along === "rows" ? 1 : 2;
  const bytes = (elements: number) => elements * 4;
  // deno-fmt-ignore
  const shared = [
    m, n, k,
    bytes(args.a), bytes(args.aRow), bytes(args.aCol), bytes(args.aBatch),
    bytes(args.b), bytes(args.bRow), bytes(args.bCol), bytes(args.bBatch),
    bytes(args.c), bytes(bias?.at ?? 0), biasMode,
  ];
  const threads = Math.min(cpuThreads(), Math.max(1, Math.floor(batch * m * n * k / SPLIT_WORK)));
  const axis = threads === 1
    ? "none"
    : batch >= threads
    ? "batch"
    : Math.ceil(m / cfg.mr) >= Math.ceil(n / cfg.nr)
    ? "rows"
    : "cols";
  // when every part would pack the same B, the threads pack it once, together, and share it
  const packedBytes = (axis === "rows" || axis === "batch") && (batch === 1 || args.bBatch === 0)
    ? packedBBytes(cfg, k, n)
    : 0;
  const packedB = packedBytes > 0 ? sharedBlock(heap, packedBytes) : 0;
  const shareB = packedB !== 0;
  try {
    if (shareB) {
      runJob(heap, {
        module,
        exportName: "packB",
        args: [bytes(args.b), bytes(args.bRow), bytes(args.bCol), k, n, packedB],
        parts: ranges(n, cfg.nr, threads * PARTS_PER_THREAD),
        scratchBytes: 0,
      });
    }
    const all = [0, batch, 0, m, 0, n];
    const parts = axis === "none"
      ? [all]
      : axis === "batch"
      ? ranges(batch, 1, threads * PARTS_PER_THREAD).map(([b0, b1]) => [b0, b1, 0, m, 0, n])
      : axis === "rows"
      ? ranges(m, rowTile(m, threads, cfg), threads * PARTS_PER_THREAD).map(([r0, r1]) => [0, batch, r0, r1, 0, n])
      : ranges(n, cfg.nr, Math.max(threads, Math.min(threads * PARTS_PER_THREAD, Math.floor(n / MIN_COLUMNS))))
        .map(([c0, c1]) => [0, batch, 0, m, c0, c1]);
    runJob(heap, {
      module,
      exportName: "gemm",
      args: [...shared, packedB],
      parts,
      scratchBytes: gemmScratchBytes(cfg),
    });
  } finally {
    if (shareB) heap.release(packedB, packedBytes);
  }
}

/** A block for the shared packed B, or 0 where the heap cannot grow by that much (each part then packs its own). */
function sharedBlock(heap: Heap, bytes: number): number {
  try {
    return heap.alloc(bytes, "matmul");
  } catch (e) {
    if (e instanceof RangeError) return 0;
    throw e;
  }
}

/**
 * Rows per tile of a row split: whole A blocks (`mc` rows) where there are two per thread, since
 * a part of fewer rows reuses each packed B panel less (measured 7% slower at 64 rows than 96),
 * else whole register tiles.
 */
function rowTile(m: number, threads: number, cfg: { mr: number; mc: number }): number {
  return Math.ceil(m / cfg.mc) >= 2 * threads ? cfg.mc : cfg.mr;
}

/** `count` cut into at most `parts` ranges of whole `tile`s, as even as the tiles allow. */
function ranges(count: number, tile: number, parts: number): [number, number][] {
  const tiles = Math.ceil(count / tile);
  parts = Math.max(1, Math.min(parts, tiles, MAX_PARTS));
  return Array.from({ length: parts }, (_, t) => [
    Math.floor(tiles * t / parts) * tile,
    Math.min(count, Math.floor(tiles * (t + 1) / parts) * tile),
  ]);
}

/** Validates `args` against the heap (a RangeError naming `op` otherwise); false when C is empty. */
function checkArgs(heap: Heap, op: string, args: GemmArgs): boolean {
  const { m, n, k, batch, bias } = args;
  for (
    const key of ["m", "n", "k", "batch", "a", "aRow", "aCol", "aBatch", "b", "bRow", "bCol", "bBatch", "c"] as const
  ) {
    const v = args[key];
    if (!Number.isInteger(v) || v < 0 || v > 0x3fffffff) {
      throw new RangeError(`cpu ${op}: ${key} must be an integer in [0, 2^30), got ${v}`);
    }
  }
  if (batch * m * n === 0) return false;
  const length = heap.views.f32.length;
  const inside = (name: string, at: number, extents: [number, number][]) => {
    const last = extents.reduce((sum, [count, stride]) => sum + (count - 1) * stride, at);
    if (!Number.isInteger(at) || at < 0 || last >= length) {
      throw new RangeError(
        `cpu ${op}: ${name} (from element ${at}, [count, stride] ${JSON.stringify(extents)}) reaches outside ` +
          `the heap of ${length} float32; check the view's offset and strides`,
      );
    }
  };
  inside("C", args.c, [[batch * m * n, 1]]);
  if (bias) inside("bias", bias.at, [[bias.along === "rows" ? m : n, 1]]);
  if (k > 0) {
    inside("A", args.a, [[batch, args.aBatch], [m, args.aRow], [k, args.aCol]]);
    inside("B", args.b, [[batch, args.bBatch], [k, args.bRow], [n, args.bCol]]);
  }
  return true;
}

/** C for k = 0: each row the bias (or zeros). */
function emptySum(heap: Heap, { m, n, batch, c, bias }: GemmArgs): void {
  const f32 = heap.views.f32;
  if (bias === undefined) {
    f32.fill(0, c, c + batch * m * n);
    return;
  }
  for (let row = 0; row < batch * m; row++) {
    const at = c + row * n;
    if (bias.along === "cols") f32.copyWithin(at, bias.at, bias.at + n);
    else f32.fill(f32[bias.at + row % m], at, at + n);
  }
}
