/** Matrix products with torch's rules for 1-D operands and batch broadcasting. @module */
import { record } from "../autograd/grad_mode.ts";
import { isFloat } from "./dtype.ts";
import { Tensor } from "./tensor.ts";
import { broadcastShapes } from "./ops_elementwise.ts";
import { expand, squeeze, transpose, unsqueeze } from "./ops_movement.ts";
import { sumToShape } from "./ops_reduce.ts";

/**
 * Matrix product. 1-D operands are treated as a row (left) or column (right) vector and that
 * dim is removed from the result; leading dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError("matmul: both operands must be tensors");
  if (a.device !== b.device) throw new TypeError(`matmul: tensors are on different devices (${a.device}, ${b.device})`);
  if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
    throw new TypeError(
      `matmul: expected two float tensors of the same dtype, got ${a.dtype} [${a.shape}] and ${b.dtype} [${b.shape}]`,
    );
  }
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both operands need at least 1 dim, got [${a.shape}] and [${b.shape}]`);
  }
  if (a.ndim === 1 && b.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), [0, 1]);
  if (a.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  const [m, k] = a.shape.slice(-2), [k2, n] = b.shape.slice(-2);
  if (k !== k2) {
    throw new RangeError(
      `matmul: shapes [${a.shape}] and [${b.shape}] cannot be multiplied: inner dimensions ${k} and ${k2} differ`,
    );
  }
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ae = expand(a, [...batch, m, k]), be = expand(b, [...batch, k, n]);
  const s = a.backend.matmul(ae.storage("matmul"), ae.layout, be.storage("matmul"), be.layout);
  const out = Tensor.fromStorage(s, [...batch, m, n], a.dtype, a.device);
  return record("matmul", [a, b], out, (g) => [
    a.requiresGrad ? sumToShape(matmul(g, transpose(be, -1, -2)), a.shape) : null,
    b.requiresGrad ? sumToShape(matmul(transpose(ae, -1, -2), g), b.shape) : null,
  ]);
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
  const y = matmul(x, transpose(weight, 0, 1));
  return bias ? y.add(bias) : y;
}
