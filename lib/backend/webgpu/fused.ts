/**
 * The fused elementwise kernel (`Backend.fused`): WGSL generated from the
 * expression DAG, one `let` per distinct node (in {@link linearize} order), with the
 * op snippets of the elementwise kernels so both agree. `param` nodes read the
 * uniform (changing them never recompiles); `const` nodes and unary-op params are
 * baked. Inputs of one element are read at index 0 through a per-input step of 0 in
 * the uniform, so the source depends only on the program's structure. Outputs are
 * split over several dispatches when inputs + outputs exceed the device's storage
 * bindings per stage.
 * @module
 */
import type { DType, FusedExpr, Storage, UnaryOp } from "../backend.ts";
import { checkFused, children, linearize } from "../_cpu_fused.ts";
import { COMPARE, FLOAT_BINARY, FLOAT_UNARY } from "./elementwise.ts";
import { type BindingKind, fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/** Word offsets of the fused uniform block (see kernels/fused.wgsl). */
const U_N = 0;
const U_STEP = 4;
const U_PARAMS = 12;

/** A WGSL f32 expression for `v` (infinities and NaN through their bit patterns). */
export function wgslFloat(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return "bitcast<f32>(0x7fc00000u)";
  if (f === Infinity) return "bitcast<f32>(0x7f800000u)";
  if (f === -Infinity) return "bitcast<f32>(0xff800000u)";
  if (Object.is(f, -0)) return "(-0.0)";
  const s = String(f);
  return `f32(${/[.e]/.test(s) ? s : s + ".0"})`;
}

/** The unary op's params with the defaults of {@link UnaryOp}. */
function unaryParams(op: UnaryOp, params: readonly number[] = []): [number, number] {
  if (op === "leakyRelu") return [params[0] ?? 0.01, 0];
  if (op === "softplus") return [params[0] ?? 1, params[1] ?? 20];
  if (op === "clamp") return [params[0] ?? -Infinity, params[1] ?? Infinity];
  return [0, 0];
}

const ONE_IF = (cond: string) => `select(0.0, 1.0, ${cond})`;

/** The f32 expression of unary `op` applied to the variable `x`. */
function unarySnippet(op: UnaryOp, x: string, params?: readonly number[]): string {
  if (op === "not") return ONE_IF(`${x} == 0.0`);
  if (op === "isnan") return ONE_IF(`f32_is_nan(${x})`);
  if (op === "isinf") return ONE_IF(`f32_is_inf(${x})`);
  const f = FLOAT_UNARY[op];
  if (!f) throw new RangeError(`webgpu fused: unknown unary op ${String(op)}`);
  const [p0, p1] = unaryParams(op, params);
  return f.replaceAll("u.fp.x", wgslFloat(p0)).replaceAll("u.fp.y", wgslFloat(p1)).replaceAll("X", x);
}

/** The f32 expression of node `n` whose operands are in `name(child)`. */
function nodeExpr(n: FusedExpr, name: (e: FusedExpr) => string, inputSlot: (k: number) => number): string {
  if ("input" in n) {
    const b = inputSlot(n.input);
    return `x${b}[at_(${b}u, i)]`;
  }
  if ("param" in n) return `param_(${n.param}u)`;
  if ("const" in n) return wgslFloat(n.const);
  if ("unary" in n) return unarySnippet(n.unary, name(n.a), n.params);
  if ("where" in n) return `select(${name(n.b)}, ${name(n.a)}, ${name(n.where)} != 0.0)`;
  const x = name(n.a), y = name(n.b);
  const sub = (e: string) => e.replaceAll("X", x).replaceAll("Y", y);
  const c = COMPARE[n.binary];
  if (c) return ONE_IF(sub(c));
  if (n.binary === "and") return ONE_IF(`${x} != 0.0 && ${y} != 0.0`);
  if (n.binary === "or") return ONE_IF(`${x} != 0.0 || ${y} != 0.0`);
  if (n.binary === "xor") return ONE_IF(`(${x} != 0.0) != (${y} != 0.0)`);
  const e = FLOAT_BINARY[n.binary];
  if (!e) throw new RangeError(`webgpu fused: unknown binary op ${String(n.binary)}`);
  return sub(e);
}

/** The inputs (sorted) that the programs of `outputs` read. */
function inputsOf(outputs: readonly FusedExpr[]): number[] {
  const seen = new Set<FusedExpr>();
  const used = new Set<number>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if ("input" in n) used.add(n.input);
    stack.push(...children(n));
  }
  return [...used].sort((a, b) => a - b);
}

/** One dispatch: a subset of the outputs and the inputs it binds. */
interface Part {
  outputs: number[];
  inputs: number[];
}

/** Groups outputs so each dispatch binds at most `maxBindings` storages. */
function partition(outputs: readonly FusedExpr[], maxBindings: number): Part[] {
  const parts: Part[] = [];
  for (let j = 0; j < outputs.length; j++) {
    const cur = parts.at(-1);
    if (cur) {
      const inputs = inputsOf([...cur.outputs, j].map((o) => outputs[o]));
      if (cur.outputs.length + 1 + inputs.length <= maxBindings) {
        cur.outputs.push(j);
        cur.inputs = inputs;
        continue;
      }
    }
    parts.push({ outputs: [j], inputs: inputsOf([outputs[j]]) });
  }
  return parts;
}

/** The kernel source computing `outputs` (reading bound inputs `inputs`, in that order). */
export function fusedSource(outputs: readonly FusedExpr[], inputs: readonly number[]): string {
  const slotOf = new Map(inputs.map((k, b) => [k, b]));
  const nodes = linearize(outputs);
  const names = new Map<FusedExpr, string>();
  const name = (e: FusedExpr) => names.get(e)!;
  const body = nodes.map((n, k) => {
    names.set(n, `v${k}`);
    return `  let v${k}: f32 = ${nodeExpr(n, name, (i) => slotOf.get(i)!)};`;
  });
  const bindings = [
    ...outputs.map((_, j) => `@group(0) @binding(${j + 1}) var<storage, read_write> o${j}: array<f32>;`),
    ...inputs.map((_, b) => `@group(0) @binding(${outputs.length + b + 1}) var<storage, read> x${b}: array<f32>;`),
  ];
  return fillTemplate(TEMPLATES.fused, {
    BINDINGS: bindings.join("\n"),
    BODY: body.join("\n"),
    STORES: outputs.map((o, j) => `  o${j}[i] = ${name(o)};`).join("\n"),
  });
}

/**
 * `Backend.fused` on WebGPU (float32 only; float64 is a TypeError pointing to the cpu backend).
 * Returns one new storage of `size` elements per output expression.
 */
export function fused(
  ctx: GpuContext,
  outputs: readonly FusedExpr[],
  inputs: readonly Storage[],
  size: number,
  params: readonly number[],
  dtype: DType,
): Storage[] {
  if (wgslType(dtype, "fused") !== "f32") {
    throw new TypeError(`webgpu fused: needs a float dtype, got ${dtype}`);
  }
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`webgpu fused: invalid size ${size}`);
  checkFused(outputs, inputs.length, params.length, "webgpu");
  const ins: WebGPUStorage[] = inputs.map((s, k) => {
    const g = ctx.live(s, "fused");
    if (g.dtype !== dtype || (g.size !== size && g.size !== 1)) {
      throw new RangeError(
        `webgpu fused: input ${k} is ${g.dtype} with ${g.size} elements; expected ${dtype} with ${size} or 1`,
      );
    }
    return g;
  });
  const outs = outputs.map(() => ctx.alloc(size, dtype, "fused"));
  if (size === 0) return outs;
  const maxBindings = Math.max(2, ctx.limits.maxStorageBuffersPerShaderStage);
  for (const part of partition(outputs, maxBindings)) {
    const src = fusedSource(part.outputs.map((j) => outputs[j]), part.inputs);
    const kinds: BindingKind[] = [
      ...part.outputs.map((): BindingKind => "storage"),
      ...part.inputs.map((): BindingKind => "read-only-storage"),
    ];
    const kernel = { ...ctx.kernel(src, "main", kinds), name: "fused elementwise" };
    const u = new UniformBlock().u32(U_N, size);
    part.inputs.forEach((k, b) => u.u32(U_STEP + b, ins[k].size === size ? 1 : 0));
    params.forEach((v, k) => u.f32(U_PARAMS + k, v));
    const bindings = [...part.outputs.map((j) => ctx.bind(outs[j])), ...part.inputs.map((k) => ctx.bind(ins[k]))];
    ctx.run(kernel, u, bindings, Math.ceil(size / 64));
  }
  return outs;
}
