/**
 * Shared checks and reshapes of the classification losses: class dim moved last, class
 * indices validated (cpu: at the call; webgpu: through the gather fault flag, at the next read),
 * per-class weights checked.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { isFloat } from "../tensor/dtype.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { faultUnless } from "../tensor/primitives.ts";

/** `input` `[N, C, d1, …]` (or unbatched `[C]`) as rows `[N·d1·…, C]`; `target` must be `[N, d1, …]` (or `[]`). */
export function classRows(loss: string, input: Tensor, target: Tensor): { rows: Tensor; targetShape: number[] } {
  if (input.ndim === 0) throw new RangeError(`${loss}: input must have a class dimension, got a scalar`);
  const unbatched = input.ndim === 1;
  const c = unbatched ? input.shape[0] : input.shape[1];
  const expected = unbatched ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new RangeError(
      `${loss}: target of shape [${target.shape}] does not match input [${input.shape}]; ` +
        `expected class indices of shape [${expected}]`,
    );
  }
  if (unbatched) return { rows: input.reshape([1, c]), targetShape: [] };
  const perm = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2), 1];
  const moved = input.ndim > 2 ? input.permute(perm) : input;
  return { rows: moved.reshape([-1, c]), targetShape: expected };
}

/** Throws a TypeError unless `t` is a tensor of an allowed kind. */
export function checkTensor(loss: string, name: string, t: unknown, kind: "float" | "int32"): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${loss}: ${name} must be a Tensor, got ${typeof t}`);
  const ok = kind === "float" ? isFloat(t.dtype) : t.dtype === "int32";
  if (!ok) {
    throw new TypeError(
      `${loss}: ${name} must be ${kind === "float" ? "a float tensor" : "an int32 tensor of class indices"}, ` +
        `got ${t.dtype}`,
    );
  }
}

/** Checks a per-class weight: a 1-D float tensor of length `classes` on the input's device. */
export function checkWeight(loss: string, weight: Tensor | null | undefined, classes: number, input: Tensor): void {
  if (weight === undefined || weight === null) return;
  checkTensor(loss, "weight", weight, "float");
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new RangeError(`${loss}: weight must have shape [${classes}] (one per class), got [${weight.shape}]`);
  }
  if (weight.device !== input.device) {
    throw new TypeError(`${loss}: weight is on ${weight.device} but the input is on ${input.device}`);
  }
}

/**
 * Validates `flat` int32 class indices against `[0, classes)` (entries equal to `ignoreIndex`
 * allowed) and returns them with ignored entries replaced by 0. The check is a gather of the class
 * ids, so the cpu backend throws a RangeError at once and webgpu records it for the next read.
 */
export function safeClasses(
  loss: string,
  flat: Tensor,
  classes: number,
  ignoreIndex: number | null,
  check = true,
): Tensor {
  const safe = ignoreIndex === null ? flat : where(flat.eq(ignoreIndex), 0, flat);
  if (check) faultUnless(loss, safe, classes);
  return safe;
}
