/**
 * Forward values of tensor ops and views, against hand-computed values or PyTorch's.
 * PyTorch references were made once with `/usr/bin/python3 -c 'import torch; ...'` (torch 1.13)
 * and pasted as literals; the expression is in the comment next to each.
 */
import assert from "node:assert/strict";
import {
  arange,
  bernoulli,
  cat,
  eye,
  F,
  full,
  fullLike,
  linspace,
  manualSeed,
  matmul,
  memoryStats,
  type NestedArray,
  oneHot,
  ones,
  onesLike,
  pad,
  rand,
  randint,
  randn,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
} from "../../mod.ts";
import { assertClose, assertTensorClose } from "../_helpers.ts";

const TOL = { rtol: 1e-5, atol: 1e-5 };

const f = (data: NestedArray) => tensor(data as number[], { dtype: "float32" });
const a24 = () => f([[1, 2, 3, 4], [2, 4, 6, 9]]);

// ---- creation ------------------------------------------------------------------------------

Deno.test("tensor() infers int32 from integers, float32 from fractions and bool from booleans", async () => {
  assert.equal(tensor([1, 2]).dtype, "int32");
  assert.equal(tensor([1, 2.5]).dtype, "float32");
  assert.equal(tensor([[true], [false]]).dtype, "bool");
  assert.equal(tensor(3).dtype, "int32");
  assert.deepEqual(tensor(3).shape, []);
  assert.equal(tensor(new Float32Array([1, 2])).dtype, "float32");
  assert.equal(tensor(new Int32Array([1, 2])).dtype, "int32");
  assert.equal(tensor([1, 2], { requiresGrad: true }).dtype, "float32");
  assert.equal(tensor([1, 2], { dtype: "float32" }).dtype, "float32");
  assert.deepEqual(await tensor([[true], [false]]).toArray(), [[true], [false]]);
  assert.deepEqual(tensor([[1, 2, 3], [4, 5, 6]]).shape, [2, 3]);
});

Deno.test("zeros, ones, full and their *Like versions fill shape, dtype and device", async () => {
  assert.deepEqual(await zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
  assert.deepEqual(await ones([3]).toArray(), [1, 1, 1]);
  assert.deepEqual(await full([2], 7.5).toArray(), [7.5, 7.5]);
  assert.equal(zeros([1], { dtype: "int32" }).dtype, "int32");
  const i = tensor([[1, 2]]);
  const z = zerosLike(i), o = onesLike(i), v = fullLike(i, 4);
  for (const like of [z, o, v]) {
    assert.deepEqual(like.shape, [1, 2]);
    assert.equal(like.dtype, "int32");
    assert.equal(like.device, i.device);
  }
  assert.deepEqual(await v.toArray(), [[4, 4]]);
  assert.equal(zerosLike(i, { dtype: "float32" }).dtype, "float32");
});

Deno.test("arange, linspace and eye produce the expected ranges", async () => {
  assert.deepEqual(await arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.equal(arange(5).dtype, "int32");
  assert.deepEqual(await arange(2, 8, 3).toArray(), [2, 5]);
  assert.deepEqual(await arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
  assert.equal(arange(0, 1, 0.25).dtype, "float32");
  assert.deepEqual(await arange(3, 0, -1).toArray(), [3, 2, 1]);
  // torch.linspace(0, 1, 5)
  assert.deepEqual(await linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(await eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(await eye(2).toArray(), [[1, 0], [0, 1]]);
});

// ---- reading ---------------------------------------------------------------------------------

Deno.test("item(), toArray() and data() read values back", async () => {
  const x = f([[1, 2], [3, 4]]);
  assert.deepEqual(await x.toArray(), [[1, 2], [3, 4]]);
  const d = await x.data();
  assert.ok(d instanceof Float32Array);
  assert.deepEqual([...d], [1, 2, 3, 4]);
  assert.equal(await x.sum().item(), 10);
  assert.ok((await tensor([1, 2]).data()) instanceof Int32Array);
  await assert.rejects(x.item(), /item: tensor of shape \[2,2\] has 4 elements/);
  assert.deepEqual([...await x.T.data()], [1, 3, 2, 4]);
});

// ---- views -----------------------------------------------------------------------------------

Deno.test("transpose, expand, slice, select and view share storage without copies", async () => {
  const x = f([[1, 2, 3], [4, 5, 6]]);
  const before = memoryStats().liveStorages;
  const views = [
    x.transpose(0, 1),
    x.unsqueeze(0).expand([4, 2, 3]),
    x.slice(null, [1, 3]),
    x.select(1, 2),
    x.view([3, 2]),
    x.permute([1, 0]),
    x.reshape([6]),
    x.narrow(0, 1, 1),
  ];
  assert.equal(memoryStats().liveStorages, before);
  assert.deepEqual(await views[0].toArray(), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(views[1].shape, [4, 2, 3]);
  assert.deepEqual(await views[2].toArray(), [[2, 3], [5, 6]]);
  assert.deepEqual(await views[3].toArray(), [3, 6]);
  assert.deepEqual(await views[4].toArray(), [[1, 2], [3, 4], [5, 6]]);
  // (no second count here: after an await the garbage collector may release unrelated tensors)
  for (const v of views) v.dispose();
  // the base keeps the storage alive after its views are gone
  assert.deepEqual(await x.toArray(), [[1, 2, 3], [4, 5, 6]]);
});

Deno.test("contiguous() copies a transposed tensor into row-major order and returns a contiguous one as is", async () => {
  const x = f([[1, 2, 3], [4, 5, 6]]);
  assert.equal(x.isContiguous, true);
  assert.equal(x.contiguous(), x);
  const t = x.T;
  assert.equal(t.isContiguous, false);
  const c = t.contiguous();
  assert.equal(c.isContiguous, true);
  assert.deepEqual(await c.toArray(), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual([...await c.data()], [1, 4, 2, 5, 3, 6]);
});

Deno.test("slice() supports steps, negative bounds and index specs", async () => {
  const x = arange(12).reshape([3, 4]);
  assert.deepEqual(await x.slice(null, [0, undefined, 2]).toArray(), [[0, 2], [4, 6], [8, 10]]);
  assert.deepEqual(await x.slice([-2], [1, -1]).toArray(), [[5, 6], [9, 10]]);
  assert.deepEqual(await x.slice(1).toArray(), [4, 5, 6, 7]);
  assert.deepEqual(await x.slice([0, 3, 2], 3).toArray(), [3, 11]);
  assert.deepEqual(x.slice([5, 9]).shape, [0, 4]);
});

Deno.test("data() of a contiguous view at an offset reads only that view and leaves it usable", async () => {
  const x = arange(6).reshape([3, 2]);
  const row = x.select(0, 1);
  assert.deepEqual([...await row.data()], [2, 3]);
  assert.equal(row.isDisposed, false);
  assert.deepEqual(await row.toArray(), [2, 3]);
  assert.deepEqual(await x.slice([1]).toArray(), [[2, 3], [4, 5]]);
  // scatterAdd into a row view starts from that row, not from the start of the storage
  const s = x.float().slice([2]).scatterAdd(1, tensor([[0]]), f([[10]]));
  assert.deepEqual(await s.toArray(), [[14, 5]]);
});

Deno.test("split, chunk, repeat, squeeze, unsqueeze and flatten give torch's shapes and values", async () => {
  const x = arange(10).reshape([5, 2]);
  assert.deepEqual(x.split(2).map((t) => t.shape), [[2, 2], [2, 2], [1, 2]]);
  assert.deepEqual(x.chunk(2).map((t) => t.shape), [[3, 2], [2, 2]]);
  assert.deepEqual(await x.split([1, 4])[0].toArray(), [[0, 1]]);
  assert.deepEqual(await tensor([1, 2]).repeat([2, 2]).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assert.deepEqual(zeros([2, 1, 3, 1]).squeeze().shape, [2, 3]);
  assert.deepEqual(zeros([2, 1, 3, 1]).squeeze(-1).shape, [2, 1, 3]);
  assert.deepEqual(zeros([2, 3]).unsqueeze(-1).shape, [2, 3, 1]);
  assert.deepEqual(zeros([2, 3, 4]).flatten(1).shape, [2, 12]);
  assert.deepEqual(zeros([2, 3, 4]).flatten().shape, [24]);
  assert.deepEqual(zeros([2, 3]).reshape([-1, 2]).shape, [3, 2]);
});

// ---- elementwise -----------------------------------------------------------------------------

Deno.test("unary ops match PyTorch on [-1, 0.5, 2]", async () => {
  const x = f([-1, 0.5, 2]);
  // F.gelu(x), F.gelu(x, approximate="tanh"), F.softplus(x), torch.erf(x), sigmoid, tanh, F.leaky_relu(x, 0.1)
  await assertTensorClose(x.gelu(), [-0.1586552858352661, 0.3457311987876892, 1.9544999599456787], TOL);
  await assertTensorClose(x.gelu({ approximate: "tanh" }), [
    -0.15880799293518066,
    0.3457140028476715,
    1.9545977115631104,
  ], TOL);
  await assertTensorClose(x.softplus(), [0.3132616877555847, 0.9740769863128662, 2.1269280910491943], TOL);
  await assertTensorClose(x.erf(), [-0.8427007794380188, 0.5204998850822449, 0.9953222870826721], TOL);
  await assertTensorClose(x.sigmoid(), [0.2689414322376251, 0.622459352016449, 0.8807970285415649], TOL);
  await assertTensorClose(x.tanh(), [-0.7615941762924194, 0.46211716532707214, 0.9640275835990906], TOL);
  await assertTensorClose(x.leakyRelu(0.1), [-0.1, 0.5, 2], TOL);
  await assertTensorClose(x.relu(), [0, 0.5, 2], TOL);
  await assertTensorClose(x.abs(), [1, 0.5, 2], TOL);
  await assertTensorClose(x.clamp(0, 1), [0, 0.5, 1], TOL);
  await assertTensorClose(x.exp().log(), [-1, 0.5, 2], TOL);
  await assertTensorClose(x.square().sqrt(), [1, 0.5, 2], TOL);
  await assertTensorClose(x.pow(2), [1, 0.25, 4], TOL);
  await assertTensorClose(x.reciprocal(), [-1, 2, 0.5], TOL);
});

Deno.test("binary ops broadcast and remainder follows the divisor's sign", async () => {
  assert.deepEqual(await f([[1], [2]]).add(f([10, 20, 30])).toArray(), [[11, 21, 31], [12, 22, 32]]);
  assert.deepEqual(await f([1, 2]).sub(1).toArray(), [0, 1]);
  assert.deepEqual(await tensor([1, 2]).div(2).toArray(), [0.5, 1]);
  assert.equal(tensor([1, 2]).div(2).dtype, "float32");
  assert.equal(tensor([1, 2]).mul(2).dtype, "int32");
  assert.equal(tensor([1, 2]).mul(2.5).dtype, "float32");
  // torch.remainder([5, -5, 5, -5], [3, 3, -3, -3])
  assert.deepEqual(await f([5, -5, 5, -5]).remainder(f([3, 3, -3, -3])).toArray(), [2, 1, -1, -2]);
  assert.deepEqual(await f([1, 5]).maximum(f([3, 2])).toArray(), [3, 5]);
  assert.deepEqual(await f([1, 5]).minimum(3).toArray(), [1, 3]);
});

Deno.test("comparisons return bool tensors", async () => {
  const x = f([1, 2, 3]);
  const gt = x.gt(2);
  assert.equal(gt.dtype, "bool");
  assert.deepEqual(await gt.toArray(), [false, false, true]);
  assert.deepEqual(await x.eq(f([1, 0, 3])).toArray(), [true, false, true]);
  assert.deepEqual(await x.le(2).toArray(), [true, true, false]);
  assert.deepEqual(await x.ne(2).logicalAnd(x.lt(3)).toArray(), [true, false, false]);
  assert.deepEqual(await x.ge(2).logicalNot().toArray(), [true, false, false]);
});

Deno.test("where() picks from either branch with broadcasting, and maskedFill fills", async () => {
  const cond = tensor([[true, false], [false, true]]);
  assert.deepEqual(await where(cond, f([1, 2]), 0).toArray(), [[1, 0], [0, 2]]);
  assert.deepEqual(await where(cond, 1, 0.5).toArray(), [[1, 0.5], [0.5, 1]]);
  assert.deepEqual(await f([1, 2]).maskedFill(tensor([false, true]), -1).toArray(), [1, -1]);
});

// ---- reductions ------------------------------------------------------------------------------

Deno.test("reductions honor keepdim and negative dims", async () => {
  const x = a24();
  assert.deepEqual(await x.sum(-1).toArray(), [10, 21]);
  assert.deepEqual(await x.sum(-1, { keepdim: true }).toArray(), [[10], [21]]);
  assert.deepEqual(await x.sum([0, 1]).toArray(), 31);
  assert.deepEqual(x.sum().shape, []);
  assert.deepEqual(x.mean(0, { keepdim: true }).shape, [1, 4]);
  assert.deepEqual(await x.mean(0).toArray(), [1.5, 3, 4.5, 6.5]);
  assert.deepEqual(await x.max(-2).toArray(), [2, 4, 6, 9]);
  assert.deepEqual(await x.min(1, { keepdim: true }).toArray(), [[1], [2]]);
  assert.equal(await x.max().item(), 9);
  assert.deepEqual(await x.prod(1).toArray(), [24, 432]);
  // a24.var(1), a24.std(1, keepdim=True), a24.var(0, correction=0)
  await assertTensorClose(x.var(1), [1.6666666269302368, 8.916666984558105], TOL);
  await assertTensorClose(x.std(1, { keepdim: true }), [[1.29099440574646], [2.9860787391662598]], TOL);
  await assertTensorClose(x.var(0, { correction: 0 }), [0.25, 1, 2.25, 6.25], TOL);
  // a24.norm(), a24.norm(p=3, dim=1), a24.norm(p=inf), a24.norm(p=1, dim=0)
  await assertTensorClose(x.norm(), 12.922847747802734, TOL);
  await assertTensorClose(x.norm(3, 1), [4.641589164733887, 10.05634880065918], TOL);
  await assertTensorClose(x.norm(Infinity), 9, TOL);
  await assertTensorClose(x.norm(1, 0), [3, 6, 9, 13], TOL);
  assert.deepEqual(await tensor([[true, false], [true, true]]).all(1).toArray(), [false, true]);
  assert.deepEqual(await tensor([[0, 0], [0, 3]]).any(-1).toArray(), [false, true]);
});

Deno.test("argmax and argmin return int32 indices of the first extreme", async () => {
  const x = f([[1, 5, 5], [7, 0, 0]]);
  assert.equal(x.argmax(1).dtype, "int32");
  assert.deepEqual(await x.argmax(1).toArray(), [1, 0]);
  assert.deepEqual(await x.argmin(-1).toArray(), [0, 1]);
  assert.deepEqual(await x.argmax(0, { keepdim: true }).toArray(), [[1, 0, 0]]);
  assert.equal(await x.argmax().item(), 3);
  assert.deepEqual(x.argmax().shape, []);
  const { values, indices } = x.maxWithIndices(1);
  assert.deepEqual(await values.toArray(), [5, 7]);
  assert.deepEqual(await indices.toArray(), [1, 0]);
});

Deno.test("softmax rows sum to 1 and match PyTorch; logSoftmax is its log", async () => {
  const x = a24();
  const s = x.softmax(-1);
  await assertTensorClose(s.sum(1), [1, 1], TOL);
  // a24.softmax(-1), a24.log_softmax(1), torch.logsumexp(a24, 1)
  await assertTensorClose(s, [
    [0.032058604061603546, 0.08714432269334793, 0.23688283562660217, 0.6439142823219299],
    [0.0008623511530458927, 0.00637196097522974, 0.04708277806639671, 0.9456828832626343],
  ], TOL);
  await assertTensorClose(x.logSoftmax(1), [
    [-3.4401895999908447, -2.4401895999908447, -1.4401897192001343, -0.4401896893978119],
    [-7.055848121643066, -5.055848121643066, -3.0558481216430664, -0.055848002433776855],
  ], TOL);
  await assertTensorClose(x.logsumexp(1), [4.440189838409424, 9.055848121643066], TOL);
  await assertTensorClose(F.softmax(x, 0).sum(0), [1, 1, 1, 1], TOL);
});

Deno.test("logsumexp and softmax of large values (1000) stay finite", async () => {
  const x = f([1000, 1000, 999]);
  // torch.logsumexp(torch.tensor([1000., 1000., 999.]), 0)
  await assertTensorClose(x.logsumexp(), 1000.8619995117188, TOL);
  const s = await x.softmax(0).toArray() as number[];
  assert.ok(s.every(Number.isFinite));
  assertClose(s.reduce((p, v) => p + v, 0), 1, TOL);
  assert.ok((await f([-1000, -1000]).logsumexp().item()) < -999);
});

// ---- linear algebra --------------------------------------------------------------------------

Deno.test("matmul multiplies matrices and broadcasts batch dims like torch", async () => {
  assert.deepEqual(await matmul(f([[1, 2], [3, 4]]), f([[5], [6]])).toArray(), [[17], [39]]);
  assert.deepEqual(await f([1, 2]).matmul(f([3, 4])).toArray(), 11);
  assert.deepEqual(matmul(zeros([2, 1, 3, 4]), zeros([3, 4, 5])).shape, [2, 3, 3, 5]);
  assert.deepEqual(matmul(zeros([4]), zeros([2, 4, 3])).shape, [2, 3]);
  assert.deepEqual(matmul(zeros([3, 4]), zeros([4])).shape, [3]);
  assert.deepEqual(matmul(zeros([5, 1, 2, 3]), zeros([1, 4, 3, 2])).shape, [5, 4, 2, 2]);
  const b = await matmul(ones([2, 2, 3]), f([[1], [2], [3]])).toArray();
  assert.deepEqual(b, [[[6], [6]], [[6], [6]]]);
  // F.linear with weight [out, in]
  assert.deepEqual(await F.linear(f([[1, 2]]), f([[1, 0], [0, 1], [1, 1]]), f([0, 0, 10])).toArray(), [[1, 2, 13]]);
});

// ---- joining, indexing -----------------------------------------------------------------------

Deno.test("cat, stack and pad join and pad as torch does", async () => {
  assert.deepEqual(await cat([f([[1, 2]]), f([[3, 4], [5, 6]])]).toArray(), [[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(await cat([f([[1], [2]]), f([[3], [4]])], -1).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(await stack([f([1, 2]), f([3, 4])]).toArray(), [[1, 2], [3, 4]]);
  assert.deepEqual(await stack([f([1, 2]), f([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(await pad(f([[1, 2]]), [1, 0, 0, 1]).toArray(), [[0, 1, 2], [0, 0, 0]]);
  assert.deepEqual(await F.pad(f([1]), [2, 1], 9).toArray(), [9, 9, 1, 9]);
});

Deno.test("oneHot encodes class ids as int32 rows", async () => {
  const o = oneHot(tensor([2, 0, 1]), 3);
  assert.equal(o.dtype, "int32");
  assert.deepEqual(await o.toArray(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  assert.deepEqual(F.oneHot(tensor([[1], [0]]), 2).shape, [2, 1, 2]);
});

Deno.test("gather, scatterAdd, indexSelect and embedding pick and accumulate by index", async () => {
  const x = f([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(await x.gather(1, tensor([[2, 0], [1, 1]])).toArray(), [[3, 1], [5, 5]]);
  assert.deepEqual(await x.gather(0, tensor([[1, 0, 1]])).toArray(), [[4, 2, 6]]);
  const s = zeros([2, 3]).scatterAdd(1, tensor([[0, 0, 2], [1, 1, 1]]), f([[1, 2, 3], [4, 5, 6]]));
  assert.deepEqual(await s.toArray(), [[3, 0, 3], [0, 15, 0]]);
  assert.deepEqual(await x.indexSelect(1, tensor([2, 2, 0])).toArray(), [[3, 3, 1], [6, 6, 4]]);
  assert.deepEqual(await F.embedding(tensor([[1, 0]]), x).toArray(), [[[4, 5, 6], [1, 2, 3]]]);
});

// ---- nn ops ----------------------------------------------------------------------------------

Deno.test("conv2d, pooling, layerNorm and cosineSimilarity match PyTorch", async () => {
  const img = arange(16, undefined, undefined, { dtype: "float32" }).reshape([1, 1, 4, 4]);
  // F.conv2d(arange(16.).reshape(1,1,4,4), [[[[1,0],[0,-1]]]], bias=[0.5], padding=1, stride=2)
  await assertTensorClose(F.conv2d(img, f([[[[1, 0], [0, -1]]]]), f([0.5]), { padding: 1, stride: 2 }), [
    [[[0.5, -1.5, 0.5], [-7.5, -4.5, 7.5], [0.5, 13.5, 15.5]]],
  ], TOL);
  await assertTensorClose(F.maxPool2d(img, 2), [[[[5, 7], [13, 15]]]], TOL);
  // F.avg_pool2d(img, 3, stride=2, padding=1) with count_include_pad True and False
  await assertTensorClose(F.avgPool2d(img, 3, { stride: 2, padding: 1 }), [[[[1.1111111640930176, 2.6666667461395264], [
    5.666666507720947,
    10,
  ]]]], TOL);
  await assertTensorClose(F.avgPool2d(img, 3, { stride: 2, padding: 1, countIncludePad: false }), [[[[2.5, 4], [
    8.5,
    10,
  ]]]], TOL);
  // F.layer_norm(a24, [4])
  await assertTensorClose(F.layerNorm(a24(), [4]), [
    [-1.3416354656219482, -0.4472118616104126, 0.4472118020057678, 1.3416354656219482],
    [-1.25675630569458, -0.48336780071258545, 0.29002076387405396, 1.4501036405563354],
  ], { rtol: 1e-4, atol: 1e-4 });
  // F.cosine_similarity([[1,2,3]], [[4,5,6]])
  await assertTensorClose(F.cosineSimilarity(f([[1, 2, 3]]), f([[4, 5, 6]])), [0.9746317863464355], TOL);
});

// ---- randomness ------------------------------------------------------------------------------

Deno.test("manualSeed makes rand, randn, randint and bernoulli reproducible", async () => {
  const draw = async () => {
    manualSeed(42);
    return [
      [...await rand([5]).data()],
      [...await randn([5]).data()],
      [...await randint(0, 10, [5]).data()],
      [...await bernoulli(0.5, { shape: [8] }).data()],
    ];
  };
  const first = await draw(), second = await draw();
  assert.deepEqual(first, second);
  manualSeed(43);
  assert.notDeepEqual([...await rand([5]).data()], first[0]);
  assert.ok(first[2].every((v) => Number.isInteger(v) && v >= 0 && v < 10));
  assert.ok(first[0].every((v) => v >= 0 && v < 1));
});

Deno.test("randn has mean ≈ 0 and std ≈ 1 over 10k samples, rand has mean ≈ 0.5", async () => {
  manualSeed(0);
  const x = randn([10000]);
  assert.ok(Math.abs(await x.mean().item()) < 0.05);
  assert.ok(Math.abs((await x.std().item()) - 1) < 0.05);
  assert.ok(Math.abs((await rand([10000]).mean().item()) - 0.5) < 0.02);
});

Deno.test("dropout keeps the expectation and zeroes about p of the elements", async () => {
  manualSeed(3);
  const y = F.dropout(ones([10000]), 0.3);
  assert.ok(Math.abs((await y.mean().item()) - 1) < 0.05);
  const zeroFrac = await y.eq(0).float().mean().item();
  assert.ok(Math.abs(zeroFrac - 0.3) < 0.03);
  assert.deepEqual(await F.dropout(f([1, 2]), 0.3, false).toArray(), [1, 2]);
});

// ---- memory ----------------------------------------------------------------------------------

Deno.test("tidy releases intermediates and keeps the returned tensors", async () => {
  const x = f([1, 2, 3]);
  const work = () => x.mul(2).add(1).exp().log().realize();
  tidy(work).dispose(); // warm the scalar-constant cache
  const before = memoryStats().liveStorages;
  const y = tidy(work);
  assert.equal(memoryStats().liveStorages, before + 1);
  const { a, list } = tidy(() => ({ a: x.add(1).realize(), list: [x.add(2).realize(), x.sub(3).realize()] }));
  assert.equal(memoryStats().liveStorages, before + 4);
  // counts are checked before any await: the garbage collector may release unrelated tensors there
  await assertTensorClose(y, [3, 5, 7], TOL);
  for (const t of [y, a, ...list]) t.dispose();
  assert.equal(x.isDisposed, false);
});

Deno.test("`using` disposes a tensor at the end of its block", () => {
  const before = memoryStats().liveStorages;
  let escaped: Tensor;
  {
    using t = ones([4]);
    escaped = t;
    assert.equal(memoryStats().liveStorages, before + 1);
  }
  assert.equal(escaped.isDisposed, true);
  assert.equal(memoryStats().liveStorages, before);
});
