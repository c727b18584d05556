/**
 * Readback on webgpu: reads started together share one device wait (Deno's ~11 ms floor each),
 * values are right for every dtype, layout and size, and faults raised by kernels still surface
 * at the read. Waits and submits are counted through the runtime's counters, not timed, so the
 * tests do not depend on the machine's speed. Skipped on cpu.
 */
import assert from "node:assert/strict";
import { getDefaultDevice, readLater, resetDevice, synchronize, type Tensor, tensor } from "../../mod.ts";
import { randomArray } from "../_helpers.ts";

const onGpu = getDefaultDevice() === "webgpu";

/** The runtime's wait and submit counters (reached through a tensor's backend). */
function counters(t: Tensor): { waits: number; submits: number } {
  const b = t.backend as unknown as { waits: number; submits: number };
  return { waits: b.waits, submits: b.submits };
}

/** Counter increments while `fn` runs (after the queue is idle). */
async function counted<T>(probe: Tensor, fn: () => Promise<T>): Promise<{ result: T; waits: number; submits: number }> {
  await synchronize();
  const before = counters(probe);
  const result = await fn();
  const after = counters(probe);
  return { result, waits: after.waits - before.waits, submits: after.submits - before.submits };
}

Deno.test({
  name: "concurrent item() and data() calls share one submit and one device wait",
  ignore: !onGpu,
  async fn() {
    const xs = randomArray(3, -2, 2, 1, { float32: true });
    const a = tensor([xs[0]]).mul(2), b = tensor([xs[1]]).add(1), c = tensor(xs).exp();
    const { result, waits, submits } = await counted(a, () => Promise.all([a.item(), b.item(), c.data()]));
    assert.equal(waits, 1, `three reads started together cost ${waits} device waits`);
    assert.equal(submits, 1);
    const [va, vb, vc] = result;
    assert.ok(Math.abs(va - xs[0] * 2) < 1e-6);
    assert.ok(Math.abs(vb - (xs[1] + 1)) < 1e-6);
    xs.forEach((x, i) => assert.ok(Math.abs(vc[i] - Math.exp(x)) < 1e-5 * Math.exp(x)));
  },
});

Deno.test({
  name: "reads awaited one after another each pay their own wait",
  ignore: !onGpu,
  async fn() {
    const a = tensor([1, 2]);
    const { waits } = await counted(a, async () => {
      await a.data();
      await a.data();
    });
    assert.equal(waits, 2);
  },
});

Deno.test({
  name: "reads of every dtype and of a strided view decode right inside one group",
  ignore: !onGpu,
  async fn() {
    const vals = randomArray(6, -5, 5, 2, { int: true });
    const f = tensor(vals, { dtype: "float32" }).reshape([2, 3]);
    const i = tensor(vals, { dtype: "int32" });
    const flags = f.gt(0);
    const view = f.transpose(0, 1); // not dense: read through a copy
    const { result, waits } = await counted(f, () => Promise.all([f.data(), i.data(), flags.data(), view.data()]));
    assert.equal(waits, 1);
    const [fd, id, bd, vd] = result;
    assert.ok(fd instanceof Float32Array && id instanceof Int32Array && bd instanceof Uint8Array);
    assert.deepEqual([...fd], vals);
    assert.deepEqual([...id], vals);
    assert.deepEqual([...bd], vals.map((v) => (v > 0 ? 1 : 0)));
    assert.deepEqual([...vd], [0, 1, 2].flatMap((c) => [vals[c], vals[3 + c]]));
  },
});

Deno.test({
  name: "a read too big for the open group gets its own, and every value still arrives",
  ignore: !onGpu,
  async fn() {
    const n = 20_000; // 80 kB: more than a group's default 4 kB staging
    const big = tensor(randomArray(n, -1, 1, 3, { float32: true }));
    const small = [tensor([1]), tensor([2]), tensor([3])];
    const expectBig = await big.data();
    const { result, waits } = await counted(
      big,
      () => Promise.all([small[0].item(), big.data(), small[1].item(), small[2].item()]),
    );
    assert.ok(waits <= 2, `${waits} waits`);
    assert.deepEqual([result[0], result[2], result[3]], [1, 2, 3]);
    assert.deepEqual(result[1], expectBig);
  },
});

Deno.test({
  name: "readLater records the copy at once: the value survives dispose and later writes to the buffer",
  ignore: !onGpu,
  async fn() {
    const xs = randomArray(64, -3, 3, 4, { float32: true });
    const t = tensor(xs).mul(1);
    const pending = readLater(t);
    t.dispose(); // its buffer goes back to the pool ...
    const others = Array.from({ length: 8 }, (_, k) => tensor(xs).mul(0).add(k)); // ... and is reused
    assert.equal(pending.ready, false);
    assert.deepEqual(await pending, Float32Array.from(xs));
    assert.equal(pending.ready, true);
    assert.deepEqual([...await others[7].data()], xs.map(() => 7));
  },
});

Deno.test({
  name: "the losses of many steps read with readLater cost one device wait",
  ignore: !onGpu,
  async fn() {
    const probe = tensor([0]);
    const steps = 25;
    const { result, waits, submits } = await counted(probe, () => {
      const reads = [];
      let w = tensor([1]);
      for (let s = 0; s < steps; s++) {
        const next = w.mul(0.5);
        w.dispose();
        w = next;
        reads.push(readLater(w));
      }
      w.dispose();
      return Promise.all(reads.map((r) => r.item()));
    });
    assert.equal(waits, 1, `${steps} readLater reads cost ${waits} waits`);
    assert.equal(submits, 1);
    assert.deepEqual(result, Array.from({ length: steps }, (_, s) => 0.5 ** (s + 1)));
  },
});

Deno.test({
  name: "a fault raised by a kernel surfaces at the shared read, which still costs one wait",
  ignore: !onGpu,
  async fn() {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
    const index = tensor([[0, 3, 1]], { dtype: "int32" }); // 3 is out of range on a dim of size 3
    const ok = x.sum();
    const { result, waits } = await counted(x, () => {
      const bad = x.gather(1, index);
      return Promise.allSettled([ok.item(), bad.data(), readLater(ok).data()]);
    });
    assert.equal(waits, 1);
    const rejected = result.filter((r) => r.status === "rejected");
    assert.equal(rejected.length, 1, "the fault is thrown once");
    assert.match(String((rejected[0] as PromiseRejectedResult).reason), /gather: index 3 is out of range .*size 3/);
    // the record is cleared: the next read is clean
    assert.equal(await ok.item(), 21);
  },
});

Deno.test({
  name: "a fault surfaces at a readLater read that is awaited later",
  ignore: !onGpu,
  async fn() {
    const x = tensor([1, 2, 3]);
    const picked = x.gather(0, tensor([5], { dtype: "int32" }));
    const pending = readLater(picked).flush();
    picked.dispose();
    await assert.rejects(pending.data(), /gather: index 5 is out of range .*size 3/);
    assert.equal(await x.sum().item(), 6);
  },
});

Deno.test({
  name: "a readLater read of a lost device rejects saying so",
  ignore: !onGpu,
  async fn() {
    const t = tensor([1, 2, 3]);
    const pending = readLater(t);
    const device = (t.backend as unknown as { device: GPUDevice }).device;
    device.destroy();
    await device.lost;
    await assert.rejects(pending.data(), /device was lost.*resetDevice/);
    assert.throws(() => readLater(t), /device was lost/);
    t.dispose();
    assert.equal(await resetDevice(), "webgpu");
    assert.deepEqual(await readLater(tensor([4.5]).add(1)), new Float32Array([5.5]));
  },
});
