/** Device memory counters: {@link memoryStats} and {@link synchronize} (defined with the devices). @module */
export type { MemoryStats } from "./backend/backend.ts";
export { memoryStats, synchronize } from "./tensor/device.ts";
