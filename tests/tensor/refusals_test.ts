/**
 * Bad arguments are refused with an error naming the op, never computed into a silent answer
 * (PyTorch 1.13 refuses each of these too).
 */
import assert from "node:assert/strict";
import { arange, F, grad, loadBytes, randn, tensor, zeros } from "../../mod.ts";
import { concatBytes } from "../_helpers.ts";

Deno.test("expand and repeat refuse sizes that are not non-negative integers", () => {
  const x = tensor([[1, 2, 3]]);
  assert.throws(() => x.expand(-2, 3), /expand: shape \[-2,3\] has an invalid size -2/);
  assert.throws(() => x.expand([2.5, 3]), /expand: .*invalid size 2.5/);
  assert.throws(() => x.repeat(2, -1), /repeat: .*invalid size -1/);
  assert.throws(() => x.view(3, 1.5), /view: .*invalid size 1.5/);
});

Deno.test("creation functions refuse sizes that are not non-negative integers", () => {
  assert.throws(() => zeros(2, 2.5), /zeros: shape \[2,2.5\] has an invalid size 2.5/);
  assert.throws(() => randn(-1), /randn: .*invalid size -1/);
  assert.throws(() => zeros([2, NaN]), /zeros: .*invalid size NaN/);
});

Deno.test("arange refuses a step that points away from its end", () => {
  assert.throws(() => arange(0, 5, -1), /arange: step -1 points away from end 5/);
  assert.throws(() => arange(5, 0, 1), /arange: step 1 points away from end 0/);
  assert.equal(arange(5, 0, -1).size, 5);
  assert.equal(arange(3, 3).size, 0);
});

Deno.test("an integer pow with a negative exponent is refused", () => {
  const x = tensor([2, 3]);
  assert.throws(() => x.pow(-1), /pow: integers to negative integer powers are not allowed/);
  if (x.device !== "webgpu") assert.throws(() => x.pow(tensor([1, -2])), /pow: integers to negative integer powers/);
  assert.doesNotThrow(() => x.pow(2));
  assert.doesNotThrow(() => x.float().pow(-1));
});

Deno.test("an integer remainder by zero is refused (a number divisor on every device)", () => {
  const x = tensor([5, 7]);
  assert.throws(() => x.remainder(0), /remainder: integer division by zero/);
  // a tensor divisor is read at call time where the device reads synchronously (cpu, reference)
  if (x.device !== "webgpu") assert.throws(() => x.remainder(tensor([2, 0])), /remainder: integer division by zero/);
  assert.doesNotThrow(() => x.float().remainder(0));
});

Deno.test("grad() refuses fewer gradOutputs than outputs", () => {
  const a = randn([2], { requiresGrad: true });
  const y1 = a.mul(2), y2 = a.mul(3);
  assert.throws(() => grad([y1, y2], [a], { gradOutputs: [y1.detach()] }), /grad: got 1 gradOutputs for 2 outputs/);
});

Deno.test("a safetensors file whose tensors overlap is refused", () => {
  const header = JSON.stringify({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
  });
  const head = new TextEncoder().encode(header);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(head.length), true);
  const bytes = concatBytes([len, head, new Uint8Array(12)]);
  assert.throws(() => loadBytes(bytes), /"b" data_offsets \[4, 12\] overlap those of "a" \[0, 8\]/);
});

Deno.test("max and min over an empty dim throw; over other dims they give an empty result", () => {
  assert.throws(() => zeros([0]).max(), /max: cannot reduce over an empty dim/);
  assert.throws(() => zeros([2, 0]).min(1), /min: cannot reduce over an empty dim/);
  assert.deepEqual(zeros([0, 3]).max(1).shape, [0]);
});

Deno.test("F.pad refuses what the mode cannot honour", () => {
  const x = randn([1, 2, 3]);
  assert.throws(() => F.pad(x, [3, 0], "reflect"), /pad: reflect padding \(3, 0\) of dim 2 must be below its size 3/);
  assert.throws(() => F.pad(x, [4, 0], "circular"), /pad: circular padding .* at most its size 3/);
  assert.throws(() => F.pad(x, [1, 1], "reflect", 2), /pad: mode "reflect" takes no value/);
  assert.throws(() => F.pad(x, [1, 1], "mirror" as never), /pad: mode must be one of/);
  assert.throws(() => F.pad(x, [-2, -2]), /pad: padding \[-2,-2\] crops dim 2 of size 3 below 0/);
});

Deno.test("pooling and conv refuse options they cannot honour", () => {
  const x = randn([1, 1, 6, 6]);
  assert.throws(
    () => F.avgPool2d(x, 2, { divisorOverride: 0 }),
    /avgPool2d: divisorOverride must be a non-zero integer/,
  );
  assert.throws(() => F.avgPool2d(x, 2, 2, 2), /avgPool2d: padding \[2,2\] must be at most half the kernel/);
  assert.throws(() => F.conv2d(x, randn([1, 1, 3, 3]), null, 2, "same"), /conv2d: padding="same" needs stride 1/);
});
