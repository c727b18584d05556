/**
 * The denograd subjects of `bench/peers.ts`, one per backend, each in its own process:
 *
 * - `denograd-webgpu`: `DENOGRAD_BACKEND=webgpu` (on a machine without a GPU, Mesa's llvmpipe);
 * - `denograd-cpu`: `DENOGRAD_BACKEND=cpu` without `--allow-ffi`, so every matrix product is the
 *   WebAssembly SIMD GEMM on the worker pool (`DENOGRAD_CPU_THREADS` threads, default every core);
 * - `denograd-cpu-blas`: `DENOGRAD_BACKEND=cpu` with `--allow-ffi`, so products go to the system's
 *   optimised BLAS (OpenBLAS `cblas_sgemm`) where one is installed.
 *
 * `bench/bench.ts` sets the environment and permissions; this file checks that the process got what
 * its name says (the device, and BLAS loaded or not), so a mislabelled run cannot be reported.
 * @module
 */
import type { Subject } from "./peers.ts";
import { readInputs } from "./workloads.ts";
import { cnnBufferCheck, denogradWorkloads } from "./workloads_denograd.ts";
import { measureMemory } from "./memory.ts";
import { blasInfo } from "../lib/backend/cpu/blas.ts";

/** The denograd peers, by backend. */
export const DENOGRAD_PEERS = ["denograd-webgpu", "denograd-cpu", "denograd-cpu-blas"] as const;
export type DenogradPeer = typeof DENOGRAD_PEERS[number];

/** The device each denograd peer runs on. */
export function denogradDevice(peer: DenogradPeer): "webgpu" | "cpu" {
  return peer === "denograd-webgpu" ? "webgpu" : "cpu";
}

/** Thrown (as a `BENCH_SKIP` line) when a peer cannot run here, e.g. no BLAS installed. */
export class PeerUnavailable extends Error {}

/** Compares c[0][0], c[n-1][n-1] and c[n/2][1] of a·b against float64 dot products of the operands. */
export function checkCorners(a: Float32Array, b: Float32Array, c: Float32Array, n: number): string {
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
    return s;
  };
  let worst = 0;
  for (const [i, j] of [[0, 0], [n - 1, n - 1], [n >> 1, 1]]) {
    const want = dot(i, j);
    worst = Math.max(worst, Math.abs(c[i * n + j] - want) / Math.max(1, Math.abs(want)));
  }
  return worst < 1e-3 ? `ok (rel err ${worst.toExponential(1)})` : `WRONG (rel err ${worst.toExponential(1)})`;
}

/** The subject of one denograd peer; the process must have been started as `bench/bench.ts` does. */
export async function denogradSubject(peer: DenogradPeer): Promise<Subject> {
  const device = denogradDevice(peer);
  // the device (and llvmpipe's thread count) must be chosen before mod.ts creates the adapter
  const forced = Deno.env.get("DENOGRAD_BACKEND");
  if (forced !== undefined && forced !== device) {
    throw new Error(`${peer}: DENOGRAD_BACKEND=${forced}, expected ${device}; unset it or run through bench.ts`);
  }
  Deno.env.set("DENOGRAD_BACKEND", device);
  const dg = await import("../mod.ts");
  if (dg.getDefaultDevice() !== device) throw new Error(`${peer}: denograd device is ${dg.getDefaultDevice()}`);
  const notes: string[] = [];
  const probe = dg.randn([1]);
  let description = probe.backend.description;
  probe.dispose();
  let threads: number | undefined;
  let blas: string | null = null;
  if (device === "cpu") {
    threads = dg.getNumThreads();
    const info = blasInfo();
    const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
    if (peer === "denograd-cpu-blas") {
      if (!ffi) throw new Error(`${peer} needs --allow-ffi (bench.ts grants it)`);
      if (info === null) throw new PeerUnavailable("no optimised BLAS (OpenBLAS, MKL) could be opened");
      blas = `${info.library}, ${info.threads} threads`;
      if (info.threads !== threads) {
        notes.push(`BLAS computes with ${info.threads} threads, the cpu backend's pool with ${threads}`);
      }
    } else if (ffi || info !== null) {
      throw new Error(`${peer} must run without --allow-ffi (WebAssembly GEMM only); BLAS is ${info?.library}`);
    }
    description += `; ${threads} threads; matmul ${blas === null ? "WebAssembly SIMD GEMM" : `BLAS ${blas}`}`;
  }
  return {
    description,
    version: "workspace",
    notes,
    threads,
    blas,
    workloads: (dir) => denogradWorkloads(dg, readInputs(dir)),
    bufferCheck: (impl, steps) => cnnBufferCheck(dg, impl, steps),
    memory: (quick) => measureMemory(dg, { batches: quick ? 5 : 7 }),
    async operands(n) {
      const a = dg.randn([n, n]);
      const b = dg.randn([n, n]);
      await dg.synchronize();
      return {
        async run(iters) {
          for (let i = 0; i < iters; i++) dg.matmul(a, b).dispose();
          await dg.synchronize();
        },
        async check() {
          const c = dg.matmul(a, b);
          const [av, bv, cv] = await Promise.all([a.data(), b.data(), c.data()]);
          c.dispose();
          return checkCorners(av as Float32Array, bv as Float32Array, cv as Float32Array, n);
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
    async readback() {
      const x = dg.randn([1]);
      await dg.synchronize();
      const t0 = performance.now();
      const y = x.add(1);
      await y.item();
      const ms = performance.now() - t0;
      y.dispose();
      x.dispose();
      return ms;
    },
    async chain(ops) {
      const x = dg.randn([64]);
      await dg.synchronize();
      const t0 = performance.now();
      const y = dg.tidy(() => {
        let t = x;
        for (let i = 0; i < ops / 2; i++) t = t.mul(1.0001).add(0.0001);
        return t;
      });
      const t1 = performance.now();
      await dg.synchronize();
      const t2 = performance.now();
      y.dispose();
      x.dispose();
      return [t1 - t0, t2 - t0];
    },
  };
}
