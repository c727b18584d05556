/**
 * The readback floor and what a training loop gains by not waiting for it every step (issue 12).
 *
 * 1. Floor: one `await t.item()` of a one-element tensor on an idle queue, one
 *    `queue.onSubmittedWorkDone()`, and one `synchronize()`, each repeated (default 50×) after a
 *    warm-up; median and p90 in ms.
 * 2. N concurrent reads: `Promise.all` of N `item()` calls, wall ms and device waits per call
 *    (the runtime's `waits` counter).
 * 3. The README's MLP loop (Linear 8→32, ReLU, Linear 32→3, AdamW, cross entropy with label
 *    smoothing, batch 64), 200 steps, reading the loss of every step: `await loss.item()` per step,
 *    `MetricLogger` with `every: 10` and `every: 1`, `readLater` per step awaited at the end, and no
 *    read at all (the loop's own cost). Each run starts from the same seed, so every variant must
 *    log the same 200 losses (checked). Variants alternate, rounds (default 3) give min/median.
 *
 * `deno run --allow-read --allow-env bench/readback.ts [--reps=50] [--rounds=3] [--steps=200]`
 * @module
 */
import { parseArgs } from "node:util";
import type * as DG from "../mod.ts";

// Mesa's llvmpipe reads LP_NUM_THREADS when the adapter is created, which importing mod.ts does.
if (!Deno.env.get("LP_NUM_THREADS")) Deno.env.set("LP_NUM_THREADS", "2");
const dg = await import("../mod.ts");
const { backendFor } = await import("../lib/tensor/device.ts");

const { values: args } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string" }, rounds: { type: "string" }, steps: { type: "string" } },
});
const reps = Number(args.reps ?? 50);
const rounds = Number(args.rounds ?? 3);
const steps = Number(args.steps ?? 200);

if (dg.getDefaultDevice() !== "webgpu") {
  console.log("no WebGPU adapter: the readback floor is a webgpu property; nothing to measure");
  Deno.exit(0);
}
const runtime = backendFor("webgpu") as unknown as { device: GPUDevice; waits: number; description: string };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function timeIt(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const fmt = (ms: number) => ms.toFixed(2);
console.log(`device: ${runtime.description}`);
console.log(`\n| wait on an idle queue (${reps}×) | median ms | p90 ms |\n| --- | ---: | ---: |`);
const tiny = dg.tensor([1.5]);
const floors: [string, () => Promise<unknown>][] = [
  ["`await t.item()`, one element", () => tiny.item()],
  ["`await queue.onSubmittedWorkDone()`", () => runtime.device.queue.onSubmittedWorkDone()],
  ["`await synchronize()`", () => dg.synchronize()],
];
for (const [name, fn] of floors) {
  const xs = await timeIt(fn);
  console.log(`| ${name} | ${fmt(quantile(xs, 0.5))} | ${fmt(quantile(xs, 0.9))} |`);
}

console.log(
  `\n| concurrent reads (${reps}×) | median ms | p90 ms | device waits per call |\n| --- | ---: | ---: | ---: |`,
);
for (const n of [1, 2, 3, 8]) {
  const ts = Array.from({ length: n }, (_, i) => dg.tensor([i]));
  const w0 = runtime.waits;
  const xs = await timeIt(() => Promise.all(ts.map((t) => t.item())));
  const waits = (runtime.waits - w0) / (reps + 5);
  console.log(
    `| \`Promise.all\` of ${n} \`item()\` | ${fmt(quantile(xs, 0.5))} | ${fmt(quantile(xs, 0.9))} | ${waits} |`,
  );
  for (const t of ts) t.dispose();
}

type Variant =
  | "await item()"
  | "MetricLogger every 10"
  | "MetricLogger every 1"
  | "readLater, await at end"
  | "no read";

/** One 200-step run of the README loop from seed 0; the losses it read and its wall time. */
async function run(variant: Variant): Promise<{ ms: number; losses: number[]; waits: number }> {
  dg.manualSeed(0);
  const model = new dg.nn.Sequential(new dg.nn.Linear(8, 32), new dg.nn.ReLU(), new dg.nn.Linear(32, 3));
  const opt = new dg.optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.01 });
  const lossFn = new dg.nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  const x = dg.randn([64, 8]), y = dg.randint(0, 3, [64]);
  await dg.synchronize();
  const losses: number[] = [];
  const every = variant === "MetricLogger every 10" ? 10 : 1;
  const logger = new dg.MetricLogger({ every, onValues: (v) => losses.push(v.loss) });
  const later: DG.PendingRead[] = [];
  const w0 = runtime.waits;
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const loss = dg.tidy(() => {
      opt.zeroGrad();
      const l = lossFn.forward(model.forward(x), y);
      l.backward();
      opt.step();
      return l.detach();
    });
    if (variant === "await item()") losses.push(await loss.item());
    else if (variant.startsWith("MetricLogger")) await logger.log({ loss });
    else if (variant === "readLater, await at end") later.push(dg.readLater(loss));
    loss.dispose();
  }
  await logger.flush();
  for (const r of later) losses.push(await r.item());
  await dg.synchronize();
  const ms = performance.now() - t0;
  const waits = runtime.waits - w0;
  for (const t of [x, y, ...model.parameters()]) t.dispose();
  return { ms, losses, waits };
}

const variants: Variant[] = [
  "await item()",
  "MetricLogger every 10",
  "MetricLogger every 1",
  "readLater, await at end",
  "no read",
];
for (const v of variants) await run(v); // warm-up: pipelines, pools
const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
const waitsOf = new Map<Variant, number>();
let reference: number[] | null = null;
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const { ms, losses, waits } = await run(v);
    times.get(v)!.push(ms);
    waitsOf.set(v, waits);
    if (v === "no read") continue;
    if (losses.length !== steps) throw new Error(`${v}: logged ${losses.length} losses, expected ${steps}`);
    reference ??= losses;
    const diff = Math.max(...losses.map((l, i) => Math.abs(l - reference![i])));
    if (diff !== 0) throw new Error(`${v}: losses differ from the first variant's by up to ${diff}`);
  }
}
const base = quantile(times.get("await item()")!, 0.5);
console.log(
  `\n| ${steps}-step MLP loop, loss read every step (${rounds} rounds) | median ms | min ms | ms/step | ` +
    `steps/s | device waits | vs \`await item()\` |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
);
for (const v of variants) {
  const xs = times.get(v)!;
  const med = quantile(xs, 0.5);
  console.log(
    `| ${v} | ${med.toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${fmt(med / steps)} | ` +
      `${(steps / med * 1000).toFixed(0)} | ${waitsOf.get(v)} | ${(base / med).toFixed(2)}× |`,
  );
}
console.log(`\nevery variant that reads logged the same ${steps} losses (last ${reference!.at(-1)!.toFixed(4)})`);
