/**
 * nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer against PyTorch 1.13 (fixture
 * from tests/fixtures/make_transformer_decoder.py, weights copied in, eval mode): state-dict keys,
 * outputs and input gradients in float32 on the default device and float64 on cpu.
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
  data: (number | string | boolean)[];
  shape: number[];
  dtype: "float" | "bool";
}
interface Case {
  kind: "layer" | "decoder" | "transformer";
  name: string;
  config: Record<string, number | string | boolean>;
  state: Record<string, Arr>;
  keys: string[];
  inputs: Record<string, Arr>;
  output: Arr;
  probe: Arr;
  grads: Record<string, Arr>;
}

const fixture: { causal4: Arr; cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/transformer_decoder.json", import.meta.url)),
);

function build(a: Arr, dtype: DType, device: Device, requiresGrad = false): Tensor {
  if (a.dtype === "bool") return tensor(a.data as boolean[], { dtype: "bool", device }).reshape(a.shape);
  const t = tensor(a.data.map(Number), { dtype, device }).reshape(a.shape);
  return requiresGrad ? t.requiresGrad_(true) : t;
}

async function assertMatches(name: string, actual: Tensor | null, expected: Arr, tol: number): Promise<void> {
  assert.ok(actual, `${name}: expected a tensor, got null`);
  assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
  assertClose(await actual.data(), expected.data.map(Number), { rtol: tol, atol: tol, what: name });
}

/** A LayerNorm with torch's `weight`/`bias` names and factory options, from public pieces. */
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
  const options = {
    ...factory,
    dimFeedforward: k.dimFeedforward as number,
    activation: (k.activation ?? "relu") as "relu" | "gelu",
    normFirst: (k.normFirst ?? false) as boolean,
    batchFirst: (k.batchFirst ?? false) as boolean,
  };
  if (c.kind === "transformer") {
    return new nn.Transformer(
      k.dModel as number,
      k.nhead as number,
      k.numEncoderLayers as number,
      k.numDecoderLayers as number,
      options,
    );
  }
  const layer = new nn.TransformerDecoderLayer(k.dModel as number, k.nhead as number, options);
  if (c.kind === "layer") return layer;
  return new nn.TransformerDecoder(layer, k.numLayers as number, {
    norm: new TestLayerNorm(k.dModel as number, factory),
  });
}

async function checkCase(c: Case, dtype: DType, device: Device, outTol: number, gradTol: number): Promise<void> {
  const m = makeModule(c, { dtype, device }).eval();
  assert.deepEqual(Object.keys(m.stateDict()), c.keys);
  m.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, a]) => [k, build(a, dtype, device)])));
  const inp: Record<string, Tensor> = {};
  for (const [k, a] of Object.entries(c.inputs)) inp[k] = build(a, dtype, device, k in c.grads);
  const masks = {
    tgtMask: inp.tgtMask,
    memoryMask: inp.memoryMask,
    tgtKeyPaddingMask: inp.tgtKeyPaddingMask,
    memoryKeyPaddingMask: inp.memoryKeyPaddingMask,
  };
  const output = c.kind === "transformer"
    ? (m as nn.Transformer).forward(inp.src, inp.tgt, { ...masks, srcKeyPaddingMask: inp.srcKeyPaddingMask })
    : (m as nn.TransformerDecoder).forward(inp.tgt, inp.memory, masks);
  await assertMatches(`${c.name} output`, output, c.output, outTol);
  output.mul(build(c.probe, dtype, device)).sum().backward();
  for (const [k, g] of Object.entries(c.grads)) await assertMatches(`${c.name} grad of ${k}`, inp[k].grad, g, gradTol);
}

const label = { layer: "TransformerDecoderLayer", decoder: "TransformerDecoder", transformer: "Transformer" };
for (const c of fixture.cases) {
  Deno.test(`${label[c.kind]} (${c.name}) matches PyTorch in float32 on the default device`, async () => {
    await checkCase(c, "float32", getDefaultDevice(), 2e-5, 2e-4);
  });
  Deno.test(`${label[c.kind]} (${c.name}) matches PyTorch in float64 on cpu`, async () => {
    await checkCase(c, "float64", "cpu", 1e-9, 1e-9);
  });
}

Deno.test("Transformer.generateSquareSubsequentMask matches PyTorch's causal mask", async () => {
  const mask = nn.Transformer.generateSquareSubsequentMask(4);
  assert.deepEqual(mask.shape, fixture.causal4.shape);
  assert.deepEqual(Array.from(await mask.data()), fixture.causal4.data.map(Number));
  assert.throws(() => nn.Transformer.generateSquareSubsequentMask(0), RangeError);
});

Deno.test("TransformerDecoderLayer passes gradcheck for tgt and memory under a causal mask", async () => {
  const cpu = { dtype: "float64" as const, device: "cpu" as const };
  const layer = new nn.TransformerDecoderLayer(4, 2, { ...cpu, dimFeedforward: 6, normFirst: true }).eval();
  const mask = nn.Transformer.generateSquareSubsequentMask(3, cpu);
  const fn = (tgt: Tensor, memory: Tensor) => layer.forward(tgt, memory, { tgtMask: mask });
  assert.equal(await gradcheck(fn, [randn([3, 1, 4], cpu), randn([2, 1, 4], cpu)]), true);
});

Deno.test("Transformer re-draws matrices with xavier_uniform_ and names its parts as PyTorch", async () => {
  const model = new nn.Transformer({
    dModel: 8,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 2,
    dimFeedforward: 16,
  });
  const keys = Object.keys(model.stateDict());
  assert.ok(keys.includes("encoder.layers.0.self_attn.in_proj_weight"));
  assert.ok(keys.includes("decoder.layers.1.multihead_attn.out_proj.weight"));
  assert.deepEqual(keys.slice(-2), ["decoder.norm.weight", "decoder.norm.bias"]);
  const w = Array.from(await (model.stateDict()["encoder.layers.0.linear1.weight"] as Tensor).data());
  const bound = Math.sqrt(6 / (8 + 16));
  assert.ok(w.every((v) => Math.abs(v) <= bound) && w.some((v) => Math.abs(v) > 1 / Math.sqrt(8)));
  assert.throws(() => model.forward(randn([5, 2, 8]), randn([3, 3, 8])), /same batch size/);
  assert.throws(() => new nn.TransformerDecoderLayer(8, 2, { activation: "tanh" as "relu" }), RangeError);
});
