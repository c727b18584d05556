/**
 * Reductions over axes longer than one shader invocation may loop (llvmpipe silently ends an
 * invocation's loops after 65,535 steps): argmax/argmin (reduced in chunks past the backend's
 * `argReduceLength`) and max-with-indices agree with the cpu backend, including ties, NaN,
 * int32 and bool inputs and a middle axis; long sums are exact.
 */
import assert from "node:assert/strict";
import { arange, randn, type Tensor, tensor } from "../../mod.ts";

async function onCpu(t: Tensor): Promise<Tensor> {
  return await t.toDevice("cpu");
}

Deno.test("argmax/argmin over 100,000-long axes match the cpu backend (ties, NaN, dtypes, middle axis)", async () => {
  const n = 100_000;
  const ramp = arange(0, n);
  assert.equal(await ramp.argmax().item(), n - 1);
  assert.equal(await ramp.argmin().item(), 0);
  assert.equal(await ramp.neg().argmin().item(), n - 1);
  // ties: the first maximum wins, even when the tie spans chunks
  const flat = tensor(new Float32Array(n).fill(2));
  assert.equal(await flat.argmax().item(), 0);
  const late = new Float32Array(n).fill(0);
  late[70_000] = 5;
  late[90_000] = 5;
  assert.equal(await tensor(late).argmax().item(), 70_000);
  // NaN: the first NaN wins
  const nan = new Float32Array(n).fill(1);
  nan[80_000] = NaN;
  nan[99_000] = NaN;
  assert.equal(await tensor(nan).argmax().item(), 80_000);
  assert.equal(await tensor(nan).argmin().item(), 80_000);
  // int32 and bool
  assert.equal(await ramp.cast("int32").argmax().item(), n - 1);
  const flags = new Uint8Array(n);
  flags[77_777] = 1;
  assert.equal(await tensor(flags, { dtype: "bool" }).argmax().item(), 77_777);
  assert.equal(await tensor(flags, { dtype: "bool" }).logicalNot().argmin().item(), 77_777);
  // a middle axis, keepdim, against cpu
  const x = randn([3, 70_001, 2]);
  const xc = await onCpu(x);
  for (const op of ["argmax", "argmin"] as const) {
    const got = x[op](1, { keepdim: true });
    assert.deepEqual(got.shape, [3, 1, 2]);
    assert.deepEqual(Array.from(await got.data()), Array.from(await xc[op](1, { keepdim: true }).data()));
  }
  const { values, indices } = x.maxWithIndices(1);
  const ref = xc.maxWithIndices(1);
  assert.deepEqual(Array.from(await indices.data()), Array.from(await ref.indices.data()));
  assert.deepEqual(Array.from(await values.data()), Array.from(await ref.values.data()));
});

Deno.test("sums over millions of elements are exact for integers", async () => {
  const n = 2 ** 23 + 5;
  assert.equal(await tensor(new Float32Array(n).fill(1)).sum().item(), n);
  const two = tensor(new Float32Array(2 * 2 ** 22).fill(1)).reshape([2, 2 ** 22]);
  assert.deepEqual(Array.from(await two.sum(1).data()), [2 ** 22, 2 ** 22]);
});
