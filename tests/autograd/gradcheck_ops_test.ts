/**
 * Gradient checks of every differentiable op: one line per op, each comparing autograd with
 * float64 finite differences on the cpu backend (gradcheck rebuilds its inputs there).
 * Inputs come from a seeded randn, kept small and away from non-differentiable points.
 */
import assert from "node:assert/strict";
import {
  cat,
  embedding,
  F,
  gradcheck,
  type GradcheckOptions,
  gradgradcheck,
  manualSeed,
  matmul,
  pad,
  randn,
  stack,
  type Tensor,
  tensor,
  where,
} from "../../mod.ts";

type Fn = (...xs: Tensor[]) => Tensor | readonly Tensor[];

let seed = 1;
/** A fresh seeded standard-normal cpu tensor (each call draws from its own seed). */
function rn(shape: number[]): Tensor {
  manualSeed(seed++);
  return randn(shape, { device: "cpu" });
}
/** Values bounded away from 0: |x| in [0.5, 1.5] with random sign. */
function awayFromZero(shape: number[]): Tensor {
  const x = rn(shape);
  return x.sign().mul(x.abs().clamp(null, 1).add(0.5));
}
/** Positive values in [0.5, 2.5]. */
function positive(shape: number[]): Tensor {
  return rn(shape).abs().clamp(null, 2).add(0.5);
}
/** An int32 index tensor. */
function idx(values: number[] | number[][] | number[][][]): Tensor {
  return tensor(values, { dtype: "int32", device: "cpu" });
}

/** Registers a test that `fn` passes gradcheck at `inputs` (built lazily). */
function check(name: string, fn: Fn, inputs: () => Tensor[], options?: GradcheckOptions): void {
  Deno.test(`gradcheck: ${name} has correct gradients`, async () => {
    assert.equal(await gradcheck(fn, inputs(), options), true);
  });
}
/** Registers a test that `fn` passes gradgradcheck (second derivatives) at `inputs`. */
function check2(name: string, fn: Fn, inputs: () => Tensor[], options?: GradcheckOptions): void {
  Deno.test(`gradgradcheck: ${name} has correct second derivatives`, async () => {
    assert.equal(await gradgradcheck(fn, inputs(), options), true);
  });
}

Deno.test("gradcheck rejects a wrong gradient, naming the input and the element", async () => {
  // x * detach(x) has derivative 2x, but autograd sees only x
  await assert.rejects(gradcheck((x) => x.mul(x.detach()), [rn([3])]), /gradcheck: .*input 0 \(shape \[3\]\) element/);
});

// ---- binary elementwise (with broadcasting) ----------------------------------------------
check("add", (a, b) => a.add(b), () => [rn([2, 3]), rn([3])]);
check("add of a scalar", (a) => a.add(2.5), () => [rn([2, 3])]);
check("sub", (a, b) => a.sub(b), () => [rn([2, 1]), rn([2, 3])]);
check("mul", (a, b) => a.mul(b), () => [rn([2, 3]), rn([2, 3])]);
check("mul with broadcasting", (a, b) => a.mul(b), () => [rn([3, 1, 2]), rn([4, 1])]);
check("div", (a, b) => a.div(b), () => [rn([2, 3]), awayFromZero([2, 3])]);
check("div of a scalar by a tensor", (b) => b.reciprocal().mul(3), () => [awayFromZero([4])]);
check("pow with a tensor exponent", (a, b) => a.pow(b), () => [positive([2, 3]), rn([2, 3])]);
check("pow with a scalar exponent", (a) => a.pow(2.5), () => [positive([2, 3])]);
check("pow with an integer exponent on negative bases", (a) => a.pow(3), () => [rn([5])]);
check("maximum", (a, b) => a.maximum(b), () => [rn([2, 3]), rn([2, 3])]);
check("minimum", (a, b) => a.minimum(b), () => [rn([2, 3]), rn([3])]);
check(
  "remainder",
  (a, b) => a.remainder(b),
  () => [tensor([0.3, 1.7, -2.2, 5.1], { device: "cpu" }), tensor([1, 1.5, 2, -2], { device: "cpu" })],
);
check("where", (c, a, b) => where(c, a, b), () => [rn([2, 3]).gt(0), rn([2, 3]), rn([3])]);
check("maskedFill", (a) => a.maskedFill(tensor([true, false, true], { device: "cpu" }), 0), () => [rn([2, 3])]);

// ---- unary elementwise -------------------------------------------------------------------
check("neg", (x) => x.neg(), () => [rn([2, 3])]);
check("exp", (x) => x.exp(), () => [rn([2, 3])]);
check("log", (x) => x.log(), () => [positive([2, 3])]);
check("log1p", (x) => x.log1p(), () => [positive([2, 3])]);
check("expm1", (x) => x.expm1(), () => [rn([2, 3])]);
check("sqrt", (x) => x.sqrt(), () => [positive([2, 3])]);
check("rsqrt", (x) => x.rsqrt(), () => [positive([2, 3])]);
check("reciprocal", (x) => x.reciprocal(), () => [awayFromZero([2, 3])]);
check("square", (x) => x.square(), () => [rn([2, 3])]);
check("abs", (x) => x.abs(), () => [awayFromZero([2, 3])]);
check("sin", (x) => x.sin(), () => [rn([2, 3])]);
check("cos", (x) => x.cos(), () => [rn([2, 3])]);
check("tanh", (x) => x.tanh(), () => [rn([2, 3])]);
check("sigmoid", (x) => x.sigmoid(), () => [rn([2, 3])]);
check("relu", (x) => x.relu(), () => [awayFromZero([2, 3])]);
check("leakyRelu", (x) => x.leakyRelu(0.2), () => [awayFromZero([2, 3])]);
check("gelu (erf form)", (x) => x.gelu(), () => [rn([2, 3])]);
check("gelu (tanh form)", (x) => x.gelu({ approximate: "tanh" }), () => [rn([2, 3])]);
check("softplus", (x) => x.softplus(), () => [rn([2, 3])]);
check(
  "softplus with beta and threshold",
  (x) => x.softplus({ beta: 2, threshold: 1 }),
  () => [tensor([-1, 0.2, 0.8, 3], { device: "cpu" })],
);
check("erf", (x) => x.erf(), () => [rn([2, 3])]);
check("clamp", (x) => x.clamp(-0.5, 0.5), () => [tensor([-1.2, -0.3, 0.1, 0.4, 0.9, 2], { device: "cpu" })]);
check(
  "clamp with only a lower bound",
  (x) => x.clamp(0.25),
  () => [tensor([-1.2, -0.3, 0.1, 0.4, 0.9, 2], { device: "cpu" })],
);
// cast: gradcheck's dtype is float64, so a round trip through float32 needs a coarse step
check("cast through float32", (x) => x.cast("float32").mul(2).cast("float64"), () => [rn([3])], {
  eps: 1e-2,
  atol: 1e-3,
});

// ---- reductions --------------------------------------------------------------------------
check("sum over all", (x) => x.sum(), () => [rn([2, 3])]);
check("sum over a dim", (x) => x.sum(1), () => [rn([2, 3, 2])]);
check("sum over dims with keepdim", (x) => x.sum([0, -1], { keepdim: true }), () => [rn([2, 3, 2])]);
check("mean over all", (x) => x.mean(), () => [rn([2, 3])]);
check("mean over a negative dim with keepdim", (x) => x.mean(-1, { keepdim: true }), () => [rn([2, 3])]);
check("prod over all", (x) => x.prod(), () => [awayFromZero([2, 3])]);
check("prod over a dim", (x) => x.prod(0), () => [awayFromZero([3, 2])]);
check("prod over a dim with keepdim", (x) => x.prod(1, { keepdim: true }), () => [awayFromZero([2, 3])]);
check("max over all", (x) => x.max(), () => [rn([2, 3])]);
check("max over a dim", (x) => x.max(1), () => [rn([2, 3])]);
check("max over dims with keepdim", (x) => x.max([0, 2], { keepdim: true }), () => [rn([2, 3, 2])]);
check("min over all", (x) => x.min(), () => [rn([2, 3])]);
check("min over a dim", (x) => x.min(0), () => [rn([2, 3])]);
check("maxWithIndices", (x) => x.maxWithIndices(1).values, () => [rn([3, 4])]);
check("maxWithIndices with keepdim", (x) => x.maxWithIndices(0, { keepdim: true }).values, () => [rn([3, 4])]);
check("minWithIndices", (x) => x.minWithIndices(-1).values, () => [rn([3, 4])]);
check("var over all", (x) => x.var(), () => [rn([2, 3])]);
check("var over a dim", (x) => x.var(1, { keepdim: true }), () => [rn([2, 4])]);
check("var without correction", (x) => x.var(0, { correction: 0 }), () => [rn([3, 2])]);
check("std over all", (x) => x.std(), () => [rn([2, 3])]);
check("std over a dim", (x) => x.std(-1), () => [rn([2, 4])]);
check("logsumexp over all", (x) => x.logsumexp(), () => [rn([2, 3])]);
check("logsumexp over a dim", (x) => x.logsumexp(1), () => [rn([2, 3])]);
check("logsumexp with keepdim", (x) => x.logsumexp(0, { keepdim: true }), () => [rn([2, 3])]);
check("norm p=1", (x) => x.norm(1), () => [awayFromZero([2, 3])]);
check("norm p=2", (x) => x.norm(), () => [rn([2, 3])]);
check("norm p=2 over a dim", (x) => x.norm(2, 1), () => [rn([2, 3])]);
check("norm p=3", (x) => x.norm(3, -1, { keepdim: true }), () => [awayFromZero([2, 3])]);
check("norm p=inf", (x) => x.norm(Infinity, 0), () => [rn([3, 2])]);
check("softmax", (x) => x.softmax(1), () => [rn([2, 4])]);
check("softmax over dim 0", (x) => x.softmax(0), () => [rn([3, 2])]);
check("logSoftmax", (x) => x.logSoftmax(-1), () => [rn([2, 4])]);
check("F.softmax and F.logSoftmax", (x) => [F.softmax(x, 0), F.logSoftmax(x, 1)], () => [rn([2, 3])]);

// ---- movement ----------------------------------------------------------------------------
check("reshape", (x) => x.reshape([3, -1]), () => [rn([2, 3])]);
check(
  "reshape of a transposed tensor (copy)",
  (x) => x.T.reshape([6]).mul(tensor([1, 2, 3, 4, 5, 6], { dtype: "float64", device: "cpu" })),
  () => [rn([2, 3])],
);
check("view", (x) => x.view([6]), () => [rn([2, 3])]);
check("transpose", (x) => x.transpose(0, 2), () => [rn([2, 3, 2])]);
check("permute", (x) => x.permute([2, 0, 1]), () => [rn([2, 3, 2])]);
check("expand", (x) => x.expand([2, 3, 4]), () => [rn([3, 1])]);
check("expandAs", (x, y) => x.expandAs(y).mul(y), () => [rn([1, 3]), rn([2, 3])]);
check("squeeze", (x) => x.squeeze(), () => [rn([2, 1, 3, 1])]);
check("squeeze of one dim", (x) => x.squeeze(1), () => [rn([2, 1, 3, 1])]);
check("unsqueeze", (x) => x.unsqueeze(-1), () => [rn([2, 3])]);
check("flatten", (x) => x.flatten(1), () => [rn([2, 3, 2])]);
check("contiguous", (x) => x.T.contiguous(), () => [rn([2, 3])]);
check("clone", (x) => x.clone(), () => [rn([2, 3])]);
check("slice with offsets", (x) => x.slice([1, 3], [0, 2]), () => [rn([4, 3])]);
check("slice with step 2", (x) => x.slice(null, [1, undefined, 2]), () => [rn([2, 6])]);
check("slice with negative bounds and step 3", (x) => x.slice([-4, -1, 3]), () => [rn([7, 2])]);
check("slice with an index", (x) => x.slice(1, [0, 3, 2]), () => [rn([3, 4])]);
check("narrow", (x) => x.narrow(1, 1, 2), () => [rn([2, 4])]);
check("select", (x) => x.select(1, -1), () => [rn([2, 3])]);
check("split", (x) => x.split(2, 1), () => [rn([2, 5])]);
check("split with sizes", (x) => x.split([1, 2], 0), () => [rn([3, 2])]);
check("chunk", (x) => x.chunk(3, 0), () => [rn([5, 2])]);
check("repeat", (x) => x.repeat([2, 1, 3]), () => [rn([2, 2])]);
check("a reshape of a slice of a transpose", (x) => x.T.slice([1, 3]).reshape([-1]), () => [rn([2, 4])]);

// ---- linear algebra ----------------------------------------------------------------------
check("matmul 2-D", (a, b) => a.matmul(b), () => [rn([2, 3]), rn([3, 4])]);
check("matmul vector·vector", (a, b) => a.matmul(b), () => [rn([3]), rn([3])]);
check("matmul vector·matrix", (a, b) => a.matmul(b), () => [rn([3]), rn([3, 2])]);
check("matmul matrix·vector", (a, b) => a.matmul(b), () => [rn([2, 3]), rn([3])]);
check("matmul batched with broadcasting", (a, b) => matmul(a, b), () => [rn([2, 1, 3, 4]), rn([3, 4, 2])]);
check("matmul batched·vector", (a, b) => a.matmul(b), () => [rn([2, 2, 3]), rn([3])]);
check("matmul of transposed operands", (a, b) => a.T.matmul(b.T), () => [rn([3, 2]), rn([4, 3])]);
check("F.linear", (x, w, b) => F.linear(x, w, b), () => [rn([2, 3]), rn([4, 3]), rn([4])]);
check("F.linear without bias on 3-D input", (x, w) => F.linear(x, w), () => [rn([2, 2, 3]), rn([2, 3])]);

// ---- indexing ----------------------------------------------------------------------------
check("gather", (x, i) => x.gather(1, i), () => [rn([2, 3]), idx([[0, 2, 2, 1], [1, 1, 0, 0]])]);
check("gather along dim 0 with a smaller index", (x, i) => x.gather(0, i), () => [rn([3, 3]), idx([[2, 0], [1, 1]])]);
check("scatterAdd", (x, i, s) => x.scatterAdd(1, i, s), () => [rn([2, 3]), idx([[0, 2, 0], [1, 1, 2]]), rn([2, 3])]);
check(
  "scatterAdd with a smaller index than src",
  (x, i, s) => x.scatterAdd(0, i, s),
  () => [rn([3, 2]), idx([[2, 0]]), rn([2, 2])],
);
check("indexSelect", (x, i) => x.indexSelect(0, i), () => [rn([3, 2]), idx([2, 0, 2, 1])]);
check("indexSelect along dim 1", (x, i) => x.indexSelect(1, i), () => [rn([2, 3]), idx([1, 1])]);
check("embedding", (i, w) => embedding(i, w), () => [idx([[0, 3], [3, 1]]), rn([4, 2])]);
check("F.embedding", (i, w) => F.embedding(i, w), () => [idx([2, 0]), rn([3, 2])]);

// ---- combining ---------------------------------------------------------------------------
check("cat", (a, b) => cat([a, b], 1), () => [rn([2, 3]), rn([2, 1])]);
check("cat of three along dim 0", (a, b, c) => cat([a, b, c]), () => [rn([1, 2]), rn([2, 2]), rn([1, 2])]);
check("stack", (a, b) => stack([a, b], -1), () => [rn([2, 3]), rn([2, 3])]);
check("pad", (x) => pad(x, [1, 2, 0, 1]), () => [rn([2, 3])]);
check("pad with a value", (x) => F.pad(x, [2, 0], 3), () => [rn([2, 3])]);

// ---- neural-network ops ------------------------------------------------------------------
check("F.conv2d", (x, w) => F.conv2d(x, w), () => [rn([1, 2, 4, 4]), rn([3, 2, 2, 2])]);
check(
  "F.conv2d with stride, padding and bias",
  (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }),
  () => [rn([2, 2, 4, 3]), rn([2, 2, 3, 3]), rn([2])],
);
check(
  "F.conv2d with dilation",
  (x, w) => F.conv2d(x, w, null, { dilation: 2 }),
  () => [rn([1, 1, 5, 5]), rn([2, 1, 2, 2])],
);
check(
  "F.conv2d with groups=2",
  (x, w, b) => F.conv2d(x, w, b, { groups: 2, padding: [1, 0] }),
  () => [rn([1, 4, 3, 3]), rn([2, 2, 2, 2]), rn([2])],
);
check("F.maxPool2d", (x) => F.maxPool2d(x, 2), () => [rn([1, 2, 4, 4])]);
check(
  "F.maxPool2d with stride and padding",
  (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  () => [rn([1, 1, 5, 4])],
);
check("F.avgPool2d", (x) => F.avgPool2d(x, 2), () => [rn([1, 2, 4, 4])]);
check("F.avgPool2d with padding", (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }), () => [rn([1, 1, 4, 5])]);
check(
  "F.avgPool2d with countIncludePad false",
  (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  () => [rn([1, 1, 4, 5])],
);
check("F.layerNorm", (x) => F.layerNorm(x, [3]), () => [rn([2, 3])]);
check(
  "F.layerNorm with weight and bias",
  (x, w, b) => F.layerNorm(x, [2, 3], w, b),
  () => [rn([2, 2, 3]), rn([2, 3]), rn([2, 3])],
);
check("F.cosineSimilarity", (a, b) => F.cosineSimilarity(a, b), () => [rn([2, 3]), rn([2, 3])]);
check("F.cosineSimilarity along dim 0", (a, b) => F.cosineSimilarity(a, b, { dim: 0 }), () => [rn([3, 2]), rn([3, 1])]);
check("F.dropout with a fixed seed", (x) => {
  manualSeed(123);
  return F.dropout(x, 0.4);
}, () => [rn([3, 4])]);
check("F.relu, F.gelu, F.sigmoid, F.tanh, F.leakyRelu and F.softplus", (x) => [
  F.relu(x),
  F.gelu(x, { approximate: "tanh" }),
  F.sigmoid(x),
  F.tanh(x),
  F.leakyRelu(x, 0.1),
  F.softplus(x),
], () => [awayFromZero([4])]);

// ---- compositions ------------------------------------------------------------------------
check("a two-layer MLP with a cross-entropy-like loss", (x, w1, w2) => {
  const h = x.matmul(w1).tanh();
  return h.matmul(w2).logSoftmax(1).select(1, 0).mean().neg();
}, () => [rn([3, 4]), rn([4, 5]), rn([5, 3])]);
check("an op using its input twice", (x) => x.mul(x.sin()).add(x.exp().sum()), () => [rn([3])]);

// ---- second derivatives ------------------------------------------------------------------
check2("matmul", (a, b) => a.matmul(b), () => [rn([2, 3]), rn([3, 2])]);
check2("batched matmul", (a, b) => a.matmul(b), () => [rn([2, 2, 3]), rn([3, 2])]);
check2("tanh", (x) => x.tanh(), () => [rn([4])]);
check2("sigmoid", (x) => x.sigmoid(), () => [rn([4])]);
check2("mul", (a, b) => a.mul(b), () => [rn([2, 3]), rn([3])]);
check2("div", (a, b) => a.div(b), () => [rn([3]), awayFromZero([3])]);
check2("sum", (x) => x.mul(x).sum(1), () => [rn([2, 3])]);
check2("pow with a scalar exponent", (x) => x.pow(3), () => [positive([4])]);
check2("pow with a tensor exponent", (a, b) => a.pow(b), () => [positive([3]), rn([3])]);
check2("sqrt", (x) => x.sqrt(), () => [positive([4])]);
check2("norm", (x) => x.norm(), () => [rn([2, 3])]);
check2("norm over a dim", (x) => x.norm(2, 1), () => [rn([2, 3])]);
check2("exp", (x) => x.exp(), () => [rn([4])]);
check2("log", (x) => x.log(), () => [positive([4])]);
check2("softmax", (x) => x.softmax(1), () => [rn([2, 3])]);
check2("logSoftmax", (x) => x.logSoftmax(1), () => [rn([2, 3])]);
check2("gelu", (x) => x.gelu(), () => [rn([4])]);
check2("layerNorm", (x) => F.layerNorm(x, [3]), () => [rn([2, 3])]);
check2("slice", (x) => x.slice(null, [0, 3, 2]).square(), () => [rn([2, 4])]);
check2("gather", (x, i) => x.gather(1, i).square(), () => [rn([2, 3]), idx([[0, 2], [1, 1]])]);
check2("cat", (a, b) => cat([a, b]).square(), () => [rn([1, 2]), rn([2, 2])]);
check2("conv2d", (x, w) => F.conv2d(x, w, null, { padding: 1 }), () => [rn([1, 1, 3, 3]), rn([1, 1, 2, 2])]);
check2("maxPool2d", (x) => F.maxPool2d(x, 2).square(), () => [rn([1, 1, 2, 4])]);
