// Chapter 10: multi-task weighting and masked sequence losses. Source of notebooks/10_multitask_adaptive.ipynb.
// notebook-permissions: read, env
// %% [markdown]
// # 10. Multi-task losses and masked sequence losses
//
// Two situations where *which* terms enter the loss, and with what weight, is the whole question:
//
// 1. **Several tasks on one network.** A shared trunk feeds two heads, one classifying the sklearn
//    digits, one regressing each digit's ink mass. The total loss is a weighted sum of the task
//    losses, and the weights matter as soon as the losses live on different scales. We compare a
//    fixed sum with weights *learned* from each task's uncertainty (Kendall, Gal & Cipolla 2018).
// 2. **Sequences of different lengths in one batch.** They are padded to a common length, and the
//    padding must not count: cross entropy over `[N, C, L]` logits with `ignoreIndex` at the pad
//    positions.
// %%
import { arange, F, grad, manualSeed, nn, optim, plot, type Tensor, tensor, tidy } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";

/** A small seeded generator for the host-side shuffles and synthetic data (mulberry32). */
function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// %% [markdown]
// ## Part 1: two tasks, one trunk
//
// The digits (1797 images of 8×8 pixels with values 0–16) get two targets: the class (10 classes,
// cross entropy) and the **ink mass**, the sum of the 64 raw pixel values, centred on the training
// mean (mean squared error). The ink mass is left in raw pixel units on purpose: its MSE starts
// in the thousands while the cross entropy starts at ln 10 ≈ 2.3, the kind of scale mismatch that
// makes a fixed sum of losses a poor objective.
// %%
const text = await new Response(
  (await Deno.open("../../shared/data/sklearn-digits/digits.csv.gz")).readable.pipeThrough(
    new DecompressionStream("gzip"),
  ),
).text();
const rows = text.split("\n").filter((l) => l.trim() !== "").map((l) => l.split(",").map(Number));
assert.equal(rows.length, 1797);
assert.ok(rows.every((r) => r.length === 65), "64 pixels and a label per line");
const order = Array.from({ length: rows.length }, (_, i) => i);
const shuffleRng = makeRng(0);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(shuffleRng() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const nTrain = 1437;
const inkOf = (r: number[]) => r.slice(0, 64).reduce((a, b) => a + b, 0);
const inkMean = order.slice(0, nTrain).reduce((a, i) => a + inkOf(rows[i]), 0) / nTrain;

function split(ids: number[]): { x: Tensor; label: Tensor; ink: Tensor; n: number } {
  return {
    x: tensor(ids.map((i) => rows[i].slice(0, 64).map((v) => v / 16))),
    label: tensor(Int32Array.from(ids, (i) => rows[i][64])),
    ink: tensor(ids.map((i) => [inkOf(rows[i]) - inkMean])),
    n: ids.length,
  };
}
const train = split(order.slice(0, nTrain));
const test = split(order.slice(nTrain));
const inkStd = Math.sqrt(order.slice(0, nTrain).reduce((a, i) => a + (inkOf(rows[i]) - inkMean) ** 2, 0) / nTrain);
console.log(`train ${train.n} / test ${test.n}; ink mass: mean ${inkMean.toFixed(1)}, std ${inkStd.toFixed(1)}`);
// %% [markdown]
// ### Learned uncertainty weights
//
// Kendall et al. model each task's output with a likelihood whose noise scale σᵢ is a learned
// parameter. For a regression task with a Gaussian likelihood the negative log-likelihood is
// (1/2σ²)·‖y − f(x)‖² + log σ; for a classification task with a softmax scaled by 1/σ² it is
// approximately (1/σ²)·CE + log σ. With sᵢ = log σᵢ² (stable to learn, no positivity
// constraint) `nn.MultiTaskLoss` computes
//
// L_total = Σᵢ cᵢ·(e^(−sᵢ)·Lᵢ + sᵢ), with cᵢ = ½ for regression tasks and 1 otherwise.
//
// Minimising over sᵢ alone gives e^(sᵢ) = Lᵢ: each task's weight e^(−sᵢ) settles at the inverse of
// its current loss, so every task contributes about equally, whatever its units. The +sᵢ term is
// what stops the trivial solution σ → ∞ (all weights zero). The sᵢ are ordinary parameters: they go
// to the optimizer with the network's.
// %%
class TwoHeads extends nn.Module {
  trunk = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU());
  classHead = new nn.Linear(64, 10);
  inkHead = new nn.Linear(64, 1);
  override forward(x: Tensor): Tensor[] {
    const h = this.trunk.forward(x);
    return [this.classHead.forward(h), this.inkHead.forward(h)];
  }
}

interface MultiTaskRun {
  name: string;
  /** Per epoch: test cross entropy, test MSE, and the learned σ's (null for fixed weights). */
  epochs: { ce: number; mse: number; sigmas: number[] | null }[];
  accuracy: number;
  rmse: number;
}

async function evaluate(model: TwoHeads): Promise<{ ce: number; mse: number; accuracy: number }> {
  const [ce, mse, pred] = tidy(() => {
    const [logits, ink] = model.forward(test.x);
    return [F.crossEntropy(logits, test.label), F.mseLoss(ink, test.ink), logits.argmax(1)];
  });
  const p = (await pred.toArray()) as number[], y = (await test.label.toArray()) as number[];
  const out = {
    ce: await ce.item(),
    mse: await mse.item(),
    accuracy: p.filter((v, i) => v === y[i]).length / y.length,
  };
  [ce, mse, pred].forEach((t) => t.dispose());
  return out;
}

const EPOCHS = QUICK ? 8 : 40, BATCH = 128, LR = 1e-2;

async function trainMultiTask(name: string, learned: boolean): Promise<MultiTaskRun> {
  manualSeed(1); // the same initial network and the same batches for both runs
  const model = new TwoHeads();
  const weighting = new nn.MultiTaskLoss(2, { regression: [false, true] });
  // The log-variances get their own, larger learning rate: Adam moves a parameter by about lr per
  // step, and s_ink must travel from 0 to log(MSE) ≈ 7 within a few hundred steps.
  const groups = [{ params: model.parameters() }, ...(learned ? [{ params: weighting.parameters(), lr: 0.1 }] : [])];
  const opt = new optim.Adam(groups, { lr: LR });
  const batchRng = makeRng(2);
  const epochs: MultiTaskRun["epochs"] = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const perm = Array.from({ length: train.n }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(batchRng() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let start = 0; start < train.n; start += BATCH) {
      tidy(() => {
        const idx = tensor(Int32Array.from(perm.slice(start, start + BATCH)));
        opt.zeroGrad();
        const [logits, ink] = model.forward(train.x.indexSelect(0, idx));
        const ce = F.crossEntropy(logits, train.label.indexSelect(0, idx));
        const mse = F.mseLoss(ink, train.ink.indexSelect(0, idx));
        const total = learned ? weighting.forward([ce, mse]) : ce.add(mse);
        total.backward();
        opt.step();
      });
    }
    const { ce, mse } = await evaluate(model);
    const s = learned ? ((await weighting.logVars.toArray()) as number[]) : null;
    epochs.push({ ce, mse, sigmas: s && s.map((v) => Math.exp(v / 2)) });
  }
  const final = await evaluate(model);
  return { name, epochs, accuracy: final.accuracy, rmse: Math.sqrt(final.mse) };
}

const t0 = performance.now();
const fixed = await trainMultiTask("fixed weights (CE + MSE)", false);
const kendall = await trainMultiTask("learned uncertainty weights", true);
console.log(`both runs: ${EPOCHS} epochs each in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const r of [fixed, kendall]) {
  console.log(`${r.name.padEnd(28)} test accuracy ${(100 * r.accuracy).toFixed(1)}%, ink RMSE ${r.rmse.toFixed(2)}`);
}
for (const r of [fixed, kendall]) {
  const first = r.epochs[0], last = r.epochs.at(-1)!;
  assert.ok(r.epochs.every((e) => Number.isFinite(e.ce) && Number.isFinite(e.mse)), `${r.name}: finite losses`);
  assert.ok(r.accuracy > 0.2, `${r.name}: the classifier beats chance (10%)`);
  assert.ok(last.ce < first.ce, `${r.name}: the classification loss fell`);
  assert.ok(r.rmse < inkStd, `${r.name}: the ink head beats predicting the mean`);
  assert.ok(last.mse < first.mse, `${r.name}: the ink loss fell`);
}
// %%
const better = (a: number, b: number, higherIsBetter: boolean) =>
  a === b ? "tie" : (higherIsBetter ? a > b : a < b) ? fixed.name : kendall.name;
const classWinner = better(fixed.accuracy, kendall.accuracy, true);
const inkWinner = better(fixed.rmse, kendall.rmse, false);
console.log(`classification: better with ${classWinner}`);
console.log(`ink regression: better with ${inkWinner}`);
const sigmas = kendall.epochs.at(-1)!.sigmas!;
console.log(
  `learned σ: classification ${sigmas[0].toFixed(3)}, ink ${sigmas[1].toFixed(2)} ` +
    `(task weights e^(−s) = 1/σ²: ${(1 / sigmas[0] ** 2).toFixed(3)} and ${(1 / sigmas[1] ** 2).toExponential(2)})`,
);
// Measured (quick and full runs alike): each configuration wins one task.
assert.equal(classWinner, kendall.name, "the learned weights classify better");
assert.equal(inkWinner, fixed.name, "the fixed sum regresses the ink mass better");
assert.ok(sigmas[1] > 3 * sigmas[0], "the ink task, in large units, learned a much larger σ (a smaller weight)");
// %%
const epochAxis = fixed.epochs.map((_, i) => i + 1);
plot.line(
  [
    { x: epochAxis, y: fixed.epochs.map((e) => e.ce), name: "CE, fixed weights" },
    { x: epochAxis, y: kendall.epochs.map((e) => e.ce), name: "CE, learned weights", dash: "dash" },
    { x: epochAxis, y: fixed.epochs.map((e) => e.mse), name: "ink MSE, fixed weights" },
    { x: epochAxis, y: kendall.epochs.map((e) => e.mse), name: "ink MSE, learned weights", dash: "dash" },
  ],
  { title: "Test loss of each task", xTitle: "epoch", yTitle: "loss", logY: true },
);
// %%
plot.line(
  [
    { x: epochAxis, y: kendall.epochs.map((e) => e.sigmas![0]), name: "σ classification" },
    { x: epochAxis, y: kendall.epochs.map((e) => e.sigmas![1]), name: "σ ink mass" },
    { x: epochAxis, y: kendall.epochs.map((e) => Math.sqrt(e.mse)), name: "test ink RMSE", dash: "dot" },
  ],
  { title: "Learned σ = exp(s/2) over training", xTitle: "epoch", yTitle: "σ", logY: true },
);
// %% [markdown]
// For the regression task the optimum of ½·(e^(−s)·MSE + s) is e^s = MSE, i.e. σ = RMSE (on the
// training batches): the learned σ of the ink head climbs from 1 towards the RMSE (dotted), at the
// pace its learning rate allows. The classification σ heads for √CE. With fixed weights the MSE,
// which starts hundreds of times larger than the cross entropy, dominates the trunk's gradient, which favours
// the ink head and starves the classifier; the learned weights shrink the ink term to an equal
// footing. In this run each configuration won one task (asserted above): the learned weights
// classify far better, the fixed sum regresses the ink mass better. In the committed full run,
// 92.5% vs 61.4% test accuracy and ink RMSE 5.83 vs 2.25 pixel units. The fixed sum is in effect a
// regression objective with a classification term attached; the learned weighting divides each
// task's loss by its own noise level, a choice that no longer depends on the units in which the
// tasks happen to be measured. Neither is "right": which trade-off you want is a modelling decision.
//
// ## Part 2: padded sequences and `ignoreIndex`
//
// A synthetic but non-trivial task: **reverse** a sequence of 3 to 8 tokens drawn from 9 symbols
// (ids 1–9). Sequences are right-padded with the pad id 0 to length 8, and the target is the reversed
// sequence padded the same way. To reverse, the output at position i must read input position
// len − 1 − i, so the model has to work out the length from where the padding starts.
// %%
const PAD = 0, VOCAB = 10, MAXLEN = 8, MINLEN = 3;
const seqRng = makeRng(3);

function makeBatch(n: number): { src: Tensor; tgt: Tensor; srcRows: number[][]; tgtRows: number[][] } {
  const srcRows: number[][] = [], tgtRows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = MINLEN + Math.floor(seqRng() * (MAXLEN - MINLEN + 1));
    const seq = Array.from({ length: len }, () => 1 + Math.floor(seqRng() * (VOCAB - 1)));
    const pad = new Array(MAXLEN - len).fill(PAD);
    srcRows.push([...seq, ...pad]);
    tgtRows.push([...seq.toReversed(), ...pad]);
  }
  return {
    src: tensor(Int32Array.from(srcRows.flat())).reshape([n, MAXLEN]),
    tgt: tensor(Int32Array.from(tgtRows.flat())).reshape([n, MAXLEN]),
    srcRows,
    tgtRows,
  };
}
const example = makeBatch(3);
example.srcRows.forEach((s, i) => console.log(`input ${s.join(" ")}  →  target ${example.tgtRows[i].join(" ")}`));
// %% [markdown]
// ### The model
//
// Token embeddings (`nn.Embedding` with `paddingIdx: 0`, so the pad vector stays zero) plus learned
// position embeddings, flattened and mapped by an MLP to one logit vector per position. The logits
// are arranged as **[N, C, L]** (batch, classes, positions), the layout `F.crossEntropy` expects for
// per-position targets `[N, L]`, as in PyTorch.
//
// Why not a `nn.TransformerEncoderLayer`? It solves this task too (a two-layer encoder with a key
// padding mask reaches 100% within a few hundred steps), but on this machine's CPU-emulated WebGPU
// adapter a step of it costs seconds, too slow for a notebook run; the MLP over the whole (short)
// window is a GRU-free model that trains in a fraction of the time and still has to learn the
// length-dependent routing.
// %%
const DIM = 16;
class Reverser extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIM, { paddingIdx: PAD });
  positions = new nn.Embedding(MAXLEN, DIM);
  mlp = new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(MAXLEN * DIM, 256),
    new nn.ReLU(),
    new nn.Linear(256, MAXLEN * VOCAB),
  );
  /** `[N, L]` token ids → `[N, VOCAB, L]` logits. */
  override forward(src: Tensor): Tensor {
    const h = this.tokens.forward(src).add(this.positions.forward(arange(0, MAXLEN, 1, { dtype: "int32" })));
    return this.mlp.forward(h).reshape([-1, MAXLEN, VOCAB]).permute([0, 2, 1]);
  }
}
manualSeed(4);
const reverser = new Reverser();
// %% [markdown]
// ### What `ignoreIndex` does
//
// With class-index targets y and `ignoreIndex: 0`, positions whose target is the pad id contribute
// nothing, and the `"mean"` divides by the number of **non-ignored** positions only:
//
// L = (1 / Σ_{n,l} 1[y_{n,l} ≠ pad]) · Σ_{n,l: y_{n,l} ≠ pad} −log softmax(x_{n,:,l})[y_{n,l}].
//
// Without it, pad is just another class: the model is rewarded for predicting padding where the
// sequence has ended (trivial once it knows the length) and the mean is diluted by those easy
// positions. Below: the loss with and without ignoring, computed by hand from `reduction: "none"`,
// and the gradient with respect to the logits, which must be exactly zero at padded positions.
// %%
const probeBatch = makeBatch(32);
const probeLogits = reverser.forward(probeBatch.src).detach().requiresGrad_(true);
const masked = F.crossEntropy(probeLogits, probeBatch.tgt, { ignoreIndex: PAD });
const unmasked = F.crossEntropy(probeLogits, probeBatch.tgt); // ignoreIndex −100: pad (0) counts as a class
const perPosition = (await F.crossEntropy(probeLogits, probeBatch.tgt, { reduction: "none" }).toArray()) as number[][];
const isReal = probeBatch.tgtRows.map((r) => r.map((t) => t !== PAD));
const realCount = isReal.flat().filter(Boolean).length;
const byHand = perPosition.flat().filter((_, k) => isReal.flat()[k]).reduce((a, b) => a + b, 0) / realCount;
const [maskedValue, unmaskedValue] = [await masked.item(), await unmasked.item()];
console.log(`${realCount} real tokens and ${32 * MAXLEN - realCount} pad positions in the batch`);
console.log(`loss with ignoreIndex: ${maskedValue.toFixed(5)} (by hand over real tokens: ${byHand.toFixed(5)})`);
console.log(`loss counting the padding as a class: ${unmaskedValue.toFixed(5)}`);
assert.ok(Math.abs(maskedValue - byHand) < 1e-4, "ignoreIndex = the mean over non-pad positions");
assert.ok(Math.abs(maskedValue - unmaskedValue) > 1e-3, "ignoring the padding changes the loss");

const [dLogits] = grad([masked], [probeLogits]);
const g = (await dLogits!.abs().sum(1).toArray()) as number[][]; // [N, L]: Σ_c |∂L/∂x_{n,c,l}|
const padGrad = Math.max(...g.flat().filter((_, k) => !isReal.flat()[k]));
const realGradMin = Math.min(...g.flat().filter((_, k) => isReal.flat()[k]));
console.log(`max gradient at pad positions: ${padGrad}; smallest at real tokens: ${realGradMin.toExponential(3)}`);
assert.equal(padGrad, 0, "padded positions get exactly zero gradient");
assert.ok(realGradMin > 0, "every real token gets a gradient");
plot.heatmap(g.slice(0, 12), {
  title: "Σ_c |∂L/∂logits| per position (12 sequences): zero wherever the target is padding",
  x: Array.from({ length: MAXLEN }, (_, i) => `pos ${i}`),
  y: probeBatch.srcRows.slice(0, 12).map((r, i) => `seq ${i} (len ${r.filter((t) => t !== PAD).length})`),
});
// %% [markdown]
// ### Training
//
// Fresh random batches of 64 every step (so there is no overfitting to measure), Adam with lr 3e-3,
// and the masked loss. Accuracy counts only real (non-pad) tokens of a held-out batch; chance is
// 1/9.
// %%
const heldOut = makeBatch(512);
async function tokenAccuracy(): Promise<number> {
  const pred = tidy(() => reverser.forward(heldOut.src).argmax(1));
  const p = (await pred.toArray()) as number[][];
  pred.dispose();
  let correct = 0, total = 0;
  heldOut.tgtRows.forEach((row, i) =>
    row.forEach((t, j) => {
      if (t === PAD) return;
      total++;
      if (p[i][j] === t) correct++;
    })
  );
  return correct / total;
}
const seqSteps = QUICK ? 120 : 1000;
const seqOpt = new optim.Adam(reverser.parameters(), { lr: 3e-3 });
const seqLog: { step: number; loss: number; accuracy: number }[] = [];
const accStart = await tokenAccuracy();
const t1 = performance.now();
for (let step = 1; step <= seqSteps; step++) {
  const loss = tidy(() => {
    const { src, tgt } = makeBatch(64);
    seqOpt.zeroGrad();
    const l = F.crossEntropy(reverser.forward(src), tgt, { ignoreIndex: PAD });
    l.backward();
    seqOpt.step();
    return l.detach();
  });
  if (step % (QUICK ? 20 : 50) === 0) seqLog.push({ step, loss: await loss.item(), accuracy: await tokenAccuracy() });
  loss.dispose();
}
const accEnd = seqLog.at(-1)!.accuracy;
console.log(`${seqSteps} steps in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
console.log(
  `token accuracy on non-pad positions: ${(100 * accStart).toFixed(1)}% → ${(100 * accEnd).toFixed(1)}% (chance 11.1%)`,
);
assert.ok(seqLog.every((r) => Number.isFinite(r.loss)), "the loss stays finite");
assert.ok(accEnd > 3 / 9, "the model reverses far better than chance");
plot.line(
  [
    { x: seqLog.map((r) => r.step), y: seqLog.map((r) => r.loss), name: "masked CE (train batch)" },
    { x: seqLog.map((r) => r.step), y: seqLog.map((r) => r.accuracy), name: "token accuracy (held out)" },
  ],
  { title: "Learning to reverse padded sequences", xTitle: "step" },
);
// %%
const shown = makeBatch(4);
const shownPred = (await reverser.forward(shown.src).argmax(1).toArray()) as number[][];
shown.srcRows.forEach((s, i) => {
  const len = s.filter((t) => t !== PAD).length;
  console.log(
    `input ${s.slice(0, len).join(" ").padEnd(15)} target ${shown.tgtRows[i].slice(0, len).join(" ").padEnd(15)} ` +
      `predicted ${shownPred[i].slice(0, len).join(" ")}`,
  );
});
// %% [markdown]
// The predictions at pad positions are never trained (their gradient is zero), so whatever the model
// outputs there is arbitrary; a decoder would stop at the known length. Which is also why, on the
// trained model, counting the padding in the loss would now give a very different number:
// %%
const after = tidy(() => {
  const logits = reverser.forward(heldOut.src);
  return [F.crossEntropy(logits, heldOut.tgt, { ignoreIndex: PAD }), F.crossEntropy(logits, heldOut.tgt)];
});
const [maskedAfter, unmaskedAfter] = [await after[0].item(), await after[1].item()];
console.log(
  `trained model, held-out batch: masked CE ${maskedAfter.toFixed(4)}, CE counting pads ${unmaskedAfter.toFixed(4)}`,
);
assert.ok(unmaskedAfter > maskedAfter, "the never-trained pad positions inflate an unmasked loss");
