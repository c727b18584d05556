/**
 * The cpu backend's own machinery: the shared heap and its pools (memory counters, steady state,
 * growth), storage checks, and the generated loops of `evaluate` on random chains over strided,
 * broadcast and offset views against the reference backend. The op-by-op checks against the
 * reference are generated in tests/ops.
 */
import assert from "node:assert/strict";
import { createCpuBackend } from "../../lib/backend/cpu/backend.ts";
import { classBytes, Heap } from "../../lib/backend/cpu/heap.ts";
import { createReferenceBackend } from "../../lib/backend/reference/backend.ts";
import type { DType, Operand, View } from "../../lib/backend/backend.ts";
import type { Expr } from "../../lib/ops/expr.ts";
import { assertClose, randomArray, rng } from "../_helpers.ts";

Deno.test("heap size classes: four per power of two, 64-byte aligned, never smaller than asked", () => {
  let previous = 0;
  for (let bytes = 1; bytes < 1 << 20; bytes = Math.ceil(bytes * 1.07) + 1) {
    const c = classBytes(bytes);
    assert.ok(c >= bytes, `${bytes} → ${c}`);
    assert.equal(c % 64, 0);
    assert.ok(c <= Math.max(256, bytes * 1.25 + 64), `${bytes} → ${c} wastes too much`);
    assert.ok(c >= previous);
    previous = c;
  }
});

Deno.test("heap: released blocks are reused by their class; growth keeps earlier views valid", () => {
  const heap = new Heap(65536);
  const a = heap.alloc(1000);
  const view = new Float32Array(heap.memory.buffer, a, 250);
  view.fill(7);
  heap.release(a, 1000);
  assert.equal(heap.alloc(990), a, "same class: the released block comes back");
  const created = heap.blocksCreated;
  const big = heap.alloc(8 << 20); // past the initial 64 KiB: the memory grows
  assert.equal(heap.blocksCreated, created + 1);
  assert.ok(heap.memory.buffer.byteLength >= big + (8 << 20));
  assert.equal(view[249], 7, "a view made before growth still reads the same memory");
  heap.views.f32[(big >> 2) + 5] = 3;
  assert.equal(new Float32Array(heap.memory.buffer, big, 8)[5], 3);
});

Deno.test("heap: a storage past 4 GiB is a RangeError that says what to do", () => {
  const heap = new Heap(65536);
  assert.throws(() => heap.alloc(2 ** 33, "zeros"), /cpu zeros: a storage of 8589934592 bytes does not fit.*dispose/);
});

Deno.test("cpu memory stats: live counters, and a loop that frees what it allocates creates no blocks", () => {
  const b = createCpuBackend();
  assert.deepEqual(b.memoryStats(), { liveStorages: 0, liveBytes: 0, buffersCreated: 0, pooledBytes: 0 });
  const x = b.zeros(10, "float32"), y = b.fill(3, 1, "bool");
  const s = b.memoryStats();
  assert.equal(s.liveStorages, 2);
  assert.equal(s.liveBytes, 43);
  assert.equal(s.buffersCreated, 2);
  b.free(x);
  b.free(y);
  assert.equal(b.memoryStats().liveStorages, 0);
  const step = () => {
    const p = b.upload(randomArray(1000, -1, 1, 3), "float32");
    const q = b.elementwise("mul", [{ storage: p, view: { shape: [1000], strides: [1], offset: 0 } }, {
      storage: p,
      view: { shape: [1000], strides: [1], offset: 0 },
    }], "float32");
    b.free(p);
    b.free(q);
  };
  step();
  const warm = b.memoryStats().buffersCreated;
  for (let i = 0; i < 50; i++) step();
  assert.equal(b.memoryStats().buffersCreated, warm, "steady state takes no new memory");
});

Deno.test("cpu storages: freed, foreign and out-of-range views are refused naming the op", async () => {
  const b = createCpuBackend(), other = createCpuBackend();
  const s = b.upload([1, 2, 3], "float32");
  const v: View = { shape: [3], strides: [1], offset: 0 };
  assert.throws(
    () => other.elementwise("neg", [{ storage: s, view: v }], "float32"),
    /cpu evaluate: storage belongs to another backend/,
  );
  assert.throws(
    () => b.elementwise("neg", [{ storage: s, view: { shape: [3], strides: [2], offset: 0 } }], "float32"),
    /cpu evaluate: view \[3\] strides \[2\] offset 0 reaches outside a storage of 3 elements/,
  );
  b.free(s);
  assert.throws(() => b.free(s), /already freed/);
  await assert.rejects(b.read(s), /already freed/);
});

/** A random chain over `inputs` operands: unary, binary and ternary table ops, a cast and params. */
function randomChain(random: () => number, inputs: number, depth: number): Expr {
  const unary = ["neg", "exp", "tanh", "abs", "sigmoid", "relu", "sqrt"];
  const binary = ["add", "mul", "sub", "maximum"];
  let e: Expr = { input: 0 };
  for (let d = 0; d < depth; d++) {
    const other: Expr = random() < 0.3 ? { param: 0 } : { input: Math.floor(random() * inputs) };
    const r = random();
    if (r < 0.4) e = { op: unary[Math.floor(random() * unary.length)], args: [e] };
    else if (r < 0.9) e = { op: binary[Math.floor(random() * binary.length)], args: [e, other] };
    else e = { op: "where", args: [{ op: "gt", args: [e, { const: 0 }] }, e, other] };
  }
  return e;
}

/** A view of `shape` over a storage, of one of several kinds; returns the storage size it needs. */
function randomView(random: () => number, shape: number[]): [number, View] {
  const kind = Math.floor(random() * 4);
  const n = shape.reduce((a, b) => a * b, 1);
  if (kind === 0) { // contiguous with an offset
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    return [n + 3, { shape, strides, offset: 3 }];
  }
  if (kind === 1) return [1, { shape, strides: shape.map(() => 0), offset: 0 }]; // one element broadcast
  if (kind === 2) { // reversed dims (a transpose)
    const strides: number[] = new Array(shape.length);
    let step = 1;
    for (let d = 0; d < shape.length; d++) {
      strides[d] = step;
      step *= shape[d];
    }
    return [n, { shape, strides, offset: 0 }];
  }
  // broadcast along the first dim, padded rows
  const strides = shape.map((_, i) => (i === 0 ? 0 : shape.slice(i + 1).reduce((a, b) => a * b, 2)));
  const size = 1 + shape.slice(1).reduce((acc, d, i) => acc + (d - 1) * strides[i + 1], 0);
  return [size, { shape, strides, offset: 0 }];
}

/** The elements `view` reads from `data`, in row-major order. */
function readView(data: number[], view: View): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number) => {
    if (d === view.shape.length) return void out.push(data[at]);
    for (let i = 0; i < view.shape[d]; i++) walk(d + 1, at + i * view.strides[d]);
  };
  walk(0, view.offset);
  return out;
}

/** `v` as storing it into `dtype` converts it (float32 rounds, int32 truncates, bool is `!= 0`). */
function store(v: number, dtype: DType): number {
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  if (dtype === "int32") return v | 0;
  return Math.fround(v);
}

Deno.test("cpu evaluate: random chains over strided, broadcast and offset views match the reference", async () => {
  const cpu = createCpuBackend(), ref = createReferenceBackend();
  const random = rng(42);
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + Math.floor(random() * 4);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
    const inputs = 1 + Math.floor(random() * 3);
    const views = Array.from({ length: inputs }, () => randomView(random, shape));
    const data = views.map(([size], k) => randomArray(size, -2, 2, trial * 10 + k, { float32: true }));
    const exprs = [randomChain(random, inputs, 2 + Math.floor(random() * 6)), randomChain(random, inputs, 3)];
    const outDtypes: DType[] = ["float32", random() < 0.5 ? "int32" : "bool"];
    const params = [random() * 2 - 1];
    const operands: Operand[] = views.map(([, view], k) => ({ storage: cpu.upload(data[k], "float32"), view }));
    const outs = cpu.evaluate(exprs, operands, outDtypes, params);
    const got = await Promise.all(outs.map((o) => cpu.read(o)));
    for (const s of [...operands.map((o) => o.storage), ...outs]) cpu.free(s);
    // the reference: each view read out on the host, the program through the reference's fused path
    const n = shape.reduce((a, b) => a * b, 1);
    const dense = views.map(([, view], k) => ref.upload(readView(data[k], view), "float64"));
    const results = ref.fused(exprs, dense, n, params, "float64");
    for (let j = 0; j < exprs.length; j++) {
      const want = Array.from(await ref.read(results[j]), (v) => store(v, outDtypes[j]));
      assertClose(got[j], want, { rtol: 1e-5, atol: 1e-6, what: `trial ${trial} output ${j} [${shape}]` });
    }
    for (const s of [...dense, ...results]) ref.free(s);
  }
});

Deno.test("cpu copyInto: contiguous, strided, broadcast-free and overlapping copies match the reference", async () => {
  const cpu = createCpuBackend(), ref = createReferenceBackend();
  const data = randomArray(64, -5, 5, 9, { float32: true });
  const cases: [View, View, boolean][] = [
    [{ shape: [4, 8], strides: [8, 1], offset: 0 }, { shape: [4, 8], strides: [8, 1], offset: 32 }, false],
    [{ shape: [4, 8], strides: [1, 4], offset: 0 }, { shape: [4, 8], strides: [8, 1], offset: 0 }, false],
    [{ shape: [2, 3, 4], strides: [16, 4, 1], offset: 5 }, { shape: [2, 3, 4], strides: [1, 2, 6], offset: 1 }, false],
    [{ shape: [3, 5], strides: [10, 2], offset: 1 }, { shape: [3, 5], strides: [5, 1], offset: 30 }, false],
    // the same storage, overlapping: reads happen before writes
    [{ shape: [40], strides: [1], offset: 4 }, { shape: [40], strides: [1], offset: 0 }, true],
    [{ shape: [8, 4], strides: [1, 8], offset: 0 }, { shape: [8, 4], strides: [4, 1], offset: 0 }, true],
  ];
  for (const [dv, sv, same] of cases) {
    const run = async (b: typeof cpu | typeof ref) => {
      const dst = b.upload(data, "float32");
      const src = same ? dst : b.upload(data.map((v) => -v), "float32");
      b.copyInto(dst, dv, src, sv);
      const out = await b.read(dst);
      b.free(dst);
      if (!same) b.free(src);
      return out;
    };
    assertClose(await run(cpu), await run(ref), {
      rtol: 0,
      atol: 0,
      what: `copyInto ${JSON.stringify([dv, sv, same])}`,
    });
  }
});
