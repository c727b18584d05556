/**
 * `Backend.evaluate` on the cpu backend: a chain of elementwise ops runs as one generated
 * JavaScript loop over the heap, so a fused chain is one pass over memory. The dims every operand
 * reads alike are collapsed first (a contiguous chain becomes one flat loop); the loop nest then
 * has one level per remaining dim, with each operand's index stepped by its own stride, and an
 * operand broadcast from one element is read once, before the loops. The source depends on the
 * program's structure, the storage types, how each operand is read and the collapsed rank; shapes,
 * strides, offsets and params are arguments, so new shapes or learning rates never compile again.
 *
 * float32 programs whose operands are all dense or broadcast from one element, and whose ops the
 * SIMD generator covers (wasm/elementwise.ts: arithmetic, √, rounding, extrema, comparisons,
 * logic, where, casts between float and bool), run instead as WebAssembly SIMD, bit for bit the
 * same results, split over the thread pool when large; the JavaScript loops stay for the rest
 * (transcendentals, int32, bool storage, strided views).
 * @module
 */
import type { DType, EvaluateLimits, Operand, Storage } from "../backend.ts";
import { collapseDims, readKind } from "../_view.ts";
import { type Expr, structureKey } from "../../ops/expr.ts";
import type { ScalarType } from "../../ops/entry.ts";
import { lowerExprs } from "../../ops/lower.ts";
import { convert, renderJs, toInt } from "../codegen_js.ts";
import { JS_HELPERS } from "../../ops/_math.ts";
import type { CpuContext, CpuStorage } from "./context.ts";
import type { Heap, HeapViews } from "./heap.ts";
import { cpuThreads, MAX_ARGS, MAX_PARTS, runJob } from "./threads.ts";
import { ELEMENTWISE_EXPORT, emitElementwise, type SimdRead } from "./wasm/elementwise.ts";

/** Generous limits: generated JavaScript has no binding or uniform caps, only compile time. */
export const CPU_EVALUATE_LIMITS: EvaluateLimits = { inputs: 64, params: 64, nodes: 1024, words: 1 << 20 };

const SCALAR: Record<DType, ScalarType> = { float32: "float", float64: "float", int32: "int", bool: "bool" };
const VIEW: Record<DType, keyof HeapViews> = { float32: "f32", float64: "f64", int32: "i32", bool: "u8" };
const SHIFT: Record<DType, number> = { float32: 2, float64: 3, int32: 2, bool: 0 };

/** A compiled variant: `(views, offsets, shape, strides, params)`; offsets are element indices, outputs first. */
type Kernel = (
  views: HeapViews,
  offsets: Int32Array | number[],
  shape: readonly number[],
  strides: readonly number[],
  params: readonly number[],
) => void;

const cache = new Map<string, Kernel>();

/**
 * @internal How float32 programs run, for tests and benchmarks: `simd` false forces the
 * JavaScript loops; `splitElements` is the size from which a SIMD program is split over the
 * thread pool (see {@link SPLIT_ELEMENTS}); `partsPerThread` how many parts each thread gets (threads claim them in turn, so one slowed by another process takes fewer).
 * `runs` and `splitRuns` count the programs that ran as SIMD, and of those the split ones.
 */
export const simdKnobs = {
  simd: true,
  splitElements: 0, // set below, once SPLIT_ELEMENTS exists
  partsPerThread: 8,
  runs: 0,
  splitRuns: 0,
};

/**
 * Elements from which a SIMD program is split over the threads. Measured on 2 cores with the
 * second one idle, `x·a + y` breaks even at 2^16 elements (10.6 µs on one thread) and gains from
 * 2^17 (20.6 → 15.5 µs); an Adam update (~1 ns per element, bound by f32x4 ÷ and √) gains from
 * 2^17 too (~105 → ~60 µs). When another process holds the second core, waiting for its worker
 * costs ~40 µs, so a split below 2^17 loses more there than it gains when the core is free.
 */
export const SPLIT_ELEMENTS = 1 << 17;
simdKnobs.splitElements = SPLIT_ELEMENTS;

/** Compiled SIMD modules by the JavaScript cache's key; null where the program is not covered. */
const simdCache = new Map<string, WebAssembly.Module | null>();

/** {@link Backend.evaluate} over the heap (see the module doc). */
export function evaluate(
  ctx: CpuContext,
  outputs: readonly Expr[],
  operands: readonly Operand[],
  outDtypes: readonly DType[],
  params: readonly number[],
): Storage[] {
  if (outputs.length === 0 || outputs.length !== outDtypes.length) {
    throw new RangeError(`cpu evaluate: ${outputs.length} outputs but ${outDtypes.length} output dtypes`);
  }
  const shape = operands[0]?.view.shape ?? [];
  let n = 1;
  for (const d of shape) n *= d;
  const stores: CpuStorage[] = outDtypes.map((t) => ctx.alloc(n, t, "evaluate"));
  if (n === 0) return stores;
  const kinds: string[] = [];
  const strideList: (readonly number[])[] = [];
  for (const o of operands) {
    const v = o.view;
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`cpu evaluate: operand shape [${v.shape}] differs from [${shape}]`);
    }
    ctx.checkView("evaluate", o.storage, v);
    const kind = readKind(v);
    kinds.push(kind);
    if (kind === "strided") strideList.push(v.strides);
  }
  const collapsed = strideList.length > 0 ? collapseDims(shape, strideList) : { shape: [n], strides: [] };
  const rank = collapsed.shape.length;
  const offsets: number[] = [];
  for (const s of stores) offsets.push(s.address >> SHIFT[s.dtype]);
  for (const o of operands) offsets.push(((o.storage as CpuStorage).address >> SHIFT[o.storage.dtype]) + o.view.offset);
  const flatStrides: number[] = [];
  for (const s of collapsed.strides) flatStrides.push(...s);
  const inDtypes = operands.map((o) => o.storage.dtype);
  const key = `${structureKey(outputs)}|${inDtypes}|${outDtypes}|${kinds}|${rank}|${params.length}`;
  if (simdKnobs.simd && runSimd(ctx, key, outputs, operands, stores, kinds, inDtypes, outDtypes, params, n)) {
    return stores;
  }
  let kernel = cache.get(key);
  if (kernel === undefined) {
    kernel = compile(outputs, inDtypes, outDtypes, kinds, rank, params.length);
    cache.set(key, kernel);
  }
  kernel(ctx.heap.views, offsets, collapsed.shape, flatStrides, params);
  return stores;
}

/** The source of one variant, compiled with `new Function`. */
function compile(
  outputs: readonly Expr[],
  ins: readonly DType[],
  outs: readonly DType[],
  kinds: readonly string[],
  rank: number,
  paramCount: number,
): Kernel {
  const program = lowerExprs(outputs, ins.map((t) => SCALAR[t]));
  const strided = kinds.map((k, i) => (k === "strided" ? kinds.slice(0, i).filter((x) => x === "strided").length : -1));
  const inner = rank - 1;
  const read = (k: number): string => {
    const at = kinds[k] === "dense" ? `b${k} + i` : kinds[k] === "scalar" ? `b${k}` : `j${k}_${inner}`;
    return ins[k] === "bool" ? `(x${k}[${at}] !== 0)` : `x${k}[${at}]`;
  };
  const indent = "  ".repeat(rank + 1);
  // float32 chains round each op's result as float32 storage would (exp(100) overflows to Inf)
  const float32 = !ins.includes("float64") && !outs.includes("float64");
  const { body, outputs: values } = renderJs(program, read, indent, float32);
  const storeLines = values.map(({ expr, type }, j) => {
    const t = SCALAR[outs[j]];
    const v = t === "bool"
      ? `(${convert(expr, type, "bool")} ? 1 : 0)`
      : convert(expr, type, type === "bool" ? t : type);
    return `${indent}o${j}[c${j} + i] = ${v};`;
  });
  const lines: string[] = [`"use strict";`, `return function evaluate(views, offs, shape, strides, params) {`];
  outs.forEach((t, j) => lines.push(`  const o${j} = views.${VIEW[t]}, c${j} = offs[${j}];`));
  ins.forEach((t, k) => lines.push(`  const x${k} = views.${VIEW[t]}, b${k} = offs[${outs.length + k}];`));
  for (let p = 0; p < paramCount; p++) {
    const f = float32 ? `Math.fround(params[${p}])` : `params[${p}]`;
    lines.push(`  const pf${p} = ${f}, pi${p} = lib.toInt(params[${p}]);`);
  }
  for (let d = 0; d < rank; d++) lines.push(`  const n${d} = shape[${d}];`);
  kinds.forEach((kind, k) => {
    if (kind !== "strided") return;
    for (let d = 0; d < rank; d++) lines.push(`  const s${k}_${d} = strides[${strided[k] * rank + d}];`);
  });
  lines.push(`  let i = 0;`);
  // the loop nest: an outer dim advances each strided operand's base; the innermost runs the body
  for (let d = 0; d < rank; d++) {
    const pad = "  ".repeat(d + 1);
    const starts = kinds.map((kind, k) => {
      if (kind !== "strided") return "";
      const from = d === 0 ? `b${k}` : `j${k}_${d - 1}`;
      return ` let j${k}_${d} = ${from};`;
    }).join("");
    const steps = kinds.map((kind, k) => (kind === "strided" ? `, j${k}_${d} += s${k}_${d}` : "")).join("");
    if (d < inner) {
      lines.push(`${pad}{${starts}`, `${pad}for (let c_${d} = 0; c_${d} < n${d}; c_${d}++${steps}) {`);
    } else {
      lines.push(
        `${pad}{${starts}`,
        `${pad}for (let e = 0; e < n${d}; e++, i++${steps}) {`,
        body,
        ...storeLines,
        `${pad}}`,
        `${pad}}`,
      );
    }
  }
  for (let d = inner - 1; d >= 0; d--) lines.push(`${"  ".repeat(d + 1)}}`, `${"  ".repeat(d + 1)}}`);
  lines.push(`};`);
  const lib = { ...JS_HELPERS, toInt };
  return new Function("lib", lines.join("\n"))(lib) as Kernel;
}

const PARAM_F32 = new Float32Array(64);
const PARAM_BITS = new Int32Array(PARAM_F32.buffer);

/**
 * Runs a float32 program whose operands are all dense or broadcast from one element as a
 * WebAssembly SIMD kernel (wasm/elementwise.ts), split over the threads from
 * {@link simdKnobs}`.splitElements`; false (nothing done) where it does not apply.
 */
function runSimd(
  ctx: CpuContext,
  key: string,
  outputs: readonly Expr[],
  operands: readonly Operand[],
  stores: readonly CpuStorage[],
  kinds: readonly string[],
  inDtypes: readonly DType[],
  outDtypes: readonly DType[],
  params: readonly number[],
  n: number,
): boolean {
  // byte offsets of the loop are signed i32: 2^29 elements is 2 GiB of one operand
  if (n >= 2 ** 29 || params.length > PARAM_F32.length || kinds.includes("strided")) return false;
  if (!inDtypes.every((t) => t === "float32") || !outDtypes.every((t) => t === "float32")) return false;
  let module = simdCache.get(key);
  if (module === undefined) {
    const bytes = emitElementwise(outputs, kinds as SimdRead[], params.length);
    simdCache.set(key, module = bytes === null ? null : new WebAssembly.Module(bytes));
  }
  if (module === null) return false;
  const args: number[] = [];
  for (const s of stores) args.push(s.address);
  for (const o of operands) args.push((o.storage as CpuStorage).address + 4 * o.view.offset);
  // params as their float32 bits (rounded as the JavaScript path's Math.fround does)
  PARAM_F32.set(params);
  for (let p = 0; p < params.length; p++) args.push(PARAM_BITS[p]);
  const threads = cpuThreads();
  simdKnobs.runs++;
  if (threads > 1 && n >= simdKnobs.splitElements && args.length <= MAX_ARGS) {
    const parts = Math.min(MAX_PARTS, threads * simdKnobs.partsPerThread, Math.ceil(n / 16));
    simdKnobs.splitRuns++;
    runJob(ctx.heap, { module, exportName: ELEMENTWISE_EXPORT, args, parts: ranges(n, 16, parts), scratchBytes: 0 });
  } else {
    localKernel(ctx.heap, module)(...args, 0, 0, n);
  }
  return true;
}

/** `count` cut into `parts` half-open ranges whose bounds are multiples of `tile` (the last ends at count). */
function ranges(count: number, tile: number, parts: number): number[][] {
  const tiles = Math.ceil(count / tile);
  return Array.from({ length: parts }, (_, t) => [
    Math.floor(tiles * t / parts) * tile,
    Math.min(count, Math.floor(tiles * (t + 1) / parts) * tile),
  ]);
}

/** The main thread's instance of each module, per heap (its memory is the instance's import). */
const instances = new WeakMap<Heap, Map<WebAssembly.Module, (...args: number[]) => void>>();

function localKernel(heap: Heap, module: WebAssembly.Module): (...args: number[]) => void {
  let byModule = instances.get(heap);
  if (byModule === undefined) instances.set(heap, byModule = new Map());
  let fn = byModule.get(module);
  if (fn === undefined) {
    const instance = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    fn = instance.exports[ELEMENTWISE_EXPORT] as (...args: number[]) => void;
    byModule.set(module, fn);
  }
  return fn;
}
