// Chapter 4: the loss gallery. Source of notebooks/04_loss_gallery.ipynb.
// notebook-permissions: read, env
// %% [markdown]
// # 4. The loss gallery
//
// A tour of the losses in `F` (and their `nn` modules), family by family: regression,
// classification, similarity, probabilistic and reconstruction. For each family one figure shows
// every loss against the error (or margin, angle, distance, rate) on the left and its gradient on
// the right. The gradients come from autograd, not from formulas: each input element's loss
// depends on that element only, so the gradient of the summed losses holds every element's own
// derivative. The formulas are asserted against both. The notebook ends with what the shapes mean
// in practice: fitting a line to data with outliers with MSE, MAE and Huber.
// %%
import { cat, F, grad, nn, optim, plot, stack, type Tensor, tensor, tidy } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";

/** |a − b| ≤ atol + rtol·|b|, elementwise. */
function close(a: number[], b: number[], rtol = 1e-4, atol = 1e-5): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= atol + rtol * Math.abs(b[i]));
}
const f32 = (data: number[] | number[][]) => tensor(data, { dtype: "float32" });
const int32 = (data: number[]) => tensor(data, { dtype: "int32" });
/** n evenly spaced points from a to b. */
const span = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

/**
 * Per-element losses of `f` at the points `xs` and their derivatives from autograd: `f` maps a
 * float32 tensor of shape [N] (requiring grad) to N losses, loss i depending on element i only.
 */
async function lossAndGrad(xs: number[], f: (x: Tensor) => Tensor): Promise<{ loss: number[]; grad: number[] }> {
  const x = tensor(xs, { dtype: "float32", requiresGrad: true });
  const losses = f(x);
  const [g] = grad([losses.sum()], [x]);
  const out = { loss: [...(await losses.data())], grad: [...(await g!.data())] };
  [x, losses, g!].forEach((t) => t.dispose());
  return out;
}

/** One curve of a family figure. */
interface Curve {
  name: string;
  x: number[];
  loss: number[];
  grad: number[];
  dash?: string;
}
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];

/** One figure per family: for each panel, its losses (left) and their gradients (right), one colour per curve. */
function familyFigure(title: string, panels: { xTitle: string; curves: Curve[] }[]): plot.Figure {
  const colours = new Map<string, string>();
  const figures = panels.flatMap(({ xTitle, curves }) => {
    curves.forEach((c) => colours.set(c.name, colours.get(c.name) ?? PALETTE[colours.size % PALETTE.length]));
    const series = (key: "loss" | "grad") => curves.map((c) => ({ x: c.x, y: c[key], name: c.name, dash: c.dash }));
    return [
      plot.line(series("loss"), { title: "loss", xTitle }),
      plot.line(series("grad"), { title: "gradient (autograd)", xTitle }),
    ];
  });
  const fig = plot.subplots(figures, { cols: 2, title, width: 1100, height: 380 * panels.length + 90 });
  fig.layout.legend = { orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top" };
  const seen = new Set<string>();
  for (const trace of fig.data) {
    const name = trace.name as string;
    trace.line = { ...(trace.line as object), color: colours.get(name) };
    trace.legendgroup = name;
    trace.showlegend = !seen.has(name);
    seen.add(name);
  }
  return fig;
}
// %% [markdown]
// ## Regression
//
// With the error e = ŷ − y:
//
// | loss | value | gradient ∂/∂ŷ |
// | --- | --- | --- |
// | MSE (`F.mseLoss`) | e² | 2e |
// | MAE (`F.l1Loss`) | \|e\| | sign(e) |
// | Huber, δ = 1 (`F.huberLoss`) | ½e² if \|e\| ≤ δ, else δ(\|e\| − ½δ) | clamp(e, −δ, δ) |
// | SmoothL1, β = 0.5 (`F.smoothL1Loss`) | ½e²/β if \|e\| < β, else \|e\| − ½β | clamp(e/β, −1, 1) |
//
// MSE's gradient grows with the error, so a single far-off point can dominate a fit; MAE's is ±1
// whatever the error; Huber and SmoothL1 are quadratic near 0 (smooth at the minimum) and linear
// beyond (bounded gradient). Huber with δ equals δ · SmoothL1 with β = δ.
// %%
const errors = span(-3, 3, 120); // an even count keeps e = 0 (where |e| has no derivative) off the grid
const zerosLike = (x: Tensor) => x.mul(0).detach();
const mse = await lossAndGrad(errors, (e) => F.mseLoss(e, zerosLike(e), { reduction: "none" }));
const mae = await lossAndGrad(errors, (e) => F.l1Loss(e, zerosLike(e), { reduction: "none" }));
const huber = await lossAndGrad(errors, (e) => F.huberLoss(e, zerosLike(e), { delta: 1, reduction: "none" }));
const smoothL1 = await lossAndGrad(errors, (e) => F.smoothL1Loss(e, zerosLike(e), { beta: 0.5, reduction: "none" }));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
assert.ok(close(mse.loss, errors.map((e) => e * e)) && close(mse.grad, errors.map((e) => 2 * e)));
assert.ok(close(mae.loss, errors.map(Math.abs)) && close(mae.grad, errors.map(Math.sign)));
assert.ok(close(huber.loss, errors.map((e) => (Math.abs(e) <= 1 ? 0.5 * e * e : Math.abs(e) - 0.5))));
assert.ok(close(huber.grad, errors.map((e) => clamp(e, -1, 1))));
assert.ok(close(smoothL1.loss, errors.map((e) => (Math.abs(e) < 0.5 ? e * e : Math.abs(e) - 0.25))));
assert.ok(close(smoothL1.grad, errors.map((e) => clamp(e / 0.5, -1, 1))));
console.log(
  `at e = 3: MSE gradient ${mse.grad.at(-1)!.toFixed(2)}, MAE ${mae.grad.at(-1)}, ` +
    `Huber ${huber.grad.at(-1)}, SmoothL1 ${smoothL1.grad.at(-1)}`,
);
familyFigure("Regression losses against the error e = ŷ − y", [{
  xTitle: "error e",
  curves: [
    { name: "MSE", x: errors, ...mse },
    { name: "MAE (L1)", x: errors, ...mae },
    { name: "Huber δ=1", x: errors, ...huber },
    { name: "SmoothL1 β=0.5", x: errors, ...smoothL1, dash: "dash" },
  ],
}]);
// %% [markdown]
// ## Classification
//
// Two classes with logits (0, z), the true class being the second: z is the margin by which the
// true class wins, and p = σ(z) its softmax probability.
//
// | loss | value | gradient ∂/∂z |
// | --- | --- | --- |
// | cross entropy (`F.crossEntropy`) | −log p = log(1 + e^(−z)) | p − 1 |
// | NLL of log-softmax (`F.nllLoss(F.logSoftmax(…))`) | the same | the same |
// | hinge (`F.multiMarginLoss`, × C) | max(0, 1 − z) | −1 if z < 1, else 0 |
// | focal, γ = 2 (`F.focalLoss`) | −(1 − p)² log p | |
//
// Cross entropy never stops pushing (its gradient only tends to 0); the hinge is exactly 0 once
// the margin reaches 1; the focal loss scales cross entropy by (1 − p)^γ, so examples that are
// already right barely count and training concentrates on the hard ones. PyTorch's multi-margin
// loss divides by the number of classes C, so it is multiplied by C = 2 here to show the textbook
// hinge.
// %%
const margins = span(-4, 4, 121);
const twoClass = (z: Tensor) => cat([zerosLike(z).reshape([-1, 1]), z.reshape([-1, 1])], 1);
const trueClass = int32(margins.map(() => 1));
const ceCurve = await lossAndGrad(margins, (z) => F.crossEntropy(twoClass(z), trueClass, { reduction: "none" }));
const nllCurve = await lossAndGrad(
  margins,
  (z) => F.nllLoss(F.logSoftmax(twoClass(z), 1), trueClass, { reduction: "none" }),
);
const hingeCurve = await lossAndGrad(
  margins,
  (z) => F.multiMarginLoss(twoClass(z), trueClass, { reduction: "none" }).mul(2),
);
const focalCurve = await lossAndGrad(
  margins,
  (z) => F.focalLoss(twoClass(z), trueClass, { gamma: 2, reduction: "none" }),
);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
assert.ok(close(ceCurve.loss, margins.map((z) => Math.log1p(Math.exp(-z)))));
assert.ok(close(ceCurve.grad, margins.map((z) => sigmoid(z) - 1)));
assert.ok(close(nllCurve.loss, ceCurve.loss) && close(nllCurve.grad, ceCurve.grad), "CE = NLL(logSoftmax)");
assert.ok(close(hingeCurve.loss, margins.map((z) => Math.max(0, 1 - z))));
assert.ok(close(hingeCurve.grad, margins.map((z) => (z < 1 ? -1 : 0))));
assert.ok(close(focalCurve.loss, margins.map((z) => -((1 - sigmoid(z)) ** 2) * Math.log(sigmoid(z)))));
assert.ok(focalCurve.loss.every((l, i) => l <= ceCurve.loss[i]), "focal ≤ cross entropy everywhere");
const at3 = margins.findIndex((z) => z >= 3);
console.log(
  `at z = ${margins[at3].toFixed(2)}: CE ${ceCurve.loss[at3].toFixed(4)}, focal ` +
    `${focalCurve.loss[at3].toFixed(6)} (${(ceCurve.loss[at3] / focalCurve.loss[at3]).toFixed(0)}× less), hinge 0`,
);
assert.ok(focalCurve.loss[at3] < ceCurve.loss[at3] / 100, "an easy example counts 100× less under focal loss");
familyFigure("Classification losses against the margin z of the true class", [{
  xTitle: "margin z (logit of the true class minus the other)",
  curves: [
    { name: "cross entropy", x: margins, ...ceCurve },
    { name: "NLL(logSoftmax)", x: margins, ...nllCurve, dash: "dot" },
    { name: "hinge", x: margins, ...hingeCurve },
    { name: "focal γ=2", x: margins, ...focalCurve },
  ],
}]);
// %% [markdown]
// ## Similarity
//
// **Cosine similarity** compares directions: cos θ = a·b / (‖a‖‖b‖). Below a = (1, 0) and
// b = (cos θ, sin θ), so the x-axis is the angle θ between them, and the gradient is with respect
// to θ (autograd through `cos` and `sin`).
//
// **Cosine embedding loss** (`F.cosineEmbeddingLoss`) pulls similar pairs (y = 1) together,
// 1 − cos θ, and pushes dissimilar pairs (y = −1) apart until their similarity falls below a margin,
// max(0, cos θ − margin).
//
// **Triplet margin loss** (`F.tripletMarginLoss`) wants an anchor closer to a positive than to a
// negative by a margin: max(0, d(a, p) − d(a, n) + margin). Below d(a, p) = 1 and the negative moves
// away (x-axis: d(a, n)); the gradient is with respect to the negative's position.
// %%
const angles = span(0, Math.PI, 91);
const pairs = (theta: Tensor) => {
  const a = stack([theta.mul(0).add(1), theta.mul(0)], 1).detach();
  const b = stack([theta.cos(), theta.sin()], 1);
  return [a, b];
};
const cosCurve = await lossAndGrad(angles, (t) => F.cosineSimilarity(...(pairs(t) as [Tensor, Tensor]), { dim: 1 }));
const similarCurve = await lossAndGrad(angles, (t) => {
  const [a, b] = pairs(t);
  return F.cosineEmbeddingLoss(a, b, f32(angles.map(() => 1)), { reduction: "none" });
});
const dissimilarCurve = await lossAndGrad(angles, (t) => {
  const [a, b] = pairs(t);
  return F.cosineEmbeddingLoss(a, b, f32(angles.map(() => -1)), { margin: 0.5, reduction: "none" });
});
assert.ok(close(cosCurve.loss, angles.map(Math.cos), 1e-4, 1e-5));
assert.ok(close(cosCurve.grad, angles.map((t) => -Math.sin(t)), 1e-3, 1e-4));
assert.ok(close(similarCurve.loss, angles.map((t) => 1 - Math.cos(t)), 1e-4, 1e-5));
assert.ok(close(dissimilarCurve.loss, angles.map((t) => Math.max(0, Math.cos(t) - 0.5)), 1e-4, 1e-5));
assert.ok(dissimilarCurve.grad.every((g, i) => (angles[i] > Math.PI / 3 + 1e-3 ? g === 0 : true)));

const distances = span(0.01, 3, 100);
const tripletAt = (margin: number) => (neg: Tensor) => {
  const negative = neg.reshape([-1, 1]);
  const anchor = zerosLike(negative);
  return F.tripletMarginLoss(anchor, anchor.add(1), negative, { margin, reduction: "none" });
};
const triplet1 = await lossAndGrad(distances, tripletAt(1));
const triplet05 = await lossAndGrad(distances, tripletAt(0.5));
assert.ok(close(triplet1.loss, distances.map((d) => Math.max(0, 1 - d + 1)), 1e-4, 1e-4));
assert.ok(close(triplet05.loss, distances.map((d) => Math.max(0, 1 - d + 0.5)), 1e-4, 1e-4));
assert.ok(triplet1.grad.every((g, i) => (distances[i] < 1.99 ? Math.abs(g + 1) < 1e-5 : g === 0)));
const deg = angles.map((t) => (t * 180) / Math.PI);
familyFigure("Similarity losses", [
  {
    xTitle: "angle θ between a and b (degrees)",
    curves: [
      { name: "cosine similarity cos θ", x: deg, ...cosCurve, dash: "dot" },
      { name: "cosine embedding, y = 1", x: deg, ...similarCurve },
      { name: "cosine embedding, y = −1, margin 0.5", x: deg, ...dissimilarCurve },
    ],
  },
  {
    xTitle: "distance d(a, n) to the negative (d(a, p) = 1)",
    curves: [
      { name: "triplet, margin 1", x: distances, ...triplet1 },
      { name: "triplet, margin 0.5", x: distances, ...triplet05, dash: "dash" },
    ],
  },
]);
// %% [markdown]
// ## Probabilistic losses
//
// These are negative log-likelihoods, or divergences, between a predicted distribution and the
// data.
//
// - **KL divergence** (`F.klDiv(logP, q)`, which takes the *log*-probabilities of the prediction p
//   and the probabilities of the target q): KL(q ‖ p) = Σ q log(q/p) ≥ 0, zero only at p = q. It
//   equals the cross entropy H(q, p) = −Σ q log p minus the target's entropy H(q), a constant, so
//   minimizing either gives the same gradient. Below q = (0.3, 0.7) and p = (s, 1 − s).
// - **Poisson NLL** (`F.poissonNllLoss(λ, y, { logInput: false })`): λ − y log λ for counts y and a
//   predicted rate λ > 0, minimized at λ = y.
// - **Gaussian NLL** (`F.gaussianNllLoss(μ, y, σ²)`): ½(log σ² + (y − μ)²/σ²). For a fixed error a
//   larger predicted variance lowers the penalty (and the gradient, (μ − y)/σ²) at the price of the
//   log σ² term: the model can say how sure it is.
// %%
const s = span(0.01, 0.99, 99);
const q = [0.3, 0.7];
const logP = (x: Tensor) => stack([x.log(), x.neg().add(1).log()], 1);
const klCurve = await lossAndGrad(s, (x) => F.klDiv(logP(x), f32(s.map(() => q)), { reduction: "none" }).sum(1));
const xentCurve = await lossAndGrad(s, (x) => logP(x).mul(f32(s.map(() => q))).sum(1).neg());
const entropyQ = -q.reduce((acc, v) => acc + v * Math.log(v), 0);
assert.ok(close(klCurve.loss, s.map((v) => 0.3 * Math.log(0.3 / v) + 0.7 * Math.log(0.7 / (1 - v))), 1e-4, 1e-5));
assert.ok(close(xentCurve.loss, klCurve.loss.map((k) => k + entropyQ), 1e-4, 1e-5), "H(q, p) = KL(q‖p) + H(q)");
assert.ok(close(xentCurve.grad, klCurve.grad, 1e-4, 1e-4), "the same gradient");
const klMin = s[klCurve.loss.indexOf(Math.min(...klCurve.loss))];
assert.ok(Math.abs(klMin - 0.3) < 0.011 && klCurve.loss.every((k) => k >= -1e-6), "KL ≥ 0, minimal at p = q");

const rates = span(0.2, 10, 99);
const poissonAt = (y: number) => (lambda: Tensor) =>
  F.poissonNllLoss(lambda, f32(rates.map(() => y)), { logInput: false, reduction: "none" });
const poisson3 = await lossAndGrad(rates, poissonAt(3));
const poisson6 = await lossAndGrad(rates, poissonAt(6));
assert.ok(close(poisson3.loss, rates.map((l) => l - 3 * Math.log(l + 1e-8)), 1e-4, 1e-4));
assert.ok(close(poisson3.grad, rates.map((l) => 1 - 3 / l), 1e-3, 1e-4));
assert.ok(Math.abs(rates[poisson6.loss.indexOf(Math.min(...poisson6.loss))] - 6) < 0.1, "minimal at λ = y");

const gaussianAt = (variance: number) => (mu: Tensor) =>
  F.gaussianNllLoss(mu, zerosLike(mu), f32(errors.map(() => variance)), { reduction: "none" });
const gauss = [0.5, 1, 4].map((v) => ({ variance: v, curve: null as unknown as { loss: number[]; grad: number[] } }));
for (const g of gauss) g.curve = await lossAndGrad(errors, gaussianAt(g.variance));
for (const { variance, curve } of gauss) {
  assert.ok(close(curve.loss, errors.map((e) => 0.5 * (Math.log(variance) + (e * e) / variance)), 1e-4, 1e-5));
  assert.ok(close(curve.grad, errors.map((e) => e / variance), 1e-4, 1e-5));
}
familyFigure("Probabilistic losses", [
  {
    xTitle: "predicted p = (s, 1 − s), target q = (0.3, 0.7): s",
    curves: [
      { name: "KL(q ‖ p)", x: s, ...klCurve },
      { name: "cross entropy H(q, p)", x: s, ...xentCurve, dash: "dash" },
    ],
  },
  {
    xTitle: "predicted rate λ",
    curves: [
      { name: "Poisson NLL, y = 3", x: rates, ...poisson3 },
      { name: "Poisson NLL, y = 6", x: rates, ...poisson6 },
    ],
  },
  {
    xTitle: "error μ − y",
    curves: gauss.map(({ variance, curve }) => ({ name: `Gaussian NLL, σ² = ${variance}`, x: errors, ...curve })),
  },
]);
// %% [markdown]
// ### The log-likelihood behind them
//
// A negative log-likelihood loss is −log of the model's probability of the data. With `full: true`
// the Gaussian NLL adds the constant ½ log 2π and is exactly −log 𝒩(y; μ, σ²). The Poisson NLL
// drops log y! (constant in λ); `full: true` adds Stirling's approximation of it,
// y log y − y + ½ log(2πy) (for y > 1). Against the densities written out by hand:
// %%
const mu = [0.5, -1, 2];
const ys = [0, 0.5, 1];
const sigma2 = [1, 0.25, 4];
const gaussFull = (await F.gaussianNllLoss(f32(mu), f32(ys), f32(sigma2), { full: true, reduction: "none" })
  .data()) as Float32Array;
const gaussLogLik = mu.map((m, i) => -0.5 * Math.log(2 * Math.PI * sigma2[i]) - ((ys[i] - m) ** 2) / (2 * sigma2[i]));
console.log("Gaussian: NLL(full)  vs  −log 𝒩(y; μ, σ²)");
mu.forEach((_, i) => console.log(`  ${gaussFull[i].toFixed(6)}  ${(-gaussLogLik[i]).toFixed(6)}`));
assert.ok(close([...gaussFull], gaussLogLik.map((v) => -v)));

const lambdas = [2.5, 4, 7];
const counts = [3, 4, 10];
const logFactorial = (n: number) => Array.from({ length: n }, (_, k) => Math.log(k + 1)).reduce((a, b) => a + b, 0);
const poissonLogLik = lambdas.map((l, i) => counts[i] * Math.log(l) - l - logFactorial(counts[i]));
const poissonPlain = (await F.poissonNllLoss(f32(lambdas), f32(counts), { logInput: false, reduction: "none" })
  .data()) as Float32Array;
const poissonFull = (await F.poissonNllLoss(f32(lambdas), f32(counts), {
  logInput: false,
  full: true,
  reduction: "none",
}).data()) as Float32Array;
console.log("Poisson: NLL + log y!  vs  −log Poisson(y; λ)   (full: Stirling instead of log y!)");
lambdas.forEach((_, i) =>
  console.log(
    `  ${(poissonPlain[i] + logFactorial(counts[i])).toFixed(6)}  ${(-poissonLogLik[i]).toFixed(6)}   ` +
      `(${poissonFull[i].toFixed(6)})`,
  )
);
assert.ok(close(lambdas.map((_, i) => poissonPlain[i] + logFactorial(counts[i])), poissonLogLik.map((v) => -v)));
assert.ok(close([...poissonFull], poissonLogLik.map((v) => -v), 0.02, 0.05), "Stirling is close");
// %% [markdown]
// ## Reconstruction
//
// An autoencoder is trained to give back its input, so its loss compares the reconstruction x̂
// with x pixel by pixel: MSE, or — for pixel values in [0, 1] read as probabilities — BCE,
// −[x log x̂ + (1 − x) log(1 − x̂)]. For one pixel with x = 0.75 both are minimal at x̂ = 0.75, but BCE
// does not reach 0 there (it bottoms out at the pixel's entropy) and its gradient
// (x̂ − x)/(x̂(1 − x̂)) grows steeply near 0 and 1.
// %%
const recon = span(0.01, 0.99, 99);
const pixel = 0.75;
const mseRecon = await lossAndGrad(recon, (r) => F.mseLoss(r, zerosLike(r).add(pixel), { reduction: "none" }));
const bceRecon = await lossAndGrad(
  recon,
  (r) => F.binaryCrossEntropy(r, zerosLike(r).add(pixel), { reduction: "none" }),
);
assert.ok(close(bceRecon.grad, recon.map((r) => (r - pixel) / (r * (1 - r))), 1e-3, 1e-4));
const argmin = (v: number[]) => recon[v.indexOf(Math.min(...v))];
assert.ok(Math.abs(argmin(mseRecon.loss) - pixel) < 0.011 && Math.abs(argmin(bceRecon.loss) - pixel) < 0.011);
familyFigure("Reconstruction losses of one pixel with value x = 0.75", [{
  xTitle: "reconstructed value x̂",
  curves: [{ name: "MSE", x: recon, ...mseRecon }, { name: "BCE", x: recon, ...bceRecon }],
}]);
// %% [markdown]
// A tiny autoencoder on the scikit-learn digits (8×8 scans from the UCI Optical Recognition of
// Handwritten Digits set, read from `../../shared/data/sklearn-digits/digits.csv.gz`): 64 pixels →
// 16 → 64 with a sigmoid output, trained once with each reconstruction loss (Adam, full batch on 500
// images, to keep it quick on a CPU-emulated GPU) and tested on held-out images (every fourth).
// %%
async function loadDigits(): Promise<{ pixels: number[][]; labels: number[] }> {
  const file = await Deno.open("../../shared/data/sklearn-digits/digits.csv.gz");
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
  return { pixels: rows.map((r) => r.slice(0, 64).map((v) => v / 16)), labels: rows.map((r) => r[64]) };
}
const digits = await loadDigits();
assert.equal(digits.labels.length, 1797);
const xTrain = f32(digits.pixels.filter((_, i) => i % 4 !== 0).slice(0, 500));
const testPixels = digits.pixels.filter((_, i) => i % 4 === 0);
const xTest = f32(testPixels);

const aeSteps = QUICK ? 40 : 300;
async function trainAutoencoder(kind: "mse" | "bce") {
  const model = new nn.Sequential(new nn.Linear(64, 16), new nn.ReLU(), new nn.Linear(16, 64), new nn.Sigmoid());
  const lossFn = kind === "mse" ? new nn.MSELoss() : new nn.BCELoss();
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  const curve: number[] = [];
  for (let step = 0; step < aeSteps; step++) {
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = lossFn.forward(model.forward(xTrain), xTrain);
      l.backward();
      opt.step();
      return l;
    });
    if (step % 5 === 0 || step === aeSteps - 1) curve.push(await loss.item());
    loss.dispose();
  }
  const reconstructed = model.forward(xTest);
  const testMse = await F.mseLoss(reconstructed, xTest).item();
  return { curve, testMse, images: (await reconstructed.slice([0, 8]).data()) as Float32Array };
}
const aeMse = await trainAutoencoder("mse");
const aeBce = await trainAutoencoder("bce");
const meanPixel = testPixels.flat().reduce((a, b) => a + b, 0) / (testPixels.length * 64);
const baseline = testPixels.flat().reduce((a, v) => a + (v - meanPixel) ** 2, 0) / (testPixels.length * 64);
console.log(
  `test MSE of the reconstruction: trained with MSE ${aeMse.testMse.toFixed(4)}, with BCE ` +
    `${aeBce.testMse.toFixed(4)}; predicting the mean pixel: ${baseline.toFixed(4)}`,
);
for (const ae of [aeMse, aeBce]) {
  assert.ok(ae.curve.at(-1)! < ae.curve[0] * 0.7, "the reconstruction loss fell");
  assert.ok(ae.testMse < baseline * 0.8, "reconstructions beat a constant image on held-out digits");
}
const stepsAxis = aeMse.curve.map((_, i) => Math.min(i * 5, aeSteps - 1));
plot.line([
  { x: stepsAxis, y: aeMse.curve, name: "MSE (trained with MSE)" },
  { x: stepsAxis, y: aeBce.curve, name: "BCE (trained with BCE)" },
], { title: "Autoencoder training losses", xTitle: "step", yTitle: "loss", logY: true });
// %%
plot.imageGrid(
  { data: [...testPixels.slice(0, 8).flat(), ...aeMse.images, ...aeBce.images], shape: [24, 1, 8, 8] },
  {
    labels: [...Array(8).fill("original"), ...Array(8).fill("MSE"), ...Array(8).fill("BCE")],
    cols: 8,
    title: "Held-out digits and their reconstructions (rows: original, MSE, BCE)",
  },
);
// %% [markdown]
// ## Outliers: MSE vs MAE vs Huber
//
// 60 points on the line y = 2x + 1 with small noise, of which 7 (at the right end) are corrupted
// upwards by 6 to 10 — e.g. a broken sensor. The same `nn.Linear(1, 1)` is fitted with each
// loss (Adam, full batch). MSE's gradient grows with the error, so the outliers drag its line
// towards them; MAE and Huber bound each point's pull and stay close to the true slope.
// %%
let seed = 12345;
const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const xs = Array.from({ length: 60 }, (_, i) => -1 + (2 * i) / 59);
const ysClean = xs.map((x) => 2 * x + 1 + 0.15 * normal());
const outlier = xs.map((x, i) => x > 0.5 && i % 2 === 0);
const ysData = ysClean.map((y, i) => (outlier[i] ? y + 6 + 4 * uniform() : y));
console.log(`${outlier.filter(Boolean).length} outliers among ${xs.length} points`);
assert.equal(outlier.filter(Boolean).length, 7);

const inputs = f32(xs.map((x) => [x]));
const targets = f32(ysData.map((y) => [y]));
const fitSteps = QUICK ? 300 : 800;
const lossFns = {
  MSE: new nn.MSELoss(),
  MAE: new nn.L1Loss(),
  Huber: new nn.HuberLoss({ delta: 1 }),
};
const fits: Record<string, { w: number; b: number }> = {};
for (const [name, lossFn] of Object.entries(lossFns)) {
  const model = new nn.Linear(1, 1);
  nn.init.zeros_(model.weight);
  nn.init.zeros_(model.bias!);
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  const schedule = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: fitSteps });
  for (let step = 0; step < fitSteps; step++) {
    tidy(() => {
      opt.zeroGrad();
      lossFn.forward(model.forward(inputs), targets).backward();
      opt.step();
    });
    schedule.step();
  }
  fits[name] = { w: await model.weight.item(), b: await model.bias!.item() };
  console.log(`${name.padEnd(6)} y = ${fits[name].w.toFixed(3)}·x + ${fits[name].b.toFixed(3)}`);
}
console.log("true   y = 2.000·x + 1.000");
const slopeError = (name: string) => Math.abs(fits[name].w - 2);
assert.ok(slopeError("MAE") < slopeError("MSE") / 2, "MAE lands closer to the true slope than MSE");
assert.ok(slopeError("Huber") < slopeError("MSE") / 2, "Huber lands closer to the true slope than MSE");
assert.ok(slopeError("MSE") > 0.5, "the outliers pull the MSE fit visibly");
const ends = [-1, 1];
const fitFigure = plot.scatter([
  { x: xs.filter((_, i) => !outlier[i]), y: ysData.filter((_, i) => !outlier[i]), name: "data" },
  { x: xs.filter((_, i) => outlier[i]), y: ysData.filter((_, i) => outlier[i]), name: "outliers" },
], { title: "Fitting a line through outliers", xTitle: "x", yTitle: "y" });
fitFigure.data.push(
  { type: "scatter", mode: "lines", x: ends, y: ends.map((x) => 2 * x + 1), name: "true y = 2x + 1" },
  ...Object.entries(fits).map(([name, { w, b }]) => ({
    type: "scatter",
    mode: "lines",
    x: ends,
    y: ends.map((x) => w * x + b),
    name: `${name} fit (slope ${w.toFixed(2)})`,
    line: { dash: name === "MSE" ? "solid" : "dash" },
  })),
);
fitFigure;
