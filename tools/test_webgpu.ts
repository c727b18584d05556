/**
 * `deno task test:webgpu`: the test suite's second pass, with `DENOGRAD_BACKEND=webgpu`, so the
 * webgpu kernels stay tested where the default device is cpu (a machine whose only adapter is a
 * CPU rasterizer such as llvmpipe). Where `navigator.gpu` gives no adapter at all it says so and
 * succeeds: that machine has no webgpu to test. The notebooks, docs, plots and permission probes
 * do not depend on the backend and run in the first pass only. The task grants this pass
 * `--allow-ffi`, so tests on device "cpu" here multiply through an optimised BLAS where one is
 * installed (tests/backend/cpu_blas_test.ts checks it directly), while the first pass, without it,
 * covers the WebAssembly kernels users get by default.
 *
 * Usage: `deno run --allow-env --allow-run=<deno> tools/test_webgpu.ts <deno test flags…>`; the
 * flags are passed to `deno test` unchanged.
 * @module
 */

const BACKEND_INDEPENDENT = ["tests/notebooks", "tests/docs", "tests/plot", "tests/permissions"];

const adapter = await navigator.gpu?.requestAdapter();
if (!adapter) {
  console.log("test:webgpu: navigator.gpu gives no adapter here; the webgpu pass is skipped");
  Deno.exit(0);
}
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", ...Deno.args, `--ignore=${BACKEND_INDEPENDENT.join(",")}`, "tests/"],
  env: { DENOGRAD_BACKEND: "webgpu" },
  stdin: "null",
}).spawn();
Deno.exit((await child.status).code);
