/**
 * nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder against PyTorch 1.13
 * (fixture from tests/fixtures/make_attention.py): state-dict keys, outputs, attention weights and
 * input gradients, in float32 on the default device and float64 on cpu.
 */
import assert from "node:assert/strict";
import {
  type Device,
  type DType,
  F,
  getDefaultDevice,
  gradcheck,
  nn,
  ones,
  randn,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

interface Arr {
  /** Numbers (infinities as the strings "Infinity"/"-Infinity") or booleans. */
  data: (number | string | boolean)[];
  shape: number[];
  dtype: "float" | "bool";
}
interface Case {
  kind: "mha" | "layer" | "encoder";
  name: string;
  config: Record<string, number | string | boolean>;
  options: { needWeights?: boolean; averageAttnWeights?: boolean; selfAttention?: boolean };
  state: Record<string, Arr>;
  keys: string[];
  inputs: Record<string, Arr>;
  output: Arr;
  weights: Arr | null;
  probe: Arr;
  grads: Record<string, Arr>;
}

const fixture: { cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/attention.json", import.meta.url)),
);

function build(a: Arr, dtype: DType, device: Device, requiresGrad = false): Tensor {
  if (a.dtype === "bool") return tensor(a.data as boolean[], { dtype: "bool", device }).reshape(a.shape);
  const t = tensor(a.data.map(Number), { dtype, device }).reshape(a.shape);
  return requiresGrad ? t.detach().requiresGrad_(true) : t;
}

/** Asserts a tensor matches a fixture array: same shape, values within `tol` absolute plus `tol` relative. */
async function assertMatches(name: string, actual: Tensor | null, expected: Arr, tol: number): Promise<void> {
  assert.ok(actual, `${name}: expected a tensor, got null`);
  assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
  assertClose(await actual.data(), expected.data.map(Number), { rtol: tol, atol: tol, what: name });
}

/** A LayerNorm with torch's `weight`/`bias` names, from public pieces (the final norm of the encoder). */
class TestLayerNorm extends nn.Module {
  weight: Tensor;
  bias: Tensor;
  constructor(readonly dim: number, options: { dtype: DType; device: Device }) {
    super();
    this.weight = this.param(ones([dim], options));
    this.bias = this.param(zeros([dim], options));
  }
  override forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.dim], this.weight, this.bias);
  }
}

function makeModule(c: Case, factory: { dtype: DType; device: Device }): nn.Module {
  const k = c.config;
  if (c.kind === "mha") {
    return new nn.MultiheadAttention(k.embedDim as number, k.numHeads as number, {
      ...factory,
      batchFirst: k.batchFirst as boolean,
      kdim: k.kdim as number | undefined,
      vdim: k.vdim as number | undefined,
    });
  }
  const layer = new nn.TransformerEncoderLayer(k.dModel as number, k.nhead as number, {
    ...factory,
    dimFeedforward: k.dimFeedforward as number,
    activation: (k.activation ?? "relu") as "relu" | "gelu",
    normFirst: (k.normFirst ?? false) as boolean,
    batchFirst: (k.batchFirst ?? false) as boolean,
  });
  if (c.kind === "layer") return layer;
  return new nn.TransformerEncoder(layer, k.numLayers as number, {
    norm: new TestLayerNorm(k.dModel as number, factory),
  });
}

async function checkCase(c: Case, dtype: DType, device: Device, outTol: number, gradTol: number): Promise<void> {
  const m = makeModule(c, { dtype, device }).eval();
  assert.deepEqual(Object.keys(m.stateDict()), c.keys);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, a]) => [k, build(a, dtype, device)])));
  const inp: Record<string, Tensor> = {};
  for (const [k, a] of Object.entries(c.inputs)) inp[k] = build(a, dtype, device, k in c.grads);
  let output: Tensor, weights: Tensor | null = null;
  if (c.kind === "mha") {
    const q = inp.query, key = inp.key ?? q, value = inp.value ?? q;
    ({ output, weights } = (m as nn.MultiheadAttention).forward(q, key, value, {
      keyPaddingMask: inp.keyPaddingMask,
      attnMask: inp.attnMask,
      needWeights: c.options.needWeights,
      averageAttnWeights: c.options.averageAttnWeights,
    }));
  } else if (c.kind === "layer") {
    output = (m as nn.TransformerEncoderLayer).forward(inp.src, {
      srcMask: inp.srcMask,
      srcKeyPaddingMask: inp.srcKeyPaddingMask,
    });
  } else {
    output = (m as nn.TransformerEncoder).forward(inp.src, { srcKeyPaddingMask: inp.srcKeyPaddingMask });
  }
  await assertMatches(`${c.name} output`, output, c.output, outTol);
  if (c.weights) await assertMatches(`${c.name} weights`, weights, c.weights, outTol);
  else assert.equal(weights, null);
  output.mul(build(c.probe, dtype, device)).sum().backward();
  for (const [k, g] of Object.entries(c.grads)) await assertMatches(`${c.name} grad of ${k}`, inp[k].grad, g, gradTol);
}

const label = { mha: "MultiheadAttention", layer: "TransformerEncoderLayer", encoder: "TransformerEncoder" };
for (const c of fixture.cases) {
  Deno.test(`${label[c.kind]} (${c.name}) matches PyTorch in float32 on the default device`, async () => {
    await checkCase(c, "float32", getDefaultDevice(), 1e-5, 1e-4);
  });
  Deno.test(`${label[c.kind]} (${c.name}) matches PyTorch in float64 on cpu`, async () => {
    await checkCase(c, "float64", "cpu", 1e-9, 1e-9);
  });
}

Deno.test("MultiheadAttention passes gradcheck for query, key and value with a padding mask and causal masking", async () => {
  const cpu = { dtype: "float64" as const, device: "cpu" as const };
  const mha = new nn.MultiheadAttention(4, 2, { ...cpu, batchFirst: true });
  const pad = tensor([[false, false, true]], { device: "cpu" });
  const q = randn([1, 3, 4], cpu), k = randn([1, 3, 4], cpu), v = randn([1, 3, 4], cpu);
  const fn = (q: Tensor, k: Tensor, v: Tensor) => {
    const { output, weights } = mha.forward(q, k, v, { keyPaddingMask: pad, isCausal: true });
    return [output, weights!];
  };
  assert.equal(await gradcheck(fn, [q, k, v]), true);
});

Deno.test("MultiheadAttention rejects masks of the wrong shape with a RangeError naming both shapes", () => {
  const mha = new nn.MultiheadAttention(8, 2);
  const x = randn([5, 2, 8]);
  assert.throws(
    () => mha.forward(x, x, x, { attnMask: zeros([4, 4]) }),
    (e: Error) => e instanceof RangeError && /attnMask has shape \[4,4\].*\[5, 5\].*\[4, 5, 5\]/.test(e.message),
  );
  assert.throws(
    () => mha.forward(x, x, x, { keyPaddingMask: tensor([[true, false]]) }),
    (e: Error) => e instanceof RangeError && /keyPaddingMask has shape \[1,2\].*\[2,5\]/.test(e.message),
  );
  assert.throws(() => new nn.MultiheadAttention(8, 3), RangeError);
});

Deno.test("MultiheadAttention is initialised as PyTorch: xavier in_proj_weight, zero biases", async () => {
  const mha = new nn.MultiheadAttention(8, 2);
  assert.deepEqual(mha.namedParameters().map(([n]) => n), [
    "in_proj_weight",
    "in_proj_bias",
    "out_proj.weight",
    "out_proj.bias",
  ]);
  const w = await mha.in_proj_weight!.data() as ArrayLike<number>;
  const bound = Math.sqrt(6 / (8 + 24));
  assert.ok(Array.from(w).every((x) => Math.abs(x) <= bound) && Array.from(w).some((x) => Math.abs(x) > bound / 2));
  const ow = await mha.out_proj.weight.data() as ArrayLike<number>;
  assert.ok(Array.from(ow).every((x) => Math.abs(x) <= 1 / Math.sqrt(8)));
  assert.equal(await mha.in_proj_bias!.abs().sum().item(), 0);
  assert.equal(await mha.out_proj.bias!.abs().sum().item(), 0);
});

Deno.test("MultiheadAttention isCausal gives the same result as an explicit causal mask", async () => {
  const mha = new nn.MultiheadAttention(4, 2, { dtype: "float64", device: "cpu" });
  const x = randn([3, 2, 4], { dtype: "float64", device: "cpu" });
  const mask = tensor([[false, true, true], [false, false, true], [false, false, false]], { device: "cpu" });
  const a = mha.forward(x, x, x, { isCausal: true }), b = mha.forward(x, x, x, { attnMask: mask });
  assert.deepEqual(await a.output.data(), await b.output.data());
  assert.deepEqual(await a.weights!.data(), await b.weights!.data());
});

Deno.test("MultiheadAttention drops attention weights in training and rescales the kept ones by 1/(1-p)", async () => {
  const mha = new nn.MultiheadAttention(4, 2, { dropout: 0.5, dtype: "float64", device: "cpu", batchFirst: true });
  const x = randn([1, 6, 4], { dtype: "float64", device: "cpu" });
  const ref = await mha.eval().forward(x, x, x, { averageAttnWeights: false }).weights!.data();
  const got = await mha.train().forward(x, x, x, { averageAttnWeights: false }).weights!.data();
  let dropped = 0;
  for (let i = 0; i < ref.length; i++) {
    if (got[i] === 0) dropped++;
    else assert.ok(Math.abs(got[i] - 2 * ref[i]) < 1e-12);
  }
  assert.ok(dropped > 0 && dropped < ref.length);
});

Deno.test("TransformerEncoder stacks copies that start with the layer's weights but are separate tensors", async () => {
  const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
  const enc = new nn.TransformerEncoder(layer, 2);
  const names = enc.namedParameters().map(([n]) => n);
  assert.equal(names.length, 24);
  assert.equal(names[0], "layers.0.self_attn.in_proj_weight");
  assert.equal(names[23], "layers.1.norm2.bias");
  const a = enc.layers[0] as nn.TransformerEncoderLayer, b = enc.layers[1] as nn.TransformerEncoderLayer;
  assert.notEqual(a.linear1.weight, b.linear1.weight);
  assert.deepEqual(await a.linear1.weight.data(), await layer.linear1.weight.data());
  assert.deepEqual(await b.self_attn.in_proj_weight!.data(), await layer.self_attn.in_proj_weight!.data());
  const normed = new nn.TransformerEncoder(layer, 1, { norm: new nn.LayerNorm(8) });
  assert.deepEqual(Object.keys(normed.stateDict()).slice(-2), ["norm.weight", "norm.bias"]);
  assert.deepEqual(normed.forward(randn([5, 2, 8])).shape, [5, 2, 8]);
});
