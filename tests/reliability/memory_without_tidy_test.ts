/**
 * The README's training loop written as PyTorch users write it, without `tidy`: backward()
 * releases every tensor that only the graph holds (what the modules' forward calls created and
 * did not return), deterministically; what the user received (each step's model output and loss)
 * stays valid and is theirs. tests/reliability/memory_readme_loop_test.ts runs the loop verbatim,
 * where the FinalizationRegistry returns those too. Runs on the default device
 * (`DENOGRAD_BACKEND=cpu` for the reference backend).
 */
import assert from "node:assert/strict";
import { getDefaultDevice, manualSeed, memoryStats, nn, optim, randint, randn, type Tensor } from "../../mod.ts";

const SLACK = 64 * 1024;
// llvmpipe's WebGPU takes ~4 ms a step even for a small model: fewer steps keep CI to seconds (a
// graph-only tensor left per step would still be 250 KB over 500 steps)
const SMALL = getDefaultDevice() === "webgpu";
const STEPS = SMALL ? 500 : 2000;
const [IN, HIDDEN, CLASSES, BATCH] = SMALL ? [4, 8, 3, 8] : [8, 32, 3, 64];

function setup() {
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(IN, HIDDEN), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.01 });
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  return { model, opt, lossFn, x: randn([BATCH, IN]), y: randint(0, CLASSES, [BATCH]) };
}

function bytesOf(t: Tensor): number {
  return t.size * (t.dtype === "float64" ? 8 : 4);
}

Deno.test("without tidy, backward() releases everything the graph alone held; the user's tensors stay valid", async () => {
  const { model, opt, lossFn, x, y } = setup();
  // every step's model output and loss stay referenced here, so no garbage collection can free them
  const held: { out: Tensor; loss: Tensor }[] = [];
  let heldBytes = 0, base = 0;
  for (let step = 0; step < STEPS; step++) {
    opt.zeroGrad();
    const out = model.forward(x);
    const loss = lossFn.forward(out, y);
    loss.backward();
    opt.step();
    if (step === 0) {
      // warm-up done (gradients, optimizer state and cached constants exist now)
      await loss.item();
      base = memoryStats().liveBytes;
      continue;
    }
    held.push({ out, loss });
    heldBytes += bytesOf(out) + bytesOf(loss);
  }
  const grown = memoryStats().liveBytes - base;
  assert.ok(
    grown - heldBytes <= SLACK,
    `live bytes grew by ${grown} over ${STEPS} steps, ${grown - heldBytes} beyond the ${heldBytes} the loop holds`,
  );
  // what the user holds is intact: the first step's loss and logits, the parameters, their grads, Adam's state
  const first = held[0], last = held[held.length - 1];
  assert.ok(Number.isFinite(await first.loss.item()));
  assert.ok((await last.loss.item()) < (await first.loss.item()), "the loss went down");
  assert.equal((await first.out.data()).length, BATCH * CLASSES);
  for (const p of model.parameters()) {
    assert.ok((await p.data()).every(Number.isFinite));
    assert.ok(p.grad !== null && (await p.grad.data()).every(Number.isFinite));
    const state = opt.state.get(p)!;
    assert.ok((await (state.expAvg as Tensor).data()).every(Number.isFinite));
  }
  for (const { out, loss } of held) {
    out.dispose();
    loss.dispose();
  }
  const after = memoryStats().liveBytes - base;
  assert.ok(after <= SLACK, `after disposing what the loop held, ${after} bytes more are live than after step 1`);
});
