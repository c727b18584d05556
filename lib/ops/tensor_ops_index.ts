/** Entries of the op table: indexing, scatter and take (at, scatterReduce, indexAdd, …). @module */
import type { OpDraft } from "./tensor_ops.ts";

/** The entries of this family, by name. */
export const INDEX_OPS: Readonly<Record<string, OpDraft>> = {
  // ---- scatter and take (lib/tensor/ops_scatter.ts) ----
  // A plain scatter's winner among repeated indices is unspecified (PyTorch's too), so its cases
  // aim one source per position: index of size 1 along the dim.
  scatter: {
    kind: "index",
    call: { method: "scatter" },
    doc: "A copy with values written at indices along a dim (src tensor or number).",
    torch: "torch.scatter",
    cases: [
      {
        shapes: [[3, 5], [3, 1], [3, 2]],
        indices: { 1: 5 },
        args: [1, { tensor: 1 }, { tensor: 2 }],
        torch: "torch.scatter(a, 1, b, c[:, :1])", // 1.13 mis-shapes the src gradient of a src larger than the index
      },
      {
        shapes: [[4, 3], [1, 3]],
        indices: { 1: 4 },
        args: [0, { tensor: 1 }, 2.5],
        torch: "torch.scatter(a, 0, b, 2.5)",
      },
    ],
  },
  scatterReduce: {
    kind: "index",
    call: { method: "scatterReduce" },
    doc: "Values aimed at one position reduced with it: sum, prod, mean, amax, amin (includeSelf).",
    torch: "torch.scatter_reduce",
    cases: [
      {
        shapes: [[3, 4], [3, 5], [3, 5]],
        indices: { 1: 4 },
        args: [1, { tensor: 1 }, { tensor: 2 }, "sum"],
        torch: "torch.scatter_reduce(a, 1, b, c, 'sum')",
      },
      {
        shapes: [[3, 4], [3, 5], [3, 5]],
        indices: { 1: 4 },
        domain: [0.5, 1.5],
        args: [1, { tensor: 1 }, { tensor: 2 }, "prod"],
        torch: "torch.scatter_reduce(a, 1, b, c, 'prod')",
      },
      {
        shapes: [[4, 3], [6, 3], [6, 3]],
        indices: { 1: 4 },
        domain: [0.5, 1.5],
        args: [0, { tensor: 1 }, { tensor: 2 }, "prod", { includeSelf: false }],
        torch: "torch.scatter_reduce(a, 0, b, c, 'prod', include_self=False)",
      },
      {
        shapes: [[4, 3], [6, 3], [6, 3]],
        indices: { 1: 4 },
        args: [0, { tensor: 1 }, { tensor: 2 }, "mean"],
        torch: "torch.scatter_reduce(a, 0, b, c, 'mean')",
      },
      {
        shapes: [[3, 5], [3, 4], [3, 4]],
        indices: { 1: 5 },
        args: [1, { tensor: 1 }, { tensor: 2 }, "mean", { includeSelf: false }],
        torch: "torch.scatter_reduce(a, 1, b, c, 'mean', include_self=False)",
      },
      {
        shapes: [[3, 4], [3, 6], [3, 6]],
        indices: { 1: 4 },
        args: [1, { tensor: 1 }, { tensor: 2 }, "amax"],
        torch: "torch.scatter_reduce(a, 1, b, c, 'amax')",
      },
      {
        shapes: [[3, 4], [3, 3], [4, 5]],
        indices: { 1: 4 },
        args: [1, { tensor: 1 }, { tensor: 2 }, "amin", { includeSelf: false }],
        torch: "torch.scatter_reduce(a, 1, b, c[:3, :3], 'amin', include_self=False)",
      },
    ],
  },
  indexAdd: {
    kind: "index",
    call: { method: "indexAdd" },
    doc: "alpha · source added at the slices a 1-D index names (repeats accumulate).",
    torch: "torch.index_add",
    cases: [
      {
        shapes: [[5, 3], [4], [4, 3]],
        indices: { 1: 5 },
        args: [0, { tensor: 1 }, { tensor: 2 }],
        torch: "torch.index_add(a, 0, b, c)",
      },
      {
        shapes: [[3, 5], [2], [3, 2]],
        indices: { 1: 5 },
        args: [1, { tensor: 1 }, { tensor: 2 }, { alpha: -1.5 }],
        torch: "torch.index_add(a, 1, b, c, alpha=-1.5)",
      },
    ],
  },
  indexCopy: {
    kind: "index",
    call: { method: "indexCopy" },
    doc: "The slices a 1-D index names replaced by the source's.",
    torch: "torch.index_copy",
    cases: [{
      shapes: [[5, 3], [1], [1, 3]],
      indices: { 1: 5 },
      args: [0, { tensor: 1 }, { tensor: 2 }],
      torch: "torch.index_copy(a, 0, b, c)",
    }],
  },
  indexFill: {
    kind: "index",
    call: { method: "indexFill" },
    doc: "The slices a 1-D index names set to a value.",
    torch: "torch.index_fill",
    cases: [
      {
        shapes: [[4, 3], [3]],
        indices: { 1: 4 },
        args: [0, { tensor: 1 }, -1],
        torch: "torch.index_fill(a, 0, b, -1.0)",
      },
      {
        shapes: [[2, 5], [2]],
        indices: { 1: 5 },
        args: [1, { tensor: 1 }, 0.5],
        torch: "torch.index_fill(a, 1, b, 0.5)",
      },
    ],
  },
  maskedScatter: {
    kind: "index",
    call: { method: "maskedScatter" },
    doc:
      "Positions where a (broadcast) mask is true filled in order from a source (a cumsum of the mask and a gather).",
    torch: "torch.masked_scatter",
    cases: [
      { shapes: [[3, 4], [3, 4], [12]], indices: { 1: 2 }, torch: "a.masked_scatter(b.bool(), c)" },
      { shapes: [[3, 4], [4], [3, 5]], indices: { 1: 2 }, torch: "a.masked_scatter(b.bool(), c)" },
    ],
  },
  take: {
    kind: "index",
    call: { method: "take" },
    doc: "Elements of the flattened tensor at indices of any shape.",
    torch: "torch.take",
    cases: [{ shapes: [[3, 4], [2, 3]], indices: { 1: 12 }, torch: "torch.take(a, b)" }],
  },
  takeAlongDim: {
    kind: "index",
    call: { method: "takeAlongDim" },
    doc: "gather after broadcasting input and indices off the dim (flattened without a dim).",
    torch: "torch.take_along_dim",
    cases: [
      { shapes: [[3, 4], [3, 2]], indices: { 1: 4 }, args: [1], torch: "torch.take_along_dim(a, b, 1)" },
      { shapes: [[3, 4], [2, 1]], indices: { 1: 3 }, args: [0], torch: "torch.take_along_dim(a, b, 0)" },
      { shapes: [[3, 4], [5]], indices: { 1: 12 }, torch: "torch.take_along_dim(a, b)" },
    ],
  },
};
