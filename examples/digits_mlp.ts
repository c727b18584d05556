/**
 * End-to-end training of a small MLP (64 → 64 → 10, ReLU) on the real sklearn digits
 * (1,797 8×8 images, pixel values 0..16), written with tensors and autograd directly:
 * PyTorch-style `nn.Linear` initialisation, softmax cross entropy as `logSoftmax` plus a
 * gather of the label, and SGD with momentum, each step inside `tidy()`.
 *
 * Run from the repository root:
 *
 *     deno run --allow-read=../shared --allow-env examples/digits_mlp.ts
 *
 * Options: `--data <path to digits.csv.gz>`, `--epochs <n>` (30), `--lr <x>` (0.05),
 * `--momentum <x>` (0.9), `--batch-size <n>` (64), `--seed <n>` (0).
 * Exits with status 1 when the final test accuracy is below 85 %, and 2 on errors (such as a missing data file).
 * @module
 */
import { parseArgs } from "node:util";
import {
  F,
  getDefaultDevice,
  keep,
  manualSeed,
  memoryStats,
  noGrad,
  rand,
  type Tensor,
  tensor,
  tidy,
  zerosLike,
} from "../mod.ts";

const DEFAULT_DATA = new URL("../../shared/data/sklearn-digits/digits.csv.gz", import.meta.url);
const FEATURES = 64;
const HIDDEN = 64;
const CLASSES = 10;
const MIN_ACCURACY = 0.85;

/** The digits as flat float32 pixels scaled to [0, 1] and int32 labels. */
interface Digits {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

/** Reads the gzip CSV (64 pixel values then the label per line). */
async function loadDigits(path: string | URL): Promise<Digits> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    const shown = path instanceof URL ? path.pathname : path;
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `digits data not found at ${shown}; put the shared/ folder (with data/sklearn-digits/digits.csv.gz) ` +
          "beside the repository, or pass --data <path to digits.csv.gz>",
      );
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw new Error(
        `no read permission for ${shown}; run with --allow-read=<folder holding it> (default data: ../shared)`,
      );
    }
    throw e;
  }
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const x = new Float32Array(lines.length * FEATURES);
  const y = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(",").map(Number);
    if (cells.length !== FEATURES + 1 || cells.some((v) => !Number.isFinite(v))) {
      throw new Error(`digits data: line ${i + 1} should hold ${FEATURES + 1} numbers, got "${line.slice(0, 40)}…"`);
    }
    for (let j = 0; j < FEATURES; j++) x[i * FEATURES + j] = cells[j] / 16;
    y[i] = cells[FEATURES];
  });
  return { x, y, count: lines.length };
}

/** A small seeded generator for the host-side shuffles (mulberry32). */
function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return function next(): number {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, rng: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Rows `rows` of the dataset as tensors on the default device. */
function subset(data: Digits, rows: Int32Array): { x: Tensor; y: Tensor } {
  const x = new Float32Array(rows.length * FEATURES);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(data.x.subarray(r * FEATURES, (r + 1) * FEATURES), i * FEATURES);
    y[i] = data.y[r];
  });
  return { x: tensor(x).reshape([rows.length, FEATURES]), y: tensor(y) };
}

/** Weight [out, in] and bias [out] drawn like torch.nn.Linear: U(-1/√in, 1/√in). */
function linearParams(inFeatures: number, outFeatures: number): [Tensor, Tensor] {
  const bound = 1 / Math.sqrt(inFeatures);
  return tidy(() => {
    const w = rand([outFeatures, inFeatures]).mul(2 * bound).sub(bound).requiresGrad_();
    const b = rand([outFeatures]).mul(2 * bound).sub(bound).requiresGrad_();
    return [w, b];
  });
}

function forward(params: Tensor[], x: Tensor): Tensor {
  const [w1, b1, w2, b2] = params;
  return F.linear(F.linear(x, w1, b1).relu(), w2, b2);
}

/** Mean softmax cross entropy: −log p(label), averaged over the batch. */
function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return logits.logSoftmax(-1).gather(1, labels.unsqueeze(1)).mean().neg();
}

/** Fraction of rows whose arg-max logit is the label. */
async function accuracy(params: Tensor[], set: { x: Tensor; y: Tensor }): Promise<number> {
  const correct = tidy(() => noGrad(() => forward(params, set.x).argmax(-1).eq(set.y).float().sum()));
  const n = await correct.item();
  correct.dispose();
  return n / set.y.shape[0];
}

function percent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string" },
      epochs: { type: "string", default: "30" },
      lr: { type: "string", default: "0.05" },
      momentum: { type: "string", default: "0.9" },
      "batch-size": { type: "string", default: "64" },
      seed: { type: "string", default: "0" },
    },
  });
  const epochs = Number(values.epochs);
  const lr = Number(values.lr);
  const momentum = Number(values.momentum);
  const batchSize = Number(values["batch-size"]);
  const seed = Number(values.seed);
  for (const [name, v] of [["epochs", epochs], ["batch-size", batchSize], ["seed", seed]] as const) {
    if (!Number.isInteger(v) || v < (name === "seed" ? 0 : 1)) {
      throw new RangeError(
        `--${name} must be a ${name === "seed" ? "non-negative" : "positive"} integer, got ${values[name]}`,
      );
    }
  }

  const data = await loadDigits(values.data ?? DEFAULT_DATA);
  const rng = makeRng(seed);
  const order = permutation(data.count, rng);
  const nTrain = Math.round(0.8 * data.count);
  const train = subset(data, order.subarray(0, nTrain));
  const test = subset(data, order.subarray(nTrain));
  console.log(
    `device ${getDefaultDevice()} · digits: ${nTrain} train / ${data.count - nTrain} test · ` +
      `MLP ${FEATURES}→${HIDDEN}→${CLASSES} · SGD lr ${lr} momentum ${momentum} · batch ${batchSize}`,
  );

  manualSeed(seed);
  const params = [...linearParams(FEATURES, HIDDEN), ...linearParams(HIDDEN, CLASSES)];
  const velocity = params.map((p) => keep(zerosLike(p)));

  function step(rows: Tensor, lossSum: Tensor): Tensor {
    return tidy(() => {
      const x = train.x.indexSelect(0, rows);
      const y = train.y.indexSelect(0, rows);
      const loss = crossEntropy(forward(params, x), y);
      loss.backward();
      noGrad(() => {
        params.forEach((p, i) => {
          const v = velocity[i].mul(momentum).add(p.grad!);
          velocity[i].assignStorage(v);
          p.assignStorage(p.sub(v.mul(lr)));
          p.grad!.dispose();
          p.grad = null;
        });
      });
      return lossSum.add(loss.detach().mul(y.shape[0]));
    });
  }

  const start = performance.now();
  let testAcc = 0, trainAcc = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const perm = permutation(nTrain, rng);
    let lossSum = tensor(0);
    for (let i = 0; i < nTrain; i += batchSize) {
      const rows = tensor(perm.subarray(i, Math.min(i + batchSize, nTrain)));
      const next = step(rows, lossSum);
      rows.dispose();
      lossSum.dispose();
      lossSum = next;
    }
    const loss = (await lossSum.item()) / nTrain;
    lossSum.dispose();
    trainAcc = await accuracy(params, train);
    testAcc = await accuracy(params, test);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(4)}  train ${percent(trainAcc)}  ` +
        `test ${percent(testAcc)}  ${seconds.toFixed(2)} s`,
    );
  }
  const total = (performance.now() - start) / 1000;
  const live = memoryStats().liveStorages;
  console.log(
    `final: test accuracy ${percent(testAcc)} (train ${percent(trainAcc)}) after ${epochs} epochs in ` +
      `${total.toFixed(1)} s on ${getDefaultDevice()}; ${live} live storages`,
  );
  if (testAcc < MIN_ACCURACY) {
    console.error(`test accuracy ${percent(testAcc)} is below the ${percent(MIN_ACCURACY)} this example expects`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`digits_mlp: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
