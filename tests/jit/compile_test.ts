// compile(): captured steps replay exactly what eager execution computes — parameters, optimizer
// state, learning-rate schedules, dropout's random numbers, double backward — and refuse what
// cannot be replayed (reads inside the step, control flow that changes between calls).
import assert from "node:assert/strict";
import {
  BertForSequenceClassification,
  compile,
  F,
  manualSeed,
  memoryStats,
  nn,
  optim,
  randn,
  synchronize,
  type Tensor,
  tensor,
  tidy,
} from "../../mod.ts";
import { ensureWebGPU, getDefaultDevice } from "../../lib/tensor/device.ts";
import { assertClose } from "../_helpers.ts";

// (these run where webgpu is the default device: DENOGRAD_BACKEND=cpu runs skip them)
const hasGpu = await ensureWebGPU() && getDefaultDevice() === "webgpu";
const opts = { ignore: !hasGpu, sanitizeResources: false, sanitizeOps: false };

type Step = (x: Tensor, y: Tensor) => Tensor;

/** A classifier step (dropout optional) with its optimizer and schedule, from a fixed seed. */
function classifier(options: { dropout?: number; optimizer: "adam" | "sgd"; schedule?: boolean }) {
  manualSeed(11);
  const layers: nn.Module[] = [new nn.Linear(12, 16), new nn.ReLU()];
  if (options.dropout) layers.push(new nn.Dropout(options.dropout));
  layers.push(new nn.Linear(16, 4));
  const model = new nn.Sequential(...layers);
  const opt = options.optimizer === "adam"
    ? new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.1 })
    : new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
  const sched = options.schedule ? new optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 }) : null;
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  const step: Step = (x, y) => {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  return { model, step, sched };
}

function batches(n: number): [Tensor, Tensor][] {
  manualSeed(99);
  return Array.from({ length: n }, (_, i) => [
    randn([8, 12]),
    tensor(Array.from({ length: 8 }, (_, j) => (i + 3 * j) % 4)),
  ]);
}

/** Losses and final weights of `steps` steps, each step's loss read after the call. */
async function train(setup: ReturnType<typeof classifier>, compiled: boolean, steps: number) {
  const data = batches(3);
  const step = compiled ? compile(setup.step) : setup.step;
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [x, y] = data[i % data.length];
    const loss = step(x, y);
    losses.push(await loss.item());
    loss.dispose();
    setup.sched?.step();
  }
  const weights = await Promise.all(setup.model.parameters().map((p) => p.data()));
  return { losses, weights, stats: compiled ? (step as ReturnType<typeof compile>).stats : null };
}

async function agree(options: Parameters<typeof classifier>[0], steps = 10) {
  const eager = await train(classifier(options), false, steps);
  const captured = await train(classifier(options), true, steps);
  assert.ok(captured.stats!.replays >= steps - 4, `replayed ${captured.stats!.replays} of ${steps} calls`);
  assertClose(captured.losses, eager.losses, { rtol: 1e-5, atol: 1e-6, what: "losses" });
  captured.weights.forEach((w, k) =>
    assertClose(w, eager.weights[k], { rtol: 1e-4, atol: 1e-6, what: `weights ${k}` })
  );
  return captured;
}

Deno.test("a compiled AdamW step replays eager's losses and weights", opts, async () => {
  const run = await agree({ optimizer: "adam" });
  assert.ok(run.stats!.dispatches > 0);
});

Deno.test("a compiled SGD step follows a StepLR schedule set between calls", opts, async () => {
  await agree({ optimizer: "sgd", schedule: true });
});

Deno.test("dropout in a compiled step draws the same new numbers each call as eager", opts, async () => {
  await agree({ optimizer: "adam", dropout: 0.3 });
});

Deno.test("a compiled GAN critic step with gradientPenalty (double backward) matches eager", opts, async () => {
  const run = async (compiled: boolean) => {
    manualSeed(5);
    const critic = new nn.Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Linear(8, 1));
    const opt = new optim.Adam(critic.parameters(), { lr: 1e-2, betas: [0.5, 0.9] });
    const fn = (real: Tensor, fake: Tensor) => {
      opt.zeroGrad();
      const gp = F.gradientPenalty((v) => critic.forward(v), real, fake);
      const loss = critic.forward(fake).mean().sub(critic.forward(real).mean()).add(gp.mul(10));
      loss.backward();
      opt.step();
      return loss;
    };
    const step = compiled ? compile(fn) : fn;
    manualSeed(6);
    const real = randn([6, 3]), fake = randn([6, 3]);
    const out: number[] = [];
    for (let i = 0; i < 7; i++) out.push(await tidy(() => step(real, fake)).item());
    return out;
  };
  assertClose(await run(true), await run(false), { rtol: 1e-5, atol: 1e-6, what: "critic losses" });
});

Deno.test("a compiled step traces again for a new shape and keeps each recording", opts, async () => {
  const w = randn([5, 2]).requiresGrad_();
  const step = compile((x: Tensor) => x.matmul(w).relu().sum(1));
  for (const n of [3, 3, 3, 3, 7, 7, 7, 7, 3]) {
    const x = randn([n, 5]);
    const got = await step(x).data();
    const want = await x.matmul(w).relu().sum(1).data();
    assertClose(got, want, { rtol: 1e-5, atol: 1e-6, what: `rows ${n}` });
  }
  assert.equal(step.stats.captured, 2);
  assert.ok(step.stats.replays >= 3);
  step.dispose();
});

Deno.test("reading values inside a compiled step is refused", opts, async () => {
  let read: Promise<number> | null = null;
  const step = compile((x: Tensor) => {
    read = x.sum().item();
    return x;
  });
  assert.throws(() => step(tensor([1, 2])), /compile: fn reads tensor values.*Return the tensors/);
  await assert.rejects(read!, /compile: fn reads tensor values/);
  const asyncStep = compile(async (x: Tensor) => await x.sum().item());
  assert.throws(() => asyncStep(tensor([1, 2])), /compile: fn must be synchronous/);
  await synchronize();
});

Deno.test("control flow that changes between calls refuses capture, naming the difference", opts, () => {
  let calls = 0;
  const step = compile((x: Tensor) => (calls++ % 2 === 0 ? x.exp() : x.neg()).sum());
  const x = tensor([1, 2, 3], { dtype: "float32" });
  assert.throws(() => {
    for (let i = 0; i < 6; i++) step(x).dispose();
  }, /consecutive calls queued different work.*First difference/s);
});

Deno.test("replays keep device memory flat and dispose() returns the recording's memory", opts, async () => {
  const setup = classifier({ optimizer: "adam" });
  const step = compile(setup.step);
  const [x, y] = batches(1)[0];
  for (let i = 0; i < 5; i++) step(x, y).dispose();
  await synchronize();
  const before = memoryStats();
  for (let i = 0; i < 40; i++) step(x, y).dispose();
  await synchronize();
  const after = memoryStats();
  // (tensors other tests dropped may be finalized meanwhile, which only lowers the count)
  assert.ok(
    after.liveStorages <= before.liveStorages,
    `no storage per replay: ${before.liveStorages} → ${after.liveStorages}`,
  );
  assert.equal(after.buffersCreated, before.buffersCreated, "no new device buffer per replay");
  step.dispose();
  assert.ok(memoryStats().liveStorages < after.liveStorages, "dispose() frees the recording");
  // the parameters still hold the trained values after dispose
  assert.equal((await setup.model.parameters()[0].data()).every(Number.isFinite), true);
});

Deno.test("on the cpu device a compiled function just runs", async () => {
  const step = compile((x: Tensor) => x.mul(2));
  assert.deepEqual(Array.from(await step(tensor([1, 2], { device: "cpu" })).data()), [2, 4]);
  assert.equal(step.stats.replays, 0);
});

Deno.test("new argument tensors every call (a data loader's batches) are rebound, not retraced", opts, async () => {
  manualSeed(2);
  const w = randn([4, 3]).requiresGrad_();
  const step = compile((x: Tensor) => x.matmul(w).tanh().sum(0));
  for (let i = 0; i < 8; i++) {
    const x = randn([5, 4]);
    const want = await x.matmul(w).tanh().sum(0).data();
    const got = step(x);
    x.dispose(); // the caller frees its batch; the next call brings a new one
    assertClose(await got.data(), want, { rtol: 1e-5, atol: 1e-6, what: `call ${i}` });
  }
  assert.equal(step.stats.traces, 2, "two matching traces, then replays only");
  assert.equal(step.stats.replays, 6);
});

/** Losses of `steps` calls of `fn` (eager or compiled) over fixed inputs. */
async function lossesOf(fn: (...a: Tensor[]) => Tensor, inputs: Tensor[], compiled: boolean, steps = 6) {
  const step = compiled ? compile(fn) : fn;
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(await tidy(() => step(...inputs)).item());
  return out;
}

Deno.test("the tutorial's CNN step (conv, pooling, SGD momentum) runs captured and matches eager", opts, async () => {
  const run = async (compiled: boolean) => {
    manualSeed(21);
    const model = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(8 * 4 * 4, 10),
    );
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const lossFn = new nn.CrossEntropyLoss();
    const x = randn([4, 3, 8, 8]), y = tensor([1, 7, 3, 0]);
    return await lossesOf(
      (x, y) => {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss;
      },
      [x, y],
      compiled,
    );
  };
  assertClose(await run(true), await run(false), { rtol: 1e-5, atol: 1e-6, what: "CNN losses" });
});

Deno.test("a BERT encoder fine-tuning step (dropout on) runs captured and matches eager", opts, async () => {
  const run = async (compiled: boolean) => {
    manualSeed(31);
    const model = new BertForSequenceClassification({
      vocabSize: 50,
      hiddenSize: 16,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      intermediateSize: 32,
      maxPositionEmbeddings: 16,
      numLabels: 3,
    });
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const ids = tensor([[1, 5, 9, 2, 0, 0], [3, 4, 8, 7, 6, 2]]);
    const mask = tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
    const labels = tensor([2, 0]);
    return await lossesOf(
      (ids, mask, labels) => {
        opt.zeroGrad();
        const { loss } = model.forward(ids, { attentionMask: mask, labels });
        loss!.backward();
        opt.step();
        return loss!;
      },
      [ids, mask, labels],
      compiled,
    );
  };
  assertClose(await run(true), await run(false), { rtol: 1e-5, atol: 1e-6, what: "BERT losses" });
});

Deno.test("a TransformerEncoderLayer step with Adam runs captured and matches eager", opts, async () => {
  const run = async (compiled: boolean) => {
    manualSeed(41);
    const layer = new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0.1, batchFirst: true });
    const opt = new optim.Adam(layer.parameters(), { lr: 1e-3 });
    const x = randn([2, 5, 16]), g = randn([2, 5, 16]);
    return await lossesOf(
      (x, g) => {
        opt.zeroGrad();
        const out = layer.forward(x).mul(g).sum();
        out.backward();
        opt.step();
        return out;
      },
      [x, g],
      compiled,
    );
  };
  assertClose(await run(true), await run(false), { rtol: 1e-5, atol: 1e-5, what: "transformer outputs" });
});
