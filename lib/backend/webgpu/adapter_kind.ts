/**
 * Requesting the WebGPU adapter and telling a real GPU from a CPU rasterizer behind the WebGPU
 * API (Mesa llvmpipe / lavapipe / softpipe, Google SwiftShader, Microsoft WARP), on which
 * denograd's cpu backend is the faster choice.
 * @module
 */

/** The adapter-info fields {@link isSoftwareAdapter} reads (all optional: browsers blank some). */
export interface AdapterInfoLike {
  description?: string;
  device?: string;
  vendor?: string;
  architecture?: string;
}

/**
 * Names a CPU rasterizer puts in its adapter info. WARP reports "Microsoft Basic Render Driver"
 * on D3D12; "warp" itself is matched only as a whole word, so that no GPU name containing the
 * letters is taken for it.
 */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render driver|\bwarp\b/i;

/**
 * Whether an adapter is a CPU rasterizer rather than a GPU: true when the implementation flags it
 * as a fallback adapter (`isFallbackAdapter`, on `GPUAdapterInfo` in current WebGPU and on the
 * adapter itself in older implementations), or when its description, device, vendor or
 * architecture names llvmpipe, lavapipe, softpipe, SwiftShader or WARP ("Microsoft Basic Render
 * Driver"), case-insensitively. The names catch implementations that leave the flag unset.
 *
 * @param info The adapter's `info` (undefined when unknown).
 * @param isFallbackAdapter The adapter's fallback flag, where the implementation gives one.
 * @returns Whether the adapter runs on the CPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSoftwareAdapter } from "./adapter_kind.ts";
 * assert.equal(isSoftwareAdapter({ description: "llvmpipe (LLVM 15.0.6, 256 bits)" }), true);
 * assert.equal(isSoftwareAdapter({ vendor: "nvidia", description: "NVIDIA H200" }), false);
 * assert.equal(isSoftwareAdapter({ description: "" }, true), true);
 * ```
 */
export function isSoftwareAdapter(info: AdapterInfoLike | undefined, isFallbackAdapter?: boolean): boolean {
  if (isFallbackAdapter === true) return true;
  if (!info) return false;
  const fields = [info.description, info.device, info.vendor, info.architecture];
  return fields.some((field) => typeof field === "string" && SOFTWARE_NAMES.test(field));
}

/**
 * Stands in for an unset `XDG_RUNTIME_DIR` while adapters are enumerated. /proc/self never holds a
 * user-created entry, so the path can never contain a Wayland socket.
 */
const NO_WAYLAND_DIR = "/proc/self/denograd-no-wayland";

/**
 * Whether `XDG_RUNTIME_DIR` may be read and set without a prompt: only when env access to it is
 * already granted (never prompts; false outside Deno).
 */
function mayTouchRuntimeDir(): boolean {
  try {
    return Deno.permissions.querySync({ name: "env", variable: "XDG_RUNTIME_DIR" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * `gpu.requestAdapter(options)` without Mesa's "error: XDG_RUNTIME_DIR is invalid or not set in
 * the environment." on stderr.
 *
 * Why the line appears: Mesa's Vulkan device-select layer (libVkLayer_MESA_device_select.so, an
 * implicit layer) calls libwayland-client's `wl_display_connect(NULL)` inside every
 * `vkEnumeratePhysicalDevices`, i.e. on every `requestAdapter`, to find the compositor's GPU;
 * libwayland logs that line when `XDG_RUNTIME_DIR` is unset (headless machines, containers, ssh
 * without a login session). With the variable pointing at a directory holding no Wayland socket
 * the connection fails the same way, silently. So, when the variable is unset and env access to it
 * is already granted, it is set to such a path for the duration of the request and removed again
 * afterwards; the process environment is left as it was found. Without that permission the request
 * goes ahead unchanged (the line may appear; nothing else differs).
 *
 * @param gpu `navigator.gpu`.
 * @param options Passed to `requestAdapter`.
 * @returns The adapter, or null when there is none.
 */
export async function requestAdapterQuietly(
  gpu: GPU,
  options?: GPURequestAdapterOptions,
): Promise<GPUAdapter | null> {
  const stand = mayTouchRuntimeDir() && Deno.env.get("XDG_RUNTIME_DIR") === undefined;
  if (!stand) return await gpu.requestAdapter(options);
  Deno.env.set("XDG_RUNTIME_DIR", NO_WAYLAND_DIR);
  try {
    return await gpu.requestAdapter(options);
  } finally {
    // only undo our own value (another part of the program may have set it meanwhile)
    if (Deno.env.get("XDG_RUNTIME_DIR") === NO_WAYLAND_DIR) Deno.env.delete("XDG_RUNTIME_DIR");
  }
}
