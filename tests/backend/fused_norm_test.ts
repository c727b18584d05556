/**
 * The one-pass softmax, logSoftmax and layerNorm: the default device (webgpu kernels, float32)
 * against the cpu backend in float64, forward and backward, on odd shapes, extreme logits and
 * with and without weight/bias; double backward through the fused ops. The webgpu comparisons
 * are skipped when the default device is the cpu.
 */
import assert from "node:assert/strict";
import { F, getDefaultDevice, grad, type Tensor, tensor } from "../../mod.ts";
import { assertTensorClose, randomArray } from "../_helpers.ts";

const onGpu = getDefaultDevice() === "webgpu";

/** The same values on the default device (float32) and on the cpu in float64, both requiring grad. */
function pair(data: number[], shape: number[]): [Tensor, Tensor] {
  return [
    tensor(data, { requiresGrad: true }).reshape(shape),
    tensor(data, { dtype: "float64", device: "cpu", requiresGrad: true }).reshape(shape),
  ];
}

/** `assertTensorClose` with `atol` relative to the largest finite |expected|, as outputs span several magnitudes. */
async function expectClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-5, atol = 1e-6): Promise<void> {
  let scale = 0;
  for (const v of await expected.data()) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  await assertTensorClose(actual, expected, { rtol, atol: atol * Math.max(1, scale), what });
}

/** Output and input gradient of `fn` for a fixed upstream gradient, on both devices. */
async function compareSoftmax(data: number[], shape: number[], dim: number, log: boolean, what: string): Promise<void> {
  const [x, x64] = pair(data, shape);
  const gData = randomArray(data.length, -1, 1, data.length + 7);
  const run = (t: Tensor, dtype: "float32" | "float64", device?: "cpu") => {
    const y = log ? t.logSoftmax(dim) : t.softmax(dim);
    const [gx] = grad([y], [t], { gradOutputs: [tensor(gData, { dtype, device }).reshape(shape)] });
    return [y, gx!];
  };
  const [y, gx] = run(x, "float32"), [y64, gx64] = run(x64, "float64", "cpu");
  await expectClose(y, y64, `${what} forward`);
  await expectClose(gx, gx64, `${what} backward`, 1e-4, 2e-6);
}

Deno.test({
  name: "softmax and logSoftmax on the default device match the cpu in float64 on odd shapes, forward and backward",
  ignore: !onGpu,
  async fn() {
    for (const rows of [1, 7, 33]) {
      for (const cols of [1, 7, 257, 1000]) {
        const data = randomArray(rows * cols, -4, 4, rows * 1000 + cols);
        for (const log of [false, true]) {
          await compareSoftmax(data, [rows, cols], 1, log, `${log ? "logSoftmax" : "softmax"} [${rows}, ${cols}]`);
        }
      }
    }
  },
});

Deno.test({
  name: "softmax and logSoftmax stay finite and exact for extreme logits and masked entries",
  ignore: !onGpu,
  async fn() {
    for (const range of [80, 1e4]) {
      // a workgroup per row, then a thread per row
      for (const shape of [[5, 33], [40, 9]]) {
        const data = randomArray(shape[0] * shape[1], -range, range, range);
        data[3] = -Infinity; // a masked entry in row 0
        for (const log of [false, true]) {
          await compareSoftmax(data, shape, 1, log, `${log ? "logSoftmax" : "softmax"} [${shape}] ±${range}`);
        }
      }
    }
  },
});

Deno.test({
  name: "softmax over a leading dim and of a non-contiguous view match the cpu",
  ignore: !onGpu,
  async fn() {
    const data = randomArray(3 * 5 * 4, -3, 3, 11);
    await compareSoftmax(data, [3, 5, 4], 0, false, "softmax dim 0");
    await compareSoftmax(data, [3, 5, 4], 1, true, "logSoftmax dim 1");
  },
});

Deno.test({
  name: "layerNorm on the default device matches the cpu in float64 with and without weight and bias",
  ignore: !onGpu,
  async fn() {
    const shapes = [[1, 1], [1, 7], [7, 257], [33, 1000], [130, 7], [33, 7]];
    for (const [rows, cols] of shapes) {
      for (const affine of [false, true]) {
        const what = `layerNorm [${rows}, ${cols}]${affine ? " with weight and bias" : ""}`;
        const [x, x64] = pair(randomArray(rows * cols, -2, 3, rows + cols), [rows, cols]);
        const [w, w64] = pair(randomArray(cols, 0.5, 1.5, cols), [cols]);
        const [b, b64] = pair(randomArray(cols, -1, 1, cols + 1), [cols]);
        const gData = randomArray(rows * cols, -1, 1, rows * cols);
        const run = (xs: Tensor, ws: Tensor, bs: Tensor, dtype: "float32" | "float64", device?: "cpu") => {
          const y = affine ? F.layerNorm(xs, [cols], ws, bs) : F.layerNorm(xs, [cols]);
          const gy = tensor(gData, { dtype, device }).reshape([rows, cols]);
          return [y, ...grad([y], affine ? [xs, ws, bs] : [xs], { gradOutputs: [gy] })];
        };
        const got = run(x, w, b, "float32"), want = run(x64, w64, b64, "float64", "cpu");
        await expectClose(got[0]!, want[0]!, `${what} forward`, 1e-5, 1e-5);
        const names = ["gx", "gw", "gb"];
        for (let i = 1; i < got.length; i++) {
          await expectClose(got[i]!, want[i]!, `${what} ${names[i - 1]}`, 1e-4, 2e-5);
        }
      }
    }
  },
});

Deno.test({
  name: "double backward through the fused softmax and layerNorm matches the cpu",
  ignore: !onGpu,
  async fn() {
    const data = randomArray(12, -2, 2, 5), wData = randomArray(12, -1, 1, 6);
    const [x, x64] = pair(data, [3, 4]);
    const second = (t: Tensor, dtype: "float32" | "float64", device?: "cpu") => {
      const w = tensor(wData, { dtype, device }).reshape([3, 4]);
      const out = t.softmax(1).mul(w).sum().add(F.layerNorm(t, [4]).mul(w).mul(t).sum());
      const [g] = grad([out], [t], { createGraph: true });
      return grad([g!.mul(g!).sum()], [t])[0]!;
    };
    await expectClose(second(x, "float32"), second(x64, "float64", "cpu"), "second derivative", 1e-4, 1e-5);
  },
});

Deno.test("the cpu softmax of float64 logits is exact at extremes and keeps the composed edge cases", async () => {
  const x = tensor([[1e4, -1e4, 0], [-Infinity, 0, 0], [-Infinity, -Infinity, -Infinity]], {
    dtype: "float64",
    device: "cpu",
  });
  const p = await x.softmax(1).data();
  assert.deepEqual([...p.slice(0, 6)], [1, 0, 0, 0, 0.5, 0.5]);
  assert.ok(p.slice(6).every(Number.isNaN), "a fully masked row is NaN, as in torch");
  const lp = await x.logSoftmax(1).data();
  assert.deepEqual([...lp.slice(0, 4)], [0, -2e4, -1e4, -Infinity]);
  assert.equal(lp[4], -Math.LN2);
});
