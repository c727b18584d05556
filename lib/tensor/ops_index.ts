/** Indexing: gather, scatterAdd, indexSelect, embedding, oneHot. @module */
import { record } from "./tape.ts";
import { Tensor } from "./tensor.ts";
import { normalizeDim } from "./ops_reduce.ts";
import { expand, reshape } from "./ops_movement.ts";
import { cast, compare, unaryRaw } from "./ops_elementwise.ts";
import { arange, zeros } from "./ops_creation.ts";
import { pad as padConstant } from "./ops_combine.ts";

function checkIndex(op: string, index: Tensor, device: string): void {
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be an int32 tensor`);
  if (index.dtype !== "int32") {
    throw new TypeError(`${op}: index must be int32, got ${index.dtype}; convert it with .int()`);
  }
  if (index.device !== device) {
    throw new TypeError(`${op}: index is on ${index.device} but the input is on ${device}`);
  }
}

/** `out[…] = x[…, index[…], …]` along `dim` (torch.gather); gradient scatters back. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return gatherAs("gather", x, dim, index);
}

/** gather, with `op` (the public op built on it) named in errors, out-of-range ones included. */
function gatherAs(op: string, x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex(op, index, x.device);
  const d = normalizeDim(op, dim, x.ndim);
  if (index.ndim !== x.ndim) {
    throw new RangeError(`${op}: index has ${index.ndim} dims [${index.shape}] but input has ${x.ndim} [${x.shape}]`);
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) {
      throw new RangeError(
        `${op}: index shape [${index.shape}] exceeds input shape [${x.shape}] at dim ${i} (only dim ${d} may differ)`,
      );
    }
  }
  const av = { shape: index.shape.map((s, i) => (i === d ? x.shape[d] : s)), strides: x.strides, offset: x.offset };
  const s = x.backend.gather({
    source: { storage: x.storage(op), view: av },
    dim: d,
    index: { storage: index.storage(op), view: index.layout },
    opName: op,
  });
  const out = Tensor.fromStorage(s, index.shape, x.dtype, x.device);
  return record(
    "gather",
    [x],
    out,
    (g) => [scatterAdd(zeros(x.shape, { dtype: g.dtype, device: g.device }), d, index, g)],
  );
}

/** A copy of `x` with `src` added at `index` along `dim` (torch.scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndex("scatterAdd", index, x.device);
  const d = normalizeDim("scatterAdd", dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new RangeError(
      `scatterAdd: input [${x.shape}], index [${index.shape}] and src [${src.shape}] must have the same number of dims`,
    );
  }
  for (let i = 0; i < x.ndim; i++) {
    if (index.shape[i] > src.shape[i] || (i !== d && index.shape[i] > x.shape[i])) {
      throw new RangeError(
        `scatterAdd: index shape [${index.shape}] must fit in src [${src.shape}] and in input [${x.shape}] outside dim ${d}`,
      );
    }
  }
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: src is ${src.dtype} but input is ${x.dtype}`);
  const base = x.isDense ? x : unaryRaw("copy", x);
  const srcView = { shape: index.shape, strides: src.strides, offset: src.offset };
  const s = x.backend.scatterAdd({
    base: base.storage("scatterAdd"),
    shape: x.shape,
    dim: d,
    index: { storage: index.storage("scatterAdd"), view: index.layout },
    src: { storage: src.storage("scatterAdd"), view: srcView },
    opName: "scatterAdd",
  });
  if (base !== x) base.dispose();
  const out = Tensor.fromStorage(s, x.shape, x.dtype, x.device);
  return record("scatterAdd", [x, src], out, (g) => [
    x.requiresGrad ? g : null,
    src.requiresGrad ? gatherPadded(g, d, index, src.shape) : null,
  ]);
}

function gatherPadded(g: Tensor, d: number, index: Tensor, srcShape: readonly number[]): Tensor {
  const picked = gather(g, d, index);
  if (index.shape.every((s, i) => s === srcShape[i])) return picked;
  const pad: number[] = [];
  for (let i = srcShape.length - 1; i >= 0; i--) pad.push(0, srcShape[i] - index.shape[i]);
  return padConstant(picked, pad);
}

/** Slices of `x` along `dim` picked by the 1-D int32 `index`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return indexSelectAs("indexSelect", x, dim, index);
}

function indexSelectAs(op: string, x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex(op, index, x.device);
  if (index.ndim !== 1) throw new RangeError(`${op}: index must be 1-D, got shape [${index.shape}]`);
  const d = normalizeDim(op, dim, x.ndim);
  const shape = x.shape.map((s, i) => (i === d ? index.shape[0] : s));
  const idxShape = x.shape.map((_, i) => (i === d ? index.shape[0] : 1));
  return gatherAs(op, x, d, expand(reshape(index, idxShape), shape));
}

/** Rows of `weight` for each id in `ids` (any shape): result `[...ids.shape, dim]`. */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  checkIndex("embedding", ids, weight.device);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [num, dim], got [${weight.shape}]`);
  const rows = indexSelectAs("embedding", weight, 0, reshape(ids, [ids.size]));
  return reshape(rows, [...ids.shape, weight.shape[1]]);
}

/** One-hot int32 encoding with `numClasses` (inferred from the max when omitted is not supported: pass it). */
export function oneHot(ids: Tensor, numClasses: number): Tensor {
  checkIndex("oneHot", ids, ids.device);
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const classes = arange(0, numClasses, 1, { device: ids.device });
  const hit = compare("eq", reshape(ids, [...ids.shape, 1]), classes);
  // validate the range: every row must hit exactly once (checked lazily through gather's fault path)
  gatherAs("oneHot", reshape(classes, [numClasses, 1]), 0, reshape(ids, [ids.size, 1])).dispose();
  return cast(hit, "int32");
}
