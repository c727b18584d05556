/** Batched matmul through the register-tiled kernel. @module */
import type { Storage, View } from "../backend.ts";
import { numel } from "../_view.ts";
import { collapseDims, fillTemplate, TEMPLATES, UniformBlock } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

/** Output tile edge of one workgroup. */
const TILE = 64;

let source: string | null = null;

/** {@link Backend.matmul}. */
export function matmul(ctx: GpuContext, a: Storage, av: View, b: Storage, bv: View): Storage {
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
  source ??= fillTemplate(TEMPLATES.matmul, {});
  const kernel = ctx.kernel(source, "main", ["storage", "read-only-storage", "read-only-storage"]);
  const bindings = [ctx.bind(out), ctx.bind(sa), ctx.bind(sb)];
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  const tilesX = Math.ceil(N / TILE);
  const tilesY = Math.ceil(M / TILE);
  for (let z0 = 0; z0 < nb; z0 += max) {
    for (let y0 = 0; y0 < tilesY; y0 += max) {
      for (let x0 = 0; x0 < tilesX; x0 += max) {
        const u = new UniformBlock()
          .u32(0, M).u32(1, N).u32(2, K).u32(3, bd.shape.length)
          .u32(4, av.offset).u32(5, bv.offset).u32(6, x0).u32(7, y0)
          .i32(8, av.strides[r - 2]).i32(9, av.strides[r - 1])
          .i32(10, bv.strides[r - 2]).i32(11, bv.strides[r - 1])
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
