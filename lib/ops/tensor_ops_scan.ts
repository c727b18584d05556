/**
 * Entries of the op table: scans, sorting and selection (cumsum, sort, topk, …), and the ops whose
 * result shape depends on the values (nonzero, maskedSelect, unique: async, so their gradients are
 * checked in tests/ops/scan_sort_test.ts rather than by the generated gradcheck). Every case
 * carries PyTorch's form for the fixtures; a result `{ values, indices }` is PyTorch's
 * `(values, indices)` tuple. Random float operands have no ties, so every backend (and PyTorch)
 * agrees on the indices; ties, NaN and empty dims are in scan_sort_test.ts.
 * @module
 */
import type { OpDraft } from "./tensor_ops.ts";

/** The entries of this family, by name. */
export const SCAN_OPS: Readonly<Record<string, OpDraft>> = {
  cumsum: {
    kind: "scan",
    call: { method: "cumsum" },
    doc: "Cumulative sum along a dim (a log-step scan of slices and adds).",
    torch: "torch.cumsum",
    cases: [
      { shapes: [[3, 7]], args: [1], torch: "torch.cumsum(a, 1)" },
      { shapes: [[5, 2, 3]], args: [{ dim: 0 }], torch: "torch.cumsum(a, 0)" },
      { shapes: [[4]], args: [-1], torch: "torch.cumsum(a, -1)" },
    ],
  },
  cumprod: {
    kind: "scan",
    call: { method: "cumprod" },
    doc: "Cumulative product along a dim; the gradient is exact with zeros in the input.",
    torch: "torch.cumprod",
    cases: [
      { shapes: [[3, 6]], args: [1], torch: "torch.cumprod(a, 1)" },
      { shapes: [[5, 2]], args: [0], torch: "torch.cumprod(a, 0)" },
    ],
  },
  cummax: {
    kind: "scan",
    call: { method: "cummax" },
    doc: "Running maximum and its position (latest on ties, NaN propagates); gradient through gather.",
    torch: "torch.cummax",
    cases: [
      { shapes: [[3, 7]], args: [1], torch: "tuple(torch.cummax(a, 1))" },
      { shapes: [[6, 2]], args: [0], torch: "tuple(torch.cummax(a, 0))" },
    ],
  },
  cummin: {
    kind: "scan",
    call: { method: "cummin" },
    doc: "Running minimum and its position (latest on ties, NaN propagates).",
    torch: "torch.cummin",
    cases: [{ shapes: [[3, 7]], args: [-1], torch: "tuple(torch.cummin(a, -1))" }],
  },
  logcumsumexp: {
    kind: "scan",
    call: { method: "logcumsumexp" },
    doc: "log of the cumulative sum of exp, as a scan of log-add-exp (stable).",
    torch: "torch.logcumsumexp",
    cases: [
      { shapes: [[3, 6]], args: [1], domain: [-5, 5], torch: "torch.logcumsumexp(a, 1)" },
      { shapes: [[5, 2]], args: [0], torch: "torch.logcumsumexp(a, 0)" },
    ],
  },
  sort: {
    kind: "scan",
    call: { method: "sort" },
    doc: "Stable sort along a dim (NaN largest), values and positions; gradient scattered back.",
    torch: "torch.sort",
    cases: [
      { shapes: [[3, 7]], torch: "tuple(torch.sort(a))" },
      { shapes: [[4, 3, 5]], args: [0, true], torch: "tuple(torch.sort(a, 0, True))" },
      { shapes: [[2, 9]], args: [{ dim: 1, descending: true, stable: true }], torch: "tuple(torch.sort(a, 1, True))" },
    ],
  },
  argsort: {
    kind: "scan",
    call: { method: "argsort" },
    doc: "Positions that sort along a dim.",
    torch: "torch.argsort",
    grad: false,
    cases: [
      { shapes: [[3, 7]], torch: "torch.argsort(a)" },
      { shapes: [[5, 3]], args: [0, true], torch: "torch.argsort(a, 0, True)" },
    ],
  },
  topk: {
    kind: "scan",
    call: { method: "topk" },
    doc: "The k largest (or smallest) along a dim, sorted, and their positions.",
    torch: "torch.topk",
    cases: [
      { shapes: [[3, 7]], args: [3], torch: "tuple(torch.topk(a, 3))" },
      { shapes: [[6, 2]], args: [2, 0, false], torch: "tuple(torch.topk(a, 2, 0, False))" },
      { shapes: [[2, 5]], args: [5, { dim: 1, largest: false }], torch: "tuple(torch.topk(a, 5, 1, False))" },
    ],
  },
  kthvalue: {
    kind: "scan",
    call: { method: "kthvalue" },
    doc: "The k-th smallest along a dim and its position.",
    torch: "torch.kthvalue",
    cases: [
      { shapes: [[3, 7]], args: [2], torch: "tuple(torch.kthvalue(a, 2))" },
      { shapes: [[5, 3]], args: [5, 0, true], torch: "tuple(torch.kthvalue(a, 5, 0, True))" },
    ],
  },
  median: {
    kind: "scan",
    call: { method: "median" },
    doc: "Lower median: of all elements (0-d), or along a dim with its position; NaN propagates.",
    torch: "torch.median",
    cases: [
      { shapes: [[3, 6]], torch: "torch.median(a)" },
      { shapes: [[3, 6]], args: [1], torch: "tuple(torch.median(a, 1))" },
      { shapes: [[5, 2, 3]], args: [{ dim: 0, keepdim: true }], torch: "tuple(torch.median(a, 0, True))" },
    ],
  },
  mode: {
    kind: "scan",
    call: { method: "mode" },
    doc: "Most frequent value along a dim (smallest on ties) and its last position.",
    torch: "torch.mode",
    cases: [
      { shapes: [[3, 6]], torch: "tuple(torch.mode(a))" },
      { shapes: [[4, 3]], args: [0, true], torch: "tuple(torch.mode(a, 0, True))" },
    ],
  },
  nonzero: {
    kind: "scan",
    call: { method: "nonzero" },
    doc: "Positions of the non-zero elements, int32 [n, ndim] (async: reads back).",
    torch: "torch.nonzero",
    grad: false,
    cases: [
      { shapes: [[4, 5]], indices: { 0: 3 }, torch: "torch.nonzero(a).int()" },
      { shapes: [[2, 3, 4]], indices: { 0: 2 }, args: [{ asTuple: true }], torch: "torch.nonzero(a, as_tuple=True)" },
    ],
  },
  maskedSelect: {
    kind: "scan",
    call: { method: "maskedSelect" },
    doc: "Elements where a broadcast bool mask is true, 1-D (async: reads back).",
    torch: "torch.masked_select",
    grad: false,
    cases: [
      { shapes: [[3, 5], [3, 5]], indices: { 1: 2 }, torch: "torch.masked_select(a, b.bool())" },
      { shapes: [[3, 5], [5]], indices: { 1: 2 }, torch: "torch.masked_select(a, b.bool())" },
    ],
  },
  unique: {
    kind: "scan",
    call: { method: "unique" },
    doc: "Distinct values, sorted, with inverse positions and counts (async: reads back).",
    torch: "torch.unique",
    grad: false,
    cases: [
      { shapes: [[4, 5]], indices: { 0: 6 }, torch: "torch.unique(a)" },
      {
        shapes: [[12]],
        indices: { 0: 4 },
        args: [{ returnInverse: true, returnCounts: true }],
        torch: "torch.unique(a, return_inverse=True, return_counts=True)",
      },
    ],
  },
};
