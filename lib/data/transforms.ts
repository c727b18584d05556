/**
 * Per-sample image transforms on host arrays ({@link HostTensor}, `[C, H, W]`), as
 * `torchvision.transforms`: they run on the CPU while the previous batch trains, cost no device
 * dispatches, and the random ones draw from their own seeded PRNG.
 * @module
 */
import { Rng } from "./_rng.ts";
import type { HostTensor } from "./dataset.ts";

/** A per-sample transform. */
export type Transform = (x: HostTensor) => HostTensor;

function chw(op: string, x: HostTensor): [number, number, number] {
  if (x.shape.length !== 3) throw new RangeError(`${op}: expected a [C, H, W] image, got shape [${x.shape}]`);
  const [c, h, w] = x.shape;
  if (c * h * w !== x.data.length) {
    throw new RangeError(`${op}: shape [${x.shape}] does not match ${x.data.length} values`);
  }
  return [c, h, w];
}

function like(x: HostTensor, n: number): Float32Array | Uint8Array {
  return x.data instanceof Uint8Array ? new Uint8Array(n) : new Float32Array(n);
}

/**
 * Bytes 0..255 to floats in [0, 1]: `y = x / 255`, as `transforms.ToTensor()`. Takes
 * `[C, H, W]` (or `[H, W]`, giving `[1, H, W]`) uint8 data, or `[H, W, C]` with
 * `{ layout: "HWC" }` (transposed to CHW). Float input is passed through unchanged.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const hwc = { data: new Uint8Array([0, 255, 51, 102]), shape: [1, 2, 2] }; // H=1, W=2, C=2
 * const y = data.transforms.toTensor({ layout: "HWC" })(hwc);
 * assert.deepEqual(y.shape, [2, 1, 2]);
 * assert.deepEqual([...y.data].map((v) => Math.round(v * 255)), [0, 51, 255, 102]);
 * ```
 */
export function toTensor(options: { layout?: "CHW" | "HWC" } = {}): Transform {
  const layout = options.layout ?? "CHW";
  if (layout !== "CHW" && layout !== "HWC") {
    throw new TypeError(`toTensor: layout must be "CHW" or "HWC", got ${JSON.stringify(layout)}`);
  }
  return (x) => {
    if (x.data instanceof Float32Array) return x;
    if (x.shape.length === 2) x = { data: x.data, shape: [1, ...x.shape] };
    const [a, b, c] = chw("toTensor", x);
    const out = new Float32Array(x.data.length);
    if (layout === "CHW") {
      for (let i = 0; i < out.length; i++) out[i] = x.data[i] / 255;
      return { data: out, shape: [a, b, c] };
    }
    // HWC: a = H, b = W, c = C
    for (let y = 0; y < a; y++) {
      for (let xx = 0; xx < b; xx++) {
        for (let ch = 0; ch < c; ch++) out[(ch * a + y) * b + xx] = x.data[(y * b + xx) * c + ch] / 255;
      }
    }
    return { data: out, shape: [c, a, b] };
  };
}

/**
 * Per-channel standardization `y[c] = (x[c] - mean[c]) / std[c]`, as
 * `transforms.Normalize(mean, std)`. Expects float `[C, H, W]` input (apply `toTensor` first);
 * `mean` and `std` have one entry per channel (or one for all).
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const y = data.transforms.normalize([0.5], [0.25])({ data: new Float32Array([0, 1]), shape: [1, 1, 2] });
 * assert.deepEqual([...y.data], [-2, 2]);
 * ```
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  if (std.some((s) => !(s > 0))) throw new RangeError(`normalize: std must be positive, got [${std}]`);
  return (x) => {
    if (!(x.data instanceof Float32Array)) {
      throw new TypeError("normalize: expected float data; apply transforms.toTensor() first");
    }
    const [c, h, w] = chw("normalize", x);
    for (const [name, v] of [["mean", mean], ["std", std]] as const) {
      if (v.length !== 1 && v.length !== c) {
        throw new RangeError(`normalize: ${name} has ${v.length} entries for ${c} channels`);
      }
    }
    const out = new Float32Array(x.data.length);
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) {
      const m = mean[mean.length === 1 ? 0 : ch], s = std[std.length === 1 ? 0 : ch];
      for (let i = ch * plane; i < (ch + 1) * plane; i++) out[i] = (x.data[i] - m) / s;
    }
    return { data: out, shape: x.shape };
  };
}

/**
 * A random `size` crop after padding every side by `padding` with `fill`, as
 * `transforms.RandomCrop(size, padding)`: the offset is uniform over all positions that fit.
 * `size` is `h` (square) or `[h, w]`; `seed` makes the crops reproducible.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const crop = data.transforms.randomCrop(2, { padding: 1, seed: 0 });
 * const y = crop({ data: new Uint8Array([1, 2, 3, 4]), shape: [1, 2, 2] });
 * assert.deepEqual(y.shape, [1, 2, 2]);
 * ```
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: { padding?: number; fill?: number; seed?: number } = {},
): Transform {
  const [th, tw] = typeof size === "number" ? [size, size] : size;
  const { padding = 0, fill = 0 } = options;
  if (![th, tw].every((s) => Number.isInteger(s) && s > 0)) {
    throw new RangeError(`randomCrop: size must be positive integers, got ${JSON.stringify(size)}`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  }
  const rng = new Rng(options.seed);
  return (x) => {
    const [c, h, w] = chw("randomCrop", x);
    const ph = h + 2 * padding, pw = w + 2 * padding;
    if (th > ph || tw > pw) {
      throw new RangeError(`randomCrop: crop [${th}, ${tw}] is larger than the padded image [${ph}, ${pw}]`);
    }
    const top = rng.int(ph - th + 1) - padding, left = rng.int(pw - tw + 1) - padding;
    const out = like(x, c * th * tw);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < th; y++) {
        const sy = top + y;
        for (let xx = 0; xx < tw; xx++) {
          const sx = left + xx;
          out[(ch * th + y) * tw + xx] = sy >= 0 && sy < h && sx >= 0 && sx < w ? x.data[(ch * h + sy) * w + sx] : fill;
        }
      }
    }
    return { data: out, shape: [c, th, tw] };
  };
}

/**
 * Mirrors the image left-right with probability `p` (default 0.5), as
 * `transforms.RandomHorizontalFlip(p)`: `y[c, i, j] = x[c, i, W-1-j]`.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const y = data.transforms.randomHorizontalFlip(1)({ data: new Uint8Array([1, 2, 3]), shape: [1, 1, 3] });
 * assert.deepEqual([...y.data], [3, 2, 1]);
 * ```
 */
export function randomHorizontalFlip(p = 0.5, options: { seed?: number } = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const rng = new Rng(options.seed);
  return (x) => {
    const [c, h, w] = chw("randomHorizontalFlip", x);
    if (!(rng.next() < p)) return x;
    const out = like(x, x.data.length);
    for (let r = 0; r < c * h; r++) {
      for (let j = 0; j < w; j++) out[r * w + j] = x.data[r * w + w - 1 - j];
    }
    return { data: out, shape: x.shape };
  };
}

/**
 * Applies `transforms` in order, as `transforms.Compose`.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const t = data.transforms.compose([data.transforms.toTensor(), data.transforms.normalize([0.5], [0.5])]);
 * assert.deepEqual([...t({ data: new Uint8Array([0, 255]), shape: [1, 1, 2] }).data], [-1, 1]);
 * ```
 */
export function compose(transforms: readonly Transform[]): Transform {
  for (const t of transforms) {
    if (typeof t !== "function") throw new TypeError(`compose: expected functions, got ${typeof t}`);
  }
  return (x) => transforms.reduce((acc, t) => t(acc), x);
}
