/**
 * Which tile configuration the matmul kernel uses, per adapter and shape class. A small set of
 * configurations ({@link MATMUL_CONFIGS}, the first being the one tuned for llvmpipe) is timed on
 * first use of a shape class, once, on a representative problem (one submission, GPU timestamps,
 * one readback), and the fastest is kept in memory for that device. A call can only record work,
 * not wait for it, so the products recorded before the timings arrive use the default; and none
 * is timed while a step is being captured by `compile()` (the capture keeps whichever choice it
 * saw). Every configuration walks K in the same order and the host splits K the same way for all
 * of them, so the choice changes speed only, never a single bit of the result.
 * @module
 */
import type { DeviceLimits } from "./device.ts";
import { UniformBlock } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

/** Tile parameters of the generated kernel. */
export interface MatmulTiling {
  /** Workgroup size along N. */
  wgx: number;
  /** Workgroup size along M. */
  wgy: number;
  /** Rows of C per invocation (multiple of 4). */
  tm: number;
  /** Columns of C per invocation (multiple of 4). */
  tn: number;
  /** K step of the workgroup tiles. */
  bk: number;
  /** K-loop unroll factor (divides bk). */
  unroll: number;
  /** FMA form: "fma" calls fma(), "mad" writes acc += a * b. */
  fma: "fma" | "mad";
}

/**
 * The default: 64 x 64 tiles of C by 8 x 2 invocations of 32 x 8 each, tuned for llvmpipe (8 lanes
 * per SIMD vector, x-major), where it is what products use until timings exist.
 */
export const DEFAULT_TILING: MatmulTiling = { wgx: 8, wgy: 2, tm: 32, tn: 8, bk: 32, unroll: 1, fma: "mad" };

/**
 * The configurations timed per shape class. All use "mad" (an explicit fma() could round
 * differently from the default), so every one gives bit-identical results.
 */
export const MATMUL_CONFIGS: readonly MatmulTiling[] = [
  DEFAULT_TILING,
  // same 64 x 64 tile, twice the invocations with half the accumulators each
  { wgx: 8, wgy: 4, tm: 16, tn: 8, bk: 32, unroll: 1, fma: "mad" },
  // a 128 x 64 tile (half the B loads per FLOP), K step halved to fit workgroup memory
  { wgx: 8, wgy: 4, tm: 32, tn: 8, bk: 16, unroll: 1, fma: "mad" },
  // a 128 x 128 tile, the most reuse that fits 16 KiB of workgroup memory
  { wgx: 16, wgy: 4, tm: 32, tn: 8, bk: 16, unroll: 1, fma: "mad" },
  // the usual discrete-GPU shape: 16 x 16 invocations of 4 x 4
  { wgx: 16, wgy: 16, tm: 4, tn: 4, bk: 16, unroll: 1, fma: "mad" },
];

/** A short name such as `8x2/32x8/k32` (workgroup / per-invocation tile / K step). */
export function tilingName(t: MatmulTiling): string {
  return `${t.wgx}x${t.wgy}/${t.tm}x${t.tn}/k${t.bk}${t.unroll > 1 ? `u${t.unroll}` : ""}`;
}

/** Whether `t` fits the device: invocations per workgroup and the two workgroup tiles' bytes. */
export function fitsDevice(t: MatmulTiling, limits: DeviceLimits): boolean {
  const bytes = 16 * t.bk * (t.wgy * t.tm / 4 + t.wgx * t.tn / 4);
  return t.wgx * t.wgy <= limits.maxComputeInvocationsPerWorkgroup && bytes <= limits.maxComputeWorkgroupStorageSize;
}

/** Rough size bucket of one dimension: small (< 128), medium (< 512) or large. */
function bucket(n: number): string {
  return n < 128 ? "s" : n < 512 ? "m" : "l";
}

/**
 * The shape class of a product of M x K by K x N (after any swap), e.g. `mml/k1n1`: the M, N and
 * K buckets plus the stride specialization (`k1`: A's K stride is 1, `n1`: B's N stride is 1).
 */
export function shapeClass(M: number, N: number, K: number, aK1: boolean, bN1: boolean): string {
  return `${bucket(M)}${bucket(N)}${bucket(K)}/${aK1 ? "k1" : "k*"}${bN1 ? "n1" : "n*"}`;
}

/** Milliseconds per product of each configuration, in {@link MATMUL_CONFIGS} order (NaN: not timed). */
export type TilingTimer = () => Promise<number[]> | null;

/** One shape class's outcome on one device. */
export interface TuningResult {
  shapeClass: string;
  winner: string;
  /** Milliseconds per product by configuration name. */
  ms: Record<string, number>;
}

interface DeviceChoices {
  winners: Map<string, MatmulTiling>;
  results: TuningResult[];
  pending: Promise<void>[];
}

const byDevice = new WeakMap<object, DeviceChoices>();
let pinned: MatmulTiling | null = null;
let autoTune = true;
let epoch = 0;

/**
 * Counts the times a trial replaced the default tiling of a class: a step recorded before then
 * (capture.ts) uses the default and is traced again to use the winner.
 */
export function tuningEpoch(): number {
  return epoch;
}

function choicesOf(ctx: object): DeviceChoices {
  let c = byDevice.get(ctx);
  if (!c) byDevice.set(ctx, c = { winners: new Map(), results: [], pending: [] });
  return c;
}

/**
 * Forces every (non-narrow) product to use `t`, or with null returns to the per-device choice.
 * For tests and benchmarks; `t` must be one of {@link MATMUL_CONFIGS} (the host sizes K slices
 * for the loop budget of those) and fit the device (see {@link fitsDevice}).
 */
export function pinMatmulTiling(t: MatmulTiling | null): void {
  pinned = t;
}

/** Turns timing on first use on or off (off: the default or an already cached choice). */
export function setMatmulAutoTune(on: boolean): void {
  autoTune = on;
}

/**
 * The tiling for a product of shape class `cls` on device `ctx`: the pinned one, else the cached
 * winner, else {@link DEFAULT_TILING} — and, the first time a class is seen (inside a capture too),
 * starts `time` (which submits its trial at once and resolves later) and caches its fastest.
 */
export function chooseTiling(ctx: object, cls: string, time: TilingTimer): MatmulTiling {
  if (pinned) return pinned;
  const c = choicesOf(ctx);
  const won = c.winners.get(cls);
  if (won) return won;
  if (!autoTune) return DEFAULT_TILING;
  // The default stands for the class until the timings arrive (and if they never do). A trial is
  // its own submission on the raw device, so it may start while a step is traced: the recording
  // keeps the default, and is traced again once a winner replaces it (tuningEpoch).
  c.winners.set(cls, DEFAULT_TILING);
  const trial = time();
  if (!trial) return DEFAULT_TILING;
  c.pending.push(trial.then((ms) => {
    let best = 0;
    ms.forEach((v, i) => {
      if (v < ms[best] || Number.isNaN(ms[best])) best = i;
    });
    if (Number.isNaN(ms[best])) return;
    c.winners.set(cls, MATMUL_CONFIGS[best]);
    if (MATMUL_CONFIGS[best] !== DEFAULT_TILING) epoch++;
    const named: Record<string, number> = {};
    ms.forEach((v, i) => named[tilingName(MATMUL_CONFIGS[i])] = v);
    c.results.push({ shapeClass: cls, winner: tilingName(MATMUL_CONFIGS[best]), ms: named });
  }, () => {/* a failed trial leaves the default in place */}));
  return DEFAULT_TILING;
}

/** Waits for the device's timings in flight; then the per-class outcomes so far. */
export async function matmulTuning(ctx: object): Promise<readonly TuningResult[]> {
  const c = choicesOf(ctx);
  await Promise.all(c.pending);
  return c.results;
}

/** The product a trial times: M x K by K x N with the class's stride specialization. */
export interface TrialProblem {
  M: number;
  N: number;
  K: number;
  aK1: boolean;
  bN1: boolean;
}

/** Largest trial dimension: bigger classes are timed at this size, keeping a trial to milliseconds. */
const TRIAL_MAX_DIM = 512;
/** FLOPs each configuration's timed pass aims for (repeating small products), so timer ticks don't dominate. */
const TRIAL_FLOPS = 2 ** 29;
/** Timed passes per configuration; the fastest counts. */
const TRIAL_ROUNDS = 2;

/**
 * Times every configuration on `problem` (each dimension capped at {@link TRIAL_MAX_DIM}): one
 * submission of, per configuration, an untimed warm-up dispatch and a timestamped pass of a few
 * repeats, then one readback. Null where the device has no timestamp queries (or `ctx` exposes no
 * GPUDevice). `source(t)` is the kernel for tiling t (bindings: uniform, C, A, B).
 */
export function timeTilings(
  ctx: GpuContext,
  problem: TrialProblem,
  source: (t: MatmulTiling) => string,
): Promise<number[]> | null {
  const device = (ctx as Partial<{ device: GPUDevice }>).device;
  if (!device || !device.features.has("timestamp-query")) return null;
  const [M, N, K] = [problem.M, problem.N, problem.K].map((d) => Math.max(1, Math.min(TRIAL_MAX_DIM, d)));
  const reps = Math.max(1, Math.min(8, Math.round(TRIAL_FLOPS / (2 * M * N * K))));
  const storage = (n: number) =>
    device.createBuffer({ size: 4 * Math.max(1, n), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const [c, a, b] = [storage(M * N), storage(M * K), storage(K * N)];
  const uniform = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const words = new UniformBlock()
    .u32(0, M).u32(1, N).u32(2, K).u32(3, 0)
    .u32(4, 0).u32(5, 0).u32(6, 0).u32(7, 0)
    .i32(8, problem.aK1 ? K : 1).i32(9, problem.aK1 ? 1 : M)
    .i32(10, problem.bN1 ? N : 1).i32(11, problem.bN1 ? 1 : K)
    .u32(12, 0).u32(13, K).u32(14, 1)
    .dims(16, []).strides(24, []).strides(32, []).words;
  device.queue.writeBuffer(uniform, 0, words);
  const n = MATMUL_CONFIGS.length;
  const queryCount = 2 * n * TRIAL_ROUNDS;
  const queries = device.createQuerySet({ type: "timestamp", count: queryCount });
  const resolved = device.createBuffer({
    size: 8 * queryCount,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({ size: 8 * queryCount, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const timed = MATMUL_CONFIGS.map((t) => fitsDevice(t, ctx.limits));
  const kinds = ["storage", "read-only-storage", "read-only-storage"] as const;
  const kernels = MATMUL_CONFIGS.map((t, i) => timed[i] ? ctx.kernel(source(t), "main", kinds) : null);
  const groups = kernels.map((k) =>
    k && device.createBindGroup({
      layout: k.layout,
      entries: [uniform, c, a, b].map((buffer, binding) => ({ binding, resource: { buffer } })),
    })
  );
  const encoder = device.createCommandEncoder();
  // an unfit configuration still writes its two timestamps (an empty pass), read back as NaN
  const pass = (i: number, repeats: number, query?: number) => {
    const t = MATMUL_CONFIGS[i];
    const p = encoder.beginComputePass(
      query === undefined ? undefined : {
        timestampWrites: {
          querySet: queries,
          beginningOfPassWriteIndex: 2 * query,
          endOfPassWriteIndex: 2 * query + 1,
        },
      },
    );
    if (kernels[i]) {
      p.setPipeline(kernels[i]!.pipeline);
      p.setBindGroup(0, groups[i]!, [0]); // binding 0 is a dynamic-offset uniform slot
      for (let r = 0; r < repeats; r++) {
        p.dispatchWorkgroups(Math.ceil(N / (t.wgx * t.tn)), Math.ceil(M / (t.wgy * t.tm)));
      }
    }
    p.end();
  };
  for (let i = 0; i < n; i++) pass(i, 1);
  // rounds through all configurations, so a burst of load elsewhere slows one round, not one configuration
  for (let round = 0; round < TRIAL_ROUNDS; round++) {
    for (let i = 0; i < n; i++) pass(i, reps, round * n + i);
  }
  encoder.resolveQuerySet(queries, 0, queryCount, resolved, 0);
  encoder.copyBufferToBuffer(resolved, 0, read, 0, 8 * queryCount);
  device.queue.submit([encoder.finish()]);
  const done = () => [c, a, b, uniform, resolved].forEach((buf) => buf.destroy());
  return read.mapAsync(GPUMapMode.READ).then(() => {
    const ns = new BigUint64Array(read.getMappedRange().slice(0));
    read.destroy();
    queries.destroy();
    done();
    return timed.map((ok, i) => {
      let best = NaN;
      for (let q = i; ok && q < queryCount / 2; q += n) {
        const ms = Number(ns[2 * q + 1] - ns[2 * q]) / 1e6 / reps;
        if (ns[2 * q + 1] > ns[2 * q] && !(ms >= best)) best = ms;
      }
      return best;
    });
  });
}
