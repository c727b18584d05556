/**
 * `deno task bench`: denograd on each of its backends against TensorFlow.js (webgpu and wasm
 * backends) and PyTorch CPU (Debian's `/usr/bin/python3` with `torch`, skipped with a note when
 * absent), all measured in the same run on the same machine. The denograd peers:
 *
 * - `denograd-webgpu`: `DENOGRAD_BACKEND=webgpu` (on a machine without a GPU, Mesa's llvmpipe);
 * - `denograd-cpu`: `DENOGRAD_BACKEND=cpu` without `--allow-ffi`, so matrix products are the
 *   WebAssembly SIMD GEMM on every core (`DENOGRAD_CPU_THREADS`, when set, is passed on);
 * - `denograd-cpu-blas`: `DENOGRAD_BACKEND=cpu` with `--allow-ffi`: OpenBLAS `cblas_sgemm`.
 *
 * `--peers=denograd` is an alias for all three.
 *
 * - `matmul`: fp32 matmul GFLOP/s at 256, 512, 1024, 2048 (`--quick`: without 2048, 3 runs per
 *   size), plus the latency of one 1-element readback and 1000 small elementwise ops in one step;
 * - `conv`: conv2d forward + backward, [64,3,32,32] ⋆ [64,3,3,3] and [64,64,16,16] ⋆ [64,64,3,3];
 * - `cnn`: the tutorial's CIFAR CNN training step (batch 64, SGD momentum), and on denograd the
 *   buffers (webgpu) or heap blocks (cpu) created over 100 steady-state steps (`--quick`: 20);
 * - `transformer`: TransformerEncoderLayer d 128, 4 heads, ff 512, batch 16 × 128, forward + backward;
 * - `mlp`: a 64→64→10 MLP step (dispatch-bound); `adam`: an Adam step over 1M parameters;
 * - `memory` (denograd-webgpu and denograd-cpu): GB/s of the copy, elementwise and Adam kernels over
 *   1M float32 against a `Float32Array` copy `dst.set(src)` in the same process (`bench/memory.ts`);
 * - `imdb`: one epoch of `examples/imdb_bert.ts` on a subset (`--imdb-train=N` reviews; default 256
 *   with `--quick`, else 1024) on denograd-cpu at each `--threads` count, denograd-cpu-blas and PyTorch
 *   (`bench/imdb_epoch.ts`).
 *
 * Thread scaling: with `cnn` or `transformer` selected and denograd-cpu among the peers, denograd-cpu
 * runs those again once per count of `--threads=1,N` (default 1 and every core; `--threads=` skips it),
 * each in its own process with `DENOGRAD_CPU_THREADS` set, and the report gives the speedups.
 *
 * (`bench/workloads.ts` defines the workloads.) Every peer starts the workloads from the same weights
 * and data, drawn here once and passed to the peers in a temporary folder under `bench/.tmp/`, and
 * reports correctness values after one step, which the report compares across peers.
 *
 * Each peer runs in its own subprocess (`bench/peers.ts`, `bench/peers_torch.py`) with only the
 * permissions it needs (read of this checkout, env; `--allow-ffi` for denograd-cpu-blas alone), so
 * each gets its own device and nothing it leaves behind (buffers, pipelines, threads) slows the next.
 * The report (`bench/report.ts`) is printed as markdown and prepended to `bench/README.md` (newest
 * first; `--no-write` skips it).
 *
 * Options: `--quick`, `--no-write`, `--sizes=256,512`, `--runs=5`,
 * `--peers=denograd-cpu,denograd-cpu-blas,tfjs-wasm,pytorch-cpu` (or `denograd` for the three denograd peers),
 * `--only=matmul,conv,cnn,transformer,mlp,adam,memory,imdb`, `--threads=1,2`, `--imdb-train=256`,
 * `--timeout=<minutes per peer>` (default 8).
 * @module
 */
import type { Peer, PeerResult } from "./peers.ts";
import { DENOGRAD_PEERS } from "./peers_denograd.ts";
import { makeInputs, WORKLOAD_GROUPS, WORKLOADS, writeInputs } from "./workloads.ts";
import { type CpuInfo, report } from "./report.ts";
import { SCALING_WORKLOADS, type ScalingRun } from "./report_issue13.ts";
import { type ImdbResult, runImdbEpoch } from "./imdb_epoch.ts";

const ALL_PEERS: Peer[] = [...DENOGRAD_PEERS, "tfjs-webgpu", "tfjs-wasm", "pytorch-cpu"];
/** The sections `--only=` names: the workload groups of bench/workloads.ts, and the IMDB epoch. */
const GROUPS = [...WORKLOAD_GROUPS, "imdb"] as const;
type Group = typeof GROUPS[number];
const MARKER = "<!-- bench entries below, newest first -->";
const PYTHON = "/usr/bin/python3";
/** denograd's steady-state check: CNN steps between the two memoryStats() reads (quick mode: fewer). */
const BUFFER_STEPS = 100;
const QUICK_BUFFER_STEPS = 20;
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

interface Options {
  quick: boolean;
  write: boolean;
  sizes: number[];
  runs: number;
  peers: Peer[];
  only: Group[];
  /** `DENOGRAD_CPU_THREADS` of each thread-scaling run (empty: none). */
  threads: number[];
  /** Training reviews of the IMDB epoch. */
  imdbTrain: number;
  /** A peer process that runs longer than this is killed; what it finished is still reported. */
  timeoutMs: number;
  /** Folder of the shared workload inputs (set in main). */
  inputs?: string;
}

function parseArgs(args: string[]): Options {
  const known = new Set(["--quick", "--no-write"]);
  const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  for (const a of args) {
    if (!known.has(a) && !/^--(sizes|runs|peers|only|timeout|threads|imdb-train)=/.test(a)) {
      throw new Error(
        `unknown option ${a}; expected --quick, --no-write, --sizes=…, --runs=…, --peers=…, --only=…, ` +
          "--threads=…, --imdb-train=…, --timeout=…",
      );
    }
  }
  const quick = args.includes("--quick");
  const list = (text: string) => text.split(",").filter(Boolean);
  const sizes = list(value("sizes") ?? (quick ? "256,512,1024" : "256,512,1024,2048")).map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --sizes ${value("sizes")}`);
  const peers: Peer[] = [];
  for (const p of list(value("peers") ?? ALL_PEERS.join(","))) {
    // "denograd" names every denograd backend; the peers run in the order given, each once
    const named = p === "denograd" ? [...DENOGRAD_PEERS] : [p as Peer];
    for (const q of named) {
      if (!ALL_PEERS.includes(q)) throw new Error(`unknown peer ${p}; expected denograd or one of ${ALL_PEERS}`);
      if (!peers.includes(q)) peers.push(q);
    }
  }
  const only = list(value("only") ?? GROUPS.join(",")) as Group[];
  for (const o of only) {
    if (!GROUPS.includes(o)) throw new Error(`unknown --only ${o}; expected ${GROUPS}`);
  }
  const cores = navigator.hardwareConcurrency;
  const threads = [...new Set(list(value("threads") ?? `1,${cores}`).map(Number))];
  if (threads.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`bad --threads ${value("threads")}; expected thread counts like 1,${cores}`);
  }
  const imdbTrain = Number(value("imdb-train") ?? (quick ? 256 : 1024));
  if (!Number.isInteger(imdbTrain) || imdbTrain < 2) throw new Error(`bad --imdb-train ${value("imdb-train")}`);
  const timeoutMs = Number(value("timeout") ?? 8) * 60_000;
  if (!(timeoutMs > 0)) throw new Error(`bad --timeout ${value("timeout")}; expected minutes > 0`);
  const runs = Number(value("runs") ?? (quick ? 3 : 5));
  return { quick, write: !args.includes("--no-write"), sizes, runs, peers, only, threads, imdbTrain, timeoutMs };
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** CPU model and SIMD flags from `lscpu` (/proc is off limits without --allow-all in Deno 2). */
async function cpuInfo(): Promise<CpuInfo> {
  const cores = navigator.hardwareConcurrency;
  try {
    const out = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null", env: { LC_ALL: "C" } }).output();
    const text = new TextDecoder().decode(out.stdout);
    const field = (name: string) => text.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1].trim();
    const flags = new Set((field("Flags") ?? "").split(/\s+/));
    return {
      model: field("Model name") ?? Deno.build.arch,
      cores,
      flags: flags.size > 1 ? { avx2: flags.has("avx2"), avx512f: flags.has("avx512f"), fma: flags.has("fma") } : null,
    };
  } catch {
    return { model: `${Deno.build.arch} (lscpu not available)`, cores, flags: null };
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

/** How one peer process is started: a denograd/tfjs one gets read of this checkout and env, no more. */
function peerCommand(peer: Peer, args: string[]): [string, string[]] {
  if (peer === "pytorch-cpu") return [PYTHON, [`${ROOT}bench/peers_torch.py`, ...args]];
  const ffi = peer === "denograd-cpu-blas" ? ["--allow-ffi"] : [];
  return [Deno.execPath(), [
    "run",
    `--allow-read=${ROOT}`,
    "--allow-env",
    ...ffi,
    `${ROOT}bench/peers.ts`,
    peer,
    ...args,
  ]];
}

/** Environment of a peer process: the backend a denograd peer is named after, and thread counts. */
function peerEnv(peer: Peer, lpThreads: string, cpuThreads?: number): Record<string, string> {
  const env: Record<string, string> = { LP_NUM_THREADS: lpThreads };
  if (peer === "denograd-webgpu") env.DENOGRAD_BACKEND = "webgpu";
  if (peer === "denograd-cpu" || peer === "denograd-cpu-blas") env.DENOGRAD_BACKEND = "cpu";
  if (cpuThreads !== undefined) env.DENOGRAD_CPU_THREADS = String(cpuThreads);
  return env;
}

/** What one peer process runs: everything `opts` selects, or (thread scaling) only some workloads. */
interface PeerRun {
  keys: string[];
  matmul: boolean;
  memory: boolean;
  bufferSteps: number;
  cpuThreads?: number;
  label: string;
}

function fullRun(peer: Peer, opts: Options): PeerRun {
  return {
    keys: WORKLOADS.filter((w) => opts.only.includes(w.group)).map((w) => w.key),
    matmul: opts.only.includes("matmul"),
    memory: opts.only.includes("memory") && (peer === "denograd-webgpu" || peer === "denograd-cpu"),
    bufferSteps: opts.quick ? QUICK_BUFFER_STEPS : BUFFER_STEPS,
    label: peer,
  };
}

async function runPeer(peer: Peer, opts: Options, lpThreads: string, run: PeerRun): Promise<PeerResult | string> {
  const args = [
    `--sizes=${run.matmul ? opts.sizes.join(",") : ""}`,
    `--runs=${opts.runs}`,
    ...(run.keys.length ? [`--workloads=${run.keys.join(",")}`, `--inputs=${opts.inputs}`] : []),
    ...(opts.quick ? ["--quick"] : []),
    `--buffer-steps=${run.bufferSteps}`,
    ...(run.memory ? ["--memory"] : []),
  ];
  const [cmd, cmdArgs] = peerCommand(peer, args);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args: cmdArgs,
      env: peerEnv(peer, lpThreads, run.cpuThreads),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (peer === "pytorch-cpu" && e instanceof Deno.errors.NotFound) return `${SKIPPED}${PYTHON} not found`;
    throw e;
  }
  let killed = false;
  const timer = setTimeout(() => {
    console.error(`  [${run.label}] still running after ${opts.timeoutMs / 1000} s; killing it`);
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

/** Thread scaling: denograd-cpu on the scaling workloads once per `--threads` count. */
async function runScaling(opts: Options, lp: string): Promise<ScalingRun[]> {
  const keys = SCALING_WORKLOADS.filter((k) => opts.only.includes(k));
  if (!keys.length || !opts.peers.includes("denograd-cpu")) return [];
  const out: ScalingRun[] = [];
  for (const threads of opts.threads) {
    const label = `denograd-cpu, DENOGRAD_CPU_THREADS=${threads}`;
    console.error(`bench: ${label} (thread scaling: ${keys.join(", ")}) …`);
    const result = await runPeer("denograd-cpu", opts, lp, {
      keys: [...keys],
      matmul: false,
      memory: false,
      bufferSteps: 0,
      cpuThreads: threads,
      label,
    });
    out.push({ threads, result });
  }
  return out;
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
      "`deno task bench` (add `--quick` to skip n = 2048 and use 3 runs per size) measures denograd on each",
      "backend (denograd-webgpu, denograd-cpu: WebAssembly SIMD on every core, denograd-cpu-blas: OpenBLAS",
      "through --allow-ffi) against TensorFlow.js 4.22 with its webgpu and wasm (SIMD) backends and PyTorch",
      "CPU, each in its own subprocess (`bench/peers.ts`), and prepends its report here.",
      "`deno bench --allow-read --allow-env bench/` runs the small denograd-only matmul benchmarks in",
      "`bench/matmul_bench.ts`.",
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
  let scaling: ScalingRun[] = [];
  let imdb: ImdbResult | string | undefined;
  const tmp = `${ROOT}bench/.tmp/`;
  if (WORKLOADS.some((w) => opts.only.includes(w.group))) {
    opts.inputs = `${tmp}${Deno.pid}`;
    Deno.mkdirSync(opts.inputs, { recursive: true });
    writeInputs(opts.inputs, makeInputs(0));
  }
  try {
    for (const peer of opts.peers) {
      console.error(`bench: ${peer} …`);
      const t0 = performance.now();
      const r = await runPeer(peer, opts, lp, fullRun(peer, opts));
      results.set(peer, r);
      const status = typeof r === "string" ? (r.startsWith(SKIPPED) ? r : `FAILED: ${r}`) : "done";
      console.error(`bench: ${peer} ${status} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    scaling = await runScaling(opts, lp);
  } finally {
    if (opts.inputs) Deno.removeSync(opts.inputs, { recursive: true });
  }
  if (opts.only.includes("imdb")) {
    console.error(`bench: IMDB epoch on ${opts.imdbTrain} reviews …`);
    try {
      imdb = await runImdbEpoch({
        train: opts.imdbTrain,
        test: Math.max(2, Math.round(opts.imdbTrain / 4)),
        threads: opts.threads.length ? opts.threads : [navigator.hardwareConcurrency],
        tmp: `${tmp}imdb-${Deno.pid}`,
        timeoutMs: opts.timeoutMs,
      });
    } catch (e) {
      imdb = e instanceof Error ? e.message.split("\n")[0] : String(e);
    }
  }
  const notes: string[] = [];
  for (const p of opts.peers) {
    const r = results.get(p);
    if (typeof r === "string") notes.push(`- ${p}: ${r.startsWith(SKIPPED) ? r : `**failed** (${r})`}`);
    else if (r) { for (const n of r.notes) notes.push(`- ${p}: ${n}`); }
  }
  for (const s of scaling) {
    if (typeof s.result === "string") notes.push(`- denograd-cpu ${s.threads} threads: **failed** (${s.result})`);
  }
  const ok = (p: Peer) => {
    const r = results.get(p);
    return typeof r === "object" ? r : undefined;
  };
  const entry = report({
    command: commandLine(),
    date,
    lp,
    loadBefore,
    loadAfter: loadAvg(),
    seconds: (performance.now() - started) / 1000,
    cpu: await cpuInfo(),
    sizes: opts.sizes,
    runs: opts.runs,
    quick: opts.quick,
    peers: opts.peers,
    matmul: opts.only.includes("matmul"),
    scaling,
    imdb,
    notes,
  }, ok);
  console.log(entry);
  if (opts.write) console.error(`bench: wrote ${writeReadme(entry)}`);
  const failed = [...results.values(), ...scaling.map((s) => s.result)].some(
    (r) => typeof r === "string" && !r.startsWith(SKIPPED),
  );
  if (failed || typeof imdb === "string" || (typeof imdb === "object" && imdb.runs.some((r) => r.error))) {
    Deno.exitCode = 1;
  }
}

if (import.meta.main) await main();
