/** Argument checks shared by the regression, embedding and probabilistic losses. @module */
import type { Tensor } from "../tensor/tensor.ts";
import { isFloat } from "../tensor/dtype.ts";

/**
 * Throws a RangeError naming `loss` unless `input` and `target` have the same shape. PyTorch
 * broadcasts them with a warning (usually a bug, e.g. `[N, 1]` against `[N]`); denograd refuses.
 */
export function checkSameShape(loss: string, input: Tensor, target: Tensor): void {
  const a = input.shape, b = target.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new RangeError(
      `${loss}: input [${a}] and target [${b}] must have the same shape (PyTorch would broadcast them ` +
        `with a warning; reshape explicitly if broadcasting is intended)`,
    );
  }
}

/** Throws a TypeError unless `t` is a float tensor. */
export function checkFloat(loss: string, name: string, t: Tensor): void {
  if (!isFloat(t.dtype)) {
    throw new TypeError(`${loss}: ${name} must be a float tensor, got ${t.dtype} [${t.shape}]`);
  }
}

/**
 * `target` as a float tensor of `input`'s dtype: an int32 or bool target is cast, as torch's
 * type promotion does for these losses (e.g. integer ±1 labels); a float target is kept.
 */
export function floatTarget(loss: string, input: Tensor, target: Tensor): Tensor {
  if (isFloat(target.dtype)) return target;
  if (target.dtype !== "int32" && target.dtype !== "bool") {
    throw new TypeError(`${loss}: target must be a float, int32 or bool tensor, got ${target.dtype}`);
  }
  return target.cast(isFloat(input.dtype) ? input.dtype : "float32");
}

/** `value`, or `fallback` when undefined; a RangeError unless it is a finite number satisfying `ok`. */
export function numberOption(
  loss: string,
  name: string,
  value: unknown,
  fallback: number,
  ok: (v: number) => boolean = () => true,
  expected = "a finite number",
): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
    throw new RangeError(`${loss}: ${name} must be ${expected}, got ${String(v)}`);
  }
  return v;
}

/** `value` as a boolean (default `fallback`), or a TypeError naming the option. */
export function boolOption(loss: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${loss}: ${name} must be a boolean, got ${String(value)}`);
  return value;
}
