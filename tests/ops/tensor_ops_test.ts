/**
 * Generated tests for the non-elementwise entries of the op table (reductions, movement,
 * indexing, composites): every case of every entry on cpu (one thread and every thread) and webgpu
 * against the reference (float32), gradcheck (float64 finite differences on cpu) where the entry
 * takes gradients, and gradgradcheck where its gradient is differentiable. No test is written per op.
 *
 * Tolerance: reductions and products accumulate float32 roundings, so cpu and webgpu are compared
 * at rtol 1e-4, atol 1e-5 against the reference (which rounds once).
 */
import assert from "node:assert/strict";
import { gradcheck, gradgradcheck, type Tensor } from "../../mod.ts";
import { type Device, ensureWebGPU, getNumThreads, setNumThreads } from "../../lib/tensor/device.ts";
import { TENSOR_OPS } from "../../lib/ops/tensor_ops.ts";
import { assertClose } from "../_helpers.ts";
import { call, invoke, operands, outputsOf } from "./_table_call.ts";

const hasGpu = await ensureWebGPU();
const allThreads = getNumThreads();
/** Each device checked against the reference, with the cpu thread count it runs with. */
const targets: { label: string; device: Device; threads: number }[] = [
  { label: "cpu, 1 thread", device: "cpu", threads: 1 },
  ...(allThreads > 1 ? [{ label: `cpu, ${allThreads} threads`, device: "cpu" as const, threads: allThreads }] : []),
  ...(hasGpu ? [{ label: "webgpu", device: "webgpu" as const, threads: allThreads }] : []),
];

for (const [name, e] of Object.entries(TENSOR_OPS)) {
  Deno.test(`op table: ${name} (${e.kind})`, async (t) => {
    for (const [i, c] of e.cases.entries()) {
      const label = `case ${i}: [${c.shapes.map((s) => `[${s}]`).join(", ")}] ${JSON.stringify(c.args ?? [])}`;
      for (const target of targets) {
        await t.step(`${label}: ${target.label} matches the reference`, async () => {
          const want = outputsOf(await invoke(e, c, operands(c, "reference", "float32", 3)));
          setNumThreads(target.threads);
          let got: Tensor[];
          try {
            got = outputsOf(await invoke(e, c, operands(c, target.device, "float32", 3)));
            for (const g of got) g.realize(); // run pending chains with this thread count too
          } finally {
            setNumThreads(allThreads);
          }
          assert.equal(got.length, want.length);
          for (const [j, g] of got.entries()) {
            assert.deepEqual(g.shape, want[j].shape, `${name}: shape`);
            assert.equal(g.dtype, want[j].dtype, `${name}: dtype`);
            const what = `${name} ${label} on ${target.label}`;
            assertClose(await g.data(), await want[j].data(), { rtol: 1e-4, atol: 1e-5, what });
          }
        });
      }
      if (e.grad) {
        const floats = (xs: Tensor[]) => xs.filter((x) => x.dtype === "float64");
        const fn = (xs: Tensor[]) => (...ts: Tensor[]) => {
          let k = 0;
          const all = xs.map((x) => (x.dtype === "float64" ? ts[k++] : x));
          return call(e, c, all)[0];
        };
        await t.step(`${label}: gradcheck`, async () => {
          const xs = operands(c, "cpu", "float64", 5);
          assert.equal(await gradcheck(fn(xs), floats(xs)), true);
        });
        if (e.gradgrad) {
          await t.step(`${label}: gradgradcheck`, async () => {
            const xs = operands(c, "cpu", "float64", 5);
            assert.equal(await gradgradcheck(fn(xs), floats(xs)), true);
          });
        }
      }
    }
  });
}
