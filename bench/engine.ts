/**
 * The engine's figures (issue 12), for one checkout: the lazy elementwise chain against one bare
 * readback, the MLP, CIFAR-CNN and transformer-layer training steps eager and captured
 * (`compile`), dispatches per step, JavaScript per step, and JavaScript per replayed dispatch.
 * Run it for two checkouts alternately (this one and the commit before the engine) on a quiet
 * machine and compare the lines:
 *
 *   deno run --allow-read --allow-env bench/engine.ts [checkout root] [--steps=N]
 *
 * The root defaults to this checkout; an older root (no `compile`) reports eager figures only.
 * @module
 */
type DG = typeof import("../mod.ts");

const args = Deno.args.filter((a) => !a.startsWith("--"));
const root = args[0] ?? new URL("..", import.meta.url).pathname;
const steps = Number(Deno.args.find((a) => a.startsWith("--steps="))?.slice(8) ?? 40);
const dg: DG = await import(`${root.replace(/\/$/, "")}/mod.ts`);
const { backendFor } = await import(`${root.replace(/\/$/, "")}/lib/tensor/device.ts`);
const gpu = backendFor("webgpu") as unknown as {
  submits: number;
  bindGroupStats?: unknown;
  startProfile?(): void;
  stopProfile?(): Promise<{ name: string; calls: number; ms: number }[]>;
};
const canCompile = typeof (dg as { compile?: unknown }).compile === "function";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const f2 = (v: number) => v.toFixed(2);

/**
 * ms per step (median of 5 batches of `n` steps, each batch ending in one sync), and JavaScript ms
 * per step: the median time of one call made on an idle device (after a sync), which is the host's
 * share (recording, dispatch, submit) without waiting for the device.
 */
async function timeSteps(step: () => void, n: number): Promise<{ ms: number; jsMs: number }> {
  for (let i = 0; i < 4; i++) step();
  await dg.synchronize();
  const total: number[] = [], js: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) step();
    await dg.synchronize();
    total.push((performance.now() - t0) / n);
  }
  for (let i = 0; i < 7; i++) {
    await dg.synchronize();
    const a = performance.now();
    step();
    js.push(performance.now() - a);
  }
  await dg.synchronize();
  return { ms: median(total), jsMs: median(js) };
}

/** Dispatches one call of `step` records (from the profiler when the backend has one, else null). */
async function dispatchesOf(step: () => void): Promise<number | null> {
  if (!gpu.startProfile || !gpu.stopProfile) return null;
  await dg.synchronize();
  try {
    gpu.startProfile();
  } catch {
    return null;
  }
  step();
  const times = await gpu.stopProfile();
  return times.reduce((n, t) => n + t.calls, 0);
}

type Tensor = InstanceType<DG["Tensor"]>;

function trainer(kind: "mlp" | "cnn" | "transformer") {
  dg.manualSeed(3);
  const { nn, optim } = dg;
  if (kind === "transformer") {
    const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0, batchFirst: true });
    const opt = new optim.Adam(layer.parameters(), { lr: 1e-4 });
    const x = dg.randn([16, 128, 128]);
    const g = dg.randn([16, 128, 128]);
    const fn = (x: Tensor, g: Tensor) => {
      opt.zeroGrad();
      const out = layer.forward(x).mul(g).sum();
      out.backward();
      opt.step();
      return out;
    };
    return { fn, inputs: [x, g] as [Tensor, Tensor] };
  }
  const model = kind === "mlp"
    ? new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10))
    : new nn.Sequential(
      new nn.Conv2d(3, 64, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(64 * 16 * 16, 10),
    );
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = kind === "mlp" ? dg.randn([64, 64]) : dg.randn([64, 3, 32, 32]);
  const y = dg.tensor(Array.from({ length: 64 }, (_, i) => (i * 7) % 10));
  const fn = (x: Tensor, y: Tensor) => {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  return { fn, inputs: [x, y] as [Tensor, Tensor] };
}

const lines: string[] = [`root ${root}`];

// ---- 1000 chained elementwise ops + one read, against one bare readback ------------------------
{
  const x = dg.randn([64]);
  const chain = async () => {
    const t0 = performance.now();
    const y = dg.tidy(() => {
      let z = x;
      for (let i = 0; i < 500; i++) z = z.mul(1.0001).add(0.0001);
      return z;
    });
    const t1 = performance.now();
    await y.data();
    const t2 = performance.now();
    y.dispose();
    return [t1 - t0, t2 - t0];
  };
  for (let i = 0; i < 3; i++) await chain();
  const rec: number[] = [], tot: number[] = [];
  for (let i = 0; i < 9; i++) {
    const [r, t] = await chain();
    rec.push(r);
    tot.push(t);
  }
  const one = dg.tensor([1]);
  const rb: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    await one.add(1).data();
    rb.push(performance.now() - t0);
  }
  lines.push(
    `chain: record ${f2(median(rec))} ms, total ${f2(median(tot))} ms, bare readback ${f2(median(rb))} ms, ` +
      `total/readback ${f2(median(tot) / median(rb))}`,
  );
}

// ---- a memory-bound op: a + b over 1M float32, 20 per sync, against a Float32Array copy --------------
{
  const n = 1 << 20;
  const a = dg.randn([n]), b = dg.randn([n]);
  const times: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    const out = Array.from({ length: 20 }, () => {
      const y = a.add(b);
      (y as { realize?: () => unknown }).realize?.();
      return y;
    });
    await dg.synchronize();
    if (r > 0) times.push((performance.now() - t0) / 20);
    out.forEach((y) => y.dispose());
  }
  const src = new Float32Array(n), dst = new Float32Array(n);
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) dst.set(src);
  const copyGBs = (8 * n * 50) / (performance.now() - t0) / 1e6;
  const ms = median(times);
  lines.push(
    `add 1M: ${f2(ms)} ms per add incl. a sync per 20 (${f2((12 * n) / ms / 1e6)} GB/s), ` +
      `Float32Array copy ${f2(copyGBs)} GB/s`,
  );
}

// ---- training steps ----------------------------------------------------------------------------
for (
  const kind
    of (Deno.env.get("ENGINE_KINDS")?.split(",") ?? ["mlp", "cnn", "transformer"]) as ("mlp" | "cnn" | "transformer")[]
) {
  const n = kind === "mlp" ? steps : Math.max(4, Math.round(steps / 8));
  for (const mode of canCompile ? ["eager", "compiled"] as const : ["eager"] as const) {
    const { fn, inputs } = trainer(kind);
    const step = mode === "compiled" ? (dg as unknown as { compile: (f: typeof fn) => typeof fn }).compile(fn) : fn;
    const run = () => dg.tidy(() => void step(...inputs));
    const t = await timeSteps(run, n);
    const dispatches = await dispatchesOf(run);
    lines.push(
      `${kind} ${mode}: ${f2(t.ms)} ms/step, JS ${f2(t.jsMs)} ms/step, dispatches/step ${dispatches ?? "?"}`,
    );
  }
}

// ---- JavaScript per replayed dispatch (a replay below one batch, so no submit runs inside) --------
if (canCompile) {
  const { fn, inputs } = trainer("mlp");
  const step = (dg as unknown as { compile: (f: typeof fn) => typeof fn & { stats: { dispatches: number } } })
    .compile(fn);
  for (let i = 0; i < 5; i++) dg.tidy(() => void step(...inputs));
  await dg.synchronize();
  const stats = step.stats as unknown as { replays: number; replayMs: number; dispatches: number };
  const before = { replays: stats.replays, ms: stats.replayMs };
  const per: number[] = [];
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    const out = step(...inputs);
    per.push(performance.now() - t0);
    out.dispose();
    await dg.synchronize();
  }
  const d = stats.dispatches;
  const walk = (stats.replayMs - before.ms) / (stats.replays - before.replays);
  lines.push(
    `replay: ${f2(walk * 1000 / d)} µs JS per replayed dispatch (walking the recording; ${d} dispatches), ` +
      `${f2(median(per) * 1000)} µs per call with the output copy`,
  );
}

console.log(lines.join("\n"));
