// In-place writes (lib/tensor/inplace.ts): pending chains that read the storage see the old
// values, every view sees the new ones, the version counter is shared by views and bumped, and
// backward refuses gradients whose inputs were overwritten after they were recorded.
import assert from "node:assert/strict";
import { gradcheck, gradgradcheck, noGrad, slice, type Tensor, tensor } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";
import { writeInPlace } from "../../lib/tensor/inplace.ts";
import { ensureWebGPU } from "../../lib/tensor/device.ts";

const devices = (await ensureWebGPU()) ? ["webgpu", "cpu"] as const : ["cpu"] as const;

for (const device of devices) {
  const f = (v: number[]) => tensor(v, { dtype: "float32", device });

  Deno.test(`writeInPlace on ${device}: pending readers keep the old values, views see the new`, async () => {
    const x = f([1, 2, 3, 4]);
    const doubled = x.mul(2); // pending on webgpu: it must not see the write
    const view = x.slice([1, 3]);
    assert.equal(x.version, 0);
    writeInPlace("test", x, f([10, 20, 30, 40]));
    assert.equal(x.version, 1);
    assert.equal(view.version, 1, "views share the counter");
    assert.deepEqual(Array.from(await doubled.data()), [2, 4, 6, 8]);
    assert.deepEqual(Array.from(await view.data()), [20, 30]);
    writeInPlace("test", view, f([0]));
    assert.deepEqual(Array.from(await x.data()), [10, 0, 0, 40]);
    assert.equal(x.version, 2);
  });

  Deno.test(`writeInPlace on ${device}: a value that reads the target is computed first`, async () => {
    const x = f([1, 2, 3]);
    writeInPlace("add_", x, x.add(1).mul(x));
    assert.deepEqual(Array.from(await x.data()), [2, 6, 12]);
    assert.throws(
      () => writeInPlace("add_", x, f([1, 2, 3]).reshape([1, 3])),
      /add_: a value of shape \[1,3\] cannot be written into a tensor of shape \[3\]/,
    );
    assert.throws(
      () => writeInPlace("add_", x, f([1, 2])),
      /add_: shapes \[3\] and \[2\] cannot be broadcast together/,
    );
  });
}

Deno.test("backward refuses a gradient whose recorded input was written in place since", () => {
  const a = tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
  const h = a.exp();
  const z = h.mul(h).sum();
  writeInPlace("mul_", h, tensor([0], { dtype: "float32" }));
  assert.throws(
    () => z.backward(),
    /backward: one of the variables needed for gradient computation has been modified by an inplace operation: an input of "mul" \(\[3\] float32 at version 1/,
  );
  // written after backward: nothing to refuse
  const b = tensor([1, 2], { dtype: "float32", requiresGrad: true });
  const e = b.exp();
  e.mul(e).sum().backward();
  writeInPlace("mul_", e, tensor([0], { dtype: "float32" }));
  assert.ok(b.grad !== null);
});

// ---- the in-place ops (lib/tensor/ops_inplace.ts) against PyTorch (tests/fixtures/make_indexing.py) ----

interface InPlaceCase {
  op: string;
  arg: "b" | number | null;
  kwargs: Record<string, number>;
  out: number[];
  grad_a: number[];
  grad_b: number[] | null;
}
const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/indexing.json", import.meta.url))) as {
  a: number[][];
  b: number[];
  inplace: InPlaceCase[];
};

/** Calls `h.<op>_(...)` as the fixture's PyTorch call did (keyword arguments in an options object). */
function callInPlace(h: Tensor, c: InPlaceCase, b: Tensor): void {
  const arg = c.arg === "b" ? b : c.arg;
  const k = c.kwargs;
  switch (c.op) {
    case "add_":
    case "sub_":
      h[c.op](arg!, { alpha: k.alpha });
      break;
    case "mul_":
    case "div_":
    case "fill_":
      h[c.op](arg!);
      break;
    case "copy_":
      h.copy_(b);
      break;
    case "clamp_":
      h.clamp_({ min: k.min, max: k.max });
      break;
    default:
      (h as unknown as Record<string, () => Tensor>)[c.op]();
  }
}

for (const device of [...devices, "reference"] as const) {
  const dtype = device === "reference" ? "float64" : "float32";
  const tol = device === "reference" ? { rtol: 1e-12, atol: 1e-14 } : { rtol: 1e-5, atol: 1e-6 };
  Deno.test(`in-place ops on ${device}: values and gradients through a non-leaf match PyTorch`, async () => {
    for (const c of fixture.inplace) {
      const a = tensor(fixture.a, { dtype, device, requiresGrad: true });
      const b = tensor(fixture.b, { dtype, device, requiresGrad: true });
      const h = a.mul(1);
      const before = h.version;
      callInPlace(h, c, b);
      assert.equal(h.version, before + 1, `${c.op} bumps the version`);
      assertClose(await h.data(), c.out, { ...tol, what: c.op });
      h.mul(tensor([[1, 2, 3], [4, 5, 6]], { dtype, device })).sum().backward();
      assertClose(await a.grad!.data(), c.grad_a, { ...tol, what: `${c.op} grad a` });
      if (c.grad_b) assertClose(await b.grad!.data(), c.grad_b, { ...tol, what: `${c.op} grad b` });
      else assert.equal(b.grad, null, `${c.op}: b takes no gradient`);
    }
  });
}

Deno.test("in-place on a leaf that requires grad: refused while recording, allowed under noGrad", async () => {
  const w = tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
  assert.throws(() => w.add_(1), /add_: a leaf Variable that requires grad is being used in an in-place operation/);
  assert.throws(() => w.at(slice(0, 2)).zero_(), /zero_: a view of a leaf Variable that requires grad/);
  w.mul(w).sum().backward();
  // optimizer-style: with torch.no_grad(): w -= lr * w.grad
  const returned = noGrad(() => w.sub_(w.grad!.mul(0.5)));
  assert.equal(returned, w, "returns this");
  assert.deepEqual(await w.toArray(), [0, 0, 0]);
  assert.equal(w.isLeaf, true);
  assert.equal(w.requiresGrad, true);
  noGrad(() => w.normal_(0, 0.02).uniform_(-1, 1).fill_(4).clamp_(0, 3));
  assert.deepEqual(await w.toArray(), [3, 3, 3]);
});

Deno.test("a view's write lands in its base; a write into a tracked tensor's view is refused", async () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
  x.at(1).mul_(10);
  x.at(slice(null), 0).add_(tensor([100, 200], { dtype: "float32" }));
  assert.deepEqual(await x.toArray(), [[101, 2, 3], [240, 50, 60]]);
  assert.equal(x.version, 2);
  const h = tensor([1, 2], { dtype: "float32", requiresGrad: true }).mul(2);
  assert.throws(() => h.at(0).add_(1), /add_: writing in place into a \[\] view of a \[2\] tensor that requires grad/);
});

Deno.test("a saved tensor modified before backward names the op that saved it", () => {
  const a = tensor([0.5, 1, 2], { dtype: "float32", requiresGrad: true });
  const h = a.sigmoid();
  const z = h.mul(h).sum();
  h.relu_();
  assert.throws(() => z.backward(), /modified by an inplace operation: an input of "mul"/);
  const b = tensor([1, 2], { dtype: "float32", requiresGrad: true });
  const other = tensor([3, 4], { dtype: "float32", requiresGrad: true });
  const y = b.mul(1).mul_(other);
  noGrad(() => other.add_(1));
  assert.throws(() => y.sum().backward(), /an input of "mul_"/);
});

Deno.test("in-place dtype rules follow PyTorch: no float result into an int tensor", async () => {
  const i = tensor([1, 2, 3]);
  i.add_(2).mul_(tensor([2, 2, 2]));
  assert.deepEqual(await i.toArray(), [6, 8, 10]);
  assert.throws(() => i.add_(0.5), /add_: result type float32 can't be cast to the desired output type int32/);
  assert.throws(() => i.div_(2), /div_: result type float32 can't be cast/);
  i.copy_(tensor([1.7, -2.2, 3.9])).fill_(7.9);
  assert.deepEqual(await i.toArray(), [7, 7, 7], "copy_ and fill_ cast as PyTorch's (toward zero)");
  const f = tensor([1, 2, 3], { dtype: "float32" });
  f.maskedFill_(f.gt(1), -1).neg_().exp_().log_().abs_().sqrt_();
  assertClose(await f.data(), [1, 1, 1], { rtol: 1e-6 });
  assert.throws(() => f.copy_(tensor([1, 2])), /copy_: shapes \[3\] and \[2\] cannot be broadcast together/);
});

Deno.test("gradcheck and gradgradcheck through in-place ops on a non-leaf (float64, reference)", async () => {
  const opts = { dtype: "float64", device: "reference", requiresGrad: true } as const;
  const a = tensor([[0.3, -1.2, 0.8], [1.5, 0.4, -0.7]], opts);
  const b = tensor([0.9, -0.6, 1.3], opts);
  const chain = (x: Tensor, y: Tensor) => x.mul(1).mul_(y).add_(y, 0.5).tanh_().div_(y.add(2)).sigmoid_();
  assert.equal(await gradcheck(chain, [a, b]), true);
  assert.equal(await gradgradcheck(chain, [a, b]), true);
  const put = (x: Tensor, y: Tensor) =>
    x.mul(2).setAt([slice(null), tensor([2, 0], { device: x.device })], y.at(slice(0, 2)));
  assert.equal(await gradcheck(put, [a, b]), true);
  assert.equal(await gradgradcheck(put, [a, b]), true);
});
