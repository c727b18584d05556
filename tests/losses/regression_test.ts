/**
 * Regression, embedding and probabilistic losses against PyTorch 1.13: values and input gradients
 * from tests/fixtures/losses_regression.json (made by make_losses_regression.py), in float32 on the
 * default device and float64 on cpu; gradchecks of every loss; the module forms; bad inputs.
 */
import assert from "node:assert/strict";
import { F, gradcheck, nn, type Tensor, tensor } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

interface Arr {
  data: number[];
  shape: number[];
}
interface Case {
  name: string;
  fn: string;
  args: Arr[];
  options: Record<string, unknown>;
  value: number[];
  shape: number[];
  upstream: Arr;
  grads: (number[] | null)[];
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/losses_regression.json", import.meta.url)),
) as { cases: Case[] };

type LossFn = (...args: [Tensor, Tensor, ...unknown[]]) => Tensor;
const LOSSES: Record<string, { fn: LossFn }> = {
  l1Loss: { fn: F.l1Loss as LossFn },
  mseLoss: { fn: F.mseLoss as LossFn },
  huberLoss: { fn: F.huberLoss as LossFn },
  smoothL1Loss: { fn: F.smoothL1Loss as LossFn },
  klDiv: { fn: F.klDiv as LossFn },
  cosineEmbeddingLoss: { fn: F.cosineEmbeddingLoss as LossFn },
  marginRankingLoss: { fn: F.marginRankingLoss as LossFn },
  tripletMarginLoss: { fn: F.tripletMarginLoss as LossFn },
  tripletMarginWithDistanceLoss: { fn: F.tripletMarginWithDistanceLoss as LossFn },
  poissonNllLoss: { fn: F.poissonNllLoss as LossFn },
  gaussianNllLoss: { fn: F.gaussianNllLoss as LossFn },
};

const DISTANCES: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  cosine: (a, b) => F.cosineSimilarity(a, b, { dim: -1 }).neg().add(1),
  l1: (a, b) => a.sub(b).abs().sum(-1),
};

function options(c: Case): Record<string, unknown> {
  const o = { ...c.options };
  if (typeof o.distanceFunction === "string") o.distanceFunction = DISTANCES[o.distanceFunction];
  return o;
}

function call(c: Case, args: Tensor[]): Tensor {
  return LOSSES[c.fn].fn(...(args as [Tensor, Tensor]), options(c));
}

async function checkCase(c: Case, dtype: "float32" | "float64", device: "cpu" | undefined, rtol: number, atol: number) {
  const args = c.args.map((a, i) =>
    tensor(a.data, { dtype, device }).reshape(a.shape).requiresGrad_(c.grads[i] !== null)
  );
  const out = call(c, args);
  assert.deepEqual(out.shape, c.shape, `${c.name}: output shape`);
  assertClose(await out.data(), c.value, { rtol, atol, what: `${c.name} value` });
  if (out.ndim === 0) out.backward();
  else out.backward(tensor(c.upstream.data, { dtype, device }).reshape(c.upstream.shape));
  for (let i = 0; i < args.length; i++) {
    const want = c.grads[i];
    if (want) assertClose(await args[i].grad!.data(), want, { rtol, atol, what: `${c.name} grad of arg ${i}` });
  }
}

/**
 * The fixture data, except variances of gaussianNllLoss kept above its `eps`: torch clamps them
 * without differentiating the clamp, so finite differences cannot agree where the clamp acts.
 */
function gradcheckable(c: Case, arg: number, data: number[]): number[] {
  if (c.fn !== "gaussianNllLoss" || arg !== 2) return data;
  const floor = ((c.options.eps as number | undefined) ?? 1e-6) + 0.05;
  return data.map((v) => Math.max(v, floor));
}

for (const fn of Object.keys(LOSSES)) {
  const cases = fixture.cases.filter((c) => c.fn === fn);
  Deno.test(`F.${fn} matches torch values and gradients in float32 on the default device`, async () => {
    assert.ok(cases.length > 0);
    for (const c of cases) await checkCase(c, "float32", undefined, 1e-5, 1e-6);
  });
  Deno.test(`F.${fn} matches torch values and gradients in float64 on cpu`, async () => {
    for (const c of cases) await checkCase(c, "float64", "cpu", 1e-9, 1e-12);
  });
  Deno.test(`F.${fn} passes gradcheck for every fixture case`, async () => {
    for (const c of cases) {
      const fixed = c.args.map((a, i) =>
        tensor(gradcheckable(c, i, a.data), { dtype: "float64", device: "cpu" }).reshape(a.shape)
      );
      const free = c.grads.flatMap((g, i) => (g ? [i] : []));
      const f = (...xs: Tensor[]) => call(c, fixed.map((t, i) => (free.includes(i) ? xs[free.indexOf(i)] : t)));
      assert.equal(await gradcheck(f, free.map((i) => fixed[i])), true, c.name);
    }
  });
}

/** A float32 tensor (integer literals would otherwise make int32). */
function ft(data: number | NestedNumbers, device?: "cpu"): Tensor {
  return tensor(data, { dtype: "float32", device });
}
type NestedNumbers = number[] | NestedNumbers[];

Deno.test("every regression loss module forwards to its functional form with its options", async () => {
  const x = ft([[0.5, -2], [3, 0.1]]), y = ft([[0, 0.5], [-1, 0.2]]), v = ft([[1, 0.5], [2, 0.1]]);
  const pairs: [Tensor, Tensor][] = [
    [new nn.L1Loss({ reduction: "sum" }).forward(x, y), F.l1Loss(x, y, { reduction: "sum" })],
    [new nn.MSELoss().forward(x, y), F.mseLoss(x, y)],
    [new nn.HuberLoss({ delta: 0.7 }).forward(x, y), F.huberLoss(x, y, { delta: 0.7 })],
    [new nn.SmoothL1Loss({ beta: 0 }).forward(x, y), F.smoothL1Loss(x, y, { beta: 0 })],
    [
      new nn.KLDivLoss({ reduction: "batchmean", logTarget: true }).forward(x, y),
      F.klDiv(x, y, { reduction: "batchmean", logTarget: true }),
    ],
    [
      new nn.CosineEmbeddingLoss({ margin: 0.2 }).forward(x, y, ft([1, -1])),
      F.cosineEmbeddingLoss(x, y, ft([1, -1]), { margin: 0.2 }),
    ],
    [
      new nn.MarginRankingLoss({ margin: 0.5, reduction: "none" }).forward(x, y, ft([[1, -1], [-1, 1]])),
      F.marginRankingLoss(x, y, ft([[1, -1], [-1, 1]]), { margin: 0.5, reduction: "none" }),
    ],
    [
      new nn.TripletMarginLoss({ p: 1, swap: true }).forward(x, y, v),
      F.tripletMarginLoss(x, y, v, { p: 1, swap: true }),
    ],
    [
      new nn.TripletMarginWithDistanceLoss({ distanceFunction: DISTANCES.l1, margin: 3 }).forward(x, y, v),
      F.tripletMarginWithDistanceLoss(x, y, v, { distanceFunction: DISTANCES.l1, margin: 3 }),
    ],
    [
      new nn.PoissonNLLLoss({ logInput: false, full: true }).forward(v, y.abs().mul(4)),
      F.poissonNllLoss(v, y.abs().mul(4), { logInput: false, full: true }),
    ],
    [new nn.GaussianNLLLoss({ full: true }).forward(x, y, v), F.gaussianNllLoss(x, y, v, { full: true })],
  ];
  for (const [m, f] of pairs) assert.deepEqual(await m.data(), await f.data());
  assert.equal(new nn.KLDivLoss({ reduction: "batchmean" }).reduction, "batchmean");
  assert.equal(new nn.HuberLoss().reduction, "mean");
});

Deno.test("pointwise regression losses reject targets of another shape, naming both shapes", () => {
  const x = ft([[1], [2], [3]]), y = ft([1, 2, 3]);
  for (const f of [F.l1Loss, F.mseLoss, F.huberLoss, F.smoothL1Loss]) {
    assert.throws(() => f(x, y), (e: Error) => e instanceof RangeError && /\[3,1\].*\[3\]/.test(e.message));
  }
  assert.throws(() => new nn.MSELoss().forward(y, x), /mseLoss: input \[3\] and target \[3,1\]/);
});

Deno.test("losses reject bad option values and reduction strings", () => {
  const x = ft([1, 2]), y = ft([0, 1]), t = ft([1, -1]);
  for (const delta of [0, -1, NaN, Infinity]) {
    assert.throws(() => F.huberLoss(x, y, { delta }), RangeError);
    assert.throws(() => new nn.HuberLoss({ delta }), /HuberLoss: delta/);
  }
  for (const beta of [-0.5, NaN]) {
    assert.throws(() => F.smoothL1Loss(x, y, { beta }), /smoothL1Loss: beta must be a finite number >= 0/);
    assert.throws(() => new nn.SmoothL1Loss({ beta }), RangeError);
  }
  assert.throws(() => F.cosineEmbeddingLoss(x, y, ft(1), { margin: NaN }), /margin/);
  assert.throws(() => F.marginRankingLoss(x, y, t, { margin: Infinity }), /marginRankingLoss: margin/);
  for (const p of [0, -2, NaN]) assert.throws(() => F.tripletMarginLoss(x, y, x, { p }), /p must be a number > 0/);
  assert.throws(() => F.tripletMarginWithDistanceLoss(x, y, x, { margin: 0 }), /margin must be a finite number > 0/);
  assert.throws(() => new nn.TripletMarginWithDistanceLoss({ margin: -1 }), RangeError);
  assert.throws(() => F.poissonNllLoss(x, y, { eps: -1 }), /poissonNllLoss: eps/);
  assert.throws(() => F.gaussianNllLoss(x, y, x, { eps: 0 }), /gaussianNllLoss: eps/);
  assert.throws(() => F.klDiv(x, y, { logTarget: "yes" as unknown as boolean }), TypeError);
  const bad = { reduction: "avg" as "mean" };
  for (const f of [F.l1Loss, F.mseLoss, F.huberLoss, F.smoothL1Loss, F.klDiv, F.poissonNllLoss]) {
    assert.throws(() => f(x, y, bad), (e: Error) => e instanceof TypeError && /"avg"/.test(e.message));
  }
  assert.throws(() => F.mseLoss(x, y, { reduction: "batchmean" as "mean" }), TypeError);
  assert.throws(() => F.tripletMarginLoss(x, y, x, bad), /tripletMarginLoss: reduction/);
  assert.throws(() => F.gaussianNllLoss(x, y, x, bad), /gaussianNllLoss: reduction/);
  assert.throws(() => new nn.KLDivLoss({ reduction: "avg" as "mean" }), /KLDivLoss: reduction/);
  assert.throws(() => new nn.PoissonNLLLoss(bad), TypeError);
});

Deno.test("losses reject inputs of the wrong rank or dtype", () => {
  const a = ft([[1, 2], [3, 4]]), b = ft([[1, 0], [0, 1]]);
  assert.throws(() => F.cosineEmbeddingLoss(a, b, ft(1)), /0-D target \[\] expects two 1-D inputs/);
  assert.throws(() => F.cosineEmbeddingLoss(a, b, ft([1, 1, 1])), /cosineEmbeddingLoss/);
  assert.throws(() => F.cosineEmbeddingLoss(a, b, ft([[1, 1]])), /multi-target/);
  assert.throws(() => F.marginRankingLoss(a, b, ft([1, -1])), /same number of dims/);
  assert.throws(() => F.tripletMarginLoss(a, b, ft([1, 2])), /tripletMarginLoss: anchor, positive and negative/);
  const ints = tensor([1, 2], { dtype: "int32" });
  assert.throws(() => F.mseLoss(ints, ints), (e: Error) => e instanceof TypeError && /int32/.test(e.message));
});

Deno.test("gaussianNllLoss rejects a var that fits none of torch's broadcasting rules", () => {
  const x = ft([[1, 2, 3], [4, 5, 6]]);
  for (const v of [ft([1, 1, 1]), ft([[1, 1]]), ft([[[1]], [[1]]])]) {
    assert.throws(() => F.gaussianNllLoss(x, x, v), /gaussianNllLoss: var \[.*\] does not fit input \[2,3\]/);
  }
});

Deno.test("gaussianNllLoss throws at once on cpu for a negative variance", () => {
  const x = ft([1, 2, 3], "cpu"), v = ft([1, -0.5, 2], "cpu");
  assert.throws(() => F.gaussianNllLoss(x, x, v), /gaussianNllLoss: var \[3\] has a negative entry \(element 1\)/);
});

Deno.test("gaussianNllLoss reports a negative variance on the default device by the next readback", async () => {
  const x = ft([1, 2, 3, 4]), v = ft([1, 2, 3, -1]);
  await assert.rejects(async () => {
    const loss = F.gaussianNllLoss(x, x, v);
    await loss.item();
  }, /gaussianNllLoss: var \[4\] has a negative entry \(element 3\)/);
  // the fault is consumed: later work is unaffected
  assert.equal(await F.gaussianNllLoss(x, x, v.abs()).data().then((d) => Number.isFinite(d[0])), true);
});
