/** Kernel-level profiling. @module */
import type { KernelTime } from "./backend/backend.ts";
import { type Device, getDefaultDevice, startKernelProfile } from "./tensor/device.ts";

export type { KernelTime };

/**
 * Runs `fn` with every kernel on `device` timed by the GPU's timestamp queries and
 * returns the GPU milliseconds per kernel, largest first. Each dispatch then gets
 * its own compute pass, so totals are for finding hot kernels, not for step times; warm up
 * first, since some drivers (llvmpipe) compile a kernel at its first dispatch, inside the timing.
 *
 * @example
 * ```ts
 * import { profileKernels, randn } from "denograd";
 * const x = randn([256, 256]);
 * const times = await profileKernels(() => x.matmul(x).relu().dispose());
 * console.table(times);
 * ```
 */
export async function profileKernels(
  fn: () => unknown,
  device: Device = getDefaultDevice(),
): Promise<KernelTime[]> {
  const stop = startKernelProfile(device);
  if (!stop) {
    throw new Error(`profileKernels: the ${device} backend runs no GPU kernels to time; use a webgpu device`);
  }
  try {
    await fn();
  } catch (e) {
    // Stop anyway, so the device returns to batched passes.
    await stop().catch(() => {});
    throw e;
  }
  return await stop();
}
