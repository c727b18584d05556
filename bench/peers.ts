/**
 * One benchmark subject per process: `deno run --allow-read --allow-env bench/peers.ts <peer> [options]`
 * with `<peer>` one of `denograd-webgpu`, `denograd-cpu`, `denograd-cpu-blas` (which also needs
 * `--allow-ffi`; see bench/peers_denograd.ts), `tfjs-webgpu`, `tfjs-wasm`. `bench/bench.ts` starts one of
 * these per peer (each peer gets its own WebGPU device and its own process, so nothing is
 * shared or contended) and reads the last `BENCH_RESULT {json}` line it prints on stdout (a partial
 * result follows each workload, so a peer killed on timeout still reports what it finished).
 *
 * Options: `--sizes=256,512,1024` (matmul sizes; `--sizes=` with nothing skips matmul), `--runs=5`
 * (timed runs per size, the median is reported), `--target-ms=1500` (time one run aims for; sets the
 * iterations per run), `--no-extras` (skip the readback-latency and elementwise-chain measurements),
 * `--workloads=conv1,cnn,…` (keys of `WORKLOADS` in `bench/workloads.ts`) with `--inputs=<dir>` (the
 * shared initial weights and data `bench/bench.ts` wrote), `--quick` (fewer timed batches per
 * workload), `--buffer-steps=100` (denograd: GPU buffers created over that many CNN steps), `--memory`
 * (denograd: the memory-bound kernels' GB/s against a `Float32Array` copy, bench/memory.ts).
 * @module
 */
import {
  ADAM,
  median,
  readInputs,
  timeRunner,
  type WorkloadImpl,
  type WorkloadResult,
  WORKLOADS,
} from "./workloads.ts";
import { adamTrafficCopy, type MemoryResult } from "./memory.ts";
import { checkCorners, DENOGRAD_PEERS, type DenogradPeer, denogradSubject, PeerUnavailable } from "./peers_denograd.ts";
import { tfjsWorkloads } from "./workloads_tfjs.ts";

/** What one peer process reports. */
export interface PeerResult {
  peer: Peer;
  /** Adapter / backend description (denograd: the first tensor's backend description). */
  description: string;
  /** Library version, where known. */
  version: string;
  matmul: MatmulResult[];
  /** Median `await item()`-style round trip after one tiny op, in ms. */
  readbackMs?: number;
  /** 1000 small elementwise ops in one step, then one sync. */
  chain?: ChainResult;
  /** The training workloads (`bench/workloads.ts`) that ran. */
  workloads?: WorkloadResult[];
  /** Memory-bound kernels against a host `Float32Array` copy (denograd with `--memory`). */
  memory?: MemoryResult;
  /** denograd cpu: `getNumThreads()` in that process. */
  threads?: number;
  /** denograd cpu: the BLAS library and its threads (`blasInfo()`), or null when matmul is WebAssembly. */
  blas?: string | null;
  /** Short notes (a correctness check, fallbacks). */
  notes: string[];
}

/** One matmul size. */
export interface MatmulResult {
  n: number;
  /** Median GFLOP/s over the timed runs (2·n³ flops per matmul). */
  gflops: number;
  /** Median ms per matmul. */
  msPerMatmul: number;
  /** Matmuls per timed run, and timed runs. */
  iters: number;
  runs: number;
  /** Every run's GFLOP/s, to show the spread. */
  all: number[];
}

/** The elementwise-chain measurement. */
export interface ChainResult {
  ops: number;
  /** Median ms from the first op to the end of the sync. */
  totalMs: number;
  /** Median ms spent recording/enqueueing the ops (before the sync). */
  recordMs: number;
  usPerOp: number;
}

/**
 * The benchmark subjects; `pytorch-cpu` runs `bench/peers_torch.py`, the others this file (the
 * denograd ones through `bench/peers_denograd.ts`).
 */
export type Peer = DenogradPeer | "tfjs-webgpu" | "tfjs-wasm" | "pytorch-cpu";

/** How a peer exposes the handful of operations the benchmark needs. */
export interface Subject {
  description: string;
  version: string;
  notes: string[];
  /** denograd cpu: the threads its kernels split work over (`getNumThreads()`). */
  threads?: number;
  /** denograd cpu: the BLAS library its matrix products use, or null (WebAssembly GEMM). */
  blas?: string | null;
  /** Two random n×n fp32 operands, ready on the device. */
  operands(n: number): Promise<{ run(iters: number): Promise<void>; check(): Promise<string>; dispose(): void }>;
  /** One tiny op and a one-element readback. */
  readback(): Promise<number>;
  /** `ops` elementwise ops in one step; resolves to [record ms, total ms]. */
  chain(ops: number): Promise<[number, number]>;
  /** The training workloads on the shared inputs in `dir`. */
  workloads(dir: string): Record<string, WorkloadImpl>;
  /** GPU buffers created over `steps` steady-state CNN steps (denograd only). */
  bufferCheck?(impl: WorkloadImpl, steps: number): Promise<{ before: number; after: number; steps: number }>;
  /** The memory-bound kernels' bandwidth (denograd only). */
  memory?(quick: boolean): Promise<MemoryResult>;
}

const CHAIN_OPS = 1000;
const READBACK_REPS = 50;

async function tfjsSubject(kind: "webgpu" | "wasm"): Promise<Subject> {
  const tf = await import("@tensorflow/tfjs");
  const notes: string[] = [];
  if (kind === "webgpu") {
    // tfjs-webgpu runs ops whose inputs are small and still on the CPU in plain JS
    // ("CPU handoff"); turn that off so the readback and elementwise-chain rows time the GPU.
    // The backend reads the flag once at import, so register and set it before importing.
    const flag = "WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD";
    tf.env().registerFlag(flag, () => 1000);
    tf.env().set(flag, 0);
    notes.push(`${flag}=0 (tiny ops run on the GPU, not in JS)`);
    await import("@tensorflow/tfjs-backend-webgpu");
  } else {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // A file path works in Deno: the backend reads the .wasm next to its dist/ bundle.
    const dist = new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url);
    wasm.setWasmPaths(dist.pathname);
  }
  if (!(await tf.setBackend(kind))) throw new Error(`tf.setBackend("${kind}") failed`);
  await tf.ready();
  let description = `tfjs ${kind}`;
  if (kind === "wasm") {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    description += ` (simd ${simd ? "on" : "off"}, threads ${threads ? "on" : "off"})`;
  } else {
    // deno-lint-ignore no-explicit-any
    const info = (tf.backend() as any).adapterInfo;
    if (info?.vendor) description += ` (${[info.vendor, info.architecture].filter(Boolean).join(" ")})`;
  }
  let checkedResidency = false;
  const sync = async (t: { data(): Promise<unknown> }) => {
    await t.data();
  };
  return {
    description,
    version: tf.version_core,
    notes,
    workloads: (dir) => tfjsWorkloads(tf, readInputs(dir), kind),
    async operands(n) {
      const a = tf.randomNormal([n, n], 0, 1, "float32");
      const b = tf.randomNormal([n, n], 0, 1, "float32");
      await sync(a);
      await sync(b);
      return {
        async run(iters) {
          for (let i = 0; i < iters; i++) {
            const c = tf.matMul(a, b);
            if (i === iters - 1) await sync(c);
            c.dispose();
          }
        },
        async check() {
          const c = tf.matMul(a, b);
          const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
          c.dispose();
          return checkCorners(av as Float32Array, bv as Float32Array, cv as Float32Array, n);
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
    async readback() {
      const x = tf.randomNormal([1]);
      await sync(x);
      const t0 = performance.now();
      const y = tf.add(x, 1);
      await y.data();
      const ms = performance.now() - t0;
      if (kind === "webgpu" && !checkedResidency) {
        checkedResidency = true;
        // deno-lint-ignore no-explicit-any
        const onGpu = (tf.backend() as any).tensorMap?.get(y.dataId)?.resource != null;
        notes.push(`tiny add ran on the ${onGpu ? "GPU" : "CPU (handoff still active)"}`);
      }
      y.dispose();
      x.dispose();
      return ms;
    },
    async chain(ops) {
      const x = tf.randomNormal([64]);
      await sync(x);
      const t0 = performance.now();
      const y = tf.tidy(() => {
        let t = x;
        for (let i = 0; i < ops / 2; i++) t = t.mul(1.0001).add(0.0001);
        return t;
      });
      const t1 = performance.now();
      await y.data();
      const t2 = performance.now();
      y.dispose();
      x.dispose();
      return [t1 - t0, t2 - t0];
    },
  };
}

async function measureMatmul(s: Subject, n: number, runs: number, targetMs: number): Promise<MatmulResult> {
  const ops = await s.operands(n);
  try {
    // warm-up: compiles the pipelines and estimates the time of one matmul
    await ops.run(1);
    const t0 = performance.now();
    await ops.run(1);
    const one = performance.now() - t0;
    const iters = Math.max(1, Math.min(200, Math.round(targetMs / Math.max(one, 0.01))));
    const all: number[] = [];
    const msPer: number[] = [];
    for (let r = 0; r < runs; r++) {
      const s0 = performance.now();
      await ops.run(iters);
      const ms = (performance.now() - s0) / iters;
      msPer.push(ms);
      all.push((2 * n ** 3) / ms / 1e6);
    }
    return { n, gflops: median(all), msPerMatmul: median(msPer), iters, runs, all };
  } finally {
    ops.dispose();
  }
}

/** Each workload: correctness values from the shared initial state, then the timed steps. */
async function runWorkloads(
  s: Subject,
  peer: Peer,
  keys: string[],
  o: { dir: string; quick: boolean; bufferSteps: number; notes: string[]; partial: (w: WorkloadResult[]) => void },
): Promise<WorkloadResult[]> {
  if (!o.dir) throw new Error("--workloads needs --inputs=<dir> (the shared inputs bench.ts writes)");
  const impls = s.workloads(o.dir);
  const out: WorkloadResult[] = [];
  for (const key of keys) {
    const spec = WORKLOADS.find((w) => w.key === key);
    if (!spec) throw new Error(`unknown workload ${key}; expected one of ${WORKLOADS.map((w) => w.key)}`);
    try {
      const check = await impls[key].check();
      const r = await impls[key].runner();
      const all = await timeRunner(r, spec, spec.batches[o.quick ? 0 : 1]);
      r.dispose();
      const res: WorkloadResult = { key, msPerStep: median(all), all, stepsPerSync: spec.stepsPerSync, check };
      console.error(
        `[${peer}] ${key}: ${res.msPerStep.toFixed(1)} ms/step; check ${check.map((c) => c.toPrecision(7)).join(", ")}`,
      );
      if (key === "cnn" && s.bufferCheck && o.bufferSteps > 0) {
        const b = await s.bufferCheck(impls[key], o.bufferSteps);
        res.extra = { buffersBefore: b.before, buffersAfter: b.after, bufferSteps: b.steps };
        console.error(`[${peer}] cnn: buffersCreated ${b.before} → ${b.after} over ${b.steps} steps`);
      }
      if (key === "adam" && s.memory) {
        // Adam's memory traffic as one host copy, timed in this process right after the Adam batches
        const t = adamTrafficCopy(ADAM.tensors * ADAM.size);
        res.extra = { trafficCopyMs: t.ms, trafficCopyBytes: t.bytes, trafficCopyElements: t.elements };
        console.error(
          `[${peer}] adam: a Float32Array copy moving the same ${(t.bytes / 1e6).toFixed(1)} MB: ${t.ms.toFixed(2)} ms`,
        );
      }
      out.push(res);
    } catch (e) {
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      console.error(`[${peer}] ${key} failed: ${msg}`);
      o.notes.push(`${key}: failed (${msg.slice(0, 200)})`);
    }
    o.partial(out);
  }
  return out;
}

/** The subject named `peer`, or a `BENCH_SKIP` reason when it cannot run on this machine. */
async function subjectFor(peer: string): Promise<Subject | string> {
  if ((DENOGRAD_PEERS as readonly string[]).includes(peer)) {
    try {
      return await denogradSubject(peer as DenogradPeer);
    } catch (e) {
      if (e instanceof PeerUnavailable) return e.message;
      throw e;
    }
  }
  if (peer === "tfjs-webgpu" || peer === "tfjs-wasm") {
    return await tfjsSubject(peer === "tfjs-webgpu" ? "webgpu" : "wasm");
  }
  const names = [...DENOGRAD_PEERS, "tfjs-webgpu", "tfjs-wasm"].join("|");
  throw new Error(`usage: peers.ts ${names} [--sizes=…] [--runs=…] [--workloads=… --inputs=dir]; got ${peer}`);
}

async function main(): Promise<void> {
  const [peer, ...rest] = Deno.args;
  const opt = (name: string, fallback: string) =>
    rest.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const sizes = opt("sizes", "256,512,1024").split(",").filter(Boolean).map(Number);
  const runs = Number(opt("runs", "5"));
  const targetMs = Number(opt("target-ms", "1500"));
  const extras = !rest.includes("--no-extras");
  if (!Deno.env.get("LP_NUM_THREADS")) Deno.env.set("LP_NUM_THREADS", "2");

  const s = await subjectFor(peer);
  if (typeof s === "string") {
    console.log(`BENCH_SKIP ${s}`);
    return;
  }
  const result: PeerResult = {
    peer: peer as Peer,
    description: s.description,
    version: s.version,
    matmul: [],
    notes: s.notes,
    threads: s.threads,
    blas: s.blas,
  };

  // correctness spot check at the smallest size, so a fast but wrong kernel cannot look good
  if (sizes.length) {
    const ops = await s.operands(Math.min(...sizes));
    result.notes.push(`matmul ${Math.min(...sizes)} check: ${await ops.check()}`);
    ops.dispose();
  }
  for (const n of sizes) {
    // 2048 gets fewer runs: one matmul there takes seconds on a CPU adapter
    const m = await measureMatmul(s, n, n >= 2048 ? Math.min(runs, 3) : runs, targetMs);
    console.error(`[${peer}] matmul ${n}: ${m.gflops.toFixed(2)} GFLOP/s (${m.iters} iters x ${m.runs} runs)`);
    result.matmul.push(m);
  }
  if (extras && sizes.length && peer !== "tfjs-wasm") {
    for (let i = 0; i < 5; i++) await s.readback();
    const lat: number[] = [];
    for (let i = 0; i < READBACK_REPS; i++) lat.push(await s.readback());
    result.readbackMs = median(lat);
    console.error(`[${peer}] readback: ${result.readbackMs.toFixed(3)} ms`);

    await s.chain(CHAIN_OPS); // compiles the elementwise pipelines
    const rec: number[] = [];
    const tot: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [r, t] = await s.chain(CHAIN_OPS);
      rec.push(r);
      tot.push(t);
    }
    const totalMs = median(tot);
    result.chain = { ops: CHAIN_OPS, totalMs, recordMs: median(rec), usPerOp: (totalMs * 1000) / CHAIN_OPS };
    console.error(`[${peer}] ${CHAIN_OPS} elementwise ops: ${totalMs.toFixed(1)} ms`);
  }
  if (rest.includes("--memory") && s.memory) {
    result.memory = await s.memory(rest.includes("--quick"));
    const m = result.memory;
    console.error(
      `[${peer}] memory: Float32Array copy ${m.hostCopyGBs.toFixed(1)} GB/s; ${
        m.rows.map((r) => `${r.name} ${r.gbs.toFixed(2)} GB/s`).join("; ")
      }`,
    );
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  }
  const keys = opt("workloads", "").split(",").filter(Boolean);
  if (keys.length) {
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
    result.workloads = await runWorkloads(s, result.peer, keys, {
      dir: opt("inputs", ""),
      quick: rest.includes("--quick"),
      bufferSteps: Number(opt("buffer-steps", "100")),
      notes: result.notes,
      // a partial result after each workload, so a peer killed on timeout still reports what it finished
      partial: (w) => console.log(`BENCH_RESULT ${JSON.stringify({ ...result, workloads: w })}`),
    });
  }
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

if (import.meta.main) await main();
