/**
 * The markdown report of `deno task bench`: the machine header (CPU model and SIMD flags from
 * `lscpu`, the WebGPU adapter, the BLAS library denograd-cpu-blas loaded), the matmul and small-op
 * tables with a column per peer, the training workloads (bench/report_workloads.ts), the
 * memory-bound kernels (bench/memory.ts), and each issue's targets and ratios measured in this run.
 * @module
 */
import type { Peer, PeerResult } from "./peers.ts";
import { DENOGRAD_PEERS } from "./peers_denograd.ts";
import { WORKLOADS } from "./workloads.ts";
import { workloadTables, workloadTargets } from "./report_workloads.ts";
import { memoryTable } from "./memory.ts";
import { issue13Lines, type ScalingRun, scalingTable } from "./report_issue13.ts";
import { type ImdbResult, imdbTable } from "./imdb_epoch.ts";

/** A peer's result, or undefined when it did not run or failed. */
export type Ok = (p: Peer) => PeerResult | undefined;

/** What `lscpu` says about the CPU; `flags` are the SIMD extensions that matter to the kernels. */
export interface CpuInfo {
  model: string;
  cores: number;
  flags: Record<"avx2" | "avx512f" | "fma", boolean> | null;
}

/** Everything the report needs besides the peers' results. */
export interface ReportInput {
  command: string;
  date: string;
  lp: string;
  loadBefore: string;
  loadAfter: string;
  seconds: number;
  cpu: CpuInfo;
  sizes: number[];
  runs: number;
  quick: boolean;
  peers: Peer[];
  matmul: boolean;
  /** Thread-scaling runs of denograd-cpu (`--threads`), in the order run. */
  scaling: ScalingRun[];
  imdb?: ImdbResult | string;
  /** One line per peer that failed or printed notes. */
  notes: string[];
}

const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2));
const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));

/** `a / b` as "1.23×", or "–" when either is missing. */
export function ratio(a?: number, b?: number): string {
  return a !== undefined && b !== undefined && b > 0 ? `${f2(a / b)}×` : "–";
}

/** GFLOP/s of `p` at size `n`. */
function gflops(ok: Ok, p: Peer, n: number): number | undefined {
  return ok(p)?.matmul.find((x) => x.n === n)?.gflops;
}

/** The matmul ratio columns: the issue 13 comparisons, and issue 6's webgpu one. */
const MATMUL_RATIOS: [Peer, Peer][] = [
  ["denograd-cpu", "pytorch-cpu"],
  ["denograd-cpu", "tfjs-wasm"],
  ["denograd-cpu-blas", "pytorch-cpu"],
  ["denograd-cpu-blas", "tfjs-wasm"],
  ["denograd-webgpu", "tfjs-webgpu"],
];

function matmulSection(input: ReportInput, ok: Ok): string[] {
  const peers = input.peers.filter((p) => ok(p)?.matmul.length);
  if (!peers.length) return [];
  const pairs = MATMUL_RATIOS.filter(([a, b]) => peers.includes(a) && peers.includes(b));
  const cell = (r: PeerResult | undefined, n: number) => {
    const m = r?.matmul.find((x) => x.n === n);
    if (!m) return "–";
    return `${f2(m.gflops)} <sub>(${f2(Math.min(...m.all))}–${f2(Math.max(...m.all))})</sub>`;
  };
  const out = [
    "### fp32 matmul",
    "",
    `| n×n·n×n, GFLOP/s | ${peers.join(" | ")} | ${pairs.map(([a, b]) => `${a} ÷ ${b}`).join(" | ")} |`,
    `|---:|${peers.map(() => "---:|").join("")}${pairs.map(() => "---:|").join("")}`,
  ];
  for (const n of input.sizes) {
    out.push(
      `| ${n} | ${peers.map((p) => cell(ok(p), n)).join(" | ")} | ${
        pairs.map(([a, b]) => ratio(gflops(ok, a, n), gflops(ok, b, n))).join(" | ")
      } |`,
    );
  }
  const runsNote = input.sizes.some((n) => n >= 2048) ? ` (2048: ${Math.min(input.runs, 3)} runs)` : "";
  out.push(
    "",
    `Median of ${input.runs} timed runs per size${runsNote}, each run a batch of matmuls sized to take ~1.5 s ` +
      "and ending in a sync/readback, after a warm-up; (min–max) of the runs in small print. " +
      "A ratio `a ÷ b` > 1 means a is faster.",
    "",
  );
  return [...out, ...smallOps(input, ok)];
}

function smallOps(input: ReportInput, ok: Ok): string[] {
  const peers = input.peers.filter((p) => ok(p)?.chain || ok(p)?.readbackMs !== undefined);
  if (!peers.length) return [];
  const ms = (x: number | undefined, unit: string, f = f2) => (x === undefined ? "–" : `${f(x)} ${unit}`);
  const row = (label: string, get: (r: PeerResult) => string) =>
    `| ${label} | ${peers.map((p) => get(ok(p)!)).join(" | ")} |`;
  return [
    `| small-op latency | ${peers.join(" | ")} |`,
    `|---|${peers.map(() => "---:|").join("")}`,
    row("one readback: tiny add + `await item()`/`data()` of 1 element, median of 50", (r) => ms(r.readbackMs, "ms")),
    row(
      "1000 elementwise ops on [64] (`x.mul(1.0001).add(0.0001)` ×500 in tidy) + one sync: total",
      (r) => ms(r.chain?.totalMs, "ms", f1),
    ),
    row("… per op", (r) => ms(r.chain?.usPerOp, "µs", f1)),
    row("… of which recording the ops (before the sync)", (r) => ms(r.chain?.recordMs, "ms", f1)),
    "",
    "Median of 5 chains after a warm-up chain.",
    "",
  ];
}

function memorySection(peer: Peer, m: NonNullable<PeerResult["memory"]>): string[] {
  const how = m.profiled
    ? "over its GPU time (timestamp queries), next to a `Float32Array` copy `dst.set(src)` of the same size timed " +
      'in the same process between the kernel batches; "÷ memory time" is the time over the time the host ' +
      "copy's bandwidth needs for those bytes. Wall ms per call is the slope between 20 and 40 calls, each batch " +
      "ending in one `synchronize()` (its ~11 ms floor cancels); a buffer copy runs no kernel, so its GB/s comes " +
      "from the wall time."
    : "over its wall time (the cpu backend's kernels finish before they return: the time of 20 calls ÷ 20), " +
      "next to a `Float32Array` copy `dst.set(src)` of the same size timed in the same process between " +
      'the kernel batches; "÷ memory time" is the time over the time the host copy\'s bandwidth needs for those ' +
      "bytes. The second row copies as many bytes as an Adam step moves, in one `dst.set(src)`.";
  return [
    `### Memory-bound kernels (${peer})`,
    "",
    `GB/s of the bytes each kernel must move (copy 8 B, fill 4 B, add 12 B, Adam 28 B per element) ${how}`,
    "",
    ...memoryTable(m),
    "",
  ];
}

function matmulTarget(ok: Ok): string[] {
  const d = gflops(ok, "denograd-webgpu", 1024);
  const t = gflops(ok, "tfjs-webgpu", 1024);
  if (d === undefined || t === undefined) return [];
  const r = d / t;
  return [`Target matmul 1024 denograd-webgpu ≥ 1.5× tfjs-webgpu: **${r >= 1.5 ? "met" : "not met"}** (${f2(r)}×).`];
}

/** Issue 12 (webgpu): Adam over 1M parameters faster than tfjs-wasm and within 3× of its memory-traffic time. */
function adamTargets(ok: Ok): string[] {
  const out: string[] = [];
  const step = (p: Peer) => ok(p)?.workloads?.find((w) => w.key === "adam")?.msPerStep;
  const dg = step("denograd-webgpu");
  const wasm = step("tfjs-wasm");
  if (dg !== undefined && wasm !== undefined) {
    out.push(
      `Target Adam step over 1M parameters, denograd-webgpu faster than tfjs-wasm: **${
        dg < wasm ? "met" : "not met"
      }** (${f2(dg)} ms against ${f2(wasm)} ms per step, ${
        WORKLOADS.find((w) => w.key === "adam")?.stepsPerSync
      } steps per sync).`,
    );
  }
  const m = ok("denograd-webgpu")?.memory;
  const kernel = m?.rows.find((r) => r.name.startsWith("Adam step, 4"));
  if (m && kernel) {
    const memMs = (kernel.bytesPerElement * m.size) / (m.hostCopyGBs * 1e6);
    const r = (kernel.gpuMs ?? kernel.wallMs) / memMs;
    const stepNote = dg !== undefined ? `; the whole step, sync included, ${f1(dg / memMs)}×` : "";
    out.push(
      `Target Adam (webgpu) within 3× of its memory-traffic time (28 B/param ÷ the Float32Array copy's ${
        f1(m.hostCopyGBs)
      } GB/s = ${f2(memMs)} ms): **${r <= 3 ? "met" : "not met"}** (GPU time ${f2(kernel.gpuMs ?? kernel.wallMs)} ms, ${
        f1(r)
      }×${stepNote}).`,
    );
  }
  return out;
}

function yesNo(x: boolean): string {
  return x ? "yes" : "**no**";
}

function header(input: ReportInput, ok: Ok): string[] {
  const wg = ok("denograd-webgpu");
  const cpuPeer = ok("denograd-cpu");
  const blasPeer = ok("denograd-cpu-blas");
  const tw = ok("tfjs-webgpu");
  const tm = ok("tfjs-wasm");
  const pt = ok("pytorch-cpu");
  const fl = input.cpu.flags;
  const threads = (r?: PeerResult) => (r?.threads === undefined ? "–" : String(r.threads));
  return [
    `## \`${input.command}\` — ${input.date}`,
    "",
    "| machine | |",
    "|---|---|",
    `| CPU (lscpu) | ${input.cpu.model} (${input.cpu.cores} logical cores) |`,
    `| SIMD flags | ${fl ? `avx2 ${yesNo(fl.avx2)}, avx512f ${yesNo(fl.avx512f)}, fma ${yesNo(fl.fma)}` : "–"} |`,
    `| adapter (denograd-webgpu) | ${wg?.description ?? "–"} |`,
    `| denograd-cpu | ${cpuPeer ? `${threads(cpuPeer)} threads, matmul WebAssembly SIMD (no --allow-ffi)` : "–"} |`,
    `| denograd-cpu-blas | ${
      blasPeer ? `pool ${threads(blasPeer)} threads; BLAS loaded: ${blasPeer.blas ?? "none"}` : "–"
    } |`,
    `| LP_NUM_THREADS | ${input.lp} |`,
    `| Deno | ${Deno.version.deno} (V8 ${Deno.version.v8}) |`,
    `| TensorFlow.js | ${tw?.version ?? tm?.version ?? "–"}${tm ? `; ${tm.description}` : ""} |`,
    `| PyTorch | ${pt?.description ?? "–"} |`,
    `| load average (1/5/15 min) before → after | ${input.loadBefore} → ${input.loadAfter} |`,
    `| bench wall time | ${input.seconds.toFixed(0)} s |`,
    "",
  ];
}

/** The whole report entry, as markdown. */
export function report(input: ReportInput, ok: Ok): string {
  const out = header(input, ok);
  if (input.matmul) out.push(...matmulSection(input, ok));
  out.push(...workloadTables(input.peers, ok, input.quick));
  for (const p of DENOGRAD_PEERS) {
    const m = ok(p)?.memory;
    if (m) out.push(...memorySection(p, m));
  }
  if (input.scaling.length) out.push(...scalingTable(input.scaling, input.quick));
  if (input.imdb !== undefined) out.push(...imdbTable(input.imdb));
  const i13 = issue13Lines(ok, input.scaling, typeof input.imdb === "object" ? input.imdb : undefined);
  if (i13.length) out.push("### Issue 13 ratios and targets (this run)", "", ...i13.map((t) => `- ${t}`), "");
  const i6 = [...(input.matmul ? matmulTarget(ok) : []), ...workloadTargets(ok)];
  if (i6.length) out.push("### Issue 6 targets (this run)", "", ...i6.map((t) => `- ${t}`), "");
  const i12 = adamTargets(ok);
  if (i12.length) out.push("### Issue 12 targets (this run)", "", ...i12.map((t) => `- ${t}`), "");
  if (input.notes.length) out.push("Notes:", "", ...input.notes, "");
  return out.join("\n");
}
