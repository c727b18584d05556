/**
 * PyTorch's positional arguments on layers, F functions and Tensor shape methods: each call in
 * torch's positional order must equal the same call with an options object, and a misspelt or
 * unknown option throws naming it.
 */
import assert from "node:assert/strict";
import { F, manualSeed, nn, ones, rand, randn, type Tensor, tensor, zeros } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

async function same(a: Tensor, b: Tensor): Promise<void> {
  assert.deepEqual(a.shape, b.shape);
  assertClose(await a.toArray(), await b.toArray(), { rtol: 1e-6, atol: 1e-7 });
}

const img = randn([2, 3, 9, 9]);

Deno.test("nn.Conv2d(in, out, k, stride, padding, dilation, groups, bias) is torch's order", async () => {
  manualSeed(1);
  const a = new nn.Conv2d(3, 6, 3, 2, 1, 2, 3, false);
  manualSeed(1);
  const b = new nn.Conv2d(3, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 3, bias: false });
  assert.deepEqual(a.stride, [2, 2]);
  assert.equal(a.bias, null);
  await same(a.forward(img), b.forward(img));
  assert.deepEqual(new nn.Conv2d(1, 16, 3, 2).forward(randn([1, 1, 7, 7])).shape, [1, 16, 3, 3]);
});

Deno.test("nn.Conv2d paddingMode pads by F.pad's mode before the convolution", async () => {
  const conv = new nn.Conv2d(3, 4, 3, { padding: 1, paddingMode: "reflect" });
  const plain = new nn.Conv2d(3, 4, 3);
  plain.weight = conv.weight;
  plain.bias = conv.bias;
  await same(conv.forward(img), plain.forward(F.pad(img, [1, 1, 1, 1], "reflect")));
});

Deno.test("F.conv2d takes stride, padding, dilation, groups positionally", async () => {
  const w = randn([6, 1, 3, 3]);
  await same(F.conv2d(img, w, null, 2, 1, 1, 3), F.conv2d(img, w, null, { stride: 2, padding: 1, groups: 3 }));
  await same(F.conv2d(img, w, { groups: 3 }), F.conv2d(img, w, null, 1, 0, 1, 3));
});

Deno.test("pooling takes torch's positional order (the nn and F orders differ)", async () => {
  await same(F.maxPool2d(img, 3, 1), F.maxPool2d(img, 3, { stride: 1 }));
  assert.deepEqual(F.maxPool2d(img, 3, 1).shape, [2, 3, 7, 7]);
  // nn.MaxPool2d: kernel, stride, padding, dilation, returnIndices, ceilMode
  await same(new nn.MaxPool2d(2, 2, 0, 1, false, true).forward(img), F.maxPool2d(img, 2, { ceilMode: true }));
  // F.avg_pool2d and nn.AvgPool2d: kernel, stride, padding, ceilMode, countIncludePad, divisorOverride
  await same(
    new nn.AvgPool2d(3, 2, 1, true, false).forward(img),
    F.avgPool2d(img, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  );
  await same(F.avgPool2d(img, 2, null, 0, false, true, 2), F.avgPool2d(img, 2, { divisorOverride: 2 }));
});

Deno.test("nn.Flatten(startDim, endDim), nn.Linear(in, out, bias), nn.Dropout(p)", () => {
  assert.deepEqual(new nn.Flatten(0, 1).forward(zeros([2, 3, 4])).shape, [6, 4]);
  assert.deepEqual(new nn.Flatten(2).forward(zeros([2, 3, 4, 5])).shape, [2, 3, 20]);
  assert.equal(new nn.Linear(4, 2, false).bias, null);
  assert.equal(new nn.Dropout(0.3).p, 0.3);
  assert.throws(() => new nn.Dropout(0.3, true), /Dropout: inplace=true is not supported/);
});

Deno.test("normalization, embedding, attention and transformer layers take torch's order", () => {
  const bn = new nn.BatchNorm2d(3, 1e-3, null, false, false);
  assert.equal(bn.eps, 1e-3);
  assert.equal(bn.momentum, null);
  assert.equal(bn.weight, null);
  assert.equal(bn.running_mean, null);
  const ln = new nn.LayerNorm(4, 1e-3, false);
  assert.equal(ln.eps, 1e-3);
  assert.equal(ln.weight, null);
  assert.equal(new nn.Embedding(10, 3, 2).paddingIdx, 2);
  assert.throws(() => new nn.Embedding(10, 3, null, 1.0), /Embedding: maxNorm=1 is not supported/);
  const mha = new nn.MultiheadAttention(8, 2, 0.0, false, false, false, null, null, true);
  assert.equal(mha.batchFirst, true);
  const layer = new nn.TransformerEncoderLayer(8, 2, 16, 0.0, "gelu", 1e-6, true);
  assert.deepEqual(layer.forward(randn([2, 5, 8])).shape, [2, 5, 8]);
  const enc = new nn.TransformerEncoder(layer, 2, new nn.LayerNorm(8));
  assert.ok(enc.norm instanceof nn.LayerNorm);
});

Deno.test("F.dropout(x, p, training), F.softmax(x, dim) and F.pad(x, p, value) keep torch's order", async () => {
  const x = rand([3, 4]);
  assert.equal(F.dropout(x, 0.5, false), x);
  assert.equal(F.dropout(x, { p: 0.5, training: false }), x);
  await same(F.softmax(x, 1), F.softmax(x, -1));
  await same(F.pad(x, [1, 1], 2), F.pad(x, [1, 1], { value: 2 }));
  await same(F.pad(x, [1, 1], "constant", 2), F.pad(x, [1, 1], { mode: "constant", value: 2 }));
});

Deno.test("Tensor shape methods and creation functions take sizes as varargs", async () => {
  const x = randn([2, 3, 4]);
  assert.deepEqual(x.view(-1, 12).shape, [2, 12]);
  assert.deepEqual(x.reshape(4, 6).shape, [4, 6]);
  assert.deepEqual(x.permute(0, 2, 1).shape, [2, 4, 3]);
  await same(x.permute(0, 2, 1), x.permute([0, 2, 1]));
  assert.deepEqual(ones([1, 3]).expand(2, -1).shape, [2, 3]);
  assert.deepEqual(ones([1, 3]).repeat(2, 2).shape, [2, 6]);
  assert.deepEqual(zeros(2, 3).shape, [2, 3]);
  assert.equal(ones(2, 3, { dtype: "int32" }).dtype, "int32");
  assert.deepEqual(randn(5).shape, [5]);
  assert.deepEqual(rand(2, 2, { dtype: "float32" }).shape, [2, 2]);
});

Deno.test("add and sub take torch's alpha", async () => {
  const a = tensor([1, 2], { dtype: "float32" }), b = tensor([3, 4], { dtype: "float32" });
  assert.deepEqual(await a.add(b, { alpha: 2 }).toArray(), [7, 10]);
  assert.deepEqual(await a.sub(b, { alpha: 0.5 }).toArray(), [-0.5, 0]);
  assert.throws(() => tensor([1]).add(tensor([2]), { alpha: 0.5 }), /alpha must not be a floating point/);
});

Deno.test("an options key the op does not know throws naming it", () => {
  const x = randn([1, 1, 6, 6]);
  assert.throws(() => F.maxPool2d(x, 2, { strides: 2 } as never), /maxPool2d: unknown option "strides".*"stride"/);
  assert.throws(() => F.avgPool2d(x, 2, { count_include_pad: false } as never), /avgPool2d: unknown option/);
  assert.throws(() => new nn.Conv2d(1, 1, 3, { pading: 1 } as never), /Conv2d: unknown option "pading"/);
  assert.throws(() => F.pad(x, [1, 1], { fill: 1 } as never), /pad: unknown option "fill"/);
  assert.throws(() => zeros([2], { dtpye: "int32" } as never), /zeros: unknown option "dtpye"/);
  assert.throws(() => x.add(x, { alfa: 2 } as never), /add: unknown option "alfa"/);
  assert.throws(() => new nn.Flatten({ start: 0 } as never), /Flatten: unknown option "start"/);
  assert.throws(() => F.maxPool2d(x, 2, 2, { stride: 2 } as never), /"stride" is given both positionally/);
  assert.throws(() => F.maxPool2d(x, 2, 2, 0, 1, false, false, 3 as never), /at most 5 are taken/);
  assert.throws(() => F.maxPool2d(x, 2, { returnIndices: true }), /returnIndices=true is not supported/);
});
