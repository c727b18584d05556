/**
 * conv2d past the binding limit: on a WebGPU device whose maxStorageBufferBindingSize and
 * maxBufferSize are restricted to 64 KiB (16,384 elements), conv2d must split its batch (or, for an
 * image too big alone, its output rows) so that no im2col block exceeds that: an unsplit im2col
 * could not even be allocated. Values and gradients are checked against the cpu backend, for
 * batches just under, at and over the limit, row pieces with padding, stride, dilation and groups,
 * and an output bigger than one binding. Skipped when there is no adapter.
 */
import { F, type Tensor, tensor } from "../../mod.ts";
import { backendFor, type Device, hasWebGPU } from "../../lib/tensor/device.ts";
import { restrictLimits } from "../../lib/backend/webgpu/device.ts";
import type { WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const ignore = !hasWebGPU();
/** Bytes one binding (and, unless a case says otherwise, one storage) may hold here. */
const LIMIT = 65536;

interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  options: F.Conv2dOptions;
  /** maxBufferSize when larger than LIMIT (an output past one binding). */
  storage?: number;
}

/** The output and the gradients of x, weight and bias for `sum(conv2d(x, w, b) · r)`. */
async function run(device: Device, c: Case, seed: number): Promise<number[][]> {
  const make = (shape: readonly number[], s: number) =>
    tensor(randomArray(shape.reduce((a, b) => a * b, 1), -1, 1, s, { float32: true }), { device }).reshape([...shape])
      .requiresGrad_();
  const x = make(c.x, seed), w = make(c.w, seed + 1), b = make([c.w[0]], seed + 2);
  const y = F.conv2d(x, w, b, c.options);
  const r = tensor(randomArray(y.size, -1, 1, seed + 3, { float32: true }), { device }).reshape(y.shape);
  y.mul(r).sum().backward();
  const flat = async (t: Tensor | null) => Array.from(await t!.data());
  return [await flat(y), await flat(x.grad), await flat(w.grad), await flat(b.grad)];
}

async function check(c: Case, seed: number): Promise<void> {
  const gpu = backendFor("webgpu") as WebGPUBackend;
  const restore = restrictLimits(gpu.limits, { maxStorageBufferBindingSize: LIMIT, maxBufferSize: c.storage ?? LIMIT });
  let actual: number[][];
  try {
    actual = await run("webgpu", c, seed);
  } finally {
    restore();
  }
  const expected = await run("cpu", c, seed);
  ["output", "x.grad", "weight.grad", "bias.grad"].forEach((what, i) =>
    assertClose(actual[i], expected[i], { rtol: 1e-4, atol: 1e-4, what: `[${c.x}] * [${c.w}] ${what}` })
  );
}

Deno.test({
  name: "conv2d splits its batch when the im2col columns pass the binding limit (just under, at, over)",
  ignore,
  async fn() {
    // a 2×2 kernel over 17×17 images of 4 channels: 4096 column entries per image, 4 images fill the limit
    for (const n of [3, 4, 5, 9]) await check({ x: [n, 4, 17, 17], w: [3, 4, 2, 2], options: {} }, n);
  },
});

Deno.test({
  name: "conv2d splits the output rows of an image whose columns alone pass the limit",
  ignore,
  async fn() {
    await check({ x: [2, 3, 40, 40], w: [5, 3, 3, 3], options: { padding: 1 } }, 20);
    await check({ x: [1, 6, 51, 51], w: [6, 2, 3, 3], options: { padding: 2, stride: 2, dilation: 2, groups: 3 } }, 30);
    await check({ x: [1, 2, 70, 30], w: [4, 2, 5, 3], options: { padding: [0, 1], stride: [3, 1] } }, 40);
  },
});

Deno.test({
  name: "conv2d joins pieces into an output bigger than one binding, and back-propagates through it",
  ignore,
  async fn() {
    // [20, 32, 10, 10] = 64,000 outputs, four times the binding limit
    await check({ x: [20, 1, 12, 12], w: [32, 1, 3, 3], options: {}, storage: 8 * LIMIT }, 50);
  },
});
