/**
 * isSoftwareAdapter() on the adapter infos real implementations report, and the adapter of this
 * machine as the WebGPU backend sees it.
 * @module
 */
import assert from "node:assert/strict";
import { isSoftwareAdapter } from "../../lib/backend/webgpu/adapter_kind.ts";
import { createWebGPUBackend } from "../../lib/backend/webgpu/mod.ts";

// infos as Deno (wgpu), Chrome (Dawn) and Firefox report them
const SOFTWARE = [
  { vendor: "65541", architecture: "", device: "0", description: "llvmpipe (LLVM 15.0.6, 256 bits)" },
  { vendor: "mesa", description: "LLVMPIPE (LLVM 17.0.6, 256 bits)" },
  { description: "lavapipe" },
  { description: "softpipe" },
  { vendor: "google", architecture: "swiftshader", device: "", description: "" },
  { description: "SwiftShader Device (Subzero)" },
  { vendor: "microsoft", description: "Microsoft Basic Render Driver" },
  { architecture: "WARP" },
];
const HARDWARE = [
  { vendor: "nvidia", architecture: "hopper", description: "NVIDIA H200" },
  { vendor: "4318", device: "8998", description: "NVIDIA GeForce RTX 4090" },
  { vendor: "apple", architecture: "metal-3", description: "Apple M2" },
  { vendor: "intel", architecture: "gen-12lp", description: "Intel(R) Iris(R) Xe Graphics" },
  { vendor: "amd", architecture: "rdna-3", description: "AMD Radeon RX 7900 XTX (RADV NAVI31)" },
  // "warp" only as a whole word
  { description: "Warpspeed X1 GPU" },
];

Deno.test("isSoftwareAdapter() recognises llvmpipe, lavapipe, softpipe, SwiftShader and WARP in any field", () => {
  for (const info of SOFTWARE) assert.equal(isSoftwareAdapter(info), true, JSON.stringify(info));
});

Deno.test("isSoftwareAdapter() takes real GPUs for what they are", () => {
  for (const info of HARDWARE) assert.equal(isSoftwareAdapter(info), false, JSON.stringify(info));
  assert.equal(isSoftwareAdapter(HARDWARE[0], false), false);
});

Deno.test("isSoftwareAdapter() trusts the fallback flag whatever the names say", () => {
  assert.equal(isSoftwareAdapter(HARDWARE[0], true), true);
  assert.equal(isSoftwareAdapter({}, true), true);
  assert.equal(isSoftwareAdapter(undefined, true), true);
  assert.equal(isSoftwareAdapter(undefined), false);
  assert.equal(isSoftwareAdapter({}), false);
});

const gpu = await createWebGPUBackend();
const description = gpu?.description ?? "";
const software = gpu?.softwareAdapter;
gpu?.retire();

Deno.test({
  name: "the WebGPU backend's softwareAdapter agrees with the adapter it describes",
  ignore: gpu === null,
  fn() {
    const named = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver|fallback adapter/i.test(description);
    assert.equal(software, named, description);
  },
});

/** The child-process test needs to start deno and copy the environment (`deno task test` grants both). */
const canSpawn = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state === "granted" &&
  Deno.permissions.querySync({ name: "env" }).state === "granted";
const moduleUrl = new URL("../../lib/backend/webgpu/adapter_kind.ts", import.meta.url).href;

/** Stderr of a child deno requesting an adapter with XDG_RUNTIME_DIR unset, and what it prints. */
async function requestInChild(call: string): Promise<{ stdout: string; stderr: string }> {
  const env = Deno.env.toObject();
  delete env.XDG_RUNTIME_DIR;
  const code = `import { requestAdapterQuietly } from ${JSON.stringify(moduleUrl)};
    const adapter = await ${call};
    console.log(JSON.stringify({ found: adapter !== null, after: Deno.env.get("XDG_RUNTIME_DIR") ?? null }));`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], env, clearEnv: true }).output();
  const decoder = new TextDecoder();
  assert.ok(out.success, decoder.decode(out.stderr));
  return { stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test({
  name: "requestAdapterQuietly() keeps Mesa's XDG_RUNTIME_DIR complaint off stderr and leaves the variable unset",
  ignore: gpu === null || !canSpawn,
  async fn() {
    const plain = await requestInChild("navigator.gpu.requestAdapter()");
    const quiet = await requestInChild("requestAdapterQuietly(navigator.gpu)");
    assert.deepEqual(JSON.parse(quiet.stdout), { found: true, after: null });
    assert.doesNotMatch(quiet.stderr, /XDG_RUNTIME_DIR/);
    // where Mesa's device-select layer is installed, the plain request shows what was avoided
    if (!/XDG_RUNTIME_DIR/.test(plain.stderr)) console.log("(this machine's plain request is quiet too)");
  },
});
