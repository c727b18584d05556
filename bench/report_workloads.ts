/**
 * The training-workload part of the `deno task bench` report: a summary (ms per step, a column per
 * peer), then one markdown table per workload (ms per step on every peer, how much faster or slower
 * than denograd-cpu each is, each peer's correctness values and whether they agree), then the issue 6
 * targets (denograd-webgpu) measured in the same run.
 * @module
 */
import type { Peer, PeerResult } from "./peers.ts";
import { DENOGRAD_PEERS } from "./peers_denograd.ts";
import { type WorkloadResult, WORKLOADS, type WorkloadSpec } from "./workloads.ts";

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

/** "2.10 (denograd-cpu 2.1× faster)" / "0.29 (tfjs-wasm 3.4× faster)" from the base's and a peer's ms. */
export function faster(baseMs: number | undefined, peerMs: number | undefined, peer: string, base: string): string {
  if (baseMs === undefined || peerMs === undefined) return "–";
  const r = peerMs / baseMs;
  return r >= 1
    ? `${r.toFixed(2)} (${base} ${r.toFixed(1)}× faster)`
    : `${r.toFixed(2)} (${peer} ${(1 / r).toFixed(1)}× faster)`;
}

/** The peer the ratio column divides by: denograd-cpu (the default device without a GPU) when it ran. */
const BASE_ORDER: Peer[] = ["denograd-cpu", "denograd-cpu-blas", "denograd-webgpu"];

function summary(peers: Peer[], specs: WorkloadSpec[], get: (p: Peer, key: string) => WorkloadResult | undefined) {
  const shown = peers.filter((p) => specs.some((s) => get(p, s.key)));
  return [
    `| ms / step | ${shown.join(" | ")} |`,
    `|---|${shown.map(() => "---:|").join("")}`,
    ...specs.map((s) =>
      `| ${s.label.replace(/, ms$/, "")} | ${
        shown.map((p) => (get(p, s.key) ? fmt(get(p, s.key)!.msPerStep) : "–")).join(" | ")
      } |`
    ),
    "",
  ];
}

/** Whether `values` agree with `ref` within `tol` relative (of max(1, |ref|)). */
function agree(values: number[], ref: number[], tol: number): { ok: boolean; worst: number } {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(values[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
    worst = Math.max(worst, Number.isFinite(d) ? d : Infinity);
  }
  return { ok: worst <= tol, worst };
}

/** The per-workload tables for the peers that ran, as markdown lines. */
export function workloadTables(peers: Peer[], ok: (p: Peer) => PeerResult | undefined, quick: boolean): string[] {
  const out: string[] = [];
  const get = (p: Peer, key: string) => ok(p)?.workloads?.find((w) => w.key === key);
  const specs = WORKLOADS.filter((s) => peers.some((p) => get(p, s.key)));
  if (!specs.length) return out;
  out.push("### Training workloads", "");
  out.push(
    "ms per step: median over timed batches of N steps (after 2 warm-up steps), each batch ending in one readback " +
      "of the last loss (Adam: a sync), as a training loop would; (min–max) of the batches in small print. " +
      "`peer ÷ base` > 1 means the base (denograd-cpu when it ran) is faster. Every peer starts from the same " +
      "weights and data (drawn once by bench.ts, passed in a temp file); the check values after one step must " +
      "agree with the reference (PyTorch when present, else the first denograd peer).",
    "",
    ...summary(peers, specs, get),
  );
  for (const spec of specs) {
    const refPeer = (["pytorch-cpu", ...DENOGRAD_PEERS] as Peer[]).find((p) => get(p, spec.key));
    const ref = refPeer && get(refPeer, spec.key);
    const base = BASE_ORDER.find((p) => get(p, spec.key));
    const baseMs = base && get(base, spec.key)?.msPerStep;
    const batches = spec.batches[quick ? 0 : 1];
    out.push(`#### ${spec.label}`, "");
    out.push(`N = ${spec.stepsPerSync} steps per readback, ${batches} timed batches.`, "");
    out.push(
      `| peer | ms / step | peer ÷ ${base ?? "denograd"} | ${
        spec.checks.join(" | ")
      } | agrees with ${refPeer} (≤ ${spec.tol}) |`,
      `|---|---:|---:|${spec.checks.map(() => "---:|").join("")}---|`,
    );
    for (const p of peers) {
      const r = get(p, spec.key);
      if (!r) {
        const why = ok(p)?.notes.find((n) => n.startsWith(`${spec.key}:`));
        out.push(
          `| ${p} | — ${why ? `(${why.slice(spec.key.length + 2)})` : "(not run)"} | | ${
            spec.checks.map(() => "").join(" | ")
          } | |`,
        );
        continue;
      }
      const lo = Math.min(...r.all);
      const hi = Math.max(...r.all);
      const a = ref ? agreement(r, ref, spec) : "–";
      out.push(
        `| ${p} | ${fmt(r.msPerStep)} <sub>(${fmt(lo)}–${fmt(hi)})</sub> | ${
          p === base ? "1" : faster(baseMs, r.msPerStep, p, base ?? "")
        } | ${r.check.map((c) => c.toPrecision(7)).join(" | ")} | ${p === refPeer ? "(reference)" : a} |`,
      );
    }
    out.push("");
  }
  return out;
}

function agreement(r: WorkloadResult, ref: WorkloadResult, spec: WorkloadSpec): string {
  const { ok, worst } = agree(r.check, ref.check, spec.tol);
  return `${ok ? "yes" : "**NO**"} (${worst.toExponential(1)})`;
}

/** The issue 6 targets that the workloads measure, as markdown lines. */
export function workloadTargets(ok: (p: Peer) => PeerResult | undefined): string[] {
  const out: string[] = [];
  const cnn = (p: Peer) => ok(p)?.workloads?.find((w) => w.key === "cnn");
  const dg = cnn("denograd-webgpu");
  const tw = cnn("tfjs-webgpu");
  const pt = cnn("pytorch-cpu");
  if (dg && tw) {
    const r = tw.msPerStep / dg.msPerStep;
    out.push(
      `Target CIFAR CNN step, denograd-webgpu ≥ 3× faster than tfjs-webgpu: **${r >= 3 ? "met" : "not met"}** (${
        r.toFixed(2)
      }×).`,
    );
  }
  if (dg && pt) {
    const r = dg.msPerStep / pt.msPerStep;
    out.push(
      `Target CIFAR CNN step, denograd-webgpu within 8× of PyTorch CPU: **${r <= 8 ? "met" : "not met"}** (it takes ${
        r.toFixed(2)
      }× PyTorch's time).`,
    );
  }
  for (const p of DENOGRAD_PEERS) {
    const e = cnn(p)?.extra;
    if (!e || typeof e.buffersBefore !== "number") continue;
    const grew = (e.buffersAfter as number) - e.buffersBefore;
    const what = p === "denograd-webgpu" ? "GPU buffers" : "heap blocks (pool misses)";
    out.push(
      `Target steady-state CNN step allocates no new ${what}, ${p}: **${grew === 0 ? "met" : "not met"}** ` +
        `(memoryStats().buffersCreated ${e.buffersBefore} → ${e.buffersAfter} over ${e.bufferSteps} steps after 3 ` +
        "warm-up steps, one readback per 10 steps).",
    );
  }
  return out;
}
