/**
 * The float32 matrix product as generated WebAssembly SIMD: a register-blocked GEMM in the manner
 * of BLIS/GotoBLAS, one module compiled once and shared by every thread.
 *
 * For each block of `KC` rows of B and `NC` of its columns, B is packed into `KC × NR` panels (one
 * panel stays in L1 while the A panels stream past it); for each block of `MC` rows of A, A is
 * packed into `MR × KC` panels (the block stays in L2). Packing reads through arbitrary element
 * strides, so transposed and broadcast (stride 0) operands cost no extra copy, and pads partial
 * panels with zeros, so the microkernel always computes a whole `MR × NR` tile in `MR·NR/4` v128
 * accumulators. Edge tiles go through a small tile buffer so that nothing outside C is touched.
 *
 * The export `gemm` computes one share of the product; the pool (threads.ts) calls it on each
 * thread with a different range of batch items, rows or columns. When threads split the rows of
 * one B, the export `packB` first packs all of B once, together, for them to share, rather than
 * each thread packing its own copy.
 * @module
 */
import { type FunctionBuilder, hasRelaxedMadd, ModuleBuilder } from "./emit.ts";

/** The register tile, the unrolling and the cache blocks a GEMM module is generated for. */
export interface GemmConfig {
  /** Rows of the register tile (accumulators: `mr · nr / 4` v128). */
  mr: number;
  /** Columns of the register tile, a multiple of 4. */
  nr: number;
  /** Steps of k per microkernel loop iteration; k blocks are zero-padded to a multiple of it. */
  unroll: number;
  /** Rows of A packed per block (a multiple of `mr`). */
  mc: number;
  /** Depth of a block (a multiple of `unroll`). */
  kc: number;
  /** Columns of B packed per block (a multiple of `nr`). */
  nc: number;
  /** Whether to use relaxed SIMD's fused multiply-add (else mul + add). */
  fused: boolean;
}

/**
 * The parameters of the `gemm` export, in order; all i32, addresses and strides in BYTES.
 * `biasMode`: 0 none, 1 one value per row, 2 one value per column. `packedB`: 0, or where
 * {@link GEMM_PACK_PARAMS `packB`} has packed all of B (then B's batch stride must be 0 or the
 * batch a single item). After `scratch` (the thread's {@link gemmScratchBytes} block) comes its
 * share: `batch0, batch1, row0, row1, col0, col1` (half-open; columns start at multiples of `nr`).
 */
// deno-fmt-ignore
export const GEMM_PARAMS = [
  "m", "n", "k", "a", "aRow", "aCol", "aBatch", "b", "bRow", "bCol", "bBatch", "c", "bias", "biasMode", "packedB",
  "scratch", "batch0", "batch1", "row0", "row1", "col0", "col1",
] as const;

/**
 * The parameters of the `packB` export: B (k × n, byte strides) packed whole at `dst`
 * ({@link packedBBytes}), in the blocks and panels the `gemm` export reads with `packedB`, so that
 * threads computing different rows share one packed copy. A part packs columns `col0 … col1`
 * (multiples of `nr`, or n) of every depth block.
 */
export const GEMM_PACK_PARAMS = ["b", "bRow", "bCol", "k", "n", "dst", "scratch", "col0", "col1"] as const;

/** Bytes of a whole packed B of k × n (every depth block padded to the unroll, columns to `nr`). */
export function packedBBytes(cfg: GemmConfig, k: number, n: number): number {
  const full = Math.floor(k / cfg.kc) * cfg.kc, rest = Math.ceil((k - full) / cfg.unroll) * cfg.unroll;
  return (full + rest) * Math.ceil(n / cfg.nr) * cfg.nr * 4;
}

/** Microkernel modes: how the accumulators start (ZERO + biasMode picks the bias's). */
const ACCUMULATE = 0, ZERO = 1, ROW_BIAS = 2, COL_BIAS = 3;

const TILE_BYTES = 1024; // room for the largest tile buffer (mr · nr · 4 ≤ 1024)

/** Bytes of scratch one thread needs: the edge-tile buffer, the packed A block and the packed B block. */
export function gemmScratchBytes(cfg: GemmConfig): number {
  return TILE_BYTES + cfg.mc * cfg.kc * 4 + cfg.kc * cfg.nc * 4;
}

/** The module's bytes for `cfg` (validated by the caller's compile). */
export function emitGemm(cfg: GemmConfig): Uint8Array<ArrayBuffer> {
  const { mr, nr, unroll, mc, kc, nc } = cfg;
  if (nr % 4 !== 0 || mc % mr !== 0 || nc % nr !== 0 || kc % unroll !== 0 || mr * nr * 4 > TILE_BYTES) {
    throw new RangeError(`wasm gemm: inconsistent config ${JSON.stringify(cfg)}`);
  }
  const module = new ModuleBuilder();
  const zero = emitZero(module);
  const micro = emitMicrokernel(module, cfg);
  const packA = emitPackA(module, cfg, zero);
  const packB = emitPackB(module, cfg, zero);
  const edge = emitEdgeTile(module, cfg, micro, zero);
  emitDriver(module, cfg, { micro, edge, packA, packB });
  emitPackAll(module, cfg, packB);
  return module.emit();
}

/** `zero(dst, count)`: count f32 zeros from byte address dst (the padding of partial panels). */
function emitZero(module: ModuleBuilder): FunctionBuilder {
  const f = module.function("", ["i32", "i32"]);
  const [dst, count] = [0, 1];
  const end = f.local("i32");
  f.get(dst).get(count).i32(2).op("i32.shl").op("i32.add").set(end);
  f.for(dst, () => f.get(dst), () => f.get(end), 4, () => f.get(dst).f32(0).mem("f32.store"));
  return f;
}

/**
 * `micro(pa, pb, kc, cp, cs, mode, bias)`: the `mr × nr` tile at cp (row stride cs bytes) becomes
 * its start value (per mode) plus Σ_p A[:, p] ⊗ B[p, :] over kc packed steps (kc a positive
 * multiple of `unroll`). Everything stays in registers between the loads of the panels.
 */
function emitMicrokernel(module: ModuleBuilder, cfg: GemmConfig): FunctionBuilder {
  const { mr, nr, unroll, fused } = cfg;
  const nv = nr / 4;
  const f = module.function("", ["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [pa, pb, k, cp, cs, mode, bias] = [0, 1, 2, 3, 4, 5, 6];
  const row = f.local("i32");
  const acc = Array.from({ length: mr }, () => Array.from({ length: nv }, () => f.local("v128")));
  const bv = Array.from({ length: nv }, () => f.local("v128"));
  const av = f.local("v128");
  const eachAcc = (body: (i: number, v: number) => void) => {
    for (let i = 0; i < mr; i++) for (let v = 0; v < nv; v++) body(i, v);
  };
  const rowLoop = (body: (i: number) => void) => {
    f.get(cp).set(row);
    for (let i = 0; i < mr; i++) {
      body(i);
      if (i < mr - 1) f.get(row).get(cs).op("i32.add").set(row);
    }
  };
  // start values
  f.get(mode).i32(ACCUMULATE).op("i32.eq").if(
    () => rowLoop((i) => acc[i].forEach((a, v) => f.get(row).mem("v128.load", 16 * v).set(a))),
    () =>
      f.get(mode).i32(ROW_BIAS).op("i32.eq").if(
        () => eachAcc((i, v) => f.get(bias).mem("v128.load32_splat", 4 * i).set(acc[i][v])),
        () =>
          f.get(mode).i32(COL_BIAS).op("i32.eq").if(
            () => eachAcc((i, v) => f.get(bias).mem("v128.load", 16 * v).set(acc[i][v])),
            () => eachAcc((i, v) => f.v128Zero().set(acc[i][v])),
          ),
      ),
  );
  // k loop (do-while: kc ≥ unroll)
  f.loop(() => {
    for (let u = 0; u < unroll; u++) {
      bv.forEach((b, v) => f.get(pb).mem("v128.load", 4 * (u * nr + 4 * v)).set(b));
      for (let i = 0; i < mr; i++) {
        f.get(pa).mem("v128.load32_splat", 4 * (u * mr + i)).set(av);
        for (let v = 0; v < nv; v++) {
          f.madd(() => f.get(av), () => f.get(bv[v]), () => f.get(acc[i][v]), fused).set(acc[i][v]);
        }
      }
    }
    f.get(pa).i32(4 * unroll * mr).op("i32.add").set(pa);
    f.get(pb).i32(4 * unroll * nr).op("i32.add").set(pb);
    f.get(k).i32(unroll).op("i32.sub").tee(k).brIf(0);
  });
  rowLoop((i) => acc[i].forEach((a, v) => f.get(row).get(a).mem("v128.store", 16 * v)));
  return f;
}

/**
 * `packA(src, rs, cs, rows, kc, kcPad, dst)`: A[0 ≤ i < rows, 0 ≤ p < kc] (byte strides rs, cs)
 * into panels of `mr` rows, p-major (dst[p·mr + i]), missing rows and steps kc…kcPad as zeros.
 */
function emitPackA(module: ModuleBuilder, cfg: GemmConfig, zero: FunctionBuilder): FunctionBuilder {
  const { mr } = cfg;
  const f = module.function("", ["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [src, rs, cs, rows, kc, kcPad, dst] = [0, 1, 2, 3, 4, 5, 6];
  const [ip, p, valid] = [f.local("i32"), f.local("i32"), f.local("i32")];
  const ptr = Array.from({ length: mr }, () => f.local("i32"));
  const keep = Array.from({ length: mr }, () => f.local("i32"));
  f.for(ip, () => f.i32(0), () => f.get(rows), mr, () => {
    f.get(rows).get(ip).op("i32.sub").set(valid);
    // rows past the end read row 0 of the panel (always valid) and are replaced by zeros
    for (let i = 0; i < mr; i++) {
      f.i32(i).get(valid).op("i32.lt_s").set(keep[i]);
      f.get(src).get(ip).i32(i).op("i32.add").i32(0).get(keep[i]).op("select").get(rs).op("i32.mul")
        .op("i32.add").set(ptr[i]);
    }
    f.for(p, () => f.i32(0), () => f.get(kc), 1, () => {
      for (let i = 0; i < mr; i++) {
        f.get(dst).get(ptr[i]).mem("f32.load").f32(0).get(keep[i]).op("select").mem("f32.store", 4 * i);
        f.get(ptr[i]).get(cs).op("i32.add").set(ptr[i]);
      }
      f.get(dst).i32(4 * mr).op("i32.add").set(dst);
    });
    f.get(dst).get(kcPad).get(kc).op("i32.sub").i32(mr).op("i32.mul").call(zero);
    f.get(dst).get(kcPad).get(kc).op("i32.sub").i32(4 * mr).op("i32.mul").op("i32.add").set(dst);
  });
  return f;
}

/**
 * `packB(src, rs, cs, kc, kcPad, cols, dst)`: B[0 ≤ p < kc, 0 ≤ j < cols] into panels of `nr`
 * columns (dst[p·nr + j]), missing columns and steps as zeros; contiguous rows copy by v128.
 */
function emitPackB(module: ModuleBuilder, cfg: GemmConfig, zero: FunctionBuilder): FunctionBuilder {
  const { nr } = cfg;
  const f = module.function("", ["i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [src, rs, cs, kc, kcPad, cols, dst] = [0, 1, 2, 3, 4, 5, 6];
  const [jp, p, q, valid] = [f.local("i32"), f.local("i32"), f.local("i32"), f.local("i32")];
  const offset = Array.from({ length: nr }, () => f.local("i32"));
  const keep = Array.from({ length: nr }, () => f.local("i32"));
  f.for(jp, () => f.i32(0), () => f.get(cols), nr, () => {
    f.get(cols).get(jp).op("i32.sub").set(valid);
    f.get(src).get(jp).get(cs).op("i32.mul").op("i32.add").set(q);
    f.get(valid).i32(nr).op("i32.ge_s").get(cs).i32(4).op("i32.eq").op("i32.and").if(
      () =>
        f.for(p, () => f.i32(0), () => f.get(kc), 1, () => {
          for (let v = 0; v < nr / 4; v++) f.get(dst).get(q).mem("v128.load", 16 * v).mem("v128.store", 16 * v);
          f.get(q).get(rs).op("i32.add").set(q);
          f.get(dst).i32(4 * nr).op("i32.add").set(dst);
        }),
      () => {
        // columns past the end read column 0 (always valid) and are replaced by zeros
        for (let j = 0; j < nr; j++) {
          f.i32(j).get(valid).op("i32.lt_s").set(keep[j]);
          f.i32(j).i32(0).get(keep[j]).op("select").get(cs).op("i32.mul").set(offset[j]);
        }
        f.for(p, () => f.i32(0), () => f.get(kc), 1, () => {
          for (let j = 0; j < nr; j++) {
            f.get(dst).get(q).get(offset[j]).op("i32.add").mem("f32.load").f32(0).get(keep[j]).op("select")
              .mem("f32.store", 4 * j);
          }
          f.get(q).get(rs).op("i32.add").set(q);
          f.get(dst).i32(4 * nr).op("i32.add").set(dst);
        });
      },
    );
    f.get(dst).get(kcPad).get(kc).op("i32.sub").i32(nr).op("i32.mul").call(zero);
    f.get(dst).get(kcPad).get(kc).op("i32.sub").i32(4 * nr).op("i32.mul").op("i32.add").set(dst);
  });
  return f;
}

/**
 * `edge(pa, pb, kc, cp, cs, mode, bias, rows, cols, tile)`: a partial tile (rows × cols of C):
 * its start values are gathered into the tile buffer, the microkernel runs there, and only the
 * valid part is copied back, so C's neighbours (or memory past C) are never read or written.
 */
function emitEdgeTile(
  module: ModuleBuilder,
  cfg: GemmConfig,
  micro: FunctionBuilder,
  zero: FunctionBuilder,
): FunctionBuilder {
  const { mr, nr } = cfg;
  const f = module.function("", ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"]);
  const [pa, pb, kc, cp, cs, mode, bias, rows, cols, tile] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, j, t, c] = [f.local("i32"), f.local("i32"), f.local("i32"), f.local("i32")];
  const each = (body: () => void) =>
    f.for(i, () => f.i32(0), () => f.get(rows), 1, () => f.for(j, () => f.i32(0), () => f.get(cols), 1, body));
  const locate = () => {
    f.get(tile).get(i).i32(nr).op("i32.mul").get(j).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(t);
    f.get(cp).get(i).get(cs).op("i32.mul").op("i32.add").get(j).i32(2).op("i32.shl").op("i32.add").set(c);
  };
  const copyFrom = (address: () => void) => () => {
    f.get(t);
    address();
    f.mem("f32.load").mem("f32.store");
  };
  f.get(tile).i32(mr * nr).call(zero);
  each(() => {
    locate();
    f.get(mode).i32(ACCUMULATE).op("i32.eq").if(
      copyFrom(() => f.get(c)),
      () =>
        f.get(mode).i32(ROW_BIAS).op("i32.eq").if(
          copyFrom(() => f.get(bias).get(i).i32(2).op("i32.shl").op("i32.add")),
          () =>
            f.get(mode).i32(COL_BIAS).op("i32.eq").if(
              copyFrom(() => f.get(bias).get(j).i32(2).op("i32.shl").op("i32.add")),
            ),
        ),
    );
  });
  f.get(pa).get(pb).get(kc).get(tile).i32(4 * nr).i32(ACCUMULATE).i32(0).call(micro);
  each(() => {
    locate();
    f.get(c).get(t).mem("f32.load").mem("f32.store");
  });
  return f;
}

interface Kernels {
  micro: FunctionBuilder;
  edge: FunctionBuilder;
  packA: FunctionBuilder;
  packB: FunctionBuilder;
}

/**
 * `gemm(…GEMM_PARAMS)`: the loops around the microkernel for one thread's share. Order (BLIS):
 * batch → NC columns → KC depth (pack B) → MC rows (pack A) → nr columns → mr rows, so a packed B
 * panel is reused from L1 across a whole A block, and the A block from L2 across the B block.
 */
function emitDriver(module: ModuleBuilder, cfg: GemmConfig, { micro, edge, packA, packB }: Kernels): void {
  const { mr, nr, unroll, mc, kc, nc } = cfg;
  const f = module.function("gemm", GEMM_PARAMS.map(() => "i32"));
  const P = Object.fromEntries(GEMM_PARAMS.map((name, i) => [name, i])) as Record<typeof GEMM_PARAMS[number], number>;
  const L = (): number => f.local("i32");
  const [bi, aB, bB, cB, jc, ncur, pc, kcur, kcPad, ic, mcur, jr, cv, ir, rv] = Array.from({ length: 15 }, L);
  const [ldc, mode, pbPanel, cp, biasAt, aPack, bPack, bBlock, nPad] = Array.from({ length: 9 }, L);
  const get = (local: number) => () => f.get(local);
  const min = (x: () => void, y: () => void) => {
    x();
    y();
    x();
    y();
    f.op("i32.lt_s").op("select");
  };
  const mulAdd = (base: number, x: number, y: number) => f.get(base).get(x).get(y).op("i32.mul").op("i32.add");

  f.get(P.scratch).i32(TILE_BYTES).op("i32.add").tee(aPack).i32(4 * mc * kc).op("i32.add").set(bPack);
  f.get(P.n).i32(2).op("i32.shl").set(ldc);
  f.get(P.n).i32(nr - 1).op("i32.add").i32(nr).op("i32.div_u").i32(nr).op("i32.mul").set(nPad);
  f.for(bi, get(P.batch0), get(P.batch1), 1, () => {
    f.get(P.a).get(bi).get(P.aBatch).op("i32.mul").op("i32.add").set(aB);
    f.get(P.b).get(bi).get(P.bBatch).op("i32.mul").op("i32.add").set(bB);
    f.get(P.c).get(bi).get(P.m).op("i32.mul").get(ldc).op("i32.mul").op("i32.add").set(cB);
    f.for(jc, get(P.col0), get(P.col1), nc, () => {
      min(() => f.i32(nc), () => f.get(P.col1).get(jc).op("i32.sub"));
      f.set(ncur);
      f.for(pc, () => f.i32(0), get(P.k), kc, () => {
        min(() => f.i32(kc), () => f.get(P.k).get(pc).op("i32.sub"));
        f.tee(kcur).i32(unroll - 1).op("i32.add").i32(unroll).op("i32.div_u").i32(unroll).op("i32.mul").set(kcPad);
        // the first depth block overwrites C (ZERO + biasMode is ZERO, ROW_BIAS or COL_BIAS), later ones accumulate
        f.get(P.biasMode).i32(ZERO).op("i32.add").i32(ACCUMULATE).get(pc).op("i32.eqz").op("select").set(mode);
        f.get(P.packedB).if(
          // block (pc, jc) of the shared copy: pc·nPad floats of earlier (full) blocks, then jc/nr panels
          () => packedBlock(f, P.packedB, pc, nPad, jc, kcPad).set(bBlock),
          () => {
            mulAdd(bB, pc, P.bRow).get(jc).get(P.bCol).op("i32.mul").op("i32.add");
            f.get(P.bRow).get(P.bCol).get(kcur).get(kcPad).get(ncur).get(bPack).call(packB);
            f.get(bPack).set(bBlock);
          },
        );
        f.for(ic, get(P.row0), get(P.row1), mc, () => {
          min(() => f.i32(mc), () => f.get(P.row1).get(ic).op("i32.sub"));
          f.set(mcur);
          mulAdd(aB, ic, P.aRow).get(pc).get(P.aCol).op("i32.mul").op("i32.add");
          f.get(P.aRow).get(P.aCol).get(mcur).get(kcur).get(kcPad).get(aPack).call(packA);
          f.for(jr, () => f.i32(0), get(ncur), nr, () => {
            min(() => f.i32(nr), () => f.get(ncur).get(jr).op("i32.sub"));
            f.set(cv);
            f.get(bBlock).get(jr).get(kcPad).op("i32.mul").i32(2).op("i32.shl").op("i32.add").set(pbPanel);
            f.for(ir, () => f.i32(0), get(mcur), mr, () => {
              min(() => f.i32(mr), () => f.get(mcur).get(ir).op("i32.sub"));
              f.set(rv);
              f.get(cB).get(ic).get(ir).op("i32.add").get(ldc).op("i32.mul").op("i32.add")
                .get(jc).get(jr).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(cp);
              f.get(P.bias);
              f.get(ic).get(ir).op("i32.add").get(jc).get(jr).op("i32.add").get(P.biasMode).i32(1).op("i32.eq")
                .op("select").i32(2).op("i32.shl").op("i32.add").set(biasAt);
              const args = () =>
                f.get(aPack).get(ir).get(kcPad).op("i32.mul").i32(2).op("i32.shl").op("i32.add")
                  .get(pbPanel).get(kcPad).get(cp).get(ldc).get(mode).get(biasAt);
              f.get(rv).i32(mr).op("i32.eq").get(cv).i32(nr).op("i32.eq").op("i32.and").if(
                () => args().call(micro),
                () => args().get(rv).get(cv).get(P.scratch).call(edge),
              );
            });
          });
        });
      });
    });
  });
}

/** The configuration measured fastest here (see bench/cpu_gemm.ts): 6 × 8 tiles (12 accumulators, 15 xmm registers in all). */
export function defaultGemmConfig(): GemmConfig {
  return { mr: 6, nr: 8, unroll: 1, mc: 96, kc: 256, nc: 1024, fused: hasRelaxedMadd() };
}

let compiled: { cfg: GemmConfig; module: WebAssembly.Module } | undefined;

/** The GEMM module for {@link defaultGemmConfig}, compiled on first use and shared by every thread. */
export function gemmModule(): { cfg: GemmConfig; module: WebAssembly.Module } {
  if (compiled === undefined) {
    const cfg = defaultGemmConfig();
    compiled = { cfg, module: new WebAssembly.Module(emitGemm(cfg)) };
  }
  return compiled;
}

/** Pushes the byte address of block (pc, jc) of a whole packed B at local `base`. */
function packedBlock(f: FunctionBuilder, base: number, pc: number, nPad: number, jc: number, kcPad: number) {
  return f.get(base).get(pc).get(nPad).op("i32.mul").get(jc).get(kcPad).op("i32.mul").op("i32.add")
    .i32(2).op("i32.shl").op("i32.add");
}

/** `packB(…GEMM_PACK_PARAMS)`: one part of packing all of B for the `gemm` export's `packedB`. */
function emitPackAll(module: ModuleBuilder, cfg: GemmConfig, packB: FunctionBuilder): void {
  const { nr, unroll, kc } = cfg;
  const f = module.function("packB", GEMM_PACK_PARAMS.map(() => "i32"));
  const P = Object.fromEntries(GEMM_PACK_PARAMS.map((name, i) => [name, i])) as Record<
    typeof GEMM_PACK_PARAMS[number],
    number
  >;
  const [pc, kcur, kcPad, nPad] = [f.local("i32"), f.local("i32"), f.local("i32"), f.local("i32")];
  f.get(P.n).i32(nr - 1).op("i32.add").i32(nr).op("i32.div_u").i32(nr).op("i32.mul").set(nPad);
  f.for(pc, () => f.i32(0), () => f.get(P.k), kc, () => {
    f.i32(kc).get(P.k).get(pc).op("i32.sub").i32(kc).get(P.k).get(pc).op("i32.sub").op("i32.lt_s").op("select");
    f.tee(kcur).i32(unroll - 1).op("i32.add").i32(unroll).op("i32.div_u").i32(unroll).op("i32.mul").set(kcPad);
    f.get(P.b).get(pc).get(P.bRow).op("i32.mul").op("i32.add").get(P.col0).get(P.bCol).op("i32.mul").op("i32.add");
    f.get(P.bRow).get(P.bCol).get(kcur).get(kcPad).get(P.col1).get(P.col0).op("i32.sub");
    packedBlock(f, P.dst, pc, nPad, P.col0, kcPad).call(packB);
  });
}
