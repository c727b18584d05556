/**
 * The direct maxPool2d primitives (one pass forward; gather-style backward, or scatter-style
 * where the windows tile the image) against a plain loop reference, across devices, odd sizes,
 * strides, padding, dilation and ties; and the createGraph gradient (composed from
 * differentiable ops) against the direct one.
 */
import assert from "node:assert/strict";
import { randomArray } from "../_helpers.ts";
import { F, grad, tensor } from "../../mod.ts";

type Cfg = { h: number; w: number; k: number; s: number; p: number; d: number };

/** Reference pooling: values, and the gradient of Σ g·y (first maximum of each window wins). */
function reference(x: number[], n: number, h: number, w: number, c: Cfg, g: number[]) {
  const ho = Math.floor((h + 2 * c.p - c.d * (c.k - 1) - 1) / c.s) + 1;
  const wo = Math.floor((w + 2 * c.p - c.d * (c.k - 1) - 1) / c.s) + 1;
  const y: number[] = [], gx = new Array(x.length).fill(0);
  for (let pl = 0; pl < n; pl++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let best = -Infinity, arg = -1;
        for (let ki = 0; ki < c.k; ki++) {
          for (let kj = 0; kj < c.k; kj++) {
            const iy = oy * c.s - c.p + ki * c.d, ix = ox * c.s - c.p + kj * c.d;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x[pl * h * w + iy * w + ix];
            if (arg < 0 || v > best) [best, arg] = [v, pl * h * w + iy * w + ix];
          }
        }
        if (arg >= 0) gx[arg] += g[y.length] ?? 0;
        y.push(best);
      }
    }
  }
  return { y, gx, ho, wo };
}

function configs(): Cfg[] {
  const out: Cfg[] = [];
  // [4, 6] and [6, 12] are tiled exactly by 2×2 and 3×3 windows of stride 2 and 3 (the backward's
  // scatter path); the others leave pixels in no window or in several.
  for (const [h, w] of [[1, 5], [5, 7], [7, 7], [32, 5], [4, 6], [6, 12]]) {
    for (const k of [2, 3]) {
      for (const s of [1, 2, 3]) {
        for (const p of [0, 1]) {
          for (const d of [1, 2]) {
            if (p * 2 > k) continue;
            if (h + 2 * p < d * (k - 1) + 1 || w + 2 * p < d * (k - 1) + 1) continue;
            out.push({ h, w, k, s, p, d });
          }
        }
      }
    }
  }
  return out;
}

let seed = 1;

/** Integer levels (so windows hold ties), from a new seed each call, the same on every run. */
function randomInts(size: number, levels: number): number[] {
  return randomArray(size, 0, levels, seed++, { int: true }).map((v) => v - levels / 2);
}

async function check(c: Cfg, device: "cpu" | undefined, levels: number): Promise<void> {
  const n = 2, ch = 3;
  const x = randomInts(n * ch * c.h * c.w, levels).map((v) => v / 4);
  const r0 = reference(x, n * ch, c.h, c.w, c, []);
  const g = randomInts(r0.y.length, 64).map((v) => v / 8);
  const ref = reference(x, n * ch, c.h, c.w, c, g);
  const xt = tensor(x, { device, dtype: "float32" }).reshape([n, ch, c.h, c.w]).requiresGrad_();
  const y = F.maxPool2d(xt, c.k, { stride: c.s, padding: c.p, dilation: c.d });
  assert.deepEqual(y.shape, [n, ch, ref.ho, ref.wo], JSON.stringify(c));
  y.mul(tensor(g, { device, dtype: "float32" }).reshape(y.shape)).sum().backward();
  assert.deepEqual(Array.from(await y.data()), ref.y, `values ${JSON.stringify(c)} on ${device ?? "default"}`);
  assert.deepEqual(Array.from(await xt.grad!.data()), ref.gx, `grad ${JSON.stringify(c)} on ${device ?? "default"}`);
}

Deno.test("maxPool2d values and gradients match a loop reference on the default device and cpu", async () => {
  for (const c of configs()) {
    for (const device of [undefined, "cpu"] as const) await check(c, device, 16);
  }
});

Deno.test("maxPool2d gives the gradient of a tied window to its first maximum", async () => {
  for (const c of [{ h: 5, w: 7, k: 3, s: 1, p: 1, d: 1 }, { h: 7, w: 7, k: 2, s: 2, p: 0, d: 2 }]) {
    for (const device of [undefined, "cpu"] as const) await check(c, device, 1);
  }
  const x = tensor([[[[1, 1], [1, 1]]]], { dtype: "float32" }).requiresGrad_();
  F.maxPool2d(x, 2).sum().backward();
  assert.deepEqual(Array.from(await x.grad!.data()), [1, 0, 0, 0]);
});

Deno.test("maxPool2d's createGraph gradient equals its direct gradient", async () => {
  const c = { h: 7, w: 5, k: 3, s: 2, p: 1, d: 1 };
  const x = tensor(randomInts(2 * 3 * 7 * 5, 8), { dtype: "float32" }).reshape([2, 3, 7, 5]).requiresGrad_();
  const y = F.maxPool2d(x, c.k, { stride: c.s, padding: c.p });
  const g = tensor(randomInts(y.size, 16), { dtype: "float32" }).reshape(y.shape).requiresGrad_();
  const [direct] = grad([y], [x], { gradOutputs: [g], retainGraph: true });
  const [graph] = grad([y], [x], { gradOutputs: [g], createGraph: true });
  assert.deepEqual(Array.from(await graph!.data()), Array.from(await direct!.data()));
  assert.ok(graph!.requiresGrad);
});

Deno.test("maxPool2d with NaNs: the default device matches cpu (a NaN wins its window, the last one when several)", async () => {
  const [n, ch, h, w] = [2, 3, 6, 12];
  const x = Array.from({ length: n * ch * h * w }, (_, i) => ((i * 37) % 23) - 11);
  for (const i of [0, 1, 14, 15, 40, 77, 200, 201, 212, 213, 300]) x[i] = NaN;
  for (const [k, s, p] of [[2, 2, 0], [3, 3, 0], [3, 1, 1], [2, 1, 0]]) {
    const results = [];
    for (const device of ["cpu", undefined] as const) {
      const xt = tensor(x, { device, dtype: "float32" }).reshape([n, ch, h, w]).requiresGrad_();
      const y = F.maxPool2d(xt, k, { stride: s, padding: p });
      const g = tensor(Array.from({ length: y.size }, (_, i) => (i % 7) + 1), { device, dtype: "float32" });
      y.mul(g.reshape(y.shape)).sum().backward();
      results.push({ y: Array.from(await y.data()), gx: Array.from(await xt.grad!.data()) });
    }
    const what = `kernel ${k} stride ${s} padding ${p}`;
    assert.deepEqual(results[1].y.map(String), results[0].y.map(String), `values, ${what}`);
    assert.deepEqual(results[1].gx, results[0].gx, `gradient, ${what}`);
  }
});
