/** Matrix products with torch's rules for 1-D operands and batch broadcasting. @module */
import { record, withGradMode } from "./tape.ts";
import { isFloat } from "./dtype.ts";
import { Tensor } from "./tensor.ts";
import { broadcastShapes } from "./ops_elementwise.ts";
import { expand, reshape, squeeze, transpose, unsqueeze } from "./ops_movement.ts";
import { sumToShape } from "./ops_reduce.ts";

/**
 * Matrix product. 1-D operands are treated as a row (left) or column (right) vector and that
 * dim is removed from the result; leading dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTypes("matmul", a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both operands need at least 1 dim, got [${a.shape}] and [${b.shape}]`);
  }
  if (a.ndim === 1 && b.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), [0, 1]);
  if (a.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  checkOperands(a, b);
  return batchedMatmul(a, b, null, "rows");
}

/**
 * `a @ b` for operands of rank ≥ 2 with matching inner dims, plus `bias` (one value per row,
 * length M, or per column, length N, of every product) added by the matmul kernel as it
 * stores: a convolution's or linear layer's bias costs no extra pass over the output.
 */
function batchedMatmul(a: Tensor, b: Tensor, bias: Tensor | null, along: "rows" | "cols"): Tensor {
  const [m, k] = a.shape.slice(-2), n = b.shape[b.ndim - 1];
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ae = expand(a, [...batch, m, k]), be = expand(b, [...batch, k, n]);
  const dense = (t: Tensor) => t.isContiguous && t.offset === 0 && t.storage("matmul").size === t.size;
  const biasDense = bias && !dense(bias) ? withGradMode(false, () => bias.clone()) : bias;
  const s = a.backend.matmul(
    ae.storage("matmul"),
    ae.layout,
    be.storage("matmul"),
    be.layout,
    biasDense ? { values: biasDense.storage("matmul"), along } : undefined,
  );
  if (biasDense !== bias) biasDense?.dispose();
  const out = Tensor.fromStorage(s, [...batch, m, n], a.dtype, a.device);
  const inputs = bias ? [a, b, bias] : [a, b];
  return record(bias ? "matmulBias" : "matmul", inputs, out, (g) => [
    a.requiresGrad ? sumToShape(matmul(g, transpose(be, -1, -2)), a.shape) : null,
    b.requiresGrad ? gradOfRight(ae, b, g) : null,
    ...(bias ? [bias.requiresGrad ? biasGrad(g, along, bias.shape) : null] : []),
  ]);
}

/**
 * The gradient of `b` in `a @ b`: `aᵀ g`. When `b` is a transposed matrix (a linear layer's `Wᵀ`),
 * it is computed as `(gᵀ a)ᵀ`, whose transpose — the gradient of `W` itself — is then row-major:
 * the weight's gradient needs no copy before the optimizer reads it.
 */
function gradOfRight(ae: Tensor, b: Tensor, g: Tensor): Tensor {
  if (b.ndim === 2 && ae.ndim === 2 && b.strides[0] === 1 && b.strides[1] === b.shape[0] && b.shape[0] > 1) {
    return transpose(matmul(transpose(g, 0, 1), ae), 0, 1);
  }
  return sumToShape(matmul(transpose(ae, -1, -2), g), b.shape);
}

function biasGrad(g: Tensor, along: "rows" | "cols", shape: readonly number[]): Tensor {
  const rows = along === "rows";
  return reshape(sumToShape(g, rows ? [g.shape[g.ndim - 2], 1] : [g.shape[g.ndim - 1]]), [...shape]);
}

/**
 * `a @ b + bias` with the bias added inside the matmul kernel: `bias` is 1-D with one value per
 * row of each product (`along: "rows"`, length M) or per column (`"cols"`, length N). Operands
 * need rank ≥ 2 and one float dtype (the bias's too); the result and gradients are those of
 * `matmul(a, b).add(bias reshaped to broadcast along that axis)`.
 */
export function matmulBias(a: Tensor, b: Tensor, bias: Tensor, along: "rows" | "cols"): Tensor {
  checkTypes("matmulBias", a, b);
  if (a.ndim < 2 || b.ndim < 2 || bias.ndim !== 1) {
    throw new RangeError(
      `matmulBias: expects operands of rank ≥ 2 and a 1-D bias, got [${a.shape}], [${b.shape}] and [${bias.shape}]`,
    );
  }
  if (bias.dtype !== a.dtype || bias.device !== a.device) {
    throw new TypeError(`matmulBias: bias is ${bias.dtype} on ${bias.device}; expected ${a.dtype} on ${a.device}`);
  }
  const want = along === "rows" ? a.shape[a.ndim - 2] : b.shape[b.ndim - 1];
  if (bias.shape[0] !== want) {
    throw new RangeError(
      `matmulBias: a bias along ${along} of [${a.shape}] @ [${b.shape}] needs ${want} values, got [${bias.shape}]`,
    );
  }
  checkOperands(a, b);
  return batchedMatmul(a, b, bias, along);
}

function checkTypes(op: string, a: Tensor, b: Tensor): void {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`${op}: both operands must be tensors`);
  if (a.device !== b.device) throw new TypeError(`${op}: tensors are on different devices (${a.device}, ${b.device})`);
  if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
    throw new TypeError(
      `${op}: expected two float tensors of the same dtype, got ${a.dtype} [${a.shape}] and ${b.dtype} [${b.shape}]`,
    );
  }
}

function checkOperands(a: Tensor, b: Tensor): void {
  const k = a.shape[a.ndim - 1], k2 = b.shape[b.ndim - 2];
  if (k !== k2) {
    throw new RangeError(
      `matmul: shapes [${a.shape}] and [${b.shape}] cannot be multiplied: inner dimensions ${k} and ${k2} differ`,
    );
  }
}

/** `x @ weightᵀ + bias` with weight `[out, in]` (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D [out, in], got [${weight.shape}]`);
  if (x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(
      `linear: input [${x.shape}] has ${x.shape[x.ndim - 1]} features but weight [${weight.shape}] expects ${
        weight.shape[1]
      }`,
    );
  }
  const fuseBias = bias && x.ndim >= 2 && bias.ndim === 1 && bias.shape[0] === weight.shape[0] &&
    bias.dtype === x.dtype && bias.device === x.device && x.dtype === weight.dtype;
  if (fuseBias) return matmulBias(x, transpose(weight, 0, 1), bias, "cols");
  const y = matmul(x, transpose(weight, 0, 1));
  return bias ? y.add(bias) : y;
}
