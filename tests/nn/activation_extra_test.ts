/**
 * The activation layers of lib/nn/activation_extra.ts and the functions and methods beside them:
 * outputs and gradients against PyTorch (tests/fixtures/make_activation_extra.py writes
 * activation_extra.json), gradcheck of the non-elementwise ones (softmin, GLU, PReLU's weight),
 * the positional and options forms, and the errors. The elementwise entries themselves are
 * tested from the op table by tests/ops/elementwise_test.ts.
 */
import assert from "node:assert/strict";
import {
  type Device,
  type DType,
  F,
  gradcheck,
  gradgradcheck,
  hasWebGPU,
  nn,
  randn,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/activation_extra.json", import.meta.url)));

interface Case {
  layer: string;
  args: number[];
  out: number[];
  out_shape: number[];
  grad_out: number[];
  grad_x: number[];
  weight?: number[];
  grad_weight?: number[];
}

const LAYERS: Record<string, new (...args: never[]) => nn.Module> = {
  SiLU: nn.SiLU,
  ELU: nn.ELU,
  SELU: nn.SELU,
  CELU: nn.CELU,
  Mish: nn.Mish,
  Hardswish: nn.Hardswish,
  Hardsigmoid: nn.Hardsigmoid,
  ReLU6: nn.ReLU6,
  Hardtanh: nn.Hardtanh,
  LogSigmoid: nn.LogSigmoid,
  Softsign: nn.Softsign,
  Softmin: nn.Softmin,
  PReLU: nn.PReLU,
  GLU: nn.GLU,
};

const SETTINGS: { device: Device; dtype: DType; tol: { rtol: number; atol: number } }[] = [
  { device: "cpu", dtype: "float64", tol: { rtol: 1e-10, atol: 1e-12 } },
  { device: "cpu", dtype: "float32", tol: { rtol: 1e-5, atol: 1e-5 } },
  ...(hasWebGPU() ? [{ device: "webgpu" as const, dtype: "float32" as const, tol: { rtol: 1e-5, atol: 1e-5 } }] : []),
];

for (const c of fixture.cases as Case[]) {
  for (const { device, dtype, tol } of SETTINGS) {
    Deno.test(`nn.${c.layer}(${c.args.join(", ")}) matches PyTorch in ${dtype} on ${device}, forward and backward`, async () => {
      const Layer = LAYERS[c.layer] as unknown as new (...args: number[]) => nn.Module & { weight?: Tensor };
      const layer = new Layer(...c.args);
      if (c.weight) layer.weight = layer.param(tensor(c.weight, { dtype, device }));
      const x = tensor(fixture.x, { dtype, device }).reshape(fixture.shape).requiresGrad_();
      const out = layer.forward(x) as Tensor;
      assert.deepEqual(out.shape, c.out_shape);
      out.backward(tensor(c.grad_out, { dtype, device }).reshape(c.out_shape));
      const what = `${c.layer} ${dtype} ${device}`;
      assertClose(await out.data(), c.out, { ...tol, what: `${what} output` });
      // PyTorch 1.13's hardsigmoid_backward scales by a float32 1/6 even in float64
      const gradTol = c.layer === "Hardsigmoid" && dtype === "float64" ? { rtol: 1e-7, atol: 1e-7 } : tol;
      assertClose(await x.grad!.data(), c.grad_x, { ...gradTol, what: `${what} input gradient` });
      if (c.grad_weight) {
        assertClose(await layer.weight!.grad!.data(), c.grad_weight, { ...tol, what: `${what} weight` });
      }
    });
  }
}

function f64(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => Math.sin(seed * 7.31 + i * 1.37) * 2);
  return tensor(values, { dtype: "float64", device: "cpu" }).reshape(shape).requiresGrad_();
}

Deno.test("F.softmin, F.glu and F.prelu pass gradcheck and gradgradcheck (PReLU's weight too)", async () => {
  const x = f64([2, 3, 4], 1);
  const w = f64([3], 2);
  const w1 = f64([1], 3);
  assert.equal(await gradcheck((a) => F.softmin(a, 1), [x]), true);
  assert.equal(await gradcheck((a) => F.glu(a, { dim: -1 }), [x]), true);
  assert.equal(await gradcheck((a, b) => F.prelu(a, b), [x, w]), true);
  assert.equal(await gradcheck((a, b) => F.prelu(a, b), [x, w1]), true);
  assert.equal(await gradgradcheck((a) => F.glu(a, 2), [x]), true);
  assert.equal(await gradgradcheck((a, b) => F.prelu(a, b), [x, w]), true);
});

Deno.test("F.softmin is softmax of −x and F.glu is a·σ(b) of the halves", async () => {
  const x = randn([3, 6]);
  assertClose(await F.softmin(x, { dim: 0 }).data(), await x.neg().softmax(0).data(), { rtol: 1e-6, atol: 1e-7 });
  const [a, b] = x.chunk(2, 1);
  assertClose(await x.glu().data(), await a.mul(b.sigmoid()).data(), { rtol: 1e-6, atol: 1e-7 });
  assert.deepEqual(F.glu(x, 1).shape, [3, 3]);
});

Deno.test("activations take PyTorch's positional arguments or an options object alike", async () => {
  const x = randn([2, 5]);
  const same = async (p: Tensor, q: Tensor) => assert.deepEqual(await p.data(), await q.data());
  await same(x.elu(0.3), x.elu({ alpha: 0.3 }));
  await same(F.elu(x, 0.3), x.elu(0.3));
  await same(x.celu(2), F.celu(x, { alpha: 2 }));
  await same(x.hardtanh(-0.2, 0.4), F.hardtanh(x, { minVal: -0.2, maxVal: 0.4 }));
  await same(x.softmin(1), F.softmin(x, { dim: 1 }));
  await same(new nn.ELU({ alpha: 0.3 }).forward(x), new nn.ELU(0.3).forward(x));
  await same(new nn.Hardtanh({ minVal: -0.2, maxVal: 0.4 }).forward(x), new nn.Hardtanh(-0.2, 0.4).forward(x));
  await same(new nn.GLU({ dim: 0 }).forward(x), F.glu(x, 0));
  const p = new nn.PReLU({ numParameters: 2, init: 0.1 });
  assert.deepEqual([...await p.weight.data()], [0.1, 0.1].map(Math.fround));
  assert.deepEqual(await new nn.PReLU(2, 0.1).weight.data(), await p.weight.data());
});

Deno.test("silu, clip and atan2 are exposed as methods and functions", async () => {
  const x = randn([7]);
  const y = randn([7]);
  assert.deepEqual(await F.silu(x).data(), await x.silu().data());
  assert.deepEqual(await new nn.SiLU().forward(x).data(), await x.silu().data());
  assert.deepEqual(await x.clip(-0.5, 0.5).data(), await x.clamp(-0.5, 0.5).data());
  const xs = await x.data(), ys = await y.data();
  assertClose(await x.atan2(y).data(), xs.map((a, i) => Math.atan2(a, ys[i])), { rtol: 1e-6, atol: 1e-7 });
});

Deno.test("activations name the op and the problem when the arguments are wrong", () => {
  const x = randn([2, 3, 4]);
  assert.throws(() => F.glu(randn([2, 3])), (e) => e instanceof RangeError && /glu: .*even/.test(e.message));
  assert.throws(() => F.prelu(x, randn([2])), (e) => e instanceof RangeError && /prelu: .*3 channels/.test(e.message));
  assert.throws(
    () => F.prelu(x, randn([3, 1])),
    (e) => e instanceof RangeError && /prelu: weight must be/.test(e.message),
  );
  assert.throws(() => F.celu(x, 0), (e) => e instanceof RangeError && /celu: alpha/.test(e.message));
  assert.throws(() => F.hardtanh(x, 1, -1), (e) => e instanceof RangeError && /hardtanh: minVal/.test(e.message));
  assert.throws(() => new nn.PReLU(0), (e) => e instanceof RangeError && /PReLU: numParameters/.test(e.message));
  assert.throws(() => F.softmin(x, 0.5), (e) => e instanceof TypeError && /softmin: dim/.test(e.message));
  assert.throws(
    () => new nn.Softmin(undefined as unknown as number),
    (e) => e instanceof TypeError && /Softmin: dim/.test(e.message),
  );
});
