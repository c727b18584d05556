/**
 * Device memory stays flat through a training loop: a small MLP trained with manual SGD, each
 * step inside tidy(), on the default device.
 */
import assert from "node:assert/strict";
import {
  getDefaultDevice,
  manualSeed,
  type MemoryStats,
  memoryStats,
  noGrad,
  ones,
  randint,
  randn,
  type Tensor,
  tidy,
  zeros,
} from "../../mod.ts";

const STEPS = 1000;

Deno.test("a 64→32→10 MLP trained for 1000 tidy() steps keeps memory flat and lowers the loss", async () => {
  manualSeed(0);
  const x = randn([16, 64]);
  const y = randint(0, 10, [16, 1]);
  const params = [
    randn([64, 32]).mul(0.125).requiresGrad_(),
    zeros([32], { requiresGrad: true }),
    randn([32, 10]).mul(0.18).requiresGrad_(),
    zeros([10], { requiresGrad: true }),
  ];
  const [w1, b1, w2, b2] = params;
  const lr = 0.1;

  function step(): Tensor {
    return tidy(() => {
      const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
      const loss = logits.logSoftmax(1).gather(1, y).mean().neg();
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.assignStorage(p.sub(p.grad!.mul(lr)));
          p.grad!.dispose();
          p.grad = null;
        }
      });
      return loss.detach();
    });
  }

  const losses: number[] = [];
  let at10: MemoryStats | undefined;
  const start = performance.now();
  for (let i = 1; i <= STEPS; i++) {
    const loss = step();
    if (i === 1 || i === 10 || i === STEPS) {
      losses.push(await loss.item());
    }
    loss.dispose();
    if (i === 10) at10 = memoryStats();
  }
  const atEnd = memoryStats();
  const seconds = (performance.now() - start) / 1000;
  console.log(`  ${STEPS} steps in ${seconds.toFixed(1)} s; losses ${losses.map((l) => l.toFixed(4)).join(" → ")}`);

  assert.ok(at10);
  assert.equal(atEnd.liveStorages, at10.liveStorages, "live storages grew between step 10 and the last step");
  assert.equal(atEnd.liveBytes, at10.liveBytes, "live bytes grew between step 10 and the last step");
  // the reference backend pools nothing (every storage is a new typed array); cpu and webgpu pool
  if (getDefaultDevice() !== "reference") {
    assert.equal(atEnd.buffersCreated, at10.buffersCreated, "new device buffers were created after warm-up");
  }
  assert.ok(losses.every(Number.isFinite), `losses must be finite: ${losses}`);
  assert.ok(losses[2] < losses[0] * 0.5, `loss did not decrease enough: ${losses}`);
  for (const p of params) {
    assert.equal(p.isDisposed, false);
    assert.equal(p.grad, null);
  }
});

Deno.test("scalars that change every step (like a learning-rate schedule) do not pin memory", () => {
  const x = ones([4]);
  const run = (from: number, to: number) => {
    for (let i = from; i < to; i++) tidy(() => x.mul(1 + i * 1e-6)).dispose();
  };
  // fills the constant cache (4096 entries) and then some
  run(0, 4200);
  const before = memoryStats().liveStorages;
  run(4200, 4400);
  assert.equal(memoryStats().liveStorages, before);
});
