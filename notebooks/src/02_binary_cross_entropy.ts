// Chapter 2: binary cross entropy from scratch. Source of notebooks/02_binary_cross_entropy.ipynb.
// notebook-permissions: read, env
// %% [markdown]
// # 2. Binary cross entropy from scratch
//
// Binary cross entropy (BCE) scores a predicted probability ŷ ∈ (0, 1) against a label
// y ∈ {0, 1}. This notebook writes it out by hand, derives its gradient and checks it against
// autograd (correcting the sign the tutorial got wrong), wraps it in an `nn.Module` with the
// epsilon clamp, and compares it with the built-in `nn.BCELoss` and `nn.BCEWithLogitsLoss` while
// training a logistic-regression model on real handwritten digits.
// %%
import { F, grad, nn, optim, plot, type Tensor, tensor, tidy } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";

/** |a − b| ≤ atol + rtol·|b|, elementwise. */
function close(a: number[], b: number[], rtol = 1e-5, atol = 1e-6): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= atol + rtol * Math.abs(b[i]));
}
const fmt = (v: number, digits = 6) => (v >= 0 ? " " : "") + v.toFixed(digits);
// %% [markdown]
// ## The formula
//
// For N predictions ŷᵢ = P(yᵢ = 1) and labels yᵢ ∈ {0, 1}:
//
// $$L = -\frac{1}{N}\sum_{i=1}^{N}\Big[\,y_i \log \hat y_i + (1 - y_i)\log(1 - \hat y_i)\Big]$$
//
// Only one of the two terms is alive for each sample: −log ŷ when y = 1, −log(1 − ŷ) when y = 0.
// A confident right answer costs almost nothing, a confident wrong one costs without bound.
// Below: the formula in plain numbers, the same formula in tensor ops, and `F.binaryCrossEntropy`.
// %%
const yHatValues = [0.9, 0.2, 0.7, 0.4, 0.05];
const yValues = [1, 0, 1, 0, 1];
const byHand = -yHatValues.reduce((s, p, i) => s + yValues[i] * Math.log(p) + (1 - yValues[i]) * Math.log(1 - p), 0) /
  yHatValues.length;

const yHat = tensor(yHatValues);
const y = tensor(yValues, { dtype: "float32" }); // integer arrays default to int32
const byOps = await y.mul(yHat.log()).add(y.neg().add(1).mul(yHat.neg().add(1).log())).mean().neg().item();
const builtIn = await F.binaryCrossEntropy(yHat, y).item();
console.log(`by hand (float64):       ${byHand.toFixed(6)}`);
console.log(`tensor ops (float32):    ${byOps.toFixed(6)}`);
console.log(`F.binaryCrossEntropy:    ${builtIn.toFixed(6)}`);
assert.ok(close([byOps, builtIn], [byHand, byHand]), "the three agree");
const perSample = (await F.binaryCrossEntropy(yHat, y, { reduction: "none" }).toArray()) as number[];
console.log(`per sample: ${perSample.map((v) => v.toFixed(3)).join(", ")}  (ŷ = 0.05 for y = 1 dominates)`);
assert.equal(perSample.indexOf(Math.max(...perSample)), 4);
// %% [markdown]
// ### The two branches as curves
//
// −log ŷ (for y = 1) falls to 0 as ŷ → 1 and grows without bound as ŷ → 0; −log(1 − ŷ) (for y = 0)
// is its mirror image. Both values come from `F.binaryCrossEntropy(…, { reduction: "none" })`.
// %%
const grid = Array.from({ length: 199 }, (_, i) => 0.005 + i * 0.005);
const ones = grid.map(() => 1);
const zeros = grid.map(() => 0);
const curve1 = (await F.binaryCrossEntropy(tensor(grid), tensor(ones, { dtype: "float32" }), { reduction: "none" })
  .toArray()) as number[];
const curve0 = (await F.binaryCrossEntropy(tensor(grid), tensor(zeros, { dtype: "float32" }), { reduction: "none" })
  .toArray()) as number[];
assert.ok(close(curve1, grid.map((p) => -Math.log(p)), 1e-5, 1e-5));
assert.ok(close(curve0, grid.map((p) => -Math.log(1 - p)), 1e-5, 1e-5));
plot.line(
  [{ x: grid, y: curve1, name: "y = 1: −log ŷ" }, { x: grid, y: curve0, name: "y = 0: −log(1 − ŷ)", dash: "dash" }],
  { title: "BCE of one sample against the prediction ŷ", xTitle: "ŷ", yTitle: "loss" },
);
// %% [markdown]
// ## The gradient, and the sign the tutorial got wrong
//
// Differentiating one sample's loss ℓ = −[y log ŷ + (1 − y) log(1 − ŷ)]:
//
// $$\frac{\partial \ell}{\partial \hat y} = -\frac{y}{\hat y} + \frac{1-y}{1-\hat y}
//   = \frac{\hat y - y}{\hat y(1-\hat y)}$$
//
// (the mean over N samples multiplies each by 1/N). The sign matters: when ŷ is too large
// (ŷ > y) the gradient is positive, so gradient *descent* lowers ŷ. **The tutorial writes
// (y − ŷ)/(ŷ(1 − ŷ)), the opposite sign**: a step along minus that "gradient" raises the loss.
//
// With a sigmoid output ŷ = σ(z) of a logit z, the chain rule multiplies by σ'(z) = ŷ(1 − ŷ), which
// cancels the denominator:
//
// $$\frac{\partial \ell}{\partial z} = \hat y - y$$
//
// Below, central finite differences (in float64 on the cpu backend) against autograd (`grad`),
// our formula and the tutorial's, side by side.
// %%
const f64 = { dtype: "float64", device: "cpu" } as const;
const N = yHatValues.length;
const yHat64 = tensor(yHatValues, { ...f64, requiresGrad: true });
const y64 = tensor(yValues, f64);
const [autoGrad] = grad([F.binaryCrossEntropy(yHat64, y64)], [yHat64]);
const autograd = (await autoGrad!.toArray()) as number[];

const bceAt = async (values: number[]) => await F.binaryCrossEntropy(tensor(values, f64), y64).item();
const h = 1e-6;
const finiteDiff: number[] = [];
for (let i = 0; i < N; i++) {
  const up = yHatValues.map((v, j) => (j === i ? v + h : v));
  const down = yHatValues.map((v, j) => (j === i ? v - h : v));
  finiteDiff.push(((await bceAt(up)) - (await bceAt(down))) / (2 * h));
}
const ours = yHatValues.map((p, i) => (p - yValues[i]) / (p * (1 - p)) / N);
const tutorial = yHatValues.map((p, i) => (yValues[i] - p) / (p * (1 - p)) / N);

console.log("  ŷ     y   finite diff   autograd     ours (ŷ−y)/(ŷ(1−ŷ))/N   tutorial (y−ŷ)/(ŷ(1−ŷ))/N");
for (let i = 0; i < N; i++) {
  console.log(
    `${yHatValues[i].toFixed(2)}   ${yValues[i]}  ${fmt(finiteDiff[i])}  ${fmt(autograd[i])}  ${fmt(ours[i])}` +
      `               ${fmt(tutorial[i])}`,
  );
}
assert.ok(close(autograd, finiteDiff, 1e-6, 1e-8), "autograd matches finite differences");
assert.ok(close(ours, autograd, 1e-9, 1e-12), "our formula matches autograd");
assert.ok(tutorial.every((t, i) => Math.sign(t) === -Math.sign(autograd[i])), "the tutorial's has the opposite sign");
// %% [markdown]
// With respect to the logit: ŷ = σ(z), the loss from `F.binaryCrossEntropyWithLogits`, and the
// gradient (ŷ − y)/N.
// %%
const logitValues = yHatValues.map((p) => Math.log(p / (1 - p)));
const z64 = tensor(logitValues, { ...f64, requiresGrad: true });
const [zGrad] = grad([F.binaryCrossEntropyWithLogits(z64, y64)], [z64]);
const autogradZ = (await zGrad!.toArray()) as number[];
const oursZ = yHatValues.map((p, i) => (p - yValues[i]) / N);
const finiteDiffZ: number[] = [];
for (let i = 0; i < N; i++) {
  const at = async (d: number) =>
    await F.binaryCrossEntropyWithLogits(tensor(logitValues.map((v, j) => (j === i ? v + d : v)), f64), y64).item();
  finiteDiffZ.push(((await at(h)) - (await at(-h))) / (2 * h));
}
console.log("   z      y   finite diff   autograd     ours (ŷ−y)/N");
for (let i = 0; i < N; i++) {
  console.log(
    `${fmt(logitValues[i], 3)}   ${yValues[i]}  ${fmt(finiteDiffZ[i])}  ${fmt(autogradZ[i])}  ${fmt(oursZ[i])}`,
  );
}
assert.ok(close(autogradZ, finiteDiffZ, 1e-6, 1e-8));
assert.ok(close(oursZ, autogradZ, 1e-9, 1e-12));
// %% [markdown]
// What the wrong sign does: one gradient step ŷ ← ŷ − η·g from the same ŷ. With the correct
// gradient the loss falls; with the tutorial's it rises.
// %%
const eta = 0.02;
const stepWith = (g: number[]) => yHatValues.map((p, i) => Math.min(0.999, Math.max(0.001, p - eta * g[i])));
const before = await bceAt(yHatValues);
const afterOurs = await bceAt(stepWith(ours));
const afterTutorial = await bceAt(stepWith(tutorial));
console.log(`loss before: ${before.toFixed(4)}`);
console.log(`after a step along −(ŷ−y)/(ŷ(1−ŷ)):  ${afterOurs.toFixed(4)}  (falls)`);
console.log(`after a step along −(y−ŷ)/(ŷ(1−ŷ)):  ${afterTutorial.toFixed(4)}  (rises)`);
assert.ok(afterOurs < before && afterTutorial > before);
// %% [markdown]
// ## A `BinaryCrossEntropyLoss` module
//
// The loss as a module, like the tutorial's, with one safeguard: log 0 = −∞, so ŷ is clamped to
// [ε, 1 − ε] before taking logs (PyTorch's `BCELoss` clamps each log at −100 instead; away from
// the edges the two agree). A loss module is an `nn.Module` with no parameters; its `forward`
// takes the prediction and the target.
// %%
class BinaryCrossEntropyLoss extends nn.Module {
  /** @param eps predictions are clamped to [eps, 1 − eps] (default 1e-7). */
  constructor(readonly eps = 1e-7) {
    super();
  }

  /** −mean[y log ŷ + (1 − y) log(1 − ŷ)] of predictions `yHat` ∈ (0, 1) against labels `y`. */
  override forward(yHat: Tensor, y: Tensor): Tensor {
    const p = yHat.clamp(this.eps, 1 - this.eps);
    return y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log())).mean().neg();
  }
}
const customLoss = new BinaryCrossEntropyLoss();
const custom = await customLoss.forward(yHat, y).item();
console.log(`BinaryCrossEntropyLoss: ${custom.toFixed(6)}, nn.BCELoss: ${builtIn.toFixed(6)}`);
assert.ok(close([custom], [builtIn]));
// the clamp keeps a confident wrong answer finite
const extreme = await customLoss.forward(tensor([0, 1], { dtype: "float32" }), tensor([1, 0], { dtype: "float32" }))
  .item();
console.log(`ŷ = 0 for y = 1 and ŷ = 1 for y = 0: ${extreme.toFixed(3)} (finite thanks to ε)`);
assert.ok(Number.isFinite(extreme));
// %% [markdown]
// ## A model that actually has weights
//
// The tutorial builds its model as `nn.Sigmoid()` and reads `model.weight`. That attribute does not
// exist: a sigmoid is a fixed function with **no parameters**, so there is nothing to train.
// Logistic regression needs a linear layer in front of it: ŷ = σ(w·x + b).
// %%
const sigmoidOnly = new nn.Sigmoid();
console.log(`new nn.Sigmoid().parameters().length = ${sigmoidOnly.parameters().length}`);
console.log(`"weight" in new nn.Sigmoid(): ${"weight" in sigmoidOnly}`);
assert.equal(sigmoidOnly.parameters().length, 0);
assert.equal("weight" in sigmoidOnly, false);

const linear = new nn.Linear(64, 1);
const model = new nn.Sequential(linear); // outputs the logit z; ŷ = σ(z)
console.log(
  `nn.Sequential(nn.Linear(64, 1)) parameters: ${
    model.namedParameters().map(([name, p]) => `${name} [${p.shape}]`).join(", ")
  }`,
);
assert.equal(model.parameters().length, 2);
// %% [markdown]
// ## Data: two classes of real handwritten digits
//
// The scikit-learn digits (1797 scans of 8×8 pixels with values 0–16, from the UCI Optical
// Recognition of Handwritten Digits set) read from `../../shared/data/sklearn-digits/digits.csv.gz`
// with the web-standard `DecompressionStream`. We keep the 3s (label 0) and the 8s (label 1), which
// look alike, scale pixels to [0, 1], and hold out every fourth image as a test set.
// %%
async function loadDigits(): Promise<{ pixels: number[][]; labels: number[] }> {
  const file = await Deno.open("../../shared/data/sklearn-digits/digits.csv.gz");
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
  return { pixels: rows.map((r) => r.slice(0, 64).map((v) => v / 16)), labels: rows.map((r) => r[64]) };
}
const digits = await loadDigits();
assert.equal(digits.labels.length, 1797);
const keep = digits.labels.map((d, i) => (d === 3 || d === 8 ? i : -1)).filter((i) => i >= 0);
const trainIdx = keep.filter((_, k) => k % 4 !== 0);
const testIdx = keep.filter((_, k) => k % 4 === 0);
const xTrain = tensor(trainIdx.map((i) => digits.pixels[i]));
const yTrain = tensor(trainIdx.map((i) => [digits.labels[i] === 8 ? 1 : 0]), { dtype: "float32" });
const xTest = tensor(testIdx.map((i) => digits.pixels[i]));
const yTestLabels = testIdx.map((i) => (digits.labels[i] === 8 ? 1 : 0));
console.log(`3s vs 8s: ${trainIdx.length} training images, ${testIdx.length} test images`);
plot.imageGrid(
  { data: keep.slice(0, 16).flatMap((i) => digits.pixels[i]), shape: [16, 1, 8, 8] },
  { labels: keep.slice(0, 16).map((i) => String(digits.labels[i])), cols: 8, title: "Some 3s and 8s" },
);
// %% [markdown]
// ## The three losses agree, in value and in gradient
//
// On the untrained model: our module on ŷ = σ(z), `nn.BCELoss` on ŷ, and `nn.BCEWithLogitsLoss`
// on the logit z (which fuses the sigmoid into the loss and is the numerically stable choice in
// practice). Their gradients with respect to the weights should coincide too.
// %%
const bceLoss = new nn.BCELoss();
const bceWithLogits = new nn.BCEWithLogitsLoss();
const lossesOf = (m: nn.Sequential) => {
  const logits = m.forward(xTrain);
  const probs = logits.sigmoid();
  return {
    custom: customLoss.forward(probs, yTrain),
    bce: bceLoss.forward(probs, yTrain),
    withLogits: bceWithLogits.forward(logits, yTrain),
  };
};
const initial = lossesOf(model);
const values = {
  custom: await initial.custom.item(),
  bce: await initial.bce.item(),
  withLogits: await initial.withLogits.item(),
};
console.log(
  `custom ${values.custom.toFixed(6)}   nn.BCELoss ${values.bce.toFixed(6)}   ` +
    `nn.BCEWithLogitsLoss ${values.withLogits.toFixed(6)}`,
);
assert.ok(close([values.custom, values.bce], [values.withLogits, values.withLogits]));

const params = [linear.weight, linear.bias!];
const grads: Record<string, number[]> = {};
for (const [name, loss] of Object.entries(initial)) {
  const [gw, gb] = grad([loss], params, { retainGraph: true }); // the three share the forward graph
  grads[name] = [...((await gw!.data()) as Float32Array), ...((await gb!.data()) as Float32Array)];
}
console.log("gradient of the first 6 weights and of the bias:");
for (const [name, g] of Object.entries(grads)) {
  console.log(`  ${name.padEnd(10)} ${g.slice(0, 6).map((v) => fmt(v, 5)).join(" ")}  …  bias ${fmt(g[64], 5)}`);
}
assert.ok(close(grads.custom, grads.withLogits, 1e-4, 1e-6));
assert.ok(close(grads.bce, grads.withLogits, 1e-4, 1e-6));
// %% [markdown]
// The same gradient in closed form, checking the chain rule above: ∂L/∂w = (1/N) Σᵢ (ŷᵢ − yᵢ) xᵢ
// and ∂L/∂b = (1/N) Σᵢ (ŷᵢ − yᵢ).
// %%
const residual = model.forward(xTrain).sigmoid().sub(yTrain); // [N, 1]
const closedW = (await residual.T.matmul(xTrain).div(trainIdx.length).data()) as Float32Array;
const closedB = await residual.mean().item();
assert.ok(close([...closedW, closedB], grads.withLogits, 1e-4, 1e-6));
console.log("closed form (ŷ − y)·x / N matches autograd");
// %% [markdown]
// ## Training with our loss
//
// Full-batch gradient descent (`optim.SGD`) on our `BinaryCrossEntropyLoss`, logging the two
// built-in losses alongside. Each step runs inside `tidy` so that intermediate tensors are freed.
// %%
const steps = QUICK ? 40 : 150;
const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
const history = { custom: [] as number[], bce: [] as number[], withLogits: [] as number[] };
for (let step = 0; step < steps; step++) {
  const ls = tidy(() => {
    opt.zeroGrad();
    const l = lossesOf(model);
    l.custom.backward();
    opt.step();
    return l;
  });
  history.custom.push(await ls.custom.item());
  history.bce.push(await ls.bce.item());
  history.withLogits.push(await ls.withLogits.item());
  Object.values(ls).forEach((t) => t.dispose());
}
console.log(`loss: ${history.custom[0].toFixed(4)} → ${history.custom.at(-1)!.toFixed(4)} after ${steps} steps`);
assert.ok(history.custom.at(-1)! < history.custom[0] / 3, "the loss fell by more than 3×");
assert.ok(close(history.custom, history.withLogits, 1e-4, 1e-5), "the three losses agree at every step");
assert.ok(close(history.bce, history.withLogits, 1e-4, 1e-5));
plot.line(
  [
    { y: history.custom, name: "BinaryCrossEntropyLoss (ours)" },
    { y: history.bce, name: "nn.BCELoss", dash: "dash" },
    { y: history.withLogits, name: "nn.BCEWithLogitsLoss", dash: "dot" },
  ],
  { title: "Training loss, 3s vs 8s", xTitle: "step", yTitle: "BCE", logY: true },
);
// %% [markdown]
// ## Gradients after training, and test accuracy
//
// The weight gradient at the end of training, drawn as an 8×8 image (one value per pixel), and the
// accuracy on the held-out images (ŷ > 0.5 means "8").
// %%
opt.zeroGrad();
lossesOf(model).custom.backward();
console.log("weight gradient after training, ×1000 (as 8×8, one value per pixel):");
await linear.weight.grad!.reshape([8, 8]).mul(1000).print({ precision: 2, linewidth: 120 });
console.log(`bias gradient: ${(await linear.bias!.grad!.item()).toExponential(3)}`);
const predicted = (await model.forward(xTest).sigmoid().data()) as Float32Array;
const correct = yTestLabels.filter((label, i) => (predicted[i] > 0.5 ? 1 : 0) === label).length;
const accuracy = correct / yTestLabels.length;
console.log(`test accuracy: ${(100 * accuracy).toFixed(1)} % (${correct}/${yTestLabels.length}); chance ≈ 50 %`);
assert.ok(accuracy > 0.9, "logistic regression separates 3s from 8s");
plot.heatmap(
  (await linear.weight.reshape([8, 8]).toArray()) as number[][],
  { title: "Learned weights w per pixel (high: evidence for 8, low: for 3)", colorscale: "RdBu" },
);
