/**
 * Device faults on webgpu: GPU errors surface as Errors that say what happened, a lost device
 * makes its tensors refuse use, and resetDevice() gets a working device back. Skipped on cpu.
 */
import assert from "node:assert/strict";
import { getDefaultDevice, memoryStats, ones, resetDevice, synchronize, tensor } from "../../mod.ts";

const onGpu = getDefaultDevice() === "webgpu";

/** The backend's GPUDevice (an internal field, reached through a tensor's backend). */
function gpuDevice(): GPUDevice {
  const t = ones([1]);
  const device = (t.backend as unknown as { device: GPUDevice }).device;
  t.dispose();
  return device;
}

Deno.test({
  name: "a WebGPU validation error surfaces at the next sync as an Error naming it",
  ignore: !onGpu,
  async fn() {
    // MAP_READ | MAP_WRITE together is invalid: the error is reported asynchronously by the device
    gpuDevice().createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    await assert.rejects(synchronize(), /webgpu: validation error during .*please report/);
    // reported once; the device keeps working
    assert.deepEqual(await tensor([1, 2]).add(1).toArray(), [2, 3]);
  },
});

Deno.test({
  name: "an out-of-memory error from the device surfaces with what to do about it",
  ignore: !onGpu,
  async fn() {
    const device = gpuDevice();
    device.dispatchEvent(
      new GPUUncapturedErrorEvent("uncapturederror", { error: new GPUOutOfMemoryError("simulated") }),
    );
    await assert.rejects(synchronize(), /webgpu: out of GPU memory .*simulated.*dispose\(\)\/tidy\(\)/);
    assert.deepEqual(await tensor([1]).mul(3).toArray(), [3]);
  },
});

Deno.test({
  name: "a lost device makes its tensors refuse use and resetDevice gives a working one",
  ignore: !onGpu,
  async fn() {
    const a = tensor([1, 2, 3]);
    const b = a.add(1);
    assert.deepEqual(await b.toArray(), [2, 3, 4]);
    const device = gpuDevice();
    device.destroy();
    const info = await device.lost;
    assert.equal(info.reason, "destroyed");
    await assert.rejects(a.data(), /device was lost \(reason: destroyed.*await resetDevice\(\)/);
    assert.throws(() => a.mul(2), /device was lost.*cannot be used/);
    assert.throws(() => tensor([1]), /device was lost/);
    await assert.rejects(synchronize(), /device was lost/);
    b.dispose(); // disposing a tensor of the lost device is fine

    assert.equal(await resetDevice(), "webgpu");
    const c = tensor([1, 2, 3]).add(1).mul(2); // cached scalar constants are re-created too
    assert.deepEqual(await c.toArray(), [4, 6, 8]);
    assert.throws(() => a.add(c), /device was lost.*resetDevice/);
    assert.equal(memoryStats().liveStorages >= 1, true);
    a.dispose();
    await synchronize();
  },
});

Deno.test({
  name: "resetDevice on a healthy device replaces it and retires the old tensors",
  ignore: !onGpu,
  async fn() {
    const a = tensor([5]);
    await resetDevice();
    await assert.rejects(a.data(), /replaced by resetDevice\(\)/);
    assert.equal(await tensor([5]).add(1).item(), 6);
  },
});
