/**
 * profileKernels: per-kernel GPU time from timestamp queries on the webgpu device, the same
 * results as without profiling, recovery after a throwing region, and a clear error on cpu.
 * Skipped where the default device is not a WebGPU one with timestamp queries.
 */
import assert from "node:assert/strict";
import { getDefaultDevice, profileKernels, randn, tensor } from "../../mod.ts";
import { createWebGPUBackend } from "../../lib/backend/webgpu/mod.ts";

const gpu = await createWebGPUBackend();
const ignore = gpu === null || !gpu.device.features.has("timestamp-query") || getDefaultDevice() !== "webgpu";
gpu?.retire();

Deno.test({
  name: "profileKernels names each kernel with its calls and GPU time, and results are unchanged",
  ignore,
  async fn() {
    const a = randn([33, 17]), b = randn([17, 9]);
    const plain = await a.matmul(b).relu().data();
    let out: Float32Array | null = null;
    const times = await profileKernels(async () => {
      const y = a.matmul(b).relu();
      const z = y.add(1);
      out = (await y.data()) as Float32Array;
      y.dispose();
      z.dispose();
    });
    assert.deepEqual(out, plain);
    const mm = times.find((t) => t.name.startsWith("matmul 1x[33,17]@[17,9]"));
    assert.ok(mm, `a matmul entry named by shape, got ${times.map((t) => t.name)}`);
    assert.equal(mm.calls, 1);
    assert.ok(times.length >= 3, "matmul, relu and add each appear");
    for (const t of times) assert.ok(Number.isFinite(t.ms) && t.ms >= 0 && t.calls >= 1, JSON.stringify(t));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1].ms >= times[i].ms, "largest first");
    a.dispose();
    b.dispose();
  },
});

Deno.test({
  name: "profileKernels stops when the region throws, and can run again",
  ignore,
  async fn() {
    await assert.rejects(() =>
      profileKernels(() => {
        randn([4]).exp().dispose();
        throw new Error("boom");
      }), /boom/);
    const times = await profileKernels(() => randn([8]).neg().realize().dispose());
    assert.ok(times.some((t) => t.name.includes("neg")), times.map((t) => t.name).join());
  },
});

Deno.test("profileKernels on the cpu device says there are no GPU kernels to time", async () => {
  await assert.rejects(
    () => profileKernels(() => tensor([1], { device: "cpu" }).exp().dispose(), "cpu"),
    /profileKernels: the cpu backend runs no GPU kernels to time; use a webgpu device/,
  );
});
