/**
 * Scans, sorting, selection and the data-dependent ops beyond the generated table tests: ties,
 * NaN, infinities, zeros, empty dims, long rows (the webgpu multi-pass sort) and transposed views
 * against PyTorch 1.13 (tests/fixtures/scan_sort.json, from make_scan_sort.py) on every device,
 * with gradients; then option forms, errors that name the op, and the refusal inside compile.
 */
import assert from "node:assert/strict";
import { arange, compile, gradcheck, gradgradcheck, synchronize, type Tensor, tensor } from "../../mod.ts";
import { type Device, ensureWebGPU } from "../../lib/tensor/device.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const hasGpu = await ensureWebGPU();
const devices: Device[] = ["reference", "cpu", ...(hasGpu ? ["webgpu" as const] : [])];
const gpuOpts = { sanitizeResources: false, sanitizeOps: false };

type Encoded = number | "nan" | "inf" | "-inf";
interface FixtureCase {
  name: string;
  values: Encoded[] | null;
  generated?: number;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  transpose: boolean;
  method: string;
  args: unknown[];
  outputs: { shape: number[]; values: Encoded[] }[];
  grad?: Encoded[];
}
const fixture: { torch: string; cases: FixtureCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/scan_sort.json", import.meta.url)),
);

function decode(v: Encoded): number {
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;
}

function inputValues(c: FixtureCase): number[] {
  if (c.values !== null) return c.values.map(decode);
  const m = c.generated!, n = c.shape.reduce((a, s) => a * s, 1);
  return Array.from({ length: n }, (_, i) => ((i * 7919) % m) - Math.floor(m / 2));
}

/** An op's result as a list: a tensor, an array of them, or a record's tensors in order. */
function outputsOf(out: unknown): Tensor[] {
  if (Array.isArray(out)) return out;
  if ((out as Tensor).__isTensor) return [out as Tensor];
  return Object.values(out as Record<string, Tensor>);
}

function input(c: FixtureCase, device: Device, requiresGrad = false): Tensor {
  const base = tensor(inputValues(c), { dtype: c.dtype, device }).reshape(c.shape);
  const x = c.transpose ? base.transpose(0, 1) : base;
  return requiresGrad ? x.detach().requiresGrad_() : x;
}

async function run(c: FixtureCase, x: Tensor): Promise<Tensor[]> {
  const method = (x as unknown as Record<string, (...a: unknown[]) => unknown>)[c.method];
  return outputsOf(await method.call(x, ...c.args));
}

for (const c of fixture.cases) {
  Deno.test(`${c.method}: ${c.name} (as PyTorch ${fixture.torch})`, gpuOpts, async (t) => {
    for (const device of devices) {
      await t.step(`${device}: values`, async () => {
        const got = await run(c, input(c, device));
        assert.equal(got.length, c.outputs.length, "number of outputs");
        for (const [j, want] of c.outputs.entries()) {
          assert.deepEqual(got[j].shape, want.shape, `output ${j} shape`);
          const what = `${c.name}, output ${j} on ${device}`;
          assertClose(await got[j].data(), want.values.map(decode), { rtol: 1e-5, atol: 1e-5, what });
        }
      });
      if (c.grad) {
        await t.step(`${device}: gradient`, async () => {
          const x = input(c, device, true);
          const first = (await run(c, x))[0];
          const w = arange(1, first.size + 1, 1, { device }).float().reshape(first.shape);
          first.mul(w).sum().backward();
          assertClose(await x.grad!.data(), c.grad!.map(decode), { rtol: 1e-5, atol: 1e-5, what: `${c.name} grad` });
        });
      }
    }
  });
}

Deno.test("long rows with NaN, signed zeros, infinities and ties sort as the reference does", gpuOpts, async () => {
  // rows of 300 (cpu radix path, webgpu workgroup path) and 2500 (webgpu multi-pass path)
  for (const len of [300, 2500]) {
    const special = [NaN, -0, 0, Infinity, -Infinity, 1, 1, -1];
    const values = randomArray(2 * len, -3, 3, len, { int: true }).map((v, i) => i % 7 === 0 ? special[i % 8] : v);
    const want = tensor(values, { device: "reference" }).reshape([2, len]);
    for (const descending of [false, true]) {
      const ref = want.sort(1, descending);
      for (const device of devices.filter((d) => d !== "reference")) {
        const got = tensor(values, { device }).reshape([2, len]).sort(1, descending);
        const what = `rows of ${len} on ${device}, descending ${descending}`;
        assert.deepEqual(Array.from(await got.indices.data()), Array.from(await ref.indices.data()), what);
        assertClose(await got.values.data(), await ref.values.data(), { what });
      }
    }
  }
});

Deno.test("cumprod's gradient and its gradient are right with zeros in the input (gradcheck)", async () => {
  const x = tensor([[0, 2, 0.5, 3], [1.5, 0, -2, 0.7]], { dtype: "float64", device: "cpu" }).requiresGrad_();
  assert.equal(await gradcheck((a) => a.cumprod(1), [x]), true);
  assert.equal(await gradgradcheck((a) => a.cumprod(1), [x]), true);
});

Deno.test("cummax, sort and median pass gradgradcheck through their indices", async () => {
  const x = tensor(randomArray(12, -2, 2, 7), { dtype: "float64", device: "cpu" }).reshape([3, 4]).requiresGrad_();
  assert.equal(await gradgradcheck((a) => a.cummax(1).values, [x]), true);
  assert.equal(await gradgradcheck((a) => a.sort(0, true).values, [x]), true);
  assert.equal(await gradgradcheck((a) => a.median(1).values, [x]), true);
});

Deno.test("maskedSelect's gradient reaches exactly the selected elements", async () => {
  for (const device of devices) {
    const x = tensor(randomArray(12, -2, 2, 3), { device }).reshape([3, 4]).requiresGrad_();
    const mask = x.gt(0);
    const y = await x.maskedSelect(mask);
    const w = arange(1, y.size + 1, 1, { device }).float();
    y.mul(w).sum().backward();
    // each selected element gets the weight of its rank among the selected, in row-major order
    const picked = Array.from(await mask.data());
    let rank = 0;
    const want = picked.map((m) => (m ? ++rank : 0));
    assertClose(await x.grad!.data(), want, { what: `maskedSelect grad on ${device}` });
  }
});

Deno.test("the options object and the positional form agree", async () => {
  const x = tensor(randomArray(24, -2, 2, 11)).reshape([2, 3, 4]);
  const same = async (a: Tensor, b: Tensor) => assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
  await same(x.cumsum(1), x.cumsum({ dim: 1 }));
  await same(x.logcumsumexp(-1), x.logcumsumexp({ dim: 2 }));
  const s = x.sort(1, true), so = x.sort({ dim: 1, descending: true, stable: true });
  await same(s.values, so.values);
  await same(s.indices, so.indices);
  await same(x.argsort(0, true), x.argsort({ dim: 0, descending: true }));
  await same(x.topk(2, 1, false).indices, x.topk(2, { dim: 1, largest: false, sorted: true }).indices);
  await same(x.kthvalue(2, 0, true).values, x.kthvalue(2, { dim: 0, keepdim: true }).values);
  await same(x.median(2, true).indices, x.median({ dim: 2, keepdim: true }).indices);
  await same(x.mode(0).values, x.mode({ dim: 0 }).values);
  assert.deepEqual(x.kthvalue(2, 0, true).values.shape, [1, 3, 4]);
  assert.deepEqual(x.median(2).values.shape, [2, 3]);
});

Deno.test("topk with sorted: false returns the same k elements", async () => {
  const x = tensor(randomArray(10, -2, 2, 5));
  const a = Array.from(await x.topk(4, 0, true, false).values.data()).sort();
  const b = Array.from(await x.topk(4).values.data()).sort();
  assert.deepEqual(a, b);
});

Deno.test("unique with sorted: false keeps the order of first appearance", async () => {
  const values = randomArray(20, 0, 6, 9, { int: true });
  const u = await tensor(values, { dtype: "int32" }).unique({ sorted: false, returnCounts: true });
  const firsts = values.filter((v, i) => values.indexOf(v) === i);
  assert.deepEqual(Array.from(await u.values.data()), firsts);
  assert.deepEqual(Array.from(await u.counts!.data()), firsts.map((f) => values.filter((v) => v === f).length));
});

Deno.test("result dtypes: int32 accumulation and indices, the input's dtype for values", async () => {
  const b = tensor([true, false, true]), i = tensor([3, 1, 2], { dtype: "int32" }), f = tensor([0.5, 2, 1]);
  assert.deepEqual([b.cumsum(0).dtype, b.cumprod(0).dtype, i.cumsum(0).dtype, f.cumsum(0).dtype], [
    "int32",
    "int32",
    "int32",
    "float32",
  ]);
  assert.deepEqual([b.sort().values.dtype, b.cummax(0).values.dtype, i.median().dtype], ["bool", "bool", "int32"]);
  for (const r of [f.sort(), f.topk(2), f.kthvalue(1), f.median(0), f.mode(0), f.cummin(0)]) {
    assert.deepEqual([r.values.dtype, r.indices.dtype], ["float32", "int32"]);
  }
  assert.equal((await f.nonzero()).dtype, "int32");
  assert.equal((await b.unique({ returnCounts: true })).counts!.dtype, "int32");
});

Deno.test("0-d and empty inputs keep their shapes", async () => {
  const s = tensor(3).sort();
  assert.deepEqual([s.values.shape, s.indices.shape], [[], []]);
  assert.equal(await s.indices.item(), 0);
  assert.equal(await tensor(3).cumsum(0).item(), 3);
  assert.equal(await tensor(3).median().item(), 3);
  for (const device of devices) {
    const e = tensor([], { device }).reshape([3, 0]);
    assert.deepEqual(e.cumsum(1).shape, [3, 0]);
    assert.deepEqual(e.cumprod(0).shape, [3, 0]);
    assert.deepEqual(e.cummax(1).indices.shape, [3, 0]);
    assert.deepEqual(e.topk(0).values.shape, [3, 0]);
    assert.deepEqual((await e.nonzero()).shape, [0, 2]);
    assert.deepEqual((await e.maskedSelect(e.gt(0))).shape, [0]);
  }
});

Deno.test("errors name the op, the dim or k, and the shape", async () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.throws(() => x.cumsum(2), /cumsum: dim 2 is out of range for a tensor with 2 dims/);
  assert.throws(() => x.cumprod(undefined as unknown as number), /cumprod: dim is required/);
  assert.throws(() => x.cummax(-3), /cummax: dim -3 is out of range/);
  assert.throws(() => x.sort(5), /sort: dim 5 is out of range/);
  assert.throws(() => x.topk(4), /topk: k = 4 is out of range for dim 1 of size 3 \(expected 0\.\.3\)/);
  assert.throws(() => x.topk(-1, 0), /topk: k = -1 is out of range for dim 0 of size 2/);
  assert.throws(() => x.kthvalue(0), /kthvalue: k = 0 is out of range for dim 1 of size 3 \(expected 1\.\.3\)/);
  assert.throws(() => x.kthvalue(1.5, 0), /kthvalue: k = 1.5/);
  assert.throws(() => tensor([]).median(), /median: cannot take the median of an empty dim/);
  assert.throws(() => tensor([]).reshape([2, 0]).mode(1), /mode: cannot take the mode of an empty dim/);
  assert.throws(() => x.int().logcumsumexp(1), /logcumsumexp: expected a float tensor, got int32/);
  await assert.rejects(x.unique({ dim: 0 }), /unique: dim is not supported/);
  await assert.rejects(x.maskedSelect(x.float()), /maskedSelect: mask must be a bool tensor, got float32/);
  await assert.rejects(x.maskedSelect(tensor([true, false])), /maskedSelect/);
});

Deno.test("a compiled step replays sorts and scans with new data", { ...gpuOpts, ignore: !hasGpu }, async () => {
  // rows of 1500 take the multi-pass sort: every stage's dispatch must replay with the new input
  const step = compile((x: Tensor) => x.sort(1, true).values.add(x.cumsum(1)).add(x.topk(3).indices.float().sum()));
  for (let i = 0; i < 4; i++) {
    const values = randomArray(3000, -2, 2, 20 + i);
    const x = tensor(values, { device: "webgpu" }).reshape([2, 1500]);
    const want = tensor(values).reshape([2, 1500]);
    const expected = want.sort(1, true).values.add(want.cumsum(1)).add(want.topk(3).indices.float().sum());
    assertClose(await step(x).data(), await expected.data(), { rtol: 1e-4, atol: 1e-3, what: `call ${i}` });
  }
  assert.ok(step.stats.replays >= 1, "the step was replayed");
  step.dispose();
});

Deno.test("nonzero, maskedSelect and unique are refused inside a compiled step", {
  ...gpuOpts,
  ignore: !hasGpu,
}, async () => {
  const ops: [string, (x: Tensor) => Promise<unknown>][] = [
    ["nonzero", (x) => x.nonzero()],
    ["maskedSelect", (x) => x.maskedSelect(x.gt(0))],
    ["unique", (x) => x.unique()],
  ];
  for (const [name, op] of ops) {
    let pending: Promise<unknown> | null = null;
    const step = compile((x: Tensor) => {
      pending = op(x);
      return x.add(1);
    });
    assert.throws(() => step(tensor([1, 0, 2], { device: "webgpu" })), /compile: fn reads tensor values/, name);
    await assert.rejects(pending!, /compile: fn reads tensor values/, name);
    step.dispose();
  }
  await synchronize();
});
