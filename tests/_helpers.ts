/**
 * Helpers shared by the test suites: a seeded random generator, so that random inputs are the
 * same on every run and a failure can be reproduced; comparison of values within tolerances; and
 * byte concatenation for the files the readers' tests build.
 * @module
 */
import assert from "node:assert/strict";
import type { Tensor } from "../mod.ts";

/**
 * A seeded uniform generator (mulberry32): the same seed gives the same stream on every run and
 * every machine.
 *
 * @param seed Any number; its low 32 bits pick the stream.
 * @returns A function that returns the next value, in [0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rng } from "./_helpers.ts";
 * const a = rng(7), b = rng(7);
 * assert.equal(a(), b());
 * ```
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link randomArray}. */
export interface RandomArrayOptions {
  /**
   * Makes every value an integer: `true` rounds down (integers in [lo, hi)), `"nearest"` rounds
   * to the nearest (integers in [lo, hi]).
   * @default {false}
   */
  int?: boolean | "nearest";
  /**
   * Rounds every value to the nearest float32, so that a float32 upload and a float64 reference
   * start from the same numbers.
   * @default {false}
   */
  float32?: boolean;
}

/**
 * `n` values drawn uniformly from [lo, hi) by {@link rng}`(seed)`, in order.
 *
 * @param n How many values.
 * @param lo The lower bound (included).
 * @param hi The upper bound (excluded before any rounding).
 * @param seed The seed of the stream.
 * @param options Integer or float32 rounding.
 * @returns The values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomArray } from "./_helpers.ts";
 * const xs = randomArray(5, -3, 3, 1, { int: true });
 * assert.ok(xs.every((x) => Number.isInteger(x) && x >= -3 && x < 3));
 * ```
 */
export function randomArray(
  n: number,
  lo: number,
  hi: number,
  seed: number,
  options: RandomArrayOptions = {},
): number[] {
  const next = rng(seed);
  const round = options.int === "nearest" ? Math.round : options.int ? Math.floor : (v: number) => v;
  return Array.from({ length: n }, () => {
    const v = round(lo + (hi - lo) * next());
    return options.float32 ? Math.fround(v) : v;
  });
}

/**
 * The bytes of `parts`, one after another, in one new array.
 *
 * @param parts The pieces, in order.
 * @returns Their concatenation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes } from "./_helpers.ts";
 * assert.deepEqual(concatBytes([Uint8Array.of(1), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Values to compare: a number, an array-like of numbers, or nested arrays of them (what `Tensor.toArray()` returns). */
export type Numbers = number | boolean | ArrayLike<number> | readonly Numbers[];

/** Options of {@link assertClose} and {@link assertTensorClose}. */
export interface CloseOptions {
  /**
   * Relative tolerance: the allowed error grows by `rtol · |expected|`.
   * @default {0}
   */
  rtol?: number;
  /**
   * Absolute tolerance.
   * @default {0}
   */
  atol?: number;
  /**
   * An absolute tolerance per value (in flattened order) used instead of `atol`, for results
   * such as sums whose rounding error depends on their terms.
   */
  atolEach?: ArrayLike<number>;
  /**
   * How the tolerances combine: `"sum"` allows `atol + rtol · |expected|` (as numpy's `isclose`),
   * `"max"` allows `max(atol, rtol · |expected|)`.
   * @default {"sum"}
   */
  combine?: "sum" | "max";
  /** What is compared, for the failure message. */
  what?: string;
}

/**
 * Asserts that `actual` matches `expected` value by value within the tolerances. Nested arrays
 * must have the same nesting and lengths. Equal values always match, infinities included, and
 * NaN matches NaN; any other non-finite value never does. A failure names how many values are
 * off and the worst of them.
 *
 * @param actual The values computed.
 * @param expected The reference values.
 * @param options Tolerances (none by default: the values must be equal) and a name for messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertClose } from "./_helpers.ts";
 * assertClose([1, 2.00001, NaN], [1, 2, NaN], { rtol: 1e-5 });
 * assert.throws(() => assertClose([[1, 2]], [[1, 3]], { atol: 0.5, what: "y" }), /y\[0\]\[1\]: got 2, expected 3/);
 * ```
 */
export function assertClose(actual: Numbers, expected: Numbers, options: CloseOptions = {}): void {
  const { rtol = 0, atol = 0, atolEach, combine = "sum", what = "values" } = options;
  const flat = flatten(actual, expected, what);
  const { got, want } = flat;
  if (atolEach) assert.equal(atolEach.length, want.length, `${what}: one atolEach per value`);
  let off = 0, worst = -1, worstRatio = -1, worstLimit = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i], e = want[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const abs = atolEach ? atolEach[i] : atol;
    const limit = combine === "max" ? Math.max(abs, rtol * Math.abs(e)) : abs + rtol * Math.abs(e);
    const err = Math.abs(a - e);
    // an infinite expected value makes the limit infinite too, so it must be matched exactly (above)
    if (Number.isFinite(e) && err <= limit) continue;
    off++;
    const ratio = Number.isFinite(e) && !Number.isNaN(err) ? err / limit : Infinity;
    if (ratio > worstRatio) [worst, worstRatio, worstLimit] = [i, ratio, limit];
  }
  if (off > 0) {
    const count = want.length > 1 ? `${off} of ${want.length} values off; worst ` : "";
    assert.fail(
      `${count}${flat.path(worst)}: got ${got[worst]}, expected ${want[worst]} (tolerance ${worstLimit})`,
    );
  }
}

/**
 * Asserts that a tensor's values match `expected` within the tolerances (see {@link assertClose}).
 * Against a tensor the shapes must be equal; against nested arrays the tensor's `toArray()` must
 * have the same nesting, which checks the shape as well.
 *
 * @param actual The tensor computed.
 * @param expected A reference tensor, or the reference values.
 * @param options Tolerances and a name for messages.
 *
 * @example
 * ```ts
 * import { tensor } from "denograd";
 * import { assertTensorClose } from "./_helpers.ts";
 * await assertTensorClose(tensor([[1, 2]]).mul(1.5), [[1.5, 3]], { rtol: 1e-6 });
 * ```
 */
export async function assertTensorClose(
  actual: Tensor,
  expected: Tensor | Numbers,
  options: CloseOptions = {},
): Promise<void> {
  if (isTensor(expected)) {
    assert.deepEqual(actual.shape, expected.shape, `${options.what ?? "tensor"}: shape`);
    assertClose(await actual.data(), await expected.data(), options);
  } else {
    assertClose(await actual.toArray(), expected, options);
  }
}

function isTensor(x: Tensor | Numbers): x is Tensor {
  return typeof x === "object" && "shape" in x && typeof (x as Tensor).toArray === "function";
}

function isArrayLike(x: Numbers): x is ArrayLike<number> | readonly Numbers[] {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}

/** Consecutive values under one prefix: the value at flat index k is `prefix[k - first + offset]`. */
interface Run {
  first: number;
  offset: number;
  prefix: string;
  indexed: boolean;
}

/**
 * Both sides as flat lists of numbers, after checking that their nesting agrees; `path(i)` names
 * the i-th value (e.g. `what[1][0]`) for messages.
 */
function flatten(actual: Numbers, expected: Numbers, what: string) {
  const got: number[] = [], want: number[] = [];
  // runs of consecutive values under one prefix, so that paths are only built for a failure
  const runs: Run[] = [];
  const walk = (a: Numbers, e: Numbers, prefix: string): void => {
    if (!isArrayLike(e)) {
      assert.ok(!isArrayLike(a), `${prefix}: expected a number, got an array of ${(a as ArrayLike<unknown>).length}`);
      runs.push({ first: want.length, offset: 0, prefix, indexed: false });
      got.push(Number(a));
      want.push(Number(e));
      return;
    }
    assert.ok(isArrayLike(a), `${prefix}: expected an array of ${e.length}, got ${a}`);
    assert.equal(a.length, e.length, `${prefix}: length`);
    const es = e as ArrayLike<Numbers>, as = a as ArrayLike<Numbers>;
    let run: Run | null = null;
    for (let i = 0; i < es.length; i++) {
      if (isArrayLike(es[i])) {
        run = null;
        walk(as[i], es[i], `${prefix}[${i}]`);
        continue;
      }
      assert.ok(!isArrayLike(as[i]), `${prefix}[${i}]: expected a number, got an array`);
      if (run === null) runs.push(run = { first: want.length, offset: i, prefix, indexed: true });
      got.push(Number(as[i]));
      want.push(Number(es[i]));
    }
  };
  walk(actual, expected, what);
  const path = (k: number): string => {
    let r = runs[0];
    for (const x of runs) if (x.first <= k) r = x;
    return r.indexed ? `${r.prefix}[${k - r.first + r.offset}]` : r.prefix;
  };
  return { got, want, path };
}
