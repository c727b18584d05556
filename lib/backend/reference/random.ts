/** The counter-based random stream of {@link Backend.random} on the reference backend. @module */
import type { DType, RandomKind, Storage } from "../backend.ts";
import { randomBits } from "../_view.ts";
import { isFloat } from "../dtype.ts";
import { newArray, type ReferenceContext } from "./storage.ts";

const TWO_PI = 2 * Math.PI;

/** {@link Backend.random}: `size` uniform or normal values of a float `dtype`. */
export function random(
  ctx: ReferenceContext,
  kind: RandomKind,
  size: number,
  seed: number,
  counter: number,
  dtype: DType,
): Storage {
  if (!isFloat(dtype)) {
    throw new TypeError(
      `cpu random: dtype must be float32 or float64, got ${dtype}`,
    );
  }
  const out = newArray(dtype, size);
  const scale = 2 ** -24;
  if (kind === "uniform") {
    for (let i = 0; i < size; i++) {
      out[i] = (randomBits(seed, counter + i) >>> 8) * scale;
    }
  } else {
    for (let i = 0; i < size; i++) {
      const u1 = ((randomBits(seed, counter + 2 * i) >>> 8) + 1) * scale;
      const u2 = (randomBits(seed, counter + 2 * i + 1) >>> 8) * scale;
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
    }
  }
  return ctx.wrap(out, dtype);
}
