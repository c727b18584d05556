// The lazy engine (lib/tensor/lazy.ts): chains of elementwise ops realized as one kernel agree with
// eager execution and with the float64 reference, past every limit, with broadcasting, views and
// casts; pending tensors hold their operands' storages and release them; gradients flow through.
import type { Device } from "../../mod.ts";
import assert from "node:assert/strict";
import { memoryStats, randn, setEager, type Tensor, tensor, tidy } from "../../mod.ts";
import { backendFor, ensureWebGPU, getDefaultDevice } from "../../lib/tensor/device.ts";
import { assertClose, rng } from "../_helpers.ts";

// (these run where webgpu is the default device: DENOGRAD_BACKEND=cpu runs skip them)
const hasGpu = await ensureWebGPU() && getDefaultDevice() === "webgpu";
const opts = { ignore: !hasGpu, sanitizeResources: false, sanitizeOps: false };

/** Runs `fn` with the lazy engine off. */
function eagerly<T>(fn: () => T): T {
  const before = setEager(true);
  try {
    return fn();
  } finally {
    setEager(before);
  }
}

type Chain = (xs: readonly Tensor[]) => Tensor;

/** A random chain of table ops over `xs`, built by the seeded generator (the same chain every call). */
function randomChain(seed: number, steps: number, differentiable = false): Chain {
  return (xs) => {
    const r = rng(seed);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
    let y = xs[0];
    for (let i = 0; i < steps; i++) {
      const other = pick(xs);
      const c = Math.round((r() * 4 - 2) * 8) / 8;
      const step = pick([
        () => y.add(other),
        () => y.sub(other.mul(c)),
        () => y.mul(other.tanh()),
        () => y.maximum(other),
        () => y.minimum(c),
        () => y.tanh(),
        () => y.sigmoid().mul(2),
        () => y.relu().add(c),
        () => y.abs().add(1).log(),
        () => y.neg(),
        () => y.gt(other).where(y, other.mul(0.5)),
        () => y.clamp(-1.5, 1.5).exp(),
        () => differentiable ? y.mul(3) : y.mul(3).cast("int32").cast("float32").div(3),
        () => y.div(other.abs().add(1)),
        () => y.square().add(1).sqrt(),
      ]);
      y = step();
    }
    return y;
  };
}

/** Inputs of one shape family: a full matrix, a row, a column, a transposed view and a scalar. */
function inputs(device: Device, dtype: "float32" | "float64", seed: number): Tensor[] {
  const r = rng(seed);
  const vals = (n: number) => Array.from({ length: n }, () => r() * 4 - 2);
  const make = (n: number, shape: number[]) => tensor(vals(n), { device, dtype }).reshape(shape);
  return [
    make(35, [5, 7]),
    make(7, [7]),
    make(5, [5, 1]),
    make(35, [7, 5]).transpose(0, 1),
    make(1, []),
  ];
}

Deno.test("lazy chains agree with eager webgpu and the float64 reference", opts, async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const chain = randomChain(seed, 6 + seed * 5);
    const lazy = chain(inputs("webgpu", "float32", seed));
    assert.equal(lazy.isPending, true, `seed ${seed}: the chain is pending until read`);
    const got = await lazy.data();
    assert.equal(lazy.isPending, false);
    const eager = await eagerly(() => chain(inputs("webgpu", "float32", seed))).data();
    const want = await chain(inputs("cpu", "float64", seed)).data();
    assertClose(got, eager, { rtol: 1e-4, atol: 1e-5, what: `seed ${seed}: lazy vs eager` });
    assertClose(got, want, { rtol: 1e-3, atol: 1e-4, what: `seed ${seed}: lazy vs reference` });
  }
});

Deno.test("lazy chains past the operand, param and node limits are split and stay right", opts, async () => {
  const limits = backendFor("webgpu").evaluateLimits!;
  const r = rng(3);
  const xs = Array.from({ length: limits.inputs * 2 + 3 }, () => tensor([r(), r(), r()]));
  let y = xs[0];
  for (const x of xs.slice(1)) y = y.add(x);
  let want = 0;
  const host = await Promise.all(xs.map((x) => x.data()));
  for (const h of host) want += h[0];
  assertClose((await y.data()).slice(0, 1), [want], { rtol: 1e-5, what: "many operands" });

  let z = xs[0];
  for (let i = 0; i < limits.params * 3; i++) z = z.add(i * 0.25);
  const sumParams = Array.from({ length: limits.params * 3 }, (_, i) => i * 0.25).reduce((a, b) => a + b, 0);
  assertClose((await z.data()).slice(0, 1), [host[0][0] + sumParams], { rtol: 1e-5, what: "many params" });

  let w = xs[1];
  for (let i = 0; i < limits.nodes * 5; i++) w = w.mul(1.001);
  assertClose((await w.data()).slice(0, 1), [host[1][0] * 1.001 ** (limits.nodes * 5)], {
    rtol: 1e-4,
    what: "long chain",
  });
});

Deno.test("a chain's kernel compiles once per structure: new shapes and constants reuse it", opts, async () => {
  const gpu = backendFor("webgpu") as unknown as { pipelines: number };
  const run = (n: number, c: number) => randn([n, 3]).mul(c).add(randn([3])).tanh().sub(c).data();
  await run(4, 0.5);
  const before = gpu.pipelines;
  await run(9, 1.5);
  await run(33, -2);
  assert.equal(gpu.pipelines, before, "no new pipeline for a new shape or constant");
});

Deno.test("pending tensors hold their operands and release them", opts, async () => {
  tensor([0]).add(1).add(2).exp().neg().dispose(); // the constants 1 and 2 are cached for good
  const base = memoryStats().liveStorages;
  const x = tensor([1, 2, 3]);
  const y = tidy(() => x.add(1).mul(x.add(2)));
  x.dispose(); // y still reads x's storage
  assert.equal(y.isPending, true);
  assert.deepEqual(Array.from(await y.data()), [6, 12, 20]);
  y.dispose();
  assert.equal(memoryStats().liveStorages, base, "disposing a realized chain frees everything");

  const a = tensor([1, 2], { dtype: "float32" });
  const e = a.exp();
  const pending = e.neg();
  e.dispose(); // an intermediate, as tidy would release it
  pending.dispose();
  a.dispose();
  assert.equal(memoryStats().liveStorages, base, "disposing a pending chain releases its operands");
  assert.throws(() => pending.storage("test"), /disposed/);
});

Deno.test("gradients through lazy chains equal eager ones", opts, async () => {
  const chain = randomChain(7, 25, true);
  const grads = async (eager: boolean) => {
    const run = () => {
      const xs = inputs("webgpu", "float32", 7).map((x) => x.contiguous().requiresGrad_());
      chain(xs).sum().backward();
      return xs;
    };
    const xs = eager ? eagerly(run) : run();
    return await Promise.all(xs.map((x) => x.grad?.data() ?? null));
  };
  const lazy = await grads(false);
  const eager = await grads(true);
  assert.ok(lazy.filter((g) => g !== null).length >= 2, "the chain reaches several inputs");
  lazy.forEach((g, k) => {
    assert.equal(g === null, eager[k] === null, `input ${k} gets a gradient either way`);
    if (g !== null) assertClose(g, eager[k]!, { rtol: 1e-4, atol: 1e-5, what: `grad of input ${k}` });
  });
});

Deno.test("views, reductions and matmul of a pending tensor realize it first", opts, async () => {
  const x = tensor([[1, 2], [3, 4]], { dtype: "float32" });
  const y = x.mul(2).add(1);
  assert.deepEqual(await y.transpose(0, 1).toArray(), [[3, 7], [5, 9]]);
  assert.deepEqual(await x.add(1).sum().item(), 14);
  assert.deepEqual(await x.neg().matmul(x.add(0)).toArray(), [[-7, -10], [-15, -22]]);
});

Deno.test(
  "lazy kernels read four elements at a time at aligned offsets and one at a time elsewhere",
  opts,
  async () => {
    for (const n of [1, 3, 4, 5, 9, 1027, (1 << 20) + 3]) {
      for (const start of [0, 1, 4]) {
        const base = Array.from({ length: n + start }, (_, i) => ((i * 37) % 101) / 10 - 5);
        const chain = (x: Tensor) => {
          const v = x.slice([start, start + n]);
          return v.mul(2).add(v.exp().neg()).gt(-3).where(v, v.mul(-1)).cast("int32").cast("float32");
        };
        const got = await chain(tensor(base, { dtype: "float32" })).data();
        const want = await chain(tensor(base, { dtype: "float64", device: "cpu" })).data();
        assertClose(got, want, { rtol: 0, atol: 0, what: `n ${n}, offset ${start}` });
      }
    }
  },
);
