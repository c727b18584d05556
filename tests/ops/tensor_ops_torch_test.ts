/**
 * The non-elementwise op table against PyTorch: every case with a `torch` expression runs on each
 * device present (cpu, webgpu, and the reference in float64) and its outputs and the gradient of
 * sum(output · cotangent) must equal PyTorch 1.13's (tests/fixtures/tensor_op_values.json, written by
 * `deno task fixtures:tensor-ops`). A case added without a fixture fails here until that task is rerun.
 *
 * Tolerance: float32 kernels accumulate roundings, so rtol 1e-4, atol 1e-4 (1e-9 in float64).
 */
import assert from "node:assert/strict";
import { type Tensor, tensor } from "../../mod.ts";
import { type Device, ensureWebGPU } from "../../lib/tensor/device.ts";
import { TENSOR_OPS } from "../../lib/ops/tensor_ops.ts";
import { assertClose } from "../_helpers.ts";
import { invoke, operands, outputsOf } from "./_table_call.ts";
import { caseKey, TORCH_SEED } from "./_table_operands.ts";

type Value = number | string;
interface FixtureOutput {
  readonly shape: number[];
  readonly dtype: "float" | "int" | "bool";
  readonly values: Value[];
  readonly cotangent?: Value[];
}
interface FixtureCase {
  readonly torch: string;
  readonly outputs: FixtureOutput[];
  readonly grads?: Value[][];
}

const fixture: { cases: Record<string, FixtureCase> } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/tensor_op_values.json", import.meta.url)),
);

function decode(values: readonly Value[]): number[] {
  const named: Record<string, number> = { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 };
  return values.map((v) => (typeof v === "string" ? named[v] : v));
}

const hasGpu = await ensureWebGPU();
const targets: { device: Device; dtype: "float32" | "float64" }[] = [
  { device: "cpu", dtype: "float32" },
  ...(hasGpu ? [{ device: "webgpu" as const, dtype: "float32" as const }] : []),
  { device: "reference", dtype: "float64" },
];

for (const [name, e] of Object.entries(TENSOR_OPS)) {
  const cases = e.cases.map((c, i) => ({ c, i })).filter(({ c }) => c.torch !== undefined);
  if (cases.length === 0) continue;
  Deno.test(`op table vs PyTorch: ${name}`, async (t) => {
    for (const { c, i } of cases) {
      const want = fixture.cases[caseKey(name, i)];
      for (const { device, dtype } of targets) {
        await t.step(`case ${i} (${c.torch}) on ${device}`, async () => {
          assert.ok(
            want && want.torch === c.torch,
            `no fixture for ${name} case ${i}: run deno task fixtures:tensor-ops`,
          );
          const tol = dtype === "float64" ? { rtol: 1e-9, atol: 1e-9 } : { rtol: 1e-4, atol: 1e-4 };
          const xs = operands(c, device, dtype, TORCH_SEED);
          const wantsGrad = e.grad && want.grads !== undefined;
          if (wantsGrad) { for (const x of xs) if (x.dtype === dtype) x.requiresGrad_(); }
          let raw = invoke(e, c, xs);
          if (raw instanceof Promise) raw = await raw;
          const got = outputsOf(raw);
          assert.equal(got.length, want.outputs.length, `${name}: number of outputs`);
          let loss: Tensor | undefined;
          for (const [j, g] of got.entries()) {
            const w = want.outputs[j];
            const what = `${name} case ${i} output ${j} on ${device}`;
            assert.deepEqual(g.shape, w.shape, `${what}: shape`);
            assertClose(await g.data(), decode(w.values), { ...tol, what });
            if (wantsGrad && w.cotangent && g.requiresGrad) {
              const term = g.mul(tensor(decode(w.cotangent), { dtype, device }).reshape(w.shape)).sum();
              loss = loss ? loss.add(term) : term;
            }
          }
          if (!wantsGrad || !loss) return;
          loss.backward();
          const floats = xs.filter((x) => x.dtype === dtype);
          for (const [k, x] of floats.entries()) {
            const gx = x.grad ? await x.grad.data() : new Array(x.size).fill(0);
            assertClose(gx, decode(want.grads![k]), { ...tol, what: `${name} case ${i} grad ${k} on ${device}` });
          }
        });
      }
    }
  });
}
