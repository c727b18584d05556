/** Device memory counters. @module */
import type { MemoryStats } from "./backend/backend.ts";
import { backendFor, type Device, getDefaultDevice } from "./tensor/device.ts";

export type { MemoryStats };

/**
 * Live storages and bytes on `device` (default: the default device). Flat across the
 * steps of a training loop that runs each step inside `tidy()`.
 */
export function memoryStats(device: Device = getDefaultDevice()): MemoryStats {
  return backendFor(device).memoryStats();
}

/** Waits until every queued kernel on `device` has finished. */
export async function synchronize(device: Device = getDefaultDevice()): Promise<void> {
  await backendFor(device).sync();
}
