/**
 * A port of "Learning PyTorch with Examples" (PyTorch: Defining New autograd Functions): fit
 * y = sin(x) on [−π, π] with y = a + b·P3(c + d·x), where P3(x) = ½(5x³ − 3x) is the Legendre
 * polynomial of degree three, written as a custom autograd function with a hand-written backward.
 * Plain gradient descent on the summed squared error, 2000 steps at lr 5e-6, as the original
 * (examples/pytorch/polynomial_custom_function.py).
 *
 * Run from the repository root:
 *
 *     deno task example:polynomial
 * @module
 */
import { AutogradFunction, full, type FunctionContext, linspace, noGrad, type Tensor, tidy } from "../mod.ts";

/** P3(x) = ½(5x³ − 3x) with its derivative P3'(x) = 1.5(5x² − 1) written by hand. */
class LegendrePolynomial3 extends AutogradFunction {
  static override forward(ctx: FunctionContext, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return input.pow(3).mul(5).sub(input.mul(3)).mul(0.5);
  }

  static override backward(ctx: FunctionContext, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    return gradOutput.mul(1.5).mul(input.pow(2).mul(5).sub(1));
  }
}

const x = linspace(-Math.PI, Math.PI, 2000);
const y = x.sin();

// weights initialised close enough to the result for the method to converge, as in the original
const a = full([], 0.0, { requiresGrad: true });
const b = full([], -1.0, { requiresGrad: true });
const c = full([], 0.0, { requiresGrad: true });
const d = full([], 0.3, { requiresGrad: true });
const learningRate = 5e-6;

let last = NaN;
for (let t = 0; t < 2000; t++) {
  const loss = tidy(() => {
    const P3 = (v: Tensor) => LegendrePolynomial3.apply(v);
    const yPred = a.add(b.mul(P3(c.add(d.mul(x)))));
    const loss = yPred.sub(y).pow(2).sum();
    loss.backward();
    noGrad(() => {
      for (const p of [a, b, c, d]) {
        p.assignStorage(p.sub(p.grad!.mul(learningRate)));
        p.grad!.dispose();
        p.grad = null;
      }
    });
    return loss;
  });
  if (t % 100 === 99 || t === 1999) {
    last = await loss.item();
    if (t % 100 === 99) console.log(t, last);
  }
  loss.dispose();
}
console.log(`Result: y = ${await a.item()} + ${await b.item()} * P3(${await c.item()} + ${await d.item()} x)`);
console.log(`final loss ${last}`);
