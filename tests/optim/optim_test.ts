/**
 * Optimizers, LR schedulers and gradient clipping against torch 1.13 trajectories
 * (tests/fixtures/make_optim.py → optim.json): float32 on the default device at 1e-5,
 * float64 on cpu at 1e-9.
 */
import type { Device } from "../../mod.ts";
import assert from "node:assert/strict";
import { type DType, getDefaultDevice, memoryStats, nn, optim, type Tensor, tensor, tidy } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

interface OptimizerCase {
  name: keyof typeof optimizers;
  options: Record<string, unknown>;
  params: number[][][];
}
interface Fixture {
  init: number[][];
  shapes: number[][];
  grads: number[][][];
  optimizers: OptimizerCase[];
  schedulers: Record<string, { lr: number[]; momentum?: number[]; metrics?: number[] }>;
  clip: {
    norm: { normType: number | "inf"; maxNorm: number; total: number; grads: number[][] }[];
    value: { clipValue: number; grads: number[][] };
  };
}

const fixture: Fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/optim.json", import.meta.url)));
const optimizers = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  Adagrad: optim.Adagrad,
  RMSprop: optim.RMSprop,
  Adadelta: optim.Adadelta,
  Adamax: optim.Adamax,
  NAdam: optim.NAdam,
  RAdam: optim.RAdam,
};
type Precision = { dtype: DType; device: Device; rtol: number; atol: number };
const F32: Precision = { dtype: "float32", device: getDefaultDevice(), rtol: 1e-5, atol: 1e-6 };
const F64: Precision = { dtype: "float64", device: "cpu", rtol: 1e-9, atol: 1e-12 };

function makeParams(pr: Precision): Tensor[] {
  return fixture.init.map((v, i) =>
    tensor(v, { dtype: pr.dtype, device: pr.device, requiresGrad: true }).reshape(fixture.shapes[i]).detach()
      .requiresGrad_()
  );
}

function setGrads(params: Tensor[], step: number, pr: Precision): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = tensor(fixture.grads[step][i], { dtype: pr.dtype, device: pr.device }).reshape(p.shape);
  });
}

function label(c: OptimizerCase): string {
  return `${c.name}(${JSON.stringify(c.options)})`;
}

/** Runs steps `from..to-1` of a fixture case, comparing each step's parameters. */
async function follow(
  opt: optim.Optimizer,
  params: Tensor[],
  c: OptimizerCase,
  pr: Precision,
  from: number,
  to: number,
) {
  for (let step = from; step < to; step++) {
    setGrads(params, step, pr);
    opt.step();
    for (const [i, p] of params.entries()) {
      assertClose(await p.data(), c.params[step][i], {
        rtol: pr.rtol,
        atol: pr.atol,
        what: `${label(c)} step ${step + 1} param ${i}`,
      });
    }
  }
}

async function checkAllOptimizers(pr: Precision) {
  for (const c of fixture.optimizers) {
    const params = makeParams(pr);
    const opt = new optimizers[c.name](params, c.options as { lr: number });
    await follow(opt, params, c, pr, 0, c.params.length);
  }
}

Deno.test("every optimizer follows torch's trajectory in float32 on the default device", async () => {
  await checkAllOptimizers(F32);
});

Deno.test("every optimizer follows torch's trajectory in float64 on cpu to 1e-9", async () => {
  await checkAllOptimizers(F64);
});

Deno.test("stateDict() and loadStateDict() resume an optimizer on the same trajectory", async () => {
  const picks = fixture.optimizers.filter((_, i) => [2, 5, 10, 12, 15, 17, 19, 21].includes(i));
  for (const c of picks) {
    const params = makeParams(F64);
    const opt = new optimizers[c.name](params, c.options as { lr: number });
    await follow(opt, params, c, F64, 0, 4);
    const saved = opt.stateDict();
    const copies = params.map((p) => p.detach().clone().requiresGrad_());
    await follow(opt, params, c, F64, 4, 8); // later steps must not change the snapshot
    const resumed = new optimizers[c.name](copies, { lr: 123 });
    resumed.loadStateDict(saved);
    assert.equal(resumed.paramGroups[0].lr, (c.options.lr as number | undefined) ?? resumed.paramGroups[0].lr);
    await follow(resumed, copies, c, F64, 4, 8);
  }
});

Deno.test("stateDict() has torch's structure: state by parameter index, groups with their options", () => {
  const params = makeParams(F64);
  const opt = new optim.Adam(params, { lr: 0.01, amsgrad: true });
  setGrads(params, 0, F64);
  opt.step();
  const sd = opt.stateDict();
  assert.deepEqual(Object.keys(sd.state), ["0", "1"]);
  assert.deepEqual(Object.keys(sd.state[0]).sort(), ["expAvg", "expAvgSq", "maxExpAvgSq", "step"]);
  assert.equal(sd.state[0].step, 1);
  assert.deepEqual((sd.state[1].expAvg as Tensor).shape, [4]);
  assert.deepEqual(sd.paramGroups, [{
    lr: 0.01,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: true,
    maximize: false,
    params: [0, 1],
  }]);
  assert.throws(() => new optim.Adam([params[0]]).loadStateDict(sd), RangeError);
});

Deno.test("parameter groups override the defaults and match separate optimizers", async () => {
  const [a, b] = makeParams(F64);
  const [a2, b2] = makeParams(F64);
  const grouped = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.05, weightDecay: 0.1 }], { lr: 0.01 });
  assert.deepEqual(grouped.paramGroups[1].betas, [0.9, 0.999]);
  assert.equal(grouped.paramGroups[0].lr, 0.01);
  assert.equal(grouped.paramGroups[1].lr, 0.05);
  const single = [new optim.Adam([a2], { lr: 0.01 }), new optim.Adam([b2], { lr: 0.05, weightDecay: 0.1 })];
  for (let step = 0; step < 3; step++) {
    setGrads([a, b], step, F64);
    setGrads([a2, b2], step, F64);
    grouped.step();
    single.forEach((o) => o.step());
  }
  assert.deepEqual(await a.data(), await a2.data());
  assert.deepEqual(await b.data(), await b2.data());
  const c = tensor([1], { requiresGrad: true, dtype: "float64", device: "cpu" });
  grouped.addParamGroup({ params: [c], lr: 0.5 });
  assert.equal(grouped.paramGroups.length, 3);
  assert.equal(grouped.paramGroups[2].eps, 1e-8);
});

Deno.test("step() skips parameters without a gradient and zeroGrad() sets gradients to null", async () => {
  const [a, b] = makeParams(F64);
  const opt = new optim.SGD([a, b], { lr: 0.1, momentum: 0.9 });
  a.grad = tensor([1, 1, 1, 1, 1, 1], { dtype: "float64", device: "cpu" }).reshape([2, 3]);
  const before = Array.from(await b.data());
  opt.step();
  assert.deepEqual(Array.from(await b.data()), before);
  assert.equal(opt.state.has(b), false);
  assertClose(await a.data(), fixture.init[0].map((x) => x - 0.1), { rtol: 1e-12, atol: 1e-12, what: "a" });
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
});

Deno.test("bad optimizer options throw errors naming the optimizer, option and value", () => {
  const p = tensor([1], { requiresGrad: true });
  assert.throws(() => new optim.Adam([p], { lr: NaN }), {
    name: "RangeError",
    message: "Adam: lr must be a finite number >= 0, got NaN",
  });
  assert.throws(
    () => new optim.Adam([p], { betas: [1, 0.9] }),
    /Adam: betas\[0\] must be a finite number in \[0, 1\), got 1/,
  );
  assert.throws(() => new optim.AdamW([p], { eps: -1 }), /AdamW: eps must be a finite number >= 0, got -1/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, momentum: -0.5 }), /SGD: momentum .* got -0.5/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, weightDecay: Infinity }), /SGD: weightDecay .* got Infinity/);
  assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /SGD: nesterov momentum requires momentum > 0/);
  assert.throws(() => new optim.SGD([p], {} as { lr: number }), TypeError);
  assert.throws(() => new optim.RMSprop([p], { alpha: -1 }), /RMSprop: alpha/);
  assert.throws(
    () => new optim.Adadelta([p], { rho: 1.5 }),
    /Adadelta: rho must be a finite number in \[0, 1\], got 1.5/,
  );
  assert.throws(() => new optim.Adam([{ params: [p], lr: -1 }]), /Adam: lr must be a finite number >= 0, got -1/);
  assert.throws(() => new optim.Adam([{ params: [p] }, { params: [p] }]), /more than one parameter group/);
  assert.throws(() => new optim.Adam([p.mul(2)]), /non-leaf/);
  assert.throws(() => new optim.Adam([]), RangeError);
  const opt = new optim.Adam([p]);
  p.grad = tensor([1, 2], { dtype: p.dtype });
  assert.throws(() => opt.step(), /Adam: the gradient of a float32 \[1\] parameter .* is float32 \[2\]/);
});

function schedulerFor(key: string, opt: optim.Optimizer): { step(metric?: number): void; getLastLr(): number[] } {
  const S = optim.lrScheduler;
  switch (key) {
    case "LambdaLR":
      return new S.LambdaLR(opt, (e) => 0.95 ** e / (1 + e % 3));
    case "StepLR":
      return new S.StepLR(opt, { stepSize: 4, gamma: 0.5 });
    case "MultiStepLR":
      return new S.MultiStepLR(opt, { milestones: [3, 7, 7, 20], gamma: 0.3 });
    case "ExponentialLR":
      return new S.ExponentialLR(opt, { gamma: 0.9 });
    case "CosineAnnealingLR":
      return new S.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
    case "LinearLR":
      return new S.LinearLR(opt, { startFactor: 0.25, endFactor: 0.9, totalIters: 12 });
    case "SequentialLR":
      return new S.SequentialLR(opt, [
        new S.LinearLR(opt, { startFactor: 0.1, totalIters: 5 }),
        new S.CosineAnnealingLR(opt, { tMax: 15 }),
      ], { milestones: [6] });
    case "SequentialLR3":
      return new S.SequentialLR(opt, [
        new S.ExponentialLR(opt, { gamma: 0.8 }),
        new S.StepLR(opt, { stepSize: 3 }),
        new S.LambdaLR(opt, (e) => 1 / (e + 1)),
      ], { milestones: [5, 12] });
    case "OneCycleLR":
      return new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 30 });
    case "OneCycleLRLinear3":
      return new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 30, annealStrategy: "linear", threePhase: true });
    case "OneCycleLRAdam":
      return new S.OneCycleLR(opt, { maxLr: 0.5, totalSteps: 30, pctStart: 0.4, divFactor: 10, finalDivFactor: 100 });
    case "ReduceLROnPlateau":
      return new S.ReduceLROnPlateau(opt, { factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLr: 0.02 });
    case "ReduceLROnPlateauMaxAbs":
      return new S.ReduceLROnPlateau(opt, {
        mode: "max",
        factor: 0.3,
        patience: 1,
        threshold: 0.01,
        thresholdMode: "abs",
      });
  }
  throw new Error(`no scheduler ${key}`);
}

function schedulerOptimizer(key: string): optim.Optimizer {
  const p = tensor([0], { requiresGrad: true, device: "cpu" });
  return key === "OneCycleLRAdam" ? new optim.Adam([p], { lr: 0.1 }) : new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
}

Deno.test("every LR scheduler gives torch's learning rates (and OneCycleLR's momentum)", () => {
  for (const [key, expected] of Object.entries(fixture.schedulers)) {
    const opt = schedulerOptimizer(key);
    const sched = schedulerFor(key, opt);
    const momentum = () =>
      key === "OneCycleLRAdam" ? (opt.paramGroups[0].betas as number[])[0] : opt.paramGroups[0].momentum as number;
    const lrs = [sched.getLastLr()[0]], moms = [momentum()];
    for (let i = 0; i < expected.lr.length - 1; i++) {
      opt.step();
      if (expected.metrics) sched.step(expected.metrics[i]);
      else sched.step();
      lrs.push(sched.getLastLr()[0]);
      moms.push(momentum());
    }
    assertClose(lrs, expected.lr, { rtol: 1e-12, atol: 1e-15, what: `${key} lr` });
    if (expected.momentum) assertClose(moms, expected.momentum, { rtol: 1e-12, atol: 1e-15, what: `${key} momentum` });
  }
});

Deno.test("OneCycleLR refuses to step past totalSteps", () => {
  const opt = schedulerOptimizer("OneCycleLR");
  const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 3 });
  for (let i = 0; i < 3; i++) sched.step();
  assert.throws(() => sched.step(), /OneCycleLR: tried to step 5 times; totalSteps is 3/);
});

Deno.test("scheduler stateDict() round trips mid-schedule", () => {
  for (const key of ["CosineAnnealingLR", "SequentialLR", "OneCycleLR", "ReduceLROnPlateau"]) {
    const expected = fixture.schedulers[key];
    const opt = schedulerOptimizer(key);
    const sched = schedulerFor(key, opt) as optim.lrScheduler.LRScheduler;
    const stepOnce = (s: { step(m?: number): void }, i: number) => s.step(expected.metrics?.[i]);
    for (let i = 0; i < 12; i++) stepOnce(sched, i);
    const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
    const opt2 = schedulerOptimizer(key);
    const sched2 = schedulerFor(key, opt2) as optim.lrScheduler.LRScheduler;
    opt2.loadStateDict(saved.optimizer);
    sched2.loadStateDict(JSON.parse(JSON.stringify(saved.scheduler)));
    for (let i = 12; i < 20; i++) {
      stepOnce(sched2, i);
      assertClose(sched2.getLastLr(), [expected.lr[i + 1]], {
        rtol: 1e-12,
        atol: 1e-15,
        what: `${key} resumed lr ${i + 1}`,
      });
    }
  }
});

Deno.test("bad scheduler options throw errors naming the scheduler", () => {
  const opt = schedulerOptimizer("StepLR");
  const S = optim.lrScheduler;
  assert.throws(() => new S.StepLR(opt, { stepSize: 0 }), /StepLR: stepSize must be an integer >= 1, got 0/);
  assert.throws(() => new S.LinearLR(opt, { startFactor: 2 }), /LinearLR: startFactor/);
  assert.throws(() => new S.ReduceLROnPlateau(opt, { factor: 1 }), /ReduceLROnPlateau: factor/);
  assert.throws(() => new S.OneCycleLR(opt, { maxLr: 1 }), /OneCycleLR: define either totalSteps/);
  assert.throws(() => new S.SequentialLR(opt, [new S.StepLR(opt, { stepSize: 2 })], { milestones: [3] }), RangeError);
});

function gradParams(pr: Precision): Tensor[] {
  return fixture.grads[0].map((g, i) => {
    const p = tensor(fixture.init[i], { dtype: pr.dtype, device: pr.device, requiresGrad: true });
    p.grad = tensor(g, { dtype: pr.dtype, device: pr.device });
    return p;
  });
}

for (const pr of [F32, F64]) {
  Deno.test(`clipGradNorm() and clipGradValue() match torch (${pr.dtype} on ${pr.device})`, async () => {
    for (const c of fixture.clip.norm) {
      const params = gradParams(pr);
      const normType = c.normType === "inf" ? Infinity : c.normType;
      const total = nn.utils.clipGradNorm(params, c.maxNorm, { normType });
      const what = `clipGradNorm(maxNorm ${c.maxNorm}, normType ${normType})`;
      assertClose(await total.data(), [c.total], { rtol: pr.rtol, atol: pr.atol, what: `${what} total` });
      for (const [i, p] of params.entries()) {
        assertClose(await p.grad!.data(), c.grads[i], { rtol: pr.rtol, atol: pr.atol, what: `${what} grad ${i}` });
      }
    }
    const params = gradParams(pr);
    nn.utils.clipGradValue(params, fixture.clip.value.clipValue);
    for (const [i, p] of params.entries()) {
      assertClose(await p.grad!.data(), fixture.clip.value.grads[i], {
        rtol: pr.rtol,
        atol: pr.atol,
        what: `clipGradValue grad ${i}`,
      });
    }
  });
}

Deno.test("clipGradNorm() with errorIfNonfinite rejects a NaN norm and leaves the gradients alone", async () => {
  const p = tensor([0, 0], { requiresGrad: true });
  p.grad = tensor([NaN, 1]);
  await assert.rejects(nn.utils.clipGradNorm([p], 1, { errorIfNonfinite: true }), /clipGradNorm: .* is NaN/);
  assert.equal((await p.grad.data())[1], 1);
  p.grad = tensor([3, 4], { dtype: "float32" });
  assert.equal(await (await nn.utils.clipGradNorm(p, 10, { errorIfNonfinite: true })).item(), 5);
  assert.equal(await nn.utils.clipGradNorm([tensor([1], { requiresGrad: true })], 1).item(), 0);
});

Deno.test("100 steady-state Adam steps allocate no new device buffers", async () => {
  const params = makeParams(F32);
  const opt = new optim.Adam(params, { lr: 0.01, amsgrad: true });
  setGrads(params, 0, F32);
  const step = () => tidy(() => opt.step());
  for (let i = 0; i < 3; i++) step();
  await params[0].data();
  const before = memoryStats();
  for (let i = 0; i < 100; i++) step();
  await params[0].data();
  const after = memoryStats();
  // <=: tensors dropped by earlier tests may be finalized meanwhile
  assert.ok(
    after.liveStorages <= before.liveStorages,
    `live storages grew: ${before.liveStorages} → ${after.liveStorages}`,
  );
  if (getDefaultDevice() !== "reference") assert.equal(after.buffersCreated, before.buffersCreated);
});
