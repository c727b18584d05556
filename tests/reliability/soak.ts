/**
 * Soak test: thousands of training steps (an MLP every step, a small CNN with BatchNorm every
 * `cnnEvery` steps, Adam/SGD), reporting device memory and the JS heap every `reportEvery` steps
 * and asserting that both stay flat and the loss stays finite.
 *
 * Run: `deno task soak` (5000 steps; `-- --steps=N` to change). tests/reliability/soak_test.ts runs a short
 * version in CI. Forced GC needs `--v8-flags=--expose-gc` (without it the heap check is skipped).
 * @module
 */
import { F, memoryStats, nn, optim, randint, randn, synchronize, type Tensor, tidy } from "../../mod.ts";

/** Options of {@link soak}. */
export interface SoakOptions {
  /** MLP steps (default 5000). */
  steps?: number;
  /** Run one CNN step every this many MLP steps (default 10). */
  cnnEvery?: number;
  /** Sample memory every this many steps (default 500). */
  reportEvery?: number;
  /** Steps before the memory baseline is taken (default 100: pools and caches warm up). */
  warmup?: number;
  /** Allowed JS heap growth after a forced GC, in bytes (default 4 MB). */
  heapSlack?: number;
  /** Where to print reports (default console.log; pass `() => {}` to stay quiet). */
  log?: (line: string) => void;
}

/** One report line's numbers. */
export interface SoakSample {
  step: number;
  loss: number;
  liveStorages: number;
  liveBytes: number;
  pooledBytes: number;
  heapUsed: number;
}

function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return false;
  g();
  g();
  return true;
}

/** Runs the soak loop; throws if memory grows or the loss is not finite. Returns the samples. */
export async function soak(options: SoakOptions = {}): Promise<SoakSample[]> {
  const steps = options.steps ?? 5000;
  const cnnEvery = options.cnnEvery ?? 10;
  const reportEvery = options.reportEvery ?? 500;
  const warmup = Math.min(options.warmup ?? 100, steps);
  const heapSlack = options.heapSlack ?? 4 << 20;
  const log = options.log ?? console.log;

  const mlp = new nn.Sequential(new nn.Linear(32, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const cnn = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(8 * 4 * 4, 10),
  );
  const mlpOpt = new optim.Adam(mlp.parameters(), { lr: 1e-3 });
  const cnnOpt = new optim.SGD(cnn.parameters(), { lr: 1e-2, momentum: 0.9 });
  // fixed data, so the loss must go down and stay finite
  const x = randn([16, 32]);
  const y = randint(0, 10, [16]);
  const images = randn([4, 3, 8, 8]);
  const labels = randint(0, 10, [4]);

  const step = (model: nn.Module, opt: optim.SGD | optim.Adam, input: Tensor, target: Tensor): Tensor =>
    tidy(() => {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(input) as Tensor, target);
      loss.backward();
      opt.step();
      return loss.detach();
    });

  const samples: SoakSample[] = [];
  let baseline: SoakSample | null = null;
  const sample = async (i: number, loss: Tensor): Promise<SoakSample> => {
    const value = await loss.item();
    await synchronize();
    const hasGc = gc();
    const m = memoryStats();
    const s = {
      step: i,
      loss: value,
      liveStorages: m.liveStorages,
      liveBytes: m.liveBytes,
      pooledBytes: m.pooledBytes,
      heapUsed: Deno.memoryUsage().heapUsed,
    };
    log(
      `step ${String(i).padStart(5)}  loss ${value.toFixed(4)}  live ${m.liveStorages} storages / ${m.liveBytes} B` +
        `  pooled ${m.pooledBytes} B  heap ${(s.heapUsed / 1e6).toFixed(1)} MB${hasGc ? "" : " (no --expose-gc)"}`,
    );
    if (!Number.isFinite(value)) throw new Error(`soak: the loss is ${value} at step ${i}`);
    if (baseline) {
      if (s.liveBytes !== baseline.liveBytes || s.liveStorages !== baseline.liveStorages) {
        throw new Error(
          `soak: device memory grew from ${baseline.liveStorages} storages / ${baseline.liveBytes} B at step ` +
            `${baseline.step} to ${s.liveStorages} / ${s.liveBytes} B at step ${i}`,
        );
      }
      if (hasGc && s.heapUsed - baseline.heapUsed > heapSlack) {
        throw new Error(
          `soak: the JS heap grew by ${((s.heapUsed - baseline.heapUsed) / 1e6).toFixed(1)} MB between steps ` +
            `${baseline.step} and ${i} (allowed ${(heapSlack / 1e6).toFixed(1)} MB)`,
        );
      }
    }
    samples.push(s);
    return s;
  };

  for (let i = 1; i <= steps; i++) {
    const loss = step(mlp, mlpOpt, x, y);
    if (i % cnnEvery === 0) step(cnn, cnnOpt, images, labels).dispose();
    if (i === warmup) baseline = await sample(i, loss);
    else if (i % reportEvery === 0 || i === steps) await sample(i, loss);
    loss.dispose();
  }
  const first = samples[0], last = samples[samples.length - 1];
  if (last && first && !(last.loss < first.loss)) {
    throw new Error(`soak: the loss did not go down (${first.loss} at step ${first.step}, ${last.loss} at the end)`);
  }
  return samples;
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--steps="));
  const steps = arg ? Number(arg.slice(8)) : 5000;
  const t0 = performance.now();
  await soak({ steps });
  console.log(`soak: ${steps} steps OK in ${((performance.now() - t0) / 1000).toFixed(1)} s; memory flat, loss finite`);
}
