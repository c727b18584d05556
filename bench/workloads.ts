/**
 * The training workloads of `deno task bench` (issue 6), shared by every peer: their shapes, the
 * identical initial weights and data each peer starts from, and the step-timing loop.
 *
 * `bench/bench.ts` draws the inputs once ({@link makeInputs}, a seeded generator) and writes them
 * to a temporary folder as `inputs.json` (names, shapes, offsets) plus `inputs.bin` (little-endian
 * float32); every peer process (`bench/peers.ts`, `bench/peers_torch.py`) reads them back, so each
 * starts from the same weights and data and the correctness values they report can be compared.
 *
 * Parameter names follow PyTorch's `state_dict()` keys; the CNN and MLP are `nn.Sequential`s
 * (`0.weight` is the first layer's weight).
 * @module
 */

/**
 * The workload groups, as `--only=` names them. `memory` is denograd's memory-bound kernels against
 * a `Float32Array` copy (bench/memory.ts), run by the denograd peer only.
 */
export const WORKLOAD_GROUPS = ["matmul", "conv", "cnn", "transformer", "mlp", "adam", "memory"] as const;
export type WorkloadGroup = typeof WORKLOAD_GROUPS[number];

/** One timed training workload (everything but matmul). */
export interface WorkloadSpec {
  /** Key in inputs and results, e.g. `conv1`. */
  key: string;
  group: Exclude<WorkloadGroup, "matmul" | "memory">;
  /** Row label in the report. */
  label: string;
  /** Steps per timed batch; each batch ends in one sync/readback. */
  stepsPerSync: number;
  /** Timed batches (quick, full). */
  batches: [number, number];
  /** Names of the correctness values every peer reports (`check`), compared across peers. */
  checks: string[];
  /** Largest relative difference allowed between peers' check values. */
  tol: number;
}

export const CONV_SHAPES = {
  conv1: { x: [64, 3, 32, 32], w: [64, 3, 3, 3] },
  conv2: { x: [64, 64, 16, 16], w: [64, 64, 3, 3] },
} as const;

/** The transformer layer: d_model 128, 4 heads, feed-forward 512, batch 16 × sequence 128, no dropout. */
export const TRANSFORMER = { d: 128, heads: 4, ff: 512, batch: 16, seq: 128, eps: 1e-5 } as const;
export const CNN = { batch: 64, lr: 0.01, momentum: 0.9 } as const;
export const MLP = { batch: 64, inF: 64, hidden: 64, classes: 10, lr: 0.01, momentum: 0.9 } as const;
export const ADAM = { tensors: 4, size: 250_000, lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 } as const;

export const WORKLOADS: WorkloadSpec[] = [
  {
    key: "conv1",
    group: "conv",
    label: "conv2d fwd+bwd [64,3,32,32] ⋆ [64,3,3,3], pad 1, ms",
    stepsPerSync: 2,
    batches: [3, 5],
    checks: ["sum(y)", "‖∂x‖", "‖∂w‖"],
    tol: 1e-4,
  },
  {
    key: "conv2",
    group: "conv",
    label: "conv2d fwd+bwd [64,64,16,16] ⋆ [64,64,3,3], pad 1, ms",
    stepsPerSync: 2,
    batches: [3, 5],
    checks: ["sum(y)", "‖∂x‖", "‖∂w‖"],
    tol: 1e-4,
  },
  {
    key: "cnn",
    group: "cnn",
    label: "CIFAR CNN training step (batch 64, SGD momentum), ms",
    stepsPerSync: 5,
    batches: [2, 4],
    checks: ["loss step 1", "loss after 1 step"],
    tol: 1e-4,
  },
  {
    key: "transformer",
    group: "transformer",
    label: "TransformerEncoderLayer d128 h4 ff512, 16×128, fwd+bwd, ms",
    stepsPerSync: 2,
    batches: [3, 5],
    checks: ["sum(y·g)", "‖∂linear1.weight‖"],
    tol: 1e-4,
  },
  {
    key: "mlp",
    group: "mlp",
    label: "MLP step 64→64→10, batch 64, SGD (dispatch-bound), ms",
    stepsPerSync: 20,
    batches: [3, 5],
    checks: ["loss step 1", "loss after 1 step"],
    tol: 1e-4,
  },
  {
    key: "adam",
    group: "adam",
    label: "Adam step over 1M parameters (4 × 250k), ms",
    stepsPerSync: 5,
    batches: [3, 5],
    checks: ["Σ p₀[0:1000] after 1 step", "Σ p₃[0:1000] after 1 step"],
    tol: 1e-4,
  },
];

/** Names and shapes of every shared input. Labels (`*.y`) are stored as float and are whole numbers. */
export function inputShapes(): Record<string, number[]> {
  const { d, ff, batch, seq } = TRANSFORMER;
  const s: Record<string, number[]> = {
    "conv1.x": [...CONV_SHAPES.conv1.x],
    "conv1.w": [...CONV_SHAPES.conv1.w],
    "conv2.x": [...CONV_SHAPES.conv2.x],
    "conv2.w": [...CONV_SHAPES.conv2.w],
    "cnn.x": [CNN.batch, 3, 32, 32],
    "cnn.y": [CNN.batch],
    "cnn.0.weight": [64, 3, 3, 3],
    "cnn.0.bias": [64],
    "cnn.4.weight": [10, 64 * 16 * 16],
    "cnn.4.bias": [10],
    "transformer.x": [batch, seq, d],
    "transformer.g": [batch, seq, d],
    "transformer.self_attn.in_proj_weight": [3 * d, d],
    "transformer.self_attn.in_proj_bias": [3 * d],
    "transformer.self_attn.out_proj.weight": [d, d],
    "transformer.self_attn.out_proj.bias": [d],
    "transformer.linear1.weight": [ff, d],
    "transformer.linear1.bias": [ff],
    "transformer.linear2.weight": [d, ff],
    "transformer.linear2.bias": [d],
    "transformer.norm1.weight": [d],
    "transformer.norm1.bias": [d],
    "transformer.norm2.weight": [d],
    "transformer.norm2.bias": [d],
    "mlp.x": [MLP.batch, MLP.inF],
    "mlp.y": [MLP.batch],
    "mlp.0.weight": [MLP.hidden, MLP.inF],
    "mlp.0.bias": [MLP.hidden],
    "mlp.2.weight": [MLP.classes, MLP.hidden],
    "mlp.2.bias": [MLP.classes],
  };
  for (let i = 0; i < ADAM.tensors; i++) {
    s[`adam.p${i}`] = [ADAM.size];
    s[`adam.g${i}`] = [ADAM.size];
  }
  return s;
}

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws every input: data ~ N(0, 1)-ish uniform, weights ~ U(±1/√fanIn) as PyTorch's default init. */
export function makeInputs(seed = 0): Map<string, Float32Array> {
  const next = rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(inputShapes())) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const leaf = name.slice(name.lastIndexOf(".") + 1);
    if (leaf === "y") {
      const classes = 10;
      for (let i = 0; i < n; i++) v[i] = Math.floor(next() * classes);
    } else if (/^norm\d$/.test(name.split(".").at(-2) ?? "")) {
      // LayerNorm affine: near 1 (weight) or near 0 (bias), not exactly, so a mix-up shows
      for (let i = 0; i < n; i++) v[i] = (leaf === "weight" ? 1 : 0) + 0.2 * (next() - 0.5);
    } else if (
      leaf === "weight" || leaf === "w" || leaf.endsWith("_weight") || leaf.endsWith("_bias") || leaf === "bias"
    ) {
      const wShape = leaf.endsWith("bias") ? inputShapes()[name.replace(/bias$/, "weight")] ?? shape : shape;
      const fanIn = wShape.slice(1).reduce((a, b) => a * b, 1) || 1;
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) v[i] = (2 * next() - 1) * bound;
    } else {
      // data, fixed gradients, Adam parameters: uniform with unit variance
      for (let i = 0; i < n; i++) v[i] = (2 * next() - 1) * Math.sqrt(3);
    }
    out.set(name, v);
  }
  return out;
}

/** The manifest `inputs.json`: name → [shape, float32 offset]. */
export type InputManifest = Record<string, { shape: number[]; offset: number }>;

/** Writes `inputs.json` and `inputs.bin` into `dir`. */
export function writeInputs(dir: string, inputs: Map<string, Float32Array>): void {
  const shapes = inputShapes();
  const manifest: InputManifest = {};
  let total = 0;
  for (const [name, v] of inputs) {
    manifest[name] = { shape: shapes[name], offset: total };
    total += v.length;
  }
  const all = new Float32Array(total);
  for (const [name, v] of inputs) all.set(v, manifest[name].offset);
  Deno.writeFileSync(`${dir}/inputs.bin`, new Uint8Array(all.buffer));
  Deno.writeTextFileSync(`${dir}/inputs.json`, JSON.stringify(manifest));
}

/** Reads what {@link writeInputs} wrote: name → { shape, data }. */
export function readInputs(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/inputs.json`)) as InputManifest;
  const bytes = Deno.readFileSync(`${dir}/inputs.bin`);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, { shape, offset }] of Object.entries(manifest)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, data: all.slice(offset, offset + n) });
  }
  return out;
}

/** A workload ready to run on one peer: one step enqueues the work, `sync` waits for it. */
export interface Runner {
  step(): void | Promise<void>;
  /** Waits for the queued steps (reads back the last loss, as a training loop would). */
  sync(): Promise<void>;
  dispose(): void;
}

/** How a peer implements one workload. */
export interface WorkloadImpl {
  /** From the shared initial state: the spec's check values (one step, read back). */
  check(): Promise<number[]>;
  /** A fresh runner from the shared initial state. */
  runner(): Promise<Runner>;
}

/** One workload's result on one peer. */
export interface WorkloadResult {
  key: string;
  /** Median ms per step over the timed batches. */
  msPerStep: number;
  /** ms per step of every timed batch. */
  all: number[];
  stepsPerSync: number;
  check: number[];
  /** Extra facts (e.g. buffers created in a steady-state loop). */
  extra?: Record<string, number | string>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up (2 steps + sync), then `batches` timed batches of `spec.stepsPerSync` steps + one sync. */
export async function timeRunner(r: Runner, spec: WorkloadSpec, batches: number): Promise<number[]> {
  for (let i = 0; i < 2; i++) await r.step();
  await r.sync();
  const all: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < spec.stepsPerSync; i++) await r.step();
    await r.sync();
    all.push((performance.now() - t0) / spec.stepsPerSync);
  }
  return all;
}

/** √Σx² in float64. */
export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Σx in float64. */
export function sum(v: ArrayLike<number>, end = v.length): number {
  let s = 0;
  for (let i = 0; i < end; i++) s += v[i];
  return s;
}
