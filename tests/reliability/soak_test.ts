import assert from "node:assert/strict";
import { soak } from "./soak.ts";

Deno.test("a short soak run keeps device memory and the JS heap flat and the loss finite", async () => {
  const samples = await soak({ steps: 200, cnnEvery: 20, reportEvery: 80, warmup: 40, log: () => {} });
  assert.equal(samples.length, 4);
  assert.ok(samples.every((s) => Number.isFinite(s.loss)));
  assert.ok(new Set(samples.map((s) => s.liveBytes)).size === 1, "liveBytes identical after warm-up");
});
