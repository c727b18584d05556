/**
 * nn layers, nn.init and safetensors save/load. PyTorch references come from
 * tests/fixtures/make_nn.py (nn.json, nn_model.safetensors written by torch; it also checks
 * that torch reads denograd_written.safetensors).
 */
import assert from "node:assert/strict";
import {
  F,
  gradcheck,
  load,
  loadBytes,
  manualSeed,
  type NestedArray,
  nn,
  ones,
  randn,
  save,
  saveBytes,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assertClose, assertTensorClose } from "../_helpers.ts";

const fx = JSON.parse(await Deno.readTextFile(new URL("../fixtures/nn.json", import.meta.url)));
const MODEL = new URL("../fixtures/nn_model.safetensors", import.meta.url);

const TOL = { rtol: 1e-5, atol: 1e-5 };

const f = (data: NestedArray) => tensor(data as number[], { dtype: "float32" });

/** The same structure as make_nn.py's `Net`, so state-dict keys must line up exactly. */
class Net extends nn.Module {
  linear = new nn.Linear(6, 4);
  conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
  conv2 = new nn.Conv2d(4, 4, [3, 2], { stride: 2, dilation: [1, 2], groups: 2, bias: false });
  bn = new nn.BatchNorm2d(3);
  bn1 = new nn.BatchNorm1d(4, { momentum: null });
  ln = new nn.LayerNorm([2, 4], { eps: 1e-3 });
  emb = new nn.Embedding(7, 4, { paddingIdx: 0 });
  seq = new nn.Sequential(new nn.Linear(4, 5), new nn.ReLU(), new nn.Linear(5, 3, { bias: false }));
}

async function torchNet(): Promise<Net> {
  const net = new Net();
  net.loadStateDict(await load(MODEL));
  return net;
}

// ---- layers against PyTorch ------------------------------------------------------------------

Deno.test("a model's state-dict keys are PyTorch's, in PyTorch's order", () => {
  assert.deepEqual(Object.keys(new Net().stateDict()), fx.keys);
});

Deno.test("layers loaded from a torch-written safetensors file match PyTorch in eval mode", async () => {
  const net = (await torchNet()).eval();
  await assertTensorClose(net.linear.forward(f(fx.linear.x)), fx.linear.y, TOL);
  await assertTensorClose(net.conv.forward(f(fx.conv.x)), fx.conv.y, TOL);
  await assertTensorClose(net.conv2.forward(f(fx.conv2.x)), fx.conv2.y, TOL);
  await assertTensorClose(net.bn.forward(f(fx.bn_eval.x)), fx.bn_eval.y, TOL);
  await assertTensorClose(net.bn1.forward(f(fx.bn1_eval.x)), fx.bn1_eval.y, TOL);
  await assertTensorClose(net.ln.forward(f(fx.ln.x)), fx.ln.y, TOL);
  await assertTensorClose(net.emb.forward(tensor(fx.emb.ids)), fx.emb.y, TOL);
  await assertTensorClose(net.seq.forward(f(fx.seq.x)), fx.seq.y, TOL);
});

Deno.test("BatchNorm2d in train mode normalises with batch stats and updates the running buffers", async () => {
  const net = await torchNet();
  const t = fx.bn_train;
  await assertTensorClose(net.bn.forward(f(t.x)), t.y, TOL);
  await assertTensorClose(net.bn.running_mean!, t.running_mean, TOL);
  await assertTensorClose(net.bn.running_var!, t.running_var, TOL);
  assert.equal(await net.bn.num_batches_tracked!.item(), t.num_batches_tracked);
  assert.equal(net.bn.running_mean!.requiresGrad, false);
});

Deno.test("BatchNorm1d with momentum null keeps a cumulative average over [N, C] and [N, C, L] batches", async () => {
  const net = await torchNet();
  const t = fx.bn1_train;
  await assertTensorClose(net.bn1.forward(f(t.x2)), t.y2, TOL);
  await assertTensorClose(net.bn1.running_mean!, t.running_mean2, TOL);
  await assertTensorClose(net.bn1.running_var!, t.running_var2, TOL);
  await assertTensorClose(net.bn1.forward(f(t.x3)), t.y3, TOL);
  await assertTensorClose(net.bn1.running_mean!, t.running_mean3, TOL);
  await assertTensorClose(net.bn1.running_var!, t.running_var3, TOL);
  assert.equal(await net.bn1.num_batches_tracked!.item(), t.num_batches_tracked);
  assert.throws(() => net.bn1.forward(zeros([1, 4])), /more than 1 value per channel/);
  assert.throws(() => net.bn1.forward(zeros([2, 4, 2, 2])), /BatchNorm1d: expected input \[N, C\] or \[N, C, L\]/);
  assert.throws(() => net.bn.forward(zeros([2, 5, 2, 2])), /BatchNorm2d: input \[2,5,2,2\] has 5 channels, expected 3/);
});

Deno.test("activation layers match PyTorch", async () => {
  const a = fx.act, x = f(a.x);
  await assertTensorClose(new nn.ReLU().forward(x), a.relu, TOL);
  await assertTensorClose(new nn.GELU().forward(x), a.gelu, TOL);
  await assertTensorClose(new nn.GELU({ approximate: "tanh" }).forward(x), a.gelu_tanh, TOL);
  await assertTensorClose(new nn.Sigmoid().forward(x), a.sigmoid, TOL);
  await assertTensorClose(new nn.Tanh().forward(x), a.tanh, TOL);
  await assertTensorClose(new nn.LeakyReLU({ negativeSlope: 0.2 }).forward(x), a["leaky_relu_0.2"], TOL);
  await assertTensorClose(new nn.Softplus({ beta: 2, threshold: 3 }).forward(x), a.softplus_b2_t3, TOL);
  await assertTensorClose(new nn.Softmax(1).forward(x), a.softmax_1, TOL);
  await assertTensorClose(new nn.LogSoftmax(0).forward(x), a.log_softmax_0, TOL);
  assert.throws(() => new nn.GELU({ approximate: "erf" as "none" }), /GELU: approximate must be/);
});

Deno.test("pooling and Flatten layers match PyTorch", async () => {
  const p = fx.pool, x = f(p.x);
  await assertTensorClose(new nn.MaxPool2d(2).forward(x), p.max_k2, TOL);
  await assertTensorClose(new nn.MaxPool2d(3, { stride: 2, padding: 1 }).forward(x), p.max_k3_s2_p1, TOL);
  await assertTensorClose(new nn.AvgPool2d(2, { stride: 1 }).forward(x), p.avg_k2_s1, TOL);
  await assertTensorClose(
    new nn.AvgPool2d(3, { padding: 1, countIncludePad: false }).forward(x),
    p.avg_k3_p1_nopad,
    TOL,
  );
  await assertTensorClose(new nn.Flatten().forward(x), p.flatten, TOL);
});

Deno.test("the padding row of an Embedding gets no gradient", async () => {
  const emb = new nn.Embedding(5, 3, { paddingIdx: -5 });
  assert.equal(emb.paddingIdx, 0);
  emb.forward(tensor([[0, 1], [0, 4]])).sum().backward();
  assert.deepEqual(await emb.weight.grad!.toArray(), [[0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
  assert.throws(() => new nn.Embedding(5, 3, { paddingIdx: 5 }), /paddingIdx 5 must be within/);
});

// ---- gradients -------------------------------------------------------------------------------

/** Replaces every parameter of `model` (in namedParameters order) by `params`. */
function swapParameters(model: nn.Module, params: Tensor[]): void {
  const old = model.parameters();
  for (const m of model.modules()) {
    const fields = m as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      const i = old.indexOf(value as Tensor);
      if (i >= 0) fields[key] = params[i];
    }
  }
}

Deno.test("gradients of a Conv2d-BatchNorm2d-Linear model pass gradcheck w.r.t. input and parameters", async () => {
  manualSeed(3);
  const model = new nn.Sequential(
    new nn.Conv2d(2, 3, 2, { stride: 1 }),
    new nn.BatchNorm2d(3, { trackRunningStats: false }),
    new nn.Tanh(),
    new nn.Flatten(),
    new nn.Linear(12, 2),
  );
  const params = model.parameters();
  assert.equal(params.length, 6);
  const x = randn([2, 2, 3, 3]);
  const ok = await gradcheck((input, ...ps) => {
    swapParameters(model, ps);
    return model.forward(input);
  }, [x, ...params]);
  assert.equal(ok, true);
});

Deno.test("backward through a Sequential fills every parameter's grad and zeroGrad clears them", () => {
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.GELU(), new nn.LayerNorm(4), new nn.Linear(4, 1));
  model.forward(randn([5, 3])).sum().backward();
  for (const [name, p] of model.namedParameters()) assert.deepEqual(p.grad?.shape, p.shape, name);
  model.zeroGrad();
  assert.ok(model.parameters().every((p) => p.grad === null));
});

// ---- init ------------------------------------------------------------------------------------

async function stats(t: Tensor): Promise<{ min: number; max: number; mean: number; std: number }> {
  const v = await t.data();
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (const x of v) {
    s += x;
    s2 += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  return { min, max, mean, std: Math.sqrt(s2 / v.length - mean * mean) };
}

Deno.test("Linear(256, 128) weights are U(±1/16) like PyTorch's kaiming_uniform(a=√5), bias too", async () => {
  manualSeed(0);
  const fc = new nn.Linear(256, 128);
  const bound = 1 / Math.sqrt(256);
  const w = await stats(fc.weight);
  assert.ok(w.min >= -bound && w.max <= bound, `weight range [${w.min}, ${w.max}]`);
  assert.ok(w.max > 0.98 * bound && w.min < -0.98 * bound);
  assert.ok(Math.abs(w.std - bound / Math.sqrt(3)) < 0.02 * bound, `weight std ${w.std}`);
  assert.ok(Math.abs(w.mean) < 0.01 * bound);
  const b = await stats(fc.bias!);
  assert.ok(b.min >= -bound && b.max <= bound && b.max - b.min > bound);
  assert.equal(new nn.Linear(3, 2, { bias: false }).bias, null);
});

Deno.test("Conv2d bounds use fanIn = inChannels/groups · kh · kw", async () => {
  const conv = new nn.Conv2d(8, 16, 3, { groups: 2 });
  const bound = 1 / Math.sqrt(4 * 9);
  assert.deepEqual(conv.weight.shape, [16, 4, 3, 3]);
  const w = await stats(conv.weight), b = await stats(conv.bias!);
  assert.ok(w.min >= -bound && w.max <= bound && w.max > 0.9 * bound);
  assert.ok(Math.abs(w.std - bound / Math.sqrt(3)) < 0.08 * bound);
  assert.ok(b.min >= -bound && b.max <= bound);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /groups=2 must divide both inChannels 3/);
});

Deno.test("Embedding starts N(0, 1) with the padding row zeroed; norms start at ones and zeros", async () => {
  manualSeed(1);
  const emb = new nn.Embedding(100, 40, { paddingIdx: 3 });
  const rows = (await emb.weight.toArray()) as number[][];
  assert.deepEqual(rows[3], Array(40).fill(0));
  const s = await stats(emb.weight);
  assert.ok(Math.abs(s.mean) < 0.05 && Math.abs(s.std - 1) < 0.05, `mean ${s.mean}, std ${s.std}`);
  const bn = new nn.BatchNorm2d(3);
  assert.deepEqual(await bn.weight!.toArray(), [1, 1, 1]);
  assert.deepEqual(await bn.bias!.toArray(), [0, 0, 0]);
  assert.deepEqual(await bn.running_mean!.toArray(), [0, 0, 0]);
  assert.deepEqual(await bn.running_var!.toArray(), [1, 1, 1]);
  assert.equal(bn.num_batches_tracked!.dtype, "int32");
  assert.deepEqual(bn.namedParameters().map(([k]) => k), ["weight", "bias"]);
  assert.deepEqual(bn.namedBuffers().map(([k]) => k), ["running_mean", "running_var", "num_batches_tracked"]);
  const plain = new nn.BatchNorm1d(3, { affine: false, trackRunningStats: false });
  assert.deepEqual(Object.keys(plain.stateDict()), []);
  const ln = new nn.LayerNorm([2, 3]);
  assert.deepEqual(await ln.weight!.toArray(), [[1, 1, 1], [1, 1, 1]]);
});

Deno.test("nn.init gains and fans are torch.nn.init's", () => {
  const g = fx.gain;
  assertClose(nn.init.calculateGain("linear"), g.linear, { rtol: 1e-8, atol: 1e-8 });
  assertClose(nn.init.calculateGain("tanh"), g.tanh, { rtol: 1e-8, atol: 1e-8 });
  assertClose(nn.init.calculateGain("relu"), g.relu, { rtol: 1e-8, atol: 1e-8 });
  assertClose(nn.init.calculateGain("leaky_relu"), g.leaky_relu, { rtol: 1e-8, atol: 1e-8 });
  assertClose(nn.init.calculateGain("leaky_relu", Math.sqrt(5)), g.leaky_relu_sqrt5, { rtol: 1e-8, atol: 1e-8 });
  assertClose(nn.init.calculateGain("selu"), g.selu, { rtol: 1e-8, atol: 1e-8 });
  assert.throws(() => nn.init.calculateGain("swish" as "relu"), /unsupported nonlinearity "swish"/);
  const { fanIn, fanOut } = nn.init.calculateFanInAndFanOut(zeros(fx.fan.shape));
  assert.deepEqual([fanIn, fanOut], [fx.fan.fan_in, fx.fan.fan_out]);
  assert.throws(() => nn.init.kaimingUniform_(zeros([5])), /fewer than 2 dimensions/);
});

Deno.test("nn.init fills tensors in place with the requested distributions", async () => {
  manualSeed(2);
  const w = zeros([64, 100], { requiresGrad: true });
  assert.equal(nn.init.kaimingNormal_(w, { mode: "fan_out", nonlinearity: "relu" }), w);
  assert.equal(w.requiresGrad, true);
  let s = await stats(w);
  assert.ok(Math.abs(s.std - Math.SQRT2 / Math.sqrt(64)) < 0.01, `kaimingNormal_ std ${s.std}`);
  nn.init.xavierUniform_(w, { gain: 2 });
  const a = 2 * Math.sqrt(6 / 164);
  s = await stats(w);
  assert.ok(s.min >= -a && s.max <= a && s.max > 0.95 * a, `xavierUniform_ range [${s.min}, ${s.max}]`);
  nn.init.xavierNormal_(w);
  s = await stats(w);
  assert.ok(Math.abs(s.std - Math.sqrt(2 / 164)) < 0.01);
  nn.init.normal_(w, { mean: 3, std: 0.5 });
  s = await stats(w);
  assert.ok(Math.abs(s.mean - 3) < 0.02 && Math.abs(s.std - 0.5) < 0.02);
  nn.init.uniform_(w, { a: 2, b: 4 });
  s = await stats(w);
  assert.ok(s.min >= 2 && s.max <= 4 && Math.abs(s.mean - 3) < 0.02);
  nn.init.constant_(w, 0.25);
  assert.deepEqual(await stats(w), { min: 0.25, max: 0.25, mean: 0.25, std: 0 });
  const d = nn.init.ones_(zeros([2], { dtype: "float64", device: "cpu" }));
  assert.deepEqual(await d.toArray(), [1, 1]);
  assert.deepEqual(await nn.init.zeros_(ones([2])).toArray(), [0, 0]);
  assert.throws(() => nn.init.normal_(zeros([2], { dtype: "int32" })), /expected a float tensor, got int32/);
  assert.throws(() => nn.init.kaimingUniform_(w, { mode: "fan_avg" as "fan_in" }), /mode must be "fan_in"/);
});

// ---- modes and containers --------------------------------------------------------------------

Deno.test("train() and eval() switch every descendant, changing Dropout and BatchNorm", async () => {
  manualSeed(4);
  const model = new nn.Sequential(new nn.BatchNorm1d(2), new nn.Dropout(0.5));
  assert.ok(model.modules().every((m) => m.training));
  const x = f([[1, 2], [3, 4], [5, 7], [0, 1]]);
  const trained = await model.forward(x).toArray() as number[][];
  const zerosCount = trained.flat().filter((v) => v === 0).length;
  assert.ok(zerosCount > 0 && zerosCount < 8, `dropout zeroed ${zerosCount} of 8`);
  assert.equal(model.eval(), model);
  assert.ok(model.modules().every((m) => !m.training));
  const before = await (model.at(0) as nn.BatchNorm1d).running_mean!.toArray();
  const y = model.forward(x);
  // eval: running stats after one update (mean 0.1·batch mean, var 0.9 + 0.1·unbiased var of [1, 3, 5, 0])
  assertClose(before, [0.225, 0.35], TOL);
  await assertTensorClose(
    y.slice(null, [0, 1]),
    [[1, 3, 5, 0].map((v) => (v - 0.225) / Math.sqrt(0.9 + 0.1 * 14.75 / 3 + 1e-5))]
      .flat().map((v) => [v]),
    TOL,
  );
  assert.deepEqual(await (model.at(0) as nn.BatchNorm1d).running_mean!.toArray(), before);
  model.train();
  assert.ok(model.modules().every((m) => m.training));
  assert.equal(new nn.Dropout({ p: 0.2 }).p, 0.2);
  assert.throws(() => new nn.Dropout(1.5), /Dropout: p must be in \[0, 1\], got 1.5/);
});

Deno.test("Sequential and ModuleList name children 0, 1, … and support index access and iteration", () => {
  const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
  assert.equal(seq.length, 3);
  assert.equal(seq.at(-1), seq[2]);
  assert.ok(seq[1] instanceof nn.ReLU);
  assert.deepEqual([...seq].map((m) => m.constructor.name), ["Linear", "ReLU", "Linear"]);
  assert.deepEqual(seq.namedParameters().map(([k]) => k), ["0.weight", "0.bias", "2.weight", "2.bias"]);
  seq.append(new nn.Sigmoid());
  assert.equal(seq.length, 4);
  assert.throws(() => seq.at(4), /Sequential: index 4 is out of range for 4 modules/);

  class Tower extends nn.Module {
    blocks = new nn.ModuleList([new nn.Linear(2, 2)]);
    head = new nn.Linear(2, 1, { bias: false });
  }
  const tower = new Tower();
  assert.equal(tower.blocks.push(new nn.LayerNorm(2)), 2);
  assert.deepEqual(Object.keys(tower.stateDict()), [
    "blocks.0.weight",
    "blocks.0.bias",
    "blocks.1.weight",
    "blocks.1.bias",
    "head.weight",
  ]);
  assert.equal(tower.blocks.at(1), tower.blocks[1]);
  assert.equal([...tower.blocks].length, 2);
  assert.throws(() => tower.blocks.forward(), /ModuleList: forward\(\) is not implemented/);
  assert.throws(() => new nn.ModuleList([{} as nn.Module]), /ModuleList: item 0 is not an nn.Module/);
});

Deno.test("stateDict and loadStateDict round-trip values, and strict loading names the mismatches", async () => {
  const a = new Net(), b = new Net();
  b.loadStateDict(a.stateDict());
  for (const [k, v] of Object.entries(b.stateDict())) {
    assert.deepEqual(await v.data(), await a.stateDict()[k].data(), k);
  }
  const partial = { ...a.stateDict() };
  delete partial["bn.running_var"];
  partial["extra.weight"] = zeros([1]);
  assert.throws(
    () => b.loadStateDict(partial),
    /missing keys \[bn\.running_var\], unexpected keys \[extra\.weight\]/,
  );
  assert.deepEqual(b.loadStateDict(partial, { strict: false }), {
    missing: ["bn.running_var"],
    unexpected: ["extra.weight"],
  });
  assert.throws(
    () => b.loadStateDict({ ...a.stateDict(), "linear.weight": zeros([6, 4]) }),
    (e) =>
      e instanceof RangeError && /"linear.weight" has shape \[6,4\] but the module expects \[4,6\]/.test(e.message),
  );
});

// ---- safetensors -----------------------------------------------------------------------------

Deno.test("the torch-written state dict loads with I64 num_batches_tracked as int32", async () => {
  const state = await load(MODEL);
  assert.deepEqual(Object.keys(state), fx.keys);
  assert.equal(state["bn.num_batches_tracked"].dtype, "int32");
  assert.equal(await state["bn.num_batches_tracked"].item(), 2);
  assert.deepEqual(state["conv2.weight"].shape, [4, 2, 3, 2]);
});

Deno.test("a file denograd wrote (and torch verified) loads back with every dtype", async () => {
  const state = await load(new URL("../fixtures/denograd_written.safetensors", import.meta.url), { device: "cpu" });
  const torchState = await load(MODEL, { device: "cpu" });
  for (const k of fx.keys) assert.deepEqual(await state[k].data(), await torchState[k].data(), k);
  assert.deepEqual(await state["extra.int"].toArray(), [[-2147483648, -1, 0], [1, 7, 2147483647]]);
  assert.deepEqual(await state["extra.mask"].toArray(), [true, false, true, true]);
  assert.equal(state["extra.double"].dtype, "float64");
  assert.deepEqual(await state["extra.double"].toArray(), [0.1, -1e300]);
  assert.deepEqual(state["extra.scalar"].shape, []);
  assert.deepEqual(state["extra.empty"].shape, [0, 3]);
});

Deno.test("saveBytes and loadBytes round-trip float32, int32, bool, scalars and empty tensors", async () => {
  const state = {
    w: f([[1.5, -2], [3.25, 1e-30]]),
    i: tensor([[1, -7, 2147483647]], { dtype: "int32" }),
    m: tensor([true, false, false]),
    s: tensor(4.5),
    e: zeros([2, 0]),
  };
  const bytes = await saveBytes(state, { metadata: { note: "hi" } });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.__metadata__, { note: "hi" });
  assert.deepEqual(header.i, { dtype: "I32", shape: [1, 3], data_offsets: [16, 28] });
  assert.equal(header.m.dtype, "BOOL");
  const back = loadBytes(bytes);
  assert.deepEqual(Object.keys(back), ["w", "i", "m", "s", "e"]);
  for (const [k, t] of Object.entries(state)) {
    assert.equal(back[k].dtype, t.dtype, k);
    assert.deepEqual(back[k].shape, t.shape, k);
    assert.deepEqual(await back[k].toArray(), await t.toArray(), k);
  }
  await assert.rejects(() => saveBytes({ __metadata__: zeros([1]) }), /"__metadata__" cannot be a tensor name/);
  await assert.rejects(() => saveBytes({ x: [1, 2] as unknown as Tensor }), /"x" is not a Tensor/);
});

/** A safetensors buffer with `header` (object or raw string) and `data` bytes. */
function craft(header: unknown, data: number[] | Uint8Array = [], length?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

Deno.test("loadBytes rejects corrupted files with an error naming the file and the problem", () => {
  const src = { source: "bad.safetensors" };
  const entry = (over: object) => ({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8], ...over } });
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /5 bytes is too short for the 8-byte header length/],
    [craft(entry({}), new Uint8Array(8), 4000), /header length 4000 exceeds the \d+ bytes after the length field/],
    [craft('{"x": {"dtype": "F32",', new Uint8Array(8)), /header is not valid JSON/],
    [craft("[1, 2]"), /header must be a JSON object/],
    [craft(entry({ dtype: "C64" }), new Uint8Array(8)), /"x" has unknown dtype "C64"; expected one of F64, F32/],
    [craft(entry({ shape: [2.5] }), new Uint8Array(8)), /"x" has an invalid shape \[2.5\]/],
    [craft(entry({ data_offsets: [8, 0] }), new Uint8Array(8)), /invalid data_offsets \[8,0\]/],
    [
      craft(entry({ data_offsets: [0, 12] }), new Uint8Array(8)),
      /data_offsets \[0, 12\] run past the end of the 8-byte/,
    ],
    [craft(entry({ shape: [3] }), new Uint8Array(8)), /"x" has 8 bytes but shape \[3\] of F32 needs 12/],
    [craft({ __metadata__: { a: 1 } }), /__metadata__ must be an object of strings/],
    [
      craft(
        { x: { dtype: "I64", shape: [1], data_offsets: [0, 8] } },
        new Uint8Array(new BigInt64Array([2n ** 40n]).buffer),
      ),
      /"x" \(I64\) holds 1099511627776 at element 0, which does not fit in int32/,
    ],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => loadBytes(bytes, src), (e) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /^load: bad\.safetensors: /);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("loadBytes converts F16, BF16, F64, I64, I16, I8 and U8 data", async () => {
  const half = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7c00, 0x0001]); // 1, -2, ~1/3, inf, 2^-24
  const bf16 = new Uint16Array([0x3f80, 0xc0a0]); // 1, -5
  const parts: [string, string, number[], Uint8Array][] = [
    ["h", "F16", [5], new Uint8Array(half.buffer)],
    ["b", "BF16", [2], new Uint8Array(bf16.buffer)],
    ["d", "F64", [1], new Uint8Array(new Float64Array([0.5]).buffer)],
    ["l", "I64", [2], new Uint8Array(new BigInt64Array([-3n, 9n]).buffer)],
    ["s", "I16", [1], new Uint8Array(new Int16Array([-300]).buffer)],
    ["c", "I8", [1], new Uint8Array(new Int8Array([-7]).buffer)],
    ["u", "U8", [1], new Uint8Array([200])],
  ];
  const header: Record<string, unknown> = {};
  const data: number[] = [];
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [data.length, data.length + bytes.length] };
    data.push(...bytes);
  }
  const t = loadBytes(craft(header, data));
  assert.deepEqual(await t.h.toArray(), [1, -2, 0.333251953125, Infinity, 2 ** -24]);
  assert.deepEqual(await t.b.toArray(), [1, -5]);
  assert.deepEqual(await t.d.toArray(), [0.5]);
  assert.deepEqual(await t.l.toArray(), [-3, 9]);
  assert.equal(t.l.dtype, "int32");
  assert.deepEqual([await t.s.item(), await t.c.item(), await t.u.item()], [-300, -7, 200]);
  assert.equal(loadBytes(craft(header, data), { device: "cpu" }).d.dtype, "float64");
});

const TMP = new URL("../.tmp/", import.meta.url);
const canWrite = Deno.permissions.querySync({ name: "write", path: TMP }).state === "granted";

Deno.test({
  name: "save writes a file that load reads back, and a failed save leaves the existing file untouched",
  ignore: !canWrite,
  async fn() {
    await Deno.mkdir(TMP, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: TMP.pathname, prefix: "nn_test_" });
    try {
      const path = `${dir}/model.safetensors`;
      const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
      model.forward(randn([4, 3]));
      await save(model.stateDict(), path, { metadata: { epoch: "1" } });
      const copy = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
      copy.loadStateDict(await load(path));
      for (const [k, v] of Object.entries(model.stateDict())) {
        assert.deepEqual(await copy.stateDict()[k].data(), await v.data(), k);
      }
      const before = await Deno.readFile(path);
      const broken = zeros([1000]);
      broken.dispose(); // reading it throws, after the header and the first tensor were written
      await assert.rejects(() => save({ w: ones([1000]), broken }, path), /was disposed/);
      assert.deepEqual(await Deno.readFile(path), before);
      const names = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names, ["model.safetensors"]);
      await assert.rejects(() => load(`${dir}/missing.safetensors`), Deno.errors.NotFound);
      await Deno.writeFile(`${dir}/short.safetensors`, new Uint8Array(3));
      await assert.rejects(() => load(`${dir}/short.safetensors`), /short\.safetensors: 3 bytes is too short/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("F.batchNorm with running stats normalises by them outside training", async () => {
  const y = F.batchNorm(f([[1, 2], [3, 6]]), f([1, 2]), f([4, 16]), { weight: f([2, 1]), bias: f([0, 1]), eps: 0 });
  await assertTensorClose(y, [[0, 1], [2, 2]], TOL);
  assert.throws(() => F.batchNorm(f([[1, 2]]), f([1]), null), /runningMean must have shape \[2\]/);
});
