/** Autograd semantics through the public API: accumulation, graph lifetime, higher order, modes. */
import assert from "node:assert/strict";
import { grad, isGradEnabled, noGrad, type Tensor, tensor, zeros } from "../../mod.ts";

function t(data: number[] | number[][] | number, requiresGrad = true): Tensor {
  return tensor(data, { dtype: "float32", requiresGrad });
}

/** Nested values rounded to 5 decimals (float32 results against exact literals). */
async function values(x: Tensor | null): Promise<unknown> {
  assert.ok(x, "expected a tensor, got null");
  const round = (v: unknown): unknown => Array.isArray(v) ? v.map(round) : Math.round((v as number) * 1e5) / 1e5;
  return round(await x.toArray());
}

Deno.test("backward() accumulates into .grad across two calls", async () => {
  const x = t([1, 2, 3]);
  x.mul(2).sum().backward();
  assert.deepEqual(await values(x.grad), [2, 2, 2]);
  x.mul(x).sum().backward();
  assert.deepEqual(await values(x.grad), [4, 6, 8]);
});

Deno.test("backward() on a diamond graph (x used twice) sums both paths", async () => {
  // y = (2x)·(x²) = 2x³, so dy/dx = 6x² = 54 at x = 3
  const x = t([3]);
  const a = x.mul(2), b = x.mul(x);
  a.mul(b).sum().backward();
  assert.deepEqual(await values(x.grad), [54]);
});

Deno.test("backward() visits a node only after every consumer has contributed (reverse topological order)", async () => {
  // h feeds y directly and through h2 = exp(h); if h ran before h2's contribution arrived, x would miss a term
  const x = t([0.5]);
  const h = x.mul(3);
  const y = h.add(h.exp()).add(h.exp().mul(h)).sum();
  y.backward();
  // dy/dh = 1 + e^h + e^h·h + e^h, dy/dx = 3·dy/dh
  const hv = 1.5, expected = 3 * (1 + Math.exp(hv) * (2 + hv));
  assert.ok(Math.abs((await x.grad!.item()) - expected) < 1e-4);
});

Deno.test("retainGraph: true allows a second backward through the same graph", async () => {
  const x = t([1, 2]);
  const y = x.mul(x).sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assert.deepEqual(await values(x.grad), [4, 8]);
});

Deno.test("a second backward without retainGraph raises an error saying to pass retainGraph", () => {
  const x = t([1, 2]);
  const y = x.mul(x).sum();
  y.backward();
  assert.throws(() => y.backward(), /backward: the graph through "sum" was already freed.*retainGraph: true/);
});

Deno.test("createGraph gives differentiable grads: d²/dx² of x³ is 6x", async () => {
  const x = t([2, -1]);
  const [dx] = grad([x.pow(3).sum()], [x], { createGraph: true });
  assert.deepEqual(await values(dx), [12, 3]);
  assert.equal(dx!.requiresGrad, true);
  const [ddx] = grad([dx!.sum()], [x]);
  assert.deepEqual(await values(ddx), [12, -6]);
});

Deno.test("backward() with createGraph makes .grad differentiable", async () => {
  const x = t([3]);
  x.pow(3).sum().backward(undefined, { createGraph: true });
  assert.equal(x.grad!.requiresGrad, true);
  const [ddx] = grad([x.grad!.sum()], [x]);
  assert.deepEqual(await values(ddx), [18]);
});

Deno.test("grad() with gradOutputs equals the hand-computed vector-Jacobian product and leaves .grad alone", async () => {
  const x = t([1, 2, 3]), w = t([4, 5, 6]);
  const y = x.mul(w);
  const v = tensor([1, 0.5, -1]);
  const [gx, gw] = grad([y], [x, w], { gradOutputs: [v] });
  assert.deepEqual(await values(gx), [4, 2.5, -6]);
  assert.deepEqual(await values(gw), [1, 1, -3]);
  assert.equal(x.grad, null);
  assert.equal(w.grad, null);
  assert.equal(gx!.requiresGrad, false);
});

Deno.test("grad() of an unused input throws unless allowUnused is set", () => {
  const x = t([1]), unused = t([2]);
  const y = x.mul(2).sum();
  assert.throws(() => grad([y], [unused], { retainGraph: true }), /grad: input 0 \(shape \[1\]\) was not used/);
  assert.deepEqual(grad([y], [unused], { allowUnused: true }), [null]);
});

Deno.test("noGrad() stops recording and restores the mode afterwards", () => {
  const x = t([1, 2]);
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return x.mul(2).exp();
  });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.equal(x.mul(2).requiresGrad, true);
});

Deno.test("detach() cuts the graph: gradients do not flow through the detached branch", async () => {
  const x = t([1, 2, 3]);
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.isLeaf, true);
  x.mul(d).sum().backward();
  assert.deepEqual(await values(x.grad), [1, 2, 3]);
});

Deno.test("requiresGrad propagates from any input that requires it, and only then", () => {
  const a = t([1, 2]), b = t([3, 4], false);
  assert.equal(a.add(b).requiresGrad, true);
  assert.equal(b.add(a).requiresGrad, true);
  assert.equal(b.mul(2).requiresGrad, false);
  assert.equal(b.mul(2).gradFn, null);
  assert.equal(a.isLeaf, true);
  assert.equal(a.add(b).isLeaf, false);
  const c = zeros([2]).requiresGrad_();
  assert.equal(c.requiresGrad, true);
  assert.equal(c.sub(1).requiresGrad, true);
});

Deno.test("retainGrad() keeps .grad on a non-leaf; other intermediates get none", async () => {
  const x = t([1, 2]);
  const h = x.mul(3).retainGrad();
  const k = h.add(1);
  k.square().sum().backward();
  // d/dh (h+1)² = 2(h+1) = [8, 14]
  assert.deepEqual(await values(h.grad), [8, 14]);
  assert.equal(k.grad, null);
  assert.deepEqual(await values(x.grad), [24, 42]);
});

Deno.test("gradients of broadcast ops sum back to the input shapes", async () => {
  const a = t([[1, 2, 3], [4, 5, 6]]);
  const b = t([1, 10, 100]);
  const c = t([[1], [2]]);
  const s = t(2);
  a.mul(b).add(c).mul(s).sum().backward();
  assert.deepEqual(a.grad!.shape, [2, 3]);
  assert.deepEqual(b.grad!.shape, [3]);
  assert.deepEqual(c.grad!.shape, [2, 1]);
  assert.deepEqual(s.grad!.shape, []);
  assert.deepEqual(await values(a.grad), [[2, 20, 200], [2, 20, 200]]);
  assert.deepEqual(await values(b.grad), [10, 14, 18]);
  assert.deepEqual(await values(c.grad), [[6], [6]]);
  // s multiplies a·b + c, whose sum is 1+20+300+4+50+600 + 3·(1+2) = 984
  assert.deepEqual(await values(s.grad), 984);
});

Deno.test("backward() on a non-scalar without a gradient throws a RangeError naming the shape", () => {
  const y = t([[1, 2, 3], [4, 5, 6]]).mul(2);
  assert.throws(() => y.backward(), (e: unknown) => e instanceof RangeError && /\[2,3\]/.test(e.message));
});

Deno.test("backward() on a non-scalar with an explicit gradient weights each element", async () => {
  const x = t([1, 2, 3]);
  x.mul(x).backward(tensor([1, 0, -1]));
  assert.deepEqual(await values(x.grad), [2, 0, -6]);
});

Deno.test("backward() rejects a gradient whose shape differs from the output's", () => {
  const y = t([1, 2, 3]).mul(2);
  assert.throws(() => y.backward(tensor([1, 1])), /gradient has shape \[2\] but the output has shape \[3\]/);
});

Deno.test("backward() on a tensor that does not require grad throws", () => {
  assert.throws(() => t([1, 2], false).sum().backward(), /backward: tensor of shape \[\] does not require grad/);
});

Deno.test("backward() through a deep chain of 3000 ops does not overflow the stack", async () => {
  const x = tensor([1], { device: "cpu", requiresGrad: true });
  let y = x;
  for (let i = 0; i < 3000; i++) y = y.add(1);
  y.sum().backward();
  assert.deepEqual(await values(x.grad), [1]);
});

Deno.test("views share gradients: a slice's backward fills only the sliced region", async () => {
  const x = t([1, 2, 3, 4, 5]);
  x.slice([1, undefined, 2]).mul(10).sum().backward();
  assert.deepEqual(await values(x.grad), [0, 10, 0, 10, 0]);
});

Deno.test("norm() of a zero vector has a zero gradient, not NaN (as in torch)", async () => {
  const x = zeros([3], { requiresGrad: true });
  x.norm().backward();
  assert.deepEqual(await values(x.grad), [0, 0, 0]);
  const y = t([[0, 0], [3, 4]]);
  y.norm(2, 1).sum().backward();
  assert.deepEqual(await values(y.grad), [[0, 0], [0.6, 0.8]]);
});
