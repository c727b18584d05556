/**
 * Matrix products of the cpu backend through the system's optimised BLAS (`cblas_sgemm` of
 * OpenBLAS, MKL or Apple Accelerate), used when the user runs with `--allow-ffi`.
 *
 * Every cpu storage lives in one shared `WebAssembly.Memory` ({@link Heap}), so the operands are
 * handed to BLAS in place, as `Float32Array` views over that memory: no copies. Nothing happens at
 * import: the permission is queried, and the library opened, on the first call of an export. A
 * missing permission or library only means "no BLAS" (`false` / `null`), never an error, so the
 * caller falls back to its WebAssembly gemm.
 *
 * Calls are synchronous: the JS thread waits while BLAS runs on its own threads (see
 * {@link setBlasThreads}).
 * @module
 */
import type { Heap } from "./heap.ts";
import type { GemmArgs } from "./gemm.ts";

export type { GemmArgs } from "./gemm.ts";

/** What {@link blasInfo} reports. */
export interface BlasInfo {
  /** The library and its build, e.g. `"OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64 (libopenblas.so.0)"`. */
  library: string;
  /** The threads it computes with; 0 where the library decides alone (Accelerate). */
  threads: number;
}

// CBLAS enum values (cblas.h), the same in every implementation.
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

// order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc. "buffer" views rather than
// raw pointers or addresses: measured the same per-call cost (0.2–0.6 µs on a 1×1×1 product, against
// ~5.5 µs for 64×64×64) and nothing to recompute when the memory grows.
const SGEMM = {
  // deno-fmt-ignore
  parameters: ["i32", "i32", "i32", "i32", "i32", "i32", "f32", "buffer", "i32", "buffer", "i32", "f32", "buffer", "i32"],
  result: "void",
} as const;

const OPENBLAS_SYMBOLS = {
  cblas_sgemm: SGEMM,
  // required: its presence is what tells OpenBLAS from a reference libblas that also exports cblas
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
} as const;

// MKL's C service API takes the count by value under these names (mkl_service.h maps
// mkl_set_num_threads to MKL_Set_Num_Threads); the lower-case exports are the Fortran ones.
const MKL_SYMBOLS = {
  cblas_sgemm: SGEMM,
  MKL_Get_Max_Threads: { parameters: [], result: "i32" },
  MKL_Set_Num_Threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

const ACCELERATE_SYMBOLS = { cblas_sgemm: SGEMM } as const;

type Sgemm = Deno.DynamicLibrary<typeof ACCELERATE_SYMBOLS>["symbols"]["cblas_sgemm"];

/** An opened library behind one shape, whichever it is. */
interface Blas {
  library: string;
  sgemm: Sgemm;
  threads(): number;
  setThreads: ((n: number) => void) | null;
}

/** Never the reference `libblas.so.3` (~2 GFLOP/s here): only libraries known to be optimised. */
function openBlas(): Blas | null {
  const os = Deno.build.os;
  if (os === "darwin") return openAccelerate("/System/Library/Frameworks/Accelerate.framework/Accelerate");
  const openblasNames = os === "windows" ? ["libopenblas.dll", "openblas.dll"] : ["libopenblas.so.0", "libopenblas.so"];
  for (const name of openblasNames) {
    const blas = openOpenblas(name);
    if (blas !== null) return blas;
  }
  return os === "linux" ? openMkl("libmkl_rt.so") : null;
}

function openOpenblas(name: string): Blas | null {
  const lib = tryDlopen(name, OPENBLAS_SYMBOLS);
  if (lib === null) return null;
  const s = lib.symbols;
  const config = s.openblas_get_config === null ? null : s.openblas_get_config();
  const build = config === null ? "OpenBLAS" : Deno.UnsafePointerView.getCString(config);
  return {
    library: `${build} (${name})`,
    sgemm: s.cblas_sgemm,
    threads: () => s.openblas_get_num_threads(),
    setThreads: s.openblas_set_num_threads,
  };
}

function openMkl(name: string): Blas | null {
  const lib = tryDlopen(name, MKL_SYMBOLS);
  if (lib === null) return null;
  const s = lib.symbols;
  return {
    library: `Intel MKL (${name})`,
    sgemm: s.cblas_sgemm,
    threads: () => s.MKL_Get_Max_Threads(),
    setThreads: s.MKL_Set_Num_Threads,
  };
}

function openAccelerate(path: string): Blas | null {
  const lib = tryDlopen(path, ACCELERATE_SYMBOLS);
  if (lib === null) return null;
  // Accelerate sizes its own thread pool (VECLIB_MAXIMUM_THREADS); nothing to set or read
  return { library: `Apple Accelerate (${path})`, sgemm: lib.symbols.cblas_sgemm, threads: () => 0, setThreads: null };
}

function tryDlopen<S extends Deno.ForeignLibraryInterface>(name: string, symbols: S): Deno.DynamicLibrary<S> | null {
  try {
    return Deno.dlopen(name, symbols);
  } catch {
    // not installed, or a required symbol missing: either way this candidate is not usable
    return null;
  }
}

/** `undefined`: not tried yet; `null`: tried, no permission or no library. */
let loaded: Blas | null | undefined;
let requestedThreads: number | null = null;

function blas(): Blas | null {
  if (loaded !== undefined) return loaded;
  loaded = ffiGranted() ? openBlas() : null;
  if (loaded !== null && requestedThreads !== null) loaded.setThreads?.(requestedThreads);
  return loaded;
}

function ffiGranted(): boolean {
  try {
    // querySync never prompts, unlike requestSync or a dlopen without the permission
    return typeof Deno !== "undefined" && Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The BLAS library the cpu backend uses, and its thread count; `null` without `--allow-ffi` or
 * when no optimised BLAS is installed. Opens the library on the first call.
 */
export function blasInfo(): BlasInfo | null {
  const b = blas();
  return b === null ? null : { library: b.library, threads: b.threads() };
}

/**
 * Sets the threads BLAS computes with (OpenBLAS and MKL; Accelerate ignores it), so that it uses the
 * cores the cpu backend was given and no more. Applied now if the library is open, else when it
 * opens. The setting is process-wide: it is the library's.
 *
 * @param n A positive integer.
 */
export function setBlasThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`setBlasThreads: the thread count must be a positive integer, got ${n}`);
  }
  requestedThreads = n;
  if (loaded) loaded.setThreads?.(n);
}

/** How one operand is handed to `cblas_sgemm` (row-major order): transposed or not, and its leading dimension. */
interface Operand {
  trans: number;
  ld: number;
}

/**
 * The BLAS layout of a `rows × cols` operand with element strides `rowStride`, `colStride`, or
 * `null` when it has none: BLAS needs one unit stride and the other at least the matching extent.
 * The stride of an extent-1 dimension never moves, so any value fits it.
 */
function operandLayout(rows: number, cols: number, rowStride: number, colStride: number): Operand | null {
  const rowsFree = rows === 1, colsFree = cols === 1;
  if ((colsFree || colStride === 1) && (rowsFree || rowStride >= cols)) {
    return { trans: NO_TRANS, ld: rowsFree ? Math.max(1, cols) : rowStride };
  }
  if ((rowsFree || rowStride === 1) && (colsFree || colStride >= rows)) {
    return { trans: TRANS, ld: colsFree ? Math.max(1, rows) : colStride };
  }
  return null;
}

/**
 * Computes `C[b] = A[b] · B[b] (+ bias)` (see {@link GemmArgs}) with the system BLAS when it can.
 *
 * Returns `false`, writing nothing, when there is no `--allow-ffi` permission, no optimised BLAS, or
 * when an operand's strides are neither row- nor column-major (a zero or non-unit inner stride);
 * the caller then computes the product itself. Batch strides are free, 0 included. `C` must not
 * overlap `A`, `B` or the bias.
 *
 * @param heap The heap every index refers to.
 * @param args The shapes, element indices and strides.
 * @returns Whether `C` was computed.
 * @throws RangeError when an operand reaches outside the heap (BLAS would read or write there).
 */
export function blasGemm(heap: Heap, args: GemmArgs): boolean {
  const lib = blas();
  if (lib === null) return false;
  const { m, n, k, batch, bias } = args;
  for (const [name, v] of [["m", m], ["n", n], ["k", k], ["batch", batch]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new RangeError(`blasGemm: ${name} must be an integer in [0, 2^31), got ${v}`);
    }
  }
  const size = m * n;
  if (batch * size === 0) return true;
  const f32 = heap.views.f32;
  checkInside(f32.length, "C", args.c, batch, size, [[m * n, 1]]);
  if (bias) checkInside(f32.length, "bias", bias.at, 1, 0, [[bias.along === "rows" ? m : n, 1]]);
  if (k === 0) {
    // an empty sum: C is the bias alone
    if (bias) preloadBias(f32, args, bias);
    else f32.fill(0, args.c, args.c + batch * size);
    return true;
  }
  const foldA = foldedRows(args);
  const opA = foldA ?? operandLayout(m, k, args.aRow, args.aCol);
  const opB = operandLayout(k, n, args.bRow, args.bCol);
  if (opA === null || opB === null) return false;
  checkInside(f32.length, "A", args.a, batch, args.aBatch, [[m, args.aRow], [k, args.aCol]]);
  checkInside(f32.length, "B", args.b, batch, args.bBatch, [[k, args.bRow], [n, args.bCol]]);

  let beta = 0;
  if (bias) {
    preloadBias(f32, args, bias);
    beta = 1;
  }
  if (foldA !== null) {
    sgemm(lib, f32, batch * m, n, k, foldA, args.a, opB, args.b, beta, args.c);
    return true;
  }
  for (let i = 0; i < batch; i++) {
    sgemm(lib, f32, m, n, k, opA, args.a + i * args.aBatch, opB, args.b + i * args.bBatch, beta, args.c + i * size);
  }
  return true;
}

/** `C = A·B + beta·C` for one row-major m×n C at element `c` (ldc = n), A and B at elements `a`, `b`. */
function sgemm(
  lib: Blas,
  f32: Float32Array,
  m: number,
  n: number,
  k: number,
  opA: Operand,
  a: number,
  opB: Operand,
  b: number,
  beta: number,
  c: number,
): void {
  const [va, vb, vc] = [f32.subarray(a), f32.subarray(b), f32.subarray(c)];
  lib.sgemm(ROW_MAJOR, opA.trans, opB.trans, m, n, k, 1, va, opA.ld, vb, opB.ld, beta, vc, n);
}

/**
 * When every batch shares B and the A matrices are stacked at a regular row step, the batch is one
 * `(batch·m) × k` matrix: one call instead of `batch` (C is contiguous, so its rows stack the same
 * way), which also gives BLAS a taller matrix to split across threads. `null` when it does not apply.
 */
function foldedRows(args: GemmArgs): Operand | null {
  const { m, k, batch } = args;
  if (batch === 1 || args.bBatch !== 0) return null;
  // the step from the last row of one batch to the first of the next must be the row step
  const rowStep = m === 1 ? args.aBatch : args.aRow;
  if (args.aBatch !== m * rowStep) return null;
  return operandLayout(batch * m, k, rowStep, args.aCol);
}

/** Throws unless every element `at + b·batchStride + Σ iₓ·strideₓ` (b < batch, iₓ < extentₓ) is in [0, length). */
function checkInside(
  length: number,
  what: string,
  at: number,
  batch: number,
  batchStride: number,
  dims: [extent: number, stride: number][],
): void {
  let lo = at + Math.min(0, (batch - 1) * batchStride), hi = at + Math.max(0, (batch - 1) * batchStride);
  for (const [extent, stride] of dims) {
    if (extent === 0) return;
    lo += Math.min(0, (extent - 1) * stride);
    hi += Math.max(0, (extent - 1) * stride);
  }
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi >= length) {
    throw new RangeError(
      `blasGemm: ${what} reaches elements ${lo}..${hi}, outside the heap's ${length} float32 elements; ` +
        `check its start and strides`,
    );
  }
}

/** Writes the bias, broadcast, into every C matrix, for an sgemm with beta = 1 to add to. */
function preloadBias(f32: Float32Array, args: GemmArgs, bias: NonNullable<GemmArgs["bias"]>): void {
  const { m, n, batch, c } = args;
  for (let i = 0; i < m; i++) {
    const row = c + i * n;
    if (bias.along === "rows") f32.fill(f32[bias.at + i], row, row + n);
    else f32.copyWithin(row, bias.at, bias.at + n);
  }
  const size = m * n;
  for (let b = 1; b < batch; b++) f32.copyWithin(c + b * size, c, c + size);
}
