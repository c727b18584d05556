/**
 * Batched matmul: generates the register-tiled kernel from the compact
 * `kernels/matmul.wgsl` template (the unrolled accumulator declarations, K-loop
 * body and stores come from {@link matmulSource}) and dispatches it.
 * @module
 */
import type { MatmulBias, Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { type BindingKind, collapseDims, fillTemplate, TEMPLATES, UniformBlock } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

/** Tile parameters of the generated kernel. */
export interface MatmulTiling {
  /** Workgroup size along N. */
  wgx: number;
  /** Workgroup size along M. */
  wgy: number;
  /** Rows of C per invocation (multiple of 4). */
  tm: number;
  /** Columns of C per invocation (multiple of 4). */
  tn: number;
  /** K step of the workgroup tiles. */
  bk: number;
  /** K-loop unroll factor (divides bk). */
  unroll: number;
  /** FMA form: "fma" calls fma(), "mad" writes acc += a * b. */
  fma: "fma" | "mad";
}

/** The tiling in use (mutable for benchmarking; sources are cached per tiling). */
export const TILING: MatmulTiling = { wgx: 8, wgy: 2, tm: 32, tn: 8, bk: 32, unroll: 1, fma: "mad" };

/**
 * Stride specializations: `aK1` when A's K stride is 1, `bN1` when B's N
 * stride is 1 (the stride becomes the literal 1 instead of a uniform read).
 */
export interface MatmulVariant {
  aK1: boolean;
  bN1: boolean;
  /** A bias added on store (binding 4), one value per row or per column. */
  bias?: "rows" | "cols";
}

/** Binding 4 and the reads of the bias variants (indices clamped: masked stores drop the edge). */
const BIAS_SOURCE = {
  rows: `@group(0) @binding(4) var<storage, read> bias: array<f32>;
fn bias4(row: u32, col: u32) -> vec4<f32> {
  return vec4<f32>(bias[min(row, u.M - 1u)]);
}`,
  cols: `@group(0) @binding(4) var<storage, read> bias: array<f32>;
fn bias4(row: u32, col: u32) -> vec4<f32> {
  let last = u.N - 1u;
  return vec4<f32>(bias[min(col, last)], bias[min(col + 1u, last)], bias[min(col + 2u, last)], bias[min(col + 3u, last)]);
}`,
};

const sources = new Map<string, string>();

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** WGSL source of the matmul kernel for `t` and variant `v`. */
export function matmulSource(t: MatmulTiling, v: MatmulVariant): string {
  const key = JSON.stringify([t, v]);
  let src = sources.get(key);
  if (src !== undefined) return src;
  const { wgx, wgy, tm, tn, bk, unroll } = t;
  const tm4 = tm / 4, tn4 = tn / 4;
  const R = range(tm), Q = range(tn4);
  const decl = R.flatMap((r) => Q.map((q) => `  var acc${r}_${q} = vec4<f32>(0.0);`));
  const step = (s: number) =>
    [
      `      {`,
      `        let kq = kk + ${s}u;`,
      ...range(tm4).map((i) => `        let ra${i} = As[kq * BM4 + ty * ${tm4}u + ${i}u];`),
      ...Q.map((q) => `        let rb${q} = Bs[kq * BN4 + tx * ${tn4}u + ${q}u];`),
      ...R.flatMap((r) =>
        Q.map((q) => {
          const av = `ra${r >> 2}.${"xyzw"[r & 3]}`;
          return t.fma === "fma"
            ? `        acc${r}_${q} = fma(vec4<f32>(${av}), rb${q}, acc${r}_${q});`
            : `        acc${r}_${q} += ${av} * rb${q};`;
        })
      ),
      `      }`,
    ].join("\n");
  const store = R.flatMap((r) =>
    Q.map((q) => {
      const [i, j] = [`row + ${r}u`, `col + ${q * 4}u`];
      return `  store4(ci, ${i}, ${j}, acc${r}_${q}${v.bias ? ` + bias4(${i}, ${j})` : ""});`;
    })
  );
  src = fillTemplate(TEMPLATES.matmul, {
    WGX: String(wgx),
    WGY: String(wgy),
    TM: String(tm),
    TN: String(tn),
    BK: String(bk),
    BM4: String(wgy * tm4),
    BN4: String(wgx * tn4),
    NT: String(wgx * wgy),
    AS_LEN: String(bk * wgy * tm4),
    BS_LEN: String(bk * wgx * tn4),
    UNROLL: String(unroll),
    SAK: v.aK1 ? "1" : "u.sAk",
    SBN: v.bN1 ? "1" : "u.sBn",
    DECL: decl.join("\n"),
    BODY: range(unroll).map(step).join("\n"),
    STORE: store.join("\n"),
    BIAS: v.bias ? BIAS_SOURCE[v.bias] : "",
  });
  sources.set(key, src);
  return src;
}

/** {@link Backend.matmul}. */
export function matmul(ctx: GpuContext, a: Storage, av: View, b: Storage, bv: View, bias?: MatmulBias): Storage {
  const sa = ctx.live(a, "matmul");
  const sb = ctx.live(b, "matmul");
  if (sa.dtype !== "float32" || sb.dtype !== "float32") {
    if (sa.dtype === "float64" || sb.dtype === "float64") {
      throw new TypeError(
        "webgpu matmul: float64 is not supported on the webgpu backend; use the cpu backend for float64",
      );
    }
    throw new TypeError(`webgpu matmul: needs float32 inputs, got ${sa.dtype} and ${sb.dtype}`);
  }
  const r = av.shape.length;
  if (r < 2 || bv.shape.length !== r) {
    throw new RangeError(`webgpu matmul: ranks of [${av.shape}] and [${bv.shape}] do not match`);
  }
  const batch = av.shape.slice(0, r - 2);
  const [M, K] = [av.shape[r - 2], av.shape[r - 1]];
  const [K2, N] = [bv.shape[r - 2], bv.shape[r - 1]];
  if (K !== K2 || batch.some((d, i) => d !== bv.shape[i])) {
    throw new RangeError(`webgpu matmul: shapes [${av.shape}] and [${bv.shape}] do not match`);
  }
  const nb = numel(batch);
  const out = ctx.alloc(nb * M * N, "float32", "matmul");
  if (nb * M * N === 0) return out;
  const bd = collapseDims(batch, [av.strides.slice(0, r - 2), bv.strides.slice(0, r - 2)]);
  const [sAm, sAk, sBk, sBn] = [av.strides[r - 2], av.strides[r - 1], bv.strides[r - 2], bv.strides[r - 1]];
  const biasStorage = bias ? ctx.live(bias.values, "matmul") : null;
  if (bias && (biasStorage!.dtype !== "float32" || biasStorage!.size !== (bias.along === "rows" ? M : N))) {
    throw new RangeError(
      `webgpu matmul: bias along ${bias.along} must be float32 with ${bias.along === "rows" ? M : N} values, ` +
        `got ${biasStorage!.dtype} with ${biasStorage!.size}`,
    );
  }
  const source = matmulSource(TILING, { aK1: sAk === 1 || K === 1, bN1: sBn === 1 || N === 1, bias: bias?.along });
  const kinds: BindingKind[] = ["storage", "read-only-storage", "read-only-storage"];
  if (bias) kinds.push("read-only-storage");
  // Named by shape so kernel profiles tell the matmuls of a step apart.
  const kernel = {
    ...ctx.kernel(source, "main", kinds),
    name: `matmul ${nb}x[${M},${K}]@[${K},${N}]${bias ? ` + bias(${bias.along})` : ""}`,
  };
  const bindings = [ctx.bind(out), ctx.bind(sa), ctx.bind(sb)];
  if (biasStorage) bindings.push(ctx.bind(biasStorage));
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const tilesX = Math.ceil(N / (TILING.wgx * TILING.tn));
  const tilesY = Math.ceil(M / (TILING.wgy * TILING.tm));
  for (let z0 = 0; z0 < nb; z0 += max) {
    for (let y0 = 0; y0 < tilesY; y0 += max) {
      for (let x0 = 0; x0 < tilesX; x0 += max) {
        const u = new UniformBlock()
          .u32(0, M).u32(1, N).u32(2, K).u32(3, bd.shape.length)
          .u32(4, av.offset).u32(5, bv.offset).u32(6, x0).u32(7, y0)
          .i32(8, sAm).i32(9, sAk).i32(10, sBk).i32(11, sBn)
          .u32(12, z0)
          .dims(16, bd.shape).strides(24, bd.strides[0]).strides(32, bd.strides[1]);
        ctx.runGrid(kernel, u, bindings, [
          Math.min(max, tilesX - x0),
          Math.min(max, tilesY - y0),
          Math.min(max, nb - z0),
        ]);
      }
    }
  }
  return out;
}
