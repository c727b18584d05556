// x.at(...) / x.setAt([...], v) against PyTorch 1.13's x[...] (tests/fixtures/make_indexing.py):
// values and gradients of reads and writes, views sharing storage, gradcheck, and the errors.
import assert from "node:assert/strict";
import { arange, gradcheck, type Index, noGrad, slice, type Tensor, tensor } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";
import { ensureWebGPU } from "../../lib/tensor/device.ts";

type Entry =
  | { int: number }
  | { slice: [number | null, number | null, number | null] }
  | { none: true }
  | { ellipsis: true }
  | { tensor: number | number[] | number[][] }
  | { mask: boolean[] | boolean[][] };
interface ReadCase {
  shape: number[];
  index: Entry[];
  out_shape: number[];
  out: number[];
  grad: number[];
}
interface WriteCase {
  shape: number[];
  index: Entry[];
  value: number | number[] | number[][];
  accumulate: boolean;
  out: number[];
  grad_x: number[];
  grad_value: number[];
}
const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/indexing.json", import.meta.url))) as {
  reads: ReadCase[];
  writes: WriteCase[];
};

const devices = (await ensureWebGPU()) ? ["webgpu", "cpu", "reference"] as const : ["cpu", "reference"] as const;
type Device = (typeof devices)[number];

function indices(entries: Entry[], device: Device): Index[] {
  return entries.map((e): Index => {
    if ("int" in e) return e.int;
    if ("slice" in e) return slice(e.slice[0], e.slice[1], e.slice[2]);
    if ("none" in e) return null;
    if ("ellipsis" in e) return "...";
    if ("tensor" in e) return tensor(e.tensor, { dtype: "int64", device });
    return tensor(e.mask, { dtype: "bool", device });
  });
}

const hasMask = (c: { index: Entry[] }) => c.index.some((e) => "mask" in e);
const describe = (c: { shape: number[]; index: Entry[] }) => `[${c.shape}] at ${JSON.stringify(c.index)}`;
const dtypeOf = (device: Device) => (device === "reference" ? "float64" : "float32");
const source = (shape: number[], device: Device, requiresGrad = false) =>
  arange(0, shape.reduce((a, b) => a * b, 1), 1, { dtype: dtypeOf(device), device }).reshape(shape).requiresGrad_(
    requiresGrad,
  );
const weighted = (y: Tensor) => y.mul(arange(1, y.size + 1, 1, { dtype: y.dtype, device: y.device }).reshape(y.shape));

for (const device of devices) {
  Deno.test(`at() on ${device} reads and differentiates like PyTorch's x[...]`, async () => {
    for (const c of fixture.reads) {
      const x = source(c.shape, device, true);
      const idx = indices(c.index, device);
      const y = hasMask(c) ? await x.atAsync(...idx) : x.at(...idx);
      assert.deepEqual(y.shape, c.out_shape, describe(c));
      assertClose(await y.data(), c.out, { what: describe(c) });
      weighted(y).sum().backward();
      assertClose(await x.grad!.data(), c.grad, { what: `grad of ${describe(c)}` });
    }
  });

  Deno.test(`setAt() on ${device} writes and differentiates like PyTorch's x[...] = v`, async () => {
    for (const c of fixture.writes) {
      const x = source(c.shape, device, true);
      const v = tensor(c.value, { dtype: dtypeOf(device), device, requiresGrad: true });
      const out = x.clone();
      out.setAt(indices(c.index, device), v, { accumulate: c.accumulate });
      assertClose(await out.data(), c.out, { what: describe(c) });
      weighted(out).sum().backward();
      assertClose(await x.grad!.data(), c.grad_x, { what: `grad x of ${describe(c)}` });
      assertClose(await v.grad!.data(), c.grad_value, { what: `grad value of ${describe(c)}` });
      // the same write without autograd (the direct path for basic indices)
      const plain = source(c.shape, device);
      plain.setAt(indices(c.index, device), typeof c.value === "number" ? c.value : tensor(c.value, { device }), {
        accumulate: c.accumulate,
      });
      assertClose(await plain.data(), c.out, { what: `no-grad ${describe(c)}` });
    }
  });
}

Deno.test("basic indices give a view sharing storage; advanced ones a copy", async () => {
  const x = arange(0, 12, 1, { dtype: "float32" }).reshape([3, 4]);
  const v = x.at(slice(1, null), slice(null, null, 2));
  assert.deepEqual(v.strides, [4, 2]);
  assert.equal(v.offset, 4);
  noGrad(() => v.fill_(-1));
  assert.deepEqual(await x.toArray(), [[0, 1, 2, 3], [-1, 5, -1, 7], [-1, 9, -1, 11]]);
  const g = x.at(tensor([0]));
  x.setAt([0, 0], 100);
  assert.deepEqual(await g.toArray(), [[0, 1, 2, 3]], "a gather copies");
  assert.equal(x.version, 2);
});

Deno.test("gradcheck of at() with basic, advanced and mixed indices (float64, reference)", async () => {
  const x = tensor([[[0.1, -0.4, 1.2], [0.7, 2.1, -1.3]], [[0.5, 0.9, -0.2], [1.1, -0.6, 0.3]]], {
    dtype: "float64",
    device: "reference",
    requiresGrad: true,
  });
  const int = (v: number[] | number[][], like: Tensor) => tensor(v, { dtype: "int64", device: like.device });
  const cases: ((a: Tensor) => Tensor)[] = [
    (a) => a.at(1, slice(null), slice(-2, null)),
    (a) => a.at("...", null, 1),
    (a) => a.at(int([1, 0, 1], a), slice(null), int([[2], [0]], a)),
    (a) => a.at(slice(null), int([1, 0], a), int([[2], [0]], a)),
  ];
  for (const fn of cases) assert.equal(await gradcheck(fn, [x]), true);
  const v = tensor([0.3, -0.8], { dtype: "float64", device: "reference", requiresGrad: true });
  const put = (a: Tensor, b: Tensor) => a.indexPut([slice(null), 1, int([2, 2], a)], b, true);
  assert.equal(await gradcheck(put, [x, v]), true);
});

Deno.test("at() and setAt() errors name the op and say what to do", async () => {
  const x = arange(0, 6, 1, { dtype: "float32" }).reshape([2, 3]);
  assert.throws(() => x.at(2), /at: index 2 is out of bounds for dimension 0 with size 2/);
  assert.throws(() => x.at(0, -4), /at: index -4 is out of bounds for dimension 1 with size 3/);
  assert.throws(() => x.at(0, 0, 0), /at: too many indices for a tensor of dimension 2/);
  assert.throws(() => x.at("...", "..."), /single ellipsis/);
  assert.throws(() => slice(0, 3, -1), /slice: step must be greater than zero/);
  assert.throws(() => x.at(x.gt(2)), /await x\.atAsync\(mask\)/);
  assert.throws(() => x.at(tensor([0.5])), /must be int32 \(int64\) or bool/);
  assert.throws(
    () => x.setAt([tensor([0, 1])], tensor([1, 2])),
    /setAt: shapes \[2,3\] and \[2\] cannot be broadcast together/,
  );
  assert.throws(
    () => x.setAt([tensor([0, 1])], tensor([[[1, 2, 3], [4, 5, 6]]])),
    /setAt: shape mismatch: a value of shape \[1,2,3\] cannot be broadcast to the indexing result of shape \[2,3\]/,
  );
  assert.throws(() => x.setAt([x.gt(2)], tensor([1, 2])), /setAtAsync/);
  await x.setAtAsync([x.gt(3)], tensor([7, 8]));
  assert.deepEqual(await x.toArray(), [[0, 1, 2], [3, 7, 8]]);
});
