/**
 * Which backend tensors live on. The webgpu backend is the default when `navigator.gpu` yields a
 * hardware adapter; where the only adapter is a CPU rasterizer (llvmpipe, lavapipe, SwiftShader,
 * WARP) or there is none, the default is the fast `"cpu"` backend, and the first use of the
 * default says so once. `DENOGRAD_BACKEND=cpu|webgpu|reference` or {@link setDefaultDevice}
 * choose explicitly. `"reference"` is the float64 TypeScript oracle the tests compare against.
 * @module
 */
import type { Backend, DType, KernelTime, MemoryStats } from "../backend/backend.ts";
import { createReferenceBackend } from "../backend/reference/backend.ts";
import { createCpuBackend } from "../backend/cpu/backend.ts";
import { cpuThreads, setCpuThreads } from "../backend/cpu/threads.ts";
import { setBlasThreads } from "../backend/cpu/blas.ts";

/**
 * Where a tensor's storage lives: `"webgpu"` (a GPU through WebGPU), `"cpu"` (float32 kernels on
 * every core, float64 in plain loops) or `"reference"` (the plain float64 oracle, for tests).
 */
export type Device = "webgpu" | "cpu" | "reference";

const DEVICES: readonly string[] = ["cpu", "webgpu", "reference"];
let cpu: Backend | null = null;
let reference: Backend | null = null;
let webgpu: (Backend & { softwareAdapter?: boolean }) | null = null;
let webgpuTried = false;
let defaultDevice: Device = "cpu";
/** The one line the first use of the default device prints, when the choice needs explaining. */
let notice: string | null = null;

function envChoice(): string | undefined {
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "DENOGRAD_BACKEND" }).state;
    return state === "granted" ? Deno.env.get("DENOGRAD_BACKEND") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the backends once. `mod.ts` awaits this at import, so users never call it;
 * `device` forces a backend (else `DENOGRAD_BACKEND`, else webgpu when an adapter exists).
 */
export async function initDevices(device?: Device): Promise<Device> {
  const choice = device ?? envChoice();
  if (choice !== undefined && !DEVICES.includes(choice)) {
    throw new TypeError(`DENOGRAD_BACKEND must be "cpu", "webgpu" or "reference", got ${JSON.stringify(choice)}`);
  }
  notice = null;
  if (choice === "cpu" || choice === "reference") {
    defaultDevice = choice;
    return defaultDevice;
  }
  await ensureWebGPU();
  if (choice === "webgpu") {
    if (!webgpu) throw new Error("DENOGRAD_BACKEND=webgpu but navigator.gpu gave no adapter");
    defaultDevice = "webgpu";
  } else if (webgpu && !webgpu.softwareAdapter) {
    defaultDevice = "webgpu";
  } else {
    defaultDevice = "cpu";
    notice = webgpu
      ? `denograd: the WebGPU adapter is a CPU rasterizer (${webgpu.description}); using the faster cpu backend ` +
        `(DENOGRAD_BACKEND=webgpu or setDefaultDevice("webgpu") forces WebGPU)`
      : "denograd: no WebGPU adapter found; using the cpu backend";
  }
  return defaultDevice;
}

/** Requests the WebGPU device if that has not been tried yet; resolves to whether one exists. */
export async function ensureWebGPU(): Promise<boolean> {
  if (!webgpuTried) {
    webgpuTried = true;
    // loaded on demand so a cpu-only run never touches the WebGPU code
    const { createWebGPUBackend } = await import("../backend/webgpu/backend.ts");
    webgpu = await createWebGPUBackend();
  }
  return webgpu !== null;
}

/**
 * Requests a new WebGPU device (after `device.lost`, or to start over) and makes it the default
 * again if webgpu was the default. The old device is destroyed when still alive; tensors created
 * on it refuse use with an Error saying so, so recreate them afterwards (e.g. reload a checkpoint).
 * Resolves to the default device, which falls back to "cpu" when no adapter is found any more.
 *
 * @example
 * ```ts ignore
 * import { load, nn, resetDevice } from "denograd";
 * await resetDevice();
 * const model = new nn.Linear(4, 2);
 * model.loadStateDict(await load("model.safetensors"));
 * ```
 */
export async function resetDevice(): Promise<Device> {
  const old = webgpu as (Backend & { retire?: () => void }) | null;
  const wasDefault = defaultDevice === "webgpu";
  webgpu = null;
  webgpuTried = false;
  old?.retire?.();
  if (!wasDefault && old !== null) {
    await ensureWebGPU();
    return defaultDevice;
  }
  return await initDevices(wasDefault ? undefined : defaultDevice);
}

/** The backend behind `device`; throws when that device is not available. */
export function backendFor(device: Device): Backend {
  if (device === "cpu") return cpu ??= createCpuBackend();
  if (device === "webgpu") {
    if (webgpu) return webgpu;
    throw new Error(
      'device "webgpu" is not available (no adapter); use device "cpu" or run on a machine with WebGPU',
    );
  }
  if (device === "reference") return reference ??= createReferenceBackend();
  throw new TypeError(`unknown device ${JSON.stringify(device)}; expected "cpu", "webgpu" or "reference"`);
}

/** The device new tensors are created on (the first call may print why it is not webgpu). */
export function getDefaultDevice(): Device {
  if (notice !== null) {
    console.warn(notice);
    notice = null;
  }
  return defaultDevice;
}

/** Changes the device new tensors are created on. */
export function setDefaultDevice(device: Device): void {
  backendFor(device);
  notice = null;
  defaultDevice = device;
}

/** Whether the webgpu backend exists in this process. */
export function hasWebGPU(): boolean {
  return webgpu !== null;
}

/** The dtypes tensors on `device` can have (float64 on cpu and reference); throws when the device is not available. */
export function deviceDTypes(device: Device): readonly DType[] {
  return backendFor(device).dtypes;
}

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

/**
 * Starts timing every kernel on `device` with the GPU's timestamp queries and returns the function
 * that stops the profile (once queued work is done) and resolves to the per-kernel GPU times,
 * largest first; null, with nothing started, where the backend runs no GPU kernels. Errors of the
 * backend (no timestamp queries, a profile already running) propagate.
 */
export function startKernelProfile(device: Device): (() => Promise<KernelTime[]>) | null {
  const backend = backendFor(device);
  if (!backend.startProfile || !backend.stopProfile) return null;
  backend.startProfile();
  return () => backend.stopProfile!();
}

/**
 * Threads the cpu backend splits large kernels (matrix products) over, as `torch.get_num_threads`:
 * `setNumThreads`'s value, else `DENOGRAD_CPU_THREADS`, else every core.
 */
export function getNumThreads(): number {
  return cpuThreads();
}

/**
 * Sets the threads the cpu backend's kernels (and an optimised BLAS, where `--allow-ffi` loads one)
 * split work over, as `torch.set_num_threads`; 1 keeps every op on the calling thread.
 *
 * @example
 * ```ts
 * import { getNumThreads, setNumThreads } from "denograd";
 * const all = getNumThreads();
 * setNumThreads(1);
 * setNumThreads(all);
 * ```
 */
export function setNumThreads(n: number): void {
  setCpuThreads(n);
  setBlasThreads(n);
}
