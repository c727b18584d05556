/**
 * The matmul bias epilogue (`Backend.matmul(..., bias)`, used by conv2d and linear): values
 * and gradients equal `matmul(a, b) + bias` broadcast along rows or columns, on the default
 * device and cpu, across odd sizes, tile edges, batch broadcasting, transposed operands and a
 * strided bias; float64 gradcheck; and the errors for a bias of the wrong length or dtype.
 */
import assert from "node:assert/strict";
import { F, getDefaultDevice, gradcheck, manualSeed, matmul, randn, type Tensor } from "../../mod.ts";
import { matmulBias } from "../../lib/tensor/ops_linalg.ts";
import { assertTensorClose } from "../_helpers.ts";

type Device = "cpu" | undefined;

const TOL = { rtol: 1e-5, atol: 1e-5 };

function composed(a: Tensor, b: Tensor, bias: Tensor, along: "rows" | "cols"): Tensor {
  return matmul(a, b).add(along === "rows" ? bias.reshape([bias.shape[0], 1]) : bias);
}

const cases: { a: number[]; b: number[]; transposeB?: boolean }[] = [
  { a: [5, 7], b: [7, 3] },
  { a: [1, 1], b: [1, 1] },
  { a: [65, 33], b: [33, 67] },
  { a: [2, 1, 5, 7], b: [3, 9, 7], transposeB: true },
  { a: [4, 64, 27], b: [1, 27, 70] },
];

for (const device of ["cpu", undefined] as Device[]) {
  Deno.test(`matmul with a bias along rows or columns equals matmul + broadcast add (${device ?? "default"})`, async () => {
    manualSeed(7);
    for (const c of cases) {
      for (const along of ["rows", "cols"] as const) {
        const a = randn(c.a, { device, requiresGrad: true });
        const braw = randn(c.b, { device });
        const b = (c.transposeB ? braw.transpose(-1, -2) : braw).detach().requiresGrad_();
        const m = a.shape[a.ndim - 2], n = b.shape[b.ndim - 1];
        const wide = randn([2 * (along === "rows" ? m : n)], { device });
        // every other element: a strided (non-contiguous) bias
        const bias = wide.reshape([-1, 2]).select(1, 0).detach().requiresGrad_();
        const what = `[${c.a}] @ [${b.shape}] bias along ${along} on ${device ?? "default"}`;
        const y = matmulBias(a, b, bias, along);
        const ref = composed(a, b, bias, along);
        await assertTensorClose(y, ref, { ...TOL, what });
        const gy = randn(y.shape, { device });
        y.mul(gy).sum().backward();
        const [ga, gb, gbias] = [a.grad!, b.grad!, bias.grad!];
        a.grad = b.grad = bias.grad = null;
        ref.mul(gy).sum().backward();
        await assertTensorClose(ga, a.grad!, { ...TOL, what: `grad a, ${what}` });
        await assertTensorClose(gb, b.grad!, { ...TOL, what: `grad b, ${what}` });
        await assertTensorClose(gbias, bias.grad!, { rtol: 1e-4, atol: 1e-4, what: `grad bias, ${what}` });
      }
    }
  });
}

Deno.test("conv2d and linear with a bias match the composed form (the fused store path)", async () => {
  manualSeed(3);
  const x = randn([2, 3, 6, 5]), w = randn([4, 3, 3, 3]), b = randn([4]);
  const y = F.conv2d(x, w, b, { padding: 1 });
  const ref = F.conv2d(x, w, null, { padding: 1 }).add(b.reshape([1, 4, 1, 1]));
  await assertTensorClose(y, ref, { ...TOL, what: "conv2d bias" });
  const xl = randn([5, 8]), wl = randn([3, 8]), bl = randn([3]);
  await assertTensorClose(F.linear(xl, wl, bl), xl.matmul(wl.transpose(0, 1)).add(bl), { ...TOL, what: "linear bias" });
});

Deno.test("matmul bias gradients pass float64 gradcheck along rows and columns", async () => {
  manualSeed(11);
  const opts = { device: "cpu" as const, dtype: "float64" as const, requiresGrad: true };
  for (const along of ["rows", "cols"] as const) {
    const a = randn([2, 3, 4], opts), b = randn([4, 5], opts);
    const bias = randn([along === "rows" ? 3 : 5], opts);
    assert.equal(await gradcheck((a, b, bias) => matmulBias(a, b, bias, along), [a, b, bias]), true);
  }
});

Deno.test("matmulBias names a bias of the wrong length, rank or dtype", () => {
  const a = randn([3, 4], { device: "cpu" }), b = randn([4, 5], { device: "cpu" });
  assert.throws(
    () => matmulBias(a, b, randn([5], { device: "cpu" }), "rows"),
    /matmulBias: a bias along rows .* needs 3 values, got \[5\]/,
  );
  assert.throws(() => matmulBias(a, b, randn([3, 1], { device: "cpu" }), "rows"), /matmulBias: expects .* 1-D bias/);
  assert.throws(
    () => matmulBias(a, b, randn([5], { device: "cpu", dtype: "float64" }), "cols"),
    /matmulBias: bias is float64 on cpu; expected float32 on cpu/,
  );
});

Deno.test("matmulBias names operands of mixed dtypes or devices", () => {
  const a = randn([3, 4], { device: "cpu" }), bias = randn([5], { device: "cpu" });
  assert.throws(
    () => matmulBias(a, randn([4, 5], { device: "cpu", dtype: "float64" }), bias, "cols"),
    /matmulBias: expected two float tensors of the same dtype, got float32 \[3,4\] and float64 \[4,5\]/,
  );
  if (getDefaultDevice() !== "cpu") {
    assert.throws(() => matmulBias(a, randn([4, 5]), bias, "cols"), /matmulBias: tensors are on different devices/);
  }
});
