/**
 * GFLOP/s of the cpu backend's WebAssembly GEMM (lib/backend/cpu/wasm/gemm.ts, through
 * `wasmGemm`, so BLAS is never involved) on square float32 products: 256, 512 and 1024 on all
 * threads, and 1024 on one thread. Median (and min–max) of the timed runs after warm-up runs that
 * let V8 tier the kernel up and start the workers.
 *
 * Run: `deno run --allow-run=lscpu --allow-sys=loadavg --allow-env=DENOGRAD_CPU_THREADS bench/cpu_gemm.ts [runs]`
 * (runs default 7, at least 5).
 * @module
 */
import { Heap } from "../lib/backend/cpu/heap.ts";
import { wasmGemm } from "../lib/backend/cpu/gemm.ts";
import { cpuThreads, setCpuThreads } from "../lib/backend/cpu/threads.ts";
import { hasRelaxedMadd } from "../lib/backend/cpu/wasm/emit.ts";
import { defaultGemmConfig } from "../lib/backend/cpu/wasm/gemm.ts";

const runs = Math.max(5, Number(Deno.args[0] ?? 7));
const heap = new Heap();
const threads = cpuThreads();

console.log(`cpu:     ${await lscpuModel()}`);
console.log(`load:    ${loadavg()} (1, 5, 15 min) before`);
console.log(`kernel:  ${JSON.stringify(defaultGemmConfig())}, relaxed madd ${hasRelaxedMadd() ? "yes" : "no"}`);

/** Median, min and max GFLOP/s of `runs` timed products of n × n by n × n (each timed sample ≥ ~20 ms of work). */
function measure(n: number, threadCount: number): { median: number; min: number; max: number } {
  setCpuThreads(threadCount);
  const a = heap.alloc(n * n * 4) >> 2, b = heap.alloc(n * n * 4) >> 2, c = heap.alloc(n * n * 4) >> 2;
  const f32 = heap.views.f32;
  for (let i = 0; i < n * n; i++) {
    f32[a + i] = Math.random() - 0.5;
    f32[b + i] = Math.random() - 0.5;
  }
  const args = { m: n, n, k: n, batch: 1, a, aRow: n, aCol: 1, aBatch: 0, b, bRow: n, bCol: 1, bBatch: 0, c };
  const reps = Math.max(1, Math.round(2 ** 30 / n ** 3 / 2));
  for (let w = 0; w < 3; w++) wasmGemm(heap, args);
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) wasmGemm(heap, args);
    const ms = (performance.now() - start) / reps;
    rates.push(2 * n ** 3 / ms / 1e6);
  }
  rates.sort((x, y) => x - y);
  heap.release(a * 4, n * n * 4);
  heap.release(b * 4, n * n * 4);
  heap.release(c * 4, n * n * 4);
  return { median: rates[rates.length >> 1], min: rates[0], max: rates[rates.length - 1] };
}

console.log(`\n| n | threads | GFLOP/s median (min–max), ${runs} runs |\n| ---: | ---: | --- |`);
for (const [n, t] of [[256, threads], [512, threads], [1024, threads], [1024, 1]]) {
  const { median, min, max } = measure(n, t);
  console.log(`| ${n} | ${t} | ${median.toFixed(1)} (${min.toFixed(1)}–${max.toFixed(1)}) |`);
}
console.log(`\nload:    ${loadavg()} after`);

async function lscpuModel(): Promise<string> {
  try {
    const out = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output();
    const text = new TextDecoder().decode(out.stdout);
    const model = text.match(/^Model name:\s*(.+)$/m)?.[1] ?? "unknown model";
    const cpus = text.match(/^CPU\(s\):\s*(\d+)$/m)?.[1] ?? "?";
    return `${model}, ${cpus} CPUs (lscpu); navigator.hardwareConcurrency ${navigator.hardwareConcurrency}`;
  } catch {
    return `n/a (needs --allow-run=lscpu); navigator.hardwareConcurrency ${navigator.hardwareConcurrency}`;
  }
}

function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "n/a (needs --allow-sys=loadavg)";
  }
}
