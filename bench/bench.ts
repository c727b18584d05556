/**
 * `deno task bench`: denograd (webgpu) against TensorFlow.js (webgpu and wasm backends), all
 * measured in the same run on the same machine.
 *
 * - fp32 matmul GFLOP/s at 256, 512, 1024, 2048 (`--quick`: without 2048, 3 runs per size);
 * - the latency of one 1-element readback after a tiny op (median of 50);
 * - 1000 small elementwise ops recorded in one step, then one sync.
 *
 * Each peer runs in its own subprocess (`bench/peers.ts`), so each gets its own WebGPU device
 * and nothing it leaves behind (buffers, pipelines, threads) slows the next one. The report is
 * printed as markdown and prepended to `bench/README.md` (newest first; `--no-write` skips it).
 *
 * Options: `--quick`, `--no-write`, `--sizes=256,512`, `--runs=5`, `--peers=denograd,tfjs-wasm`.
 * @module
 */
import os from "node:os";
import type { Peer, PeerResult } from "./peers.ts";

const ALL_PEERS: Peer[] = ["denograd", "tfjs-webgpu", "tfjs-wasm"];
const MARKER = "<!-- bench entries below, newest first -->";
/** A peer process that runs longer than this is killed and reported as failed. */
const PEER_TIMEOUT_MS = 6 * 60_000;

interface Options {
  quick: boolean;
  write: boolean;
  sizes: number[];
  runs: number;
  peers: Peer[];
}

function parseArgs(args: string[]): Options {
  const known = new Set(["--quick", "--no-write"]);
  const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  for (const a of args) {
    if (!known.has(a) && !/^--(sizes|runs|peers)=/.test(a)) {
      throw new Error(`unknown option ${a}; expected --quick, --no-write, --sizes=…, --runs=…, --peers=…`);
    }
  }
  const quick = args.includes("--quick");
  const sizes = (value("sizes") ?? (quick ? "256,512,1024" : "256,512,1024,2048")).split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --sizes ${value("sizes")}`);
  const peers = (value("peers") ?? ALL_PEERS.join(",")).split(",") as Peer[];
  for (const p of peers) if (!ALL_PEERS.includes(p)) throw new Error(`unknown peer ${p}; expected ${ALL_PEERS}`);
  return { quick, write: !args.includes("--no-write"), sizes, runs: Number(value("runs") ?? (quick ? 3 : 5)), peers };
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

async function runPeer(peer: Peer, opts: Options, lpThreads: string): Promise<PeerResult | string> {
  const script = new URL("./peers.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      script,
      peer,
      `--sizes=${opts.sizes.join(",")}`,
      `--runs=${opts.runs}`,
    ],
    env: { LP_NUM_THREADS: lpThreads, ...(peer === "denograd" ? { DENOGRAD_BACKEND: "webgpu" } : {}) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    console.error(`  [${peer}] still running after ${PEER_TIMEOUT_MS / 1000} s; killing it`);
    child.kill("SIGKILL");
  }, PEER_TIMEOUT_MS);
  const [stdout] = await Promise.all([
    new Response(child.stdout).text(),
    relayStderr(child.stderr),
  ]);
  const status = await child.status;
  clearTimeout(timer);
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) {
    return status.success ? "no result printed" : `exit ${status.code}${status.signal ? ` (${status.signal})` : ""}`;
  }
  return JSON.parse(line.slice("BENCH_RESULT ".length)) as PeerResult;
}

const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(2));
const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(1));

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
  const out: string[] = [];
  out.push(`## \`${info.command}\` — ${info.date}`, "");
  out.push("| machine | |", "|---|---|");
  out.push(`| CPU | ${cpuModel()} |`);
  out.push(`| adapter (denograd) | ${dg?.description ?? "–"} |`);
  out.push(`| LP_NUM_THREADS | ${info.lp} |`);
  out.push(`| Deno | ${Deno.version.deno} (V8 ${Deno.version.v8}) |`);
  out.push(`| TensorFlow.js | ${tw?.version ?? tm?.version ?? "–"}${tm ? `; ${tm.description}` : ""} |`);
  out.push(`| load average (1/5/15 min) before → after | ${info.loadBefore} → ${info.loadAfter} |`);
  out.push(`| bench wall time | ${info.seconds.toFixed(0)} s |`);
  out.push("");

  out.push(
    "| fp32 matmul n×n·n×n | denograd GFLOP/s | tfjs-webgpu GFLOP/s | tfjs-wasm GFLOP/s | denograd / tfjs-webgpu | denograd / tfjs-wasm |",
    "|---:|---:|---:|---:|---:|---:|",
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
      `| ${n} | ${cell(dg, n)} | ${cell(tw, n)} | ${cell(tm, n)} | ${ratio(g(dg, n), g(tw, n))} | ${
        ratio(g(dg, n), g(tm, n))
      } |`,
    );
  }
  out.push("");
  const runsNote = opts.sizes.some((n) => n >= 2048) ? ` (2048: ${Math.min(opts.runs, 3)} runs)` : "";
  out.push(
    `Median of ${opts.runs} timed runs per size${runsNote}, each run a batch of matmuls sized to take ~1.5 s ` +
      "and ending in a sync/readback, after a warm-up; (min–max) of the runs in small print.",
  );
  const target = 1.5;
  const d1024 = g(dg, 1024);
  const t1024 = g(tw, 1024);
  if (d1024 !== undefined && t1024 !== undefined) {
    const r = d1024 / t1024;
    out.push(
      `Target denograd ≥ ${target}× tfjs-webgpu at 1024: **${r >= target ? "met" : "not met"}** (${f2(r)}×).`,
    );
  }
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

  const notes: string[] = [];
  for (const p of opts.peers) {
    const r = results.get(p);
    if (typeof r === "string") notes.push(`- ${p}: **failed** (${r})`);
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
    `bench: sizes ${opts.sizes.join(", ")}, ${opts.runs} runs, peers ${opts.peers.join(", ")}, LP_NUM_THREADS=${lp}`,
  );
  const results = new Map<Peer, PeerResult | string>();
  for (const peer of opts.peers) {
    console.error(`bench: ${peer} …`);
    const t0 = performance.now();
    const r = await runPeer(peer, opts, lp);
    results.set(peer, r);
    console.error(
      `bench: ${peer} ${typeof r === "string" ? `FAILED: ${r}` : "done"} in ${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s`,
    );
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
  if ([...results.values()].some((r) => typeof r === "string")) Deno.exitCode = 1;
}

if (import.meta.main) await main();
