/**
 * Classification losses against PyTorch goldens (tests/fixtures/make_losses_classification.py):
 * values and input gradients in float32 on the default device and float64 on cpu, gradchecks,
 * the fused cross-entropy kernel against the cpu one, and bad inputs.
 */
import type { Device } from "../../mod.ts";
import assert from "node:assert/strict";
import { F, getDefaultDevice, grad, gradcheck, nn, type Tensor, tensor } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

interface Arg {
  data: number[];
  shape: number[];
  dtype: "float" | "int32";
}
interface Case {
  name: string;
  fn: string;
  args: Arg[];
  options: Record<string, unknown>;
  value: (number | null)[];
  shape: number[];
  grads: (number[] | null)[];
}

const raw: { cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/losses_classification.json", import.meta.url)),
);
/** The cases with NaN values (stored as null in JSON) restored. */
const fixture = { cases: raw.cases.map((c) => ({ ...c, value: c.value.map((v) => v ?? NaN) })) };

const CAMEL: Record<string, string> = {
  cross_entropy: "crossEntropy",
  nll_loss: "nllLoss",
  binary_cross_entropy: "binaryCrossEntropy",
  binary_cross_entropy_with_logits: "binaryCrossEntropyWithLogits",
  soft_margin_loss: "softMarginLoss",
  multilabel_soft_margin_loss: "multilabelSoftMarginLoss",
  multi_margin_loss: "multiMarginLoss",
  multilabel_margin_loss: "multilabelMarginLoss",
  hinge_embedding_loss: "hingeEmbeddingLoss",
};
const MODULES: Record<string, string> = {
  cross_entropy: "CrossEntropyLoss",
  nll_loss: "NLLLoss",
  binary_cross_entropy: "BCELoss",
  binary_cross_entropy_with_logits: "BCEWithLogitsLoss",
  soft_margin_loss: "SoftMarginLoss",
  multilabel_soft_margin_loss: "MultiLabelSoftMarginLoss",
  multi_margin_loss: "MultiMarginLoss",
  multilabel_margin_loss: "MultiLabelMarginLoss",
  hinge_embedding_loss: "HingeEmbeddingLoss",
};
type LossFn = (input: Tensor, target: Tensor, options?: Record<string, unknown>) => Tensor;
const fns = F as unknown as Record<string, LossFn>;

type Setup = { dtype: "float32" | "float64"; device: Device; rtol: number; atol: number };
const SETUPS: Setup[] = [
  { dtype: "float32", device: getDefaultDevice(), rtol: 1e-5, atol: 1e-5 },
  { dtype: "float64", device: "cpu", rtol: 1e-9, atol: 1e-10 },
];

function build(c: Case, s: Setup) {
  const args = c.args.map((a) =>
    tensor(a.data, { dtype: a.dtype === "float" ? s.dtype : "int32", device: s.device }).reshape(a.shape)
  );
  const options: Record<string, unknown> = { ...c.options };
  for (const k of ["weight", "posWeight"]) {
    if (options[k]) options[k] = tensor(options[k] as number[], { dtype: s.dtype, device: s.device });
  }
  return { args, options };
}

async function check(c: Case & { value: number[] }, s: Setup, useModule: boolean): Promise<void> {
  const { args, options } = build(c, s);
  const diff = args.filter((_, i) => c.grads[i] !== null);
  for (const a of diff) a.requiresGrad_();
  const out = useModule
    ? (new (nn as unknown as Record<string, new (o: unknown) => nn.Module>)[MODULES[c.fn]](options) as unknown as {
      forward: LossFn;
    }).forward(args[0], args[1])
    : fns[CAMEL[c.fn]](args[0], args[1], options);
  assert.deepEqual(out.shape, c.shape, `${c.name}: shape`);
  assertClose(await out.data(), c.value, {
    rtol: s.rtol,
    atol: s.atol,
    what: `${c.name} value (${s.dtype} ${s.device})`,
  });
  if (diff.length === 0 || c.value.some(Number.isNaN)) return;
  const grads = grad([out.sum()], diff);
  let k = 0;
  for (let i = 0; i < args.length; i++) {
    if (c.grads[i] === null) continue;
    assertClose(await grads[k++]!.data(), c.grads[i]!, {
      rtol: s.rtol,
      atol: s.atol,
      what: `${c.name} grad of arg ${i} (${s.dtype} ${s.device})`,
    });
  }
}

for (const s of SETUPS) {
  Deno.test(`classification losses match PyTorch in ${s.dtype} on ${s.device}`, async () => {
    for (const c of fixture.cases) await check(c, s, false);
  });
}

Deno.test("classification loss modules give the functional values", async () => {
  for (const c of fixture.cases) await check(c, SETUPS[1], true);
});

Deno.test("every classification loss passes gradcheck", async () => {
  const seen = new Set<string>();
  for (const c of fixture.cases) {
    if (seen.has(c.fn) || c.name.includes("extreme") || c.name.includes("saturated")) continue;
    seen.add(c.fn);
    const { args, options } = build(c, SETUPS[1]);
    const diff = args.filter((_, i) => c.grads[i] !== null);
    const fn = (...xs: Tensor[]) => {
      let k = 0;
      const all = args.map((a, i) => (c.grads[i] !== null ? xs[k++] : a));
      return fns[CAMEL[c.fn]](all[0], all[1], { ...options, reduction: "sum" });
    };
    assert.equal(await gradcheck(fn, diff), true, c.name);
  }
  assert.equal(seen.size, 9);
});

Deno.test("crossEntropy and BCE with logits support double backward", async () => {
  const x = tensor([[0.2, -1, 0.5], [1.5, 0.3, -0.7]], { dtype: "float64", device: "cpu", requiresGrad: true });
  const t = tensor([2, 0], { dtype: "int32", device: "cpu" });
  const w = tensor([0.5, 2, 1], { dtype: "float64", device: "cpu" });
  const ce = (z: Tensor) => F.crossEntropy(z, t, { weight: w, labelSmoothing: 0.1 });
  const y = tensor([[1, 0, 0.5], [0, 1, 1]], { dtype: "float64", device: "cpu" });
  const bce = (z: Tensor) => F.binaryCrossEntropyWithLogits(z, y, { posWeight: w });
  for (const f of [ce, bce]) {
    const [g] = grad([f(x)], [x], { createGraph: true });
    const [gg] = grad([g!.square().sum()], [x]);
    // finite differences of |∇f|² along each coordinate
    const h = 1e-6;
    const base = await x.data();
    const gsq = async (v: Float64Array) => {
      const z = tensor(v, { dtype: "float64", device: "cpu", requiresGrad: true }).reshape([2, 3]);
      const [gz] = grad([f(z)], [z]);
      return await gz!.square().sum().item();
    };
    const got = await gg!.data();
    for (let i = 0; i < base.length; i++) {
      const p = Float64Array.from(base), m = Float64Array.from(base);
      p[i] += h;
      m[i] -= h;
      const fd = ((await gsq(p)) - (await gsq(m))) / (2 * h);
      assert.ok(Math.abs(got[i] - fd) < 1e-5, `element ${i}: ${got[i]} vs ${fd}`);
    }
  }
});

Deno.test("the default device's cross-entropy kernel matches the cpu one", async () => {
  const rows = 37, classes = 300;
  const data = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i * 12.9898) * 8);
  const targets = Int32Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? -100 : (i * 7919) % classes));
  const weight = Float32Array.from({ length: classes }, (_, i) => 0.5 + (i % 7) / 4);
  const run = async (device: Device) => {
    const x = tensor(data, { device, requiresGrad: true }).reshape([rows, classes]);
    const t = tensor(targets, { device, dtype: "int32" });
    const w = tensor(weight, { device });
    const l = F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.05, reduction: "none" });
    const [g] = grad([l], [x], {
      gradOutputs: [tensor(Float32Array.from({ length: rows }, (_, i) => i / 10), { device })],
    });
    return { l: await l.data(), g: await g!.data() };
  };
  const cpu = await run("cpu");
  const dev = await run(getDefaultDevice());
  const s: Setup = { dtype: "float32", device: "cpu", rtol: 1e-5, atol: 1e-5 };
  assertClose(dev.l, Array.from(cpu.l), { rtol: s.rtol, atol: s.atol, what: "loss" });
  assertClose(dev.g, Array.from(cpu.g), { rtol: s.rtol, atol: s.atol, what: "grad" });
});

function f32(data: number[]): Tensor {
  return tensor(data, { dtype: "float32" });
}

Deno.test("classification losses reject bad inputs with errors naming the loss", async () => {
  const dev = getDefaultDevice();
  const x = tensor([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]);
  const t = tensor([0, 1], { dtype: "int32" });
  const later = async (f: () => Tensor, re: RegExp) => {
    if (dev === "cpu") assert.throws(() => f(), re);
    else await assert.rejects(async () => await f().item(), re);
  };
  await later(() => F.crossEntropy(x, tensor([0, 3], { dtype: "int32" })), /crossEntropy.*3/);
  await later(() => F.crossEntropy(x, tensor([-1, 0], { dtype: "int32" })), /crossEntropy.*-1/);
  await later(() => F.nllLoss(x, tensor([0, 5], { dtype: "int32" })), /nllLoss.*5/);
  await later(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), f32([1, 0])), /binaryCrossEntropy.*\[0, 1\]/);
  await later(() => F.multiMarginLoss(x, tensor([0, 4], { dtype: "int32" })), /multiMarginLoss.*4/);
  assert.throws(() => F.crossEntropy(x, tensor([0, 1, 2], { dtype: "int32" })), /crossEntropy.*\[3\].*\[2\]/);
  assert.throws(() => F.nllLoss(x, f32([0, 1])), /nllLoss.*int32.*float32/);
  assert.throws(() => F.crossEntropy(x, t, { weight: f32([1, 2]) }), /crossEntropy.*weight.*\[3\].*\[2\]/);
  assert.throws(() => F.nllLoss(x, t, { weight: f32([1, 2, 3, 4]) }), /nllLoss.*weight.*\[4\]/);
  assert.throws(() => F.crossEntropy(x, tensor([[0.5, 0.5]])), /crossEntropy.*\[1,2\]/);
  assert.throws(() => F.binaryCrossEntropyWithLogits(x, f32([1, 0])), /binaryCrossEntropyWithLogits.*\[2\]/);
  assert.throws(() => F.binaryCrossEntropy(x, x, { weight: f32([1, 2]) }), /binaryCrossEntropy.*weight.*\[2\]/);
  assert.throws(() => F.crossEntropy(x, t, { labelSmoothing: 1.5 }), /crossEntropy.*labelSmoothing.*1\.5/);
  assert.throws(() => F.multiMarginLoss(x, t, { p: 3 as 1 }), /multiMarginLoss.*p.*3/);
  // the loss stays usable after a deferred error
  assert.ok(Number.isFinite(await F.crossEntropy(x, t).item()));
});
