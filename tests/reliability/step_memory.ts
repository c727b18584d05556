/**
 * Where a training step's device memory goes: the README's loop without `tidy`, with the live
 * storages and bytes each part of a step adds (zeroGrad, forward, loss, backward, step) and what a
 * whole step leaves behind. With backward() releasing what only the graph held, a step leaves the
 * tensors the user received: the model output and the loss.
 *
 * Run: `deno run --allow-read=.,../shared --allow-env tests/reliability/step_memory.ts [steps]`
 * (`DENOGRAD_BACKEND=cpu` for the reference backend).
 * @module
 */
import { memoryStats, nn, optim, randint, randn } from "../../mod.ts";

const steps = Number(Deno.args[0] ?? 4);
const model = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 3));
const opt = new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.01 });
const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
const x = randn([64, 8]), y = randint(0, 3, [64]);

const sample = () => [memoryStats().liveStorages, memoryStats().liveBytes];
const delta = (a: number[], b: number[]) => `${b[0] - a[0]} storages ${b[1] - a[1]} B`;
for (let step = 0; step < steps; step++) {
  const s0 = sample();
  opt.zeroGrad();
  const s1 = sample();
  const out = model.forward(x);
  const s2 = sample();
  const loss = lossFn.forward(out, y);
  const s3 = sample();
  loss.backward();
  const s4 = sample();
  opt.step();
  const s5 = sample();
  console.log(
    `step ${step}: zeroGrad ${delta(s0, s1)} | forward ${delta(s1, s2)} | loss ${delta(s2, s3)} | ` +
      `backward ${delta(s3, s4)} | step ${delta(s4, s5)} | left by the step ${delta(s0, s5)}`,
  );
}
