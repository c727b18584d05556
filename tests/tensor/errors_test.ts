/**
 * Bad inputs throw errors that name the op, what it got (shapes, dtypes) and what it expected.
 * Out-of-range indices throw at the call on cpu and surface at the next read on webgpu, so
 * those tests accept either.
 */
import assert from "node:assert/strict";
import {
  arange,
  embedding,
  F,
  hasWebGPU,
  matmul,
  oneHot,
  ones,
  randn,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "../../mod.ts";

/** Asserts `fn` throws, or returns a tensor whose first read rejects, with a message matching `re`. */
async function throwsNowOrAtRead(fn: () => Tensor, re: RegExp): Promise<void> {
  let out: Tensor;
  try {
    out = fn();
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  await assert.rejects(out.data(), re);
}

Deno.test("add of shapes that do not broadcast names the op, both shapes and the dimension", () => {
  assert.throws(
    () => ones([2, 3]).add(ones([4])),
    (e: unknown) =>
      e instanceof RangeError && /add: shapes \[2,3\] and \[4\] cannot be broadcast.*dimension -1/.test(e.message),
  );
  assert.throws(() => ones([2, 3]).mul(ones([3, 2])), /mul: shapes \[2,3\] and \[3,2\] cannot be broadcast/);
  assert.throws(() => F.layerNorm(ones([2, 3]), [4]), /layerNorm: normalizedShape \[4\] .*\[2,3\]/);
});

Deno.test("matmul with mismatched inner dims names both shapes and the inner sizes", () => {
  assert.throws(
    () => matmul(ones([2, 3]), ones([4, 5])),
    /matmul: shapes \[2,3\] and \[4,5\] .*inner dimensions 3 and 4/,
  );
  assert.throws(() => ones([2, 2, 3]).matmul(ones([2])), /matmul: shapes \[2,2,3\] and \[2,1\]/);
  assert.throws(() => matmul(ones([2, 3, 4]), ones([5, 4, 2])), /matmul: shapes \[2\] and \[5\] cannot be broadcast/);
  assert.throws(() => F.linear(ones([2, 3]), ones([4, 5])), /linear: input \[2,3\] has 3 features but weight \[4,5\]/);
});

Deno.test("reshape to a wrong size names the target shape and the tensor's shape and size", () => {
  assert.throws(
    () => ones([2, 3]).reshape([4, 4]),
    /reshape: shape \[4,4\] is invalid for a tensor of shape \[2,3\] \(6 elements\)/,
  );
  assert.throws(() => ones([2, 3]).reshape([-1, 4]), /reshape: shape \[-1,4\] is invalid .*\[2,3\]/);
  assert.throws(() => ones([2, 3]).reshape([-1, -1]), /reshape: invalid shape \[-1,-1\]/);
});

Deno.test("view of a non-viewable tensor names the shape and strides and suggests reshape", () => {
  assert.throws(
    () => ones([2, 3]).T.view([6]),
    /view: shape \[6\] is not compatible with the strides \[1,3\] of this \[3,2\] tensor; use reshape\(\)/,
  );
});

Deno.test("wrong dtypes are rejected naming the op and the dtype it got", () => {
  assert.throws(
    () => matmul(tensor([[1, 2]]), tensor([[1], [2]])),
    (e: unknown) =>
      e instanceof TypeError && /matmul: expected two float .*got int32 \[1,2\] and int32 \[2,1\]/.test(e.message),
  );
  assert.throws(() => ones([2, 3]).gather(1, ones([2, 1])), /gather: index must be int32, got float32/);
  assert.throws(() => ones([3, 2]).indexSelect(0, ones([1])), /indexSelect: index must be int32, got float32/);
  assert.throws(
    () => tensor([1, 2], { dtype: "int32", requiresGrad: true }),
    /requiresGrad: only float tensors can require gradients, got a int32 tensor of shape \[2\]/,
  );
  assert.throws(() => tensor([1, 2]).requiresGrad_(), /requiresGrad: .*int32/);
  assert.throws(() => tensor([true]).neg(), /neg: bool tensors cannot be negated/);
  assert.throws(() => zeros([2], { dtype: "int8" as "int32" }), /zeros: unknown dtype "int8"/);
});

Deno.test("backward() on a non-scalar without a gradient names the output's shape", () => {
  const y = ones([2, 3], { requiresGrad: true }).mul(2);
  assert.throws(
    () => y.backward(),
    (e: unknown) => e instanceof RangeError && /backward: the output has shape \[2,3\]/.test(e.message),
  );
});

Deno.test("out-of-range indices in gather, indexSelect, embedding and oneHot name the op, index and size", async () => {
  const x = arange(6, undefined, undefined, { dtype: "float32" }).reshape([2, 3]);
  await throwsNowOrAtRead(
    () => x.gather(1, tensor([[0, 3], [1, 1]])),
    /gather: index 3 is out of range for dimension 1 of size 3/,
  );
  await throwsNowOrAtRead(() => x.gather(0, tensor([[-1, 0, 0]])), /gather: index -1 is out of range .*size 2/);
  await throwsNowOrAtRead(() => x.indexSelect(0, tensor([0, 2])), /indexSelect: index 2 is out of range .*size 2/);
  await throwsNowOrAtRead(() => embedding(tensor([[1, 7]]), x), /embedding: index 7 is out of range .*size 2/);
  await throwsNowOrAtRead(() => F.embedding(tensor([5]), x), /embedding: index 5/);
  await throwsNowOrAtRead(() => oneHot(tensor([0, 4]), 3), /oneHot: index 4 is out of range .*size 3/);
  await throwsNowOrAtRead(
    () => zeros([2, 3]).scatterAdd(1, tensor([[3]]), ones([1, 1])),
    /scatterAdd: index 3 is out of range .*size 3/,
  );
  // the backend recovers: later ops still work
  assert.deepEqual(await x.gather(1, tensor([[2], [0]])).toArray(), [[2], [3]]);
});

Deno.test("select and slice-by-index out of range name the index, the dim and the shape", () => {
  assert.throws(
    () => ones([2, 3]).select(1, 3),
    /select: index 3 is out of range for dim 1 of size 3 \(shape \[2,3\]\)/,
  );
  assert.throws(() => ones([2, 3]).select(0, -3), /select: index -3 is out of range/);
  assert.throws(() => ones([2, 3]).slice(5), /select: index 5 is out of range for dim 0 of size 2/);
});

Deno.test("out-of-range dims name the op, the dim and the valid range", () => {
  assert.throws(() => ones([2, 3]).sum(2), /sum: dim 2 is out of range for a tensor with 2 dims \(expected -2\.\.1\)/);
  assert.throws(() => ones([2, 3]).softmax(-3), /softmax: dim -3 is out of range/);
  assert.throws(() => ones([2, 3]).transpose(0, 5), /transpose: dim 5 is out of range/);
  assert.throws(() => ones([2, 3]).argmax(4), /argmax: dim 4 is out of range/);
  assert.throws(() => ones([2, 3]).unsqueeze(4), /unsqueeze: dim 4 is out of range/);
  assert.throws(() => ones([2, 3]).gather(2, tensor([[0]])), /gather: dim 2 is out of range/);
  assert.throws(() => ones([2, 3]).permute([0, 0]), /permute: dims \[0,0\] repeat a dim/);
  assert.throws(() => ones([2, 3]).expand([4, 3]), /expand: shape \[2,3\] cannot be expanded to \[4,3\]/);
});

Deno.test("a disposed tensor used again throws an error that says it was disposed", () => {
  const x = ones([2, 2]);
  x.dispose();
  assert.equal(x.isDisposed, true);
  assert.throws(() => x.add(1), /add: tensor of shape \[2,2\] \(float32\) was disposed/);
  assert.throws(() => x.T, /view: tensor of shape \[2,2\] \(float32\) was disposed/);
  const leaked = tidy(() => {
    const inner = ones([3]);
    return { inner, out: inner.mul(2) };
  }).inner;
  assert.equal(leaked.isDisposed, false);
  const dropped: Tensor[] = [];
  tidy(() => {
    dropped.push(ones([3]));
  });
  assert.throws(() => dropped[0].exp(), /exp: tensor of shape \[3\] \(float32\) was disposed/);
});

Deno.test("a read of a disposed tensor rejects with an error that says it was disposed", async () => {
  const x = ones([2]);
  x.dispose();
  await assert.rejects(x.data(), /data: tensor of shape \[2\] \(float32\) was disposed/);
});

Deno.test("conv2d with a channel mismatch names the input and weight shapes", () => {
  assert.throws(
    () => F.conv2d(ones([1, 3, 5, 5]), ones([4, 2, 3, 3])),
    /conv2d: input \[1,3,5,5\] has 3 channels but weight \[4,2,3,3\] expects 2/,
  );
  assert.throws(
    () => F.conv2d(ones([1, 4, 5, 5]), ones([4, 2, 3, 3]), null, { groups: 3 }),
    /conv2d: groups=3 must divide/,
  );
  assert.throws(
    () => F.conv2d(ones([1, 2, 2, 2]), ones([1, 2, 3, 3])),
    /conv2d: input \[1,2,2,2\] is too small for kernel \[3,3\]/,
  );
  assert.throws(
    () => F.conv2d(ones([3, 5, 5]), ones([1, 3, 3, 3])),
    /conv2d: expected a 4-D input \[N, C, H, W\], got \[3,5,5\]/,
  );
});

Deno.test("other shape errors name the op and the shapes it got", async () => {
  await assert.rejects(ones([2]).item(), /item: tensor of shape \[2\] has 2 elements/);
  assert.throws(() => ones([2]).backward(ones([2]), {}), /backward: tensor of shape \[2\] does not require grad/);
  assert.throws(() => F.maxPool2d(ones([2, 3]), 2), /maxPool2d: expected a 4-D input \[N, C, H, W\], got \[2,3\]/);
  assert.throws(
    () => ones([2, 3]).gather(1, tensor([[0], [1], [0]])),
    /gather: index shape \[3,1\] exceeds input shape \[2,3\]/,
  );
  assert.throws(() => ones([2, 3]).split([1, 1], 1), /split: sizes \[1,1\] do not add up to dim 1 of size 3/);
  assert.throws(() => zeros([2, -1]), /zeros: shape \[2,-1\] has an invalid size -1/);
});

Deno.test("tensors on different devices are rejected naming both devices", { ignore: !hasWebGPU() }, () => {
  const a = ones([2], { device: "cpu" }), b = ones([2], { device: "webgpu" });
  assert.throws(() => a.add(b), /add: tensors are on different devices \(webgpu and cpu\)/);
  assert.throws(
    () => matmul(ones([2, 2], { device: "cpu" }), randn([2, 2], { device: "webgpu" })),
    /matmul: .*different devices/,
  );
});
