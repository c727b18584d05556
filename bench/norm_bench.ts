/**
 * Dispatch counts and times of softmax / layerNorm forward+backward and a TransformerEncoderLayer
 * step on webgpu, with the one-pass primitives switched off (composed) and on (fused), interleaved;
 * median of runs, synchronized after each.
 * Run: `deno run --allow-read --allow-env bench/norm_bench.ts`.
 * @module
 */
import { F, nn, randn, synchronize, tidy } from "../mod.ts";
import { backendFor } from "../lib/tensor/device.ts";
import type { Tensor } from "../mod.ts";

const backend = backendFor("webgpu") as unknown as Record<string, (...a: unknown[]) => unknown>;
let dispatches = 0;
for (const name of ["run", "runGrid"]) {
  const orig = backend[name].bind(backend);
  backend[name] = (...a: unknown[]) => {
    dispatches++;
    return orig(...a);
  };
}

const PRIMITIVES = ["softmax", "softmaxBackward", "layerNorm", "layerNormBackward"];

/** Switches the fused primitives off (an own `undefined` shadows the method) or back on. */
function setFused(on: boolean): void {
  for (const name of PRIMITIVES) {
    if (on) delete backend[name];
    else backend[name] = undefined as unknown as (...a: unknown[]) => unknown;
  }
}

/** Runs `step` alternately composed and fused (interleaved, so both see the same machine load). */
async function measure(label: string, step: () => void, runs = 7): Promise<void> {
  const result: Record<string, { times: number[]; count: number }> = {};
  for (const mode of ["composed", "fused"]) {
    setFused(mode === "fused");
    step(); // warm-up: pipelines compiled, buffers pooled
    await synchronize();
    result[mode] = { times: [], count: 0 };
  }
  for (let i = 0; i < runs; i++) {
    for (const mode of ["composed", "fused"]) {
      setFused(mode === "fused");
      dispatches = 0;
      const t0 = performance.now();
      tidy(step);
      await synchronize();
      result[mode].times.push(performance.now() - t0);
      result[mode].count = dispatches;
    }
  }
  setFused(true);
  const med = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1];
  const [c, f] = [result.composed, result.fused];
  console.log(
    `| ${label} | ${c.count} → ${f.count} | ${med(c.times).toFixed(1)} → ${med(f.times).toFixed(1)} | ` +
      `${(med(c.times) / med(f.times)).toFixed(2)}x |`,
  );
}

console.log("| work (median of runs, sync after) | dispatches composed → fused | ms composed → fused | speedup |");
console.log("| --- | --- | --- | --- |");
const sx = randn([16 * 4 * 128, 128], { requiresGrad: true });
const sg = randn([16 * 4 * 128, 128]);
await measure("softmax fwd+bwd [8192,128]", () => {
  sx.grad = null;
  sx.softmax(-1).backward(sg);
});
await measure("logSoftmax fwd+bwd [8192,128]", () => {
  sx.grad = null;
  sx.logSoftmax(-1).backward(sg);
});
const lx = randn([16 * 128, 128], { requiresGrad: true });
const lw = randn([128], { requiresGrad: true });
const lb = randn([128], { requiresGrad: true });
const lg = randn([16 * 128, 128]);
await measure("layerNorm fwd+bwd [2048,128]", () => {
  lx.grad = lw.grad = lb.grad = null;
  F.layerNorm(lx, [128], lw, lb).backward(lg);
});
const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
const src: Tensor = randn([16, 128, 128]);
await measure("TransformerEncoderLayer d128 h4 ff512 [16,128] fwd+bwd", () => {
  for (const p of layer.parameters()) p.grad = null;
  layer.forward(src).sum().backward();
}, 5);
