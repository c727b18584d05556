/**
 * Runs the PyTorch cases of tests/fixtures/shape_ops.json (from make_shape_ops.py) for
 * shape_ops_test.ts and einsum_test.ts: each case's inputs on each device (float64 on the
 * reference, float32 elsewhere), its outputs and, where the fixture has them, the gradients of
 * sum(output · cotangent) against PyTorch 1.13's.
 * @module
 */
import assert from "node:assert/strict";
import { type Tensor, tensor } from "../../mod.ts";
import { type Device, ensureWebGPU } from "../../lib/tensor/device.ts";
import { assertClose } from "../_helpers.ts";

interface FixtureInput {
  shape: number[];
  dtype: "float64" | "int64" | "bool";
  values: (number | boolean)[];
}
interface FixtureCase {
  expr: string;
  inputs: Record<string, FixtureInput>;
  outputs: { shape: number[]; values: number[]; cotangent?: number[] }[];
  grads?: Record<string, number[]>;
}

const fixture: { cases: Record<string, FixtureCase> } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/shape_ops.json", import.meta.url)),
);

/** The devices present: the reference, cpu and webgpu where it starts. */
export const devices: Device[] = ["reference", "cpu", ...(await ensureWebGPU() ? ["webgpu" as const] : [])];

/** How denograd computes a fixture case from its named inputs. */
export type CaseFn = (inputs: Record<string, Tensor>) => Tensor | Tensor[];

/** Registers one Deno test per case of `calls`, each checking every device against the fixture. */
export function testAgainstTorch(prefix: string, calls: Record<string, CaseFn>): void {
  for (const [name, fn] of Object.entries(calls)) {
    const c = fixture.cases[name];
    Deno.test({
      name: `${prefix}: ${name} matches PyTorch (${c?.expr})`,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async (t) => {
        assert.ok(c, `no fixture case "${name}": rerun tests/fixtures/make_shape_ops.py`);
        for (const device of devices) {
          await t.step(device, async () => {
            const float = device === "reference" ? "float64" : "float32";
            const inputs: Record<string, Tensor> = {};
            for (const [n, v] of Object.entries(c.inputs)) {
              const dtype = v.dtype === "float64" ? float : v.dtype === "int64" ? "int32" : "bool";
              const x = tensor(v.values as number[], { dtype, device }).reshape(v.shape);
              inputs[n] = c.grads && dtype === float ? x.requiresGrad_() : x;
            }
            const out = fn(inputs);
            const outs = Array.isArray(out) ? out : [out];
            assert.equal(outs.length, c.outputs.length, "number of outputs");
            const tol = float === "float64" ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
            let loss: Tensor | undefined;
            for (const [j, o] of outs.entries()) {
              const want = c.outputs[j];
              assert.deepEqual(o.shape, want.shape, `output ${j} shape`);
              assertClose(await o.data(), want.values, { ...tol, what: `${name} output ${j} on ${device}` });
              if (c.grads && want.cotangent) {
                const term = o.mul(tensor(want.cotangent, { dtype: float, device }).reshape(want.shape)).sum();
                loss = loss ? loss.add(term) : term;
              }
            }
            if (!c.grads || !loss) return;
            loss.backward();
            for (const [n, g] of Object.entries(c.grads)) {
              const x = inputs[n];
              const got = x.grad ? await x.grad.data() : new Array(x.size).fill(0);
              assertClose(got, g, { ...tol, what: `${name} gradient of ${n} on ${device}` });
            }
          });
        }
      },
    });
  }
}
