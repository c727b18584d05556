/**
 * The walk of the streaming kernels (lib/backend/webgpu/stream.ts), simulated on the host the way
 * kernels/fused.wgsl and kernels/copy.wgsl run it: for software and GPU adapters, every item is
 * visited exactly once, no invocation's loop passes LOOP_BUDGET, and the grid fits the device.
 * Needs no adapter, so the GPU layout is checked here even where only llvmpipe runs.
 */
import assert from "node:assert/strict";
import { LOOP_BUDGET } from "../../lib/backend/webgpu/kernels.ts";
import type { GpuContext } from "../../lib/backend/webgpu/storage.ts";
import { isSoftware, STREAM_WORKGROUP, type StreamLayout, streamLayout } from "../../lib/backend/webgpu/stream.ts";

/** A context with just what streamLayout reads. */
function context(software: boolean, parallelism: number): GpuContext {
  return {
    description: software ? "llvmpipe (LLVM 15.0.6, 256 bits) (webgpu, fallback adapter)" : "NVIDIA H200 (webgpu)",
    parallelism,
    limits: { maxComputeWorkgroupsPerDimension: 65535 },
  } as unknown as GpuContext;
}

/** How many times the WGSL loop visits each of `count` items, and the longest loop. */
function visits(layout: StreamLayout, count: number): { seen: Uint8Array; longest: number } {
  const seen = new Uint8Array(count);
  let longest = 0;
  const { per, width } = layout;
  for (let id = 0; id < layout.workgroups * STREAM_WORKGROUP; id++) {
    const member = id % width;
    const end = Math.min(count, (id - member) * per + width * per);
    let steps = 0;
    for (let i = (id - member) * per + member; i < end; i += width) {
      seen[i]++;
      steps++;
    }
    longest = Math.max(longest, steps);
  }
  return { seen, longest };
}

const COUNTS = [1, 3, 63, 64, 65, 1000, 4097, 65536 + 5, (1 << 20) + 3, 3 << 22];

Deno.test("stream layouts visit every item once, within the loop budget, on software and GPU adapters", () => {
  for (const [software, parallelism] of [[true, 8], [true, 64], [false, 64]] as const) {
    const ctx = context(software, parallelism);
    assert.equal(isSoftware(ctx), software);
    for (const count of COUNTS) {
      const layout = streamLayout(ctx, count);
      const what = `${software ? "software" : "GPU"} ×${parallelism}, ${count} items`;
      const { seen, longest } = visits(layout, count);
      const wrong = seen.findIndex((v) => v !== 1);
      assert.equal(wrong, -1, `${what}: item ${wrong} visited ${seen[wrong]} times`);
      assert.ok(longest <= LOOP_BUDGET, `${what}: ${longest} steps in one loop`);
      assert.ok(layout.workgroups >= 1 && layout.workgroups <= 65535 ** 2, `${what}: ${layout.workgroups} workgroups`);
    }
  }
});

Deno.test("stream layouts: a software adapter gets few workgroups in rows of 8, a GPU a grid-stride loop", () => {
  const cpu = streamLayout(context(true, 8), 1 << 18);
  assert.deepEqual([cpu.workgroups, cpu.width], [8, 8]);
  const gpu = streamLayout(context(false, 64), 1 << 18);
  assert.equal(gpu.width, gpu.workgroups * STREAM_WORKGROUP);
  assert.ok(gpu.per <= 4 && gpu.workgroups >= 1024, `GPU: ${gpu.workgroups} workgroups × ${gpu.per}`);
});
