/**
 * nn.ModuleDict, nn.ParameterList, nn.ParameterDict (state-dict names as PyTorch's), forward and
 * forward-pre hooks on modules, and gradient hooks on tensors (Tensor.registerHook).
 */
import assert from "node:assert/strict";
import { grad, nn, ones, randn, type Tensor, tensor, zeros } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

Deno.test("ModuleDict registers its modules under their keys, in insertion order", () => {
  const d = new nn.ModuleDict([["enc", new nn.Linear(3, 4)], ["head", new nn.Linear(4, 2, { bias: false })]]);
  d.set("norm", new nn.LayerNorm(2));
  assert.deepEqual(Object.keys(d.stateDict()), ["enc.weight", "enc.bias", "head.weight", "norm.weight", "norm.bias"]);
  assert.deepEqual([...d], ["enc", "head", "norm"]);
  assert.equal(d.size, 3);
  assert.ok(d.get("head") instanceof nn.Linear);
  d.pop("enc");
  assert.deepEqual(d.namedParameters().map(([k]) => k), ["head.weight", "norm.weight", "norm.bias"]);
  assert.throws(() => d.get("enc"), /no module "enc"/);
  assert.throws(() => d.set("forward", new nn.Identity()), TypeError);
  assert.throws(() => d.set("a.b", new nn.Identity()), TypeError);
  assert.throws(() => d.set("x", {} as nn.Module), TypeError);
});

Deno.test("a ModuleDict inside a module gets dotted names and loads a state dict", async () => {
  class Net extends nn.Module {
    heads = new nn.ModuleDict({ a: new nn.Linear(2, 1), b: new nn.Linear(2, 1) });
  }
  const src = new Net(), dst = new Net();
  assert.deepEqual(Object.keys(src.stateDict()), ["heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"]);
  dst.loadStateDict(src.stateDict());
  assert.deepEqual(
    await (dst.heads.get("b") as nn.Linear).weight.data(),
    await (src.heads.get("b") as nn.Linear).weight.data(),
  );
});

Deno.test("ParameterList and ParameterDict register trainable parameters with PyTorch's names", async () => {
  const list = new nn.ParameterList([zeros([2]), ones([3])]);
  list.append(ones([1]));
  assert.equal(list.length, 3);
  assert.deepEqual(Object.keys(list.stateDict()), ["0", "1", "2"]);
  assert.ok([...list].every((p) => p.requiresGrad));
  assert.deepEqual(list.at(-2).shape, [3]);
  assert.throws(() => list.at(3), RangeError);
  const dict = new nn.ParameterDict({ scale: ones([2]) });
  dict.set("shift", zeros([2]));
  class Affine extends nn.Module {
    params = dict;
    override forward(x: Tensor) {
      return x.mul(this.params.get("scale")).add(this.params.get("shift"));
    }
  }
  const m = new Affine();
  assert.deepEqual(Object.keys(m.stateDict()), ["params.scale", "params.shift"]);
  const loss = (m.forward(tensor([1, 2])) as Tensor).sum();
  const [gs] = grad([loss], [dict.get("scale")]);
  assert.deepEqual(await gs!.toArray(), [1, 2]);
  assert.throws(() => dict.set("bad", 3 as unknown as Tensor), TypeError);
});

Deno.test("forward hooks see inputs and output, may replace them, and stop after remove()", async () => {
  const fc = new nn.Linear(3, 2);
  const calls: string[] = [];
  const pre = fc.registerForwardPreHook((m, inputs) => {
    assert.equal(m, fc);
    calls.push(`pre ${(inputs[0] as Tensor).shape}`);
    return (inputs[0] as Tensor).mul(0);
  });
  const post = fc.registerForwardHook((_m, inputs, output) => {
    calls.push(`post ${(inputs[0] as Tensor).shape} -> ${(output as Tensor).shape}`);
    return (output as Tensor).add(1);
  });
  const y = fc.forward(randn([4, 3])) as Tensor;
  assert.deepEqual(calls, ["pre 4,3", "post 4,3 -> 4,2"]);
  // zero input, then +1: bias + 1 in every row
  const bias = await fc.bias!.add(1).toArray() as number[];
  assert.deepEqual(await y.toArray(), [bias, bias, bias, bias]);
  pre.remove();
  post.remove();
  post.remove();
  const x = randn([1, 3]);
  const plain = await x.matmul(fc.weight.transpose(0, 1)).add(fc.bias!).data();
  assertClose(await (fc.forward(x) as Tensor).data(), plain, { rtol: 1e-6, atol: 1e-6 });
  assert.equal(calls.length, 2);
});

Deno.test("forward hooks of submodules fire when the parent runs, and can capture activations", () => {
  const model = new nn.Sequential(new nn.Linear(3, 5), new nn.ReLU(), new nn.Linear(5, 2));
  const shapes: number[][] = [];
  const handle = model.at(1).registerForwardHook((_m, _in, out) => {
    shapes.push([...(out as Tensor).shape]);
  });
  model.forward(randn([7, 3]));
  handle.remove();
  model.forward(randn([7, 3]));
  assert.deepEqual(shapes, [[7, 5]]);
});

Deno.test("Tensor.registerHook sees the total gradient of an intermediate and may replace it", async () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2);
  const seen: number[][] = [];
  const h = y.registerHook((g) => {
    seen.push([...g.shape]);
    return g.mul(10);
  });
  y.sum().add(y.mul(y).sum()).backward();
  assert.deepEqual(seen, [[3]]);
  // d/dy (Σy + Σy²) = 1 + 2y, times 10, times dy/dx = 2
  const want = await tensor([1, 2, 3]).mul(2).mul(2).add(1).mul(20).toArray();
  assert.deepEqual(await x.grad!.toArray(), want);
  h.remove();
  x.grad = null;
  const z = x.mul(2);
  z.sum().backward();
  assert.deepEqual(await x.grad!.toArray(), [2, 2, 2]);
});

Deno.test("a hook on a leaf changes what accumulates into .grad; bad hooks are errors", async () => {
  const w = tensor([1, 1], { requiresGrad: true });
  w.registerHook((g) => g.clamp(-0.5, 0.5));
  w.mul(3).sum().backward();
  assert.deepEqual(await w.grad!.toArray(), [0.5, 0.5]);
  assert.throws(() => tensor([1]).registerHook((g) => g), /does not require grad/);
  const v = tensor([1, 2], { requiresGrad: true });
  v.registerHook(() => ones([3]));
  assert.throws(
    () => v.sum().backward(),
    (e: Error) => e instanceof TypeError && /\[2\] tensor.*\[3\]/.test(e.message),
  );
});
