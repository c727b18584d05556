/**
 * readLater and MetricLogger through the public API, on the default device: the values equal
 * what `item()` reads, in step order, and errors name the op and the metric. On webgpu the device
 * waits are counted too (one per block of `every` steps).
 */
import assert from "node:assert/strict";
import { getDefaultDevice, MetricLogger, readLater, synchronize, type Tensor, tensor } from "../../mod.ts";
import { randomArray } from "../_helpers.ts";

const onGpu = getDefaultDevice() === "webgpu";

function waits(t: Tensor): number {
  return (t.backend as unknown as { waits: number }).waits;
}

Deno.test("readLater reads what data() and item() read, for views too", async () => {
  const xs = randomArray(6, -4, 4, 11, { float32: true });
  const t = tensor(xs).reshape([2, 3]);
  const col = t.narrow(1, 1, 1); // a strided view
  const [all, part, one] = [readLater(t), readLater(col), readLater(t.sum())];
  assert.deepEqual(await all, await t.data());
  assert.deepEqual(await part.data(), await col.data());
  assert.ok(Math.abs((await one.item()) - xs.reduce((s, v) => s + v, 0)) < 1e-5);
  assert.equal(all.ready, true);
  assert.deepEqual(part.shape, [2, 1]);
  await assert.rejects(part.item(), /readLater: tensor of shape \[2,1\] has more than one element/);
});

Deno.test("readLater of a disposed tensor throws naming readLater", () => {
  const t = tensor([1]);
  t.dispose();
  assert.throws(() => readLater(t), /readLater: tensor of shape \[1\] .* was disposed/);
});

Deno.test("MetricLogger logs every step's values in order, the same as item() reads", async () => {
  const losses = randomArray(23, 0, 3, 12, { float32: true });
  const seen: [number, number][] = [];
  const logger = new MetricLogger({ every: 5, onValues: (v, step) => seen.push([step, v.loss]) });
  const expected: number[] = [];
  for (let step = 0; step < losses.length; step++) {
    const loss = tensor([losses[step]]).mul(2);
    expected.push(await readLater(loss).item()); // what item() would give, read apart from the logger
    await logger.log({ loss, step });
    loss.dispose();
  }
  const history = await logger.flush();
  assert.deepEqual(history.map((h) => h.step), losses.map((_, i) => i));
  assert.deepEqual(history.map((h) => h.values.loss), expected);
  assert.deepEqual(history.map((h) => h.values.step), losses.map((_, i) => i));
  assert.deepEqual(seen, expected.map((v, i) => [i, v]));
  assert.deepEqual(logger.latest, { loss: expected.at(-1), step: losses.length - 1 });
});

Deno.test({
  name: "MetricLogger pays one device wait per block of every steps",
  ignore: !onGpu,
  async fn() {
    const every = 8, steps = 40;
    const logger = new MetricLogger({ every });
    let w = tensor([1], { dtype: "float32" });
    await synchronize();
    const w0 = waits(w);
    for (let step = 0; step < steps; step++) {
      const next = w.mul(0.9);
      w.dispose();
      w = next;
      await logger.log({ w });
      // the block before the last one has arrived once log() resolves
      if ((step + 1) % every === 0) assert.equal(logger.history.length, step + 1 - every);
    }
    const history = await logger.flush();
    assert.equal(waits(w) - w0, steps / every);
    history.forEach((h, i) => assert.ok(Math.abs(h.values.w - 0.9 ** (i + 1)) < 1e-5));
    w.dispose();
  },
});

Deno.test("MetricLogger rejects a non-scalar metric and a bad every, naming them", () => {
  const logger = new MetricLogger();
  const t = tensor([1, 2]);
  assert.throws(() => logger.log({ acc: t }), /MetricLogger.log: metric "acc" has shape \[2\] .*acc\.mean\(\)/);
  assert.throws(() => new MetricLogger({ every: 0 }), /MetricLogger: every must be a positive integer, got 0/);
  t.dispose();
});

Deno.test({
  name: "a fault raised by a kernel surfaces through MetricLogger.flush",
  ignore: !onGpu,
  async fn() {
    const logger = new MetricLogger({ every: 100, keepHistory: false });
    const x = tensor([1, 2, 3]);
    const bad = x.gather(0, tensor([7], { dtype: "int32" })).sum();
    await logger.log({ bad });
    bad.dispose();
    await assert.rejects(logger.flush(), /gather: index 7 is out of range .*size 3/);
    assert.deepEqual(logger.history, []);
    assert.equal(await x.sum().item(), 6);
  },
});
