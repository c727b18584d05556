// Chapter 1: setup and concepts. Source of notebooks/01_setup.ipynb (built by notebooks/build.ts).
// notebook-permissions: read, env
// %% [markdown]
// # 1. Setup and concepts
//
// This notebook checks that denograd works on this machine, names the pieces every training loop
// is made of, and computes a first gradient.
//
// **Installing.** Inside the repository, `npm ci` fetches Deno (pinned in `package.json`). For
// notebooks, install Jupyter (on Debian: `apt-get install -y --no-install-recommends jupyter-core
// jupyter-nbconvert python3-nbclient`, or JupyterLab from pip) and Deno's kernel with
// `npx deno jupyter --install`. Open the notebooks from the `notebooks/` folder: the kernel finds
// the repository's `deno.json`, whose import map resolves `"denograd"` to `mod.ts`.
// `deno task notebooks` runs them all headless (`--quick` for a short run).
// %%
import { getDefaultDevice, initDevices, nn, optim, plot, tensor } from "denograd";
import assert from "node:assert/strict";

/** Quick mode (`DENOGRAD_QUICK=1`, set by `deno task notebooks:quick`) trains for fewer steps. */
const QUICK = Deno.env.get("DENOGRAD_QUICK") === "1";
// %% [markdown]
// ## The backend
//
// denograd runs its kernels through WebGPU when `navigator.gpu` offers a GPU. Where there is no
// adapter, or the only one is a CPU rasterizer (Mesa's llvmpipe/lavapipe on a machine without a
// GPU, SwiftShader, WARP: correct, but slower than computing on the CPU directly), the default
// device is the fast `cpu` backend (WebAssembly SIMD and JavaScript on every core), and the first use of the default says so in one
// line. `DENOGRAD_BACKEND=cpu|webgpu` picks one; `DENOGRAD_BACKEND=webgpu` or
// `setDefaultDevice("webgpu")` forces WebGPU even on a rasterizer.
// %%
const device = await initDevices();
const adapter = await navigator.gpu?.requestAdapter();
const info = adapter?.info;
console.log(`default device: ${device}`);
console.log(
  info
    ? `WebGPU adapter: ${info.description || info.device || info.vendor || "unnamed"} ` +
      `(vendor ${info.vendor || "?"}, architecture ${info.architecture || "?"})`
    : "no WebGPU adapter: tensors live on the cpu backend",
);
assert.ok(device === "webgpu" || device === "cpu");
assert.equal(getDefaultDevice(), device);
// %% [markdown]
// ## The picture: from a loss to trained parameters
//
// Every chapter of this tutorial turns the same loop:
//
// - the **model** maps inputs and **parameters** θ to an **output** ŷ;
// - the **loss** ℓ(ŷ, y) scores one prediction against its target;
// - the **objective** J(θ) is what we minimize: the loss averaged over the data, plus any
//   regularization;
// - **backpropagation** gives the gradient ∇J(θ);
// - the **optimizer** turns the gradient into a step; plain **gradient descent** is
//   θ ← θ − η ∇J(θ), with learning rate η;
// - the step changes the parameters, which changes the output, and the loop turns again.
// %%
const stages = [
  "parameters θ",
  "model output ŷ = f(x; θ)",
  "loss ℓ(ŷ, y)",
  "objective J(θ) = mean ℓ + penalty",
  "gradient ∇J(θ) (backward)",
  "optimizer step θ ← θ − η∇J",
];
const angle = (i: number) => Math.PI / 2 - (2 * Math.PI * i) / stages.length;
const px = stages.map((_, i) => Math.cos(angle(i)));
const py = stages.map((_, i) => Math.sin(angle(i)));
const arrows = stages.map((_, i) => {
  const j = (i + 1) % stages.length;
  return {
    x: px[j] * 0.8,
    y: py[j] * 0.8,
    ax: px[i] * 0.8,
    ay: py[i] * 0.8,
    xref: "x",
    yref: "y",
    axref: "x",
    ayref: "y",
    showarrow: true,
    arrowhead: 3,
    arrowsize: 1.5,
    arrowcolor: "#888",
    text: "",
  };
});
const loopFigure = new plot.Figure(
  [{
    type: "scatter",
    mode: "markers+text",
    x: px,
    y: py,
    text: stages,
    textposition: px.map((x) => (x > 0.1 ? "middle right" : x < -0.1 ? "middle left" : "top center")),
    marker: { size: 22, color: ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b"] },
    hoverinfo: "text",
  }],
  {
    title: { text: "One turn of training" },
    xaxis: { visible: false, range: [-2.4, 2.4] },
    yaxis: { visible: false, range: [-1.4, 1.4], scaleanchor: "x" },
    annotations: arrows,
    showlegend: false,
    width: 720,
    height: 460,
  },
);
loopFigure;
// %% [markdown]
// ## A first tensor and its gradient
//
// A tensor created with `requiresGrad: true` records the operations applied to it. For
// s = Σᵢ xᵢ², `backward()` fills `x.grad` with ∂s/∂xᵢ = 2xᵢ. Reading values back (`toArray()`,
// `item()`) is the only asynchronous step.
// %%
const x = tensor([1, 2, 3], { requiresGrad: true });
const s = x.square().sum();
s.backward();
console.log(`s = ${await s.item()}`);
console.log(`x.grad = ${JSON.stringify(await x.grad!.toArray())}`);
assert.equal(await s.item(), 14);
assert.deepEqual(await x.grad!.toArray(), [2, 4, 6]);
x;
// %% [markdown]
// ## Gradient descent, end to end
//
// The whole loop on the smallest real problem: fit y = 2x + 1 from noisy points with one
// `nn.Linear(1, 1)`, the mean squared error as loss (and objective), and `optim.SGD` as the
// optimizer.
// %%
const xs = Array.from({ length: 32 }, (_, i) => -1 + (2 * i) / 31);
const noise = xs.map((_, i) => 0.05 * Math.sin(7 * i)); // deterministic "noise"
const inputs = tensor(xs.map((v) => [v]));
const targets = tensor(xs.map((v, i) => [2 * v + 1 + noise[i]]));

const model = new nn.Linear(1, 1);
const lossFn = new nn.MSELoss();
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const steps = QUICK ? 60 : 200;
const losses: number[] = [];
for (let step = 0; step < steps; step++) {
  opt.zeroGrad();
  const loss = lossFn.forward(model.forward(inputs), targets);
  loss.backward();
  opt.step();
  losses.push(await loss.item());
}
const [w] = (await model.weight.toArray()) as number[][];
const b = (await model.bias!.toArray()) as number[];
console.log(`after ${steps} steps: loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(5)}`);
console.log(`learned y = ${w[0].toFixed(3)}·x + ${b[0].toFixed(3)} (true: y = 2·x + 1)`);
assert.ok(losses.at(-1)! < losses[0] / 10, "the loss fell by more than 10×");
assert.ok(Math.abs(w[0] - 2) < 0.1 && Math.abs(b[0] - 1) < 0.1, "the parameters approach w = 2, b = 1");
plot.line({ y: losses, name: "MSE" }, { title: "Training loss", xTitle: "step", yTitle: "loss", logY: true });
