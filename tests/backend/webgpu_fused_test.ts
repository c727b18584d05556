/**
 * The WebGPU fused elementwise kernel (`Backend.fused`) checked against the cpu backend:
 * Adam-like updates (3 outputs sharing nodes), a BCE-with-logits-like program
 * (where/log1p/exp/abs), comparisons and logic, on odd sizes with one-element
 * (broadcast) inputs. The cpu evaluates in float64 and rounds on store, the GPU in
 * float32: compared at 1e-5 relative plus a 1e-6 absolute floor for transcendentals.
 * Skipped when there is no adapter.
 */
import { fx } from "../../lib/ops/fx.ts";
import assert from "node:assert/strict";
import type { FusedExpr, Storage } from "../../lib/backend/backend.ts";
import { createReferenceBackend } from "../../lib/backend/reference/mod.ts";
import { createWebGPUBackend, type WebGPUBackend } from "../../lib/backend/webgpu/mod.ts";
import { assertClose, randomArray } from "../_helpers.ts";

const gpu: WebGPUBackend | null = await createWebGPUBackend();
const cpu = createReferenceBackend();
const ignore = gpu === null;
const g = gpu as WebGPUBackend;

// ---- helpers ------------------------------------------------------------------------

/** Seeded uniform float32 inputs; `round` makes them integers in [lo, hi]. */
function floats(n: number, lo: number, hi: number, seed: number, round = false): Float32Array {
  return Float32Array.from(randomArray(n, lo, hi, seed, { int: round ? "nearest" : false }));
}

const input = (k: number): FusedExpr => ({ input: k });
const param = (k: number): FusedExpr => ({ param: k });
const c = (v: number): FusedExpr => ({ const: v });
const { un, bin, where } = fx;

/** Runs `outputs` on both backends and compares every output. */
async function compare(
  what: string,
  outputs: readonly FusedExpr[],
  data: readonly Float32Array[],
  size: number,
  params: readonly number[],
): Promise<void> {
  const gi = data.map((d) => g.upload(d, "float32"));
  const ci = data.map((d) => cpu.upload(d, "float32"));
  const go = g.fused(outputs, gi, size, params, "float32");
  const co = cpu.fused(outputs, ci, size, params, "float32");
  try {
    assert.equal(go.length, outputs.length, `${what}: output count`);
    for (let j = 0; j < go.length; j++) {
      assertClose(await g.read(go[j]), await cpu.read(co[j]), { rtol: 1e-5, atol: 1e-6, what: `${what} output ${j}` });
    }
  } finally {
    for (const s of [...gi, ...go]) g.free(s);
    for (const s of [...ci, ...co]) cpu.free(s);
  }
}

// ---- programs -------------------------------------------------------------------------

/**
 * Adam with weight decay: inputs [p, grad, m, v, wd (one element)], params
 * [lr, beta1, beta2, eps, 1 - beta1^t, 1 - beta2^t]; outputs [p', m', v'] where
 * m' and v' are shared by p'.
 */
function adam(): FusedExpr[] {
  const [p, gr, m, v, wd] = [0, 1, 2, 3, 4].map(input);
  const g2 = bin("add", gr, bin("mul", wd, p));
  const b1 = param(1), b2 = param(2);
  const m1 = bin("add", bin("mul", b1, m), bin("mul", bin("sub", c(1), b1), g2));
  const v1 = bin("add", bin("mul", b2, v), bin("mul", bin("sub", c(1), b2), bin("mul", g2, g2)));
  const denom = bin("add", un("sqrt", bin("div", v1, param(5))), param(3));
  const p1 = bin("sub", p, bin("div", bin("mul", param(0), bin("div", m1, param(4))), denom));
  return [p1, m1, v1];
}

function adamData(n: number, seed: number): Float32Array[] {
  return [
    floats(n, -1, 1, seed),
    floats(n, -2, 2, seed + 1),
    floats(n, -0.5, 0.5, seed + 2),
    floats(n, 0, 1, seed + 3),
    new Float32Array([0.01]),
  ];
}

const ADAM_PARAMS = [1e-3, 0.9, 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3];

/**
 * BCE with logits, per element: inputs [x, y, posWeight (one element)];
 * outputs [loss, dloss/dx, |x| clamped to [0, 3]].
 */
function bce(): FusedExpr[] {
  const [x, y, pw] = [0, 1, 2].map(input);
  const ax = un("abs", x);
  const soft = bin("add", un("relu", un("neg", x)), un("log1p", un("exp", un("neg", ax))));
  const lw = bin("add", c(1), bin("mul", bin("sub", pw, c(1)), y));
  const loss = bin("add", bin("mul", bin("sub", c(1), y), x), bin("mul", lw, soft));
  const ex = un("exp", un("neg", ax));
  const sig = where(bin("ge", x, c(0)), bin("div", c(1), bin("add", c(1), ex)), bin("div", ex, bin("add", c(1), ex)));
  const grad = bin("mul", bin("sub", sig, y), lw);
  return [loss, grad, un("clamp", ax, [0, 3])];
}

function bceData(n: number, seed: number): Float32Array[] {
  return [floats(n, -8, 8, seed), floats(n, 0, 1, seed + 1, true), new Float32Array([2.5])];
}

/** Comparisons, logic, not/isnan and baked unary params on rounded values (ties happen). */
function comparisons(): FusedExpr[] {
  const [a, b, s] = [0, 1, 2].map(input);
  const cmp = (["eq", "ne", "lt", "le", "gt", "ge"] as const).map((op, k) => bin("mul", bin(op, a, b), c(2 ** k)));
  const code = cmp.reduce((x, y) => bin("add", x, y));
  const logic = bin(
    "add",
    bin("add", bin("and", a, b), bin("mul", bin("or", a, b), c(2))),
    bin("add", bin("mul", bin("xor", a, s), c(4)), bin("mul", un("not", b), c(8))),
  );
  const picked = where(bin("gt", a, param(0)), bin("maximum", a, b), bin("mod", a, c(3)));
  const act = bin(
    "add",
    un("leakyRelu", a, [0.2]),
    bin("add", un("softplus", b, [2, 5]), un("clamp", bin("sub", a, b), [-Infinity, 1.5])),
  );
  return [code, logic, picked, act];
}

function comparisonData(n: number, seed: number): Float32Array[] {
  return [floats(n, -3, 3, seed, true), floats(n, -3, 3, seed + 1, true), new Float32Array([1])];
}

const SIZES = [1, 7, 257];

// ---- tests ----------------------------------------------------------------------------

Deno.test({
  name: "webgpu fused Adam-like update with shared nodes matches the cpu backend",
  ignore,
  async fn() {
    for (const n of SIZES) await compare(`adam n=${n}`, adam(), adamData(n, n), n, ADAM_PARAMS);
  },
});

Deno.test({
  name: "webgpu fused BCE-with-logits-like program matches the cpu backend",
  ignore,
  async fn() {
    for (const n of SIZES) await compare(`bce n=${n}`, bce(), bceData(n, 10 + n), n, []);
  },
});

Deno.test({
  name: "webgpu fused comparisons, logic and baked unary params match the cpu backend",
  ignore,
  async fn() {
    for (const n of SIZES) await compare(`cmp n=${n}`, comparisons(), comparisonData(n, 20 + n), n, [0.5]);
  },
});

Deno.test({
  name: "webgpu fused over 2^22 + 3 elements (many per invocation, a partial last vec4) is complete",
  ignore,
  async fn() {
    const n = 65536 * 64 + 3;
    const x = input(0);
    const program = [bin("add", bin("mul", x, param(0)), input(1)), where(bin("gt", x, c(0)), x, un("neg", x))];
    const data = floats(n, -4, 4, 7);
    await compare(`n=${n}`, program, [data, new Float32Array([0.5])], n, [3]);
  },
});

Deno.test({
  name: "webgpu fused with more storages than one dispatch binds splits the outputs",
  ignore,
  async fn() {
    const xs = [0, 1, 2, 3, 4, 5].map(input);
    const all = xs.reduce((a, b) => bin("add", a, b));
    const outputs = [0, 1, 2, 3].map((j) => bin("mul", all, bin("add", xs[j], c(j))));
    const data = [0, 1, 2, 3, 4, 5].map((k) => k === 5 ? new Float32Array([3]) : floats(33, -1, 1, 40 + k));
    const limit = g.limits.maxStorageBuffersPerShaderStage;
    const before = g.pipelines;
    g.limits.maxStorageBuffersPerShaderStage = 8; // WebGPU's default limit: 10 storages need 2+ dispatches
    try {
      await compare("6 inputs 4 outputs", outputs, data, 33, []);
    } finally {
      g.limits.maxStorageBuffersPerShaderStage = limit;
    }
    assert.ok(g.pipelines - before >= 2, "outputs split over several kernels");
  },
});

Deno.test({
  name: "webgpu fused reuses its pipeline when params or broadcast inputs change",
  ignore,
  async fn() {
    await compare("adam first", adam(), adamData(7, 1), 7, ADAM_PARAMS);
    const before = g.pipelines;
    await compare("adam new params", adam(), adamData(7, 2), 7, [0.5, 0.8, 0.99, 1e-6, 0.2, 0.01]);
    const data = adamData(7, 3);
    data[1] = new Float32Array([0.25]);
    await compare("adam broadcast grad", adam(), data, 7, ADAM_PARAMS);
    assert.equal(g.pipelines, before);
  },
});

Deno.test({
  name: "webgpu fused handles size 0 and rejects float64, int32 and wrong input sizes",
  ignore,
  async fn() {
    const empty = g.zeros(0, "float32");
    const out = g.fused([bin("add", input(0), c(1))], [empty], 0, [], "float32");
    assert.equal(out.length, 1);
    assert.equal((await g.read(out[0])).length, 0);
    g.free(out[0]);
    g.free(empty);
    const a: Storage = g.zeros(3, "float32");
    const prog = [un("exp", input(0))];
    assert.throws(
      () => g.fused(prog, [a], 3, [], "float64"),
      (e: Error) => e instanceof TypeError && /cpu/.test(e.message),
    );
    assert.throws(() => g.fused(prog, [a], 3, [], "int32"), TypeError);
    assert.throws(() => g.fused(prog, [a], 4, [], "float32"), /input 0 .* 3 elements/);
    assert.throws(() => g.fused([input(1)], [a], 3, [], "float32"), /input 1 does not exist/);
    g.free(a);
  },
});
