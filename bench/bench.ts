/**
 * `deno task bench`: denograd (webgpu) against TensorFlow.js (webgpu and wasm backends) and PyTorch
 * CPU (Debian's `/usr/bin/python3` with `torch`, skipped with a note when absent), all measured in
 * the same run on the same machine.
 *
 * - `matmul`: fp32 matmul GFLOP/s at 256, 512, 1024, 2048 (`--quick`: without 2048, 3 runs per
 *   size), plus the latency of one 1-element readback and 1000 small elementwise ops in one step;
 * - `conv`: conv2d forward + backward, [64,3,32,32] ⋆ [64,3,3,3] and [64,64,16,16] ⋆ [64,64,3,3];
 * - `cnn`: the tutorial's CIFAR CNN training step (batch 64, SGD momentum), and on denograd the GPU
 *   buffers created over 100 steady-state steps (`--quick`: 20);
 * - `transformer`: TransformerEncoderLayer d 128, 4 heads, ff 512, batch 16 × 128, forward + backward;
 * - `mlp`: a 64→64→10 MLP step (dispatch-bound); `adam`: an Adam step over 1M parameters;
 * - `memory` (denograd only): GB/s of the copy, elementwise and fused Adam kernels over 1M float32
 *   against a `Float32Array` copy `dst.set(src)` of the same size in the same process (`bench/memory.ts`).
 * (`bench/workloads.ts` defines them.) Every peer starts the workloads from the same weights and
 * data, drawn here once and passed to the peers in a temporary folder under `bench/.tmp/`, and
 * reports correctness values after one step, which the report compares across peers.
 *
 * Each peer runs in its own subprocess (`bench/peers.ts`, `bench/peers_torch.py`), so each gets its
 * own WebGPU device and nothing it leaves behind (buffers, pipelines, threads) slows the next one.
 * The report is printed as markdown and prepended to `bench/README.md` (newest first; `--no-write`
 * skips it).
 *
 * Options: `--quick`, `--no-write`, `--sizes=256,512`, `--runs=5`, `--peers=denograd,tfjs-wasm,pytorch-cpu`,
 * `--only=matmul,conv,cnn,transformer,mlp,adam,memory`, `--timeout=<minutes per peer>` (default 8).
 * @module
 */
import os from "node:os";
import type { Peer, PeerResult } from "./peers.ts";
import { makeInputs, WORKLOAD_GROUPS, type WorkloadGroup, WORKLOADS, writeInputs } from "./workloads.ts";
import { workloadTables, workloadTargets } from "./report_workloads.ts";
import { memoryTable } from "./memory.ts";

const ALL_PEERS: Peer[] = ["denograd", "tfjs-webgpu", "tfjs-wasm", "pytorch-cpu"];
const MARKER = "<!-- bench entries below, newest first -->";
const PYTHON = "/usr/bin/python3";
/** denograd's steady-state check: CNN steps between the two memoryStats() reads (quick mode: fewer). */
const BUFFER_STEPS = 100;
const QUICK_BUFFER_STEPS = 20;

interface Options {
  quick: boolean;
  write: boolean;
  sizes: number[];
  runs: number;
  peers: Peer[];
  only: WorkloadGroup[];
  /** A peer process that runs longer than this is killed; what it finished is still reported. */
  timeoutMs: number;
  /** Folder of the shared workload inputs (set in main). */
  inputs?: string;
}

function parseArgs(args: string[]): Options {
  const known = new Set(["--quick", "--no-write"]);
  const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  for (const a of args) {
    if (!known.has(a) && !/^--(sizes|runs|peers|only|timeout)=/.test(a)) {
      throw new Error(
        `unknown option ${a}; expected --quick, --no-write, --sizes=…, --runs=…, --peers=…, --only=…, --timeout=…`,
      );
    }
  }
  const quick = args.includes("--quick");
  const sizes = (value("sizes") ?? (quick ? "256,512,1024" : "256,512,1024,2048")).split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --sizes ${value("sizes")}`);
  const peers = (value("peers") ?? ALL_PEERS.join(",")).split(",") as Peer[];
  for (const p of peers) if (!ALL_PEERS.includes(p)) throw new Error(`unknown peer ${p}; expected ${ALL_PEERS}`);
  const only = (value("only") ?? WORKLOAD_GROUPS.join(",")).split(",") as WorkloadGroup[];
  for (const o of only) {
    if (!WORKLOAD_GROUPS.includes(o)) throw new Error(`unknown --only ${o}; expected ${WORKLOAD_GROUPS}`);
  }
  const timeoutMs = Number(value("timeout") ?? 8) * 60_000;
  if (!(timeoutMs > 0)) throw new Error(`bad --timeout ${value("timeout")}; expected minutes > 0`);
  const runs = Number(value("runs") ?? (quick ? 3 : 5));
  return { quick, write: !args.includes("--no-write"), sizes, runs, peers, only, timeoutMs };
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

// /proc is off limits without --allow-all in Deno 2, so these use --allow-sys=cpus,loadavg.
function cpuModel(): string {
  try {
    const cpus = os.cpus();
    return `${cpus[0]?.model ?? Deno.build.arch} (${cpus.length} logical cores)`;
  } catch {
    return `${Deno.build.arch} (${navigator.hardwareConcurrency} logical cores)`;
  }
}

function loadAvg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "n/a";
  }
}

/** Pipes a child's stderr to ours line by line, dropping wgpu's harmless GL/EGL probe noise. */
async function relayStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (!/XDG_RUNTIME_DIR/.test(line)) console.error(`  ${line}`);
  }
  if (pending && !/XDG_RUNTIME_DIR/.test(pending)) console.error(`  ${pending}`);
}

/** A peer that could not run here (e.g. no PyTorch): reported as a note, not as a failure. */
const SKIPPED = "skipped: ";

async function runPeer(peer: Peer, opts: Options, lpThreads: string): Promise<PeerResult | string> {
  const file = (name: string) => new URL(name, import.meta.url).pathname;
  const keys = WORKLOADS.filter((w) => opts.only.includes(w.group)).map((w) => w.key);
  const common = [
    `--sizes=${opts.only.includes("matmul") ? opts.sizes.join(",") : ""}`,
    `--runs=${opts.runs}`,
    ...(keys.length ? [`--workloads=${keys.join(",")}`, `--inputs=${opts.inputs}`] : []),
    ...(opts.quick ? ["--quick"] : []),
    `--buffer-steps=${opts.quick ? QUICK_BUFFER_STEPS : BUFFER_STEPS}`,
    ...(peer === "denograd" && opts.only.includes("memory") ? ["--memory"] : []),
  ];
  const [cmd, args] = peer === "pytorch-cpu"
    ? [PYTHON, [file("./peers_torch.py"), ...common]]
    : [Deno.execPath(), ["run", "--allow-read", "--allow-env", file("./peers.ts"), peer, ...common]];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      env: { LP_NUM_THREADS: lpThreads, ...(peer === "denograd" ? { DENOGRAD_BACKEND: "webgpu" } : {}) },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (peer === "pytorch-cpu" && e instanceof Deno.errors.NotFound) return `${SKIPPED}${PYTHON} not found`;
    throw e;
  }
  let killed = false;
  const timer = setTimeout(() => {
    console.error(`  [${peer}] still running after ${opts.timeoutMs / 1000} s; killing it`);
    killed = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs);
  const [stdout] = await Promise.all([
    new Response(child.stdout).text(),
    relayStderr(child.stderr),
  ]);
  const status = await child.status;
  clearTimeout(timer);
  const lines = stdout.split("\n");
  const skip = lines.find((l) => l.startsWith("BENCH_SKIP "));
  if (skip) return `${SKIPPED}${skip.slice("BENCH_SKIP ".length)}`;
  // the peers print a partial result after each workload; the last one is the most complete
  const line = lines.findLast((l) => l.startsWith("BENCH_RESULT "));
  const why = killed
    ? `killed after the ${opts.timeoutMs / 60_000} min timeout`
    : `exit ${status.code}${status.signal ? ` (${status.signal})` : ""}`;
  if (!line) return status.success ? "no result printed" : why;
  const result = JSON.parse(line.slice("BENCH_RESULT ".length)) as PeerResult;
  if (!status.success) result.notes.push(`**incomplete**: ${why}; the workloads it finished are reported`);
  return result;
}

const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2));
const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));

const MATMUL_PEERS: Peer[] = ["denograd", "tfjs-webgpu", "tfjs-wasm", "pytorch-cpu"];
type Ok = (p: Peer) => PeerResult | undefined;

function matmulSection(opts: Options, ok: Ok, out: string[]): void {
  const dg = ok("denograd");
  const tw = ok("tfjs-webgpu");
  const others = MATMUL_PEERS.filter((p) => p !== "denograd");
  out.push(
    `| fp32 matmul n×n·n×n | ${MATMUL_PEERS.map((p) => `${p} GFLOP/s`).join(" | ")} | ${
      others.map((p) => `denograd / ${p}`).join(" | ")
    } |`,
    `|---:|${MATMUL_PEERS.map(() => "---:|").join("")}${others.map(() => "---:|").join("")}`,
  );
  const cell = (r: PeerResult | undefined, n: number) => {
    const m = r?.matmul.find((x) => x.n === n);
    if (!m) return "–";
    const lo = Math.min(...m.all);
    const hi = Math.max(...m.all);
    return `${f2(m.gflops)} <sub>(${f2(lo)}–${f2(hi)})</sub>`;
  };
  const g = (r: PeerResult | undefined, n: number) => r?.matmul.find((x) => x.n === n)?.gflops;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${f2(a / b)}×` : "–");
  for (const n of opts.sizes) {
    out.push(
      `| ${n} | ${MATMUL_PEERS.map((p) => cell(ok(p), n)).join(" | ")} | ${
        others.map((p) => ratio(g(dg, n), g(ok(p), n))).join(" | ")
      } |`,
    );
  }
  out.push("");
  const runsNote = opts.sizes.some((n) => n >= 2048) ? ` (2048: ${Math.min(opts.runs, 3)} runs)` : "";
  out.push(
    `Median of ${opts.runs} timed runs per size${runsNote}, each run a batch of matmuls sized to take ~1.5 s ` +
      "and ending in a sync/readback, after a warm-up; (min–max) of the runs in small print. " +
      "`denograd / peer` > 1 means denograd is faster.",
  );
  out.push("");

  out.push("| small-op latency | denograd | tfjs-webgpu |", "|---|---:|---:|");
  out.push(
    `| one readback: tiny add + \`await item()\`/\`data()\` of 1 element, median of 50 | ${
      dg?.readbackMs !== undefined ? `${f2(dg.readbackMs)} ms` : "–"
    } | ${tw?.readbackMs !== undefined ? `${f2(tw.readbackMs)} ms` : "–"} |`,
  );
  const ch = (r: PeerResult | undefined, k: "totalMs" | "recordMs" | "usPerOp", unit: string) =>
    r?.chain ? `${f1(r.chain[k])} ${unit}` : "–";
  out.push(
    `| 1000 elementwise ops on [64] (\`x.mul(1.0001).add(0.0001)\` ×500 in tidy) + one sync: total | ${
      ch(dg, "totalMs", "ms")
    } | ${ch(tw, "totalMs", "ms")} |`,
  );
  out.push(`| … per op | ${ch(dg, "usPerOp", "µs")} | ${ch(tw, "usPerOp", "µs")} |`);
  out.push(
    `| … of which recording the ops (before the sync) | ${ch(dg, "recordMs", "ms")} | ${ch(tw, "recordMs", "ms")} |`,
  );
  out.push("", "Median of 5 chains after a warm-up chain.", "");
}

function matmulTarget(ok: Ok): string[] {
  const g = (p: Peer) => ok(p)?.matmul.find((x) => x.n === 1024)?.gflops;
  const d = g("denograd");
  const t = g("tfjs-webgpu");
  if (d === undefined || t === undefined) return [];
  const r = d / t;
  return [`Target matmul 1024 ≥ 1.5× tfjs-webgpu: **${r >= 1.5 ? "met" : "not met"}** (${f2(r)}×).`];
}

function memorySection(m: NonNullable<PeerResult["memory"]>): string[] {
  return [
    "### Memory-bound kernels (denograd)",
    "",
    "GB/s of the bytes each kernel must move (copy 8 B, fill 4 B, add 12 B, Adam 28 B per element) over its GPU time " +
    "(timestamp queries), next to a `Float32Array` copy `dst.set(src)` of the same size timed in the same process " +
    'between the kernel batches; "÷ memory time" is the time over the time the host copy\'s bandwidth needs for those ' +
    "bytes. Wall ms per call is the slope between 20 and 40 calls, each batch ending in one `synchronize()` (its " +
    "~11 ms floor cancels); a buffer copy runs no kernel, so its GB/s comes from the wall time.",
    "",
    ...memoryTable(m),
    "",
  ];
}

/** Issue 12: Adam over 1M parameters faster than tfjs-wasm and within 3× of its memory-traffic time. */
function adamTargets(ok: Ok): string[] {
  const out: string[] = [];
  const step = (p: Peer) => ok(p)?.workloads?.find((w) => w.key === "adam")?.msPerStep;
  const dg = step("denograd");
  const wasm = step("tfjs-wasm");
  if (dg !== undefined && wasm !== undefined) {
    out.push(
      `Target Adam step over 1M parameters faster than tfjs-wasm: **${dg < wasm ? "met" : "not met"}** (${
        f2(dg)
      } ms against ${f2(wasm)} ms per step, ${WORKLOADS.find((w) => w.key === "adam")?.stepsPerSync} steps per sync).`,
    );
  }
  const m = ok("denograd")?.memory;
  const kernel = m?.rows.find((r) => r.name.startsWith("Adam step, 4"));
  if (m && kernel) {
    const memMs = (kernel.bytesPerElement * m.size) / (m.hostCopyGBs * 1e6);
    const r = (kernel.gpuMs ?? kernel.wallMs) / memMs;
    const stepNote = dg !== undefined ? `; the whole step, sync included, ${f1(dg / memMs)}×` : "";
    out.push(
      `Target Adam within 3× of its memory-traffic time (28 B/param ÷ the Float32Array copy's ${
        f1(m.hostCopyGBs)
      } GB/s = ${f2(memMs)} ms): **${r <= 3 ? "met" : "not met"}** (GPU time ${f2(kernel.gpuMs ?? kernel.wallMs)} ms, ${
        f1(r)
      }×${stepNote}).`,
    );
  }
  return out;
}

function report(
  opts: Options,
  results: Map<Peer, PeerResult | string>,
  info: { command: string; date: string; lp: string; loadBefore: string; loadAfter: string; seconds: number },
): string {
  const ok = (p: Peer) => {
    const r = results.get(p);
    return typeof r === "object" ? r : undefined;
  };
  const dg = ok("denograd");
  const tw = ok("tfjs-webgpu");
  const tm = ok("tfjs-wasm");
  const pt = ok("pytorch-cpu");
  const out: string[] = [];
  out.push(`## \`${info.command}\` — ${info.date}`, "");
  out.push("| machine | |", "|---|---|");
  out.push(`| CPU | ${cpuModel()} |`);
  out.push(`| adapter (denograd) | ${dg?.description ?? "–"} |`);
  out.push(`| LP_NUM_THREADS | ${info.lp} |`);
  out.push(`| Deno | ${Deno.version.deno} (V8 ${Deno.version.v8}) |`);
  out.push(`| TensorFlow.js | ${tw?.version ?? tm?.version ?? "–"}${tm ? `; ${tm.description}` : ""} |`);
  out.push(`| PyTorch | ${pt?.description ?? "–"} |`);
  out.push(`| load average (1/5/15 min) before → after | ${info.loadBefore} → ${info.loadAfter} |`);
  out.push(`| bench wall time | ${info.seconds.toFixed(0)} s |`);
  out.push("");

  if (opts.only.includes("matmul")) matmulSection(opts, ok, out);
  out.push(...workloadTables(opts.peers, ok, opts.quick));
  if (dg?.memory) out.push(...memorySection(dg.memory));
  const targets = [...(opts.only.includes("matmul") ? matmulTarget(ok) : []), ...workloadTargets(ok)];
  if (targets.length) out.push("### Issue 6 targets (this run)", "", ...targets.map((t) => `- ${t}`), "");
  const adam = adamTargets(ok);
  if (adam.length) out.push("### Issue 12 targets (this run)", "", ...adam.map((t) => `- ${t}`), "");

  const notes: string[] = [];
  for (const p of opts.peers) {
    const r = results.get(p);
    if (typeof r === "string") notes.push(`- ${p}: ${r.startsWith(SKIPPED) ? r : `**failed** (${r})`}`);
    else if (r) { for (const n of r.notes) notes.push(`- ${p}: ${n}`); }
  }
  if (notes.length) out.push("Notes:", "", ...notes, "");
  return out.join("\n");
}

function commandLine(): string {
  const args = Deno.args.length ? ` ${Deno.args.join(" ")}` : "";
  // `deno task` sets INIT_CWD for the commands it runs
  return Deno.env.get("INIT_CWD") !== undefined ? `deno task bench${args}` : `deno run … bench/bench.ts${args}`;
}

function writeReadme(entry: string): string {
  const path = new URL("./README.md", import.meta.url).pathname;
  let text = readText(path);
  if (!text.includes(MARKER)) {
    text = [
      "# denograd benchmarks",
      "",
      "`deno task bench` (add `--quick` to skip n = 2048 and use 3 runs per size) measures denograd on webgpu",
      "against TensorFlow.js 4.22 with its webgpu and wasm (SIMD) backends, each in its own subprocess",
      "(`bench/peers.ts`), and prepends its report here. `deno bench --allow-read --allow-env bench/`",
      "runs the small denograd-only matmul benchmarks in `bench/matmul_bench.ts`.",
      "",
      "On machines without a GPU, WebGPU runs on Mesa's llvmpipe/lavapipe (CPU), so absolute numbers are",
      "low and noisy; compare the ratios between peers measured in the same run, and check the load",
      "average row (other processes on the machine slow every peer).",
      "",
      MARKER,
      "",
      text.trim(),
    ].join("\n").trimEnd() + "\n";
  }
  const at = text.indexOf(MARKER) + MARKER.length;
  text = `${text.slice(0, at)}\n\n${entry.trimEnd()}\n${text.slice(at).replace(/^\n+/, "\n")}`;
  Deno.writeTextFileSync(path, text.trimEnd() + "\n");
  return path;
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const lp = Deno.env.get("LP_NUM_THREADS") ?? "2";
  const started = performance.now();
  const loadBefore = loadAvg();
  const date = new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC";
  console.error(
    `bench: ${opts.only.join(", ")}; sizes ${opts.sizes.join(", ")}, ${opts.runs} runs, peers ${
      opts.peers.join(", ")
    }, LP_NUM_THREADS=${lp}`,
  );
  const results = new Map<Peer, PeerResult | string>();
  const tmp = new URL("./.tmp/", import.meta.url).pathname;
  if (WORKLOADS.some((w) => opts.only.includes(w.group))) {
    opts.inputs = `${tmp}${Deno.pid}`;
    Deno.mkdirSync(opts.inputs, { recursive: true });
    writeInputs(opts.inputs, makeInputs(0));
  }
  try {
    for (const peer of opts.peers) {
      console.error(`bench: ${peer} …`);
      const t0 = performance.now();
      const r = await runPeer(peer, opts, lp);
      results.set(peer, r);
      const status = typeof r === "string" ? (r.startsWith(SKIPPED) ? r : `FAILED: ${r}`) : "done";
      console.error(`bench: ${peer} ${status} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    if (opts.inputs) Deno.removeSync(opts.inputs, { recursive: true });
  }
  const entry = report(opts, results, {
    command: commandLine(),
    date,
    lp,
    loadBefore,
    loadAfter: loadAvg(),
    seconds: (performance.now() - started) / 1000,
  });
  console.log(entry);
  if (opts.write) console.error(`bench: wrote ${writeReadme(entry)}`);
  if ([...results.values()].some((r) => typeof r === "string" && !r.startsWith(SKIPPED))) Deno.exitCode = 1;
}

if (import.meta.main) await main();
