// Chapter 3: multi-class cross entropy. Source of notebooks/03_multiclass_cross_entropy.ipynb.
// notebook-permissions: read, env
// %% [markdown]
// # 3. Multi-class cross entropy
//
// With C classes a model outputs C unnormalized scores (logits) per sample; softmax turns them into
// a distribution and cross entropy scores it against the true class. This notebook checks the
// formula, shows that cross entropy is the negative log-likelihood of a log-softmax, why it must be
// computed with the log-sum-exp trick, and what label smoothing, class weights and `ignoreIndex`
// do. It ends with a softmax classifier for the ten digits.
// %%
import { F, nn, optim, plot, type Tensor, tensor, tidy } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";

/** |a − b| ≤ atol + rtol·|b|, elementwise. */
function close(a: number[], b: number[], rtol = 1e-5, atol = 1e-6): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= atol + rtol * Math.abs(b[i]));
}
const int32 = (data: number[]) => tensor(data, { dtype: "int32" });
/** log Σ exp(v), computed stably in float64. */
const logSumExp = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
};
// %% [markdown]
// ## The formula
//
// For N samples with logits zᵢ ∈ ℝᶜ and one-hot targets y_{i,c}, the softmax probabilities are
// p_{i,c} = exp(z_{i,c}) / Σ_k exp(z_{i,k}) and
//
// $$L = -\frac{1}{N}\sum_{i=1}^{N}\sum_{c=1}^{C} y_{i,c}\,\log p_{i,c}
//     = -\frac{1}{N}\sum_{i=1}^{N} \log p_{i,y_i}$$
//
// since only the true class yᵢ survives the inner sum. With C = 2 and one logit fixed at 0 this is
// the binary cross entropy of chapter 2. The gradient with respect to the logits is again
// "prediction minus target": ∂L/∂z_{i,c} = (p_{i,c} − y_{i,c}) / N.
// %%
const logitRows = [
  [2.0, 1.0, 0.1],
  [0.5, 2.5, 0.3],
  [0.2, 0.4, 3.0],
  [1.5, 1.4, 1.3],
];
const targetIdx = [0, 1, 2, 1];
const byHand = -logitRows.reduce((s, z, i) => s + z[targetIdx[i]] - logSumExp(z), 0) / logitRows.length;

const logits = tensor(logitRows);
const target = int32(targetIdx);
const ce = await F.crossEntropy(logits, target).item();
const nll = await F.nllLoss(F.logSoftmax(logits, 1), target).item();
const oneHotForm = await F.oneHot(target, 3).float().mul(logits.logSoftmax(1)).sum(1).mean().neg().item();
const moduleForm = await new nn.CrossEntropyLoss().forward(logits, target).item();
console.log(`by hand (float64):             ${byHand.toFixed(6)}`);
console.log(`F.crossEntropy:                ${ce.toFixed(6)}`);
console.log(`F.nllLoss(F.logSoftmax(z, 1)): ${nll.toFixed(6)}`);
console.log(`−mean Σ_c y·log p (one-hot):   ${oneHotForm.toFixed(6)}`);
console.log(`nn.CrossEntropyLoss:           ${moduleForm.toFixed(6)}`);
assert.ok(close([ce, nll, oneHotForm, moduleForm], Array(4).fill(byHand)), "cross entropy = NLL(logSoftmax)");
// %% [markdown]
// The gradient (p − y)/N from autograd:
// %%
const z = tensor(logitRows, { requiresGrad: true });
F.crossEntropy(z, target).backward();
const autogradRows = (await z.grad!.toArray()) as number[][];
const expected = logitRows.map((row, i) =>
  row.map((v, c) => (Math.exp(v - logSumExp(row)) - (c === targetIdx[i] ? 1 : 0)) / logitRows.length)
);
await z.grad!.print();
assert.ok(close(autogradRows.flat(), expected.flat()), "∂L/∂z = (softmax(z) − onehot(y)) / N");
assert.ok(autogradRows.every((row) => Math.abs(row.reduce((a, b) => a + b, 0)) < 1e-6), "each row sums to 0");
// %% [markdown]
// ## Why log-sum-exp is needed
//
// Written naively, softmax computes exp(z) first. In float32 exp overflows to ∞ above z ≈ 88.7
// and underflows to 0 below z ≈ −103, so logits like [1000, 999, 998] give ∞/∞ = NaN and
// [−1000, −999, −998] give 0/0 = NaN. Softmax does not change when a constant is subtracted from
// every logit, so the stable form subtracts the maximum m first:
//
// $$\log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m}, \qquad
//   \log p_c = z_c - \log \sum_k e^{z_k}$$
//
// Now the largest exponent is e⁰ = 1: nothing overflows, and the log never sees 0.
// %%
const naiveSoftmax = (t: Tensor) => t.exp().div(t.exp().sum(1, { keepdim: true }));
const stableSoftmax = (t: Tensor) =>
  t.sub(t.max(1, { keepdim: true })).exp().div(
    t.sub(t.max(1, { keepdim: true })).exp().sum(1, { keepdim: true }),
  );
const huge = tensor([[1000, 999, 998], [-1000, -999, -998]], { dtype: "float32" });
const naive = (await naiveSoftmax(huge).toArray()) as number[][];
const stable = (await stableSoftmax(huge).toArray()) as number[][];
const naiveLse = (await huge.exp().sum(1).log().toArray()) as number[];
const stableLse = (await huge.logsumexp(1).toArray()) as number[];
console.log(`naive softmax:     ${naive.map((r) => `[${r}]`).join(" ")}`);
console.log(`stable softmax:    ${stable.map((r) => `[${r.map((v) => v.toFixed(4))}]`).join(" ")}`);
console.log(`naive log Σ exp:   ${naiveLse}`);
console.log(`t.logsumexp(1):    ${stableLse.map((v) => v.toFixed(4))}`);
assert.ok(naive.flat().every(Number.isNaN), "the naive softmax is NaN for both rows");
assert.ok(naiveLse[0] === Infinity && naiveLse[1] === -Infinity, "the naive log-sum-exp overflows / underflows");
assert.ok(close(stableLse, [logSumExp([1000, 999, 998]), logSumExp([-1000, -999, -998])]));
const exact = [2, 1, 0].map((v) => Math.exp(v - logSumExp([2, 1, 0]))); // softmax is shift-invariant
assert.ok(close(stable.flat(), [...exact, ...exact.toReversed()]), "the stable softmax is finite and exact");

const hugeTarget = int32([2, 2]);
const naiveCe = await naiveSoftmax(huge).log().gather(1, hugeTarget.reshape([2, 1])).mean().neg().item();
const stableCe = await F.crossEntropy(huge, hugeTarget).item();
// row 0: −log p of the smallest of [1000, 999, 998]; row 1: of the largest of [−1000, −999, −998]
const expectedCe = ((logSumExp([2, 1, 0]) - 0) + (logSumExp([0, 1, 2]) - 2)) / 2;
console.log(
  `cross entropy, naive: ${naiveCe}; F.crossEntropy: ${stableCe.toFixed(6)} (exact ${expectedCe.toFixed(6)})`,
);
assert.ok(Number.isNaN(naiveCe));
assert.ok(close([stableCe], [expectedCe]), "F.crossEntropy stays finite and exact");
// %% [markdown]
// ## Label smoothing
//
// With smoothing ε the one-hot target becomes q = (1 − ε)·onehot(y) + ε/C, so the loss of one
// sample is (PyTorch's definition)
//
// $$\ell = (1-\varepsilon)\,(-\log p_y) + \frac{\varepsilon}{C}\sum_{c=1}^{C} (-\log p_c)$$
//
// The second term punishes any class whose probability goes to 0, so the model can no longer
// lower the loss by pushing the true logit to infinity: the minimum of ℓ is at p = q, not at the
// one-hot. First the values, against the formula:
// %%
const eps = 0.1;
const C = 3;
const smoothByHand = logitRows.reduce((s, row, i) => {
  const lse = logSumExp(row);
  const nllTerm = lse - row[targetIdx[i]];
  const uniformTerm = row.reduce((a, v) => a + (lse - v), 0) / C;
  return s + (1 - eps) * nllTerm + eps * uniformTerm;
}, 0) / logitRows.length;
const smoothed = await F.crossEntropy(logits, target, { labelSmoothing: eps }).item();
console.log(`ε = 0: ${ce.toFixed(6)}   ε = 0.1: ${smoothed.toFixed(6)} (formula: ${smoothByHand.toFixed(6)})`);
assert.ok(close([smoothed], [smoothByHand]));
// the same as cross entropy against the smoothed probability target
const qRows = targetIdx.map((t) => Array.from({ length: C }, (_, c) => (c === t ? 1 - eps : 0) + eps / C));
const softTarget = await F.crossEntropy(logits, tensor(qRows)).item();
assert.ok(close([softTarget], [smoothByHand]), "= cross entropy against q = (1−ε)·onehot + ε/C");
// %% [markdown]
// What it does to the prediction: free logits for one sample of C = 5 classes, trained by gradient
// descent towards class 0 with ε = 0 and ε = 0.1. Without smoothing p₀ creeps towards 1 (the
// logits grow without bound); with smoothing it settles at 1 − ε + ε/C = 0.92 and the other
// classes keep ε/C = 0.02 each.
// %%
const classes = 5;
const trainFree = async (labelSmoothing: number) => {
  const w = tensor([Array(classes).fill(0)], { dtype: "float32", requiresGrad: true });
  const opt = new optim.SGD([w], { lr: 5 });
  const label = int32([0]);
  for (let step = 0; step < 150; step++) {
    tidy(() => {
      opt.zeroGrad();
      F.crossEntropy(w, label, { labelSmoothing }).backward();
      opt.step();
    });
  }
  const probs = ((await w.softmax(1).toArray()) as number[][])[0];
  const loss = await F.crossEntropy(w, label, { labelSmoothing }).item();
  return { probs, loss, maxLogit: ((await w.toArray()) as number[][])[0][0] };
};
const hard = await trainFree(0);
const soft = await trainFree(0.1);
console.log(`ε = 0:   p = [${hard.probs.map((v) => v.toFixed(4))}], logit₀ = ${hard.maxLogit.toFixed(2)}`);
console.log(`ε = 0.1: p = [${soft.probs.map((v) => v.toFixed(4))}], logit₀ = ${soft.maxLogit.toFixed(2)}`);
assert.ok(hard.probs[0] > 0.99, "without smoothing the prediction approaches one-hot");
assert.ok(Math.abs(soft.probs[0] - 0.92) < 0.005, "with smoothing p₀ → 1 − ε + ε/C");
assert.ok(soft.probs.slice(1).every((p) => Math.abs(p - 0.02) < 0.002), "other classes → ε/C");
assert.ok(soft.loss > hard.loss, "the smoothed loss keeps a floor (the entropy of q)");
const classNames = ["0 (true)", ...Array.from({ length: classes - 1 }, (_, c) => String(c + 1))];
new plot.Figure(
  [
    { type: "bar", name: "ε = 0", x: classNames, y: hard.probs },
    { type: "bar", name: "ε = 0.1", x: classNames, y: soft.probs },
  ],
  {
    title: { text: "Predicted distribution after training, with and without label smoothing" },
    xaxis: { title: { text: "class" } },
    yaxis: { title: { text: "softmax probability" } },
    barmode: "group",
  },
);
// %% [markdown]
// ## Class weights
//
// With a weight w_c per class each sample's loss is scaled by w_{yᵢ}, and the `"mean"` reduction
// divides by the sum of the weights used (not by N):
//
// $$L = \frac{\sum_i w_{y_i}\,(-\log p_{i,y_i})}{\sum_i w_{y_i}}$$
//
// %%
const classWeight = [1, 3, 0.5];
const rowLosses = logitRows.map((row, i) => logSumExp(row) - row[targetIdx[i]]);
const weightedByHand = rowLosses.reduce((s, l, i) => s + classWeight[targetIdx[i]] * l, 0) /
  targetIdx.reduce((s, t) => s + classWeight[t], 0);
const weighted = await F.crossEntropy(logits, target, { weight: tensor(classWeight, { dtype: "float32" }) }).item();
console.log(`weighted cross entropy: ${weighted.toFixed(6)} (formula: ${weightedByHand.toFixed(6)})`);
assert.ok(close([weighted], [weightedByHand]));
// %% [markdown]
// Weights matter when classes are imbalanced. Below, 3s against 8s from the scikit-learn digits
// (8×8 scans, UCI, read from `../../shared/data/sklearn-digits/digits.csv.gz`) where the training
// set keeps every 3 but only 10 of the 8s. Unweighted, the rare class is under-predicted; with
// weights inversely proportional to the class counts, both classes count equally.
// %%
async function loadDigits(): Promise<{ pixels: number[][]; labels: number[] }> {
  const file = await Deno.open("../../shared/data/sklearn-digits/digits.csv.gz");
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
  return { pixels: rows.map((r) => r.slice(0, 64).map((v) => v / 16)), labels: rows.map((r) => r[64]) };
}
const digits = await loadDigits();
assert.equal(digits.labels.length, 1797);

const idx3 = digits.labels.flatMap((d, i) => (d === 3 ? [i] : []));
const idx8 = digits.labels.flatMap((d, i) => (d === 8 ? [i] : []));
const imbTrain = [...idx3.filter((_, k) => k % 2 === 0), ...idx8.filter((_, k) => k % 2 === 0).slice(0, 10)];
const imbTest = [...idx3.filter((_, k) => k % 2 === 1), ...idx8.filter((_, k) => k % 2 === 1)];
const binaryLabel = (i: number) => (digits.labels[i] === 8 ? 1 : 0);
const xImb = tensor(imbTrain.map((i) => digits.pixels[i]));
const yImb = int32(imbTrain.map(binaryLabel));
const xImbTest = tensor(imbTest.map((i) => digits.pixels[i]));
const counts = [0, 1].map((c) => imbTrain.filter((i) => binaryLabel(i) === c).length);
const inverse = counts.map((n) => imbTrain.length / (2 * n));
console.log(
  `training counts: ${counts[0]} threes, ${counts[1]} eights → weights [${inverse.map((w) => w.toFixed(2))}]`,
);

const fitImbalanced = async (weight: number[] | null) => {
  const model = new nn.Linear(64, 2);
  nn.init.zeros_(model.weight); // the same start for both runs
  nn.init.zeros_(model.bias!);
  const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
  const w = weight ? tensor(weight, { dtype: "float32" }) : null;
  for (let step = 0; step < (QUICK ? 40 : 100); step++) {
    tidy(() => {
      opt.zeroGrad();
      F.crossEntropy(model.forward(xImb), yImb, { weight: w }).backward();
      opt.step();
    });
  }
  const probs = (await model.forward(xImbTest).softmax(1).toArray()) as number[][];
  const rare = imbTest.map((i, k) => [binaryLabel(i), probs[k][1]]).filter(([label]) => label === 1);
  const recall = rare.filter(([, p]) => p > 0.5).length / rare.length;
  const meanP = rare.reduce((s, [, p]) => s + p, 0) / rare.length;
  const accuracy = imbTest.filter((i, k) => (probs[k][1] > 0.5 ? 1 : 0) === binaryLabel(i)).length / imbTest.length;
  return { recall, meanP, accuracy };
};
const plain = await fitImbalanced(null);
const balanced = await fitImbalanced(inverse);
for (const [name, r] of [["unweighted", plain], ["weighted", balanced]] as const) {
  console.log(
    `${name.padEnd(10)}  recall of 8s ${(100 * r.recall).toFixed(1)} %, mean p(8 | an 8) ${r.meanP.toFixed(3)}, ` +
      `test accuracy ${(100 * r.accuracy).toFixed(1)} %`,
  );
}
assert.ok(balanced.recall > plain.recall, "class weights recover more of the rare class");
assert.ok(balanced.meanP > plain.meanP);
// %% [markdown]
// ## `ignoreIndex`
//
// Targets equal to `ignoreIndex` (default −100) contribute nothing: no loss, no gradient, and
// they are left out of the mean's denominator. This is how padding tokens are skipped in sequence
// models. Here rows 1 and 3 are ignored, so the loss equals the loss of rows 0 and 2 alone.
// %%
const withIgnored = int32([0, -100, 2, -100]);
const zi = tensor(logitRows, { requiresGrad: true });
const ignoredLoss = F.crossEntropy(zi, withIgnored);
ignoredLoss.backward();
const subsetLoss = await F.crossEntropy(tensor([logitRows[0], logitRows[2]]), int32([0, 2])).item();
console.log(
  `with ignored rows: ${(await ignoredLoss.item()).toFixed(6)}; rows 0 and 2 alone: ${subsetLoss.toFixed(6)}`,
);
await zi.grad!.print();
const gi = (await zi.grad!.toArray()) as number[][];
assert.ok(close([await ignoredLoss.item()], [subsetLoss]));
assert.ok([...gi[1], ...gi[3]].every((v) => v === 0), "ignored rows get no gradient");
const customIgnore = await F.crossEntropy(logits, int32([0, 1, 2, 0]), { ignoreIndex: 0 }).item();
assert.ok(close([customIgnore], [(rowLosses[1] + rowLosses[2]) / 2]), "any class can be the ignored index");
// %% [markdown]
// ## A softmax classifier for the ten digits
//
// Multinomial logistic regression: one `nn.Linear(64, 10)` producing logits, `nn.CrossEntropyLoss`
// (log-softmax and NLL in one stable pass), and Adam, full batch. Every fourth image is held out.
// %%
const trainAll = digits.labels.map((_, i) => i).filter((i) => i % 4 !== 0);
const testAll = digits.labels.map((_, i) => i).filter((i) => i % 4 === 0);
const xTrain = tensor(trainAll.map((i) => digits.pixels[i]));
const yTrain = int32(trainAll.map((i) => digits.labels[i]));
const xTest = tensor(testAll.map((i) => digits.pixels[i]));
const yTest = int32(testAll.map((i) => digits.labels[i]));

const classifier = new nn.Linear(64, 10);
const lossFn = new nn.CrossEntropyLoss();
const opt = new optim.Adam(classifier.parameters(), { lr: 0.05 });
const steps = QUICK ? 40 : 150;
const trainLoss: number[] = [];
const testLoss: number[] = [];
for (let step = 0; step < steps; step++) {
  const [lt, lv] = tidy(() => {
    opt.zeroGrad();
    const l = lossFn.forward(classifier.forward(xTrain), yTrain);
    l.backward();
    opt.step();
    return [l, lossFn.forward(classifier.forward(xTest), yTest).detach()];
  });
  trainLoss.push(await lt.item());
  testLoss.push(await lv.item());
  lt.dispose();
  lv.dispose();
}
const predicted = (await classifier.forward(xTest).argmax(1).toArray()) as number[];
const actual = testAll.map((i) => digits.labels[i]);
const accuracy = predicted.filter((p, k) => p === actual[k]).length / actual.length;
console.log(
  `train loss ${trainLoss[0].toFixed(3)} → ${trainLoss.at(-1)!.toFixed(3)}, ` +
    `test loss ${testLoss[0].toFixed(3)} → ${testLoss.at(-1)!.toFixed(3)} after ${steps} steps`,
);
console.log(`test accuracy: ${(100 * accuracy).toFixed(1)} % on ${actual.length} images (chance: 10 %)`);
assert.ok(trainLoss.at(-1)! < trainLoss[0] / 5, "the training loss fell by more than 5×");
assert.ok(accuracy > 0.85, "the softmax classifier beats 85 %");
plot.line([{ y: trainLoss, name: "train" }, { y: testLoss, name: "test", dash: "dash" }], {
  title: "Cross entropy of the digit classifier",
  xTitle: "step",
  yTitle: "loss",
  logY: true,
});
// %%
plot.confusionMatrix(predicted, actual, {
  classes: Array.from({ length: 10 }, (_, i) => String(i)),
  title: `Confusion matrix on the test images (accuracy ${(100 * accuracy).toFixed(1)} %)`,
});
