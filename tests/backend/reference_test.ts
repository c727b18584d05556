/** Tests of the reference backend's primitives on small hand-checked cases. */
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import type { BinaryOp, DType, Storage, UnaryOp, View, WindowParams } from "../../lib/backend/backend.ts";
import { contiguousView, randomBits } from "../../lib/backend/_view.ts";

import * as ew from "./_elementwise.ts";
import assert from "node:assert/strict";
import { assertClose, type CloseOptions } from "../_helpers.ts";

const cpu = createReferenceBackend();

function up(data: number[], dtype: DType = "float32"): Storage {
  return cpu.upload(data, dtype);
}

/** Reads and frees a result. */
async function values(s: Storage): Promise<number[]> {
  const out = Array.from(await cpu.read(s));
  cpu.free(s);
  return out;
}

function view(shape: number[], strides: number[], offset = 0): View {
  return { shape, strides, offset };
}

/** A tolerance relative to |expected| that turns absolute below 1. */
function within(tol: number): CloseOptions {
  return { rtol: tol, atol: tol, combine: "max" };
}

async function unary(
  op: UnaryOp,
  xs: number[],
  dtype: DType = "float64",
  outDtype: DType = dtype,
  params?: number[],
): Promise<number[]> {
  const s = up(xs, dtype);
  const out = ew.unary(cpu, op, s, contiguousView([xs.length]), outDtype, params);
  cpu.free(s);
  return await values(out);
}

async function binary(
  op: BinaryOp,
  xs: number[],
  ys: number[],
  dtype: DType,
): Promise<number[]> {
  const a = up(xs, dtype);
  const b = up(ys, dtype);
  const v = contiguousView([xs.length]);
  const out = ew.binary(cpu, op, a, v, b, v);
  cpu.free(a);
  cpu.free(b);
  return await values(out);
}

// ---- storage ---------------------------------------------------------------------

Deno.test("the backend describes itself and its dtypes", () => {
  assert.equal(cpu.name, "reference");
  assert.equal(cpu.description, "reference (TypeScript, float64)");
  assert.deepEqual([...cpu.dtypes], ["float32", "float64", "int32", "bool"]);
});

Deno.test("zeros, fill and upload convert values to each dtype", async () => {
  const z = cpu.zeros(2, "float32");
  assert.ok((await cpu.read(z)) instanceof Float32Array);
  cpu.free(z);
  const f = cpu.fill(3, 2.5, "float64");
  const fa = await cpu.read(f);
  assert.ok(fa instanceof Float64Array);
  assert.deepEqual(Array.from(fa), [2.5, 2.5, 2.5]);
  cpu.free(f);
  assert.deepEqual(await values(cpu.fill(2, -2.7, "int32")), [-2, -2]);
  assert.deepEqual(await values(cpu.fill(2, 0.5, "bool")), [1, 1]);
  assert.deepEqual(await values(up([0, 0.25, -3, NaN], "bool")), [0, 1, 1, 1]);
  assert.deepEqual(await values(up([1.9, -1.9, 7], "int32")), [1, -1, 7]);
  assert.deepEqual(await values(up([0.1], "float32")), [Math.fround(0.1)]);
});

Deno.test("read returns a fresh copy that does not alias the storage", async () => {
  const s = up([1, 2, 3]);
  const first = await cpu.read(s);
  first[0] = 99;
  assert.deepEqual(Array.from(await cpu.read(s)), [1, 2, 3]);
  cpu.free(s);
});

Deno.test("using or freeing a freed storage throws a helpful error", async () => {
  const s = up([1, 2]);
  cpu.free(s);
  assert.throws(
    () => cpu.free(s),
    /storage was already freed \(disposed tensor used again\?\)/,
  );
  assert.throws(
    () => ew.unary(cpu, "neg", s, contiguousView([2]), "float32"),
    /storage was already freed/,
  );
  await assert.rejects(cpu.read(s), /storage was already freed/);
});

Deno.test("memory stats count live storages, bytes and allocations", async () => {
  const b = createReferenceBackend();
  assert.deepEqual(b.memoryStats(), {
    liveStorages: 0,
    liveBytes: 0,
    buffersCreated: 0,
    pooledBytes: 0,
  });
  const x = b.zeros(4, "float64");
  const y = b.fill(3, 1, "bool");
  assert.deepEqual(b.memoryStats(), {
    liveStorages: 2,
    liveBytes: 35,
    buffersCreated: 2,
    pooledBytes: 35,
  });
  b.free(x);
  const z = ew.unary(b, "not", y, contiguousView([3]), "bool");
  assert.deepEqual(b.memoryStats(), {
    liveStorages: 2,
    liveBytes: 6,
    buffersCreated: 3,
    pooledBytes: 6,
  });
  b.free(y);
  b.free(z);
  assert.equal(b.memoryStats().liveStorages, 0);
  assert.equal(b.memoryStats().liveBytes, 0);
  await b.sync();
});

// ---- unary --------------------------------------------------------------------------

Deno.test("unary ops read strided views with offsets and zero strides", async () => {
  const s = up([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  // Transposed 2x2 window starting at element 1 of a 3x3 matrix: [[1, 4], [2, 5]].
  assert.deepEqual(
    await values(ew.unary(cpu, "copy", s, view([2, 2], [1, 3], 1), "float32")),
    [1, 4, 2, 5],
  );
  // Row 2 broadcast over three rows through a zero stride.
  assert.deepEqual(
    await values(ew.unary(cpu, "neg", s, view([3, 2], [0, 1], 6), "float32")),
    [-6, -7, -6, -7, -6, -7],
  );
  // Every other element of a 3-d view.
  assert.deepEqual(
    await values(
      ew.unary(cpu, "copy", s, view([2, 1, 2], [4, 9, 2], 0), "float32"),
    ),
    [0, 2, 4, 6],
  );
  assert.deepEqual(
    await values(ew.unary(cpu, "copy", s, view([], [], 8), "float32")),
    [8],
  );
  assert.deepEqual(
    await values(ew.unary(cpu, "copy", s, view([0, 3], [3, 1], 0), "float32")),
    [],
  );
  // A view reaching outside its storage is rejected rather than read as garbage.
  assert.throws(
    () => ew.unary(cpu, "copy", s, view([4], [3], 0), "float32"),
    RangeError,
  );
  cpu.free(s);
});

Deno.test("unary math ops match their definitions", async () => {
  const xs = [-2, -0.5, 0, 0.5, 3];
  assertClose(await unary("exp", xs), xs.map(Math.exp), within(1e-15));
  assertClose(await unary("log", [1, Math.E, 0, -1]), [0, 1, -Infinity, NaN], within(1e-15));
  assertClose(await unary("log1p", [1e-20]), [1e-20], within(1e-15));
  assertClose(await unary("expm1", [1e-20]), [1e-20], within(1e-15));
  assert.deepEqual(await unary("sqrt", [4, 0.25]), [2, 0.5]);
  assert.deepEqual(await unary("rsqrt", [4, 0.25]), [0.5, 2]);
  assertClose(await unary("sin", xs), xs.map(Math.sin), within(1e-15));
  assertClose(await unary("cos", xs), xs.map(Math.cos), within(1e-15));
  assertClose(await unary("tanh", xs), xs.map(Math.tanh), within(1e-15));
  assertClose(
    await unary("sigmoid", [...xs, -1000, 1000]),
    [...xs.map((x) => 1 / (1 + Math.exp(-x))), 0, 1],
    within(1e-15),
  );
  assert.deepEqual(await unary("neg", xs), [2, 0.5, -0, -0.5, -3]);
  assert.deepEqual(await unary("relu", xs), [0, 0, 0, 0.5, 3]);
  assert.deepEqual(await unary("abs", xs), [2, 0.5, 0, 0.5, 3]);
  assert.deepEqual(await unary("sign", xs), [-1, -1, 0, 1, 1]);
  assert.deepEqual(await unary("reciprocal", [2, -4]), [0.5, -0.25]);
  assert.deepEqual(await unary("floor", [-1.5, 1.5]), [-2, 1]);
  assert.deepEqual(await unary("ceil", [-1.5, 1.5]), [-1, 2]);
  assert.deepEqual(await unary("leakyRelu", xs, "float64", "float64", [0.25]), [
    -0.5,
    -0.125,
    0,
    0.5,
    3,
  ]);
  assert.deepEqual(await unary("clamp", xs, "float64", "float64", [-1, 1]), [
    -1,
    -0.5,
    0,
    0.5,
    1,
  ]);
  assert.deepEqual(
    await unary("clamp", xs, "float64", "float64", [-Infinity, 0]),
    [-2, -0.5, 0, 0, 0],
  );
  assertClose(
    await unary("softplus", [-2, 0, 30], "float64", "float64", [1, 20]),
    [Math.log1p(Math.exp(-2)), Math.LN2, 30],
    within(1e-15),
  );
  assertClose(
    await unary("softplus", [0, 1], "float64", "float64", [2, 1]),
    [Math.LN2 / 2, 1],
    within(1e-15),
  );
  assertClose(
    await unary("geluErf", [1, -1, 0]),
    [0.8413447460685429, -0.15865525393145707, 0],
    within(1e-14),
  );
  const c = Math.sqrt(2 / Math.PI);
  assertClose(
    await unary("geluTanh", [1, -1]),
    [1, -1].map((x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x ** 3)))),
    within(1e-15),
  );
});

Deno.test("erf is accurate to float64 precision at known values", async () => {
  const known: [number, number][] = [
    [0, 0],
    [1e-10, 1.1283791670955126e-10],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [0.9, 0.7969082124228322],
    [1, 0.8427007929497149],
    [1.3, 0.9340079449406524],
    [-1.5, -0.9661051464753108],
    [2, 0.9953222650189527],
    [2.5, 0.999593047982555],
    [3, 0.9999779095030014],
    [4.5, 0.9999999998033839],
    [5, 0.9999999999984626],
    [Infinity, 1],
    [-Infinity, -1],
  ];
  const got = await unary("erf", known.map(([x]) => x));
  known.forEach(([x, e], i) => {
    assert.ok(Math.abs(got[i] - e) < 1e-15, `erf(${x}) = ${got[i]}, want ${e}`);
  });
  assert.ok(Number.isNaN((await unary("erf", [NaN]))[0]));
});

Deno.test("round is half-to-even", async () => {
  assert.deepEqual(
    await unary("round", [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, 7]),
    [0, 2, 2, -0, -2, -2, 2, 3, -3, 7],
  );
});

Deno.test("isnan, isinf and not output bool", async () => {
  const xs = [NaN, Infinity, -Infinity, 0, 1];
  assert.deepEqual(await unary("isnan", xs, "float32", "bool"), [
    1,
    0,
    0,
    0,
    0,
  ]);
  assert.deepEqual(await unary("isinf", xs, "float32", "bool"), [
    0,
    1,
    1,
    0,
    0,
  ]);
  assert.deepEqual(await unary("not", [0, 1], "bool", "bool"), [1, 0]);
});

Deno.test("copy casts: float to int truncates toward zero, anything to bool is x != 0", async () => {
  assert.deepEqual(
    await unary("copy", [2.7, -2.7, 0.5, -0.5], "float32", "int32"),
    [2, -2, 0, 0],
  );
  assert.deepEqual(
    await unary("copy", [0, -0, 0.1, -3, NaN], "float64", "bool"),
    [0, 0, 1, 1, 1],
  );
  assert.deepEqual(await unary("copy", [0, 5, -1], "int32", "bool"), [0, 1, 1]);
  assert.deepEqual(await unary("copy", [1, 0], "bool", "float32"), [1, 0]);
  assert.deepEqual(await unary("copy", [1, 0], "bool", "int32"), [1, 0]);
  assert.deepEqual(await unary("copy", [1 / 3], "float64", "float32"), [
    Math.fround(1 / 3),
  ]);
});

Deno.test("float32 results are rounded on store", async () => {
  const [x] = await unary("exp", [1], "float32");
  assert.equal(x, Math.fround(Math.E));
});

// ---- binary, where ----------------------------------------------------------------------

Deno.test("binary ops broadcast through zero strides and read transposed views", async () => {
  const a = up([1, 2, 3, 4, 5, 6]); // [[1, 2, 3], [4, 5, 6]]
  const b = up([10, 20, 30]);
  const out = ew.binary(
    cpu,
    "add",
    a,
    view([3, 2], [1, 3]), // a transposed: [[1, 4], [2, 5], [3, 6]]
    b,
    view([3, 2], [1, 0]), // b as a column, repeated across 2 columns
  );
  assert.deepEqual(await values(out), [11, 14, 22, 25, 33, 36]);
  cpu.free(a);
  cpu.free(b);
});

Deno.test("float binary arithmetic follows IEEE and torch", async () => {
  const xs = [7, -7, 2, -8, 1, -1];
  const ys = [2, 2, 0.5, 1 / 3, NaN, Infinity];
  assert.deepEqual(
    await binary("add", xs, ys, "float64"),
    xs.map((x, i) => x + ys[i]),
  );
  assert.deepEqual(
    await binary("sub", xs, ys, "float64"),
    xs.map((x, i) => x - ys[i]),
  );
  assert.deepEqual(
    await binary("mul", xs, ys, "float64"),
    xs.map((x, i) => x * ys[i]),
  );
  assert.deepEqual(
    await binary("div", xs, ys, "float64"),
    xs.map((x, i) => x / ys[i]),
  );
  assertClose(
    await binary("pow", xs, ys, "float64"),
    [49, 49, Math.SQRT2, NaN, 1, 1],
    within(1e-15),
  );
  assert.deepEqual(
    await binary("maximum", [1, NaN, -0.5], [2, 0, -1], "float64").then((r) => r.map(String)),
    ["2", "NaN", "-0.5"],
  );
  assert.deepEqual(await binary("minimum", [1, 3], [2, -1], "float64"), [
    1,
    -1,
  ]);
  assertClose(
    await binary(
      "mod",
      [7, -7, 7, -7, 5.5, 1],
      [3, 3, -3, -3, 2, 0],
      "float64",
    ),
    [1, 2, -2, -1, 1.5, NaN],
    within(1e-6),
  );
  assertClose(await binary("atan2", [1, 1], [1, -1], "float64"), [
    Math.PI / 4,
    3 * Math.PI / 4,
  ], within(1e-15));
});

Deno.test("int32 division truncates, mod takes the divisor's sign, results wrap", async () => {
  assert.deepEqual(
    await binary("div", [7, -7, 7, -7], [2, 2, -2, -2], "int32"),
    [3, -3, -3, 3],
  );
  assert.deepEqual(
    await binary("mod", [7, -7, 7, -7, 6], [3, 3, -3, -3, 3], "int32"),
    [
      1,
      2,
      -2,
      -1,
      0,
    ],
  );
  assert.deepEqual(await binary("add", [2147483647], [1], "int32"), [
    -2147483648,
  ]);
  assert.deepEqual(await binary("mul", [65536], [65536], "int32"), [0]);
  assert.deepEqual(await binary("sub", [-2147483648], [1], "int32"), [
    2147483647,
  ]);
  assert.deepEqual(
    await binary("pow", [3, 2, -2, 2], [4, 31, 3, 32], "int32"),
    [
      81,
      -2147483648,
      -8,
      0,
    ],
  );
  await assert.rejects(binary("div", [1], [0], "int32"), /division by zero/);
});

Deno.test("comparisons and logic ops output bool", async () => {
  const xs = [1, 2, 3, NaN];
  const ys = [2, 2, 2, NaN];
  assert.deepEqual(await binary("eq", xs, ys, "float32"), [0, 1, 0, 0]);
  assert.deepEqual(await binary("ne", xs, ys, "float32"), [1, 0, 1, 1]);
  assert.deepEqual(await binary("lt", xs, ys, "float32"), [1, 0, 0, 0]);
  assert.deepEqual(await binary("le", xs, ys, "float32"), [1, 1, 0, 0]);
  assert.deepEqual(await binary("gt", xs, ys, "float32"), [0, 0, 1, 0]);
  assert.deepEqual(await binary("ge", xs, ys, "float32"), [0, 1, 1, 0]);
  const p = [0, 0, 1, 1];
  const q = [0, 1, 0, 1];
  assert.deepEqual(await binary("and", p, q, "bool"), [0, 0, 0, 1]);
  assert.deepEqual(await binary("or", p, q, "bool"), [0, 1, 1, 1]);
  assert.deepEqual(await binary("xor", p, q, "bool"), [0, 1, 1, 0]);
  const a = up([1, 2], "int32");
  const r = ew.binary(cpu, "lt", a, contiguousView([2]), a, view([2], [-1], 1));
  assert.equal(r.dtype, "bool");
  assert.deepEqual(await values(r), [1, 0]);
  cpu.free(a);
});

Deno.test("where picks from a or b by a broadcast condition", async () => {
  const cond = up([1, 0], "bool");
  const a = up([1, 2, 3, 4], "int32");
  const b = up([-1], "int32");
  const out = ew.where(cpu, cond, view([2, 2], [0, 1]), a, contiguousView([2, 2]), b, view([2, 2], [0, 0]));
  assert.equal(out.dtype, "int32");
  assert.deepEqual(await values(out), [1, -1, 3, -1]);
  for (const s of [cond, a, b]) cpu.free(s);
});

// ---- reductions -------------------------------------------------------------------------

Deno.test("reduce handles single, multiple and strided axes", async () => {
  const s = up([1, 2, 3, 4, 5, 6], "float64"); // [[1, 2, 3], [4, 5, 6]]
  const v = contiguousView([2, 3]);
  assert.deepEqual(await values(cpu.reduce("sum", s, v, [0])), [5, 7, 9]);
  assert.deepEqual(await values(cpu.reduce("sum", s, v, [1])), [6, 15]);
  assert.deepEqual(await values(cpu.reduce("sum", s, v, [0, 1])), [21]);
  assert.deepEqual(await values(cpu.reduce("prod", s, v, [1])), [6, 120]);
  assert.deepEqual(await values(cpu.reduce("max", s, v, [0])), [4, 5, 6]);
  assert.deepEqual(await values(cpu.reduce("min", s, v, [1])), [1, 4]);
  // Transposed view [3, 2]: reduce over axis 1 sums the original columns.
  assert.deepEqual(
    await values(cpu.reduce("sum", s, view([3, 2], [1, 3]), [1])),
    [5, 7, 9],
  );
  // [2, 3, 2] broadcast along the last axis, reduce axes 0 and 2.
  assert.deepEqual(
    await values(cpu.reduce("sum", s, view([2, 3, 2], [3, 1, 0]), [0, 2])),
    [10, 14, 18],
  );
  cpu.free(s);
});

Deno.test("empty reductions give the identity", async () => {
  const s = up([], "float32");
  const v = contiguousView([2, 0]);
  assert.deepEqual(await values(cpu.reduce("sum", s, v, [1])), [0, 0]);
  assert.deepEqual(await values(cpu.reduce("prod", s, v, [1])), [1, 1]);
  assert.deepEqual(await values(cpu.reduce("max", s, v, [1])), [
    -Infinity,
    -Infinity,
  ]);
  assert.deepEqual(await values(cpu.reduce("min", s, v, [1])), [
    Infinity,
    Infinity,
  ]);
  assert.deepEqual(await values(cpu.reduce("sum", s, v, [0])), []);
  cpu.free(s);
});

Deno.test("sum and prod of bool or int32 accumulate as int32", async () => {
  const b = up([1, 0, 1, 1], "bool");
  const r = cpu.reduce("sum", b, contiguousView([4]), [0]);
  assert.equal(r.dtype, "int32");
  assert.deepEqual(await values(r), [3]);
  const m = cpu.reduce("max", b, contiguousView([4]), [0]);
  assert.equal(m.dtype, "bool");
  assert.deepEqual(await values(m), [1]);
  cpu.free(b);
  const i = up([2147483647, 1, 65536, 65536], "int32");
  assert.deepEqual(
    await values(cpu.reduce("sum", i, contiguousView([2, 2]), [1])),
    [-2147483648, 131072],
  );
  assert.deepEqual(
    await values(cpu.reduce("prod", i, contiguousView([2, 2]), [1])),
    [2147483647, 0],
  );
  cpu.free(i);
});

Deno.test("max and min propagate NaN", async () => {
  const s = up([1, NaN, 3]);
  assert.ok(
    Number.isNaN(
      (await values(cpu.reduce("max", s, contiguousView([3]), [0])))[0],
    ),
  );
  assert.ok(
    Number.isNaN(
      (await values(cpu.reduce("min", s, contiguousView([3]), [0])))[0],
    ),
  );
  cpu.free(s);
});

Deno.test("argmax and argmin return the first extreme, with NaN winning", async () => {
  const s = up([3, 1, 3, 1, 0, 5, 5, 0], "float32"); // [[3, 1, 3, 1], [0, 5, 5, 0]]
  const v = contiguousView([2, 4]);
  const am = cpu.argReduce("argmax", s, v, 1);
  assert.equal(am.dtype, "int32");
  assert.deepEqual(await values(am), [0, 1]);
  assert.deepEqual(await values(cpu.argReduce("argmin", s, v, 1)), [1, 0]);
  assert.deepEqual(await values(cpu.argReduce("argmax", s, v, 0)), [
    0,
    1,
    1,
    0,
  ]);
  const n = up([1, NaN, 7, NaN]);
  assert.deepEqual(
    await values(cpu.argReduce("argmax", n, contiguousView([4]), 0)),
    [1],
  );
  assert.deepEqual(
    await values(cpu.argReduce("argmin", n, contiguousView([4]), 0)),
    [1],
  );
  cpu.free(s);
  cpu.free(n);
});

// ---- matmul -----------------------------------------------------------------------------

Deno.test("matmul multiplies plain, transposed and broadcast-batched inputs", async () => {
  const a = up([1, 2, 3, 4, 5, 6]); // [[1, 2, 3], [4, 5, 6]]
  const b = up([7, 8, 9, 10, 11, 12]); // [[7, 8], [9, 10], [11, 12]]
  const ab = cpu.matmul(a, contiguousView([2, 3]), b, contiguousView([3, 2]));
  assert.deepEqual(await values(ab), [58, 64, 139, 154]);
  // a^T (3x2) @ a (2x3), reading a through a transposed view.
  const ata = cpu.matmul(a, view([3, 2], [1, 3]), a, contiguousView([2, 3]));
  assert.deepEqual(await values(ata), [17, 22, 27, 22, 29, 36, 27, 36, 45]);
  // Batch of 2: the same b (zero batch stride) times two slices of a.
  const batched = cpu.matmul(
    a,
    view([2, 1, 3], [3, 3, 1]),
    b,
    view([2, 3, 2], [0, 2, 1]),
  );
  assert.deepEqual(await values(batched), [58, 64, 139, 154]);
  // K = 0 gives zeros.
  const empty = up([]);
  assert.deepEqual(
    await values(
      cpu.matmul(empty, contiguousView([2, 0]), empty, contiguousView([0, 2])),
    ),
    [0, 0, 0, 0],
  );
  cpu.free(a);
  cpu.free(b);
  cpu.free(empty);
});

Deno.test("matmul accumulates in float64 before rounding to float32", async () => {
  const a = up([1, 1e-8, -1], "float32");
  const b = up([1, 1, 1], "float32");
  const out = cpu.matmul(a, contiguousView([1, 3]), b, contiguousView([3, 1]));
  assert.deepEqual(await values(out), [Math.fround(Math.fround(1e-8))]);
  cpu.free(a);
  cpu.free(b);
});

// ---- im2col / col2im --------------------------------------------------------------------

Deno.test("im2col lays out padded, strided windows", async () => {
  // 1x1x3x3 image 1..9, 2x2 kernel, stride 1, padding 0: four 2x2 windows.
  const x = up([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const p: WindowParams = {
    kernel: [2, 2],
    stride: [1, 1],
    padding: [0, 0],
    dilation: [1, 1],
  };
  assert.deepEqual(
    await values(cpu.im2col(x, contiguousView([1, 1, 3, 3]), p, 0)),
    [
      1,
      2,
      4,
      5, // tap (0, 0) over the 4 output positions
      2,
      3,
      5,
      6, // tap (0, 1)
      4,
      5,
      7,
      8, // tap (1, 0)
      5,
      6,
      8,
      9, // tap (1, 1)
    ],
  );
  // 1x1 kernel, stride 2, padding 1, pad value -inf (max pooling style): Ho = Wo = 3,
  // reading rows and columns -1, 1 and 3, so only the centre pixel is inside.
  const q: WindowParams = {
    kernel: [1, 1],
    stride: [2, 2],
    padding: [1, 1],
    dilation: [1, 1],
  };
  assert.deepEqual(
    await values(cpu.im2col(x, contiguousView([1, 1, 3, 3]), q, -Infinity)),
    [
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      5,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
    ],
  );
  // Dilation 2 with a 2x2 kernel on 3x3 reads the four corners.
  const d: WindowParams = {
    kernel: [2, 2],
    stride: [1, 1],
    padding: [0, 0],
    dilation: [2, 2],
  };
  assert.deepEqual(
    await values(cpu.im2col(x, contiguousView([1, 1, 3, 3]), d, 0)),
    [1, 3, 7, 9],
  );
  // A transposed view of the image.
  assert.deepEqual(
    await values(cpu.im2col(x, view([1, 1, 3, 3], [9, 9, 1, 3]), d, 0)),
    [1, 7, 3, 9],
  );
  cpu.free(x);
});

Deno.test("col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>", async () => {
  const B = 2, C = 3, H = 5, W = 4;
  const p: WindowParams = {
    kernel: [3, 2],
    stride: [2, 1],
    padding: [1, 1],
    dilation: [1, 2],
  };
  const Ho = Math.floor((H + 2 - 2 - 1) / 2) + 1;
  const Wo = Math.floor((W + 2 - 2 - 1) / 1) + 1;
  const xs = Array.from({ length: B * C * H * W }, (_, i) => Math.sin(i * 1.7));
  const cs = Array.from(
    { length: B * C * 6 * Ho * Wo },
    (_, i) => Math.cos(i * 0.3),
  );
  const x = up(xs, "float64");
  const c = up(cs, "float64");
  const cols = await values(cpu.im2col(x, contiguousView([B, C, H, W]), p, 0));
  assert.equal(cols.length, cs.length);
  const img = await values(
    cpu.col2im(c, contiguousView([B, C, 6, Ho * Wo]), [B, C, H, W], p),
  );
  const lhs = cols.reduce((s, v, i) => s + v * cs[i], 0);
  const rhs = img.reduce((s, v, i) => s + v * xs[i], 0);
  assert.ok(Math.abs(lhs - rhs) < 1e-12, `${lhs} vs ${rhs}`);
  cpu.free(x);
  cpu.free(c);
});

Deno.test("col2im sums overlapping window entries onto each pixel", async () => {
  const p: WindowParams = {
    kernel: [2, 2],
    stride: [1, 1],
    padding: [0, 0],
    dilation: [1, 1],
  };
  const ones = cpu.fill(16, 1, "float32");
  assert.deepEqual(
    await values(
      cpu.col2im(ones, contiguousView([1, 1, 4, 4]), [1, 1, 3, 3], p),
    ),
    [1, 2, 1, 2, 4, 2, 1, 2, 1],
  );
  cpu.free(ones);
});

// ---- gather / scatterAdd ----------------------------------------------------------------

Deno.test("gather picks along a dimension like torch.gather", async () => {
  const a = up([10, 11, 12, 20, 21, 22]); // [[10, 11, 12], [20, 21, 22]]
  const i1 = up([2, 0, 1, 1], "int32");
  assert.deepEqual(
    await values(
      cpu.gather({
        source: { storage: a, view: contiguousView([2, 3]) },
        dim: 1,
        index: { storage: i1, view: contiguousView([2, 2]) },
        opName: "gather",
      }),
    ),
    [12, 10, 21, 21],
  );
  const i0 = up([1, 0, 1], "int32");
  assert.deepEqual(
    await values(
      cpu.gather({
        source: { storage: a, view: contiguousView([2, 3]) },
        dim: 0,
        index: { storage: i0, view: contiguousView([1, 3]) },
        opName: "gather",
      }),
    ),
    [20, 11, 22],
  );
  // Through a transposed data view [3, 2] and a broadcast index.
  const i2 = up([1], "int32");
  assert.deepEqual(
    await values(
      cpu.gather({
        source: { storage: a, view: view([3, 2], [1, 3]) },
        dim: 1,
        index: { storage: i2, view: view([3, 1], [0, 0]) },
        opName: "gather",
      }),
    ),
    [20, 21, 22],
  );
  for (const s of [a, i1, i0, i2]) cpu.free(s);
});

Deno.test("gather throws a RangeError naming the op, the index and the range", () => {
  const a = up([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const idx = up([0, 7], "int32");
  assert.throws(
    () =>
      cpu.gather({
        source: { storage: a, view: contiguousView([2, 5]) },
        dim: 1,
        index: { storage: idx, view: contiguousView([2, 1]) },
        opName: "gather",
      }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "gather: index 7 is out of range for dimension 1 of size 5",
  );
  const neg = up([-1], "int32");
  assert.throws(
    () =>
      cpu.gather({
        source: { storage: a, view: contiguousView([2, 5]) },
        dim: 1,
        index: { storage: neg, view: contiguousView([1, 1]) },
        opName: "cross_entropy",
      }),
    /^RangeError: cross_entropy: index -1 is out of range for dimension 1 of size 5$/,
  );
  for (const s of [a, idx, neg]) cpu.free(s);
});

Deno.test("scatterAdd adds sources at indexed positions of a copy of base", async () => {
  const base = up([1, 1, 1, 1, 1, 1]); // [2, 3]
  const idx = up([0, 2, 2, 1, 1, 1], "int32");
  const src = up([10, 20, 30, 1, 2, 3]);
  const out = cpu.scatterAdd({
    base: base,
    shape: [2, 3],
    dim: 1,
    index: { storage: idx, view: contiguousView([2, 3]) },
    src: { storage: src, view: contiguousView([2, 3]) },
    opName: "scatterAdd",
  });
  assert.deepEqual(await values(out), [11, 1, 51, 1, 7, 1]);
  assert.deepEqual(Array.from(await cpu.read(base)), [1, 1, 1, 1, 1, 1]);
  // Along dim 0 with int32 data and a broadcast source.
  const ibase = up([0, 0, 0, 0], "int32");
  const idx0 = up([1, 1], "int32");
  const isrc = up([5], "int32");
  const out0 = cpu.scatterAdd({
    base: ibase,
    shape: [2, 2],
    dim: 0,
    index: { storage: idx0, view: contiguousView([1, 2]) },
    src: { storage: isrc, view: view([1, 2], [0, 0]) },
    opName: "scatterAdd",
  });
  assert.deepEqual(await values(out0), [0, 0, 5, 5]);
  const bad = up([3], "int32");
  assert.throws(
    () =>
      cpu.scatterAdd({
        base: base,
        shape: [2, 3],
        dim: 1,
        index: { storage: bad, view: contiguousView([1, 1]) },
        src: { storage: src, view: contiguousView([1, 1]) },
        opName: "index_add",
      }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message ===
        "index_add: index 3 is out of range for dimension 1 of size 3",
  );
  for (const s of [base, idx, src, ibase, idx0, isrc, bad]) cpu.free(s);
});

// ---- copyInto -----------------------------------------------------------------------------

Deno.test("copyInto writes through a strided destination view in place", async () => {
  const dst = cpu.zeros(9, "float32"); // 3x3
  const src = up([1, 2, 3, 4]);
  // Write src^T into the bottom-right 2x2 block.
  cpu.copyInto(dst, view([2, 2], [3, 1], 4), src, view([2, 2], [1, 2]));
  assert.deepEqual(Array.from(await cpu.read(dst)), [
    0,
    0,
    0,
    0,
    1,
    3,
    0,
    2,
    4,
  ]);
  // Broadcast a scalar into the first column.
  cpu.copyInto(dst, view([3], [3], 0), src, view([3], [0], 3));
  assert.deepEqual(Array.from(await cpu.read(dst)), [
    4,
    0,
    0,
    4,
    1,
    3,
    4,
    2,
    4,
  ]);
  // Overlapping views of one storage behave like a copy (shift right by one).
  cpu.copyInto(dst, view([3], [1], 1), dst, view([3], [1], 0));
  assert.deepEqual(Array.from(await cpu.read(dst)), [
    4,
    4,
    0,
    0,
    1,
    3,
    4,
    2,
    4,
  ]);
  cpu.free(dst);
  cpu.free(src);
});

// ---- random -------------------------------------------------------------------------------

Deno.test("uniform random follows the documented counter-based stream", async () => {
  const seed = 1234, counter = 40;
  const r = cpu.random("uniform", 5, seed, counter, "float64");
  const got = await values(r);
  const want = [0, 1, 2, 3, 4].map((i) => (randomBits(seed, counter + i) >>> 8) * 2 ** -24);
  assert.deepEqual(got, want);
  // A call at counter + 2 reproduces the tail: the stream depends only on (seed, counter + i).
  const tail = await values(
    cpu.random("uniform", 3, seed, counter + 2, "float64"),
  );
  assert.deepEqual(tail, got.slice(2));
  // float32 holds the same values exactly (24-bit mantissa).
  assert.deepEqual(
    await values(cpu.random("uniform", 5, seed, counter, "float32")),
    want,
  );
  assert.notDeepEqual(
    await values(cpu.random("uniform", 5, seed + 1, counter, "float64")),
    want,
  );
});

Deno.test("normal random uses two words per element via Box-Muller", async () => {
  const seed = 7, counter = 100;
  const got = await values(cpu.random("normal", 3, seed, counter, "float64"));
  const want = [0, 1, 2].map((i) => {
    const u1 = ((randomBits(seed, counter + 2 * i) >>> 8) + 1) * 2 ** -24;
    const u2 = (randomBits(seed, counter + 2 * i + 1) >>> 8) * 2 ** -24;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
  assert.deepEqual(got, want);
  const f32 = await values(cpu.random("normal", 3, seed, counter, "float32"));
  assert.deepEqual(f32, want.map(Math.fround));
});

Deno.test("random streams have the right mean and spread", async () => {
  const n = 100_000;
  const stats = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    return [mean, Math.sqrt(v)];
  };
  const u = await values(cpu.random("uniform", n, 42, 0, "float32"));
  assert.ok(u.every((x) => x >= 0 && x < 1));
  const [um, us] = stats(u);
  assert.ok(Math.abs(um - 0.5) < 0.01, `uniform mean ${um}`);
  assert.ok(Math.abs(us - Math.sqrt(1 / 12)) < 0.01, `uniform std ${us}`);
  const z = await values(cpu.random("normal", n, 42, 0, "float64"));
  assert.ok(z.every(Number.isFinite));
  const [zm, zs] = stats(z);
  assert.ok(Math.abs(zm) < 0.02, `normal mean ${zm}`);
  assert.ok(Math.abs(zs - 1) < 0.02, `normal std ${zs}`);
});

Deno.test("random refuses non-float dtypes", () => {
  assert.throws(() => cpu.random("uniform", 2, 0, 0, "int32"), TypeError);
});
