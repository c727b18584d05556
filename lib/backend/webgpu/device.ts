/**
 * Adapter and device acquisition for the WebGPU backend, with the limits the
 * kernels depend on.
 * @module
 */
import { isSoftwareAdapter, requestAdapterQuietly } from "./adapter_kind.ts";

/** The subset of adapter limits the backend requests and respects. */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  /** Byte alignment of a storage binding's offset (windows into big storages start on it). */
  minStorageBufferOffsetAlignment: number;
}

/** A ready device plus what the backend needs to know about it. */
export interface AcquiredDevice {
  device: GPUDevice;
  limits: DeviceLimits;
  description: string;
  /** Whether the adapter is a CPU rasterizer (see {@link isSoftwareAdapter}). */
  softwareAdapter: boolean;
}

const LIMIT_NAMES: readonly (keyof DeviceLimits)[] = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupStorageSize",
  "minStorageBufferOffsetAlignment",
];

/**
 * Lets Mesa's llvmpipe use every core: sets `LP_NUM_THREADS` to
 * `navigator.hardwareConcurrency` when unset, only if env access is already
 * granted (never prompts).
 */
function tuneSoftwareRasterizer(): void {
  try {
    if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return;
    if (Deno.env.get("LP_NUM_THREADS") !== undefined) return;
    const n = navigator.hardwareConcurrency;
    if (n > 0) Deno.env.set("LP_NUM_THREADS", String(n));
  } catch {
    // No Deno namespace or no permission API: leave the environment alone.
  }
}

/** The adapter, a device with the needed limits, or null when there is no GPU. */
export async function acquireDevice(): Promise<AcquiredDevice | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return null;
  tuneSoftwareRasterizer();
  const adapter = await requestAdapterQuietly(gpu, { powerPreference: "high-performance" });
  if (!adapter) return null;
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
  // Timestamps only feed profileKernels(); a device without them still runs everything else.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query") ? ["timestamp-query"] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const limits = {} as DeviceLimits;
  for (const name of LIMIT_NAMES) limits[name] = device.limits[name];
  const info = adapter.info;
  // the flag moved from the adapter to its info; Deno 2.9 has it on the info
  const fallbackFlag = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const name = info.description || info.device || info.vendor || "unknown adapter";
  const arch = info.architecture ? ` ${info.architecture}` : "";
  const fallback = info.isFallbackAdapter ? ", fallback adapter" : "";
  return {
    device,
    limits,
    description: `${name}${arch} (webgpu${fallback})`,
    softwareAdapter: isSoftwareAdapter(info, fallbackFlag),
  };
}

/** The limits {@link restrictLimits} may make stricter. */
export type RestrictableLimit = "maxStorageBufferBindingSize" | "maxBufferSize" | "minStorageBufferOffsetAlignment";

/**
 * Makes size limits of a live backend's `limits` stricter, in place, and returns the function that
 * restores them: tests meet the binding limit with small tensors (a 64 KiB binding instead of
 * 128 MiB) and the 256-byte offset alignment of most GPUs on an adapter that needs 32. A stricter
 * limit is always valid on the device (kernels just split earlier or copy more); loosening one is
 * refused, since the device would reject what it then allows. Not public API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DeviceLimits, restrictLimits } from "./device.ts";
 * const limits = { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 30 } as DeviceLimits;
 * const restore = restrictLimits(limits, { maxStorageBufferBindingSize: 65536 });
 * assert.equal(limits.maxStorageBufferBindingSize, 65536);
 * restore();
 * assert.equal(limits.maxStorageBufferBindingSize, 1 << 27);
 * ```
 */
export function restrictLimits(limits: DeviceLimits, caps: Partial<Record<RestrictableLimit, number>>): () => void {
  const saved = { ...limits };
  for (const [name, value] of Object.entries(caps) as [RestrictableLimit, number][]) {
    const alignment = name === "minStorageBufferOffsetAlignment";
    const ok = alignment
      ? Number.isInteger(Math.log2(value)) && value >= limits[name]
      : Number.isInteger(value) && value >= 256 && value % 4 === 0 && value <= limits[name];
    if (!ok) {
      throw new RangeError(
        `restrictLimits: ${name} must be ${
          alignment ? "a power of two of at least" : "a multiple of 4 from 256 up to"
        } the device's ${limits[name]}, got ${value}`,
      );
    }
    limits[name] = value;
  }
  return () => Object.assign(limits, saved);
}

/** Threads a software adapter runs on: LP_NUM_THREADS when readable, else the core count. */
export function softwareThreads(): number {
  try {
    const n = Number(Deno.env.get("LP_NUM_THREADS"));
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // no env permission: fall back to the core count
  }
  return Math.max(1, navigator.hardwareConcurrency || 1);
}
