/**
 * Memory-bound kernels against the machine's memory speed (issue 12): the GB/s of denograd's copy,
 * elementwise and fused Adam kernels over 1M float32 elements, next to a plain `Float32Array`
 * copy (`dst.set(src)`) of the same size measured in the same process, alternating with them.
 *
 * GB/s counts the bytes each kernel must move: a copy reads and writes 4 B per element (8 B), a
 * fill writes 4 B, a binary op reads two and writes one (12 B), an Adam step reads θ, g, m, v and
 * writes θ, m, v (28 B per parameter). Each kernel is timed two ways: GPU time per call from timestamp queries
 * (`profileKernels`, the kernels alone; webgpu only), and wall time per call of a batch of calls ending in one
 * `synchronize()` (on webgpu that adds Deno's ~11 ms wait floor, shared by the batch, and the JavaScript
 * that records the calls; on cpu every kernel has finished when it returns, so wall time is all there is).
 * "÷ memory time" is a time over the time the host copy's bandwidth needs for the same bytes (1 = as fast as
 * memory allows; the issue's target for Adam is ≤ 3). Adam is also compared with one `Float32Array` copy
 * that moves its 28 MB itself (3.5M float32 read and written), which needs no bandwidth arithmetic.
 *
 * `deno task bench` runs this in the denograd-webgpu and denograd-cpu peers (`--only=memory`); on its own:
 * `DENOGRAD_BACKEND=cpu deno run --allow-read --allow-env bench/memory.ts [--size=1048576] [--batches=7]`.
 * @module
 */
import type * as DG from "../mod.ts";
import { median } from "./workloads.ts";

/** Elements of every measured kernel: 1M float32, as the Adam workload's parameter count. */
export const MEMORY_SIZE = 1 << 20;

/** One measured kernel. */
export interface MemoryRow {
  /** What ran, e.g. `elementwise add`. */
  name: string;
  /** Bytes the kernel must move per element. */
  bytesPerElement: number;
  /** Median GPU ms per call (timestamp queries) over the timed batches; null for a buffer copy (no kernel). */
  gpuMs: number | null;
  /** Bandwidth: bytesPerElement × size over the GPU time, or over the wall time without a kernel. */
  gbs: number;
  /** GPU ms per call of every timed batch. */
  gpuAll: number[];
  /**
   * Median wall ms per call: (time of 2·CALLS calls + sync − time of CALLS calls + sync) / CALLS where a kernel
   * profiler exists (webgpu, whose sync has a fixed wait), else (time of CALLS calls) / CALLS (cpu).
   */
  wallMs: number;
  /** Wall ms per call of every timed batch. */
  wallAll: number[];
}

/** What {@link measureMemory} reports. */
export interface MemoryResult {
  size: number;
  /** `dst.set(src)` of `size` float32: median GB/s (8 B per element), the bandwidth the rows are measured against. */
  hostCopyGBs: number;
  /** GB/s of every host-copy batch. */
  hostCopyAll: number[];
  /**
   * Adam's traffic as one copy: `dst.set(src)` of {@link ADAM_BYTES_PER_PARAM}/8 × `size` float32, which reads
   * and writes as many bytes as an Adam step over `size` parameters moves (28 MB for 1M), timed between the
   * kernel batches; `ms` is the median ms per copy.
   */
  trafficCopy: { elements: number; bytes: number; ms: number; all: number[] };
  /** Whether the backend has a kernel profiler (webgpu); without one (cpu) every `gpuMs` is null. */
  profiled: boolean;
  rows: MemoryRow[];
}

/** Bytes an Adam step moves per parameter: reads θ, g, m, v and writes θ, m, v, 4 B each. */
export const ADAM_BYTES_PER_PARAM = 28;

/** A timed kernel: `run(k)` queues k calls; `sync` waits for them. */
interface Case {
  name: string;
  bytesPerElement: number;
  run(k: number): void;
  sync(): Promise<void>;
  dispose(): void;
}

/** Calls per timed batch: enough that one sync's fixed cost (~12 ms on llvmpipe) is small. */
const CALLS = 20;

function hostCopy(size: number): { run(k: number): number } {
  const src = new Float32Array(size).map((_, i) => i);
  const dst = new Float32Array(size);
  return {
    /** ms per copy, over k copies. */
    run(k: number): number {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) dst.set(src);
      return (performance.now() - t0) / k;
    },
  };
}

function cases(dg: typeof DG, size: number): Case[] {
  const rand = () => dg.rand([size]);
  const a = rand(), b = rand();
  const backend = a.backend;
  const view = { shape: [size], strides: [1], offset: 0 };
  const side = Math.floor(Math.sqrt(size));
  const square = { shape: [side, side], strides: [side, 1], offset: 0 };
  const transposed = { shape: [side, side], strides: [1, side], offset: 0 };
  const dst = dg.zeros([size]);
  // the backend's primitives directly: tensor ops may be deferred and fused (or dropped) by the lazy engine
  const sa = () => a.storage("bench"), sb = () => b.storage("bench");
  const sync = () => dg.synchronize();
  const adam = (tensors: number) => {
    const ps = Array.from({ length: tensors }, () => {
      const p = dg.rand([size / tensors]).requiresGrad_();
      p.grad = dg.rand([size / tensors]);
      return p;
    });
    const opt = new dg.optim.Adam(ps);
    return { ps, opt };
  };
  const adam1 = adam(1);
  const adam4 = adam(4);
  return [
    {
      name: "copyInto, contiguous (a buffer copy)",
      bytesPerElement: 8,
      run: (k) => {
        for (let i = 0; i < k; i++) backend.copyInto(dst.storage("bench"), view, sa(), view);
      },
      sync,
      dispose: () => {},
    },
    {
      name: "copyInto, transposed 1024² (strided copy kernel)",
      bytesPerElement: 8,
      run: (k) => {
        for (let i = 0; i < k; i++) backend.copyInto(dst.storage("bench"), square, sa(), transposed);
      },
      sync,
      dispose: () => dst.dispose(),
    },
    {
      name: "fill (zeros)",
      bytesPerElement: 4,
      run: (k) => {
        for (let i = 0; i < k; i++) backend.free(backend.zeros(size, "float32"));
      },
      sync,
      dispose: () => {},
    },
    {
      name: "elementwise copy (what clone() runs)",
      bytesPerElement: 8,
      run: (k) => {
        for (let i = 0; i < k; i++) backend.free(backend.elementwise("copy", [{ storage: sa(), view }], "float32"));
      },
      sync,
      dispose: () => {},
    },
    {
      name: "elementwise add",
      bytesPerElement: 12,
      run: (k) => {
        const operands = [{ storage: sa(), view }, { storage: sb(), view }];
        for (let i = 0; i < k; i++) backend.free(backend.elementwise("add", operands, "float32"));
      },
      sync,
      dispose: () => [a, b].forEach((t) => t.dispose()),
    },
    {
      name: "Adam step, one 1M tensor",
      bytesPerElement: 28,
      run: (k) => {
        for (let i = 0; i < k; i++) adam1.opt.step();
      },
      sync,
      dispose: () => adam1.ps.forEach((p) => (p.grad?.dispose(), p.dispose())),
    },
    {
      name: "Adam step, 4 × 250k (the bench workload)",
      bytesPerElement: 28,
      run: (k) => {
        for (let i = 0; i < k; i++) adam4.opt.step();
      },
      sync,
      dispose: () => adam4.ps.forEach((p) => (p.grad?.dispose(), p.dispose())),
    },
  ];
}

/**
 * The host time of Adam's memory traffic over `params` parameters: the median ms of one `dst.set(src)` of
 * {@link ADAM_BYTES_PER_PARAM}/8 × `params` float32 (as many bytes read and written as the step moves), over
 * `batches` batches of 10 copies after a warm-up. The bench's Adam workload is compared with it.
 */
export function adamTrafficCopy(params: number, batches = 5): { elements: number; bytes: number; ms: number } {
  const elements = (ADAM_BYTES_PER_PARAM / 8) * params;
  const copy = hostCopy(elements);
  copy.run(10);
  return { elements, bytes: 8 * elements, ms: median(Array.from({ length: batches }, () => copy.run(10))) };
}

/**
 * Times each kernel in `batches` batches of {@link CALLS} calls plus one sync, after a warm-up,
 * with a host-copy batch before each kernel batch so both see the same machine load.
 */
export async function measureMemory(
  dg: typeof DG,
  opts: { size?: number; batches?: number } = {},
): Promise<MemoryResult> {
  const size = opts.size ?? MEMORY_SIZE;
  const batches = opts.batches ?? 7;
  const host = hostCopy(size);
  const trafficElements = (ADAM_BYTES_PER_PARAM / 8) * size;
  const traffic = hostCopy(trafficElements);
  const list = cases(dg, size);
  const hostAll: number[] = [];
  const trafficAll: number[] = [];
  const rows: MemoryRow[] = [];
  host.run(CALLS);
  traffic.run(CALLS);
  // the cpu backend has no kernel profiler (its kernels finish before they return): wall time only
  let profiled = true;
  try {
    await dg.profileKernels(() => {});
  } catch {
    profiled = false;
  }
  for (const c of list) {
    c.run(2);
    await c.sync();
    const gpuAll: number[] = [];
    const wallAll: number[] = [];
    const timed = async (k: number) => {
      const t0 = performance.now();
      c.run(k);
      await c.sync();
      return performance.now() - t0;
    };
    for (let b = 0; b < batches; b++) {
      hostAll.push((8 * size) / (host.run(CALLS) * 1e6));
      trafficAll.push(traffic.run(CALLS / 2));
      const once = await timed(CALLS);
      // webgpu: the slope cancels the sync's fixed wait; cpu: nothing waits, and the slope of two
      // noisy times is noisier than one (it went negative on a busy machine)
      wallAll.push(profiled ? (await timed(2 * CALLS) - once) / CALLS : once / CALLS);
      if (profiled) {
        const times = await dg.profileKernels(() => c.run(CALLS));
        gpuAll.push(times.reduce((s, t) => s + t.ms, 0) / CALLS);
      }
    }
    const gpuMs = gpuAll.some((t) => t > 0) ? median(gpuAll) : null;
    const wallMs = median(wallAll);
    rows.push({
      name: c.name,
      bytesPerElement: c.bytesPerElement,
      gpuMs,
      gbs: (c.bytesPerElement * size) / ((gpuMs ?? wallMs) * 1e6),
      gpuAll,
      wallMs,
      wallAll,
    });
  }
  for (const c of list) c.dispose();
  return {
    size,
    hostCopyGBs: median(hostAll),
    hostCopyAll: hostAll,
    trafficCopy: { elements: trafficElements, bytes: 8 * trafficElements, ms: median(trafficAll), all: trafficAll },
    profiled,
    rows,
  };
}

/** The markdown table of a {@link MemoryResult} (without the GPU columns where nothing was profiled). */
export function memoryTable(r: MemoryResult): string[] {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const range = (xs: number[]) => `<sub>(${f(Math.min(...xs))}–${f(Math.max(...xs))})</sub>`;
  const hostMs = (8 * r.size) / (r.hostCopyGBs * 1e6);
  const gpu = r.profiled;
  const t = r.trafficCopy;
  const out = [
    `| over ${r.size} float32 | bytes / element | ${gpu ? "GPU ms / call | " : ""}wall ms / call | GB/s | ${
      gpu ? "÷ memory time (GPU) | " : ""
    }÷ memory time (wall) |`,
    `|---|---:|${gpu ? "---:|" : ""}---:|---:|${gpu ? "---:|" : ""}---:|`,
    `| \`Float32Array\` copy \`dst.set(src)\` (host, same run) | 8 | ${gpu ? " | " : ""}${f(hostMs)} | ${
      f(r.hostCopyGBs)
    } ${range(r.hostCopyAll)} | ${gpu ? " | " : ""}1 |`,
    `| \`Float32Array\` copy of ${t.elements} float32 (${f(t.bytes / 1e6)} MB moved: Adam's traffic) | ${
      t.bytes / r.size
    } | ${gpu ? " | " : ""}${f(t.ms)} ${range(t.all)} | ${f(t.bytes / (t.ms * 1e6))} | ${gpu ? " | " : ""}${
      (t.ms / ((t.bytes) / (r.hostCopyGBs * 1e6))).toFixed(1)
    }× |`,
  ];
  for (const row of r.rows) {
    const memMs = (row.bytesPerElement * r.size) / (r.hostCopyGBs * 1e6);
    const gpuCells = !gpu ? "" : `${row.gpuMs === null ? "– (no kernel)" : `${f(row.gpuMs)} ${range(row.gpuAll)}`} | `;
    const gpuRatio = !gpu ? "" : `${row.gpuMs === null ? "" : `${(row.gpuMs / memMs).toFixed(1)}×`} | `;
    out.push(
      `| ${row.name} | ${row.bytesPerElement} | ${gpuCells}${f(row.wallMs)} ${range(row.wallAll)} | ${f(row.gbs)}${
        gpu && row.gpuMs === null ? " (wall)" : ""
      } | ${gpuRatio}${(row.wallMs / memMs).toFixed(1)}× |`,
    );
  }
  return out;
}

if (import.meta.main) {
  const arg = (name: string) => Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  // the backend DENOGRAD_BACKEND names (webgpu unless set), as before the cpu backend existed
  if (!Deno.env.get("DENOGRAD_BACKEND")) Deno.env.set("DENOGRAD_BACKEND", "webgpu");
  if (!Deno.env.get("LP_NUM_THREADS")) Deno.env.set("LP_NUM_THREADS", "2");
  const dg = await import("../mod.ts");
  const r = await measureMemory(dg, { size: Number(arg("size") ?? MEMORY_SIZE), batches: Number(arg("batches") ?? 7) });
  console.log(memoryTable(r).join("\n"));
}
