// Chapter 5: optimizers and learning-rate schedules. Source of notebooks/05_optimizers.ipynb (built by notebooks/build.ts).
// notebook-permissions: read, env
// %% [markdown]
// # 5. Optimizers and learning-rate schedules
//
// An optimizer turns the gradient g = ∇J(θ) into a step. This notebook runs the common ones on
// the same problems and compares them by measurement:
//
// 1. two 2-D functions, where the path of θ can be drawn on the contour lines: an ill-conditioned
//    quadratic and the Rosenbrock valley;
// 2. logistic regression on the sklearn digits (8×8 images, 10 classes), fed by `data.DataLoader`;
// 3. learning-rate schedules from `optim.lrScheduler`.
//
// The update rules (g: gradient, η: learning rate; all as in PyTorch):
//
// | optimizer | update |
// |---|---|
// | gradient descent (`SGD`) | θ ← θ − η g |
// | momentum (`SGD`, `momentum: μ`) | v ← μ v + g; θ ← θ − η v |
// | Nesterov (`nesterov: true`) | v ← μ v + g; θ ← θ − η (g + μ v) |
// | `Adagrad` | s ← s + g²; θ ← θ − η g / (√s + ε) |
// | `RMSprop` | s ← α s + (1 − α) g²; θ ← θ − η g / (√s + ε) |
// | `Adam` | m ← β₁m + (1 − β₁) g; v ← β₂v + (1 − β₂) g²; θ ← θ − η m̂ / (√v̂ + ε), with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) |
// | `AdamW` | Adam, plus the decoupled decay θ ← θ − η λ θ (not added to g) |
//
// Batch gradient descent, stochastic gradient descent and mini-batch SGD are the same rule; they
// differ in how many samples the gradient g is averaged over (all of them, one, or a batch).
// %%
import { data, F, nn, noGrad, optim, plot, type Tensor, tensor, tidy } from "denograd";
import { manualSeed } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";

/** The optimizers compared in this notebook, each made from a parameter list and a learning rate. */
const OPTIMIZERS: Record<string, (params: Tensor[], lr: number) => optim.Optimizer> = {
  "GD": (ps, lr) => new optim.SGD(ps, { lr }),
  "Momentum": (ps, lr) => new optim.SGD(ps, { lr, momentum: 0.9 }),
  "Nesterov": (ps, lr) => new optim.SGD(ps, { lr, momentum: 0.9, nesterov: true }),
  "Adagrad": (ps, lr) => new optim.Adagrad(ps, { lr }),
  "RMSprop": (ps, lr) => new optim.RMSprop(ps, { lr }),
  "Adam": (ps, lr) => new optim.Adam(ps, { lr }),
  "AdamW": (ps, lr) => new optim.AdamW(ps, { lr }),
};
const NAMES = Object.keys(OPTIMIZERS);
// %% [markdown]
// ## Two-dimensional problems
//
// f₁(x, y) = ½x² + 50y² is a quadratic whose curvature is 1 along x and 100 along y: its
// condition number is κ = 100. Gradient descent converges only for η < 2/100 = 0.02 (the steep
// direction), and with such an η it crawls along the flat one, shrinking x by (1 − η) per step.
// The Rosenbrock function f₂(x, y) = (1 − x)² + 100(y − x²)² has its minimum f = 0 at (1, 1) at
// the end of a long curved valley.
//
// θ has two numbers, so these runs use the `cpu` device: on a GPU every tiny step would pay a
// kernel launch per operation.
// %%
type Fn2 = (p: Tensor) => Tensor;
const curvature = tensor([0.5, 50], { device: "cpu" });
const quadratic: Fn2 = (p) => p.square().mul(curvature).sum();
const rosenbrock: Fn2 = (p) => {
  const x = p.narrow(0, 0, 1), y = p.narrow(0, 1, 1);
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
};

/**
 * Runs `steps` steps of one optimizer on f from `start`. Returns the final loss (Infinity if it
 * diverged) and, with `record`, the path of θ.
 */
async function descend(f: Fn2, start: number[], name: string, lr: number, steps: number, record = false) {
  const p = tensor(start, { device: "cpu", requiresGrad: true });
  const opt = OPTIMIZERS[name]([p], lr);
  const path: number[][] = [start];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    f(p).backward();
    opt.step();
    if (record) path.push(((await p.toArray()) as number[]).map((v) => Math.round(v * 1e4) / 1e4)); // 4 decimals are plenty for a figure
  }
  const final = await noGrad(() => f(p)).item();
  return { path, final: Number.isFinite(final) ? final : Infinity };
}

/** Final loss for every optimizer at every learning rate of the grid. */
async function sweep(f: Fn2, start: number[], lrs: number[], steps: number) {
  const table: Record<string, number[]> = {};
  for (const name of NAMES) {
    table[name] = [];
    for (const lr of lrs) table[name].push((await descend(f, start, name, lr, steps)).final);
  }
  return table;
}

const LRS = [0.001, 0.003, 0.01, 0.015, 0.03, 0.1, 0.3, 1];
const QUAD_START = [-4, 1];
const QUAD_STEPS = 100;
const quadSweep = await sweep(quadratic, QUAD_START, LRS, QUAD_STEPS);
console.log(`final f₁ after ${QUAD_STEPS} steps (rows: optimizer, columns: η)`);
console.log(["".padEnd(9), ...LRS.map((lr) => String(lr).padStart(8))].join(" "));
for (const name of NAMES) {
  console.log(
    [name.padEnd(9), ...quadSweep[name].map((v) => (isFinite(v) ? v.toExponential(1) : "diverged").padStart(8))]
      .join(" "),
  );
}
// %% [markdown]
// The sweep as a figure (missing points diverged). Plain gradient descent is stable only below
// η = 0.02, as the curvature predicts; the adaptive methods divide each coordinate's step by a
// running size of its gradient, so their step is about η whatever the curvature, and they stay
// stable up to η = 1.
// %%
const sweepFigure = plot.line(
  NAMES.map((name) => ({
    x: LRS,
    y: quadSweep[name].map((v) => (isFinite(v) ? v : NaN)),
    name,
    mode: "lines+markers" as const,
  })),
  {
    title: `Ill-conditioned quadratic: loss after ${QUAD_STEPS} steps vs learning rate`,
    xTitle: "learning rate η",
    yTitle: "f₁",
    logY: true,
  },
);
(sweepFigure.layout.xaxis as Record<string, unknown>).type = "log";
sweepFigure;
// %% [markdown]
// What the sweep says, asserted:
//
// - at the **same** learning rate η = 0.015 (just below gradient descent's limit), Adam is *slower*
//   than gradient descent: its steps are about η long in each coordinate, and the flat direction
//   needs a 4-unit walk. Momentum is much faster than both;
// - gradient descent diverges at η = 0.03 > 2/κ, while Adam is fine at any η of the grid;
// - each with its **best** η of the grid, Adam ends far lower than gradient descent: an adaptive
//   method lets one use a large η, which plain gradient descent cannot.
// %%
const at = (name: string, lr: number) => quadSweep[name][LRS.indexOf(lr)];
const best = (name: string) => Math.min(...quadSweep[name]);
const bestLr = (name: string) => LRS[quadSweep[name].indexOf(best(name))];
console.log(
  `η = 0.015: GD ${at("GD", 0.015).toExponential(2)}, Adam ${at("Adam", 0.015).toExponential(2)}, ` +
    `Momentum ${at("Momentum", 0.015).toExponential(2)}`,
);
console.log(`best η: ${NAMES.map((n) => `${n} ${bestLr(n)} → ${best(n).toExponential(1)}`).join(", ")}`);
assert.ok(at("Adam", 0.015) > at("GD", 0.015), "at a GD-safe η, Adam is slower than GD on the flat direction");
assert.ok(at("Momentum", 0.015) < at("GD", 0.015) / 100, "momentum beats GD by far at the same η");
assert.ok(!isFinite(at("GD", 0.03)) || at("GD", 0.03) > 1e3, "GD diverges above 2/κ");
assert.ok(LRS.every((lr) => isFinite(at("Adam", lr))), "Adam is stable over the whole grid");
assert.ok(best("Adam") < best("GD") / 100, "tuned Adam beats tuned GD by two orders of magnitude");
const quadStart = 0.5 * QUAD_START[0] ** 2 + 50 * QUAD_START[1] ** 2;
for (const name of NAMES) assert.ok(best(name) < quadStart / 10, `${name} reduces f₁ tenfold at its best η`);
// %% [markdown]
// ## Trajectories on the contours
//
// Each optimizer with its best η from the grid. Gradient descent zig-zags across the steep
// direction only if η is near its limit, and then it creeps along x; momentum overshoots and
// spirals in; the adaptive methods head almost diagonally at first, since they scale both
// coordinates to similar step sizes.
// %%
/** A contour plot of f over a grid, with one line per trajectory on top. */
function contourFigure(
  f: (x: number, y: number) => number,
  xr: [number, number],
  yr: [number, number],
  paths: { name: string; path: number[][] }[],
  title: string,
) {
  const n = 60;
  const xs = Array.from({ length: n }, (_, i) => xr[0] + ((xr[1] - xr[0]) * i) / (n - 1));
  const ys = Array.from({ length: n }, (_, i) => yr[0] + ((yr[1] - yr[0]) * i) / (n - 1));
  const fig = plot.line(
    paths.map(({ name, path }) => ({
      x: path.map((p) => p[0]),
      y: path.map((p) => p[1]),
      name,
      mode: "lines+markers" as const,
    })),
    { title, xTitle: "x", yTitle: "y", width: 760, height: 520 },
  );
  for (const trace of fig.data) trace.marker = { size: 3 };
  fig.data.unshift({
    type: "contour",
    x: xs,
    y: ys,
    z: ys.map((y) => xs.map((x) => Math.round(1000 * Math.log10(f(x, y) + 1e-2)) / 1000)),
    colorscale: "Greys",
    reversescale: true,
    showscale: false,
    contours: { coloring: "lines" },
    ncontours: 25,
    name: "log₁₀ f",
  });
  fig.layout.xaxis = { ...(fig.layout.xaxis as object), range: xr };
  fig.layout.yaxis = { ...(fig.layout.yaxis as object), range: yr };
  return fig;
}

const quadPaths = [];
for (const name of NAMES) {
  const run = await descend(quadratic, QUAD_START, name, bestLr(name), QUAD_STEPS, true);
  quadPaths.push({ name: `${name} (η=${bestLr(name)})`, path: run.path });
}
contourFigure((x, y) => 0.5 * x * x + 50 * y * y, [-4.5, 1.5], [-1.3, 1.3], quadPaths, "f₁ = ½x² + 50y²: paths");
// %% [markdown]
// The Rosenbrock valley: the same sweep picks each optimizer's η, then the paths. Plain gradient
// descent must keep η tiny (the walls are steep) and barely enters the valley; momentum and Adam
// follow the curve.
// %%
const ROSEN_START = [-1.5, 2];
const ROSEN_STEPS = QUICK ? 150 : 400;
const ROSEN_LRS = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const rosenSweep = await sweep(rosenbrock, ROSEN_START, ROSEN_LRS, ROSEN_STEPS);
const rosenStart = (1 - ROSEN_START[0]) ** 2 + 100 * (ROSEN_START[1] - ROSEN_START[0] ** 2) ** 2;
const rosenPaths = [];
const rosenBest: Record<string, number> = {};
for (const name of NAMES) {
  rosenBest[name] = Math.min(...rosenSweep[name]);
  const lr = ROSEN_LRS[rosenSweep[name].indexOf(rosenBest[name])];
  const run = await descend(rosenbrock, ROSEN_START, name, lr, ROSEN_STEPS, true);
  rosenPaths.push({ name: `${name} (η=${lr})`, path: run.path });
  console.log(
    `${name.padEnd(9)} best η ${String(lr).padEnd(6)} f₂: ${rosenStart.toFixed(2)} → ${
      rosenBest[name].toExponential(2)
    }`,
  );
  assert.ok(rosenBest[name] < rosenStart, `${name} reduces the Rosenbrock loss`);
}
assert.ok(rosenBest["Adam"] < rosenBest["GD"], "tuned Adam gets deeper into the valley than tuned GD");
contourFigure(
  (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  [-2, 2],
  [-1, 3],
  rosenPaths,
  "Rosenbrock f₂ = (1 − x)² + 100(y − x²)²: paths (minimum at (1, 1))",
);
// %% [markdown]
// ## Logistic regression on the digits
//
// The sklearn digits: 1,797 images of 8×8 pixels (values 0–16, scaled to [0, 1]) with labels
// 0–9. The model is `nn.Linear(64, 10)` with softmax cross entropy, a convex problem, so every
// optimizer heads for the same minimum and only the speed differs. A `data.TensorDataset` holds
// the training subset and a `data.DataLoader` draws shuffled batches of it.
// %%
const text = await new Response(
  (await Deno.open("../../shared/data/sklearn-digits/digits.csv.gz")).readable.pipeThrough(
    new DecompressionStream("gzip"),
  ),
).text();
const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
assert.equal(rows.length, 1797);
const N_TRAIN = QUICK ? 256 : 512;
const trainRows = rows.slice(0, N_TRAIN);
const X = tensor(trainRows.map((r) => r.slice(0, 64).map((v) => v / 16)));
const Y = tensor(Int32Array.from(trainRows.map((r) => r[64])), { dtype: "int32" });
const dataset = new data.TensorDataset(X, Y);
console.log(`training set: X ${JSON.stringify(X.shape)}, Y ${JSON.stringify(Y.shape)} (${Y.dtype})`);

/** Cross entropy of the model on the whole training subset. */
const trainLoss = (model: nn.Linear) => noGrad(() => F.crossEntropy(model.forward(X), Y)).item();

interface Run {
  steps: number[];
  losses: number[];
  batchSize: number;
}

/**
 * Trains a fresh `Linear(64, 10)` (same initial weights every time) for `steps` optimizer steps
 * with batches of `batchSize`, and records the full training loss every `every` steps.
 */
async function train(
  makeOpt: (params: Tensor[]) => optim.Optimizer,
  batchSize: number,
  steps: number,
  every: number,
  onStep?: (opt: optim.Optimizer, step: number) => void,
): Promise<Run & { model: nn.Linear }> {
  manualSeed(0);
  const model = new nn.Linear(64, 10);
  const opt = makeOpt(model.parameters());
  const loader = new data.DataLoader(dataset, { batchSize, shuffle: true, seed: 1 });
  const run: Run = { steps: [0], losses: [await trainLoss(model)], batchSize };
  let step = 0;
  while (step < steps) {
    for await (const [xb, yb] of loader) {
      tidy(() => {
        opt.zeroGrad();
        F.crossEntropy(model.forward(xb), yb).backward();
        opt.step();
      });
      step++;
      onStep?.(opt, step);
      if (step % every === 0 || step === steps) {
        run.steps.push(step);
        run.losses.push(await trainLoss(model));
      }
      if (step === steps) break;
    }
  }
  return { ...run, model };
}
// %% [markdown]
// Eight variants, all at the same learning rate η = 0.1 and for the same number of steps: batch
// gradient descent (the whole training subset per step), SGD on one sample per step, mini-batch
// SGD (32 samples) and, on the same batches of 32, momentum, Adagrad, RMSprop, Adam and AdamW.
// %%
const STEPS = QUICK ? 60 : 300;
const EVERY = QUICK ? 5 : 10;
const LR = 0.1;
const variants: [string, number, (ps: Tensor[]) => optim.Optimizer][] = [
  ["batch GD", N_TRAIN, (ps) => new optim.SGD(ps, { lr: LR })],
  ["SGD (1 sample)", 1, (ps) => new optim.SGD(ps, { lr: LR })],
  ["mini-batch SGD", 32, (ps) => new optim.SGD(ps, { lr: LR })],
  ["Momentum", 32, (ps) => new optim.SGD(ps, { lr: LR, momentum: 0.9 })],
  ["Adagrad", 32, (ps) => new optim.Adagrad(ps, { lr: LR })],
  ["RMSprop", 32, (ps) => new optim.RMSprop(ps, { lr: LR })],
  ["Adam", 32, (ps) => new optim.Adam(ps, { lr: LR })],
  ["AdamW", 32, (ps) => new optim.AdamW(ps, { lr: LR })],
];
const runs: Record<string, Run> = {};
for (const [name, batchSize, makeOpt] of variants) {
  const t0 = performance.now();
  runs[name] = await train(makeOpt, batchSize, STEPS, EVERY);
  const { losses } = runs[name];
  console.log(
    `${name.padEnd(15)} batch ${String(batchSize).padStart(3)}: loss ${losses[0].toFixed(3)} → ` +
      `${losses.at(-1)!.toFixed(4)} (${((performance.now() - t0) / STEPS).toFixed(0)} ms/step)`,
  );
  assert.ok(losses.at(-1)! < losses[0], `${name} reduces the loss`);
}
plot.line(
  Object.entries(runs).map(([name, r]) => ({ x: r.steps, y: r.losses, name })),
  {
    title: `Digits, Linear(64, 10), η = ${LR}: training loss vs step`,
    xTitle: "optimizer step",
    yTitle: "cross entropy",
    logY: true,
  },
);
// %% [markdown]
// Per step, batch gradient descent and mini-batch SGD follow nearly the same curve: the average
// over 32 samples is already a good estimate of the full gradient. But a step of batch GD reads
// all the training samples. Plotted against the number of samples processed (in epochs, passes
// over the training set), one-sample SGD makes the most progress per unit of data, and batch GD the least.
// %%
const epochFigure = plot.line(
  ["batch GD", "SGD (1 sample)", "mini-batch SGD", "Adam"].map((name) => ({
    x: runs[name].steps.map((s) => (s * runs[name].batchSize) / N_TRAIN),
    y: runs[name].losses,
    name,
  })),
  {
    title: "The same runs against epochs (samples processed / training-set size)",
    xTitle: "epochs",
    yTitle: "cross entropy",
    logY: true,
  },
);
(epochFigure.layout.xaxis as Record<string, unknown>).type = "log";
/** Training loss of a run after about `epochs` passes over the data (linear interpolation in steps). */
const lossAtEpochs = (r: Run, epochs: number) => {
  const step = (epochs * N_TRAIN) / r.batchSize;
  const i = r.steps.findIndex((s) => s >= step);
  return i < 0 ? NaN : r.losses[i];
};
const oneEpochSGD = lossAtEpochs(runs["SGD (1 sample)"], STEPS / N_TRAIN);
const oneEpochGD = lossAtEpochs(runs["batch GD"], STEPS / N_TRAIN);
console.log(
  `after ${(STEPS / N_TRAIN).toFixed(2)} epochs: SGD (1 sample) ${oneEpochSGD.toFixed(3)}, batch GD ${
    oneEpochGD.toFixed(3)
  }`,
);
assert.ok(oneEpochSGD < oneEpochGD, "per sample processed, one-sample SGD beats batch GD");
epochFigure;
// %% [markdown]
// At this shared η = 0.1, the adaptive methods (RMSprop, Adam, AdamW) reach a lower loss than plain
// mini-batch SGD. Is that just this η? A small sweep of SGD and Adam over η (same batches, same steps):
// %%
const sweepLrs = [0.01, 0.1, 0.5];
const lrTable: Record<string, number[]> = { "mini-batch SGD": [], "Adam": [] };
for (const lr of sweepLrs) {
  lrTable["mini-batch SGD"].push((await train((ps) => new optim.SGD(ps, { lr }), 32, STEPS, STEPS)).losses.at(-1)!);
  lrTable["Adam"].push((await train((ps) => new optim.Adam(ps, { lr }), 32, STEPS, STEPS)).losses.at(-1)!);
}
console.log(["η".padEnd(15), ...sweepLrs.map((lr) => String(lr).padStart(8))].join(" "));
for (const [name, row] of Object.entries(lrTable)) {
  console.log([name.padEnd(15), ...row.map((v) => v.toFixed(4).padStart(8))].join(" "));
}
sweepLrs.forEach((lr, i) => {
  assert.ok(lrTable["Adam"][i] < lrTable["mini-batch SGD"][i], `Adam beats SGD at η = ${lr}`);
});
const minibatch = runs["mini-batch SGD"].losses.at(-1)!;
for (const name of ["RMSprop", "Adam", "AdamW"]) {
  assert.ok(runs[name].losses.at(-1)! < minibatch, `${name} beats mini-batch SGD at η = ${LR}`);
}
assert.ok(runs["Momentum"].losses.at(-1)! < minibatch, "momentum beats plain mini-batch SGD");
// %% [markdown]
// The ranking flips between the two problems, and the reason is the size of the gradient. On the
// quadratic the gradients are large (up to 100 along y), so η g is a big step and plain gradient
// descent must use a small η; Adam's step is about η whatever the gradient, which is too short at
// that η. Here the gradient entries are small (≈ 0.01–0.1), so η g is a tiny step and Adam's
// normalised step of about η covers far more ground at every η tried.
//
// ## Learning-rate schedules
//
// A scheduler changes `lr` in the optimizer's parameter groups; call `scheduler.step()` after
// `optimizer.step()` (per epoch or, as here, per batch). From a base η = 0.1:
//
// - `StepLR`: η · γ^⌊t / stepSize⌋;
// - `CosineAnnealingLR`: η_min + (η − η_min)(1 + cos(πt/T))/2;
// - `OneCycleLR`: warm up from maxLr/25 to maxLr over 30 % of the steps, then anneal (cosine) to
//   maxLr/(25·10⁴), cycling momentum the other way;
// - `ReduceLROnPlateau`: multiply η by `factor` when the metric passed to `step(metric)` has not
//   improved for `patience` steps. Here it is fed a made-up loss that improves, then stalls twice.
// %%
const T = 100;
const dummy = () => new optim.SGD([tensor([0], { requiresGrad: true, device: "cpu" })], { lr: 0.1, momentum: 0.9 });
const schedules: Record<string, (opt: optim.Optimizer) => { step(metric?: number): void; getLastLr(): number[] }> = {
  "StepLR(stepSize 30, γ 0.5)": (opt) => new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.5 }),
  "CosineAnnealingLR(T 100)": (opt) => new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: T }),
  "OneCycleLR(maxLr 0.1)": (opt) => new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: T }),
  "ReduceLROnPlateau(patience 5, factor 0.5)": (opt) =>
    new optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 5, factor: 0.5 }),
};
/** A made-up validation loss: falls until step 30, flat until 60, falls again, flat after 75. */
const fakeLoss = (t: number) => (t < 30 ? 1 - t / 60 : t < 60 ? 0.5 : t < 75 ? 0.5 - (t - 60) / 60 : 0.25);
const lrCurves: Record<string, number[]> = {};
for (const [name, make] of Object.entries(schedules)) {
  const opt = dummy();
  const sched = make(opt);
  lrCurves[name] = [];
  for (let t = 0; t < T; t++) {
    lrCurves[name].push(sched.getLastLr()[0]);
    opt.step();
    if (sched instanceof optim.lrScheduler.ReduceLROnPlateau) sched.step(fakeLoss(t));
    else sched.step();
  }
}
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
const [stepC, cosC, oneC, plateauC] = Object.values(lrCurves);
assert.ok(near(stepC[29], 0.1) && near(stepC[30], 0.05) && near(stepC[60], 0.025), "StepLR halves every 30 steps");
assert.ok(near(cosC[0], 0.1) && near(cosC[50], 0.05), "cosine is at half the base rate halfway");
assert.ok(
  near(oneC[0], 0.1 / 25) && near(Math.max(...oneC), 0.1) && oneC.at(-1)! < 1e-4,
  "OneCycle warms up, peaks, anneals",
);
assert.ok(
  plateauC[0] === 0.1 && plateauC.at(-1)! < 0.1 && plateauC[29] === 0.1,
  "ReduceLROnPlateau cuts η only on the plateaus",
);
plot.line(
  Object.entries(lrCurves).map(([name, y]) => ({ y, name })),
  { title: "Learning rate vs step", xTitle: "step", yTitle: "learning rate" },
);
// %% [markdown]
// Training with schedules: mini-batch SGD with momentum 0.9 and weight decay λ = 0.01 on the digits,
// at a high η = 1, with a constant rate, `CosineAnnealingLR` and `OneCycleLR` over the same steps.
// The objective is J = cross entropy + (λ/2)‖θ‖² (SGD's `weightDecay` adds λθ to the gradient of
// every parameter, bias included). The decay gives J a single minimum at a finite θ. With a constant
// η the noise of the mini-batch gradients keeps θ bouncing around that minimum, so J stalls above
// it. An annealed rate shrinks the steps and lets θ settle closer.
// %%
const HIGH_LR = 1;
const WD = 0.01;
/** J(θ) = cross entropy on the training subset + (λ/2)‖θ‖², the objective SGD with `weightDecay: λ` descends. */
const objective = (model: nn.Linear) =>
  noGrad(() => F.crossEntropy(model.forward(X), Y).add(F.l2Penalty(model.parameters(), { half: true }).mul(WD))).item();
const schedRuns: Record<string, Run> = {};
for (const kind of ["constant", "cosine", "one-cycle"]) {
  let sched: { step(): void } | null = null;
  const run = await train(
    (ps) => {
      const opt = new optim.SGD(ps, { lr: HIGH_LR, momentum: 0.9, weightDecay: WD });
      if (kind === "cosine") sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: STEPS });
      if (kind === "one-cycle") sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: HIGH_LR, totalSteps: STEPS });
      return opt;
    },
    32,
    STEPS,
    EVERY,
    () => sched?.step(),
  );
  const final = await objective(run.model);
  schedRuns[kind] = run;
  console.log(
    `${kind.padEnd(9)}: training cross entropy ${run.losses.at(-1)!.toFixed(4)}, objective J ${final.toFixed(4)}`,
  );
  assert.ok(run.losses.at(-1)! < run.losses[0], `${kind} reduces the loss`);
  (schedRuns[kind] as Run & { objective?: number }).objective = final;
}
const J = (kind: string) => (schedRuns[kind] as Run & { objective: number }).objective;
assert.ok(J("cosine") < J("constant"), "cosine annealing ends with a lower objective than the constant rate");
assert.ok(J("one-cycle") < J("constant"), "one-cycle ends with a lower objective than the constant rate");
plot.line(
  Object.entries(schedRuns).map(([name, r]) => ({ x: r.steps, y: r.losses, name })),
  {
    title: `SGD + momentum + weight decay, η = ${HIGH_LR}: constant vs scheduled`,
    xTitle: "optimizer step",
    yTitle: "training cross entropy",
    logY: true,
  },
);
