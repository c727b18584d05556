/**
 * Entries of the op table: movement and construction (flip, roll, tril, einsum, …). Views where
 * PyTorch returns views (diagonal, movedim, unflatten, unbind, meshgrid), copies composed from
 * slices, cat, gather and where otherwise; einsum lowers to diagonals, sums, permutes and matmul.
 * Every case carries PyTorch's form for the fixtures.
 * @module
 */
import type { OpDraft } from "./tensor_ops.ts";

/** einsum cases: the equation first, then the operands (placeholders). */
function einsumCase(equation: string, shapes: number[][]) {
  const names = "abcdefgh".slice(0, shapes.length).split("");
  return {
    shapes,
    args: [equation, ...shapes.map((_, k) => ({ tensor: k }))],
    torch: `torch.einsum('${equation}', ${names.join(", ")})`,
  };
}

/** The entries of this family, by name. */
export const SHAPE_OPS: Readonly<Record<string, OpDraft>> = {
  flip: {
    kind: "movement",
    call: { method: "flip" },
    doc: "A copy reversed along the given dims (one gather per dim).",
    torch: "torch.flip",
    cases: [
      { shapes: [[3, 4]], args: [[0, 1]], torch: "torch.flip(a, [0, 1])" },
      { shapes: [[2, 3, 4]], args: [-2], torch: "torch.flip(a, [-2])" },
    ],
  },
  roll: {
    kind: "movement",
    call: { method: "roll" },
    doc: "Shifts along dims with wrap-around (the flattened tensor without dims): two slices and a cat.",
    torch: "torch.roll",
    cases: [
      { shapes: [[3, 4]], args: [1], torch: "torch.roll(a, 1)" },
      { shapes: [[3, 4]], args: [[1, -2], [0, 1]], torch: "torch.roll(a, (1, -2), (0, 1))" },
      { shapes: [[2, 5]], args: [7, { dims: 1 }], torch: "torch.roll(a, 7, 1)" },
    ],
  },
  tril: {
    kind: "movement",
    call: { method: "tril" },
    doc: "The lower triangle of the last two dims (col − row ≤ diagonal), the rest zeroed.",
    torch: "torch.tril",
    cases: [
      { shapes: [[4, 5]], torch: "torch.tril(a)" },
      { shapes: [[2, 3, 4]], args: [-1], torch: "torch.tril(a, -1)" },
    ],
  },
  triu: {
    kind: "movement",
    call: { method: "triu" },
    doc: "The upper triangle of the last two dims (col − row ≥ diagonal), the rest zeroed.",
    torch: "torch.triu",
    cases: [
      { shapes: [[4, 5]], args: [1], torch: "torch.triu(a, 1)" },
      { shapes: [[3, 3]], args: [{ diagonal: -1 }], torch: "torch.triu(a, -1)" },
    ],
  },
  diag: {
    kind: "movement",
    call: { method: "diag" },
    doc: "1-D → the matrix with it on a diagonal; 2-D → a copy of a diagonal.",
    torch: "torch.diag",
    cases: [
      { shapes: [[4]], torch: "torch.diag(a)" },
      { shapes: [[3]], args: [-2], torch: "torch.diag(a, -2)" },
      { shapes: [[3, 5]], args: [1], torch: "torch.diag(a, 1)" },
    ],
  },
  diagonal: {
    kind: "movement",
    call: { method: "diagonal" },
    doc: "A diagonal over two dims, appended last, as a view (strides add).",
    torch: "torch.diagonal",
    cases: [
      { shapes: [[3, 4]], torch: "torch.diagonal(a)" },
      { shapes: [[2, 3, 4]], args: [-1, 1, 2], torch: "torch.diagonal(a, -1, 1, 2)" },
      { shapes: [[3, 4, 2]], args: [{ offset: 1, dim1: 1, dim2: 0 }], torch: "torch.diagonal(a, 1, 1, 0)" },
    ],
  },
  tile: {
    kind: "movement",
    call: { method: "tile" },
    doc: "Repeats along dims, the reps padded with leading 1s (repeat's broadcast view and reshape).",
    torch: "torch.tile",
    cases: [
      { shapes: [[2, 3]], args: [[2]], torch: "torch.tile(a, (2,))" },
      { shapes: [[2, 3]], args: [[2, 1, 2]], torch: "torch.tile(a, (2, 1, 2))" },
    ],
  },
  repeatInterleave: {
    kind: "movement",
    call: { method: "repeatInterleave" },
    doc: "Each element (slice along dim) repeated in place: a broadcast view, or a gather for per-slice counts.",
    torch: "torch.repeat_interleave",
    cases: [
      { shapes: [[2, 3]], args: [2], torch: "torch.repeat_interleave(a, 2)" },
      { shapes: [[2, 3]], args: [[1, 0, 2], 1], torch: "torch.repeat_interleave(a, torch.tensor([1, 0, 2]), 1)" },
      { shapes: [[3, 2]], args: [3, { dim: 0 }], torch: "torch.repeat_interleave(a, 3, dim=0)" },
    ],
  },
  unflatten: {
    kind: "movement",
    call: { method: "unflatten" },
    doc: "One dim split into several (one may be −1), a view where the strides allow.",
    torch: "torch.unflatten",
    cases: [
      { shapes: [[2, 6]], args: [1, [3, -1]], torch: "torch.unflatten(a, 1, (3, -1))" },
      { shapes: [[6, 2]], args: [-2, [1, 2, 3]], torch: "torch.unflatten(a, -2, (1, 2, 3))" },
    ],
  },
  movedim: {
    kind: "movement",
    call: { method: "movedim" },
    doc: "Dims moved to new positions, the others in order (a view).",
    torch: "torch.movedim",
    cases: [
      { shapes: [[2, 3, 4]], args: [0, 2], torch: "torch.movedim(a, 0, 2)" },
      { shapes: [[2, 3, 4]], args: [[0, 1], [2, 0]], torch: "torch.movedim(a, (0, 1), (2, 0))" },
    ],
  },
  unbind: {
    kind: "movement",
    call: { method: "unbind" },
    doc: "The slices along a dim, that dim removed (views).",
    torch: "torch.unbind",
    cases: [
      { shapes: [[3, 4]], args: [1], torch: "torch.unbind(a, 1)" },
      { shapes: [[2, 3]], torch: "torch.unbind(a)" },
    ],
  },
  meshgrid: {
    kind: "movement",
    call: { fn: "meshgrid" },
    doc: 'Coordinate grids of 1-D tensors, "ij" or "xy" indexing (broadcast views).',
    torch: "torch.meshgrid",
    cases: [
      { shapes: [[3], [4]], args: [{ indexing: "ij" }], torch: "torch.meshgrid(a, b, indexing='ij')" },
      { shapes: [[3], [2], [4]], args: [{ indexing: "xy" }], torch: "torch.meshgrid(a, b, c, indexing='xy')" },
    ],
  },
  einsum: {
    kind: "composite",
    call: { fn: "einsum" },
    doc: "Einstein summation: diagonals, sums and permutes per operand, pairwise batched matmuls.",
    torch: "torch.einsum",
    cases: [
      einsumCase("ij,jk->ik", [[3, 4], [4, 5]]),
      einsumCase("bij,bjk->bik", [[2, 3, 4], [2, 4, 2]]),
      einsumCase("i,j->ij", [[3], [4]]),
      einsumCase("ii->", [[4, 4]]),
      einsumCase("ii->i", [[3, 3]]),
      einsumCase("ij->ji", [[3, 4]]),
      einsumCase("ij->", [[3, 4]]),
      einsumCase("ij->j", [[3, 4]]),
      einsumCase("ij,kj", [[3, 4], [5, 4]]),
      einsumCase("...ij,...jk->...ik", [[2, 3, 4], [4, 5]]),
      einsumCase("bn,anm,bm->ba", [[2, 3], [4, 3, 5], [2, 5]]),
      einsumCase("bi,bi->b", [[3, 4], [3, 4]]),
    ],
  },
};
