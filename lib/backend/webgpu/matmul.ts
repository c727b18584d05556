/**
 * Batched matmul: generates the register-tiled kernel from the compact
 * `kernels/matmul.wgsl` template (the unrolled accumulator declarations, K-loop
 * body and stores come from {@link matmulSource}) and dispatches it.
 * @module
 */
import type { MatmulBias, Storage, View } from "../backend.ts";
import { contiguousStrides, numel } from "../_view.ts";
import {
  type BindingKind,
  collapseDims,
  fillTemplate,
  type Kernel,
  LOOP_BUDGET,
  TEMPLATES,
  UniformBlock,
} from "./kernels.ts";
import type { Binding } from "./recorder.ts";
import { reduce } from "./reduce.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";
import { elementwise } from "./elementwise.ts";
import {
  alignElements,
  bindingElements,
  denseRange,
  fitsOneBinding,
  place,
  planTile,
  release,
  span,
  subView,
  tilesOf,
  tooBig,
  windowOf,
} from "./split.ts";
import { elementwise as elementwiseSplit } from "./split_ops.ts";
import {
  chooseTiling,
  DEFAULT_TILING,
  MATMUL_CONFIGS,
  type MatmulTiling,
  shapeClass,
  timeTilings,
} from "./matmul_tuning.ts";

export type { MatmulTiling } from "./matmul_tuning.ts";

/** The default tiling of products wider than {@link NARROW} rows (mutable for benchmarking; sources are cached per tiling). */
export const TILING: MatmulTiling = DEFAULT_TILING;

/**
 * The tiling for products of at most {@link NARROW} rows (32-row tiles, one 8-wide vector of
 * invocations per workgroup): on llvmpipe it ran a [10, 64] @ [64, 16384] product in 9 ms
 * against 28 ms with {@link TILING}, whose 64-row tile is mostly padding there.
 */
export const NARROW_TILING: MatmulTiling = { wgx: 8, wgy: 1, tm: 32, tn: 8, bk: 32, unroll: 1, fma: "mad" };

/** Rows up to which {@link NARROW_TILING} is used; also the widest N that is swapped into M under more rows. */
export const NARROW = 32;

/**
 * Stride specializations: `aK1` when A's K stride is 1, `bN1` when B's N
 * stride is 1 (the stride becomes the literal 1 instead of a uniform read).
 */
export interface MatmulVariant {
  aK1: boolean;
  bN1: boolean;
  /** A bias added on store (binding 4), one value per row or per column. */
  bias?: "rows" | "cols";
}

/** Binding 4 and the reads of the bias variants (indices clamped: masked stores drop the edge). */
const BIAS_SOURCE = {
  rows: `@group(0) @binding(4) var<storage, read> bias: array<f32>;
fn bias4(row: u32, col: u32) -> vec4<f32> {
  return vec4<f32>(bias[min(row, u.M - 1u)]);
}`,
  cols: `@group(0) @binding(4) var<storage, read> bias: array<f32>;
fn bias4(row: u32, col: u32) -> vec4<f32> {
  let last = u.N - 1u;
  return vec4<f32>(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
}`,
};

const sources = new Map<string, string>();

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** WGSL source of the matmul kernel for `t` and variant `v`. */
export function matmulSource(t: MatmulTiling, v: MatmulVariant): string {
  const key = JSON.stringify([t, v]);
  let src = sources.get(key);
  if (src !== undefined) return src;
  const { wgx, wgy, tm, tn, bk, unroll } = t;
  const tm4 = tm / 4, tn4 = tn / 4;
  const R = range(tm), Q = range(tn4);
  const decl = R.flatMap((r) => Q.map((q) => `  var acc${r}_${q} = vec4<f32>(0.0);`));
  const step = (s: number) =>
    [
      `      {`,
      `        let kq = kk + ${s}u;`,
      ...range(tm4).map((i) => `        let ra${i} = As[kq * BM4 + ty * ${tm4}u + ${i}u];`),
      ...Q.map((q) => `        let rb${q} = Bs[kq * BN4 + tx * ${tn4}u + ${q}u];`),
      ...R.flatMap((r) =>
        Q.map((q) => {
          const av = `ra${r >> 2}.${"xyzw"[r & 3]}`;
          return t.fma === "fma"
            ? `        acc${r}_${q} = fma(vec4<f32>(${av}), rb${q}, acc${r}_${q});`
            : `        acc${r}_${q} += ${av} * rb${q};`;
        })
      ),
      `      }`,
    ].join("\n");
  const store = R.flatMap((r) =>
    Q.map((q) => {
      const [i, j] = [`row + ${r}u`, `col + ${q * 4}u`];
      return `  store4(ci, ${i}, ${j}, acc${r}_${q}${v.bias ? ` + bias_on * bias4(${i}, ${j})` : ""});`;
    })
  );
  src = fillTemplate(TEMPLATES.matmul, {
    WGX: String(wgx),
    WGY: String(wgy),
    TM: String(tm),
    TN: String(tn),
    BK: String(bk),
    BM4: String(wgy * tm4),
    BN4: String(wgx * tn4),
    NT: String(wgx * wgy),
    AS_LEN: String(bk * wgy * tm4),
    BS_LEN: String(bk * wgx * tn4),
    UNROLL: String(unroll),
    SAK: v.aK1 ? "1" : "u.sAk",
    SBN: v.bN1 ? "1" : "u.sBn",
    DECL: decl.join("\n"),
    BODY: range(unroll).map(step).join("\n"),
    STORE: store.join("\n"),
    BIAS: v.bias ? BIAS_SOURCE[v.bias] : "",
  });
  sources.set(key, src);
  return src;
}

/**
 * {@link Backend.matmul}: one product when every storage fits one binding; otherwise in tiles of
 * the batch dims and rows of A (each reading windows of A and B and copied into place in C),
 * and where one row of A or all of B is still too big, as a sum of products over ranges of K.
 */
export function matmul(ctx: GpuContext, a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
  const sa = ctx.live(a, "matmul"), sb = ctx.live(b, "matmul");
  const r = av.shape.length;
  if (r < 2 || bv.shape.length !== r || av.shape[r - 1] !== bv.shape[r - 2]) {
    return matmulWhole(ctx, a, av, b, bv, bias); // raises the shape error
  }
  const [M, K, N] = [av.shape[r - 2], av.shape[r - 1], bv.shape[r - 1]];
  const nb = numel(av.shape.slice(0, r - 2));
  const slices = loopSlices(K);
  const badBias = bias && ctx.live(bias.values, "matmul").size !== (bias.along === "rows" ? M : N);
  if (fitsOneBinding(ctx, sa.size, sb.size, slices * nb * M * N) || nb * M * N === 0 || badBias) {
    return matmulWhole(ctx, a, av, b, bv, bias);
  }
  const dims = av.shape.slice(0, r - 1);
  const outShape = [...dims, N];
  const out: View = { shape: outShape, strides: contiguousStrides(outShape), offset: 0 };
  const tile = planTile(ctx, dims, [
    { strides: av.strides.slice(0, r - 1), inner: span({ shape: [K], strides: [av.strides[r - 1]], offset: 0 })[1] },
    {
      strides: [...bv.strides.slice(0, r - 2), 0],
      inner: span({ shape: [K, N], strides: bv.strides.slice(r - 2), offset: 0 })[1],
    },
    // the split-K planes of a tile hold `slices` copies of its output
    { strides: out.strides.slice(0, r - 1).map((st) => st * slices), inner: N * slices },
  ]);
  if (!tile) return matmulOverK(ctx, sa, av, sb, bv, bias);
  const result = ctx.alloc(numel(outShape), "float32", "matmul");
  const biasStorage = bias ? ctx.live(bias.values, "matmul") : null;
  for (const t of tilesOf(dims, tile)) {
    const wa = windowOf(ctx, sa, subView(av, t));
    const wb = windowOf(ctx, sb, subView(bv, { start: t.start.slice(0, -1), shape: t.shape.slice(0, -1) }));
    const m0 = t.start[r - 2], mt = t.shape[r - 2];
    const rows = bias?.along === "rows" ? denseRange(ctx, biasStorage!, m0, mt, "matmul") : null;
    const tileBias = bias && { values: rows?.storage ?? biasStorage!, along: bias.along };
    const piece = ctx.live(matmulWhole(ctx, wa.storage, wa.view, wb.storage, wb.view, tileBias ?? undefined), "matmul");
    place(ctx, result, subView(out, t), piece);
    ctx.free(piece);
    release(ctx, rows);
  }
  return result;
}

/**
 * A product whose one row of A or whole B exceeds a binding: the sum over ranges of K that fit of
 * `A[.., k0:k1] @ B[.., k0:k1, :]` (each again in tiles), the bias added once.
 */
function matmulOverK(
  ctx: GpuContext,
  sa: WebGPUStorage,
  av: View,
  sb: WebGPUStorage,
  bv: View,
  bias?: MatmulBias,
): Storage {
  const r = av.shape.length;
  const [K, N] = [av.shape[r - 1], bv.shape[r - 1]];
  const budget = bindingElements(ctx) - (alignElements(ctx) - 1);
  const [sAk, sBk, sBn] = [av.strides[r - 1], bv.strides[r - 2], bv.strides[r - 1]].map(Math.abs);
  const bRow = (N - 1) * sBn + 1;
  let len = Math.min(
    sAk > 0 ? Math.floor((budget - 1) / sAk) + 1 : K,
    sBk > 0 ? Math.floor((budget - bRow) / sBk) + 1 : K,
    // few enough K steps per range that its split-K planes (`loopSlices` copies of a row of C) fit
    Math.floor(budget / N) * minLoopK(),
  );
  len = Math.min(len, K - 1);
  if (bRow > budget || len < 1) {
    throw tooBig(ctx, "matmul", `the product [${av.shape}] @ [${bv.shape}] (one row of B or of C)`);
  }
  let acc: Storage | null = null;
  for (let k0 = 0; k0 < K; k0 += len) {
    const kt = Math.min(len, K - k0);
    const pa = subView(av, { start: [k0], shape: [kt] }, [r - 1]);
    const pb = subView(bv, { start: [k0], shape: [kt] }, [r - 2]);
    const part = matmul(ctx, sa, pa, sb, pb, acc === null ? bias : undefined);
    if (acc === null) {
      acc = part;
      continue;
    }
    const size = ctx.live(part, "matmul").size;
    const v = { shape: [size], strides: [1], offset: 0 };
    const next = elementwiseSplit(ctx, "add", [{ storage: acc, view: v }, { storage: part, view: v }], "float32");
    ctx.free(acc);
    ctx.free(part);
    acc = next;
  }
  return acc!;
}

/** One product (every storage fits one binding). */
function matmulWhole(ctx: GpuContext, a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
  const sa = ctx.live(a, "matmul");
  const sb = ctx.live(b, "matmul");
  if (sa.dtype !== "float32" || sb.dtype !== "float32") {
    if (sa.dtype === "float64" || sb.dtype === "float64") {
      throw new TypeError(
        "webgpu matmul: float64 is not supported on the webgpu backend; use the cpu backend for float64",
      );
    }
    throw new TypeError(`webgpu matmul: needs float32 inputs, got ${sa.dtype} and ${sb.dtype}`);
  }
  const r = av.shape.length;
  if (r < 2 || bv.shape.length !== r) {
    throw new RangeError(`webgpu matmul: ranks of [${av.shape}] and [${bv.shape}] do not match`);
  }
  const batch = av.shape.slice(0, r - 2);
  const [M, K] = [av.shape[r - 2], av.shape[r - 1]];
  const [K2, N] = [bv.shape[r - 2], bv.shape[r - 1]];
  if (K !== K2 || batch.some((d, i) => d !== bv.shape[i])) {
    throw new RangeError(`webgpu matmul: shapes [${av.shape}] and [${bv.shape}] do not match`);
  }
  const nb = numel(batch);
  if (nb * M * N === 0) return ctx.alloc(0, "float32", "matmul");
  const bd = collapseDims(batch, [av.strides.slice(0, r - 2), bv.strides.slice(0, r - 2)]);
  const biasStorage = bias ? ctx.live(bias.values, "matmul") : null;
  if (bias && (biasStorage!.dtype !== "float32" || biasStorage!.size !== (bias.along === "rows" ? M : N))) {
    throw new RangeError(
      `webgpu matmul: bias along ${bias.along} must be float32 with ${bias.along === "rows" ? M : N} values, ` +
        `got ${biasStorage!.dtype} with ${biasStorage!.size}`,
    );
  }
  // A narrow N (e.g. a weight gradient's 27 taps, or 10 classes) under many rows: compute
  // Cᵀ = Bᵀ @ Aᵀ (transposed views, no copies) with the narrow side as the tile's rows, then
  // copy it transposed into C (a small copy: C has at most 32 columns).
  const swap = N <= NARROW && M > NARROW;
  const p = swap
    ? {
      M: N,
      N: M,
      a: sb,
      b: sa,
      offA: bv.offset,
      offB: av.offset,
      s: [bv.strides[r - 1], bv.strides[r - 2], av.strides[r - 1], av.strides[r - 2]],
      bs: [bd.strides[1], bd.strides[0]],
      bias: bias && (bias.along === "rows" ? "cols" as const : "rows" as const),
    }
    : {
      M,
      N,
      a: sa,
      b: sb,
      offA: av.offset,
      offB: bv.offset,
      s: [av.strides[r - 2], av.strides[r - 1], bv.strides[r - 2], bv.strides[r - 1]],
      bs: bd.strides,
      bias: bias?.along,
    };
  const [, sAk, sBk, sBn] = p.s;
  const variant: MatmulVariant = {
    aK1: sAk === 1 || K === 1,
    bN1: sBn === 1 || p.N === 1,
    bias: p.bias,
  };
  // `reference` alone decides the K splits, so the chosen tiling never changes the summation order
  const reference = p.M <= NARROW ? NARROW_TILING : TILING;
  const tiling = p.M <= NARROW ? NARROW_TILING : chooseTiling(
    ctx,
    shapeClass(p.M, p.N, K, variant.aK1, variant.bN1),
    () =>
      timeTilings(
        ctx,
        { M: p.M, N: p.N, K, aK1: variant.aK1, bN1: variant.bN1 },
        (t) => matmulSource(t, { aK1: variant.aK1, bN1: variant.bN1 }),
      ),
  );
  const name = `matmul ${nb}x[${M},${K}]@[${K},${N}]${bias ? ` + bias(${bias.along})` : ""}${
    swap ? " as (BᵀAᵀ)ᵀ" : ""
  }`;
  const tilesX = Math.ceil(p.N / (tiling.wgx * tiling.tn));
  const tilesY = Math.ceil(p.M / (tiling.wgy * tiling.tm));
  const size = nb * M * N;
  const referenceTiles = Math.ceil(p.N / (reference.wgx * reference.tn)) *
    Math.ceil(p.M / (reference.wgy * reference.tm));
  const splits = kSplits(reference, referenceTiles * nb, K, [sAk, sBk], ctx.parallelism, bindingElements(ctx) / size);
  // Split-K: one dispatch whose z enumerates (slice, batch); slice planes are summed afterwards.
  const chunk = Math.max(1, Math.ceil(K / splits));
  const slices = K === 0 ? 1 : Math.ceil(K / chunk);
  const planes = ctx.alloc(slices * size, "float32", "matmul");
  const kernel = matmulKernel(ctx, matmulSource(tiling, variant), !!bias, name);
  const bindings = [ctx.bind(planes), ctx.bind(p.a), ctx.bind(p.b)];
  if (biasStorage) bindings.push(ctx.bind(biasStorage));
  dispatchTiles(
    ctx,
    kernel,
    bindings,
    { ...p, K, kChunk: slices === 1 ? K : chunk },
    bd.shape,
    tilesX,
    tilesY,
    nb,
    slices,
  );
  let product: Storage = planes;
  if (slices > 1) {
    product = reduce(ctx, "sum", planes, { shape: [slices, size], strides: [size, 1], offset: 0 }, [0]);
    ctx.free(planes);
  }
  if (!swap) return product;
  // the elementwise copy has rank-specialized indexing (copyInto's general strided copy ran
  // these transposes 10× slower on llvmpipe)
  const view = { shape: [nb, M, N], strides: [M * N, 1, M], offset: 0 };
  const out = elementwise(ctx, "copy", [{ storage: product, view }], "float32");
  ctx.free(product);
  return out;
}

/**
 * K slices for one product: enough that no invocation's loops take more than
 * {@link LOOP_BUDGET} steps (llvmpipe silently cut a single workgroup's K = 32768 walk short,
 * leaving a wrong result), and, when the tiles alone give fewer workgroups than the device's
 * parallelism, enough to add some (each slice still long enough to be worth it). Negative K
 * strides (no view produces them today) keep one slice.
 */
function kSplits(
  t: MatmulTiling,
  workgroups: number,
  K: number,
  kStrides: readonly number[],
  parallelism: number,
  maxPlanes: number,
): number {
  if (kStrides.some((s) => s < 0)) return 1;
  let splits = Math.ceil(K / maxLoopK(t));
  if (workgroups < parallelism) {
    // the extra slices for parallelism stay within one binding of planes
    const extra = Math.min(Math.floor(K / MIN_SLICE), Math.ceil(parallelism / workgroups), Math.floor(maxPlanes));
    splits = Math.max(splits, extra);
  }
  return Math.max(1, splits);
}

/**
 * The longest K one slice walks within {@link LOOP_BUDGET} loop steps: under tiling `t`, or for the
 * default tiling under every configuration it may be swapped for.
 */
function maxLoopK(t: MatmulTiling): number {
  if (t === TILING) return Math.min(loopK(TILING), ...MATMUL_CONFIGS.map(loopK));
  return loopK(t);
}

function loopK(t: MatmulTiling): number {
  const threads = t.wgx * t.wgy;
  const stepsPerTile = 1 + Math.ceil((t.bk * t.wgy * t.tm) / 4 / threads) +
    Math.ceil((t.bk * t.wgx * t.tn) / 4 / threads) + t.bk / t.unroll;
  return Math.max(1, Math.floor(LOOP_BUDGET / stepsPerTile)) * t.bk;
}

/** The shortest {@link maxLoopK} of the tilings in use. */
function minLoopK(): number {
  return Math.min(maxLoopK(TILING), maxLoopK(NARROW_TILING));
}

/** K slices any product of this K needs for the loop budget alone (its planes hold that many copies of C). */
function loopSlices(K: number): number {
  return Math.max(1, Math.ceil(K / minLoopK()));
}

/** Shortest K slice worth its own workgroups. */
const MIN_SLICE = 256;

function matmulKernel(ctx: GpuContext, source: string, withBias: boolean, name: string) {
  const kinds: BindingKind[] = ["storage", "read-only-storage", "read-only-storage"];
  if (withBias) kinds.push("read-only-storage");
  // Named by shape so kernel profiles tell the matmuls of a step apart.
  return { ...ctx.kernel(source, "main", kinds), name };
}

interface Problem {
  M: number;
  N: number;
  K: number;
  /** K elements per slice (K when not split). */
  kChunk: number;
  offA: number;
  offB: number;
  s: number[];
  bs: number[][];
}

function dispatchTiles(
  ctx: GpuContext,
  kernel: Kernel,
  bindings: Binding[],
  p: Problem,
  bshape: readonly number[],
  tilesX: number,
  tilesY: number,
  nb: number,
  slices: number,
): void {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const [sAm, sAk, sBk, sBn] = p.s;
  const nz = nb * slices;
  for (let z0 = 0; z0 < nz; z0 += max) {
    for (let y0 = 0; y0 < tilesY; y0 += max) {
      for (let x0 = 0; x0 < tilesX; x0 += max) {
        const u = new UniformBlock()
          .u32(0, p.M).u32(1, p.N).u32(2, p.K).u32(3, bshape.length)
          .u32(4, p.offA).u32(5, p.offB).u32(6, x0).u32(7, y0)
          .i32(8, sAm).i32(9, sAk).i32(10, sBk).i32(11, sBn)
          .u32(12, z0).u32(13, p.kChunk).u32(14, nb)
          .dims(16, bshape).strides(24, p.bs[0]).strides(32, p.bs[1]);
        ctx.runGrid(kernel, u, bindings, [
          Math.min(max, tilesX - x0),
          Math.min(max, tilesY - y0),
          Math.min(max, nz - z0),
        ]);
      }
    }
  }
}
