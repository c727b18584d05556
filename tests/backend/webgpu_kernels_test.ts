/**
 * WebGPU kernels checked against the cpu backend (the reference): random inputs
 * with odd sizes (1, 7, 33, 257), non-contiguous views (transposed, sliced with an
 * offset) and broadcasting (zero strides). Skipped when there is no adapter.
 *
 * Tolerances: the cpu backend computes in float64 and rounds once on store, the
 * GPU computes in float32. Plain arithmetic is compared at 1e-5 relative (about 80
 * ulp). Transcendentals (exp/log/sin/…, WGSL allows several ulp plus absolute error
 * near zeros) also get a 1e-6 absolute floor (erf/gelu: the kernel's erf has
 * absolute error < 1e-6). Sums and matmul accumulate n float32 roundings, so they are
 * compared against n·2^-24·Σ|terms| (the standard summation bound) via a cpu
 * evaluation of the same sum on |inputs|.
 */
import * as ew from "./_elementwise.ts";
import assert from "node:assert/strict";
import type { Backend, DType, Storage, View } from "../../lib/backend/backend.ts";
import { contiguousStrides, contiguousView, numel } from "../../lib/backend/_view.ts";
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import { createWebGPUBackend, type WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import { assertClose, type CloseOptions, randomArray } from "../_helpers.ts";

const gpu: WebGPUBackend | null = await createWebGPUBackend();
const cpu = createReferenceBackend();
const ignore = gpu === null;
const g = gpu as WebGPUBackend;

// ---- helpers ------------------------------------------------------------------------

/** One operand uploaded to both backends. */
interface Pair {
  g: Storage;
  c: Storage;
  v: View;
  name: string;
}

function pair(data: number[], dtype: DType, v: View, name: string): Pair {
  return { g: g.upload(data, dtype), c: cpu.upload(data, dtype), v, name };
}

function freePair(p: Pair): void {
  g.free(p.g);
  cpu.free(p.c);
}

type Layout = "contiguous" | "transposed" | "sliced" | "broadcast";
const LAYOUTS: readonly Layout[] = ["contiguous", "transposed", "sliced", "broadcast"];

/** A storage + view reading `shape` with the given layout. */
function operand(
  shape: readonly number[],
  layout: Layout,
  dtype: DType,
  lo: number,
  hi: number,
  seed: number,
): Pair {
  const values = (n: number) => randomArray(n, lo, hi, seed, { int: dtype !== "float32", float32: true });
  const r = shape.length;
  if (layout === "transposed" && r >= 2) {
    const stored = [...shape];
    [stored[r - 2], stored[r - 1]] = [stored[r - 1], stored[r - 2]];
    const st = contiguousStrides(stored);
    const strides = [...st];
    [strides[r - 2], strides[r - 1]] = [st[r - 1], st[r - 2]];
    return pair(values(numel(stored)), dtype, { shape, strides, offset: 0 }, layout);
  }
  if (layout === "sliced") {
    const stored = shape.map((d) => d + 2);
    const st = contiguousStrides(stored);
    const offset = st.reduce((a, b) => a + b, 0) + 1;
    return pair(values(numel(stored) + 1), dtype, { shape, strides: st, offset }, layout);
  }
  if (layout === "broadcast" && r >= 1) {
    const stored = shape.slice(1);
    const st = contiguousStrides(stored);
    return pair(values(Math.max(1, numel(stored))), dtype, {
      shape,
      strides: [0, ...st],
      offset: 0,
    }, layout);
  }
  return pair(values(numel(shape)), dtype, contiguousView(shape), "contiguous");
}

/** Tolerances of one comparison; `rtol` defaults to 1e-5, `atol` to 0. */
type Tol = Omit<CloseOptions, "what">;

async function check(gs: Storage, cs: Storage, what: string, tol: Tol = {}): Promise<void> {
  try {
    const [actual, expected] = [await g.read(gs), await cpu.read(cs)];
    assert.equal(actual.constructor, expected.constructor, `${what}: array type`);
    assertClose(actual, expected, { rtol: 1e-5, ...tol, what });
  } finally {
    g.free(gs);
    cpu.free(cs);
  }
}

const SHAPES: readonly (readonly number[])[] = [[1], [257], [7, 33], [3, 1, 7]];

// ---- elementwise ----------------------------------------------------------------------

const FLOAT_UNARY: readonly [string, number, number, Tol, (readonly number[])?][] = [
  ["copy", -3, 3, {}],
  ["neg", -3, 3, {}],
  ["exp", -10, 10, { rtol: 2e-6 }],
  ["log", 0.01, 100, { rtol: 2e-6, atol: 1e-6 }],
  ["log1p", -0.9, 5, { rtol: 2e-6, atol: 1e-7 }],
  ["expm1", -3, 3, { rtol: 2e-6, atol: 1e-7 }],
  ["sqrt", 0, 100, {}],
  ["rsqrt", 0.01, 100, {}],
  ["abs", -3, 3, {}],
  ["sign", -3, 3, {}],
  ["sin", -4, 4, { rtol: 2e-6, atol: 1e-6 }],
  ["cos", -4, 4, { rtol: 2e-6, atol: 1e-6 }],
  ["tanh", -8, 8, { rtol: 2e-6, atol: 1e-7 }],
  ["sigmoid", -20, 20, { rtol: 2e-6, atol: 1e-7 }],
  ["relu", -3, 3, {}],
  ["erf", -4, 4, { rtol: 2e-6, atol: 1e-6 }],
  ["floor", -5, 5, {}],
  ["ceil", -5, 5, {}],
  ["round", -5, 5, {}],
  ["reciprocal", 0.1, 10, {}],
  ["isnan", -3, 3, {}],
  ["isinf", -3, 3, {}],
  ["leakyRelu", -3, 3, {}, [0.1]],
  ["geluErf", -5, 5, { rtol: 2e-6, atol: 1e-6 }],
  ["geluTanh", -5, 5, { rtol: 2e-6, atol: 1e-6 }],
  ["softplus", -10, 10, { rtol: 2e-6, atol: 1e-7 }, [2, 15]],
  ["clamp", -3, 3, {}, [-1, 0.5]],
  ["clamp", -3, 3, {}, [-Infinity, 0.5]],
];

Deno.test({
  name: "webgpu unary float32 ops match cpu over odd sizes and views",
  ignore,
  async fn() {
    let seed = 1;
    for (const [op, lo, hi, tol, params] of FLOAT_UNARY) {
      for (const shape of SHAPES) {
        for (const layout of LAYOUTS) {
          const p = operand(shape, layout, "float32", lo, hi, seed++);
          const outDtype: DType = op === "isnan" || op === "isinf" ? "bool" : "float32";
          await check(
            ew.unary(g, op as never, p.g, p.v, outDtype, params),
            ew.unary(cpu, op as never, p.c, p.v, outDtype, params),
            `${op} [${shape}] ${p.name}`,
            tol,
          );
          freePair(p);
        }
      }
    }
  },
});

Deno.test({
  name: "webgpu unary special values: NaN, infinities, round half to even, int32 ops and casts",
  ignore,
  async fn() {
    const special = [NaN, Infinity, -Infinity, 0, -0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e-30, 3e38, -7.25];
    const p = pair(special, "float32", contiguousView([special.length]), "special");
    for (const op of ["isnan", "isinf", "round", "relu", "abs", "neg", "floor", "ceil", "sign", "clamp"] as const) {
      const out: DType = op === "isnan" || op === "isinf" ? "bool" : "float32";
      await check(ew.unary(g, op, p.g, p.v, out, [-1, 1]), ew.unary(cpu, op, p.c, p.v, out, [-1, 1]), `${op} special`);
    }
    for (const out of ["int32", "bool"] as const) {
      const finite = pair([0, -0, 0.5, -1.7, 2.9, -3, 100.25], "float32", contiguousView([7]), "finite");
      await check(
        ew.unary(g, "copy", finite.g, finite.v, out),
        ew.unary(cpu, "copy", finite.c, finite.v, out),
        `cast ${out}`,
      );
      freePair(finite);
    }
    freePair(p);
    let seed = 500;
    for (const shape of SHAPES) {
      for (const layout of LAYOUTS) {
        const q = operand(shape, layout, "int32", -50, 50, seed++);
        for (const op of ["copy", "neg", "abs", "sign", "relu", "clamp"] as const) {
          await check(
            ew.unary(g, op, q.g, q.v, "int32", [-10.5, 20.5]),
            ew.unary(cpu, op, q.c, q.v, "int32", [-10.5, 20.5]),
            `int ${op} [${shape}] ${layout}`,
          );
        }
        for (const out of ["float32", "bool"] as const) {
          await check(ew.unary(g, "copy", q.g, q.v, out), ew.unary(cpu, "copy", q.c, q.v, out), `int→${out} ${layout}`);
        }
        // WGSL allows exp an error of 3 + 2|x| ulp: |x| up to 50 here.
        await check(ew.unary(g, "exp", q.g, q.v, "float32"), ew.unary(cpu, "exp", q.c, q.v, "float32"), `int exp`, {
          rtol: 1.2e-5,
        });
        freePair(q);
        const b = operand(shape, layout, "bool", 0, 2, seed++);
        for (const [op, out] of [["not", "bool"], ["copy", "float32"], ["copy", "int32"]] as const) {
          await check(ew.unary(g, op, b.g, b.v, out), ew.unary(cpu, op, b.c, b.v, out), `bool ${op}→${out} ${layout}`);
        }
        freePair(b);
      }
    }
  },
});

const FLOAT_BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "mod", "atan2"] as const;
const CMP = ["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"] as const;

Deno.test({
  name: "webgpu binary ops match cpu (float32, int32, bool) with broadcasting",
  ignore,
  async fn() {
    let seed = 1000;
    for (const shape of SHAPES) {
      for (const la of LAYOUTS) {
        const lb = LAYOUTS[(LAYOUTS.indexOf(la) + 1) % LAYOUTS.length];
        const a = operand(shape, la, "float32", 0.2, 4, seed++);
        const b = operand(shape, lb, "float32", -3, 3, seed++);
        for (const op of [...FLOAT_BINARY, ...CMP]) {
          const tol: Tol = op === "pow" || op === "atan2"
            ? { rtol: 4e-6, atol: 1e-6 }
            : op === "mod"
            ? { rtol: 1e-5, atol: 1e-5 }
            : {};
          await check(
            ew.binary(g, op, a.g, a.v, b.g, b.v),
            ew.binary(cpu, op, a.c, a.v, b.c, b.v),
            `${op} [${shape}] ${la}/${lb}`,
            tol,
          );
        }
        // negative bases with integer exponents
        const ints = pair(
          randomArray(numel(shape), -4, 4, seed++, { int: true }),
          "float32",
          contiguousView(shape),
          "ints",
        );
        await check(
          ew.binary(g, "pow", b.g, b.v, ints.g, ints.v),
          ew.binary(cpu, "pow", b.c, b.v, ints.c, ints.v),
          "pow neg base",
          {
            rtol: 4e-6,
            atol: 1e-6,
          },
        );
        freePair(ints);
        freePair(a);
        freePair(b);
        const ia = operand(shape, la, "int32", -40, 40, seed++);
        const ib = operand(shape, lb, "int32", 1, 9, seed++);
        const ibn = ew.unary(g, "neg", ib.g, ib.v, "int32");
        const cbn = ew.unary(cpu, "neg", ib.c, ib.v, "int32");
        const cv = contiguousView(shape);
        for (const op of ["add", "sub", "mul", "div", "maximum", "minimum", "mod", ...CMP] as const) {
          await check(
            ew.binary(g, op, ia.g, ia.v, ib.g, ib.v),
            ew.binary(cpu, op, ia.c, ia.v, ib.c, ib.v),
            `int ${op} ${la}`,
          );
          await check(
            ew.binary(g, op, ia.g, ia.v, ibn, cv),
            ew.binary(cpu, op, ia.c, ia.v, cbn, cv),
            `int ${op} neg divisor`,
          );
        }
        const small = operand(shape, la, "int32", -3, 4, seed++);
        const exps = operand(shape, lb, "int32", -1, 6, seed++);
        await check(
          ew.binary(g, "pow", small.g, small.v, exps.g, exps.v),
          ew.binary(cpu, "pow", small.c, small.v, exps.c, exps.v),
          "int pow",
        );
        g.free(ibn);
        cpu.free(cbn);
        for (const p of [ia, ib, small, exps]) freePair(p);
        const ba = operand(shape, la, "bool", 0, 2, seed++);
        const bb = operand(shape, lb, "bool", 0, 2, seed++);
        for (const op of CMP) {
          await check(
            ew.binary(g, op, ba.g, ba.v, bb.g, bb.v),
            ew.binary(cpu, op, ba.c, ba.v, bb.c, bb.v),
            `bool ${op}`,
          );
        }
        freePair(ba);
        freePair(bb);
      }
    }
  },
});

Deno.test({
  name: "webgpu where matches cpu",
  ignore,
  async fn() {
    let seed = 2000;
    for (const shape of SHAPES) {
      for (const layout of LAYOUTS) {
        const c = operand(shape, layout, "bool", 0, 2, seed++);
        for (const dtype of ["float32", "int32", "bool"] as const) {
          const a = operand(shape, LAYOUTS[(LAYOUTS.indexOf(layout) + 1) % 4], dtype, -9, 9, seed++);
          const b = operand(shape, LAYOUTS[(LAYOUTS.indexOf(layout) + 2) % 4], dtype, -9, 9, seed++);
          await check(
            ew.where(g, c.g, c.v, a.g, a.v, b.g, b.v),
            ew.where(cpu, c.c, c.v, a.c, a.v, b.c, b.v),
            `where ${dtype} [${shape}] ${layout}`,
          );
          freePair(a);
          freePair(b);
        }
        freePair(c);
      }
    }
  },
});

// ---- reductions -------------------------------------------------------------------------

/** Absolute bound n·2^-24·Σ|x| for float32 sums, evaluated on cpu. */
async function sumBound(p: Pair, axes: readonly number[], extra = 4): Promise<Float32Array> {
  const abs = ew.unary(cpu, "abs", p.c, p.v, "float32");
  const s = cpu.reduce("sum", abs, contiguousView(p.v.shape), axes);
  const n = axes.reduce((acc, d) => acc * p.v.shape[d], 1);
  const out = (await cpu.read(s)) as Float32Array;
  cpu.free(abs);
  cpu.free(s);
  return out.map((v) => (v * (n + extra) * 2 ** -24) + 1e-7);
}

Deno.test({
  name: "webgpu reduce matches cpu (any axes; small and tree paths)",
  ignore,
  async fn() {
    let seed = 3000;
    const cases: [number[], number[][]][] = [
      [[7, 33, 3], [[0], [1], [2], [0, 2], [0, 1, 2]]],
      [[1], [[0]]],
      [[3, 257], [[1], [0]]],
      [[257, 7], [[0]]],
      [[2, 1000], [[1], [0, 1]]],
      // two reduced dims that do not merge, long enough for the two-pass path; the second has
      // fewer elements than the partials per output, so the index pair wraps several times a step
      [[9, 4, 37, 2], [[0, 2]]],
      [[200, 3, 5], [[0, 2]]],
    ];
    for (const [shape, axesList] of cases) {
      for (const layout of LAYOUTS) {
        const p = operand(shape, layout, "float32", -2, 2, seed++);
        const pp = operand(shape, layout, "float32", 0.99, 1.01, seed++);
        const pi = operand(shape, layout, "int32", -100, 100, seed++);
        const pb = operand(shape, layout, "bool", 0, 2, seed++);
        for (const axes of axesList) {
          const what = `[${shape}] ${layout} axes ${axes}`;
          await check(g.reduce("sum", p.g, p.v, axes), cpu.reduce("sum", p.c, p.v, axes), `sum ${what}`, {
            rtol: 0,
            atolEach: await sumBound(p, axes),
          });
          for (const op of ["max", "min"] as const) {
            await check(g.reduce(op, p.g, p.v, axes), cpu.reduce(op, p.c, p.v, axes), `${op} ${what}`);
            await check(g.reduce(op, pi.g, pi.v, axes), cpu.reduce(op, pi.c, pi.v, axes), `int ${op} ${what}`);
            await check(g.reduce(op, pb.g, pb.v, axes), cpu.reduce(op, pb.c, pb.v, axes), `bool ${op} ${what}`);
          }
          await check(g.reduce("prod", pp.g, pp.v, axes), cpu.reduce("prod", pp.c, pp.v, axes), `prod ${what}`, {
            rtol: 2e-5,
          });
          await check(g.reduce("sum", pi.g, pi.v, axes), cpu.reduce("sum", pi.c, pi.v, axes), `int sum ${what}`);
          await check(g.reduce("sum", pb.g, pb.v, axes), cpu.reduce("sum", pb.c, pb.v, axes), `bool sum ${what}`);
        }
        for (const q of [p, pp, pi, pb]) freePair(q);
      }
    }
    // Empty reductions give the identity; NaN propagates through max.
    const e = pair([], "float32", { shape: [3, 0], strides: [0, 1], offset: 0 }, "empty");
    for (const op of ["sum", "prod", "max", "min"] as const) {
      await check(g.reduce(op, e.g, e.v, [1]), cpu.reduce(op, e.c, e.v, [1]), `empty ${op}`);
    }
    freePair(e);
    const n = pair([1, NaN, 3, 2, 5, 4], "float32", contiguousView([2, 3]), "nan");
    await check(g.reduce("max", n.g, n.v, [1]), cpu.reduce("max", n.c, n.v, [1]), "max NaN");
    freePair(n);
  },
});

Deno.test({
  name: "webgpu sums of millions of elements are complete (llvmpipe ends any invocation's loops at 65,535 steps)",
  ignore,
  async fn() {
    // Before the two-pass split kept each invocation under MAX_LOOP elements, 2^23 ones summed
    // to 8388352 on llvmpipe: 128 partials of 65,534 elements each.
    const cases: [number[], number[]][] = [[[2 ** 23 + 3], [0]], [[2, 2 ** 22 + 5], [1]], [[3, 2 ** 21, 2], [0, 1]]];
    for (const [shape, axes] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const ones = g.fill(n, 1, "float32");
      const sum = g.reduce("sum", ones, contiguousView(shape), axes);
      const got = (await g.read(sum)) as Float32Array;
      const want = axes.reduce((a: number, d) => a * shape[d], 1);
      assert.ok(got.every((v) => v === want), `sum over [${axes}] of ones [${shape}]: got ${got}, want ${want}`);
      g.free(ones);
      g.free(sum);
    }
  },
});

Deno.test({
  name: "webgpu argmax/argmin match cpu",
  ignore,
  async fn() {
    let seed = 4000;
    for (const shape of [[7, 33], [257, 1], [1, 257], [3, 7, 5]]) {
      for (const layout of LAYOUTS) {
        for (const dtype of ["float32", "int32"] as const) {
          const p = operand(shape, layout, dtype, -50, 50, seed++);
          for (let axis = 0; axis < shape.length; axis++) {
            for (const op of ["argmax", "argmin"] as const) {
              await check(
                g.argReduce(op, p.g, p.v, axis),
                cpu.argReduce(op, p.c, p.v, axis),
                `${op} ${dtype} [${shape}] ${layout} axis ${axis}`,
              );
            }
          }
          freePair(p);
        }
      }
    }
    const n = pair([1, 5, NaN, 7, 2, 2], "float32", contiguousView([6]), "nan");
    await check(g.argReduce("argmax", n.g, n.v, 0), cpu.argReduce("argmax", n.c, n.v, 0), "argmax NaN");
    freePair(n);
  },
});

// ---- matmul ------------------------------------------------------------------------------

async function matmulCase(
  batch: number[],
  M: number,
  K: number,
  N: number,
  la: Layout,
  lb: Layout,
  seed: number,
  along?: "rows" | "cols",
) {
  const a = operand([...batch, M, K], la, "float32", -1, 1, seed);
  const b = operand([...batch, K, N], lb, "float32", -1, 1, seed + 1);
  const biasLength = along === "rows" ? M : N;
  const bias = along ? operand([biasLength], "contiguous", "float32", -1, 1, seed + 2) : null;
  const absA = ew.unary(cpu, "abs", a.c, a.v, "float32");
  const absB = ew.unary(cpu, "abs", b.c, b.v, "float32");
  const bs = cpu.matmul(absA, contiguousView(a.v.shape), absB, contiguousView(b.v.shape));
  const bound = ((await cpu.read(bs)) as Float32Array).map((v) => (v + 1) * (K + 3) * 2 ** -24 + 1e-7);
  [absA, absB, bs].forEach((s) => cpu.free(s));
  await check(
    g.matmul(a.g, a.v, b.g, b.v, bias && along ? { values: bias.g, along } : undefined),
    cpu.matmul(a.c, a.v, b.c, b.v, bias && along ? { values: bias.c, along } : undefined),
    `matmul [${batch}] ${M}x${K}x${N} ${la}/${lb}${along ? ` bias along ${along}` : ""}`,
    { rtol: 0, atolEach: bound },
  );
  freePair(a);
  freePair(b);
  if (bias) freePair(bias);
}

Deno.test({
  name: "webgpu matmul matches cpu (odd M/N/K, transposed/sliced/broadcast inputs, batches, biases)",
  ignore,
  async fn() {
    let seed = 5000;
    const sizes: [number, number, number][] = [[1, 1, 1], [1, 7, 33], [7, 33, 1], [33, 7, 257], [257, 33, 7], [
      65,
      64,
      63,
    ], [
      33,
      0,
      7,
    ]];
    for (const [M, K, N] of sizes) {
      for (const la of ["contiguous", "transposed", "sliced"] as const) {
        const lb = la === "contiguous" ? "transposed" : la === "transposed" ? "sliced" : "contiguous";
        await matmulCase([], M, K, N, la, lb, seed += 2);
      }
    }
    await matmulCase([2, 3], 7, 33, 5, "contiguous", "broadcast", seed += 2);
    await matmulCase([3], 33, 7, 65, "broadcast", "transposed", seed += 2);
    await matmulCase([2, 1, 2], 7, 9, 7, "sliced", "sliced", seed += 2);
    // narrow N under many rows runs as (Bᵀ Aᵀ)ᵀ with a transposed store; batched and with biases
    await matmulCase([3], 40, 9, 30, "broadcast", "transposed", seed += 3);
    await matmulCase([2, 3], 70, 5, 27, "sliced", "contiguous", seed += 3);
    for (const along of ["rows", "cols"] as const) {
      await matmulCase([3], 40, 9, 30, "transposed", "contiguous", seed += 3, along);
      await matmulCase([2], 33, 65, 67, "contiguous", "sliced", seed += 3, along);
      await matmulCase([], 5, 7, 3, "contiguous", "contiguous", seed += 3, along);
    }
    // long K: split into slices summed afterwards (llvmpipe cut one workgroup's 32768-long loop
    // short), with and without a bias, a swapped narrow N and a batch
    await matmulCase([], 8, 40000, 8, "contiguous", "transposed", seed += 3);
    await matmulCase([], 33, 20000, 10, "contiguous", "transposed", seed += 3, "cols");
    await matmulCase([2], 33, 6000, 3, "sliced", "contiguous", seed += 3, "rows");
  },
});

// ---- windows ------------------------------------------------------------------------------

Deno.test({
  name: "webgpu im2col/col2im match cpu",
  ignore,
  async fn() {
    let seed = 6000;
    const params = [
      { kernel: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
      { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
      { kernel: [3, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 1] },
      // output rows of ≥ 8 entries take the row-per-invocation im2col, padding on every side
      { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
      { kernel: [2, 3], stride: [2, 1], padding: [1, 2], dilation: [1, 2] },
    ] as const;
    for (const p0 of params) {
      const p = {
        kernel: [...p0.kernel] as [number, number],
        stride: [...p0.stride] as [number, number],
        padding: [...p0.padding] as [number, number],
        dilation: [...p0.dilation] as [number, number],
      };
      for (const layout of ["contiguous", "transposed", "sliced"] as const) {
        for (const dtype of ["float32", "int32"] as const) {
          const x = operand([2, 3, 7, 9], layout, dtype, -5, 5, seed++);
          for (const pad of [0, -Infinity, 1.5]) {
            if (dtype === "int32" && pad === -Infinity) continue;
            await check(
              g.im2col(x.g, x.v, p, pad),
              cpu.im2col(x.c, x.v, p, pad),
              `im2col ${dtype} ${layout} pad ${pad}`,
            );
          }
          const cols = cpu.im2col(x.c, x.v, p, 0);
          const cshape = [2, 3, p.kernel[0] * p.kernel[1], cols.size / (2 * 3 * p.kernel[0] * p.kernel[1])];
          const c = operand(cshape, layout, dtype, -5, 5, seed++);
          const what = `col2im ${dtype} ${layout} ${JSON.stringify(p)}`;
          await check(g.col2im(c.g, c.v, [2, 3, 7, 9], p), cpu.col2im(c.c, c.v, [2, 3, 7, 9], p), what, {
            atol: 1e-5,
          });
          cpu.free(cols);
          freePair(c);
          freePair(x);
        }
      }
    }
  },
});

// ---- indexing ------------------------------------------------------------------------------

Deno.test({
  name: "webgpu gather/scatterAdd match cpu",
  ignore,
  async fn() {
    let seed = 7000;
    for (const dtype of ["float32", "int32"] as const) {
      for (const layout of ["contiguous", "transposed", "sliced"] as const) {
        const a = operand([7, 33], layout, dtype, -9, 9, seed++);
        for (const [dim, ishape] of [[1, [7, 40]], [0, [257, 33]], [1, [1, 1]]] as const) {
          const idx = operand([...ishape], layout, "int32", 0, a.v.shape[dim], seed++);
          await check(
            g.gather({
              source: { storage: a.g, view: a.v },
              dim: dim,
              index: { storage: idx.g, view: idx.v },
              opName: "gather",
            }),
            cpu.gather({
              source: { storage: a.c, view: a.v },
              dim: dim,
              index: { storage: idx.c, view: idx.v },
              opName: "gather",
            }),
            `gather ${dtype} ${layout} dim ${dim}`,
          );
          const src = operand([...ishape], layout, dtype, -9, 9, seed++);
          const base = operand([7, 33], "contiguous", dtype, -9, 9, seed++);
          await check(
            g.scatterAdd({
              base: base.g,
              shape: [7, 33],
              dim: dim,
              index: { storage: idx.g, view: idx.v },
              src: { storage: src.g, view: src.v },
              opName: "scatter_add",
            }),
            cpu.scatterAdd({
              base: base.c,
              shape: [7, 33],
              dim: dim,
              index: { storage: idx.c, view: idx.v },
              src: { storage: src.c, view: src.v },
              opName: "scatter_add",
            }),
            `scatterAdd ${dtype} ${layout} dim ${dim}`,
            { atol: 1e-5 }, // float atomics add in a nondeterministic order
          );
          for (const q of [idx, src, base]) freePair(q);
        }
        freePair(a);
      }
    }
  },
});

Deno.test({
  name: "webgpu gather range fault surfaces at the next read, then clears",
  ignore,
  async fn() {
    const a = g.upload([1, 2, 3, 4, 5, 6, 7], "float32");
    const idx = g.upload([0, 9, 2], "int32");
    const out = g.gather({
      source: { storage: a, view: contiguousView([7]) },
      dim: 0,
      index: { storage: idx, view: contiguousView([3]) },
      opName: "embedding",
    });
    await assert.rejects(() => g.read(out), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /embedding/);
      assert.match(e.message, /index 9/);
      assert.match(e.message, /\[0, 7\)/);
      return true;
    });
    // Clamped result is readable afterwards, and the fault is reported once.
    assert.deepEqual([...await g.read(out)], [1, 7, 3]);
    const bad = g.upload([-1], "int32");
    const s = g.scatterAdd({
      base: g.zeros(7, "float32"),
      shape: [7],
      dim: 0,
      index: { storage: bad, view: contiguousView([1]) },
      src: { storage: a, view: contiguousView([1]) },
      opName: "index_add",
    });
    await assert.rejects(() => g.sync(), /index_add.*index -1/);
    await g.sync();
    for (const x of [a, idx, out, bad, s]) g.free(x);
  },
});

// ---- copyInto and random -----------------------------------------------------------------------

Deno.test({
  name: "webgpu copyInto matches cpu (strided destination, broadcast and overlapping source)",
  ignore,
  async fn() {
    let seed = 8000;
    for (const dtype of ["float32", "int32", "bool"] as const) {
      const dstData = randomArray(9 * 35, -9, 9, seed++, { int: dtype !== "float32", float32: true });
      const gd = g.upload(dstData, dtype);
      const cd = cpu.upload(dstData, dtype);
      const dv: View = { shape: [33, 7], strides: [1, 35], offset: 36 }; // transposed slice
      for (const layout of LAYOUTS) {
        const s = operand([33, 7], layout, dtype, -9, 9, seed++);
        g.copyInto(gd, dv, s.g, s.v);
        cpu.copyInto(cd, dv, s.c, s.v);
        freePair(s);
      }
      // overlapping: shift the storage by one element onto itself
      const sv: View = { shape: [9 * 35 - 1], strides: [1], offset: 0 };
      const dv2: View = { shape: [9 * 35 - 1], strides: [1], offset: 1 };
      g.copyInto(gd, dv2, gd, sv);
      cpu.copyInto(cd, dv2, cd, sv);
      await check(gd, cd, `copyInto ${dtype}`);
    }
  },
});

Deno.test({
  name: "webgpu random: uniform bits equal cpu exactly, normal within float32 tolerance",
  ignore,
  async fn() {
    for (const [size, seed, counter] of [[1, 0, 0], [257, 1234, 99], [33, 0xdeadbeef, 2 ** 32 - 5], [7, -3, 5]]) {
      const gu = g.random("uniform", size, seed, counter, "float32");
      const cu = cpu.random("uniform", size, seed, counter, "float32");
      assert.deepEqual(await g.read(gu), await cpu.read(cu), `uniform ${size} ${seed} ${counter}`);
      g.free(gu);
      cpu.free(cu);
      // f32 log/cos/sqrt vs float64: ~1e-6 relative plus cos's absolute error near its zeros.
      await check(
        g.random("normal", size, seed, counter, "float32"),
        cpu.random("normal", size, seed, counter, "float32"),
        `normal ${size}`,
        { rtol: 1e-5, atol: 1e-5 },
      );
    }
  },
});

// ---- limits, batching, memory ---------------------------------------------------------------------

Deno.test({
  name: "webgpu dispatch with more than 65,535 workgroups (2-D grid) is complete",
  ignore,
  async fn() {
    const n = 65536 * 64 + 3;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (i % 1000) - 500;
    const a = g.upload(data, "float32");
    const o = ew.unary(g, "neg", a, contiguousView([n]), "float32");
    const r = await g.read(o);
    assert.equal(r.length, n);
    for (let i = 0; i < n; i++) if (r[i] !== -data[i]) assert.fail(`element ${i}: ${r[i]} != ${-data[i]}`);
    g.free(a);
    g.free(o);
  },
});

Deno.test({
  name: "webgpu refuses storages beyond maxBufferSize and float64",
  ignore,
  fn() {
    // storages past maxStorageBufferBindingSize are split by the ops (binding_limit_test.ts)
    const limit = g.limits.maxBufferSize;
    assert.throws(() => g.zeros(Math.floor(limit / 4) + 1, "float32"), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /zeros/);
      assert.match(e.message, new RegExp(String(limit)));
      assert.match(e.message, /maxBufferSize/);
      return true;
    });
    assert.throws(() => g.zeros(3, "float64"), (e: Error) => e instanceof TypeError && /cpu backend/.test(e.message));
  },
});

Deno.test({
  name: "webgpu batching: many dispatches, few submits; uploads never clobber pending buffers",
  ignore,
  async fn() {
    const before = g.submits;
    let x = g.upload([1, 2, 3], "float32");
    for (let i = 0; i < 600; i++) {
      const y = ew.unary(g, "neg", x, contiguousView([3]), "float32");
      g.free(x);
      x = y;
    }
    assert.deepEqual([...await g.read(x)], [1, 2, 3]);
    assert.ok(g.submits - before <= 4, `submits ${g.submits - before}`);
    // Hazard: `a` is freed while a pending dispatch still reads it; the next upload
    // of the same size must not land in a's buffer before that dispatch runs.
    const a = g.upload([5, 6, 7], "float32");
    const b = ew.unary(g, "neg", a, contiguousView([3]), "float32");
    g.free(a);
    const c = g.upload([100, 200, 300], "float32");
    assert.deepEqual([...await g.read(b)], [-5, -6, -7]);
    assert.deepEqual([...await g.read(c)], [100, 200, 300]);
    for (const s of [x, b, c]) g.free(s);
  },
});

Deno.test({
  name: "webgpu memoryStats returns to the same live counts after frees; pool reuse is steady",
  ignore,
  async fn() {
    await g.sync();
    const start = g.memoryStats();
    const step = async () => {
      const a = g.upload(randomArray(7 * 33, -1, 1, 1, { float32: true }), "float32");
      const b = g.fill(33 * 5, 0.5, "float32");
      const m = g.matmul(a, contiguousView([7, 33]), b, contiguousView([33, 5]));
      const s = g.reduce("sum", m, contiguousView([7, 5]), [1]);
      const z = g.zeros(0, "float32");
      assert.equal((await g.read(z)).length, 0);
      await g.read(s);
      for (const t of [a, b, m, s, z]) g.free(t);
    };
    await step();
    const mid = g.memoryStats();
    assert.equal(mid.liveStorages, start.liveStorages);
    assert.equal(mid.liveBytes, start.liveBytes);
    await step();
    await step();
    const end = g.memoryStats();
    assert.equal(end.liveStorages, start.liveStorages);
    assert.equal(end.buffersCreated, mid.buffersCreated, "steady state creates no buffers");
    assert.ok(end.pooledBytes >= end.liveBytes);
    const once = g.zeros(3, "int32");
    g.free(once);
    assert.throws(() => g.free(once), /already freed/);
  },
});

Deno.test({
  name: "webgpu description names the adapter",
  ignore,
  fn() {
    assert.equal(g.name, "webgpu");
    assert.match(g.description, /webgpu/);
    assert.deepEqual([...g.dtypes], ["float32", "int32", "bool"]);
    const b: Backend = g;
    assert.ok(b);
  },
});
