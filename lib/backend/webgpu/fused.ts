/**
 * The fused elementwise kernel (`Backend.fused`): WGSL generated from the expression DAG
 * through the same lowering and generator as the elementwise kernel (codegen.ts), so both
 * agree op for op. `param` nodes read the uniform (changing them never recompiles); literals
 * are baked. Inputs of one element are read at index 0 through a per-input step of 0 in the
 * uniform, so the source depends only on the program's structure. Outputs are split over
 * several dispatches when inputs + outputs exceed the device's storage bindings per stage.
 * @module
 */
import type { DType, Storage } from "../backend.ts";
import { checkFused, type Expr, inputsOf } from "../../ops/expr.ts";
import { lowerExprs } from "../../ops/lower.ts";
import { renderWgsl, store } from "./codegen.ts";
import { type BindingKind, fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";

/** Word offsets of the fused uniform block (see kernels/fused.wgsl). */
const U_N = 0;
const U_STEP = 4;
const U_PARAMS = 12;

/** One dispatch: a subset of the outputs and the inputs it binds. */
interface Part {
  outputs: number[];
  inputs: number[];
}

/** Groups outputs so each dispatch binds at most `maxBindings` storages. */
function partition(outputs: readonly Expr[], maxBindings: number): Part[] {
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

/** The kernel source computing `outputs` (reading bound inputs `inputs`, in that order), all f32. */
export function fusedSource(outputs: readonly Expr[], inputs: readonly number[], inputCount: number): string {
  const slotOf = new Map(inputs.map((k, b) => [k, b]));
  const program = lowerExprs(outputs, Array.from({ length: inputCount }, () => "float" as const));
  const { body, outputs: values } = renderWgsl(program, {
    input: (k) => {
      const b = slotOf.get(k)!;
      return { expr: `x${b}[at_(${b}u, i)]`, storage: "f32" };
    },
    param: (k, t) => t === "float" ? `param_(${k}u)` : t === "int" ? `i32(param_(${k}u))` : `(param_(${k}u) != 0.0)`,
  });
  const bindings = [
    ...outputs.map((_, j) => `@group(0) @binding(${j + 1}) var<storage, read_write> o${j}: array<f32>;`),
    ...inputs.map((_, b) => `@group(0) @binding(${outputs.length + b + 1}) var<storage, read> x${b}: array<f32>;`),
  ];
  return fillTemplate(TEMPLATES.fused, {
    BINDINGS: bindings.join("\n"),
    BODY: body,
    STORES: values.map((v, j) => `  o${j}[i] = ${store(v.expr, v.type, "f32")};`).join("\n"),
  });
}

/** A dispatch's outputs and inputs with its generated source and binding kinds. */
interface CompiledPart extends Part {
  source: string;
  kinds: BindingKind[];
}

/** Parts and sources by program (optimizers and losses pass the same program array every step). */
const compiled = new WeakMap<readonly Expr[], Map<string, CompiledPart[]>>();

/** The dispatches of `outputs`, generated once per program, binding limit and input count. */
function partsOf(outputs: readonly Expr[], maxBindings: number, inputCount: number): CompiledPart[] {
  let byShape = compiled.get(outputs);
  if (!byShape) compiled.set(outputs, byShape = new Map());
  const key = `${maxBindings}|${inputCount}`;
  let parts = byShape.get(key);
  if (!parts) {
    parts = partition(outputs, maxBindings).map((part) => ({
      ...part,
      source: fusedSource(part.outputs.map((j) => outputs[j]), part.inputs, inputCount),
      kinds: [
        ...part.outputs.map((): BindingKind => "storage"),
        ...part.inputs.map((): BindingKind => "read-only-storage"),
      ],
    }));
    byShape.set(key, parts);
  }
  return parts;
}

/**
 * `Backend.fused` on WebGPU (float32 only; float64 is a TypeError pointing to the cpu backend).
 * Returns one new storage of `size` elements per output expression.
 */
export function fused(
  ctx: GpuContext,
  outputs: readonly Expr[],
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
  for (const part of partsOf(outputs, maxBindings, inputs.length)) {
    const kernel = { ...ctx.kernel(part.source, "main", part.kinds), name: "fused elementwise" };
    const u = new UniformBlock().u32(U_N, size);
    part.inputs.forEach((k, b) => u.u32(U_STEP + b, ins[k].size === size ? 1 : 0));
    params.forEach((v, k) => u.f32(U_PARAMS + k, v));
    const bindings = [...part.outputs.map((j) => ctx.bind(outs[j])), ...part.inputs.map((k) => ctx.bind(ins[k]))];
    ctx.run(kernel, u, bindings, Math.ceil(size / 64));
  }
  return outs;
}
