/**
 * The WebAssembly SIMD path of the cpu backend's `evaluate` (lib/backend/cpu/wasm/elementwise.ts):
 * random float32 programs over the ops it covers, on NaN, ±Infinity, ±0, subnormal and tie
 * inputs, dense and broadcast, with params, at sizes around the vector width and split over the
 * threads, must give bit for bit what the JavaScript loops give, and match the reference.
 */
import assert from "node:assert/strict";
import { createCpuBackend } from "../../lib/backend/cpu/backend.ts";
import { simdKnobs } from "../../lib/backend/cpu/evaluate.ts";
import { cpuThreads, setCpuThreads } from "../../lib/backend/cpu/threads.ts";
import { emitElementwise, type SimdRead } from "../../lib/backend/cpu/wasm/elementwise.ts";
import { createReferenceBackend } from "../../lib/backend/reference/backend.ts";
import type { Operand } from "../../lib/backend/backend.ts";
import type { CpuBackend } from "../../lib/backend/cpu/backend.ts";
import type { Expr } from "../../lib/ops/expr.ts";
import { assertClose, rng } from "../_helpers.ts";

/** Values where float semantics differ: NaN, infinities, signed zeros, subnormals, halves (rounding ties). */
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 2.5, 1e-40, -1e-40, 3e38, -3e38, 1e-20];
/** float32 literals (exactly representable), so the SIMD path accepts them. */
const LITERALS = [0, -0, 1, -1, 0.5, 2, -3.25, Infinity, -Infinity, NaN];

const FLOAT_UNARY = ["neg", "abs", "sqrt", "floor", "ceil", "round", "sign", "copy", "relu", "reciprocal", "rsqrt"];
/** The unary ops that compute a bool operand as float (1 or 0). */
const ARITHMETIC_UNARY = ["neg", "abs", "sqrt", "floor", "ceil", "round", "sign", "reciprocal", "rsqrt"];
const FLOAT_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"];
const COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"];
const LOGIC = ["and", "or", "xor"];

/** A random program over the covered ops: float- and bool-valued subexpressions, casts, where, params, literals. */
class ProgramGen {
  constructor(readonly random: () => number, readonly inputs: number, readonly params: number) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)];
  }

  float(depth: number): Expr {
    const r = this.random();
    if (depth <= 0 || r < 0.15) {
      const leaf = this.random();
      if (leaf < 0.6) return { input: Math.floor(this.random() * this.inputs) };
      if (leaf < 0.8 && this.params > 0) return { param: Math.floor(this.random() * this.params) };
      return { const: this.pick(LITERALS) };
    }
    // operands of arithmetic are sometimes bool-valued (converted to 1 or 0); copy, where and the
    // composites that compare their operand (relu, clamp) keep a bool's type, so they get floats
    const operand = () => (this.random() < 0.15 ? this.bool(depth - 1) : this.float(depth - 1));
    const op = this.pick(FLOAT_UNARY);
    if (r < 0.4) return { op, args: [ARITHMETIC_UNARY.includes(op) ? operand() : this.float(depth - 1)] };
    if (r < 0.8) return { op: this.pick(FLOAT_BINARY), args: [operand(), operand()] };
    if (r < 0.88) {
      const [x, y] = this.random() < 0.5 ? [operand(), this.float(depth - 1)] : [this.float(depth - 1), operand()];
      return { op: "where", args: [this.bool(depth - 1), x, y] };
    }
    if (r < 0.94) return { op: "clamp", args: [this.float(depth - 1)], params: [this.leafParam(), this.leafParam()] };
    return { cast: "float", arg: this.bool(depth - 1) };
  }

  bool(depth: number): Expr {
    const r = this.random();
    const any = () => (this.random() < 0.5 ? this.bool(depth - 1) : this.float(depth - 1));
    if (depth <= 0 || r < 0.35) return { op: this.pick(COMPARE), args: [this.float(depth - 1), this.float(depth - 1)] };
    if (r < 0.6) return { op: this.pick(LOGIC), args: [any(), any()] };
    if (r < 0.7) return { op: "not", args: [any()] };
    if (r < 0.8) return { op: this.pick(["isnan", "isinf"]), args: [this.float(depth - 1)] };
    if (r < 0.9) return { op: "where", args: [this.bool(depth - 1), this.bool(depth - 1), this.bool(depth - 1)] };
    return { cast: "bool", arg: this.float(depth - 1) };
  }

  leafParam(): Expr {
    return this.params > 0 && this.random() < 0.5
      ? { param: Math.floor(this.random() * this.params) }
      : { const: this.pick(LITERALS) };
  }

  /** 1 to 3 outputs; some bool-valued (stored as 1 or 0), some a bare leaf. */
  outputs(depth: number): Expr[] {
    const count = 1 + Math.floor(this.random() * 3);
    return Array.from({ length: count }, () => {
      const r = this.random();
      return r < 0.2 ? this.bool(depth) : r < 0.27 ? this.float(0) : this.float(depth);
    });
  }
}

/** `n` float32 values: mostly random, a quarter drawn from {@link SPECIAL}. */
function inputData(random: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.25) return SPECIAL[Math.floor(random() * SPECIAL.length)];
    return (random() * 2 - 1) * 4 ** Math.floor(random() * 4 - 1);
  });
}

/** Element i where `a` and `b` differ (Object.is, so −0 ≠ +0 and NaN = NaN), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  return -1;
}

/** Whether the SIMD run of the last {@link runBoth} took the SIMD path. */
let lastRunWasSimd = false;

/** Runs `outputs` on `cpu` with SIMD on and off; returns both results (read back) for each output. */
function runBoth(
  cpu: CpuBackend,
  outputs: Expr[],
  operands: Operand[],
  params: number[],
): [Float32Array, Float32Array][] {
  const run = (simd: boolean) => {
    simdKnobs.simd = simd;
    try {
      const stores = cpu.evaluate(outputs, operands, outputs.map(() => "float32"), params);
      return stores.map((s) => {
        const data = Float32Array.from(cpu.readSync!(s) as Float32Array);
        cpu.free(s);
        return data;
      });
    } finally {
      simdKnobs.simd = true;
    }
  };
  const runs = simdKnobs.runs;
  const wasm = run(true);
  const simdRan = simdKnobs.runs > runs;
  const js = run(false);
  assert.equal(simdKnobs.runs, runs + (simdRan ? 1 : 0), "the JavaScript run took the SIMD path");
  lastRunWasSimd = simdRan;
  return wasm.map((w, j) => [w, js[j]]);
}

/** The operands of `n` elements for `data` (one element: broadcast with stride 0). */
function operandsOf(cpu: CpuBackend, data: readonly Float32Array[], n: number): Operand[] {
  return data.map((d) => ({
    storage: cpu.upload(d, "float32"),
    view: { shape: [n], strides: [d.length === 1 ? 0 : 1], offset: 0 },
  }));
}

const SIZES = [0, 1, 3, 4, 5, 17, 1031];

/** Random programs at `sizes`, SIMD against the JavaScript loops, bit for bit; returns how many ran the SIMD path. */
function checkRandomPrograms(seed: number, trials: number, sizes: readonly number[]): number {
  const cpu = createCpuBackend(), random = rng(seed);
  let covered = 0;
  for (let trial = 0; trial < trials; trial++) {
    const inputs = 1 + Math.floor(random() * 4), paramCount = Math.floor(random() * 3);
    const gen = new ProgramGen(random, inputs, paramCount);
    const outputs = gen.outputs(1 + Math.floor(random() * 5));
    const params = Array.from({ length: paramCount }, () => random() < 0.3 ? gen.pick(SPECIAL) : random() * 4 - 2);
    const broadcast = Array.from({ length: inputs }, () => random() < 0.3);
    const reads: SimdRead[] = broadcast.map((b) => (b ? "scalar" : "dense"));
    // every op here is covered, so the SIMD path must take the program
    assert.ok(emitElementwise(outputs, reads, paramCount) !== null, `trial ${trial}: ${JSON.stringify(outputs)}`);
    covered++;
    for (const n of sizes) {
      const data = broadcast.map((b) => inputData(random, b ? 1 : n));
      const operands = operandsOf(cpu, data, n);
      const results = runBoth(cpu, outputs, operands, params);
      assert.equal(lastRunWasSimd, n > 0, `trial ${trial} n ${n}: evaluate took the SIMD path`);
      results.forEach(([wasm, js], j) => {
        const i = firstDifference(wasm, js);
        if (i >= 0) {
          const at = data.map((d) => d[d.length === 1 ? 0 : i]);
          assert.fail(
            `trial ${trial} n ${n} output ${j} element ${i}: simd ${wasm[i]}, js ${js[i]}; inputs [${at}], ` +
              `params [${params}]; program ${JSON.stringify(outputs[j])}`,
          );
        }
      });
      for (const o of operands) cpu.free(o.storage);
    }
  }
  return covered;
}

/** Runs `body` with `threads` threads and the given split size, restoring both after. */
function withThreads(threads: number, splitElements: number, body: () => void): void {
  const before = cpuThreads(), split = simdKnobs.splitElements;
  setCpuThreads(threads);
  simdKnobs.splitElements = splitElements;
  try {
    body();
  } finally {
    setCpuThreads(before);
    simdKnobs.splitElements = split;
  }
}

Deno.test("simd evaluate: random float32 programs match the JavaScript loops bit for bit at odd sizes", () => {
  withThreads(1, simdKnobs.splitElements, () => assert.equal(checkRandomPrograms(1, 150, SIZES), 150));
});

Deno.test("simd evaluate: split over every thread (forced at small sizes) the results stay bit for bit", () => {
  const threads = Math.max(2, navigator.hardwareConcurrency);
  const splits = simdKnobs.splitRuns;
  withThreads(threads, 16, () => checkRandomPrograms(2, 40, [17, 33, 1031, 4099]));
  assert.ok(simdKnobs.splitRuns >= splits + 40 * 4, "every run was split");
  // and at the real split size, past it
  withThreads(threads, simdKnobs.splitElements, () => checkRandomPrograms(3, 4, [simdKnobs.splitElements + 13]));
  withThreads(1, simdKnobs.splitElements, () => checkRandomPrograms(3, 4, [simdKnobs.splitElements + 13]));
});

Deno.test("simd evaluate: programs it does not cover are refused, and run the JavaScript loops", () => {
  const x: Expr = { input: 0 };
  for (
    const program of [
      { op: "exp", args: [x] },
      { op: "mul", args: [x, { const: 0.1 }] }, // a float64 literal: x · 0.1 is not an f32 product
      { op: "eq", args: [{ op: "gt", args: [x, x] }, { op: "lt", args: [x, x] }] }, // bools compare as int
      { cast: "int", arg: x },
    ] satisfies Expr[]
  ) {
    assert.equal(emitElementwise([program], ["dense"], 0), null, JSON.stringify(program));
    const cpu = createCpuBackend();
    const data = inputData(rng(4), 37);
    const [[wasm, js]] = runBoth(cpu, [program], operandsOf(cpu, [data], 37), []);
    assert.equal(lastRunWasSimd, false);
    assert.equal(firstDifference(wasm, js), -1);
  }
  assert.ok(emitElementwise([{ op: "mul", args: [x, { const: 0.5 }] }], ["dense"], 0) !== null);
});

Deno.test("simd evaluate: each covered op on special values matches the float64 reference rounded to float32", () => {
  const cpu = createCpuBackend(), ref = createReferenceBackend();
  const values = [...SPECIAL, 0.3, -7.75, 1e-3];
  const a = values.flatMap((v) => values.map(() => v)), b = values.flatMap(() => values);
  const c = a.map((_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : NaN));
  const n = a.length;
  const data = [Float32Array.from(a), Float32Array.from(b), Float32Array.from(c)];
  const programs: Expr[] = [
    ...[...FLOAT_UNARY, "isnan", "isinf", "not"].map((op) => ({ op, args: [{ input: 0 }] })),
    ...[...FLOAT_BINARY, ...COMPARE, ...LOGIC].map((op) => ({ op, args: [{ input: 0 }, { input: 1 }] })),
    { op: "where", args: [{ input: 2 }, { input: 0 }, { input: 1 }] },
    { op: "clamp", args: [{ input: 0 }], params: [{ param: 0 }, { param: 1 }] },
    { op: "mul", args: [{ input: 0 }, { param: 2 }] },
    { cast: "float", arg: { cast: "bool", arg: { input: 0 } } },
  ];
  const params = [-1.5, 2, 0.1]; // 0.1 is rounded to float32 on both paths
  const inputs = data.map((d) => ref.upload(Array.from(d), "float64"));
  for (const program of programs) {
    assert.ok(emitElementwise([program], ["dense", "dense", "dense"], params.length) !== null);
    const [out] = cpu.evaluate([program], operandsOf(cpu, data, n), ["float32"], params);
    const got = cpu.readSync!(out);
    const [want] = ref.fused([program], inputs, n, params.map(Math.fround), "float64");
    const expected = Array.from(ref.readSync!(want), Math.fround);
    assertClose(got, expected, { rtol: 1e-6, what: JSON.stringify(program) });
    // bit for bit (signed zeros too, which assertClose takes as equal), except where the reference
    // rounds a composite once: rsqrt = 1 / √x rounds twice in float32
    if ("op" in program && program.op === "rsqrt") continue;
    const i = firstDifference(got, expected);
    assert.equal(i, -1, `${JSON.stringify(program)} element ${i}: ${got[i]} vs ${expected[i]} (${a[i]}, ${b[i]})`);
  }
});
