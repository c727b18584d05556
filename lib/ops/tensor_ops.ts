/**
 * Entries of the op table beyond elementwise: reductions (the backend's reduce primitives carry
 * their combining op and identity), scans, indexing and scatter, movement, and composites built
 * from other ops. Each holds how it is called, its doc line, PyTorch's name and the cases the
 * generated tests run (every backend against the reference, gradcheck, gradgradcheck).
 * @module
 */
import type { OpKind, ScalarType } from "./entry.ts";
import { SCAN_OPS } from "./tensor_ops_scan.ts";
import { SHAPE_OPS } from "./tensor_ops_shape.ts";
import { INDEX_OPS } from "./tensor_ops_index.ts";
import { NN_OPS } from "./tensor_ops_nn.ts";
import { LINALG_OPS } from "./tensor_ops_linalg.ts";

/** One test case: operand shapes and the arguments that follow the tensors. */
export interface OpCase {
  /** Shapes of the tensor operands, in order; float values from `domain` unless `indices` names the operand. */
  readonly shapes: readonly (readonly number[])[];
  /**
   * Arguments after the tensor operands, as the method or function takes them; where the
   * signature puts operands elsewhere (`x.gather(dim, index)`), `{ tensor: k }` places operand k
   * and the list is then the whole argument list (after the receiver of a method).
   */
  readonly args?: readonly unknown[];
  /** Operands (by position) that hold int32 indices in `[0, bound)`, and their bound. */
  readonly indices?: Readonly<Record<number, number>>;
  /** Where float operands are drawn from (default [-2, 2]). */
  readonly domain?: readonly [number, number];
  /**
   * PyTorch's form of the case, a Python expression of the operands `a`, `b`, `c`, … (in order) and
   * `torch`/`F`, for the golden fixtures (`deno task fixtures:tensor-ops`). A tuple or list result
   * stands for several outputs, in the order denograd returns them.
   */
  readonly torch?: string;
}

/** How an op is called: a `Tensor` method on the first operand, or a function of `mod.ts`. */
export type OpCall =
  | { readonly method: string }
  | { readonly fn: string; /** Whether the tensor operands go in one array (cat, stack). */ readonly list?: boolean };

/** A non-elementwise op of the table. */
export interface TensorOpEntry {
  readonly kind: Exclude<OpKind, "elementwise">;
  readonly call: OpCall;
  readonly doc: string;
  /** PyTorch's name (`torch.sum`, `Tensor.index_select`, `F.conv2d`). */
  readonly torch: string;
  /** Whether gradients flow to the float operands. */
  readonly grad: boolean;
  /** Whether the gradient is itself differentiable (gradgradcheck). */
  readonly gradgrad: boolean;
  readonly cases: readonly OpCase[];
}

/**
 * A reduction primitive of the backends: `combine` (an elementwise entry) folds two partial
 * results, starting from `identity`; integer and bool sums and products accumulate in int32.
 */
export interface ReducePrimitive {
  readonly combine: "add" | "mul" | "maximum" | "minimum";
  readonly identity: Readonly<Record<ScalarType, number>>;
  /** Whether bool and int32 inputs accumulate in int32 (sum, prod) rather than in their own type. */
  readonly widensToInt: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The backends' reduce primitives, by name (the `ReduceOp` union). */
export const REDUCE_PRIMITIVES = {
  sum: { combine: "add", identity: { float: 0, int: 0, bool: 0 }, widensToInt: true },
  prod: { combine: "mul", identity: { float: 1, int: 1, bool: 1 }, widensToInt: true },
  max: { combine: "maximum", identity: { float: -Infinity, int: INT32_MIN, bool: 0 }, widensToInt: false },
  min: { combine: "minimum", identity: { float: Infinity, int: INT32_MAX, bool: 1 }, widensToInt: false },
} as const satisfies Record<string, ReducePrimitive>;

/** A reduction primitive's name. */
export type ReduceOp = keyof typeof REDUCE_PRIMITIVES;

const DIMS: readonly OpCase[] = [
  { shapes: [[3, 5]] },
  { shapes: [[3, 5]], args: [1] },
  { shapes: [[2, 3, 4]], args: [[0, 2], { keepdim: true }] },
  { shapes: [[4, 3]], args: [-2] },
];

/** Reductions and the softmax family. */
const REDUCTIONS = {
  sum: { call: { method: "sum" }, doc: "Sum over dims.", torch: "torch.sum", cases: DIMS },
  mean: { call: { method: "mean" }, doc: "Mean over dims.", torch: "torch.mean", cases: DIMS },
  prod: {
    call: { method: "prod" },
    doc: "Product over dims (the gradient divides by the inputs, so they must be non-zero).",
    torch: "torch.prod",
    cases: [{ shapes: [[3, 4]], domain: [0.5, 1.5] }, { shapes: [[3, 4]], args: [1], domain: [0.5, 1.5] }],
  },
  amax: {
    call: { method: "max" },
    doc: "Maximum over dims; ties share the gradient.",
    torch: "torch.amax",
    cases: DIMS,
  },
  amin: {
    call: { method: "min" },
    doc: "Minimum over dims; ties share the gradient.",
    torch: "torch.amin",
    cases: DIMS,
  },
  argmax: {
    call: { method: "argmax" },
    doc: "Index of the first maximum (of the flattened tensor when no dim).",
    torch: "torch.argmax",
    grad: false,
    cases: [{ shapes: [[3, 5]] }, { shapes: [[3, 5]], args: [1] }, {
      shapes: [[2, 3, 4]],
      args: [0, { keepdim: true }],
    }],
  },
  argmin: {
    call: { method: "argmin" },
    doc: "Index of the first minimum.",
    torch: "torch.argmin",
    grad: false,
    cases: [{ shapes: [[3, 5]], args: [1] }],
  },
  logsumexp: {
    call: { method: "logsumexp" },
    doc: "log Σ exp(x), shifted by the max for stability.",
    torch: "torch.logsumexp",
    cases: [{ shapes: [[3, 5]], args: [1] }, { shapes: [[2, 3, 4]], args: [[0, 2], { keepdim: true }] }],
  },
  var: {
    call: { method: "var" },
    doc: "Variance with `correction` (default 1, Bessel).",
    torch: "torch.var",
    cases: [{ shapes: [[3, 5]], args: [1] }, { shapes: [[4, 3]], args: [0, { correction: 0, keepdim: true }] }],
  },
  std: {
    call: { method: "std" },
    doc: "Standard deviation with `correction` (default 1).",
    torch: "torch.std",
    cases: [{ shapes: [[3, 5]], args: [1] }],
  },
  norm: {
    call: { method: "norm" },
    doc: "p-norm over dims (2 by default; 1, Infinity and other positive p).",
    torch: "torch.linalg.vector_norm",
    cases: [{ shapes: [[3, 5]] }, { shapes: [[3, 5]], args: [2, 1] }, { shapes: [[3, 5]], args: [1, 1] }, {
      shapes: [[3, 4]],
      args: [3, 0],
      domain: [0.3, 2],
    }],
  },
  softmax: {
    call: { method: "softmax" },
    doc: "Softmax along a dim (one pass forward and backward where the backend has the kernel).",
    torch: "torch.softmax",
    cases: [{ shapes: [[3, 7]], args: [1] }, { shapes: [[4, 3, 2]], args: [0] }],
  },
  logSoftmax: {
    call: { method: "logSoftmax" },
    doc: "log(softmax(x)) along a dim, computed stably.",
    torch: "torch.log_softmax",
    cases: [{ shapes: [[3, 7]], args: [1] }, { shapes: [[4, 3, 2]], args: [-2] }],
  },
} as const;

/** Views and copies that move elements. */
const MOVEMENT = {
  reshape: {
    call: { method: "reshape" },
    doc: "A new shape (one dim may be −1); copies only when it must.",
    torch: "Tensor.reshape",
    cases: [{ shapes: [[3, 4]], args: [[2, -1]] }, { shapes: [[3, 4]], args: [[12]] }],
  },
  transpose: {
    call: { method: "transpose" },
    doc: "Swaps two dims (a view).",
    torch: "Tensor.transpose",
    cases: [{ shapes: [[2, 3, 4]], args: [0, 2] }],
  },
  permute: {
    call: { method: "permute" },
    doc: "Reorders dims (a view).",
    torch: "Tensor.permute",
    cases: [{ shapes: [[2, 3, 4]], args: [[2, 0, 1]] }],
  },
  expand: {
    call: { method: "expand" },
    doc: "Broadcasts size-1 dims without copying.",
    torch: "Tensor.expand",
    cases: [{ shapes: [[3, 1]], args: [[3, 4]] }, { shapes: [[4]], args: [[2, 4]] }],
  },
  squeeze: {
    call: { method: "squeeze" },
    doc: "Removes size-1 dims (all, or the given ones).",
    torch: "Tensor.squeeze",
    cases: [{ shapes: [[3, 1, 2]] }, { shapes: [[3, 1, 2]], args: [1] }],
  },
  unsqueeze: {
    call: { method: "unsqueeze" },
    doc: "Inserts a size-1 dim.",
    torch: "Tensor.unsqueeze",
    cases: [{ shapes: [[3, 2]], args: [1] }, { shapes: [[3, 2]], args: [-1] }],
  },
  flatten: {
    call: { method: "flatten" },
    doc: "Flattens a range of dims into one.",
    torch: "Tensor.flatten",
    cases: [{ shapes: [[2, 3, 4]] }, { shapes: [[2, 3, 4]], args: [1] }],
  },
  narrow: {
    call: { method: "narrow" },
    doc: "A slice of one dim (a view).",
    torch: "Tensor.narrow",
    cases: [{ shapes: [[5, 3]], args: [0, 1, 3] }],
  },
  slice: {
    call: { method: "slice" },
    doc: "Python-style slicing with steps and negatives, one range per dim (a view).",
    torch: "Tensor.__getitem__",
    cases: [{ shapes: [[6, 5]], args: [[1, null, 2], [-3, null]] }],
  },
  select: {
    call: { method: "select" },
    doc: "One index of a dim, removing the dim (a view).",
    torch: "Tensor.select",
    cases: [{ shapes: [[4, 3]], args: [1, 2] }],
  },
  repeat: {
    call: { method: "repeat" },
    doc: "Tiles the tensor along each dim.",
    torch: "Tensor.repeat",
    cases: [{ shapes: [[2, 3]], args: [[2, 1]] }],
  },
  contiguous: {
    call: { method: "contiguous" },
    doc: "A row-major copy, or the same storage when already contiguous.",
    torch: "Tensor.contiguous",
    cases: [{ shapes: [[3, 4]] }],
  },
  clone: {
    call: { method: "clone" },
    doc: "A copy with its own storage.",
    torch: "Tensor.clone",
    cases: [{ shapes: [[3, 4]] }],
  },
  cat: {
    call: { fn: "cat", list: true },
    doc: "Joins tensors along an existing dim.",
    torch: "torch.cat",
    cases: [{ shapes: [[2, 3], [4, 3]] }, { shapes: [[2, 3], [2, 1]], args: [1] }],
  },
  stack: {
    call: { fn: "stack", list: true },
    doc: "Joins tensors along a new dim.",
    torch: "torch.stack",
    cases: [{ shapes: [[2, 3], [2, 3]], args: [1] }],
  },
  pad: {
    call: { fn: "pad" },
    doc: "Constant padding of trailing dims (F.pad).",
    torch: "F.pad",
    cases: [{ shapes: [[2, 3]], args: [[1, 2]] }, { shapes: [[2, 3]], args: [[1, 0, 0, 2], 1.5] }],
  },
} as const;

/** Indexing, gathering and scattering. */
const INDEXING = {
  gather: {
    call: { method: "gather" },
    doc: "Values at indices along a dim (torch.gather).",
    torch: "torch.gather",
    cases: [{ shapes: [[3, 4], [3, 2]], indices: { 1: 4 }, args: [1, { tensor: 1 }] }],
  },
  indexSelect: {
    call: { method: "indexSelect" },
    doc: "Slices picked by a 1-D index along a dim.",
    torch: "torch.index_select",
    cases: [{ shapes: [[4, 3], [5]], indices: { 1: 4 }, args: [0, { tensor: 1 }] }],
  },
  scatterAdd: {
    call: { method: "scatterAdd" },
    doc: "A copy with values added at indices along a dim (torch.scatter_add).",
    torch: "torch.scatter_add",
    cases: [{ shapes: [[3, 4], [3, 5], [3, 5]], indices: { 1: 4 }, args: [1, { tensor: 1 }, { tensor: 2 }] }],
  },
} as const;

/** Ops composed from the others: products, convolution, pooling, normalization. */
const COMPOSITE = {
  matmul: {
    call: { method: "matmul" },
    doc: "Matrix product with torch's 1-D and batch-broadcasting rules.",
    torch: "torch.matmul",
    cases: [{ shapes: [[3, 4], [4, 5]] }, { shapes: [[2, 3, 4], [4, 2]] }, { shapes: [[4], [4, 3]] }],
  },
  linear: {
    call: { fn: "linear" },
    doc: "x·Wᵀ + b (F.linear).",
    torch: "F.linear",
    cases: [{ shapes: [[3, 4], [5, 4], [5]] }],
  },
  conv2d: {
    call: { fn: "conv2d" },
    doc: "2-D convolution (stride, padding, dilation, groups) as im2col + matmul.",
    torch: "F.conv2d",
    cases: [{ shapes: [[1, 2, 5, 5], [3, 2, 3, 3], [3]] }, {
      shapes: [[2, 4, 5, 4], [4, 2, 2, 2]],
      args: [null, { stride: 2, padding: 1, groups: 2 }],
    }],
  },
  maxPool2d: {
    call: { fn: "maxPool2d" },
    doc: "2-D max pooling; the gradient goes to each window's first maximum.",
    torch: "F.max_pool2d",
    cases: [{ shapes: [[1, 2, 4, 4]], args: [2] }, { shapes: [[1, 1, 5, 5]], args: [3, { stride: 2, padding: 1 }] }],
  },
  avgPool2d: {
    call: { fn: "avgPool2d" },
    doc: "2-D average pooling (`countIncludePad`).",
    torch: "F.avg_pool2d",
    cases: [{ shapes: [[1, 2, 4, 4]], args: [2] }, {
      shapes: [[1, 1, 5, 5]],
      args: [3, { stride: 2, padding: 1, countIncludePad: false }],
    }],
  },
  layerNorm: {
    call: { fn: "layerNorm" },
    doc: "Layer normalization over trailing dims (one pass per row where the backend has the kernel).",
    torch: "F.layer_norm",
    cases: [{ shapes: [[3, 6]], args: [[6]] }, {
      shapes: [[2, 3, 4], [3, 4], [3, 4]],
      args: [{ tensor: 0 }, [3, 4], { tensor: 1 }, { tensor: 2 }],
    }],
  },
  cosineSimilarity: {
    call: { fn: "cosineSimilarity" },
    doc: "x·y / max(‖x‖‖y‖, eps) along a dim.",
    torch: "F.cosine_similarity",
    cases: [{ shapes: [[3, 5], [3, 5]] }],
  },
} as const;

/** Every non-elementwise op, by name. */
export const TENSOR_OPS: Readonly<Record<string, TensorOpEntry>> = {
  ...withDefaults("reduce", REDUCTIONS),
  ...withDefaults("movement", MOVEMENT),
  ...withDefaults("index", INDEXING),
  ...withDefaults("composite", COMPOSITE),
  ...withKinds(SCAN_OPS),
  ...withKinds(SHAPE_OPS),
  ...withKinds(INDEX_OPS),
  ...withKinds(NN_OPS),
  ...withKinds(LINALG_OPS),
};

type Draft = Omit<TensorOpEntry, "kind" | "grad" | "gradgrad"> & {
  readonly grad?: boolean;
  readonly gradgrad?: boolean;
};

/** An entry as the family files (`tensor_ops_*.ts`) declare it: gradients default to tested. */
export type OpDraft = Draft & { readonly kind: TensorOpEntry["kind"] };

function withKinds(drafts: Readonly<Record<string, OpDraft>>): Record<string, TensorOpEntry> {
  return Object.fromEntries(
    Object.entries(drafts).map(([name, d]) => [name, withDefaults(d.kind, { [name]: d })[name]]),
  );
}

/** Entries of one kind; gradients are assumed (and tested) unless an entry says otherwise. */
function withDefaults(
  kind: TensorOpEntry["kind"],
  drafts: Readonly<Record<string, Draft>>,
): Record<string, TensorOpEntry> {
  return Object.fromEntries(
    Object.entries(drafts).map((
      [name, d],
    ) => [name, { kind, ...d, grad: d.grad ?? true, gradgrad: d.gradgrad ?? (d.grad ?? true) }]),
  );
}
