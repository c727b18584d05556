/**
 * nn.RNN, nn.LSTM, nn.GRU, the cells and nn.utils.rnn against PyTorch 1.13 (fixture from
 * tests/fixtures/make_rnn.py): state-dict keys, outputs, final states and gradients of the inputs,
 * initial states and every parameter, in float32 on the default device and float64 on cpu.
 */
import assert from "node:assert/strict";
import {
  type Device,
  type DType,
  getDefaultDevice,
  grad,
  gradcheck,
  nn,
  randn,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

interface Arr {
  data: number[];
  shape: number[];
}
interface Case {
  kind: "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
  name: string;
  config: {
    numLayers?: number;
    bidirectional?: boolean;
    batchFirst?: boolean;
    nonlinearity?: "tanh" | "relu";
    bias?: boolean;
  };
  lengths: number[] | null;
  state: Record<string, Arr>;
  keys: string[];
  inputs: Record<string, Arr>;
  output: Arr | null;
  hN: Arr;
  cN: Arr | null;
  probes: Record<string, Arr>;
  grads: Record<string, Arr>;
}

const fixture: { cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/rnn.json", import.meta.url)),
);
const I = 3, H = 4;

function build(a: Arr, dtype: DType, device: Device): Tensor {
  return tensor(a.data, { dtype, device }).reshape(a.shape);
}

async function assertMatches(name: string, actual: Tensor | null, expected: Arr, tol: number): Promise<void> {
  assert.ok(actual, `${name}: expected a tensor, got null`);
  assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
  assertClose(await actual.data(), expected.data, { rtol: tol, atol: tol, what: name });
}

function makeModule(c: Case, factory: { dtype: DType; device: Device }): nn.Module {
  const k = c.config;
  switch (c.kind) {
    case "RNNCell":
      return new nn.RNNCell(I, H, factory);
    case "LSTMCell":
      return new nn.LSTMCell(I, H, factory);
    case "GRUCell":
      return new nn.GRUCell(I, H, factory);
  }
  const options = { ...factory, ...k };
  if (c.kind === "RNN") return new nn.RNN(I, H, options);
  return c.kind === "LSTM" ? new nn.LSTM(I, H, options) : new nn.GRU(I, H, options);
}

/** Runs the module as the fixture did; returns output (padded for packed input), hN and cN. */
function run(
  c: Case,
  m: nn.Module,
  inp: Record<string, Tensor>,
): { output: Tensor | null; h: Tensor; c: Tensor | null } {
  const x = inp.input;
  if (c.kind === "RNNCell" || c.kind === "GRUCell") return { output: null, h: m.forward(x, inp.h0) as Tensor, c: null };
  if (c.kind === "LSTMCell") {
    const [h, cell] = (m as nn.LSTMCell).forward(x, [inp.h0, inp.c0]);
    return { output: null, h, c: cell };
  }
  const batchFirst = c.config.batchFirst ?? false;
  const input = c.lengths ? nn.utils.rnn.packPaddedSequence(x, c.lengths, { batchFirst, enforceSorted: false }) : x;
  let out: Tensor | nn.utils.rnn.PackedSequence, h: Tensor, cell: Tensor | null = null;
  if (c.kind === "LSTM") {
    [out, [h, cell]] = (m as nn.LSTM).forward(input, inp.h0 ? [inp.h0, inp.c0] : null);
  } else {
    [out, h] = (m as nn.RNN | nn.GRU).forward(input, inp.h0 ?? null);
  }
  if (out instanceof nn.utils.rnn.PackedSequence) {
    const [padded, lengths] = nn.utils.rnn.padPackedSequence(out, { batchFirst });
    assert.deepEqual(lengths, c.lengths);
    out = padded;
  }
  return { output: out, h, c: cell };
}

async function checkCase(c: Case, dtype: DType, device: Device, outTol: number, gradTol: number): Promise<void> {
  const m = makeModule(c, { dtype, device }).eval();
  assert.deepEqual(Object.keys(m.stateDict()), c.keys);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, a]) => [k, build(a, dtype, device)])));
  const inp: Record<string, Tensor> = {};
  for (const [k, a] of Object.entries(c.inputs)) inp[k] = build(a, dtype, device).requiresGrad_(true);
  const { output, h, c: cell } = run(c, m, inp);
  if (c.output) await assertMatches(`${c.name} output`, output, c.output, outTol);
  await assertMatches(`${c.name} hN`, h, c.hN, outTol);
  if (c.cN) await assertMatches(`${c.name} cN`, cell, c.cN, outTol);
  let loss = h.mul(build(c.probes.hN, dtype, device)).sum();
  if (output) loss = loss.add(output.mul(build(c.probes.output, dtype, device)).sum());
  if (cell) loss = loss.add(cell.mul(build(c.probes.cN, dtype, device)).sum());
  const params = Object.fromEntries(m.namedParameters());
  const names = Object.keys(c.grads);
  const grads = grad([loss], names.map((k) => inp[k] ?? params[k]));
  for (let i = 0; i < names.length; i++) {
    await assertMatches(`${c.name} grad of ${names[i]}`, grads[i], c.grads[names[i]], gradTol);
  }
}

for (const c of fixture.cases) {
  Deno.test(`${c.kind} (${c.name}) matches PyTorch in float32 on the default device`, async () => {
    await checkCase(c, "float32", getDefaultDevice(), 2e-5, 1e-4);
  });
  Deno.test(`${c.kind} (${c.name}) matches PyTorch in float64 on cpu`, async () => {
    await checkCase(c, "float64", "cpu", 1e-10, 1e-10);
  });
}

const cpu64 = { dtype: "float64" as const, device: "cpu" as const };

Deno.test("LSTM on packed input passes gradcheck for the input and both initial states", async () => {
  const lstm = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, ...cpu64 });
  const fn = (x: Tensor, h0: Tensor, c0: Tensor) => {
    const packed = nn.utils.rnn.packPaddedSequence(x, [2, 4, 1], { enforceSorted: false });
    const [out, [h, c]] = lstm.forward(packed, [h0, c0]);
    return [out.data, h, c];
  };
  assert.equal(await gradcheck(fn, [randn([4, 3, 2], cpu64), randn([4, 3, 3], cpu64), randn([4, 3, 3], cpu64)]), true);
});

Deno.test("GRU and RNN pass gradcheck for the input and h0", async () => {
  const gru = new nn.GRU(2, 3, 1, true, true, 0, true, cpu64);
  const rnn = new nn.RNN(2, 3, { nonlinearity: "relu", ...cpu64 });
  const fn = (x: Tensor, h0: Tensor) => [gru.forward(x, h0)[0], rnn.forward(x.transpose(0, 1), h0.narrow(0, 0, 1))[1]];
  assert.equal(await gradcheck(fn, [randn([2, 3, 2], cpu64), randn([2, 2, 3], cpu64)]), true);
});

Deno.test("RNN takes PyTorch's positional arguments and an options object alike", () => {
  const a = new nn.RNN(3, 4, 2, "relu", false, true, 0.25, true);
  assert.deepEqual(
    [a.numLayers, a.nonlinearity, a.bias, a.batchFirst, a.dropout, a.bidirectional],
    [2, "relu", false, true, 0.25, true],
  );
  assert.deepEqual(Object.keys(a.stateDict()), [
    "weight_ih_l0",
    "weight_hh_l0",
    "weight_ih_l0_reverse",
    "weight_hh_l0_reverse",
    "weight_ih_l1",
    "weight_hh_l1",
    "weight_ih_l1_reverse",
    "weight_hh_l1_reverse",
  ]);
  assert.deepEqual((a.stateDict().weight_ih_l1 as Tensor).shape, [4, 8]);
  const b = new nn.LSTM(3, 4, { numLayers: 2 });
  assert.deepEqual((b.stateDict().weight_hh_l1 as Tensor).shape, [16, 4]);
  assert.throws(() => new nn.LSTM(3, 4, { projSize: 2 }), /projSize/);
  assert.throws(() => new nn.RNN(3, 4, { nonlinearity: "sigmoid" as "tanh" }), RangeError);
});

Deno.test("recurrent parameters are drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))", async () => {
  const gru = new nn.GRU(5, 16, { numLayers: 2 });
  const all = (await Promise.all(gru.parameters().map((p) => p.data()))).flatMap((d) => Array.from(d));
  const bound = 1 / Math.sqrt(16);
  assert.ok(all.every((v) => Math.abs(v) <= bound));
  assert.ok(all.some((v) => Math.abs(v) > 0.9 * bound));
});

Deno.test("LSTM runs unbatched [T, in] input and returns unbatched states", async () => {
  const lstm = new nn.LSTM(3, 4, { ...cpu64 });
  const x = randn([5, 3], cpu64);
  const [out, [h, c]] = lstm.forward(x);
  assert.deepEqual([out.shape, h.shape, c.shape], [[5, 4], [1, 4], [1, 4]]);
  const [batched] = lstm.forward(x.unsqueeze(1));
  assertClose(await out.data(), await batched.data(), { atol: 1e-12 });
});

Deno.test("dropout between layers is active only in training", async () => {
  const rnn = new nn.RNN(3, 8, { numLayers: 2, dropout: 0.5, ...cpu64 });
  const x = randn([4, 2, 3], cpu64);
  const a = await rnn.eval().forward(x)[0].data(), b = await rnn.eval().forward(x)[0].data();
  assert.deepEqual(a, b);
  const t = await rnn.train().forward(x)[0].data();
  assert.notDeepEqual(Array.from(t), Array.from(a));
});

Deno.test("recurrent layers reject inputs and states of the wrong shape naming the expected one", () => {
  const gru = new nn.GRU(3, 4, { numLayers: 2 });
  assert.throws(
    () => gru.forward(randn([5, 2, 6])),
    (e: Error) => e instanceof RangeError && /\[5,2,6\].*3\]/.test(e.message),
  );
  assert.throws(
    () => gru.forward(randn([5, 2, 3]), randn([1, 2, 4])),
    (e: Error) => e instanceof RangeError && /h0 has shape \[1,2,4\] but expected \[2,2,4\]/.test(e.message),
  );
  assert.throws(() => new nn.LSTMCell(3, 4).forward(randn([2, 3]), [randn([3, 4]), randn([3, 4])]), RangeError);
});

Deno.test("packPaddedSequence and padPackedSequence round-trip a batch and sort it as PyTorch does", async () => {
  const x = randn([2, 4, 3, 2], cpu64).narrow(0, 0, 1).squeeze(0); // [4, 3, 2]
  const packed = nn.utils.rnn.packPaddedSequence(x, [2, 4, 1], { enforceSorted: false });
  assert.deepEqual(packed.batchSizes, [3, 2, 1, 1]);
  assert.deepEqual(packed.sortedIndices, [1, 0, 2]);
  assert.deepEqual(packed.unsortedIndices, [1, 0, 2]);
  const [padded, lengths] = nn.utils.rnn.padPackedSequence(packed, { totalLength: 4, paddingValue: -1 });
  assert.deepEqual(lengths, [2, 4, 1]);
  const got = await padded.toArray() as number[][][], want = await x.toArray() as number[][][];
  for (let t = 0; t < 4; t++) {
    for (let b = 0; b < 3; b++) assert.deepEqual(got[t][b], t < lengths[b] ? want[t][b] : [-1, -1]);
  }
  assert.throws(() => nn.utils.rnn.packPaddedSequence(x, [2, 4, 1]), /enforceSorted/);
});

Deno.test("padSequence pads to the longest sequence and packSequence keeps the lengths", async () => {
  const a = tensor([[1], [2], [3]]), b = tensor([[4]]);
  assert.deepEqual(await nn.utils.rnn.padSequence([a, b], { batchFirst: true, paddingValue: 9 }).toArray(), [
    [[1], [2], [3]],
    [[4], [9], [9]],
  ]);
  assert.deepEqual(nn.utils.rnn.padSequence([a, b]).shape, [3, 2, 1]);
  const packed = nn.utils.rnn.packSequence([b, a], { enforceSorted: false });
  assert.deepEqual([packed.lengths, packed.batchSizes], [[1, 3], [2, 1, 1]]);
});

Deno.test("a packed batch gives each sequence the states it would get alone", async () => {
  const lstm = new nn.LSTM(2, 3, { bidirectional: true, ...cpu64 });
  const x = randn([4, 2, 2], cpu64);
  const [, [h]] = lstm.forward(nn.utils.rnn.packPaddedSequence(x, [4, 2]));
  const [, [alone]] = lstm.forward(x.narrow(0, 0, 2).narrow(1, 1, 1));
  assertClose(await h.narrow(1, 1, 1).data(), await alone.data(), { atol: 1e-12 });
});
