/**
 * CTC and the losses beyond PyTorch (focal, Dice, GAN, VAE, gradient penalty, multi-task,
 * weight penalties) against PyTorch 1.13 golden values (tests/fixtures/make_losses_extra.py):
 * float32 on the default device at ~1e-5, float64 on cpu at ~1e-9, plus gradient checks.
 */
import type { Device } from "../../mod.ts";
import assert from "node:assert/strict";
import {
  F,
  getDefaultDevice,
  grad,
  gradcheck,
  gradgradcheck,
  type NestedArray,
  nn,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

// deno-lint-ignore no-explicit-any
type Case = any;
const fx = JSON.parse(await Deno.readTextFile(new URL("../fixtures/losses_extra.json", import.meta.url)));

type Mode = { dtype: "float32" | "float64"; device: Device; rtol: number; atol: number };
const MODES: Mode[] = [
  { dtype: "float32", device: getDefaultDevice(), rtol: 1e-5, atol: 1e-5 },
  { dtype: "float64", device: "cpu", rtol: 1e-9, atol: 1e-11 },
];

function flat(x: NestedArray | string): number[] {
  if (x === "inf") return [Infinity];
  return Array.isArray(x) ? x.flatMap(flat) : [Number(x)];
}

/** Asserts a tensor's values, flattened, match a fixture's nested values within the mode's tolerances. */
async function assertMatches(t: Tensor, expected: NestedArray, m: Mode, what: string): Promise<void> {
  assertClose(Array.from(await t.data()), flat(expected), {
    rtol: m.rtol,
    atol: m.atol,
    what: `${what} (${m.dtype} on ${m.device})`,
  });
}

function f(data: NestedArray, m: Mode, requiresGrad = false): Tensor {
  return tensor(data, { dtype: m.dtype, device: m.device, requiresGrad });
}
function i32(data: NestedArray, m: Mode): Tensor {
  return tensor(data, { dtype: "int32", device: m.device });
}
/** Gradients of `loss` seeded with the fixture's output gradient. */
function grads(loss: Tensor, inputs: Tensor[], gradOutput: NestedArray, m: Mode): Tensor[] {
  const seed = typeof gradOutput === "number" ? undefined : [f(gradOutput, m)];
  return grad([loss], inputs, { gradOutputs: seed }) as Tensor[];
}

Deno.test("ctcLoss matches torch for padded and concatenated targets, every reduction, blank and zeroInfinity", async () => {
  for (const m of MODES) {
    for (const c of fx.ctc as Case[]) {
      const x = f(c.logits, m, true);
      const loss = F.ctcLoss(x.logSoftmax(2), i32(c.targets, m), c.inputLengths, c.targetLengths, c);
      await assertMatches(loss, c.loss, m, `ctc ${c.name}`);
      if (c.grad) await assertMatches(grads(loss, [x], c.gradOutput, m)[0], c.grad, m, `ctc ${c.name} grad`);
    }
  }
});

Deno.test("ctcLoss accepts int32 tensor lengths and nn.CTCLoss wraps it", async () => {
  const m = MODES[0];
  for (const c of (fx.ctc as Case[]).filter((c) => c.name.startsWith("concatenated") || c.name === "padded mean")) {
    const loss = new nn.CTCLoss(c).forward(
      f(c.logits, m).logSoftmax(2),
      i32(c.targets, m),
      i32(c.inputLengths, m),
      i32(c.targetLengths, m),
    );
    await assertMatches(loss, c.loss, m, `CTCLoss ${c.name} with tensor lengths`);
  }
});

Deno.test("ctcLoss gradients match finite differences", async () => {
  const c = (fx.ctc as Case[]).find((c) => c.name === "blank is the last class");
  const targets = tensor(c.targets, { dtype: "int32", device: "cpu" });
  const fn = (lp: Tensor) =>
    F.ctcLoss(lp, targets, c.inputLengths, c.targetLengths, { blank: c.blank, reduction: "sum" });
  assert.equal(await gradcheck(fn, [tensor(c.logits, { dtype: "float64", device: "cpu" }).logSoftmax(2)]), true);
});

Deno.test("ctcLoss rejects impossible lengths, a bad blank and mismatched shapes with clear errors", () => {
  const lp = zeros([4, 2, 3]).logSoftmax(2);
  const t = tensor([[1, 2], [1, 1]], { dtype: "int32" });
  assert.throws(() => F.ctcLoss(lp, t, [4, 1], [2, 2]), /targetLengths\[1\] = 2 is longer than inputLengths\[1\] = 1/);
  assert.throws(() => F.ctcLoss(lp, t, [4, 5], [2, 2]), /inputLengths\[1\] = 5 exceeds the 4 frames/);
  assert.throws(() => F.ctcLoss(lp, t, [4, 4], [2, 2], { blank: 3 }), /blank must be a class index in \[0, 2\]/);
  assert.throws(() => F.ctcLoss(lp, t, [4, -1], [2, 2]), /inputLengths\[1\] must be a non-negative integer, got -1/);
  assert.throws(() => F.ctcLoss(lp, t, [4, 4], [2, -2]), /targetLengths\[1\] must be a non-negative integer/);
  assert.throws(() => F.ctcLoss(lp, t, [4], [2, 2]), /inputLengths must have one entry per batch element \(2\)/);
  assert.throws(() => F.ctcLoss(lp, t.float(), [4, 4], [2, 2]), /targets must be int32/);
  assert.throws(() => F.ctcLoss(lp, tensor([[1, 2]], { dtype: "int32" }), [4, 4], [2, 2]), /must have 2 rows/);
  assert.throws(() => F.ctcLoss(lp, tensor([1, 2, 1], { dtype: "int32" }), [4, 4], [2, 2]), /3 labels but .* sum to 4/);
  assert.throws(() => F.ctcLoss(zeros([4, 3]), t, [4, 4], [2, 2]), /logProbs must be a float tensor \[T, N, C\]/);
});

Deno.test("focalLoss matches torchvision's sigmoid focal loss and the softmax variant", async () => {
  for (const m of MODES) {
    for (const c of fx.focal as Case[]) {
      const x = f(c.logits, m, true);
      const target = c.kind === "binary" ? f(c.target, m) : i32(c.target, m);
      const loss = F.focalLoss(x, target, { alpha: c.alpha, gamma: c.gamma, reduction: c.reduction });
      await assertMatches(loss, c.loss, m, `focal ${c.kind} ${c.reduction}`);
      await assertMatches(grads(loss, [x], c.gradOutput, m)[0], c.grad, m, `focal ${c.kind} ${c.reduction} grad`);
    }
  }
  const b = (fx.focal as Case[])[0];
  const intTarget = tensor(b.target.map((r: number[]) => r.map((v) => (v >= 0.5 ? 1 : 0))), { dtype: "int32" });
  const asFloat = F.focalLoss(f(b.logits, MODES[0]), intTarget.float());
  assert.equal(
    await F.focalLoss(f(b.logits, MODES[0]), intTarget).item(),
    await asFloat.item(),
    "same-shape int is binary",
  );
  assert.throws(() => F.focalLoss(zeros([2, 3]), zeros([3, 2])), /binary target \[3,2\] must have the shape of logits/);
  const c = (fx.focal as Case[])[4];
  const module = new nn.FocalLoss({ alpha: c.alpha, gamma: c.gamma, reduction: c.reduction });
  await assertMatches(module.forward(f(c.logits, MODES[0]), i32(c.target, MODES[0])), c.loss, MODES[0], "FocalLoss");
});

Deno.test("focalLoss and diceLoss have correct second derivatives", async () => {
  const [b, mc] = [(fx.focal as Case[])[0], (fx.focal as Case[])[5]];
  const d64 = (x: NestedArray) => tensor(x, { dtype: "float64", device: "cpu" });
  const bt = d64(b.target), mt = tensor(mc.target, { dtype: "int32", device: "cpu" });
  assert.equal(await gradgradcheck((x) => F.focalLoss(x, bt), [d64(b.logits)]), true);
  assert.equal(await gradgradcheck((x) => F.focalLoss(x, mt, { alpha: mc.alpha, gamma: 3 }), [d64(mc.logits)]), true);
  const dc = (fx.dice as Case[]).find((c) => c.logits && c.target[0][0] % 1 === 0 && c.input[0][0].length);
  const dt = tensor(dc.target, { dtype: "int32", device: "cpu" });
  assert.equal(await gradgradcheck((x) => F.diceLoss(x, dt, { logits: true }), [d64(dc.input)]), true);
});

Deno.test("diceLoss matches the soft Dice formula for probabilities, binary logits and class-index targets", async () => {
  for (const m of MODES) {
    for (const c of fx.dice as Case[]) {
      const x = f(c.input, m, true);
      const target = c.name.startsWith("multi-class") ? i32(c.target, m) : f(c.target, m);
      const loss = F.diceLoss(x, target, { smooth: c.smooth, logits: c.logits, reduction: c.reduction });
      await assertMatches(loss, c.loss, m, `dice ${c.name}`);
      await assertMatches(grads(loss, [x], c.gradOutput, m)[0], c.grad, m, `dice ${c.name} grad`);
    }
  }
  assert.throws(
    () => F.diceLoss(zeros([2, 3]), zeros([2, 4])),
    /diceLoss: target \[2,4\] must have the shape of input/,
  );
  const bad = tensor([[0, 1]], { dtype: "int32" });
  assert.throws(() => F.diceLoss(zeros([1, 3, 4]), bad), /class-index target \[1,2\] must be input \[1,3,4\]/);
});

Deno.test("GAN discriminator and generator losses match torch for every kind", async () => {
  for (const m of MODES) {
    for (const c of fx.gan as Case[]) {
      const real = f(c.real, m, true), fake = f(c.fake, m, true);
      const d = F.ganDiscriminatorLoss(c.kind, real, fake, { reduction: c.reduction });
      await assertMatches(d, c.dLoss, m, `gan D ${c.kind} ${c.reduction}`);
      const [gr, gf] = grad([d], [real, fake]) as Tensor[];
      await assertMatches(gr, c.dGradReal, m, `gan D ${c.kind} real grad`);
      await assertMatches(gf, c.dGradFake, m, `gan D ${c.kind} fake grad`);
      const g = F.ganGeneratorLoss(c.kind, fake, { reduction: c.reduction });
      await assertMatches(g, c.gLoss, m, `gan G ${c.kind} ${c.reduction}`);
      await assertMatches(grad([g], [fake])[0]!, c.gGradFake, m, `gan G ${c.kind} grad`);
    }
  }
  const huge = tensor([1e4, -1e4]);
  assert.ok(Number.isFinite(await F.ganDiscriminatorLoss("minimax", huge, huge).item()), "extreme logits stay finite");
  assert.throws(() => F.ganGeneratorLoss("lsgan" as "hinge", huge), /kind must be one of "minimax"/);
  const d64 = (x: NestedArray) => tensor(x, { dtype: "float64", device: "cpu" });
  const c = (fx.gan as Case[])[0];
  const fn = (r: Tensor, fk: Tensor) => F.ganDiscriminatorLoss("minimax", r, fk).add(F.ganGeneratorLoss("minimax", fk));
  assert.equal(await gradgradcheck(fn, [d64(c.real), d64(c.fake)]), true);
});

Deno.test("vaeLoss matches reconstruction plus beta times the Gaussian KL", async () => {
  for (const m of MODES) {
    for (const c of fx.vae as Case[]) {
      const ins = [f(c.recon, m, true), f(c.mu, m, true), f(c.logvar, m, true)];
      const loss = F.vaeLoss(ins[0], f(c.x, m), ins[1], ins[2], c);
      const what = `vae ${c.reconstruction} beta ${c.beta} ${c.reduction}`;
      await assertMatches(loss, c.loss, m, what);
      const [gr, gm, gl] = grads(loss, ins, c.gradOutput, m);
      await assertMatches(gr, c.gradRecon, m, `${what} recon grad`);
      await assertMatches(gm, c.gradMu, m, `${what} mu grad`);
      await assertMatches(gl, c.gradLogvar, m, `${what} logvar grad`);
    }
  }
  const c = (fx.vae as Case[])[0];
  const d64 = (x: NestedArray) => tensor(x, { dtype: "float64", device: "cpu" });
  const x = d64(c.x);
  const fn = (r: Tensor, mu: Tensor, lv: Tensor) => F.vaeLoss(r, x, mu, lv);
  assert.equal(await gradgradcheck(fn, [d64(c.recon), d64(c.mu), d64(c.logvar)]), true);
  assert.throws(
    () => F.vaeLoss(zeros([2, 3]), zeros([2, 4]), zeros([2, 1]), zeros([2, 1])),
    /recon and x shapes differ/,
  );
  assert.throws(() => F.vaeLoss(zeros([2, 3]), zeros([2, 3]), zeros([3, 1]), zeros([3, 1])), /share the batch dim/);
});

Deno.test("gradientPenalty matches torch's double backward and trains the critic's parameters", async () => {
  const c = fx.gradientPenalty;
  const critic = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => (x: Tensor) =>
    F.linear(F.linear(x, w1, b1).tanh(), w2, b2);
  for (const m of MODES) {
    const ps = [c.w1, c.b1, c.w2, c.b2].map((p) => f(p, m, true));
    const gp = F.gradientPenalty(critic(ps[0], ps[1], ps[2], ps[3]), f(c.real, m), f(c.fake, m), {
      lambda: c.lambda,
      epsilon: f(c.epsilon, m),
    });
    await assertMatches(gp, c.loss, m, "gradient penalty");
    const gs = grad([gp], ps, { allowUnused: true });
    await assertMatches(gs[0]!, c.gradW1, m, "gradient penalty w1 grad");
    await assertMatches(gs[1]!, c.gradB1, m, "gradient penalty b1 grad");
    await assertMatches(gs[2]!, c.gradW2, m, "gradient penalty w2 grad");
    assert.ok(gs[3] === null || (await gs[3].data()).every((v) => v === 0), "b2 does not affect the penalty");
  }
  // finite differences through the critic's parameters, real and fake (double backward)
  const d64 = (x: NestedArray) => tensor(x, { dtype: "float64", device: "cpu" });
  const eps = d64(c.epsilon);
  const fn = (w1: Tensor, b1: Tensor, w2: Tensor, real: Tensor, fake: Tensor) =>
    F.gradientPenalty(critic(w1, b1, w2, zeros([1], { dtype: "float64", device: "cpu" })), real, fake, {
      epsilon: eps,
    });
  const inputs = [c.w1, c.b1, c.w2, c.real, c.fake].map(d64);
  assert.equal(await gradcheck(fn, inputs, { atol: 1e-5, rtol: 1e-4 }), true);
  // a critic module's parameters receive gradients
  class Critic extends nn.Module {
    w = this.param(tensor(c.w1));
    b = this.param(tensor(c.b1));
    v = this.param(tensor(c.w2));
    override forward(x: Tensor): Tensor {
      return F.linear(F.linear(x, this.w, this.b).tanh(), this.v);
    }
  }
  const net = new Critic();
  F.gradientPenalty((x) => net.forward(x), tensor(c.real), tensor(c.fake)).backward();
  for (const p of net.parameters()) assert.ok(p.grad !== null && (await p.grad.data()).some((v) => v !== 0));
  assert.throws(
    () => F.gradientPenalty((x) => x.sum(1), zeros([2, 3]), zeros([3, 3])),
    /real \[2,3\] and fake \[3,3\]/,
  );
});

Deno.test("multiTaskLoss and nn.MultiTaskLoss weight tasks by learned log-variances", async () => {
  for (const m of MODES) {
    for (const c of fx.multitask as Case[]) {
      const losses = (c.losses as number[]).map((v) => f(v, m, true));
      const s = f(c.logVars, m, true);
      const total = F.multiTaskLoss(losses, s, { regression: c.regression });
      await assertMatches(total, c.loss, m, "multi-task");
      const gs = grad([total], [...losses, s]) as Tensor[];
      for (let i = 0; i < losses.length; i++) {
        await assertMatches(gs[i], c.gradLosses[i], m, `multi-task loss ${i} grad`);
      }
      await assertMatches(gs[losses.length], c.gradLogVars, m, "multi-task logVars grad");
    }
  }
  const weighting = new nn.MultiTaskLoss(3, { regression: [true, false, true] });
  assert.deepEqual(weighting.parameters(), [weighting.logVars]);
  weighting.forward([tensor(1), tensor(2), tensor(3)]).backward();
  await assertMatches(weighting.logVars.grad!, [0.5 - 0.5, 1 - 2, 0.5 - 1.5], MODES[0], "MultiTaskLoss logVars grad");
  assert.throws(() => new nn.MultiTaskLoss(2, { regression: [true] }), /regression has 1 flags for 2 tasks/);
  assert.throws(() => F.multiTaskLoss([tensor(1)], zeros([2])), /logVars must have shape \[1\]/);
});

Deno.test("l1Penalty and l2Penalty sum over a parameter list or a module", async () => {
  const a = tensor([1, -2], { requiresGrad: true }), b = tensor([[3]], { requiresGrad: true });
  assert.equal(await F.l1Penalty([a, b]).item(), 6);
  assert.equal(await F.l2Penalty([a, b]).item(), 14);
  assert.equal(await F.l2Penalty([a, b], { half: true }).item(), 7);
  F.l2Penalty([a, b], { half: true }).backward();
  assert.deepEqual(await a.grad!.toArray(), [1, -2]);
  assert.equal(await F.l1Penalty(new nn.MultiTaskLoss(2)).item(), 0);
  assert.throws(() => F.l1Penalty([]), /l1Penalty: no parameters given/);
});
