/**
 * The README's training loop verbatim, without `tidy` or `dispose`, keeps live device memory
 * flat. backward() releases what only the graph held (tests/reliability/memory_without_tidy_test.ts
 * checks that part deterministically); each step's model output and loss, which the loop drops,
 * come back through the FinalizationRegistry, that is after a garbage collection and a turn of the
 * event loop. Alone in its file so that it starts from a fresh isolate's heap (a heap grown by
 * earlier tests collects less often). Runs on the default device. What waits for a collection
 * comes and goes with the collector's cadence (on the cpu backend a step takes well under a
 * millisecond, so many steps' garbage can wait), so each end of the run is the least of the live
 * bytes sampled over 200 steps: garbage awaiting collection makes samples vary, a leak raises them all.
 */
import assert from "node:assert/strict";
import { getDefaultDevice, manualSeed, memoryStats, nn, optim, randint, randn } from "../../mod.ts";

const STEPS = 2000;
const SLACK = 64 * 1024;
// llvmpipe's WebGPU takes ~5 ms a step for the README's model: a smaller one keeps CI to seconds
const [IN, HIDDEN, CLASSES, BATCH] = getDefaultDevice() === "webgpu" ? [4, 8, 3, 8] : [8, 32, 3, 64];

Deno.test("the README's loop verbatim (no tidy, no dispose) keeps live bytes within 64 KB over 2000 steps", async () => {
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(IN, HIDDEN), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.01 });
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  const x = randn([BATCH, IN]), y = randint(0, CLASSES, [BATCH]);
  let base = Infinity, end = Infinity;
  for (let step = 0; step < STEPS; step++) {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    if (step % 10 === 0) {
      assert.ok(Number.isFinite(await loss.item()));
      // a device read yields to the event loop; the cpu backend's resolves without yielding, so
      // the test yields as a real read would
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (step >= 10 && step < 210 && step % 10 === 0) base = Math.min(base, memoryStats().liveBytes);
    if (step >= STEPS - 200 && step % 10 === 0) end = Math.min(end, memoryStats().liveBytes);
  }
  const grown = end - base;
  console.log(`  live bytes grew by ${grown} between step 10 and step ${STEPS}`);
  assert.ok(grown <= SLACK, `live bytes grew by ${grown} between step 10 and step ${STEPS}`);
});
