/**
 * The case of issue #12 on the real device limits, run by hand (it is too slow on llvmpipe for the
 * suite): a batch of 1000 MNIST-sized images through conv 1→32 and conv 32→64 (3×3), forward and
 * backward. Its second im2col (663,552,000 bytes) and its output (147 MB) pass llvmpipe's 128 MiB
 * binding limit. Prints the time of one step, then checks the output and the weight gradients
 * against the same model run on ten batches of 100, whose every storage fits one binding.
 *
 * `deno run --allow-read=. --allow-env tests/nn/conv_real_batch.ts`
 * @module
 */
import { manualSeed, memoryStats, nn, randn, synchronize, type Tensor } from "../../mod.ts";

/** Throws unless every |a − b| ≤ atol + rtol·|b| (assertClose formats whole arrays, too slow at 36M values). */
function assertNear(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} values, expected ${b.length}`);
  let worst = 0, at = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  if (worst > 0) throw new Error(`${what}[${at}]: got ${a[at]}, expected ${b[at]}`);
}

manualSeed(12);
const conv1 = new nn.Conv2d(1, 32, 3), conv2 = new nn.Conv2d(32, 64, 3);
const params = [conv1.weight, conv1.bias!, conv2.weight, conv2.bias!];
const forward = (x: Tensor) => conv2.forward(conv1.forward(x).relu());
const x = randn([1000, 1, 28, 28]);
await synchronize();

function zeroGrads(): void {
  for (const p of params) p.grad = null;
}

const t0 = performance.now();
const y = forward(x);
y.square().sum().mul(1e-3).backward();
await synchronize();
const seconds = (performance.now() - t0) / 1000;
const yFull = await y.data();
const gradsFull = await Promise.all(params.map((p) => p.grad!.data()));
const stats = memoryStats();
console.log(
  `batch of 1000: output [${y.shape}] (${(y.size * 4 / 1e6).toFixed(0)} MB), forward + backward ${
    seconds.toFixed(1)
  } s, ${(stats.liveBytes / 1e6).toFixed(0)} MB live after the step`,
);

// the same in batches of 100 (the sum's gradients add up over batches)
zeroGrads();
const yParts = new Float32Array(yFull.length);
const t1 = performance.now();
for (let i = 0; i < 1000; i += 100) {
  const yi = forward(x.narrow(0, i, 100));
  yi.square().sum().mul(1e-3).backward();
  yParts.set(await yi.data(), i * (yFull.length / 1000));
}
await synchronize();
console.log(`ten batches of 100: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
assertNear(yFull, yParts, 1e-5, 1e-5, "output");
const gradsParts = await Promise.all(params.map((p) => p.grad!.data()));
["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"].forEach((what, i) =>
  assertNear(gradsFull[i], gradsParts[i], 1e-3, 1e-3, what)
);
console.log("output and gradients match the batches of 100");
