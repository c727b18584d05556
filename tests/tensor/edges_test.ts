/**
 * Values and gradients at the edges of existing ops against PyTorch 1.13 (tests/fixtures/edges.json,
 * written by tests/fixtures/make_edges.py): prod with zeros, pow at 0 and ±inf, reductions over
 * zero elements, clamp with min > max, pooling's ceil mode and divisors, F.pad modes and
 * cropping, losses with integer targets. Each case runs on the default device (cpu, or webgpu
 * with DENOGRAD_BACKEND=webgpu) and on the float64 reference.
 */
import assert from "node:assert/strict";
import { F, grad, type Tensor, tensor } from "../../mod.ts";
import { assertClose, type Numbers } from "../_helpers.ts";

type Raw = number | string | boolean | Raw[];
interface EdgeCase {
  name: string;
  inputs: Record<string, Raw>;
  ints: string[];
  value: Raw;
  grads?: Record<string, Raw | null>;
}

const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/edges.json", import.meta.url))) as {
  cases: EdgeCase[];
};

function decode(v: Raw): Numbers {
  if (Array.isArray(v)) return v.map(decode);
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v as number | boolean;
}

type Inputs = Record<string, Tensor>;
const OPS: Record<string, (t: Inputs) => Tensor> = {
  "prod one zero": ({ x }) => x.prod(),
  "prod two zeros": ({ x }) => x.prod(),
  "prod dim with zeros": ({ x }) => x.prod(1),
  "pow zeros": ({ x, y }) => x.pow(y),
  "pow infinities and negative bases": ({ x, y }) => x.pow(y),
  "sum of nothing": ({ x }) => x.sum(),
  "sum over an empty dim": ({ x }) => x.sum(1),
  "prod of nothing": ({ x }) => x.prod(),
  "prod over an empty dim": ({ x }) => x.prod(1),
  "mean of nothing": ({ x }) => x.mean(),
  "mean over an empty dim": ({ x }) => x.mean(1),
  "all of nothing": ({ x }) => x.all(),
  "any of nothing": ({ x }) => x.any(),
  "all over an empty dim": ({ x }) => x.all(1),
  "any over an empty dim": ({ x }) => x.any(1),
  "clamp min above max": ({ x }) => x.clamp(1, -1),
  "maxPool2d ceilMode": ({ x }) => F.maxPool2d(x, 2, 2, 0, 1, true),
  "maxPool2d ceilMode padding stride": ({ x }) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
  "avgPool2d ceilMode": ({ x }) => F.avgPool2d(x, 2, 2, 0, true),
  "avgPool2d ceilMode padding no count": ({ x }) => F.avgPool2d(x, 3, 2, 1, true, false),
  "avgPool2d ceilMode padding count": ({ x }) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }),
  "avgPool2d divisorOverride": ({ x }) => F.avgPool2d(x, 2, { divisorOverride: 3 }),
  "avgPool2d padding no count": ({ x }) => F.avgPool2d(x, 3, 1, 1, false, false),
  "pad reflect": ({ x }) => F.pad(x, [2, 3], "reflect"),
  "pad replicate": ({ x }) => F.pad(x, [1, 2], { mode: "replicate" }),
  "pad circular": ({ x }) => F.pad(x, [3, 1], "circular"),
  "pad reflect 2d": ({ x }) => F.pad(x, [1, 2, 2, 1], { mode: "reflect" }),
  "pad constant crop": ({ x }) => F.pad(x, [-1, 2, 1, -1], { value: 7 }),
  "pad replicate crop": ({ x }) => F.pad(x, [-1, 2, 1, 0], "replicate"),
  "hingeEmbeddingLoss int target": ({ x, y }) => F.hingeEmbeddingLoss(x, y),
  "softMarginLoss int target": ({ x, y }) => F.softMarginLoss(x, y),
  "marginRankingLoss int target": ({ a, b, y }) => F.marginRankingLoss(a, b, y, { margin: 0.1 }),
  "cosineEmbeddingLoss int target": ({ a, b, y }) => F.cosineEmbeddingLoss(a, b, y, { margin: 0.2 }),
  "mseLoss int target": ({ x, y }) => F.mseLoss(x, y),
  "conv2d same even kernel": ({ x, w }) => F.conv2d(x, w, null, 1, "same"),
};

for (const c of fixture.cases) {
  for (const device of ["default", "reference"] as const) {
    Deno.test(`${c.name} matches PyTorch (${device})`, async () => {
      const op = OPS[c.name];
      assert.ok(op, `no denograd op for fixture case "${c.name}"`);
      const dtype = device === "reference" ? "float64" : "float32";
      const where = device === "reference" ? { device } : {};
      const inputs: Inputs = {};
      for (const [k, v] of Object.entries(c.inputs)) {
        inputs[k] = c.ints.includes(k)
          ? tensor(decode(v) as never, { dtype: "int32", ...where })
          : tensor(decode(v) as never, { dtype, requiresGrad: c.grads !== undefined, ...where });
      }
      const out = op(inputs);
      const tol = dtype === "float64" ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
      const value = out.dtype === "bool" ? (await out.toArray()) : await out.toArray();
      assertClose(value as Numbers, decode(c.value), { ...tol, what: `${c.name} value` });
      if (!c.grads) return;
      const names = Object.keys(c.grads).filter((k) => c.grads![k] !== null);
      const w = tensor(Array.from({ length: out.size }, (_, i) => i + 1), { dtype, ...where }).reshape(out.shape);
      const gs = grad([out.mul(w).sum()], names.map((k) => inputs[k]));
      for (let i = 0; i < names.length; i++) {
        assertClose(await gs[i]!.toArray(), decode(c.grads[names[i]]!), { ...tol, what: `${c.name} d/d${names[i]}` });
      }
    });
  }
}
