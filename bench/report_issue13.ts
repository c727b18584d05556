/**
 * The issue 13 part of the `deno task bench` report (the fast cpu backend): the ratios the issue
 * asks for, each from this run, and the thread-scaling table of denograd-cpu (`--threads=1,N`).
 *
 * Times are compared as `a ÷ b` of ms per step (< 1: a is faster); matmul as GFLOP/s (> 1: a is
 * faster). Adam is also compared with a `Float32Array` copy that moves the same bytes, timed in the
 * same denograd-cpu process (bench/memory.ts), the issue's "within 3× of its memory traffic".
 * @module
 */
import type { Peer, PeerResult } from "./peers.ts";
import type { ImdbResult } from "./imdb_epoch.ts";
import { WORKLOADS } from "./workloads.ts";

/** One denograd-cpu run of the scaling section, with `DENOGRAD_CPU_THREADS=threads`. */
export interface ScalingRun {
  threads: number;
  /** The peer's result, or why it has none. */
  result: PeerResult | string;
}

/** The workloads the scaling section runs. */
export const SCALING_WORKLOADS = ["transformer", "cnn"] as const;

type Ok = (p: Peer) => PeerResult | undefined;

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

function stepMs(r: PeerResult | undefined, key: string): number | undefined {
  return r?.workloads?.find((w) => w.key === key)?.msPerStep;
}

/** "a 12.3 ms vs b 15.0 ms: a ÷ b = 0.82× (a 1.22× faster)", or null when either is missing. */
function versus(a: Peer, aMs: number | undefined, b: Peer, bMs: number | undefined): string | null {
  if (aMs === undefined || bMs === undefined) return null;
  const r = aMs / bMs;
  const who = r <= 1 ? `${a} ${(1 / r).toFixed(2)}× faster` : `${b} ${r.toFixed(2)}× faster`;
  return `${a} ${fmt(aMs)} ms vs ${b} ${fmt(bMs)} ms: ${a} ÷ ${b} = ${r.toFixed(2)}× (${who})`;
}

function stepLines(ok: Ok, key: string, label: string, pairs: [Peer, Peer][]): string[] {
  const parts = pairs.map(([a, b]) => versus(a, stepMs(ok(a), key), b, stepMs(ok(b), key))).filter((x) => x !== null);
  return parts.length ? [`${label}: ${parts.join("; ")}.`] : [];
}

function matmulLine(ok: Ok, a: Peer): string[] {
  const g = (p: Peer) => ok(p)?.matmul.find((m) => m.n === 1024)?.gflops;
  const mine = g(a);
  if (mine === undefined) return [];
  const vs = (["pytorch-cpu", "tfjs-wasm"] as Peer[])
    .filter((p) => g(p) !== undefined)
    .map((p) => `${(mine / g(p)!).toFixed(2)}× ${p} (${g(p)!.toFixed(1)})`);
  return [`matmul 1024, ${a}: ${mine.toFixed(1)} GFLOP/s${vs.length ? ` = ${vs.join(", ")}` : ""}.`];
}

function cnnTarget(ok: Ok): string[] {
  const blas = stepMs(ok("denograd-cpu-blas"), "cnn");
  const pt = stepMs(ok("pytorch-cpu"), "cnn");
  if (blas === undefined || pt === undefined) return [];
  const r = blas / pt;
  return [
    `Target CNN step, denograd-cpu-blas within 2.5× of PyTorch: **${r <= 2.5 ? "met" : "not met"}** ` +
    `(${fmt(blas)} ms against ${fmt(pt)} ms, ${r.toFixed(2)}× PyTorch's time).`,
  ];
}

/**
 * Issue 13: Adam within 3× of its memory-traffic time, on denograd-cpu: the bench workload's step against a
 * `Float32Array` copy that reads and writes as many bytes (timed in that process after the Adam batches), and,
 * with `--only=memory`, bench/memory.ts's `opt.step()` per call against its own interleaved copy.
 */
function adamTrafficTarget(ok: Ok): string[] {
  const r = ok("denograd-cpu");
  const w = r?.workloads?.find((x) => x.key === "adam");
  const out: string[] = [];
  const spp = WORKLOADS.find((x) => x.key === "adam")?.stepsPerSync;
  const copyMs = w?.extra?.trafficCopyMs, copyBytes = w?.extra?.trafficCopyBytes;
  if (w && typeof copyMs === "number" && typeof copyBytes === "number") {
    const k = w.msPerStep / copyMs;
    out.push(
      `Target Adam step (denograd-cpu, 4 × 250k) within 3× of its memory-traffic time: **${
        k <= 3 ? "met" : "not met"
      }** (${fmt(w.msPerStep)} ms per step, ${spp} steps per sync, against ${fmt(copyMs)} ms for one ` +
        `\`dst.set(src)\` of ${w.extra!.trafficCopyElements} float32, which reads and writes ${
          (copyBytes / 1e6).toFixed(1)
        } MB, the bytes an Adam step moves: θ, g, m, v read and θ, m, v written, 28 B per parameter: ${
          k.toFixed(2)
        }×).`,
    );
  }
  const m = r?.memory;
  const kernel = m?.rows.find((x) => x.name.startsWith("Adam step, 4"));
  if (m && kernel) {
    const copy = m.trafficCopy;
    out.push(
      `… bench/memory.ts in the same process: \`opt.step()\` ${fmt(kernel.wallMs)} ms per call against ${
        fmt(copy.ms)
      } ms for the ${(copy.bytes / 1e6).toFixed(1)} MB copy (2^20 parameters), ${
        (kernel.wallMs / copy.ms).toFixed(2)
      }×.`,
    );
  }
  return out;
}

function scalingLines(runs: ScalingRun[]): string[] {
  const ok = runs.filter((r): r is { threads: number; result: PeerResult } => typeof r.result === "object");
  if (ok.length < 2) return [];
  const one = ok.reduce((a, b) => (b.threads < a.threads ? b : a));
  const all = ok.reduce((a, b) => (b.threads > a.threads ? b : a));
  const parts = SCALING_WORKLOADS.map((key) => {
    const a = stepMs(one.result, key), b = stepMs(all.result, key);
    return a !== undefined && b !== undefined ? `${key} ${(a / b).toFixed(2)}×` : null;
  }).filter((x) => x !== null);
  return parts.length
    ? [`Thread scaling of denograd-cpu, ${all.threads} threads over ${one.threads}: ${parts.join(", ")}.`]
    : [];
}

function imdbLines(imdb: ImdbResult | undefined): string[] {
  const pt = imdb?.runs.find((r) => r.name.startsWith("pytorch-cpu") && r.trainS !== undefined);
  if (!imdb || !pt?.trainS || !pt.stepS) return [];
  const parts = imdb.runs.filter((r) => r !== pt && r.trainS !== undefined && r.stepS !== undefined).map((r) =>
    `${r.name} ${r.trainS!.toFixed(1)} s = ${(r.trainS! / pt.trainS!).toFixed(2)}× (steps after the first: ${
      (r.stepS! / pt.stepS!).toFixed(2)
    }×)`
  );
  return parts.length
    ? [
      `IMDB BERT epoch on ${imdb.train} reviews, time ÷ ${pt.name}'s (${pt.trainS.toFixed(1)} s, ${
        pt.stepS.toFixed(2)
      } s per later step): ${parts.join("; ")}.`,
    ]
    : [];
}

/** The issue 13 lines: the asked-for ratios and the two targets, from what ran. */
export function issue13Lines(ok: Ok, scaling: ScalingRun[], imdb?: ImdbResult): string[] {
  return [
    ...matmulLine(ok, "denograd-cpu"),
    ...matmulLine(ok, "denograd-cpu-blas"),
    ...stepLines(ok, "cnn", "CNN step", [["denograd-cpu", "tfjs-wasm"], ["denograd-cpu-blas", "pytorch-cpu"]]),
    ...cnnTarget(ok),
    ...stepLines(ok, "mlp", "MLP step", [["denograd-cpu", "tfjs-wasm"]]),
    ...stepLines(ok, "adam", "Adam step over 1M parameters", [["denograd-cpu", "tfjs-wasm"]]),
    ...adamTrafficTarget(ok),
    ...stepLines(ok, "transformer", "Transformer layer step", [
      ["denograd-cpu", "pytorch-cpu"],
      ["denograd-cpu", "tfjs-wasm"],
      ["denograd-cpu-blas", "pytorch-cpu"],
      ["denograd-cpu-blas", "tfjs-wasm"],
    ]),
    ...scalingLines(scaling),
    ...imdbLines(imdb),
  ];
}

/** The thread-scaling table: ms per step of each workload at each thread count, and the speedup over the fewest. */
export function scalingTable(runs: ScalingRun[], quick: boolean): string[] {
  const label = (key: string) => WORKLOADS.find((w) => w.key === key)?.label.replace(/, ms$/, "") ?? key;
  const base = runs.filter((r) => typeof r.result === "object").reduce<ScalingRun | undefined>(
    (a, b) => (a === undefined || b.threads < a.threads ? b : a),
    undefined,
  );
  const cell = (r: ScalingRun, key: string) => {
    if (typeof r.result === "string") return `— (${r.result.slice(0, 80)})`;
    const w = r.result.workloads?.find((x) => x.key === key);
    if (!w) return "—";
    const b = base && typeof base.result === "object" ? stepMs(base.result, key) : undefined;
    const speed = b !== undefined && r !== base ? ` (${(b / w.msPerStep).toFixed(2)}×)` : "";
    return `${fmt(w.msPerStep)} <sub>(${fmt(Math.min(...w.all))}–${fmt(Math.max(...w.all))})</sub>${speed}`;
  };
  return [
    "### Thread scaling (denograd-cpu)",
    "",
    `Each column is its own denograd-cpu process started with \`DENOGRAD_CPU_THREADS\` set (no --allow-ffi), ` +
    `run one after the other; ms per step as in the workload tables (${quick ? "quick" : "full"} schedule), ` +
    `in brackets the speedup over ${
      base ? `${base.threads} thread${base.threads > 1 ? "s" : ""}` : "the fewest threads"
    }.`,
    "",
    `| ms / step | ${runs.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""}`).join(" | ")} |`,
    `|---|${runs.map(() => "---:|").join("")}`,
    ...SCALING_WORKLOADS.filter((key) => runs.some((r) => typeof r.result === "object" && stepMs(r.result, key)))
      .map((key) => `| ${label(key)} | ${runs.map((r) => cell(r, key)).join(" | ")} |`),
    "",
  ];
}
