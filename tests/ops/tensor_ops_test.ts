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
import * as mod from "../../mod.ts";
import { gradcheck, gradgradcheck, type Tensor, tensor } from "../../mod.ts";
import { type Device, ensureWebGPU, getNumThreads, setNumThreads } from "../../lib/tensor/device.ts";
import { type OpCase, TENSOR_OPS, type TensorOpEntry } from "../../lib/ops/tensor_ops.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const hasGpu = await ensureWebGPU();
const allThreads = getNumThreads();
/** Each device checked against the reference, with the cpu thread count it runs with. */
const targets: { label: string; device: Device; threads: number }[] = [
  { label: "cpu, 1 thread", device: "cpu", threads: 1 },
  ...(allThreads > 1 ? [{ label: `cpu, ${allThreads} threads`, device: "cpu" as const, threads: allThreads }] : []),
  ...(hasGpu ? [{ label: "webgpu", device: "webgpu" as const, threads: allThreads }] : []),
];

type Fn = (...args: unknown[]) => Tensor | Tensor[];

/** The function an entry names: a Tensor method bound to the first operand, or an export of mod.ts or F. */
function callable(e: TensorOpEntry, operands: Tensor[]): { fn: Fn; rest: Tensor[] } {
  if ("method" in e.call) {
    const [self, ...rest] = operands;
    const m = (self as unknown as Record<string, Fn>)[e.call.method];
    assert.equal(typeof m, "function", `Tensor has no method ${e.call.method}`);
    return { fn: m.bind(self), rest };
  }
  const name = e.call.fn;
  const fn = (mod as unknown as Record<string, Fn>)[name] ?? (mod.F as unknown as Record<string, Fn>)[name];
  assert.equal(typeof fn, "function", `mod.ts exports no function ${name} (nor F.${name})`);
  return { fn, rest: operands };
}

function isPlaceholder(a: unknown): a is { tensor: number } {
  return typeof a === "object" && a !== null && "tensor" in a;
}

/** Calls the entry on `operands` with the case's arguments. */
function call(e: TensorOpEntry, c: OpCase, operands: Tensor[]): Tensor[] {
  const args = c.args ?? [];
  let out: Tensor | Tensor[];
  if (args.some(isPlaceholder)) {
    const { fn } = callable(e, operands);
    out = fn(...args.map((a) => (isPlaceholder(a) ? operands[a.tensor] : a)));
  } else if ("fn" in e.call && e.call.list) {
    out = callable(e, operands).fn(operands, ...args);
  } else {
    const { fn, rest } = callable(e, operands);
    out = fn(...rest, ...args);
  }
  return Array.isArray(out) ? out : [out];
}

/** The case's operands on `device`: floats from its domain, index operands as int32 below their bound. */
function operands(c: OpCase, device: Device, dtype: "float32" | "float64", seed: number): Tensor[] {
  return c.shapes.map((shape, k) => {
    const n = shape.reduce((a, s) => a * s, 1);
    const bound = c.indices?.[k];
    if (bound !== undefined) {
      return tensor(randomArray(n, 0, bound, seed + k, { int: true }), { dtype: "int32", device }).reshape(shape);
    }
    const [lo, hi] = c.domain ?? [-2, 2];
    const t = tensor(randomArray(n, lo, hi, seed + k, { float32: true }), { dtype, device }).reshape(shape);
    return dtype === "float64" ? t.requiresGrad_() : t;
  });
}

for (const [name, e] of Object.entries(TENSOR_OPS)) {
  Deno.test(`op table: ${name} (${e.kind})`, async (t) => {
    for (const [i, c] of e.cases.entries()) {
      const label = `case ${i}: [${c.shapes.map((s) => `[${s}]`).join(", ")}] ${JSON.stringify(c.args ?? [])}`;
      for (const target of targets) {
        await t.step(`${label}: ${target.label} matches the reference`, async () => {
          const want = call(e, c, operands(c, "reference", "float32", 3));
          setNumThreads(target.threads);
          let got: Tensor[];
          try {
            got = call(e, c, operands(c, target.device, "float32", 3));
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
