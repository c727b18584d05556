// Chapter 7: image classification with a CNN. Source of notebooks/07_image_classification.ipynb (built by notebooks/build.ts).
// notebook-permissions: read, env
// %% [markdown]
// # 7. Image classification: a small CNN on CIFAR-10
//
// The tutorial's image example trains one convolution block and a linear classifier on CIFAR-10
// (32×32 colour images, 10 classes) with cross entropy and SGD with momentum:
//
//     Conv2d(3, 64, 3, padding 1) → ReLU → MaxPool2d(2) → Flatten → Linear(64·16·16, 10)
//
// The data are real CIFAR-10 images from `../../shared/data` (the first 3000 training and 1000
// test images of the official batches), read by `data.CIFAR10` from the original binary format,
// normalized per channel and batched by `data.DataLoader`. We train, plot the loss, measure the
// test accuracy, and look at where the model goes wrong: a confusion matrix and a grid of test
// images with their predicted and true labels.
// %%
import { compile, data, getDefaultDevice, manualSeed, nn, noGrad, optim, plot, progress, randn } from "denograd";
import type { Tensor } from "denograd";
import { tidy } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains on a small subset. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";
const ROOT = "../../shared/data";
const TRAIN_SIZE = QUICK ? 384 : 3000;
const TEST_SIZE = QUICK ? 250 : 1000;
const EPOCHS = 1;
const BATCH = QUICK ? 32 : 64;
/** The tutorial's learning rate; quick mode's dozen steps use a smaller one (see the training section). */
const LR = QUICK ? 0.002 : 0.01;
// %% [markdown]
// ## The device
//
// The notebook uses the default device, chosen by the library: WebGPU on a GPU, and the `cpu`
// backend (float32 WebAssembly SIMD and JavaScript kernels on every core) where the only WebGPU
// adapter is a CPU rasterizer (Mesa's llvmpipe on a machine without a GPU), which is faster there. The first use of the default says so in one
// line when it picked the cpu backend for that reason.
// `DENOGRAD_BACKEND=webgpu` or `setDefaultDevice("webgpu")` forces WebGPU.
// %%
console.log(`training on: ${getDefaultDevice()}`);
// %% [markdown]
// ## The data
//
// `data.CIFAR10` returns the images as uint8 `[3, 32, 32]` arrays (R, G, B planes) and the labels
// 0…9; the class names come from `batches.meta.txt`. The transform `toTensor` scales bytes to
// [0, 1] and `normalize(mean, std)` standardizes each channel with the mean and standard
// deviation of the training images.
// %%
const rawTrain = await data.CIFAR10({ root: ROOT, train: true });
const rawTest = await data.CIFAR10({ root: ROOT, train: false });
const classes = [...rawTrain.classes];
console.log(`CIFAR-10: ${rawTrain.length} train / ${rawTest.length} test images; classes: ${classes.join(", ")}`);
assert.equal(rawTrain.length, 3000);
assert.equal(rawTest.length, 1000);
assert.equal(classes.length, 10);

/** Per-channel mean and standard deviation (in [0, 1] units) of uint8 CHW images. */
function channelStats(images: Uint8Array): { mean: number[]; std: number[] } {
  const n = images.length / 3072;
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < 3; c++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      for (const v of images.subarray(i * 3072 + c * 1024, i * 3072 + (c + 1) * 1024)) (s += v), (s2 += v * v);
    }
    const m = s / (n * 1024);
    mean.push(m / 255);
    std.push(Math.sqrt(s2 / (n * 1024) - m * m) / 255);
  }
  return { mean, std };
}
const { mean, std } = channelStats(rawTrain.images);
console.log(`channel mean ${mean.map((v) => v.toFixed(3))}, std ${std.map((v) => v.toFixed(3))}`);

const transform = data.transforms.compose([data.transforms.toTensor(), data.transforms.normalize(mean, std)]);
/** The first `n` images of a split, with the transform. */
const subset = (ds: data.CIFAR10Dataset, n: number) =>
  new data.CIFAR10Dataset(ds.images.subarray(0, n * 3072), ds.targets.subarray(0, n), ds.classes, transform);
const train = subset(rawTrain, TRAIN_SIZE);
const test = subset(rawTest, TEST_SIZE);
const trainLoader = new data.DataLoader(train, { batchSize: BATCH, shuffle: true, seed: 0 });
const testLoader = new data.DataLoader(test, { batchSize: 250 });
console.log(`using ${train.length} train / ${test.length} test images, ${trainLoader.length} batches of ${BATCH}`);
const counts = classes.map((_, k) => train.targets.filter((t) => t === k).length);
console.log(`training images per class: ${classes.map((c, k) => `${c} ${counts[k]}`).join(", ")}`);
assert.ok(counts.every((n) => n > 0.05 * train.length), "every class is represented");
// %% [markdown]
// ## The model, and the tutorial's `64*8*8` bug
//
// The tutorial's code declares the classifier as `nn.Linear(64 * 8 * 8, 10)`. That is wrong for
// its own model: the convolution (3×3, padding 1) keeps the 32×32 size, and **one** 2×2 max-pool
// halves it to 16×16, so each image reaches the classifier as 64 channels · 16 · 16 = 16384
// features, not 64 · 8 · 8 = 4096 (that would need a second pooling). PyTorch fails at the first
// forward pass with a shape mismatch; so does denograd. We follow the shapes layer by layer,
// check that the wrong layer throws, and build the model with `Linear(64 * 16 * 16, 10)`.
// %%
manualSeed(0);
const model = new nn.Sequential(
  new nn.Conv2d(3, 64, 3, { padding: 1 }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(64 * 16 * 16, 10),
);
const shapes = tidy(() =>
  noGrad(() => {
    let h = randn([2, 3, 32, 32]);
    const out: string[] = [`input            [${h.shape}]`];
    for (const layer of model.children()) {
      h = layer.forward(h) as Tensor;
      out.push(`${layer.constructor.name.padEnd(16)} [${h.shape}]`);
    }
    return out;
  })
);
console.log(shapes.join("\n"));
assert.equal(shapes[3], `MaxPool2d        [2,64,16,16]`);
assert.equal(shapes[4], `Flatten          [2,16384]`);
const tutorialHead = new nn.Linear(64 * 8 * 8, 10);
assert.throws(() => tidy(() => noGrad(() => tutorialHead.forward(randn([2, 64 * 16 * 16])))), RangeError);
const nParams = model.parameters().reduce((s, p) => s + p.size, 0);
console.log(`Linear(64*8*8, 10) on the flattened [2, 16384] activations throws, as in PyTorch`);
console.log(`parameters: ${nParams} (conv 64·3·3·3 + 64, linear 16384·10 + 10)`);
assert.equal(nParams, 64 * 27 + 64 + 16384 * 10 + 10);
// %% [markdown]
// ## Training
//
// Cross entropy on the logits, `optim.SGD` with learning rate 0.01 and momentum 0.9, batches of
// 64, one epoch over the 3000 training images. The step is `compile`d: the first calls are traced,
// then each call replays the recorded kernels without running the step's JavaScript again (it
// helps where the host is the bottleneck: on a GPU, and for small models; on llvmpipe this CNN is
// bound by its convolution kernels). Each call runs inside `tidy` so its result is freed; the loss
// of every step is read back for the curve, outside the step.
//
// With these hyperparameters the loss first *rises* above ln 10 for a couple of dozen steps and
// only then falls: the Linear layer sums 16384 features, so a step of 0.01 with momentum 0.9
// moves the logits a lot. PyTorch 1.13 shows the same transient with this model and data. Quick
// mode (a dozen steps of 32 images) therefore uses learning rate 0.002, which stays stable.
// %%
const lossFn = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(model.parameters(), { lr: LR, momentum: 0.9 });
const losses: number[] = [];
const accuracies: number[] = [];
const trainStep = compile((x: Tensor, y: Tensor): Tensor => {
  optimizer.zeroGrad();
  const l = lossFn.forward(model.forward(x), y);
  l.backward();
  optimizer.step();
  return l;
});
let last: { predicted: Int32Array; actual: Int32Array } = { predicted: new Int32Array(), actual: new Int32Array() };

/** Predicted classes and true labels of the whole test set. */
async function predictTest(): Promise<{ predicted: Int32Array; actual: Int32Array }> {
  model.eval();
  const predicted: number[] = [], actual: number[] = [];
  for await (const [x, y] of testLoader) {
    const p = tidy(() => noGrad(() => model.forward(x).argmax(-1)));
    predicted.push(...(await p.data()));
    actual.push(...(await y.data()));
    for (const t of [p, x, y]) t.dispose();
  }
  model.train();
  return { predicted: Int32Array.from(predicted), actual: Int32Array.from(actual) };
}

const started = performance.now();
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const bar = progress(trainLoader, { label: `epoch ${epoch}/${EPOCHS}` });
  for await (const [x, y] of bar) {
    const loss = tidy(() => trainStep(x, y));
    losses.push(await loss.item());
    for (const t of [loss, x, y]) t.dispose();
    bar.update({ loss: losses.at(-1)! });
  }
  await bar.close();
  last = await predictTest();
  accuracies.push(last.predicted.filter((p, i) => p === last.actual[i]).length / last.actual.length);
  console.log(`epoch ${epoch}: test accuracy ${(100 * accuracies.at(-1)!).toFixed(1)}%`);
}
const seconds = (performance.now() - started) / 1000;
console.log(
  `${losses.length} steps in ${seconds.toFixed(0)} s (${(seconds / losses.length).toFixed(2)} s/step incl. ` +
    `evaluation) on ${getDefaultDevice()}`,
);
const { traces, replays, dispatches } = trainStep.stats;
console.log(
  replays > 0
    ? `captured step: ${traces} traced calls, then ${replays} replays of ${dispatches} kernels each`
    : `the ${getDefaultDevice()} backend does not capture steps: compile ran the step as written`,
);
// %% [markdown]
// ## The loss curve
//
// The per-step loss is noisy (each batch is a different sample of images); a moving average over
// 10 steps shows the trend. It starts near ln 10 ≈ 2.30, the loss of a uniform guess over 10
// classes.
// %%
const window = 10;
const smooth = losses.map((_, i) => {
  const part = losses.slice(Math.max(0, i - window + 1), i + 1);
  return part.reduce((s, v) => s + v, 0) / part.length;
});
const head = losses.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
const tail = losses.slice(-5).reduce((s, v) => s + v, 0) / 5;
console.log(`mean loss of the first 5 steps ${head.toFixed(3)}, of the last 5 ${tail.toFixed(3)}`);
assert.ok(Math.abs(losses[0] - Math.log(10)) < 0.3, "the first loss is close to ln 10");
assert.ok(losses.every((l) => Number.isFinite(l)), "every loss is finite");
if (!QUICK) assert.ok(tail < head, "the loss fell"); // a dozen quick-mode steps are too few to show it
plot.line([{ y: losses, name: "batch loss" }, { y: smooth, name: `mean of ${window} steps` }], {
  title: "Training loss (cross entropy)",
  xTitle: "step",
  yTitle: "loss",
});
// %% [markdown]
// ## Test accuracy and the confusion matrix
//
// Chance is 10 %. One convolution layer and a linear classifier trained for one epoch on 3000
// images gets far more right than that (PyTorch, same setup: about 43 %); the confusion matrix (rows: true class,
// columns: predicted class) shows which classes it mixes up: animals with animals, vehicles with
// vehicles.
// %%
const { predicted, actual } = last; // the test-set predictions after the last epoch
const confusion = plot.confusionMatrix(predicted, actual, { classes, title: "Confusion matrix (test set)" });
const accuracy = confusion.accuracy;
console.log(`test accuracy ${(100 * accuracy).toFixed(1)}% on ${actual.length} images (chance 10%)`);
assert.ok(accuracy > (QUICK ? 0.14 : 0.25), `test accuracy ${accuracy} beats chance clearly`);
const perClass = classes.map((c, k) =>
  `${c} ${(100 * confusion.matrix[k][k] / confusion.matrix[k].reduce((s, v) => s + v, 0)).toFixed(0)}%`
);
console.log(`recall per class: ${perClass.join(", ")}`);
confusion;
// %% [markdown]
// ## Test images with their predictions
//
// The first 24 test images, captioned "predicted (true)" (✓ when right). The pixels are the raw
// uint8 values, not the normalized inputs.
// %%
const shown = 24;
const labels = Array.from({ length: shown }, (_, i) => {
  const [p, a] = [predicted[i], actual[i]];
  return `${classes[p]}${p === a ? " ✓" : ` (${classes[a]})`}`;
});
assert.deepEqual([...actual.subarray(0, shown)], [...rawTest.targets.subarray(0, shown)]);
plot.imageGrid(
  { data: rawTest.images.subarray(0, shown * 3072), shape: [shown, 3, 32, 32] },
  { labels, cols: 8, normalize: [0, 255], title: "Test images: predicted (true)" },
);
