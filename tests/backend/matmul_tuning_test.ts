/**
 * Matmul tile configurations (lib/backend/webgpu/matmul_tuning.ts): every configuration, pinned,
 * matches the float64 reference on odd shapes, tile edges, broadcast batches, transposed operands,
 * a bias along rows or columns, and a K long enough to be split; every one gives bit-identical
 * results to the default (the choice must change speed only); first use times the
 * configurations and caches a winner per shape class (a trial may start while a step is captured).
 */
import assert from "node:assert/strict";
import type { MatmulBias, Storage, View } from "../../lib/backend/backend.ts";
import { beginTrace, endTrace } from "../../lib/backend/capture.ts";
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import { createWebGPUBackend, type WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import {
  DEFAULT_TILING,
  fitsDevice,
  MATMUL_CONFIGS,
  matmulTuning,
  pinMatmulTiling,
  setMatmulAutoTune,
  shapeClass,
  tilingName,
  tuningEpoch,
} from "../../lib/backend/webgpu/matmul_tuning.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const gpu: WebGPUBackend | null = await createWebGPUBackend();
const cpu = createReferenceBackend();
const ignore = gpu === null;
const g = gpu as WebGPUBackend;

interface Case {
  what: string;
  /** Stored A and its view, stored B and its view. */
  a: { size: number; view: View };
  b: { size: number; view: View };
  bias?: "rows" | "cols";
}

const dense = (shape: number[]): View => {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  return { shape, strides, offset: 0 };
};
/** The [rows, cols] transpose of a stored [cols, rows] matrix (with `batch` leading planes). */
const transposed = (batch: number, rows: number, cols: number): View => ({
  shape: [batch, rows, cols],
  strides: [rows * cols, 1, rows],
  offset: 0,
});

const CASES: Case[] = [
  { what: "[65,33]@[33,67]", a: { size: 65 * 33, view: dense([65, 33]) }, b: { size: 33 * 67, view: dense([33, 67]) } },
  {
    what: "[130,7]@[7,129] + bias rows",
    a: { size: 130 * 7, view: dense([130, 7]) },
    b: { size: 7 * 129, view: dense([7, 129]) },
    bias: "rows",
  },
  {
    what: "[3,70,45]@[3,45,100] A and B transposed, bias cols",
    a: { size: 3 * 70 * 45, view: transposed(3, 70, 45) },
    b: { size: 3 * 45 * 100, view: transposed(3, 45, 100) },
    bias: "cols",
  },
  {
    what: "[2,3,40,9]@[1,3,9,50] B broadcast over the first batch dim",
    a: { size: 2 * 3 * 40 * 9, view: dense([2, 3, 40, 9]) },
    b: { size: 3 * 9 * 50, view: { shape: [2, 3, 9, 50], strides: [0, 450, 50, 1], offset: 0 } },
  },
  {
    // few tiles and a long K: split-K planes summed afterwards
    what: "[40,1500]@[1500,36] (split K)",
    a: { size: 40 * 1500, view: dense([40, 1500]) },
    b: { size: 1500 * 36, view: dense([1500, 36]) },
  },
  {
    what: "[257,64]@[64,200] offset A",
    a: { size: 257 * 64 + 5, view: { ...dense([257, 64]), offset: 5 } },
    b: { size: 64 * 200, view: dense([64, 200]) },
  },
];

let seed = 11;
function upload(n: number): { g: Storage; c: Storage } {
  const data = randomArray(n, -2, 2, seed++, { float32: true });
  return { g: g.upload(data, "float32"), c: cpu.upload(data, "float32") };
}

/** Runs every case once with the current configuration; returns the GPU results. */
async function runCases(): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  seed = 11;
  for (const c of CASES) {
    const a = upload(c.a.size), b = upload(c.b.size);
    const r = c.a.view.shape.length;
    const n = c.bias === "rows" ? c.a.view.shape[r - 2] : c.b.view.shape[r - 1];
    const bias = c.bias ? upload(n) : null;
    const gb: MatmulBias | undefined = bias ? { values: bias.g, along: c.bias! } : undefined;
    const cb: MatmulBias | undefined = bias ? { values: bias.c, along: c.bias! } : undefined;
    const gy = g.matmul(a.g, c.a.view, b.g, c.b.view, gb);
    const cy = cpu.matmul(a.c, c.a.view, b.c, c.b.view, cb);
    const actual = new Float32Array(await g.read(gy));
    assertClose(actual, await cpu.read(cy), { rtol: 1e-5, atol: 1e-4, what: c.what });
    out.push(actual);
    for (const s of [a, b, ...(bias ? [bias] : [])]) {
      g.free(s.g);
      cpu.free(s.c);
    }
    g.free(gy);
    cpu.free(cy);
  }
  return out;
}

Deno.test({
  name: "every matmul tile configuration matches the reference and the default bit for bit",
  ignore,
  async fn() {
    try {
      pinMatmulTiling(DEFAULT_TILING);
      const expected = await runCases();
      for (const t of MATMUL_CONFIGS) {
        if (!fitsDevice(t, g.limits)) continue;
        pinMatmulTiling(t);
        const actual = await runCases();
        actual.forEach((y, i) => assert.deepEqual(y, expected[i], `${tilingName(t)}: ${CASES[i].what}`));
      }
    } finally {
      pinMatmulTiling(null);
    }
  },
});

Deno.test({
  name: "first use of a shape class times the configurations and caches a winner, inside a capture too",
  ignore,
  async fn() {
    const ctx = await createWebGPUBackend();
    assert(ctx);
    const a = ctx.upload(randomArray(200 * 96, -1, 1, 3), "float32");
    const b = ctx.upload(randomArray(96 * 300, -1, 1, 4), "float32");
    const [av, bv] = [dense([200, 96]), dense([96, 300])];
    // inside a capture the default is used and the trial starts (its own submission, not recorded);
    // a winner other than the default moves the tuning epoch, which makes older recordings retrace
    const epoch = tuningEpoch();
    beginTrace();
    ctx.free(ctx.matmul(a, av, b, bv));
    endTrace();
    const results = await matmulTuning(ctx);
    const timestamps = ctx.device.features.has("timestamp-query");
    assert.equal(results.length, timestamps ? 1 : 0);
    if (timestamps) {
      const [r] = results;
      assert.equal(r.shapeClass, shapeClass(200, 300, 96, true, true));
      const names = MATMUL_CONFIGS.map(tilingName);
      assert(names.includes(r.winner), r.winner);
      for (const [name, ms] of Object.entries(r.ms)) {
        if (!Number.isNaN(ms)) {
          assert(ms > 0 && r.ms[r.winner] <= ms, `${name}: ${ms} ms vs ${r.winner} ${r.ms[r.winner]}`);
        }
      }
      const isDefault = r.winner === tilingName(MATMUL_CONFIGS[0]);
      assert.equal(
        tuningEpoch(),
        isDefault ? epoch : epoch + 1,
        "the epoch moves exactly when the default is replaced",
      );
    }
    // a second product of the class times nothing new
    ctx.free(ctx.matmul(a, av, b, bv));
    assert.equal((await matmulTuning(ctx)).length, results.length);
    ctx.free(a);
    ctx.free(b);
  },
});

Deno.test({
  name: "with auto-tuning off a new shape class times nothing",
  ignore,
  async fn() {
    const ctx = await createWebGPUBackend();
    assert(ctx);
    setMatmulAutoTune(false);
    try {
      const a = ctx.upload(randomArray(64 * 64, -1, 1, 5), "float32");
      ctx.free(ctx.matmul(a, dense([64, 64]), a, dense([64, 64])));
      assert.deepEqual(await matmulTuning(ctx), []);
      ctx.free(a);
    } finally {
      setMatmulAutoTune(true);
    }
  },
});
