/**
 * The cpu backend's float32 kernels for windows, pooling, reductions, softmax, layer norm and
 * cross entropy (lib/backend/cpu/{window,pool2d,reduce,norm,cross_entropy}.ts) against the
 * reference backend on the same float32 inputs: many shapes and window geometries, strided,
 * permuted, sliced, flipped and broadcast views, NaN and ±Infinity where the contract defines
 * them, and the error cases. Every result must be a new storage the test frees, so the live
 * count returning to zero also checks that failing calls leak nothing.
 */
import assert from "node:assert/strict";
import { createCpuBackend } from "../../lib/backend/cpu/backend.ts";
import { createReferenceBackend } from "../../lib/backend/reference/backend.ts";
import type { ReduceOp, Storage, View, WindowParams } from "../../lib/backend/backend.ts";
import { col2im, im2col } from "../../lib/backend/cpu/window.ts";
import { maxPool2d, maxPool2dBackward } from "../../lib/backend/cpu/pool2d.ts";
import { argReduce, reduce } from "../../lib/backend/cpu/reduce.ts";
import { layerNorm, layerNormBackward, softmax, softmaxBackward } from "../../lib/backend/cpu/norm.ts";
import { crossEntropy, crossEntropyBackward } from "../../lib/backend/cpu/cross_entropy.ts";
import { windowOutputSize } from "../../lib/backend/_view.ts";
import { assertClose, type CloseOptions, randomArray } from "../_helpers.ts";

const cpu = createCpuBackend();
const ref = createReferenceBackend();
/** Softmax, layer norm and cross entropy reorder no sums, but allow for a different exp/log rounding. */
const CLOSE: CloseOptions = { rtol: 1e-5, atol: 1e-7 };

let seed = 1;
/** Float32-exact values in [lo, hi), from a new seed each call (the same on every run). */
function values(n: number, lo = -3, hi = 3): number[] {
  return randomArray(n, lo, hi, seed++, { float32: true });
}
/** Integer levels, so that windows and rows hold ties. */
function levels(n: number, k: number): number[] {
  return randomArray(n, 0, k, seed++, { int: true });
}
/** `data` with NaN, +Infinity and −Infinity put at a few seeded places. */
function withSpecials(data: number[], count: number): number[] {
  const out = data.slice();
  const at = randomArray(count, 0, data.length, seed++, { int: true });
  at.forEach((i, k) => (out[i] = [NaN, Infinity, -Infinity][k % 3]));
  return out;
}

/** The same float32 data uploaded to both backends. */
function upload(data: number[], dtype: "float32" | "int32" = "float32"): { c: Storage; r: Storage } {
  return { c: cpu.upload(data, dtype), r: ref.upload(data, dtype) };
}
function release(...pairs: { c: Storage; r: Storage }[]): void {
  for (const p of pairs) {
    cpu.free(p.c);
    ref.free(p.r);
  }
}
/** Reads and frees a cpu result and its reference, asserting they match (exactly unless `close`). */
function same(c: Storage, r: Storage, what: string, close?: CloseOptions): void {
  assert.equal(c.dtype, r.dtype, `${what}: dtype`);
  assert.equal(c.size, r.size, `${what}: size`);
  const got = cpu.readSync(c), want = ref.readSync(r);
  cpu.free(c);
  ref.free(r);
  if (close) assertClose(got, want, { ...close, what });
  // Object.is keeps ±0 apart and matches NaN with NaN
  else {
    const bad = Array.from(want).findIndex((v, i) => !Object.is(got[i], v));
    assert.ok(bad < 0, `${what}: element ${bad} is ${got[bad]}, expected ${want[bad]}`);
  }
}

type Layout = "contiguous" | "offset" | "permuted" | "sliced" | "flipped" | "broadcast";
const LAYOUTS: Layout[] = ["contiguous", "offset", "permuted", "sliced", "flipped", "broadcast"];

/** A storage size and a view reading `shape` from it in the given layout. */
function layout(shape: readonly number[], kind: Layout): { size: number; view: View } {
  const rank = shape.length;
  const order = [...Array(rank).keys()];
  if (kind === "permuted") order.reverse();
  const extent = shape.map((d) => (kind === "sliced" ? 2 * d : d));
  const wide = shape.findIndex((d) => d > 1);
  if (kind === "broadcast" && wide >= 0) extent[wide] = 1;
  const strides = new Array<number>(rank);
  let size = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[order[i]] = size;
    size *= extent[order[i]];
  }
  let offset = 0;
  const view = strides.slice();
  if (kind === "sliced") {
    for (let d = 0; d < rank; d++) [offset, view[d]] = [offset + strides[d], 2 * strides[d]];
  }
  if (kind === "broadcast" && wide >= 0) view[wide] = 0;
  if (kind === "flipped" && rank > 0) {
    offset += (shape[rank - 1] - 1) * strides[rank - 1];
    view[rank - 1] = -strides[rank - 1];
  }
  if (kind === "offset") offset = 3;
  return { size: size + (kind === "offset" ? 3 : 0), view: { shape, strides: view, offset } };
}

function windowParams(
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
): WindowParams {
  return { kernel: k, stride: s, padding: p, dilation: d };
}

/** Window geometries: odd sizes, strides, padding past the kernel, dilation, and ones that do not fit. */
function geometries(): { image: [number, number]; p: WindowParams }[] {
  const out: { image: [number, number]; p: WindowParams }[] = [];
  for (const image of [[1, 1], [5, 7], [8, 8], [3, 11]] as [number, number][]) {
    for (const k of [[1, 1], [3, 3], [2, 3], [5, 5]] as [number, number][]) {
      for (const s of [[1, 1], [2, 2], [1, 3]] as [number, number][]) {
        for (const p of [[0, 0], [1, 1], [2, 0]] as [number, number][]) {
          for (const d of [[1, 1], [2, 1]] as [number, number][]) out.push({ image, p: windowParams(k, s, p, d) });
        }
      }
    }
  }
  return out;
}

Deno.test("im2col matches the reference for every geometry, layout and pad value", () => {
  let cases = 0;
  for (const { image: [H, W], p } of geometries()) {
    for (const kind of LAYOUTS) {
      const { size, view } = layout([2, 3, H, W], kind);
      const x = upload(values(size));
      for (const pad of [0, -Infinity, 1.1]) {
        const what = `im2col ${kind} [${H}, ${W}] ${JSON.stringify(p)} pad ${pad}`;
        same(im2col(cpu, x.c, view, p, pad), ref.im2col(x.r, view, p, pad), what);
        cases++;
      }
      release(x);
    }
  }
  assert.ok(cases > 1000);
});

Deno.test("col2im matches the reference for every geometry and for strided columns", () => {
  for (const { image: [H, W], p } of geometries()) {
    const Ho = windowOutputSize(H, p, 0), Wo = windowOutputSize(W, p, 1);
    if (Ho <= 0 || Wo <= 0) continue;
    const shape = [2, 3, p.kernel[0] * p.kernel[1], Ho * Wo];
    for (const kind of LAYOUTS) {
      const { size, view } = layout(shape, kind);
      const cols = upload(values(size));
      const what = `col2im ${kind} [${H}, ${W}] ${JSON.stringify(p)}`;
      same(col2im(cpu, cols.c, view, [2, 3, H, W], p), ref.col2im(cols.r, view, [2, 3, H, W], p), what);
      release(cols);
    }
  }
});

Deno.test("col2im rejects columns of the wrong shape as the reference does", () => {
  const p = windowParams([3, 3], [1, 1], [1, 1], [1, 1]);
  const cols = upload(values(2 * 9 * 15));
  const view = { shape: [1, 2, 9, 15], strides: [270, 135, 15, 1], offset: 0 };
  const message = /cpu col2im: columns \[1,2,9,15\] should be \[1,2,9,16\]/;
  assert.throws(() => col2im(cpu, cols.c, view, [1, 2, 4, 4], p), message);
  assert.throws(() => ref.col2im(cols.r, view, [1, 2, 4, 4], p), message);
  release(cols);
});

Deno.test("maxPool2d and its backward match the reference, ties, NaN and ±Infinity included", () => {
  for (const { image: [H, W], p } of geometries()) {
    for (const kind of ["contiguous", "permuted", "sliced"] as Layout[]) {
      const { size, view } = layout([2, 3, H, W], kind);
      for (const special of [0, 6]) {
        const x = upload(withSpecials(levels(size, 4), special));
        const what = `maxPool2d ${kind} [${H}, ${W}] ${JSON.stringify(p)} specials ${special}`;
        const c = maxPool2d(cpu, x.c, view, p), r = ref.maxPool2d(x.r, view, p);
        const gy = upload(values(c.values.size));
        const indices = { c: c.indices, r: r.indices };
        const gc = maxPool2dBackward(cpu, gy.c, indices.c, [2, 3, H, W], p);
        same(gc, ref.maxPool2dBackward(gy.r, indices.r, [2, 3, H, W], p), `${what} backward`);
        same(c.values, r.values, `${what} values`);
        same(c.indices, r.indices, `${what} indices`);
        release(x, gy);
      }
    }
  }
});

/** Shapes with size-1 and size-0 dims, of ranks 1 to 4. */
const REDUCE_SHAPES = [[7], [1], [0], [4, 5], [1, 6], [6, 1], [3, 0], [2, 3, 4], [3, 1, 5], [2, 3, 4, 5], [3, 2, 1, 4]];

/** Every non-empty sorted subset of `0..rank-1`. */
function axisSets(rank: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << rank; mask++) out.push([...Array(rank).keys()].filter((d) => mask & (1 << d)));
  return out;
}

Deno.test("reduce matches the reference for every op, axis set and layout", () => {
  let cases = 0;
  for (const shape of REDUCE_SHAPES) {
    for (const kind of LAYOUTS) {
      const { size, view } = layout(shape, kind);
      // prod over [0.5, 1.5) stays far from overflow; specials test NaN/∞ propagation
      const plain = upload(values(size, 0.5, 1.5)), special = upload(withSpecials(values(size), size > 8 ? 3 : 0));
      for (const axes of axisSets(shape.length)) {
        for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
          for (const [name, x] of [["plain", plain], ["specials", special]] as const) {
            const what = `${op} ${kind} [${shape}] axes [${axes}] ${name}`;
            same(reduce(cpu, op, x.c, view, axes), ref.reduce(op, x.r, view, axes), what);
            cases++;
          }
        }
      }
      release(plain, special);
    }
  }
  assert.ok(cases > 2000);
});

Deno.test("reduce keeps ±0 and NaN as the reference's fold does, and sums large groups equally", () => {
  for (const data of [[-0, 0, -0], [0, -0], [-0, -0], [NaN, 1, -Infinity], [Infinity, -Infinity, 2]]) {
    // each value twice: [n] reduced as one run, and [n, 2] column-wise (leading axis)
    const x = upload(data.flatMap((v) => [v, v]));
    for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
      const run = { shape: [data.length], strides: [2], offset: 0 };
      same(reduce(cpu, op, x.c, run, [0]), ref.reduce(op, x.r, run, [0]), `${op} [${data}]`);
      const cols = { shape: [data.length, 2], strides: [2, 1], offset: 0 };
      same(reduce(cpu, op, x.c, cols, [0]), ref.reduce(op, x.r, cols, [0]), `${op} [${data}] by column`);
    }
    release(x);
  }
  // the fast paths: last axis, leading axes (bias gradient) and all axes of a large tensor
  const x = upload(values(512 * 300));
  const view = { shape: [512, 300], strides: [300, 1], offset: 0 };
  for (const axes of [[1], [0], [0, 1]]) {
    same(reduce(cpu, "sum", x.c, view, axes), ref.reduce("sum", x.r, view, axes), `sum [${axes}]`);
  }
  release(x);
});

Deno.test("argReduce matches the reference on ties, NaN, every axis and layout, and rejects empty axes", () => {
  for (const shape of REDUCE_SHAPES) {
    for (const kind of LAYOUTS) {
      const { size, view } = layout(shape, kind);
      const x = upload(withSpecials(levels(size, 3), size > 8 ? 2 : 0));
      for (let axis = 0; axis < shape.length; axis++) {
        for (const op of ["argmax", "argmin"] as const) {
          const what = `${op} ${kind} [${shape}] axis ${axis}`;
          const outSize = shape.reduce((n, d, i) => n * (i === axis ? 1 : d), 1);
          if (shape[axis] === 0 && outSize > 0) {
            const message = new RegExp(`${op}: cannot reduce over an empty dimension ${axis}`);
            assert.throws(() => argReduce(cpu, op, x.c, view, axis), message, what);
            assert.throws(() => ref.argReduce(op, x.r, view, axis), message, what);
          } else {
            same(argReduce(cpu, op, x.c, view, axis), ref.argReduce(op, x.r, view, axis), what);
          }
        }
      }
      release(x);
    }
  }
});

/** Rows × cols of the row-wise kernels, including single rows and columns. */
const ROWS = [[1, 1], [3, 7], [5, 1], [1, 64], [17, 300], [2, 1000]];

Deno.test("softmax and log-softmax and their backward match the reference, rows of ±Infinity and NaN included", () => {
  for (const [rows, cols] of ROWS) {
    for (const special of [0, 4]) {
      const data = withSpecials(values(rows * cols, -20, 20), special);
      if (special && rows > 1) data.fill(-Infinity, 0, cols); // a row of −∞ alone
      const x = upload(data);
      for (const log of [false, true]) {
        const what = `softmax [${rows}, ${cols}] log ${log} specials ${special}`;
        const y = { c: softmax(cpu, x.c, rows, cols, log), r: ref.softmax(x.r, rows, cols, log) };
        const gy = upload(values(rows * cols));
        same(
          softmaxBackward(cpu, y.c, gy.c, rows, cols, log),
          ref.softmaxBackward(y.r, gy.r, rows, cols, log),
          `${what} backward`,
          CLOSE,
        );
        same(y.c, y.r, what, CLOSE);
        release(gy);
      }
      release(x);
    }
  }
});

Deno.test("layerNorm and its backward match the reference with and without weight and bias", () => {
  for (const [rows, cols] of ROWS) {
    const x = upload(values(rows * cols, -4, 6)), w = upload(values(cols)), b = upload(values(cols));
    for (const [hasW, hasB] of [[false, false], [true, false], [false, true], [true, true]]) {
      for (const eps of [1e-5, 0.5]) {
        const what = `layerNorm [${rows}, ${cols}] weight ${hasW} bias ${hasB} eps ${eps}`;
        const args = { rows, cols, eps };
        const c = layerNorm(cpu, { ...args, x: x.c, weight: hasW ? w.c : null, bias: hasB ? b.c : null });
        const r = ref.layerNorm({ ...args, x: x.r, weight: hasW ? w.r : null, bias: hasB ? b.r : null });
        const gy = upload(values(rows * cols));
        const grads = { weight: hasW, bias: hasB };
        const gc = layerNormBackward(cpu, {
          ...args,
          x: x.c,
          mean: c.mean,
          rstd: c.rstd,
          weight: hasW ? w.c : null,
          gy: gy.c,
          grads,
        });
        const gr = ref.layerNormBackward({
          ...args,
          x: x.r,
          mean: r.mean,
          rstd: r.rstd,
          weight: hasW ? w.r : null,
          gy: gy.r,
          grads,
        });
        same(gc.gx, gr.gx, `${what} gx`, CLOSE);
        assert.equal(gc.gw === null, !hasW, `${what}: gw only when asked`);
        assert.equal(gc.gb === null, !hasB, `${what}: gb only when asked`);
        if (gc.gw && gr.gw) same(gc.gw, gr.gw, `${what} gw`, { ...CLOSE, atol: 1e-5 });
        if (gc.gb && gr.gb) same(gc.gb, gr.gb, `${what} gb`, { ...CLOSE, atol: 1e-5 });
        same(c.y, r.y, `${what} y`, CLOSE);
        same(c.mean, r.mean, `${what} mean`, CLOSE);
        same(c.rstd, r.rstd, `${what} rstd`, CLOSE);
        release(gy);
      }
    }
    release(x, w, b);
  }
});

Deno.test("crossEntropy and its backward match the reference with weights, ignoreIndex and label smoothing", () => {
  for (const [rows, classes] of [[1, 1], [4, 3], [9, 10], [33, 100]]) {
    const x = upload(withSpecials(values(rows * classes, -8, 8), rows > 8 ? 2 : 0));
    const w = upload(values(classes, 0.1, 2));
    const gradRows = upload(values(rows));
    for (const ignoreIndex of [-100, 0]) {
      const labels = levels(rows, classes).map((t, n) => (n % 4 === 3 ? ignoreIndex : t));
      const target = upload(labels, "int32");
      for (const weighted of [false, true]) {
        for (const labelSmoothing of [0, 0.1, 1]) {
          const common = { rows, classes, ignoreIndex, labelSmoothing, opName: "crossEntropy" };
          const c = { ...common, logits: x.c, target: target.c, weight: weighted ? w.c : null, gradRows: gradRows.c };
          const r = { ...common, logits: x.r, target: target.r, weight: weighted ? w.r : null, gradRows: gradRows.r };
          const what =
            `crossEntropy [${rows}, ${classes}] ignore ${ignoreIndex} weighted ${weighted} ε ${labelSmoothing}`;
          const [lc, wc] = crossEntropy(cpu, c), [lr, wr] = ref.crossEntropy(r);
          same(lc, lr, `${what} loss`, CLOSE);
          same(wc, wr, `${what} rowWeight`);
          same(crossEntropyBackward(cpu, c), ref.crossEntropyBackward(r), `${what} backward`, CLOSE);
        }
      }
      release(target);
    }
    release(x, w, gradRows);
  }
});

Deno.test("crossEntropy raises the reference's range error for a bad label and leaks nothing", () => {
  const before = cpu.memoryStats().liveStorages;
  const x = upload(values(3 * 4)), gradRows = upload(values(3));
  for (const bad of [4, -1, 7]) {
    const target = upload([0, bad, 2], "int32");
    const common = {
      rows: 3,
      classes: 4,
      weight: null,
      ignoreIndex: -100,
      labelSmoothing: 0,
      opName: "F.crossEntropy",
    };
    const message = new RegExp(
      `^F\\.crossEntropy: class index ${bad} is out of range for 4 classes \\(valid range \\[0, 4\\) or ignoreIndex -100\\)$`,
    );
    const c = { ...common, logits: x.c, target: target.c, gradRows: gradRows.c };
    const r = { ...common, logits: x.r, target: target.r, gradRows: gradRows.r };
    const isRangeError = (e: Error) => e instanceof RangeError && message.test(e.message);
    assert.throws(() => crossEntropy(cpu, c), isRangeError);
    assert.throws(() => ref.crossEntropy(r), isRangeError);
    assert.throws(() => crossEntropyBackward(cpu, c), isRangeError);
    assert.throws(() => ref.crossEntropyBackward(r), isRangeError);
    release(target);
  }
  release(x, gradRows);
  assert.equal(cpu.memoryStats().liveStorages, before);
});

Deno.test("the kernels refuse freed storages and views reaching outside their storage", () => {
  const x = cpu.upload(values(2 * 3 * 4 * 4), "float32");
  const p = windowParams([3, 3], [1, 1], [1, 1], [1, 1]);
  const outside = { shape: [2, 3, 4, 5], strides: [48, 16, 4, 1], offset: 0 };
  assert.throws(() => im2col(cpu, x, outside, p, 0), /cpu im2col: view \[2,3,4,5\].*reaches outside/);
  assert.throws(() => maxPool2d(cpu, x, outside, p), /cpu maxPool2d: view/);
  assert.throws(() => reduce(cpu, "sum", x, { shape: [97], strides: [1], offset: 0 }, [0]), /cpu sum: view/);
  cpu.free(x);
  assert.throws(() => softmax(cpu, x, 2, 48, false), /freed/);
  assert.equal(cpu.memoryStats().liveStorages, 0, "every result of this file was freed");
});
