/**
 * User-defined differentiable functions (defineFunction and the AutogradFunction class form):
 * gradients by gradcheck in float64, double backward by gradgradcheck, ctx semantics and errors.
 */
import assert from "node:assert/strict";
import {
  AutogradFunction,
  defineFunction,
  type FunctionContext,
  grad,
  gradcheck,
  gradgradcheck,
  randn,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

const cpu64 = { dtype: "float64" as const, device: "cpu" as const };

// P3(x) = ½(5x³ − 3x), the Legendre polynomial of "Learning PyTorch with Examples"
const legendre3 = defineFunction({
  name: "LegendrePolynomial3",
  forward(ctx, x: Tensor) {
    ctx.saveForBackward(x);
    return x.pow(3).mul(5).sub(x.mul(3)).mul(0.5);
  },
  backward(ctx, g) {
    const [x] = ctx.savedTensors;
    return g.mul(x.square().mul(5).sub(1).mul(1.5));
  },
});

Deno.test("defineFunction: a hand-written backward passes gradcheck and gradgradcheck", async () => {
  const x = randn([5], cpu64);
  assert.equal(await gradcheck((x) => legendre3(x), [x]), true);
  assert.equal(await gradgradcheck((x) => legendre3(x), [x]), true);
});

Deno.test("defineFunction: gradients match the same formula written with ordinary ops", async () => {
  const x = randn([4], cpu64).requiresGrad_(true);
  const [a] = grad([legendre3(x).sum()], [x]);
  const [b] = grad([x.pow(3).mul(5).sub(x.mul(3)).mul(0.5).sum()], [x]);
  assertClose(await a!.data(), await b!.data(), { rtol: 1e-12, atol: 1e-12 });
});

class MulAdd extends AutogradFunction {
  // y = a·b + k (k a number), two outputs: y and a − b
  static override forward(ctx: FunctionContext, a: Tensor, b: Tensor, k: number): Tensor[] {
    ctx.saveForBackward(a, b);
    ctx.k = k;
    assert.deepEqual(ctx.needsInputGrad, [true, false, false]);
    return [a.mul(b).add(k), a.sub(b)];
  }
  static override backward(ctx: FunctionContext, gy: Tensor, gd: Tensor): (Tensor | null)[] {
    const [a, b] = ctx.savedTensors;
    return [gy.mul(b).add(gd), ctx.needsInputGrad[1] ? gy.mul(a).sub(gd) : null, null];
  }
}

Deno.test("AutogradFunction: several outputs, a non-tensor argument, needsInputGrad and saved values", async () => {
  const a = randn([3], cpu64).requiresGrad_(true), b = randn([3], cpu64);
  const [y, d] = MulAdd.apply(a, b, 2);
  assertClose(await y.sub(a.detach().mul(b)).data(), [2, 2, 2], { atol: 1e-12 });
  const [ga] = grad([y.sum().add(d.mul(3).sum())], [a]);
  assertClose(await ga!.data(), await b.add(3).data(), { atol: 1e-12 });
});

class Cube extends AutogradFunction {
  static override forward(ctx: FunctionContext, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: FunctionContext, g: Tensor): Tensor {
    return g.mul(ctx.savedTensors[0].square().mul(3));
  }
}

Deno.test("AutogradFunction: class form passes gradcheck and double backward", async () => {
  const x = randn([2, 3], cpu64);
  assert.equal(await gradcheck((x) => Cube.apply(x), [x]), true);
  assert.equal(await gradgradcheck((x) => Cube.apply(x), [x]), true);
  const t = tensor([2], { ...cpu64, requiresGrad: true });
  const [g1] = grad([Cube.apply(t).sum()], [t], { createGraph: true });
  const [g2] = grad([g1!.sum()], [t]);
  assert.deepEqual([await g1!.item(), await g2!.item()], [12, 12]);
});

Deno.test("forward runs without recording, and an input returned as is keeps its own history", async () => {
  const identity = defineFunction({
    forward(_ctx, x: Tensor) {
      assert.equal(x.mul(2).requiresGrad, false);
      return x;
    },
    backward(_ctx, g) {
      return g.mul(7);
    },
  });
  const x = tensor([1, 2], { requiresGrad: true });
  const y = identity(x);
  assert.notEqual(y, x);
  assert.equal(x.isLeaf, true);
  y.sum().backward();
  assert.deepEqual(await x.grad!.toArray(), [7, 7]);
});

Deno.test("a function on inputs that need no gradient records nothing", () => {
  const y = legendre3(tensor([0.5]));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
});

Deno.test("a backward returning a gradient of the wrong shape or count is a RangeError naming the function", () => {
  const bad = defineFunction({
    name: "BadShape",
    forward: (_ctx, x: Tensor) => x.sum(),
    backward: (_ctx, g) => g,
  });
  const x = tensor([1, 2], { requiresGrad: true });
  assert.throws(() => bad(x).backward(), (e: Error) => e instanceof RangeError && /BadShape.*\[2\]/.test(e.message));
  const few = defineFunction({
    name: "TooFew",
    forward: (_ctx, x: Tensor, y: Tensor) => x.add(y),
    backward: (_ctx, g) => [g],
  });
  assert.throws(() => few(x, x).sum().backward(), /TooFew: backward returned 1 gradients/);
  assert.throws(() => defineFunction({} as never), TypeError);
});
