// In-place writes (lib/tensor/inplace.ts): pending chains that read the storage see the old
// values, every view sees the new ones, the version counter is shared by views and bumped, and
// backward refuses gradients whose inputs were overwritten after they were recorded.
import assert from "node:assert/strict";
import { tensor } from "../../mod.ts";
import { writeInPlace } from "../../lib/tensor/inplace.ts";
import { ensureWebGPU } from "../../lib/tensor/device.ts";

const devices = (await ensureWebGPU()) ? ["webgpu", "cpu"] as const : ["cpu"] as const;

for (const device of devices) {
  const f = (v: number[]) => tensor(v, { dtype: "float32", device });

  Deno.test(`writeInPlace on ${device}: pending readers keep the old values, views see the new`, async () => {
    const x = f([1, 2, 3, 4]);
    const doubled = x.mul(2); // pending on webgpu: it must not see the write
    const view = x.slice([1, 3]);
    assert.equal(x.version, 0);
    writeInPlace("test", x, f([10, 20, 30, 40]));
    assert.equal(x.version, 1);
    assert.equal(view.version, 1, "views share the counter");
    assert.deepEqual(Array.from(await doubled.data()), [2, 4, 6, 8]);
    assert.deepEqual(Array.from(await view.data()), [20, 30]);
    writeInPlace("test", view, f([0]));
    assert.deepEqual(Array.from(await x.data()), [10, 0, 0, 40]);
    assert.equal(x.version, 2);
  });

  Deno.test(`writeInPlace on ${device}: a value that reads the target is computed first`, async () => {
    const x = f([1, 2, 3]);
    writeInPlace("add_", x, x.add(1).mul(x));
    assert.deepEqual(Array.from(await x.data()), [2, 6, 12]);
    assert.throws(
      () => writeInPlace("add_", x, f([1, 2, 3]).reshape([1, 3])),
      /add_: a value of shape \[1,3\] cannot be written into a tensor of shape \[3\]/,
    );
    assert.throws(
      () => writeInPlace("add_", x, f([1, 2])),
      /add_: shapes \[3\] and \[2\] cannot be broadcast together/,
    );
  });
}

Deno.test("backward refuses a gradient whose recorded input was written in place since", () => {
  const a = tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
  const h = a.exp();
  const z = h.mul(h).sum();
  writeInPlace("mul_", h, tensor([0], { dtype: "float32" }));
  assert.throws(
    () => z.backward(),
    /backward: one of the variables needed for gradient computation has been modified by an inplace operation: an input of "mul" \(\[3\] float32 at version 1/,
  );
  // written after backward: nothing to refuse
  const b = tensor([1, 2], { dtype: "float32", requiresGrad: true });
  const e = b.exp();
  e.mul(e).sum().backward();
  writeInPlace("mul_", e, tensor([0], { dtype: "float32" }));
  assert.ok(b.grad !== null);
});
