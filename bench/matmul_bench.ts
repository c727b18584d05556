/**
 * Small denograd-only benchmarks for `deno bench --allow-read --allow-env bench/`:
 * matmul at 64, 128 and 256 (as tuned on first use), the same products at 256 and 512 under each
 * pinned tile configuration of lib/backend/webgpu/matmul_tuning.ts, a one-element readback, and
 * a 100-op elementwise chain.
 * The peer comparison lives in `bench/bench.ts` (`deno task bench`).
 * @module
 */

// Mesa's llvmpipe reads LP_NUM_THREADS when the adapter is created, which importing mod.ts does.
if (!Deno.env.get("LP_NUM_THREADS")) Deno.env.set("LP_NUM_THREADS", "2");
const dg = await import("../mod.ts");
const device = dg.getDefaultDevice();
const { MATMUL_CONFIGS, pinMatmulTiling, tilingName } = await import("../lib/backend/webgpu/matmul_tuning.ts");

for (const n of [64, 128, 256]) {
  const a = dg.randn([n, n]);
  const b = dg.randn([n, n]);
  const iters = Math.max(1, Math.round(2 ** 18 / n ** 2)); // ~ equal work per sample
  Deno.bench({
    name: `matmul ${n}x${n} (${device}, ${iters} per sample)`,
    group: "matmul",
    async fn(t) {
      t.start();
      for (let i = 0; i < iters; i++) dg.matmul(a, b).dispose();
      await dg.synchronize();
      t.end();
    },
  });
}

if (device !== "cpu") {
  for (const n of [256, 512]) {
    const a = dg.randn([n, n]);
    const b = dg.randn([n, n]);
    const iters = Math.max(1, Math.round(2 ** 26 / n ** 3));
    for (const t of MATMUL_CONFIGS) {
      Deno.bench({
        name: `matmul ${n}x${n} pinned ${tilingName(t)} (${iters} per sample)`,
        group: `tiling ${n}`,
        baseline: t === MATMUL_CONFIGS[0],
        async fn(b2) {
          pinMatmulTiling(t);
          try {
            b2.start();
            for (let i = 0; i < iters; i++) dg.matmul(a, b).dispose();
            await dg.synchronize();
            b2.end();
          } finally {
            pinMatmulTiling(null);
          }
        },
      });
    }
  }
}

Deno.bench({
  name: `readback: tiny add + item() (${device})`,
  async fn(t) {
    const x = dg.randn([1]);
    await dg.synchronize();
    t.start();
    const y = x.add(1);
    await y.item();
    t.end();
    y.dispose();
    x.dispose();
  },
});

Deno.bench({
  name: `100 elementwise ops on [64] + sync (${device})`,
  async fn(t) {
    const x = dg.randn([64]);
    await dg.synchronize();
    t.start();
    const y = dg.tidy(() => {
      let v = x;
      for (let i = 0; i < 50; i++) v = v.mul(1.0001).add(0.0001);
      return v;
    });
    await dg.synchronize();
    t.end();
    y.dispose();
    x.dispose();
  },
});
