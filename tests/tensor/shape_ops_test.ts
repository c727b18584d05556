/**
 * Movement, construction, scatter and take beyond the generated table tests: the edge cases of
 * tests/fixtures/shape_ops.json against PyTorch 1.13 on every device (ties, zeros in prod,
 * includeSelf, integer dtypes, negative indices, broadcasting, split/chunk/narrow options), then
 * views, option forms, gradients by gradcheck (float64 on the cpu) and errors that name the op.
 */
import assert from "node:assert/strict";
import {
  arange,
  diag,
  flip,
  gradcheck,
  gradgradcheck,
  meshgrid,
  movedim,
  randn,
  scatterReduce,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";
import { devices, testAgainstTorch } from "./_shape_fixture.ts";

testAgainstTorch("scatter and take", {
  "amax ties share": ({ x, i, s }) => x.scatterReduce(0, i, s, "amax"),
  "amin ties without self": ({ x, i, s }) => x.scatterReduce(0, i, s, "amin", { includeSelf: false }),
  "prod one zero in src": ({ x, i, s }) => x.scatterReduce(0, i, s, "prod"),
  "prod zero in self": ({ x, i, s }) => x.scatterReduce(0, i, s, "prod"),
  "prod two zeros": ({ x, i, s }) => x.scatterReduce(0, i, s, "prod"),
  "prod without self": ({ x, i, s }) => x.scatterReduce(1, i, s, "prod", { includeSelf: false }),
  "mean without self": ({ x, i, s }) => x.scatterReduce(1, i, s, "mean", { includeSelf: false }),
  "sum without self": ({ x, i, s }) => x.scatterReduce(0, i, s, "sum", { includeSelf: false }),
  "int mean rounds down": ({ x, i, s }) => x.scatterReduce(0, i, s, "mean"),
  "int amax": ({ x, i, s }) => scatterReduce(x, 0, i, s, "amax", { includeSelf: false }),
  "scatter reduce add": ({ x, i, s }) => x.scatter(1, i, s, { reduce: "add" }),
  "scatter reduce multiply": ({ x, i, s }) => x.scatter(1, i, s, { reduce: "multiply" }),
  "scatter larger src": ({ x, i, s }) => x.scatter(0, i, s),
  "index add repeats": ({ x, i, s }) => x.indexAdd(0, i, s, { alpha: 2 }),
  "index fill tensor value": ({ x, i, v }) => x.indexFill(1, i, v),
  "masked scatter broadcast": ({ x, m, s }) => x.maskedScatter(m, s),
  "take negative": ({ x, i }) => x.take(i),
  "take along broadcast input": ({ x, i }) => x.takeAlongDim(i, 1),
});

testAgainstTorch("movement", {
  "repeat interleave flat counts": ({ x }) => x.repeatInterleave([2]),
  "roll empty dim": ({ x }) => x.roll(1, 1),
  "diagonal beyond": ({ x }) => x.diagonal(5),
  "split sizes with zero": ({ x }) => x.split([2, 0, 3]),
  "split empty dim": ({ x }) => x.split(2),
  "chunk uneven": ({ x }) => x.chunk(4),
  "chunk empty dim": ({ x }) => x.chunk(3),
  "narrow negative start": ({ x }) => x.narrow(1, -2, 2),
});

const f64 = (shape: number[]) => randn(shape, { dtype: "float64", device: "cpu" }).requiresGrad_();

Deno.test("diagonal, movedim, unflatten, unbind and meshgrid are views: strides move, nothing is copied", () => {
  const x = randn([3, 4, 5]);
  const d = x.diagonal(1, 0, 2);
  assert.deepEqual(d.shape, [4, 3]);
  assert.deepEqual(d.strides, [x.strides[1], x.strides[0] + x.strides[2]]);
  assert.equal(d.offset, x.offset + x.strides[2]);
  assert.deepEqual(movedim(x, -1, 0).strides, [x.strides[2], x.strides[0], x.strides[1]]);
  assert.deepEqual(x.unflatten(2, [5, 1]).strides.slice(0, 3), x.strides);
  for (const [k, u] of x.unbind(1).entries()) assert.equal(u.offset, x.offset + k * x.strides[1]);
  const [gx] = meshgrid([arange(3), arange(4)]);
  assert.deepEqual(gx.strides, [1, 0]);
});

Deno.test("option forms match the positional ones", async () => {
  // repeats as a tensor are read synchronously, so this runs on a host device whatever the default
  const x = randn([3, 4], { device: "cpu" });
  const same = async (a: Tensor, b: Tensor) => assertClose(await a.data(), await b.data());
  await same(x.tril({ diagonal: 1 }), x.tril(1));
  await same(x.triu({ diagonal: -1 }), x.triu(-1));
  await same(x.diagonal({ offset: -1, dim1: 1, dim2: 0 }), x.diagonal(-1, 1, 0));
  await same(x.roll(2, { dims: 1 }), x.roll(2, 1));
  await same(x.repeatInterleave(2, { dim: 1 }), x.repeatInterleave(2, 1));
  await same(x.repeatInterleave(tensor([1, 2, 0], { device: "cpu" }), 0), x.repeatInterleave([1, 2, 0], 0));
  await same(x.flip(0, 1), flip(x, [0, 1]));
  await same(x.tile(2, 1), x.tile([2, 1]));
  await same(x.unbind({ dim: 1 })[2], x.unbind(1)[2]);
  await same(x.moveaxis(0, 1), x.movedim(0, 1));
  await same(diag(x, 1), x.diag({ diagonal: 1 }));
  const [a, b] = meshgrid(arange(2), arange(3), { indexing: "xy" });
  assert.deepEqual([a.shape, b.shape], [[3, 2], [3, 2]]);
});

Deno.test("scatter and index ops match composites of gather and scatterAdd", async () => {
  const x = randn([4, 3]);
  const index = tensor([3, 0]);
  const src = randn([2, 3]);
  const viaScatterAdd = x.scatterAdd(0, index.reshape([2, 1]).expand([2, 3]), src.mul(-2));
  assertClose(await x.indexAdd(0, index, src, { alpha: -2 }).data(), await viaScatterAdd.data(), { atol: 1e-6 });
  const rows = x.indexCopy(0, index, src).indexSelect(0, index);
  assertClose(await rows.data(), await src.data());
  const filled = x.indexFill(0, index, 7).indexSelect(0, index);
  assertClose(await filled.data(), new Array(6).fill(7));
});

Deno.test("gradients by gradcheck: scatter, scatterReduce with zeros and without self, index ops, take", async () => {
  const index = tensor([[0, 2, 2], [1, 1, 0]], { device: "cpu" });
  const perm = tensor([[2, 0, 1], [0, 1, 2]], { device: "cpu" });
  await gradcheck((x, s) => x.scatter(1, perm, s), [f64([2, 4]), f64([2, 3])]);
  await gradcheck((x) => x.scatter(1, perm, 0.5), [f64([2, 3])]);
  for (const reduce of ["sum", "prod", "mean", "amax", "amin"] as const) {
    for (const includeSelf of [true, false]) {
      await gradcheck((x, s) => x.scatterReduce(1, index, s, reduce, { includeSelf }), [f64([2, 3]), f64([2, 4])]);
    }
  }
  // prod with a zero among the sources and in the input: exact, as PyTorch's
  const withZero = tensor([[0, 1.5, 2], [3, -1, 0.5]], { dtype: "float64", device: "cpu" }).requiresGrad_();
  const self = tensor([[1.2, 0, -0.7], [2, 1, 1]], { dtype: "float64", device: "cpu" }).requiresGrad_();
  await gradcheck((x, s) => x.scatterReduce(1, index, s, "prod"), [self, withZero]);
  await gradgradcheck((x, s) => x.scatterReduce(1, index, s, "mean", { includeSelf: false }), [
    f64([2, 3]),
    f64([2, 3]),
  ]);
  await gradcheck((x, s) => x.indexAdd(1, tensor([2, 0, 2], { device: "cpu" }), s, { alpha: 0.5 }), [
    f64([2, 3]),
    f64([2, 3]),
  ]);
  await gradcheck((x, s) => x.indexCopy(1, tensor([2, 0], { device: "cpu" }), s), [f64([2, 3]), f64([2, 2])]);
  await gradcheck((x, v) => x.indexFill(0, tensor([1], { device: "cpu" }), v), [f64([2, 3]), f64([])]);
  const mask = tensor([[true, false, true], [false, true, true]], { device: "cpu" });
  await gradcheck((x, s) => x.maskedScatter(mask, s), [f64([2, 3]), f64([5])]);
  await gradgradcheck((x) => x.take(tensor([[5, -1], [0, 0]], { device: "cpu" })), [f64([2, 3])]);
  await gradcheck((x) => x.takeAlongDim(tensor([[0], [2]], { device: "cpu" }), 1), [f64([1, 3])]);
});

Deno.test("gradients by gradcheck: diagonal (twice), diag, flip, roll, tril, tile, repeatInterleave, meshgrid", async () => {
  await gradgradcheck((x) => x.diagonal(-1, 2, 0), [f64([3, 2, 4])]);
  await gradcheck((x) => x.diag(), [f64([3])]);
  await gradcheck((x) => x.diag(-1), [f64([3, 4])]);
  await gradcheck((x) => x.flip(0, 2), [f64([2, 3, 2])]);
  await gradcheck((x) => x.roll([1, -1], [0, 1]), [f64([2, 3])]);
  await gradcheck((x) => x.roll(4), [f64([2, 3])]);
  await gradcheck((x) => x.triu(2), [f64([2, 3, 4])]);
  await gradcheck((x) => x.tile(2), [f64([2, 2])]);
  await gradcheck((x) => x.repeatInterleave([3, 0, 1], 1), [f64([2, 3])]);
  await gradcheck((a, b) => meshgrid(a, b, { indexing: "xy" }), [f64([2]), f64([3])]);
});

Deno.test("scatterReduce on every device agrees with the reference for int32 and bool", async () => {
  const index = tensor([[0, 2, 2, 1], [1, 1, 0, 0]], { device: "cpu" });
  const want: Record<string, number[]> = {};
  for (const device of devices) {
    const x = tensor([[5, -3, 2], [0, 7, -1]], { device });
    const s = tensor([[4, -6, 9, 1], [2, -2, 3, 3]], { device });
    const b = tensor([[true, false, true], [false, false, true]], { device });
    const bs = tensor([[false, true, true, false], [true, false, false, true]], { device });
    const i = index.to(device === "webgpu" ? "cpu" : device);
    const idx = device === "webgpu" ? await i.toDevice("webgpu") : i;
    const results: Record<string, Tensor> = {
      prod: x.scatterReduce(1, idx, s, "prod"),
      amax: x.scatterReduce(1, idx, s, "amax", { includeSelf: false }),
      amin: x.scatterReduce(1, idx, s, "amin"),
      replace: x.scatter(1, idx.slice(null, [0, 1]), s),
      boolReplace: b.scatter(1, idx.slice(null, [0, 1]), bs),
      boolMax: b.scatterReduce(1, idx, bs, "amax"),
    };
    for (const [k, r] of Object.entries(results)) {
      const got = Array.from(await r.data());
      if (device === "reference") want[k] = got;
      else assert.deepEqual(got, want[k], `${k} on ${device}`);
    }
  }
});

Deno.test("errors name the op, the shapes and what to do", () => {
  const x = zeros([3, 4]);
  const index = tensor([[0, 1]]);
  assert.throws(
    () => x.scatterReduce(1, index, zeros([1, 2]), "max" as "amax"),
    /scatterReduce: reduce must be one of/,
  );
  assert.throws(() => x.scatter(1, index.float(), 1), /scatter: index must be int32, got float32/);
  assert.throws(() => x.scatter(1, tensor([0, 1]), 1), /scatter: input \[3,4\], index \[2\]/);
  assert.throws(() => x.scatter(1, tensor([[0, 1, 2, 3, 0]]), zeros([1, 4])), /must fit in src/);
  assert.throws(
    () => x.scatter(1, index, zeros([1, 2], { dtype: "int32" })),
    /scatter: src is int32 but input is float32/,
  );
  assert.throws(
    () => x.scatter(1, index, 1, { reduce: "mean" as "add" }),
    /scatter: reduce must be "add" or "multiply"/,
  );
  assert.throws(() => x.indexAdd(0, tensor([0, 1]), zeros([3, 4])), /indexAdd: source must have shape \[2,4\]/);
  assert.throws(() => x.indexCopy(0, tensor([[0]]), zeros([1, 4])), /indexCopy: index must be 1-D/);
  assert.throws(() => x.indexFill(0, tensor([0]), zeros([2])), /indexFill: value must be a number or a 0-d tensor/);
  assert.throws(() => x.maskedScatter(zeros([4]), zeros([4])), /maskedScatter: mask must be a bool tensor/);
  assert.throws(() => x.takeAlongDim(tensor([0, 1]), 0), /takeAlongDim: input \[3,4\] and indices \[2\]/);
  assert.throws(() => x.roll([1, 2], 0), /roll: shifts \[1,2\] and dims \[0\] must have the same length/);
  assert.throws(() => x.roll([1, 2]), /roll: without dims, shifts must be one number/);
  assert.throws(() => zeros([3]).tril(), /tril: input must have at least 2 dims, got shape \[3\]/);
  assert.throws(() => x.diagonal(0, 1, -1), /diagonal: dim1 and dim2 must differ/);
  assert.throws(() => zeros([2, 2, 2]).diag(), /diag: input must be 1-D or 2-D/);
  assert.throws(() => x.tile([-1]), /tile: reps must be non-negative integers/);
  assert.throws(() => x.repeatInterleave([1, 2], 0), /repeatInterleave: repeats must hold 3 non-negative integers/);
  assert.throws(() => x.unflatten(1, [3, -1]), /unflatten: shape \[3,-1\] is invalid/);
  assert.throws(
    () => x.movedim([0, 0], [1, 0]),
    /movedim: source \[0,0\] and destination \[1,0\] must not repeat a dim/,
  );
  assert.throws(() => x.movedim([0], [0, 1]), /movedim: .* must have the same length/);
  assert.throws(() => meshgrid(zeros([2, 2])), /meshgrid: tensor 0 must be 0-D or 1-D/);
  assert.throws(() => meshgrid(zeros([2]), { indexing: "yx" as "xy" }), /meshgrid: indexing must be "ij" or "xy"/);
  assert.throws(() => x.split(1.5), /split: size must be a positive integer/);
  assert.throws(() => x.split([1, -1, 3]), /split: sizes \[1,-1,3\] must be non-negative integers/);
  assert.throws(() => x.narrow(1, -5, 1), /narrow: start -5 and length 1 do not fit dim 1 of size 4/);
});
