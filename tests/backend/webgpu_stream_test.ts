/**
 * The memory-bound WebGPU kernels (fused, copyInto, fill) on the sizes and views where their fast
 * paths change behaviour, checked against the cpu backend: sizes around multiples of 4 (the last
 * vec4 is partial), one-element broadcast inputs, offsets into a bigger storage, sizes past one
 * round of the walk (1M + 3 elements), and the fallbacks (a buffer with no room for whole vec4s;
 * strided views and conversions, which a buffer copy cannot do; windows of one buffer). Copies
 * into part of a storage must leave every element outside the destination view as it was.
 * Skipped when there is no adapter.
 */
import assert from "node:assert/strict";
import type { DType, FusedExpr, Storage, View } from "../../lib/backend/backend.ts";
import { fx } from "../../lib/ops/fx.ts";
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import { createWebGPUBackend, type WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import { WebGPUStorage } from "../../lib/backend/webgpu/storage.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const gpu: WebGPUBackend | null = await createWebGPUBackend();
const cpu = createReferenceBackend();
const ignore = gpu === null;
const g = gpu as WebGPUBackend;

/** Past one round of the walk on any device (1M + 3: the last vec4 holds 3 elements). */
const BIG = (1 << 20) + 3;
/** Sizes with every remainder mod 4, around one workgroup (64) and past it. */
const TAILS = [1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 258];

const input = (k: number): FusedExpr => ({ input: k });
const param = (k: number): FusedExpr => ({ param: k });
const { un, bin } = fx;

function values(n: number, seed: number, dtype: DType = "float32"): number[] {
  return randomArray(n, -4, 4, seed, { int: dtype !== "float32", float32: true });
}

/**
 * `s` as a storage whose buffer has no room past its bytes (capacity = its byte size), so the vec4
 * paths must fall back to scalar accesses for it: what a window into a bigger buffer looks like.
 */
function tight(s: Storage): Storage {
  const w = s as WebGPUStorage;
  return Object.create(w, { buf: { value: { ...w.buf!, capacity: w.bytes } } });
}

/** An Adam-like program with a one-element input (a broadcast learning-rate scale). */
function adamLike(): FusedExpr[] {
  const [p, gr, m, v, scale] = [0, 1, 2, 3, 4].map(input);
  const m1 = bin("add", bin("mul", param(0), m), bin("mul", param(1), gr));
  const v1 = bin("add", bin("mul", param(2), v), bin("mul", param(3), bin("mul", gr, gr)));
  const step = bin("div", bin("mul", scale, m1), bin("add", un("sqrt", v1), param(4)));
  return [bin("sub", p, step), m1, v1];
}
const ADAM_PARAMS = [0.9, 0.1, 0.999, 0.001, 1e-8];

function adamData(n: number, seed: number): number[][] {
  const v = values(n, seed + 3).map(Math.abs);
  return [values(n, seed), values(n, seed + 1), values(n, seed + 2), v, [0.01]];
}

/** Runs `outputs` on both backends (gpu inputs optionally replaced by `wrap`) and compares every output. */
async function compareFused(
  what: string,
  outputs: readonly FusedExpr[],
  data: readonly number[][],
  size: number,
  params: readonly number[],
  wrap: (s: Storage, k: number) => Storage = (s) => s,
): Promise<void> {
  const gi = data.map((d) => g.upload(d, "float32"));
  const ci = data.map((d) => cpu.upload(d, "float32"));
  const go = g.fused(outputs, gi.map(wrap), size, params, "float32");
  const co = cpu.fused(outputs, ci, size, params, "float32");
  try {
    for (let j = 0; j < go.length; j++) {
      const actual = await g.read(go[j]);
      assert.equal(actual.length, size, `${what} output ${j}: length`);
      assertClose(actual, await cpu.read(co[j]), { rtol: 1e-5, atol: 1e-6, what: `${what} output ${j}` });
    }
  } finally {
    for (const s of [...gi, ...go]) g.free(s);
    for (const s of [...ci, ...co]) cpu.free(s);
  }
}

/**
 * `copyInto` of `src` (viewed `sv`) into a `dstSize`-element storage of random values at view `dv`,
 * on both backends, then the whole destination compared: values outside `dv` must be untouched.
 */
async function compareCopy(
  what: string,
  dstSize: number,
  dv: View,
  src: number[],
  sv: View,
  dtypes: { dst: DType; src: DType } = { dst: "float32", src: "float32" },
): Promise<void> {
  const before = values(dstSize, dstSize + 7, dtypes.dst);
  const gd = g.upload(before, dtypes.dst), cd = cpu.upload(before, dtypes.dst);
  const gs = g.upload(src, dtypes.src), cs = cpu.upload(src, dtypes.src);
  try {
    g.copyInto(gd, dv, gs, sv);
    cpu.copyInto(cd, dv, cs, sv);
    assertClose(await g.read(gd), await cpu.read(cd), { rtol: 0, what });
  } finally {
    for (const s of [gd, gs]) g.free(s);
    for (const s of [cd, cs]) cpu.free(s);
  }
}

const flat = (n: number, offset = 0): View => ({ shape: [n], strides: [1], offset });

Deno.test({
  name: "webgpu fused matches cpu for every size mod 4, with a one-element broadcast input",
  ignore,
  async fn() {
    for (const n of TAILS) await compareFused(`adam-like n=${n}`, adamLike(), adamData(n, n), n, ADAM_PARAMS);
  },
});

Deno.test({
  name: "webgpu fused over 1M + 3 elements matches cpu to the last element",
  ignore,
  async fn() {
    await compareFused(`adam-like n=${BIG}`, adamLike(), adamData(BIG, 1), BIG, ADAM_PARAMS);
  },
});

Deno.test({
  name: "webgpu fused falls back to scalar accesses for a storage with no room for whole vec4s",
  ignore,
  async fn() {
    const before = g.pipelines;
    for (const n of [5, 7, 258]) {
      await compareFused(`tight input n=${n}`, adamLike(), adamData(n, 50 + n), n, ADAM_PARAMS, (s, k) => {
        return k === 2 ? tight(s) : s;
      });
    }
    assert.ok(g.pipelines > before, "the scalar variant is a pipeline of its own");
  },
});

Deno.test({
  name: "webgpu copyInto of contiguous views matches cpu for every size mod 4 and leaves the rest untouched",
  ignore,
  async fn() {
    for (const n of TAILS) {
      // buffer copies: the whole storage, and parts of bigger ones at even and odd offsets
      await compareCopy(`whole n=${n}`, n, flat(n), values(n, n), flat(n));
      await compareCopy(`part n=${n}`, n + 9, flat(n, 4), values(n + 8, n), flat(n, 8));
      await compareCopy(`odd offsets n=${n}`, n + 9, flat(n, 3), values(n + 8, n), flat(n, 1));
    }
  },
});

Deno.test({
  name: "webgpu copyInto of int32, bool, converted and strided views matches cpu",
  ignore,
  async fn() {
    for (const dtype of ["int32", "bool"] as const) {
      await compareCopy(`${dtype} n=67`, 80, flat(67, 8), values(71, 3, dtype), flat(67, 4), {
        dst: dtype,
        src: dtype,
      });
    }
    await compareCopy("int32 → float32 n=67", 80, flat(67, 8), values(71, 4, "int32"), flat(67, 4), {
      dst: "float32",
      src: "int32",
    });
    // a transposed source and a strided (every other element) destination
    const src = values(12 * 5, 5);
    const rows: View = { shape: [12, 5], strides: [5, 1], offset: 0 };
    await compareCopy("transposed source", 60, rows, src, { shape: [12, 5], strides: [1, 12], offset: 0 });
    await compareCopy("strided destination", 130, { shape: [60], strides: [2], offset: 4 }, src, flat(60));
    // a broadcast source (stride 0)
    await compareCopy("broadcast source", 64, flat(64), [2.5], { shape: [64], strides: [0], offset: 0 });
  },
});

Deno.test({
  name: "webgpu copyInto between windows of one buffer goes through a temporary and matches cpu",
  ignore,
  async fn() {
    // two windows into one 3072-element storage, as split.ts makes them (aligned byte offsets)
    const align = Math.max(16, g.limits.minStorageBufferOffsetAlignment) / 4;
    const n = 3 * 1024, at = Math.ceil(1024 / align) * align;
    const data = values(n, 77);
    const whole = g.upload(data, "float32");
    const ref = cpu.upload(data, "float32");
    const buf = (whole as WebGPUStorage).buf!;
    const low = new WebGPUStorage(g, at, "float32", buf, 0);
    const high = new WebGPUStorage(g, n - at, "float32", buf, at * 4);
    try {
      g.copyInto(high, flat(1001, 5), low, flat(1001, 2));
      cpu.copyInto(ref, flat(1001, at + 5), ref, flat(1001, 2));
      assertClose(await g.read(whole), await cpu.read(ref), { rtol: 0, what: "windows of one buffer" });
    } finally {
      g.free(whole);
      cpu.free(ref);
    }
  },
});

Deno.test({
  name: "webgpu copyInto over 1M + 3 elements matches cpu and leaves the rest untouched",
  ignore,
  async fn() {
    await compareCopy(`part n=${BIG}`, BIG + 8, flat(BIG, 4), values(BIG + 4, 9), flat(BIG, 4));
  },
});

Deno.test({
  name: "webgpu fill and zeros write every element for every size mod 4 and past one round",
  ignore,
  async fn() {
    for (const n of [...TAILS, BIG]) {
      for (const [dtype, value] of [["float32", -1.5], ["int32", -7], ["bool", 1]] as const) {
        const s = g.fill(n, value, dtype);
        const got = await g.read(s);
        // freed, its buffer is the one zeros() gets back: zeros must overwrite the fill
        g.free(s);
        const z = g.zeros(n, dtype);
        const zero = await g.read(z);
        g.free(z);
        assert.equal(got.length, n, `fill ${dtype} n=${n}: length`);
        assert.ok(got.every((x) => x === value), `fill ${dtype} n=${n}: every element is ${value}`);
        assert.equal(zero.length, n, `zeros ${dtype} n=${n}: length`);
        assert.ok(zero.every((x) => x === 0), `zeros ${dtype} n=${n}: every element is 0`);
      }
    }
  },
});
