/**
 * Tests of the cpu backend's WebAssembly GEMM (lib/backend/cpu/gemm.ts) against a float64 triple
 * loop: odd and empty shapes, every edge of the register and cache tiles, transposed and
 * broadcast operands, batches and biases, on one thread and split over the pool; and of the pool
 * and the emitter underneath.
 */
import assert from "node:assert/strict";
import { rng } from "../_helpers.ts";
import { Heap } from "../../lib/backend/cpu/heap.ts";
import { gemm, type GemmArgs, wasmGemm } from "../../lib/backend/cpu/gemm.ts";
import { cpuThreads, runJob, setCpuThreads } from "../../lib/backend/cpu/threads.ts";
import { ModuleBuilder } from "../../lib/backend/cpu/wasm/emit.ts";
import {
  defaultGemmConfig,
  emitGemm,
  GEMM_PARAMS,
  gemmScratchBytes,
  packedBBytes,
} from "../../lib/backend/cpu/wasm/gemm.ts";

const heap = new Heap();
const random = rng(13);
const EPS = 2 ** -23;
const SENTINEL = -12345.5;
const GUARD = 37; // elements of sentinel on each side of C

/** How an operand's [rows, cols] are laid out: element strides from its shape. */
type Layout = "row" | "col" | "strided" | "bcastRows" | "bcastCols";

function strides(layout: Layout, rows: number, cols: number): [number, number] {
  switch (layout) {
    case "row":
      return [cols, 1];
    case "col":
      return [1, rows];
    case "strided":
      return [2 * cols + 3, 2];
    case "bcastRows": // every row the same
      return [0, 1];
    case "bcastCols": // every column the same
      return [1, 0];
  }
}

interface Case {
  m: number;
  n: number;
  k: number;
  batch?: number;
  a?: Layout;
  b?: Layout;
  /** Whether the operand's batch stride is 0 (one matrix for every batch item). */
  aShared?: boolean;
  bShared?: boolean;
  bias?: "rows" | "cols";
}

/** An operand of `batch` × rows × cols in `layout`, filled at random; its element index and strides. */
function operand(batch: number, rows: number, cols: number, layout: Layout, shared: boolean) {
  const [row, col] = strides(layout, rows, cols);
  const matrix = rows === 0 || cols === 0 ? 0 : (rows - 1) * row + (cols - 1) * col + 1;
  const batchStride = shared ? 0 : matrix + 5;
  const size = Math.max(1, (batch - 1) * batchStride + matrix);
  const at = heap.alloc(size * 4) >> 2;
  const f32 = heap.views.f32;
  for (let i = 0; i < size; i++) f32[at + i] = random() * 2 - 1;
  return { at, row, col, batchStride, size };
}

/** Runs `c` through `fn` and checks every element against float64 within 4·sqrt(k)·eps·Σ|a·b|. */
function check(c: Case, fn: (heap: Heap, args: GemmArgs) => void = wasmGemm): void {
  const { m, n, k, batch = 1 } = c;
  const A = operand(batch, m, k, c.a ?? "row", c.aShared ?? false);
  const B = operand(batch, k, n, c.b ?? "row", c.bShared ?? false);
  const biasCount = c.bias === "rows" ? m : n;
  const biasAt = heap.alloc(Math.max(1, biasCount) * 4) >> 2;
  for (let i = 0; i < biasCount; i++) heap.views.f32[biasAt + i] = random() * 4 - 2;
  const outSize = batch * m * n;
  const cAt = (heap.alloc((outSize + 2 * GUARD) * 4) >> 2) + GUARD;
  heap.views.f32.fill(SENTINEL, cAt - GUARD, cAt + outSize + GUARD);
  const args: GemmArgs = {
    m,
    n,
    k,
    batch,
    a: A.at,
    aRow: A.row,
    aCol: A.col,
    aBatch: A.batchStride,
    b: B.at,
    bRow: B.row,
    bCol: B.col,
    bBatch: B.batchStride,
    c: cAt,
    bias: c.bias === undefined ? undefined : { at: biasAt, along: c.bias },
  }; // deno-fmt-ignore
  fn(heap, args);
  const f32 = heap.views.f32;
  const label = `${JSON.stringify(c)} on ${cpuThreads()} threads`;
  for (let g = 0; g < GUARD; g++) {
    assert.equal(f32[cAt - GUARD + g], SENTINEL, `${label}: wrote before C`);
    assert.equal(f32[cAt + outSize + g], SENTINEL, `${label}: wrote past C`);
  }
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0, magnitude = 0;
        for (let p = 0; p < k; p++) {
          const product = f32[A.at + bi * A.batchStride + i * A.row + p * A.col] *
            f32[B.at + bi * B.batchStride + p * B.row + j * B.col];
          sum += product;
          magnitude += Math.abs(product);
        }
        const b = c.bias === "rows" ? f32[biasAt + i] : c.bias === "cols" ? f32[biasAt + j] : 0;
        const expected = sum + b;
        const got = f32[cAt + (bi * m + i) * n + j];
        const tol = 4 * Math.sqrt(Math.max(k, 1)) * EPS * magnitude + 2 * EPS * Math.abs(b);
        if (!(Math.abs(got - expected) <= tol)) {
          assert.fail(`${label}: C[${bi},${i},${j}] = ${got}, expected ${expected} (tolerance ${tol})`);
        }
      }
    }
  }
  heap.release(A.at * 4, A.size * 4);
  heap.release(B.at * 4, B.size * 4);
  heap.release(biasAt * 4, Math.max(1, biasCount) * 4);
  heap.release((cAt - GUARD) * 4, (outSize + 2 * GUARD) * 4);
}

const { mr, nr, mc, kc, nc } = defaultGemmConfig();

/** Shapes around every tile edge, small enough for one thread. */
const SHAPES: Case[] = [
  { m: 1, n: 1, k: 1 },
  { m: 13, n: 17, k: 19 },
  { m: mr, n: nr, k: 1 },
  { m: mr + 1, n: nr - 1, k: 3 },
  { m: 2 * mr - 1, n: 2 * nr + 1, k: kc },
  { m: 5, n: 7, k: kc + 1 },
  { m: mc + 1, n: 3, k: 9 },
  { m: 3, n: nc + 3, k: 5 },
  { m: 1, n: 300, k: 70 },
  { m: 300, n: 1, k: 70 },
];

const LAYOUTS: [Layout, Layout][] = [
  ["col", "row"],
  ["row", "col"],
  ["col", "col"],
  ["strided", "strided"],
  ["bcastRows", "row"],
  ["bcastCols", "bcastRows"],
  ["row", "bcastCols"],
];

/** Products big enough to be split over threads: by rows, columns and batch items, with B shared packed or not. */
const SPLIT: Case[] = [
  { m: 203, n: 190, k: 81 },
  { m: 7, n: 2003, k: 211 },
  { m: 61, n: 67, k: 131, batch: 5 },
  { m: 150, n: 151, k: 300, bias: "cols", a: "col" },
  { m: 150, n: 100, k: 300, bias: "rows", b: "col", batch: 2, bShared: true },
  { m: 150, n: 90, k: 100, batch: 2, b: "strided" },
];

function suite(threads: number): void {
  const name = (text: string) => `${text} (${threads} thread${threads > 1 ? "s" : ""})`;
  const on = (body: () => void) => () => {
    const before = cpuThreads();
    setCpuThreads(threads);
    try {
      body();
    } finally {
      setCpuThreads(before);
    }
  };

  Deno.test(
    name("wasmGemm matches float64 for odd shapes and every tile edge"),
    on(() => {
      for (const shape of SHAPES) check(shape);
    }),
  );

  Deno.test(
    name("wasmGemm reads transposed, strided and broadcast operands in place"),
    on(() => {
      for (const [a, b] of LAYOUTS) {
        check({ m: 13, n: 17, k: 19, a, b });
        check({ m: mr * 3, n: nr * 2, k: 40, a, b });
      }
    }),
  );

  Deno.test(
    name("wasmGemm computes batches, with batch stride 0 broadcasting an operand"),
    on(() => {
      check({ m: 5, n: 9, k: 7, batch: 3 });
      check({ m: 5, n: 9, k: 7, batch: 4, aShared: true });
      check({ m: 8, n: 3, k: 11, batch: 3, bShared: true, a: "col" });
    }),
  );

  Deno.test(
    name("wasmGemm adds the bias along rows or columns once, over several depth blocks"),
    on(() => {
      for (const bias of ["rows", "cols"] as const) {
        check({ m: 13, n: 17, k: 19, bias });
        check({ m: 2 * mr, n: 2 * nr, k: kc + 7, bias, batch: 2 });
        check({ m: 1, n: 1, k: 1, bias });
      }
    }),
  );

  Deno.test(
    name("wasmGemm gives the bias or zeros when k is 0, and writes nothing when C is empty"),
    on(() => {
      check({ m: 3, n: 5, k: 0 });
      check({ m: 3, n: 5, k: 0, bias: "rows", batch: 2 });
      check({ m: 3, n: 5, k: 0, bias: "cols" });
      check({ m: 0, n: 5, k: 4 });
      check({ m: 3, n: 0, k: 4, bias: "cols" });
      check({ m: 3, n: 5, k: 4, batch: 0 });
    }),
  );

  Deno.test(
    name("wasmGemm splits large products by rows, columns and batch items"),
    on(() => {
      for (const shape of SPLIT) check(shape);
    }),
  );

  Deno.test(
    name("gemm (BLAS when granted, else wasm) matches float64"),
    on(() => {
      check({ m: 13, n: 17, k: 19, a: "col", bias: "cols" }, gemm);
      check({ m: 64, n: 70, k: 300, batch: 2, bShared: true }, gemm);
    }),
  );
}

suite(1);
suite(navigator.hardwareConcurrency);
suite(3); // more threads than this machine's cores: uneven splits and a worker without a core of its own

Deno.test("gemm rejects operands outside the heap and bad sizes, naming the op", () => {
  const base: GemmArgs = {
    m: 4,
    n: 4,
    k: 4,
    batch: 1,
    a: 0,
    aRow: 4,
    aCol: 1,
    aBatch: 0,
    b: 0,
    bRow: 4,
    bCol: 1,
    bBatch: 0,
    c: 1024,
  }; // deno-fmt-ignore
  const length = heap.views.f32.length;
  assert.throws(() => wasmGemm(heap, { ...base, a: length - 3 }), /cpu wasmGemm: A .* reaches outside the heap/);
  assert.throws(() => wasmGemm(heap, { ...base, bRow: length }), /cpu wasmGemm: B .* reaches outside/);
  assert.throws(() => gemm(heap, { ...base, c: length - 2 }), /cpu gemm: C .* reaches outside/);
  assert.throws(() => gemm(heap, { ...base, m: 1.5 }), /cpu gemm: m must be an integer/);
  assert.throws(() => gemm(heap, { ...base, aCol: -1 }), /cpu gemm: aCol must be an integer/);
});

Deno.test("generated kernels are correct for other register tiles, without fused multiply-add, with B packed ahead", () => {
  const m = 23, n = 29, k = 37;
  const A = operand(1, m, k, "row", false), B = operand(1, k, n, "col", false);
  const cAt = heap.alloc(m * n * 4) >> 2;
  for (const tile of [{ mr: 4, nr: 4, fused: false }, { mr: 3, nr: 12, unroll: 2 }, { mr: 1, nr: 8, unroll: 4 }]) {
    const cfg = { ...defaultGemmConfig(), ...tile, mc: tile.mr * 5, kc: 8, nc: tile.nr * 2 };
    const module = new WebAssembly.Module(emitGemm(cfg));
    const { exports } = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    const [gemmExport, packExport] = [exports.gemm, exports.packB] as ((...a: number[]) => void)[];
    const scratch = heap.alloc(gemmScratchBytes(cfg));
    const packed = heap.alloc(packedBBytes(cfg, k, n));
    const split = Math.ceil(n / 2 / tile.nr) * tile.nr; // packed in two parts, as two threads would
    packExport(B.at * 4, B.row * 4, B.col * 4, k, n, packed, scratch, 0, split);
    packExport(B.at * 4, B.row * 4, B.col * 4, k, n, packed, scratch, split, n);
    for (const packedB of [0, packed]) {
      heap.views.f32.fill(NaN, cAt, cAt + m * n);
      const args = [
        m,
        n,
        k,
        A.at * 4,
        A.row * 4,
        A.col * 4,
        0,
        B.at * 4,
        B.row * 4,
        B.col * 4,
        0,
        cAt * 4,
        0,
        0,
        packedB,
      ];
      assert.equal(args.length + 7, GEMM_PARAMS.length);
      gemmExport(...args, scratch, 0, 1, 0, 10, 0, n);
      gemmExport(...args, scratch, 0, 1, 10, m, 0, n);
      const f32 = heap.views.f32;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0, magnitude = 0;
          for (let p = 0; p < k; p++) {
            const product = f32[A.at + i * A.row + p * A.col] * f32[B.at + p * B.row + j * B.col];
            sum += product;
            magnitude += Math.abs(product);
          }
          const got = f32[cAt + i * n + j];
          const label = `${JSON.stringify(tile)}${
            packedB ? " packed ahead" : ""
          }: C[${i},${j}] = ${got}, expected ${sum}`;
          assert.ok(Math.abs(got - sum) <= 4 * Math.sqrt(k) * EPS * magnitude, label);
        }
      }
    }
    heap.release(scratch, gemmScratchBytes(cfg));
    heap.release(packed, packedBBytes(cfg, k, n));
  }
});

/**
 * A module whose `mark(dst, value, spin, scratch, part)` adds value + part to dst[part], stores the
 * scratch address at dst[64 + part] and then counts to `spin`; part 99 stores outside the memory
 * (a trap on whichever thread runs it).
 */
function markModule(): WebAssembly.Module {
  const module = new ModuleBuilder();
  const f = module.function("mark", ["i32", "i32", "i32", "i32", "i32"]);
  const [dst, value, spin, scratch, part] = [0, 1, 2, 3, 4];
  const at = f.local("i32"), i = f.local("i32");
  f.get(dst).get(part).i32(2).op("i32.shl").op("i32.add").set(at);
  f.get(at).get(at).mem("i32.load").get(value).op("i32.add").get(part).op("i32.add").mem("i32.store");
  f.get(at).get(scratch).mem("i32.store", 256);
  f.for(i, () => f.i32(0), () => f.get(spin), 1, () => {});
  f.get(part).i32(99).op("i32.eq").if(() => f.i32(-16).i32(0).mem("i32.store"));
  return new WebAssembly.Module(module.emit());
}

Deno.test("runJob runs each part exactly once, spread over the threads, and reports a trap", () => {
  const before = cpuThreads();
  setCpuThreads(3);
  try {
    const module = markModule();
    const dst = heap.alloc(128 * 4), words = dst >> 2, parts = 40;
    const job = (value: number, spin: number, ids: number[]) => ({
      module,
      exportName: "mark",
      args: [dst, value, spin],
      parts: ids.map((p) => [p]),
      scratchBytes: 256,
    }); // deno-fmt-ignore
    for (let round = 0; round < 3; round++) {
      heap.views.i32.fill(0, words, words + 128);
      // each part counts long enough (~0.1–1 ms) that the workers wake before the calling thread is done
      runJob(heap, job(100 * round, 1_000_000, Array.from({ length: parts }, (_, p) => p)));
      const i32 = heap.views.i32;
      assert.deepEqual([...i32.subarray(words, words + parts)], Array.from({ length: parts }, (_, p) => 100 * round + p));
      const threadsSeen = new Set(i32.subarray(words + 64, words + 64 + parts)).size;
      assert.ok(threadsSeen >= 2 && threadsSeen <= 3, `parts ran on ${threadsSeen} threads, expected 2 or 3`);
    }
    assert.throws(() => runJob(heap, job(0, 0, [0, 1, 99])), /(cpu mark: thread \d failed: .*)?(memory|bounds)/);
    // the pool still works after a failure
    heap.views.i32.fill(0, words, words + 2);
    runJob(heap, job(7, 0, [0, 1]));
    assert.deepEqual([...heap.views.i32.subarray(words, words + 2)], [7, 8]);
  } finally {
    setCpuThreads(before);
  }
});

Deno.test("setCpuThreads rejects counts that are not positive integers", () => {
  assert.throws(() => setCpuThreads(0), /setCpuThreads: expected an integer/);
  assert.throws(() => setCpuThreads(2.5), /setCpuThreads: expected an integer/);
});
