/**
 * einsum beyond the generated table tests: PyTorch 1.13's answers for implicit upper-case output,
 * size-1 broadcasting, summed ellipsis dims, spaces and repeated subscripts
 * (tests/fixtures/shape_ops.json) on every device; the common subscripts against the ops they
 * name (matmul, sum, diagonal, transpose); gradients by gradcheck; errors that name the subscript.
 */
import assert from "node:assert/strict";
import { einsum, gradcheck, gradgradcheck, randn, type Tensor } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";
import { testAgainstTorch } from "./_shape_fixture.ts";

testAgainstTorch("einsum", {
  "einsum uppercase implicit": ({ a, b }) => einsum("Ba,aC", a, b),
  "einsum broadcast size one": ({ a, b }) => einsum("ij,ij->ij", a, b),
  "einsum ellipsis summed": ({ a }) => einsum("...ij->ij", a),
  "einsum spaces and repeat": ({ a }) => einsum("b i i -> b", a),
  "einsum trace of product": ({ a, b }) => einsum("ij,ji->", [a, b]),
});

async function same(got: Tensor, want: Tensor): Promise<void> {
  assert.deepEqual(got.shape, want.shape);
  assertClose(await got.data(), await want.data(), { rtol: 1e-5, atol: 1e-5 });
}

Deno.test("einsum agrees with the ops its common subscripts name", async () => {
  const a = randn([3, 4]), b = randn([4, 5]), sq = randn([4, 4]);
  const ba = randn([2, 3, 4]), bb = randn([2, 4, 5]);
  const u = randn([3]), v = randn([4]);
  await same(einsum("ij,jk->ik", a, b), a.matmul(b));
  await same(einsum("ij,jk", a, b), a.matmul(b));
  await same(einsum("bij,bjk->bik", ba, bb), ba.matmul(bb));
  await same(einsum("...ij,...jk->...ik", ba, b), ba.matmul(b));
  await same(einsum("i,j->ij", u, v), u.reshape([3, 1]).mul(v));
  await same(einsum("ii->", sq), sq.diagonal().sum());
  await same(einsum("ii->i", sq), sq.diagonal());
  await same(einsum("ij->ji", a), a.T);
  await same(einsum("ji", a), a.T);
  await same(einsum("ij->", a), a.sum());
  await same(einsum("ij->j", a), a.sum(0));
  await same(einsum("i,i->", v, v), v.mul(v).sum());
  await same(einsum("ij,j->i", a, v), a.matmul(v));
  await same(einsum("bij->bji", ba), ba.transpose(1, 2));
  await same(einsum("ij,jk,kl->il", a, b, b.T), a.matmul(b).matmul(b.T));
});

Deno.test("einsum gradients by gradcheck (float64 on the cpu)", async () => {
  const f64 = (shape: number[]) => randn(shape, { dtype: "float64", device: "cpu" }).requiresGrad_();
  await gradgradcheck((x, y) => einsum("bij,bjk->bik", x, y), [f64([2, 2, 3]), f64([2, 3, 2])]);
  await gradcheck((x) => einsum("ii->", x), [f64([3, 3])]);
  await gradgradcheck((x) => einsum("iji->j", x), [f64([2, 3, 2])]);
  await gradcheck((x, y, z) => einsum("bn,anm,bm->ba", x, y, z), [f64([2, 3]), f64([2, 3, 4]), f64([2, 4])]);
  await gradcheck((x, y) => einsum("...i,...i->...", x, y), [f64([2, 3, 4]), f64([3, 4])]);
  await gradcheck((x, y) => einsum("ij,ij->i", x, y), [f64([3, 1]), f64([3, 4])]);
});

Deno.test("einsum errors name the subscript or operand that is wrong", () => {
  const a = randn([3, 4]), b = randn([5, 6]);
  assert.throws(() => einsum("ij,jk->ik", a), /einsum: 'ij,jk->ik' has subscripts for 2 operand\(s\) but 1 were given/);
  assert.throws(() => einsum("ij,jk->ik", a, b), /einsum: subscript 'j' has size 4 in operand 0 but 5 in operand 1/);
  assert.throws(() => einsum("ijk->i", a), /einsum: operand 0 has 2 dims \[3,4\] but its subscripts 'ijk' name 3/);
  assert.throws(() => einsum("i1->i", a), /einsum: invalid subscript '1' in subscripts of operand 0 'i1'/);
  assert.throws(() => einsum("ij->k", a), /einsum: output subscript 'k' does not appear in any operand/);
  assert.throws(() => einsum("ij->ii", a), /einsum: output subscript 'i' appears more than once in 'ii'/);
  assert.throws(() => einsum("ii->i", a), /einsum: subscript 'i' is repeated in operand 0 over dims of sizes 3 and 4/);
  assert.throws(() => einsum("...i...->i", a), /einsum: subscripts of operand 0 '...i...' has more than one '...'/);
  assert.throws(() => einsum("ij->i->j", a), /einsum: 'ij->i->j' has more than one '->'/);
  assert.throws(() => einsum("ijk...->i", a), /einsum: operand 0 has 2 dims \[3,4\], fewer than the 3 letters/);
  assert.throws(() => einsum("i", 3 as unknown as Tensor), /einsum: operand 0 is not a tensor/);
});
