/**
 * Times the cpu backend's float32 kernels (lib/backend/cpu/{window,pool2d,reduce,norm,
 * cross_entropy}.ts) against the reference backend's on the same inputs: im2col, col2im and
 * max pooling for a CIFAR-like conv layer (`[64, 32, 32, 32]`, 3×3, padding 1; 2×2 pooling),
 * softmax and layer norm over `[4096, 256]`, and the reductions of a bias gradient and a row sum.
 * Each kernel runs ten times to warm up, then `RUNS` times alternating with the reference; the table
 * gives medians and minima in milliseconds and the ratio of the medians. Results are freed after each run.
 * Run: `deno run --v8-flags=--expose-gc --allow-read --allow-sys=loadavg bench/cpu_kernels.ts [runs]`.
 * @module
 */
import { createCpuBackend } from "../lib/backend/cpu/backend.ts";
import { createReferenceBackend } from "../lib/backend/reference/backend.ts";
import type { Backend, Storage, View, WindowParams } from "../lib/backend/backend.ts";
import { contiguousView } from "../lib/backend/_view.ts";
import { col2im, im2col } from "../lib/backend/cpu/window.ts";
import { maxPool2d, maxPool2dBackward } from "../lib/backend/cpu/pool2d.ts";
import { reduce } from "../lib/backend/cpu/reduce.ts";
import { layerNorm, layerNormBackward, softmax, softmaxBackward } from "../lib/backend/cpu/norm.ts";
import { crossEntropy, crossEntropyBackward } from "../lib/backend/cpu/cross_entropy.ts";

const RUNS = Number(Deno.args[0] ?? 7);
/** Untimed runs first: V8 reaches its fastest code for a kernel only after a dozen or so calls. */
const WARMUP = 10;
const cpu = createCpuBackend();
const ref = createReferenceBackend();

/** Pseudo-random float32 values in [−1, 1) (an LCG: the bench needs no statistical quality). */
function data(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** One input uploaded to both backends. */
function both(values: ArrayLike<number>, dtype: "float32" | "int32" = "float32"): { c: Storage; r: Storage } {
  return { c: cpu.upload(values, dtype), r: ref.upload(values, dtype) };
}

/** Frees whatever storages a kernel returned (one, an array, or an object of them). */
function freeAll(backend: Backend, out: unknown): void {
  if (out === null || typeof out !== "object") return;
  if ("backend" in out && "size" in out) return backend.free(out as Storage);
  for (const v of Object.values(out as Record<string, unknown>)) freeAll(backend, v);
}

/**
 * A full garbage collection where `--expose-gc` allows it, so that the reference's large host
 * arrays are not collected inside the next timed run, then a pause for V8's concurrent sweeping
 * to finish (on a machine of two cores it would otherwise take one from the run).
 */
async function collect(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Medians of `fast` and `slow` over RUNS alternating runs, after one warm-up each. */
async function time(name: string, fast: () => unknown, slow: () => unknown): Promise<void> {
  for (let r = 0; r < WARMUP; r++) {
    freeAll(cpu, fast());
    freeAll(ref, slow());
  }
  const tf: number[] = [], ts: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    await collect();
    let t = performance.now();
    const a = fast();
    tf.push(performance.now() - t);
    freeAll(cpu, a);
    await collect();
    t = performance.now();
    const b = slow();
    ts.push(performance.now() - t);
    freeAll(ref, b);
  }
  const f = median(tf), s = median(ts);
  const cells = [f, s, Math.min(...tf), Math.min(...ts)].map((v) => v.toFixed(2).padStart(8));
  console.log(`| ${name.padEnd(44)} | ${cells.join(" | ")} | ${(s / f).toFixed(1).padStart(5)}× |`);
}

const conv: WindowParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
const pool: WindowParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] };
const image = [64, 32, 32, 32] as const;
const x = both(data(64 * 32 * 32 * 32));
const xv = contiguousView(image);
const cols = both(data(64 * 32 * 9 * 1024, 2));
const cv = contiguousView([64, 32, 9, 1024]);
const pooled = { c: maxPool2d(cpu, x.c, xv, pool), r: ref.maxPool2d(x.r, xv, pool) };
const gyPool = both(data(64 * 32 * 16 * 16, 3));
const [rows, width] = [4096, 256];
const m = both(data(rows * width, 4));
const gm = both(data(rows * width, 5));
const w = both(data(width, 6)), b = both(data(width, 7));
const y = { c: softmax(cpu, m.c, rows, width, false), r: ref.softmax(m.r, rows, width, false) };
const ln = { c: layerNorm(cpu, { x: m.c, weight: w.c, bias: b.c, rows, cols: width, eps: 1e-5 }) };
const lnr = ref.layerNorm({ x: m.r, weight: w.r, bias: b.r, rows, cols: width, eps: 1e-5 });
const bias: View = contiguousView([rows, width]);
const [ceRows, classes] = [4096, 100];
const logits = both(data(ceRows * classes, 8));
const target = both(Array.from({ length: ceRows }, (_, i) => (i * 37) % classes), "int32");
const gradRows = both(data(ceRows, 9));
const ce = { rows: ceRows, classes, weight: null, ignoreIndex: -100, labelSmoothing: 0.1, opName: "crossEntropy" };

let load = "?";
try {
  load = Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
} catch { /* --allow-sys=loadavg not granted */ }
console.log(`cpu kernels vs reference, median of ${RUNS} (ms); load average ${load}`);
console.log(`| ${"kernel".padEnd(44)} | fast med |  ref med | fast min |  ref min | ratio |`);
console.log(`|${"-".repeat(46)}|---------:|---------:|---------:|---------:|------:|`);
await time("im2col [64,32,32,32] 3×3 pad 1", () => im2col(cpu, x.c, xv, conv, 0), () => ref.im2col(x.r, xv, conv, 0));
await time(
  "col2im [64,32,9,1024] → [64,32,32,32]",
  () => col2im(cpu, cols.c, cv, image, conv),
  () => ref.col2im(cols.r, cv, image, conv),
);
await time(
  "maxPool2d [64,32,32,32] 2×2 stride 2",
  () => maxPool2d(cpu, x.c, xv, pool),
  () => ref.maxPool2d(x.r, xv, pool),
);
await time(
  "maxPool2dBackward → [64,32,32,32]",
  () => maxPool2dBackward(cpu, gyPool.c, pooled.c.indices, image, pool),
  () => ref.maxPool2dBackward(gyPool.r, pooled.r.indices, image, pool),
);
await time(
  "softmax [4096,256]",
  () => softmax(cpu, m.c, rows, width, false),
  () => ref.softmax(m.r, rows, width, false),
);
await time(
  "logSoftmax [4096,256]",
  () => softmax(cpu, m.c, rows, width, true),
  () => ref.softmax(m.r, rows, width, true),
);
await time(
  "softmaxBackward [4096,256]",
  () => softmaxBackward(cpu, y.c, gm.c, rows, width, false),
  () => ref.softmaxBackward(y.r, gm.r, rows, width, false),
);
await time(
  "layerNorm [4096,256] weight+bias",
  () => layerNorm(cpu, { x: m.c, weight: w.c, bias: b.c, rows, cols: width, eps: 1e-5 }),
  () => ref.layerNorm({ x: m.r, weight: w.r, bias: b.r, rows, cols: width, eps: 1e-5 }),
);
const grads = { weight: true, bias: true };
await time(
  "layerNormBackward [4096,256] gx+gw+gb",
  () => layerNormBackward(cpu, { ...ln.c, x: m.c, weight: w.c, gy: gm.c, rows, cols: width, grads }),
  () => ref.layerNormBackward({ ...lnr, x: m.r, weight: w.r, gy: gm.r, rows, cols: width, grads }),
);
await time(
  "sum [4096,256] axes [0] (bias gradient)",
  () => reduce(cpu, "sum", m.c, bias, [0]),
  () => ref.reduce("sum", m.r, bias, [0]),
);
await time(
  "sum [4096,256] axes [1] (row sums)",
  () => reduce(cpu, "sum", m.c, bias, [1]),
  () => ref.reduce("sum", m.r, bias, [1]),
);
await time(
  "max [64,32,32,32] axes [0,2,3] (per channel)",
  () => reduce(cpu, "max", x.c, xv, [0, 2, 3]),
  () => ref.reduce("max", x.r, xv, [0, 2, 3]),
);
await time(
  "crossEntropy [4096,100] ε 0.1",
  () => crossEntropy(cpu, { ...ce, logits: logits.c, target: target.c }),
  () => ref.crossEntropy({ ...ce, logits: logits.r, target: target.r }),
);
await time(
  "crossEntropyBackward [4096,100] ε 0.1",
  () => crossEntropyBackward(cpu, { ...ce, logits: logits.c, target: target.c, gradRows: gradRows.c }),
  () => ref.crossEntropyBackward({ ...ce, logits: logits.r, target: target.r, gradRows: gradRows.r }),
);
