/**
 * GFLOP/s of the cpu backend's BLAS path (lib/backend/cpu/blas.ts) at 64, 256, 512 and 1024, and of
 * PyTorch's `torch.mm` at 1024 in the same run:
 *
 * ```sh
 * deno run --allow-ffi --allow-run=/usr/bin/python3,lscpu --allow-sys=loadavg bench/cpu_blas.ts [--threads=N]
 * ```
 *
 * Each figure is the median of 7 samples after 2 warm-up ones; a sample repeats the product for
 * ~50 ms, so small sizes are not timer-bound. At 1024 the blasGemm and torch samples alternate (torch
 * runs in a child python that waits for a line per sample), so that load from other processes on a
 * shared machine falls on both alike; the ratio is the median of the per-pair ratios.
 * `--threads` sets BLAS's (and torch's) threads.
 * @module
 */
import { Heap } from "../lib/backend/cpu/heap.ts";
import { blasGemm, blasInfo, type GemmArgs, setBlasThreads } from "../lib/backend/cpu/blas.ts";

const PYTHON = "/usr/bin/python3";
const SAMPLES = 7;
const WARMUP = 2;
const SAMPLE_MS = 50;

const threadsArg = Deno.args.find((a) => a.startsWith("--threads="));
if (threadsArg) setBlasThreads(Number(threadsArg.slice("--threads=".length)));
const info = blasInfo();
if (info === null) {
  console.error("no BLAS: run with --allow-ffi on a machine with OpenBLAS, MKL or Accelerate");
  Deno.exit(1);
}

console.log(`cpu:   ${await lscpuModel()}`);
console.log(`load:  ${loadAvg()} (1, 5, 15 min)`);
console.log(`blas:  ${info.library}, ${info.threads} threads`);

/** A sampler of `fn`: each call runs it for ~SAMPLE_MS and returns the seconds per call. */
function sampler(fn: () => void): () => number {
  // calibrate on a warm loop, not on the first call (library start-up, cold caches, unoptimised JS)
  let reps = 1;
  for (let elapsed = 0; elapsed < SAMPLE_MS / 4; reps *= 2) {
    const start = performance.now();
    for (let r = 0; r < reps; r++) fn();
    elapsed = performance.now() - start;
  }
  reps *= 2;
  return () => {
    const start = performance.now();
    for (let r = 0; r < reps; r++) fn();
    return (performance.now() - start) / reps / 1e3;
  };
}

function median(xs: number[]): number {
  const sorted = xs.toSorted((x, y) => x - y);
  return sorted[sorted.length >> 1];
}

/** SAMPLES samples of each sampler, taken in turn after WARMUP rounds: one list per sampler. */
async function interleaved(samplers: (() => number | Promise<number>)[]): Promise<number[][]> {
  const out = samplers.map(() => [] as number[]);
  for (let s = 0; s < WARMUP + SAMPLES; s++) {
    for (const [i, sample] of samplers.entries()) {
      const seconds = await sample();
      if (s >= WARMUP) out[i].push(seconds);
    }
  }
  return out;
}

/** A heap holding random row-major n×n A matrices (`batch` of them, `aGap` elements between them), one B, and C. */
function square(n: number, batch = 1, aGap = 0): { heap: Heap; args: GemmArgs } {
  const heap = new Heap();
  const aBatch = n * n + aGap;
  const a = heap.alloc(batch * aBatch * 4) / 4, b = heap.alloc(n * n * 4) / 4, c = heap.alloc(batch * n * n * 4) / 4;
  const f32 = heap.views.f32;
  for (let i = 0; i < batch * aBatch; i++) f32[a + i] = Math.random() - 0.5;
  for (let i = 0; i < n * n; i++) f32[b + i] = Math.random() - 0.5;
  const args = { m: n, n, k: n, batch, a, aRow: n, aCol: 1, aBatch, b, bRow: n, bCol: 1, bBatch: 0, c };
  return { heap, args };
}

function blasSampler(n: number, batch = 1, aGap = 0): { flops: number; sample: () => number } {
  const { heap, args } = square(n, batch, aGap);
  const sample = sampler(() => {
    if (!blasGemm(heap, args)) throw new Error("blasGemm refused a row-major product");
  });
  return { flops: 2 * batch * n ** 3, sample };
}

function report(what: string, flops: number, seconds: number): void {
  console.log(`${what}: ${(flops / seconds / 1e9).toFixed(1).padStart(6)} GFLOP/s  (${(seconds * 1e6).toFixed(1)} µs)`);
}

for (const n of [64, 256, 512]) {
  const { flops, sample } = blasSampler(n);
  report(`blasGemm ${n}³`, flops, median((await interleaved([sample]))[0]));
}

// 64 products of 64³ sharing B: contiguous A batches fold into one (64·64)×64 call; a 1-element
// gap between batches forces one sgemm per batch. Alternated, so the fold's gain is one ratio.
const folded = blasSampler(64, 64, 0), looped = blasSampler(64, 64, 1);
const [foldedTimes, loopedTimes] = await interleaved([folded.sample, looped.sample]);
report("blasGemm 64 × 64³, B shared, folded", folded.flops, median(foldedTimes));
report("blasGemm 64 × 64³, B shared, looped", looped.flops, median(loopedTimes));

const big = blasSampler(1024);
const torch = await startTorch(1024, info.threads);
if (typeof torch === "string") {
  console.log(`torch.mm 1024³: skipped: ${torch}`);
  report("blasGemm 1024³", big.flops, median((await interleaved([big.sample]))[0]));
} else {
  const [blasTimes, torchTimes] = await interleaved([big.sample, torch.sample]);
  torch.close();
  console.log(`torch: ${torch.about}`);
  report("blasGemm 1024³", big.flops, median(blasTimes));
  report("torch.mm 1024³", big.flops, median(torchTimes));
  const ratios = blasTimes.map((t, i) => torchTimes[i] / t);
  console.log(
    `speed ratio blasGemm / torch.mm at 1024: ${median(ratios).toFixed(2)} ` +
      `(per-pair ratios ${ratios.map((r) => r.toFixed(2)).join(" ")})`,
  );
}
console.log(`load:  ${loadAvg()} (after)`);

interface Torch {
  about: string;
  sample(): Promise<number>;
  close(): void;
}

/**
 * A child python timing `torch.mm` at n³: it prints what torch reports about its BLAS (and the BLAS
 * libraries it mapped), then one sample's seconds per call for each line it reads.
 */
async function startTorch(n: number, threads: number): Promise<Torch | string> {
  const script = `
import json, re, sys, time, torch
if ${threads} > 0: torch.set_num_threads(${threads})
a, b = torch.rand(${n}, ${n}) - 0.5, torch.rand(${n}, ${n}) - 0.5
reps = 1
while True:
    t0 = time.perf_counter()
    for r in range(reps): torch.mm(a, b)
    if time.perf_counter() - t0 >= ${SAMPLE_MS / 4000}: break
    reps *= 2
reps *= 2
blas = ", ".join(re.findall(r"BLAS_INFO=[^,]*", torch.__config__.show())) or "BLAS not named"
maps = [l.split()[-1] for l in open("/proc/self/maps") if len(l.split()) > 5]
libs = ", ".join(sorted({p.split("/")[-1] for p in maps if re.search(r"blas|mkl", p)})) or "no BLAS library"
try:
    import ctypes
    blas_threads = f", OpenBLAS {ctypes.CDLL('libopenblas.so.0').openblas_get_num_threads()} threads"
except Exception:
    blas_threads = ""
print(f"torch {torch.__version__}; {blas}; {torch.get_num_threads()} threads{blas_threads}; mapped {libs}", flush=True)
for line in sys.stdin:
    t0 = time.perf_counter()
    for r in range(reps): torch.mm(a, b)
    print((time.perf_counter() - t0) / reps, flush=True)
`;
  let child: Deno.ChildProcess;
  try {
    // Debian's torch calls the system OpenBLAS, whose own pool ignores torch.set_num_threads
    const env = threads > 0 ? { OPENBLAS_NUM_THREADS: String(threads) } : undefined;
    child = new Deno.Command(PYTHON, { args: ["-c", script], env, stdin: "piped", stdout: "piped", stderr: "inherit" })
      .spawn();
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? `${PYTHON} not found` : String(e);
  }
  const lines = lineReader(child.stdout);
  const about = await lines();
  if (about === null) return `${PYTHON} could not run torch (see its error above)`;
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  return {
    about,
    async sample() {
      await stdin.write(encoder.encode("\n"));
      const line = await lines();
      if (line === null) throw new Error("the torch child exited mid-benchmark");
      return Number(line);
    },
    close() {
      void stdin.close();
    },
  };
}

/** Reads `stream` line by line: each call resolves to the next line, or null at its end. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | null> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  return async () => {
    while (!pending.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return null;
      pending += value;
    }
    const at = pending.indexOf("\n");
    const line = pending.slice(0, at);
    pending = pending.slice(at + 1);
    return line;
  };
}

async function lscpuModel(): Promise<string> {
  try {
    const out = await new Deno.Command("lscpu", { stdout: "piped" }).output();
    const line = new TextDecoder().decode(out.stdout).split("\n").find((l) => l.startsWith("Model name:"));
    return `${line?.slice("Model name:".length).trim() ?? "unknown"} (${navigator.hardwareConcurrency} logical cores)`;
  } catch {
    return `${Deno.build.arch} (${navigator.hardwareConcurrency} logical cores)`;
  }
}

function loadAvg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "n/a (needs --allow-sys=loadavg)";
  }
}
