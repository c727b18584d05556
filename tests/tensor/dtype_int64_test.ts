// int64 as PyTorch code writes it: accepted wherever an integer dtype is, stored as int32 (see
// lib/tensor/dtype.ts for why), a RangeError past 2³¹; values against PyTorch 1.13
// (tests/fixtures/make_indexing.py, section int64).
import assert from "node:assert/strict";
import { arange, F, tensor, zeros } from "../../mod.ts";
import { checkDType, isIntegerDType } from "../../lib/tensor/dtype.ts";
import { assertClose } from "../_helpers.ts";

const fx = (JSON.parse(await Deno.readTextFile(new URL("../fixtures/indexing.json", import.meta.url))) as {
  int64: {
    logits: number[][];
    target: number[];
    cross_entropy: number;
    cross_entropy_grad: number[];
    nll: number;
    floats: number[];
    long: number[];
    arange: number[];
    ints: number[];
    ints_plus_half: number[];
    ints_times_int32: number[];
  };
}).int64;

Deno.test("int64 tensors are created, cast and ranged like PyTorch's, stored as int32", async () => {
  const t = tensor(fx.ints, { dtype: "int64" });
  assert.equal(t.dtype, "int32");
  assert.equal(isIntegerDType(t.dtype), true);
  assert.deepEqual(await t.toArray(), fx.ints);
  assert.deepEqual(await tensor(fx.floats).long().toArray(), fx.long, "long() truncates toward zero");
  assert.deepEqual(await tensor(fx.floats).cast("int64").toArray(), fx.long);
  assert.deepEqual(await arange(-3, 9, 2, { dtype: "int64" }).toArray(), fx.arange);
  assert.equal(zeros([2], { dtype: "long" }).dtype, "int32");
  assert.equal(checkDType("test", "int64"), "int32");
});

Deno.test("int64 promotes as PyTorch's: with floats to float, with int32 to an integer", async () => {
  const t = tensor(fx.ints, { dtype: "int64" });
  const half = t.add(0.5);
  assert.equal(half.dtype, "float32");
  assertClose(await half.data(), fx.ints_plus_half);
  const prod = t.mul(tensor([2, 2, 2], { dtype: "int32" }));
  assert.equal(prod.dtype, "int32");
  assert.deepEqual(await prod.toArray(), fx.ints_times_int32);
});

Deno.test("int64 targets work in losses as PyTorch's torch.long targets", async () => {
  const logits = tensor(fx.logits, { dtype: "float64", device: "reference", requiresGrad: true });
  const target = tensor(fx.target, { dtype: "int64", device: "reference" });
  const loss = F.crossEntropy(logits, target);
  assertClose(await loss.item(), fx.cross_entropy, { rtol: 1e-12 });
  loss.backward();
  assertClose(await logits.grad!.data(), fx.cross_entropy_grad, { rtol: 1e-10, atol: 1e-14 });
  assertClose(await F.nllLoss(logits.detach(), target).item(), fx.nll, { rtol: 1e-12 });
});

Deno.test("int64 values past int32 are a RangeError naming the op; uint8 is refused with a hint", () => {
  assert.throws(
    () => tensor([1, 2 ** 31], { dtype: "int64" }),
    /tensor: value 2147483648 at flat position 1 does not fit/,
  );
  assert.throws(() => tensor([-(2 ** 31) - 1]), /tensor: value -2147483649 at flat position 0/);
  assert.doesNotThrow(() => tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: "int64" }));
  assert.throws(
    () => tensor([1], { dtype: "uint8" as "int32" }),
    /tensor: unknown dtype "uint8".*uint8 is not supported/,
  );
});
