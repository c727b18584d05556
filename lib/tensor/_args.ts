/**
 * Argument normalisation shared by ops and layers: PyTorch's positional order merged into the
 * options object, shapes given as varargs or one array, and the check that an options object
 * holds only keys the op knows (so a typo like `{ strides: 2 }` throws instead of being ignored).
 * @module
 */
import type { Tensor, TensorLike } from "./tensor.ts";
import { isFloat } from "./dtype.ts";
import { mul } from "./ops_elementwise.ts";
import { clone } from "./ops_movement.ts";

/** Whether `v` is an options object (a plain object, not an array, tensor or other class instance). */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Throws a TypeError naming `op` when `options` is not an object or holds a key outside `known`
 * (keys whose value is `undefined` count too: they are usually a misspelt option).
 */
export function checkOptions(op: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (!isOptionsObject(options)) {
    throw new TypeError(`${op}: expected an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const close = known.find((k) => k.toLowerCase() === key.toLowerCase() || similar(k, key));
    throw new TypeError(
      `${op}: unknown option "${key}"${close ? ` (did you mean "${close}"?)` : ""}; known options: ${
        known.length ? known.join(", ") : "none"
      }`,
    );
  }
}

/** Whether two option names differ by a plural "s" or one edit at most (typo detection). */
function similar(a: string, b: string): boolean {
  if (a + "s" === b || b + "s" === a) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== "object") return typeof v === "string" ? `"${v}"` : String(v);
  return Array.isArray(v) ? `[${v}]` : (v as object).constructor?.name ?? "an object";
}

/**
 * PyTorch's positional arguments merged with a trailing options object: `args[i]` fills the
 * option `positional[i]`; a trailing plain object is the options object. `keywordOnly` names the
 * options that have no positional slot. Throws naming `op` on too many arguments, an option given
 * both ways, or an unknown key.
 *
 * @example
 * ```ts
 * import { mergeArgs } from "./_args.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(mergeArgs("maxPool2d", ["stride", "padding"], [2, { padding: 1 }]), { stride: 2, padding: 1 });
 * ```
 */
export function mergeArgs<O extends object>(
  op: string,
  positional: readonly string[],
  args: readonly unknown[],
  keywordOnly: readonly string[] = [],
): O {
  let list = [...args];
  // trailing undefineds are what optional parameters left out look like
  while (list.length > 0 && list[list.length - 1] === undefined) list.pop();
  let options: Record<string, unknown> = {};
  if (list.length > 0 && isOptionsObject(list[list.length - 1])) {
    options = list[list.length - 1] as Record<string, unknown>;
    list = list.slice(0, -1);
  }
  checkOptions(op, options, [...positional, ...keywordOnly]);
  if (list.length > positional.length) {
    throw new TypeError(
      `${op}: got ${list.length} positional arguments where at most ${positional.length} are taken ` +
        `(${positional.join(", ") || "none"}); pass the rest in the options object`,
    );
  }
  const merged: Record<string, unknown> = { ...options };
  list.forEach((v, i) => {
    if (v === undefined) return;
    const name = positional[i];
    if (isOptionsObject(v)) {
      throw new TypeError(`${op}: an options object must come last; got one in the place of "${name}"`);
    }
    if (options[name] !== undefined) {
      throw new TypeError(`${op}: "${name}" is given both positionally and in the options object`);
    }
    merged[name] = v;
  });
  return merged as O;
}

/**
 * A shape given as varargs (`view(-1, 784)`) or as one array (`view([-1, 784])`), checked to be
 * integers; `allowMinusOne` lets −1 through (reshape, view, expand), else sizes are non-negative.
 */
export function shapeArgs(op: string, args: readonly unknown[], allowMinusOne = false): number[] {
  const list = args.length === 1 && (Array.isArray(args[0]) || ArrayBuffer.isView(args[0]))
    ? Array.from(args[0] as ArrayLike<unknown>)
    : [...args];
  for (const d of list) {
    if (Array.isArray(d)) {
      throw new TypeError(`${op}: give the sizes as one array or as separate numbers, not both ([${list}])`);
    }
    if (typeof d !== "number" || !Number.isInteger(d) || d < (allowMinusOne ? -1 : 0)) {
      throw new RangeError(
        `${op}: shape [${list.map(describe)}] has an invalid size ${describe(d)}; sizes are ` +
          `${allowMinusOne ? "non-negative integers or -1" : "non-negative integers"}`,
      );
    }
  }
  return list as number[];
}

/**
 * Creation arguments `(…sizes, options?)` or `(shape, options?)`: the shape (checked as
 * non-negative integers) and the options object.
 */
export function creationArgs<O extends object>(op: string, args: readonly unknown[]): { shape: number[]; options: O } {
  const list = [...args];
  while (list.length > 0 && list[list.length - 1] === undefined) list.pop();
  let options = {} as O;
  if (list.length > 0 && isOptionsObject(list[list.length - 1])) options = list.pop() as O;
  if (list.length === 0) {
    throw new TypeError(`${op}: expected a shape, as an array ([2, 3]) or as sizes (2, 3)`);
  }
  return { shape: shapeArgs(op, list), options };
}

/** Throws a TypeError naming `op` and `name` unless `v` is undefined or `allowed` (an option PyTorch has that denograd does not honour). */
export function refuseOption(op: string, name: string, v: unknown, allowed: unknown, why: string): void {
  if (v !== undefined && v !== allowed) {
    throw new TypeError(`${op}: ${name}=${describe(v)} is not supported (${why})`);
  }
}

/** Dims given as varargs (`permute(0, 2, 1)`) or as one array, checked to be integers (negative count from the end). */
export function dimArgs(op: string, args: readonly unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : [...args];
  for (const d of list) {
    if (typeof d !== "number" || !Number.isInteger(d)) {
      throw new TypeError(`${op}: dims must be integers, got ${describe(d)} in [${list.map(describe)}]`);
    }
  }
  return list as number[];
}

/** Integer-valued (int or bool) tensor, or an integer number. */
function integral(v: TensorLike): boolean {
  return typeof v === "number" ? Number.isInteger(v) : typeof v === "boolean" || !isFloat((v as Tensor).dtype);
}

/**
 * `other · alpha` for `add`/`sub` with torch's `alpha` option; like torch, refuses a fractional
 * alpha when both operands are integral (the result would silently truncate).
 */
export function scaledOperand(op: string, x: Tensor, other: TensorLike, options?: { alpha?: number }): TensorLike {
  checkOptions(op, options, ["alpha"]);
  const alpha = options?.alpha;
  if (alpha === undefined || alpha === 1) return other;
  if (typeof alpha !== "number" || Number.isNaN(alpha)) {
    throw new TypeError(`${op}: alpha must be a number, got ${describe(alpha)}`);
  }
  if (integral(x) && integral(other) && !Number.isInteger(alpha)) {
    throw new TypeError(`${op}: for integral input tensors, alpha must not be a floating point number (got ${alpha})`);
  }
  if (typeof other === "number") return other * alpha;
  if (typeof other === "boolean") return Number(other) * alpha;
  return mul(other as Tensor, alpha);
}

/**
 * The values of an integer tensor on a host device (cpu, reference), read synchronously; null on
 * a device that reads only asynchronously (webgpu), where a value check cannot happen at call time.
 */
function hostValues(t: Tensor): ArrayLike<number> | null {
  const readSync = t.backend.readSync;
  if (!readSync || t.size === 0) return t.size === 0 ? [] : null;
  const c = clone(t);
  const values = readSync.call(c.backend, c.storage("check"));
  c.dispose();
  return values;
}

function someValue(v: TensorLike, test: (n: number) => boolean): boolean {
  if (typeof v === "number") return test(v);
  if (typeof v === "boolean") return test(Number(v));
  const values = hostValues(v as Tensor);
  if (!values) return false;
  for (let i = 0; i < values.length; i++) if (test(values[i])) return true;
  return false;
}

/**
 * `exponent`, or a RangeError when both base and exponent are integral and some exponent is
 * negative (torch: "Integers to negative integer powers are not allowed"). Tensor exponents are
 * checked on host devices; on webgpu only a number exponent can be checked at call time.
 */
export function checkIntPow(x: Tensor, exponent: TensorLike): TensorLike {
  if (integral(x) && integral(exponent) && someValue(exponent, (n) => n < 0)) {
    throw new RangeError(
      `pow: integers to negative integer powers are not allowed (a ${x.dtype} base with a negative exponent); ` +
        `cast the base to float first`,
    );
  }
  return exponent;
}

/**
 * `divisor`, or a RangeError when both operands are integral and some divisor is 0 (torch raises
 * ZeroDivisionError); the kernels would give 0. Tensor divisors are checked on host devices.
 */
export function checkIntDivisor(op: string, x: Tensor, divisor: TensorLike): TensorLike {
  if (integral(x) && integral(divisor) && someValue(divisor, (n) => n === 0)) {
    throw new RangeError(`${op}: integer division by zero (a ${x.dtype} tensor by an integer 0); use float operands`);
  }
  return divisor;
}
