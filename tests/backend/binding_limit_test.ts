/**
 * Primitives over storages past the binding limit, on a WebGPU device whose
 * maxStorageBufferBindingSize is restricted to 64 KiB (16,384 elements) and whose offset alignment
 * is raised to the 256 bytes of most GPUs (llvmpipe needs 32), so small tensors meet both. Each
 * op runs just under, at and over the limit, and on transposed or offset views, against the cpu
 * backend. A piece that was not split would fail loudly: binding a storage past the limit is a
 * RangeError (the last test checks that). Skipped when there is no adapter.
 */
import assert from "node:assert/strict";
import type { DType, Storage, View, WindowParams } from "../../lib/backend/backend.ts";
import { contiguousView, numel } from "../../lib/backend/_view.ts";
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import { createWebGPUBackend, type WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import { restrictLimits } from "../../lib/backend/webgpu/device.ts";
import { elementwise as elementwiseWhole } from "../../lib/backend/webgpu/elementwise.ts";
import { assertClose, type CloseOptions, randomArray } from "../_helpers.ts";

const gpu: WebGPUBackend | null = await createWebGPUBackend();
const cpu = createReferenceBackend();
const ignore = gpu === null;
const g = gpu as WebGPUBackend;
/** Elements one binding may hold here. */
const L = 16384;
if (gpu) restrictLimits(g.limits, { maxStorageBufferBindingSize: L * 4, minStorageBufferOffsetAlignment: 256 });

/** Element counts just under, at and over the limit. */
const AROUND = [L - 1, L, L + 1];

interface Both {
  g: Storage;
  c: Storage;
}

let seed = 1;
function both(n: number, dtype: DType = "float32", lo = -2, hi = 2): Both {
  const data = randomArray(n, lo, hi, seed++, { int: dtype !== "float32", float32: true });
  return { g: g.upload(data, dtype), c: cpu.upload(data, dtype) };
}

async function same(gs: Storage, cs: Storage, what: string, tol: Omit<CloseOptions, "what"> = {}): Promise<void> {
  try {
    const [actual, expected] = [await g.read(gs), await cpu.read(cs)];
    assert.equal(actual.length, expected.length, `${what}: length`);
    assertClose(actual, expected, { rtol: 1e-5, atol: 1e-6, ...tol, what });
  } finally {
    g.free(gs);
    cpu.free(cs);
  }
}

function free(...xs: Both[]): void {
  for (const x of xs) {
    g.free(x.g);
    cpu.free(x.c);
  }
}

/** A square window of `kernel` taps. */
function squareWindow(kernel: number, stride: number, padding: number): WindowParams {
  return { kernel: [kernel, kernel], stride: [stride, stride], padding: [padding, padding], dilation: [1, 1] };
}

/** The transposed view of a stored [cols, rows] matrix, read as [rows, cols]. */
function transposed(rows: number, cols: number): View {
  return { shape: [rows, cols], strides: [1, rows], offset: 0 };
}

Deno.test({
  name: "elementwise and evaluate split contiguous, transposed and offset operands past the binding limit",
  ignore,
  async fn() {
    for (const n of AROUND) {
      const a = both(n), b = both(n);
      const v = contiguousView([n]);
      const ops = (x: Both, y: Both, k: "g" | "c") => [{ storage: x[k], view: v }, { storage: y[k], view: v }];
      await same(
        g.elementwise("mul", ops(a, b, "g"), "float32"),
        cpu.elementwise("mul", ops(a, b, "c"), "float32"),
        `mul ${n}`,
      );
      free(a, b);
    }
    // a transposed operand: no range of whole rows fits, so the tiles are blocks
    const [rows, cols] = [150, 130];
    const t = both(rows * cols), u = both(rows * cols);
    const tv = transposed(rows, cols), uv = contiguousView([rows, cols]);
    await same(
      g.elementwise("sub", [{ storage: t.g, view: tv }, { storage: u.g, view: uv }], "float32"),
      cpu.elementwise("sub", [{ storage: t.c, view: tv }, { storage: u.c, view: uv }], "float32"),
      "sub of a transposed operand",
    );
    // an offset view of a big storage, broadcast against a row
    const big = both(3 * L), row = both(100);
    const bv = { shape: [200, 100], strides: [100, 1], offset: L + 3 },
      rv = { shape: [200, 100], strides: [0, 1], offset: 0 };
    await same(
      g.elementwise("add", [{ storage: big.g, view: bv }, { storage: row.g, view: rv }], "float32"),
      cpu.elementwise("add", [{ storage: big.c, view: bv }, { storage: row.c, view: rv }], "float32"),
      "add at an offset",
    );
    // evaluate: two outputs of one program
    const program = [{ op: "add", args: [{ input: 0 }, { input: 1 }] }, {
      op: "mul",
      args: [{ input: 0 }, { input: 0 }],
    }];
    const operands = (k: "g" | "c") => [{ storage: t[k], view: tv }, { storage: u[k], view: uv }];
    const outs = g.evaluate(program, operands("g"), ["float32", "float32"], []);
    await same(outs[0], cpu.elementwise("add", operands("c"), "float32"), "evaluate sum");
    const square = [{ storage: t.c, view: tv }, { storage: t.c, view: tv }];
    await same(outs[1], cpu.elementwise("mul", square, "float32"), "evaluate square");
    free(t, u, big, row);
  },
});

Deno.test({
  name: "fill, zeros, random and copyInto work on storages past the binding limit",
  ignore,
  async fn() {
    for (const n of AROUND) {
      await same(g.fill(n + 5, 2.5, "float32"), cpu.fill(n + 5, 2.5, "float32"), `fill ${n + 5}`);
      await same(g.zeros(n, "int32"), cpu.zeros(n, "int32"), `zeros ${n}`);
    }
    // the random stream is the same in pieces: uniform values are exact multiples of 2^-24
    await same(
      g.random("uniform", 3 * L + 7, 11, 5, "float32"),
      cpu.random("uniform", 3 * L + 7, 11, 5, "float32"),
      "uniform",
      { rtol: 0, atol: 0 },
    );
    await same(
      g.random("normal", 2 * L + 3, 11, 5, "float32"),
      cpu.random("normal", 2 * L + 3, 11, 5, "float32"),
      "normal",
      { rtol: 1e-5, atol: 1e-5 },
    );
    // copy a transposed block into the middle of a big destination, then within that storage
    const src = both(150 * 130);
    const copied = [g, cpu].map((backend, k) => {
      const dst = backend.zeros(3 * L, "float32");
      backend.copyInto(
        dst,
        { shape: [150, 130], strides: [140, 1], offset: 777 },
        k ? src.c : src.g,
        transposed(150, 130),
      );
      backend.copyInto(dst, { shape: [L + 9], strides: [1], offset: 2 * L - 20 }, dst, contiguousView([L + 9]));
      return dst;
    });
    await same(copied[0], copied[1], "copyInto");
    free(src);
  },
});

Deno.test({
  name: "reduce and argReduce split kept dims, and reduced dims whose one output is past the limit",
  ignore,
  async fn() {
    const cases: [readonly number[], View | null, readonly number[], string][] = [
      [[L + 1], null, [0], "sum of everything"],
      [[40, 1000], null, [1], "sum of rows"],
      [[300, 70], null, [0], "sum of strided columns"],
      [[130, 150], transposed(150, 130), [1], "sum of transposed rows"],
      [[8, 50, 60], null, [0, 2], "two reduced dims"],
    ];
    for (const [shape, view, axes, what] of cases) {
      const a = both(numel(shape));
      const v = view ?? contiguousView(shape);
      for (const op of ["sum", "max"] as const) {
        await same(g.reduce(op, a.g, v, axes), cpu.reduce(op, a.c, v, axes), `${op}: ${what}`, {
          rtol: 1e-4,
          atol: 1e-4,
        });
      }
      free(a);
    }
    const flags = both(2 * L, "bool", 0, 2);
    for (const op of ["sum", "max", "min"] as const) {
      const v = contiguousView([2 * L]);
      await same(g.reduce(op, flags.g, v, [0]), cpu.reduce(op, flags.c, v, [0]), `${op} of bools`);
    }
    free(flags);
    const a = both(50 * 400);
    for (const axis of [0, 1]) {
      const v = contiguousView([50, 400]);
      await same(g.argReduce("argmax", a.g, v, axis), cpu.argReduce("argmax", a.c, v, axis), `argmax dim ${axis}`);
    }
    free(a);
  },
});

Deno.test({
  name: "matmul splits batches, rows and K past the binding limit, with and without bias",
  ignore,
  async fn() {
    const cases: [number[], number[], string][] = [
      [[127, 64], [64, 129], "output just under the limit"],
      [[128, 64], [64, 128], "output at the limit"],
      [[129, 64], [64, 128], "output just over the limit"],
      [[5, 40, 30], [5, 30, 100], "batched"],
      [[4, 20000], [20000, 3], "K over the limit"],
      [[200, 90], [90, 20], "narrow N (computed transposed)"],
    ];
    for (const [as, bs, what] of cases) {
      const a = both(numel(as)), b = both(numel(bs));
      const av = contiguousView(as), bv = contiguousView(bs);
      const K = as[as.length - 1];
      const tol = { rtol: 1e-4, atol: 1e-5 * K };
      await same(g.matmul(a.g, av, b.g, bv), cpu.matmul(a.c, av, b.c, bv), what, tol);
      const M = as[as.length - 2], N = bs[bs.length - 1];
      for (const along of ["rows", "cols"] as const) {
        const bias = both(along === "rows" ? M : N);
        await same(
          g.matmul(a.g, av, b.g, bv, { values: bias.g, along }),
          cpu.matmul(a.c, av, b.c, bv, { values: bias.c, along }),
          `${what} + bias along ${along}`,
          tol,
        );
        free(bias);
      }
      free(a, b);
    }
    // Aᵀ @ B with A stored [K, M]: the tiles of A's rows are strided
    const a = both(64 * 300), b = both(64 * 70);
    const av = transposed(300, 64), bv = contiguousView([64, 70]);
    await same(g.matmul(a.g, av, b.g, bv), cpu.matmul(a.c, av, b.c, bv), "transposed A", { rtol: 1e-4, atol: 1e-4 });
    free(a, b);
  },
});

Deno.test({
  name: "im2col, col2im and max pooling split image planes past the binding limit",
  ignore,
  async fn() {
    const p = squareWindow(3, 1, 1);
    for (const shape of [[3, 4, 30, 30], [2, 3, 40, 40]] as const) {
      const x = both(numel(shape));
      const xv = contiguousView(shape);
      const [gc, cc] = [g.im2col(x.g, xv, p, -1), cpu.im2col(x.c, xv, p, -1)];
      const cv = contiguousView([shape[0], shape[1], 9, shape[2] * shape[3]]);
      await same(g.col2im(gc, cv, shape, p), cpu.col2im(cc, cv, shape, p), `col2im [${shape}]`);
      await same(gc, cc, `im2col [${shape}]`);
      free(x);
    }
    // a channel slice of a bigger batch: the input view is strided between images
    const x = both(4 * 6 * 30 * 30);
    const xv = { shape: [4, 3, 30, 30], strides: [6 * 900, 900, 30, 1], offset: 2 * 900 };
    await same(g.im2col(x.g, xv, p, 0), cpu.im2col(x.c, xv, p, 0), "im2col of a channel slice");
    free(x);
    const pool = squareWindow(2, 2, 0);
    for (const shape of [[4, 8, 24, 24], [3, 7, 25, 25]] as const) {
      const y = both(numel(shape));
      const [gr, cr] = [
        g.maxPool2d(y.g, contiguousView(shape), pool),
        cpu.maxPool2d!(y.c, contiguousView(shape), pool),
      ];
      const gy = both(numel([shape[0], shape[1], Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)]));
      await same(
        g.maxPool2dBackward(gy.g, gr.indices, shape, pool),
        cpu.maxPool2dBackward!(gy.c, cr.indices, shape, pool),
        `maxPool2d backward [${shape}]`,
      );
      await same(gr.values, cr.values, `maxPool2d [${shape}]`);
      await same(gr.indices, cr.indices, `maxPool2d indices [${shape}]`);
      free(y, gy);
    }
  },
});

Deno.test({
  name: "row ops (softmax, layer norm, cross entropy, fused, gather, scatterAdd, assertNone) split rows past the limit",
  ignore,
  async fn() {
    for (const [rows, cols] of [[64, 256], [100, 250], [3, 7000]]) {
      const x = both(rows * cols), gy = both(rows * cols);
      for (const log of [false, true]) {
        const [gs, cs] = [g.softmax(x.g, rows, cols, log), cpu.softmax!(x.c, rows, cols, log)];
        await same(
          g.softmaxBackward(gs, gy.g, rows, cols, log),
          cpu.softmaxBackward!(cs, gy.c, rows, cols, log),
          `softmax backward ${log}`,
        );
        await same(gs, cs, `softmax ${rows}x${cols} log=${log}`);
      }
      const w = both(cols), b = both(cols);
      const args = (k: "g" | "c") => ({ x: x[k], weight: w[k], bias: b[k], rows, cols, eps: 1e-5 });
      const [gn, cn] = [g.layerNorm(args("g")), cpu.layerNorm!(args("c"))];
      const bargs = (k: "g" | "c", n: typeof gn) => ({
        x: x[k],
        mean: n.mean,
        rstd: n.rstd,
        weight: w[k],
        gy: gy[k],
        rows,
        cols,
        grads: { weight: true, bias: true },
      });
      const [gg, cg] = [g.layerNormBackward(bargs("g", gn)), cpu.layerNormBackward!(bargs("c", cn))];
      for (const key of ["y", "mean", "rstd"] as const) {
        await same(gn[key], cn[key], `layerNorm ${key}`, { rtol: 1e-4, atol: 1e-5 });
      }
      for (const key of ["gx", "gw", "gb"] as const) {
        await same(gg[key]!, cg[key]!, `layerNorm backward ${key}`, { rtol: 1e-4, atol: 1e-4 });
      }
      free(x, gy, w, b);
    }
    const [rows, classes] = [300, 70];
    const logits = both(rows * classes),
      target = both(rows, "int32", 0, classes),
      weight = both(classes, "float32", 0.5, 2);
    const ce = (k: "g" | "c") => ({
      logits: logits[k],
      rows,
      classes,
      target: target[k],
      weight: weight[k],
      ignoreIndex: 3,
      labelSmoothing: 0.1,
      opName: "crossEntropy",
    });
    const [gl, cl] = [g.crossEntropy(ce("g")), cpu.crossEntropy!(ce("c"))];
    const gr = both(rows);
    await same(
      g.crossEntropyBackward({ ...ce("g"), gradRows: gr.g }),
      cpu.crossEntropyBackward!({ ...ce("c"), gradRows: gr.c }),
      "crossEntropy backward",
    );
    await same(gl[0], cl[0], "crossEntropy loss", { rtol: 1e-4 });
    await same(gl[1], cl[1], "crossEntropy row weight");
    free(logits, target, weight, gr);
    // fused: a big input and a one-element input
    const a = both(2 * L + 5), s = both(1);
    const prog = [{ op: "add", args: [{ input: 0 }, { input: 1 }] }];
    await same(
      g.fused(prog, [a.g, s.g], 2 * L + 5, [], "float32")[0],
      cpu.fused(prog, [a.c, s.c], 2 * L + 5, [], "float32")[0],
      "fused",
    );
    free(a, s);
    // gather along dim 1 and its scatterAdd, index and source past the limit
    const src = both(200 * 100), idx = both(200 * 100, "int32", 0, 10), base = both(200 * 10);
    const v = contiguousView([200, 100]);
    const gat = (k: "g" | "c") => ({
      source: { storage: src[k], view: v },
      dim: 1,
      index: { storage: idx[k], view: v },
      opName: "gather",
    });
    await same(g.gather(gat("g")), cpu.gather(gat("c")), "gather");
    const sc = (k: "g" | "c") => ({
      base: base[k],
      shape: [200, 10],
      dim: 1,
      index: { storage: idx[k], view: v },
      src: { storage: src[k], view: v },
      opName: "scatterAdd",
    });
    await same(g.scatterAdd(sc("g")), cpu.scatterAdd(sc("c")), "scatterAdd", { rtol: 1e-4, atol: 1e-5 });
    free(src, idx, base);
    // assertNone names the flag's index in the whole storage, not in its piece
    const flags = new Array(2 * L + 3).fill(0);
    flags[L + 100] = 1;
    g.assertNone(g.upload(flags, "bool"), (i) => `flag ${i} is set`);
    await assert.rejects(() => g.sync(), new RegExp(`^RangeError: flag ${L + 100} is set`));
  },
});

Deno.test({
  name: "the pieces and copies of split ops are freed: live storages return to where they were",
  ignore,
  async fn() {
    const before = g.memoryStats().liveStorages;
    const x = g.upload(randomArray(3 * L + 5, -1, 1, 99), "float32");
    const ones = g.fill(200 * 300, 1, "float32");
    const v = contiguousView([3 * L + 5]);
    const outs = [
      g.elementwise("exp", [{ storage: x, view: v }], "float32"),
      g.reduce("sum", x, v, [0]),
      g.reduce("max", x, { shape: [50, 983], strides: [983, 1], offset: 1 }, [1]),
      g.matmul(x, { shape: [150, 100], strides: [100, 1], offset: 3 }, x, {
        shape: [100, 200],
        strides: [200, 1],
        offset: 5,
      }),
      g.im2col(x, { shape: [2, 3, 40, 40], strides: [4800, 1600, 40, 1], offset: 7 }, squareWindow(3, 1, 1), 0),
      g.softmax(ones, 200, 300, true),
      g.fill(3 * L, 0.5, "float32"),
    ];
    await g.read(outs[0]);
    for (const o of [...outs, x, ones]) g.free(o);
    assert.equal(g.memoryStats().liveStorages, before, "live storages after freeing every result");
  },
});

Deno.test({
  name: "what cannot split says which op, what is too big and what to do",
  ignore,
  fn() {
    const a = both(2 * L + 2);
    // one argmax slice spans the whole storage (a column of a [L + 1, 2] matrix)
    assert.throws(() => g.argReduce("argmax", a.g, contiguousView([L + 1, 2]), 0), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        e.message,
        /webgpu argmax: one slice along dim 0 of \[16385,2\].*binding limit of 65536 bytes.*smaller/,
      );
      return true;
    });
    // a kernel that does not split refuses a whole binding past the limit
    const v = contiguousView([2 * L + 2]);
    assert.throws(
      () => elementwiseWhole(g, "neg", [{ storage: a.g, view: v }], "float32"),
      /webgpu ew:neg\S*: binding 131080 bytes at once exceeds this device's maxStorageBufferBindingSize of 65536/,
    );
    free(a);
    // im2col splits (image, channel) planes, not a plane whose own columns pass the limit
    const image = both(100 * 100);
    assert.throws(
      () => g.im2col(image.g, contiguousView([1, 1, 100, 100]), squareWindow(3, 1, 1), 0),
      /webgpu im2col: one \[100,100\] plane of \[1,1,100,100\] or \[1,1,9,10000\] exceeds/,
    );
    free(image);
    // a storage past maxBufferSize cannot exist
    const restore = restrictLimits(g.limits, { maxBufferSize: 8 * L });
    try {
      assert.throws(
        () => g.zeros(2 * L + 1, "float32"),
        /webgpu zeros: a storage of 32769 elements .* maxBufferSize of 131072 bytes/,
      );
    } finally {
      restore();
    }
  },
});
