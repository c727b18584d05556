/**
 * The fused elementwise kernel (`Backend.fused`): WGSL generated from the expression DAG
 * through the same lowering and generator as the elementwise kernel (codegen.ts), so both
 * agree op for op. `param` nodes read the uniform (changing them never recompiles); literals
 * are baked. Inputs of one element are read at index 0 through a per-input step of 0 in the
 * uniform, so the source depends only on the program's structure. Outputs are split over
 * several dispatches when inputs + outputs exceed the device's storage bindings per stage.
 *
 * The kernel is memory-bound (an Adam step reads θ, g, m, v and writes θ, m, v: 28 bytes per
 * element for ~20 flops), so it moves whole vec4s whenever every storage it binds can be bound
 * as vec4s ({@link vec4Binding}): outputs are fresh storages, so the up to 3 elements of the
 * last vec4 past `size` land in their own padding. It walks the elements as stream.ts lays out
 * (long contiguous runs per invocation on llvmpipe, a grid-stride loop on a GPU).
 * @module
 */
import type { DType, Storage } from "../backend.ts";
import { checkFused, type Expr, inputsOf } from "../../ops/expr.ts";
import { lowerExprs } from "../../ops/lower.ts";
import { renderWgsl, store } from "./codegen.ts";
import { type BindingKind, fillTemplate, TEMPLATES, UniformBlock, wgslType } from "./kernels.ts";
import type { Binding } from "./recorder.ts";
import type { GpuContext, WebGPUStorage } from "./storage.ts";
import { streamLayout, vec4Binding } from "./stream.ts";

/** Word offsets of the fused uniform block (see kernels/fused.wgsl). */
const U_N = 0;
const U_PER = 1;
const U_WIDTH = 2;
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

const LANES = ["x", "y", "z", "w"] as const;

/**
 * The kernel source computing `outputs` (reading bound inputs `inputs`, in that order), all f32;
 * with `vec4`, each item is four consecutive elements (one vec4 load or store per storage).
 */
export function fusedSource(
  outputs: readonly Expr[],
  inputs: readonly number[],
  inputCount: number,
  vec4 = false,
): string {
  const slotOf = new Map(inputs.map((k, b) => [k, b]));
  const program = lowerExprs(outputs, Array.from({ length: inputCount }, () => "float" as const));
  // params are read from the uniform once per invocation and passed in, not once per element
  const params = new Set<number>();
  const { body, outputs: values } = renderWgsl(program, {
    input: (k) => ({ expr: `a${slotOf.get(k)!}`, storage: "f32" }),
    param: (k, t) => {
      params.add(k);
      return t === "float" ? `q${k}` : t === "int" ? `i32(q${k})` : `(q${k} != 0.0)`;
    },
  });
  const used = [...params].sort((a, b) => a - b);
  const item = vec4 ? "vec4<f32>" : "f32";
  const bindings = [
    ...outputs.map((_, j) => `@group(0) @binding(${j + 1}) var<storage, read_write> o${j}: array<${item}>;`),
    ...inputs.map((_, b) => `@group(0) @binding(${outputs.length + b + 1}) var<storage, read> x${b}: array<${item}>;`),
  ];
  const args = (lane: (b: number) => string) =>
    [...inputs.map((_, b) => lane(b)), ...used.map((k) => `q${k}`)].join(", ");
  const loop: string[] = [];
  const setup = [
    ...inputs.map((_, b) => `  let s${b} = step_(${b}u);`),
    ...used.map((k) => `  let q${k} = param_(${k}u);`),
  ];
  if (vec4) {
    // a one-element input holds its value in lane x of vec4 0: splat it
    for (let b = 0; b < inputs.length; b++) {
      loop.push(`    let t${b} = x${b}[i * s${b}];`, `    let a${b} = select(t${b}, t${b}.xxxx, s${b} == 0u);`);
    }
    LANES.forEach((l, c) => loop.push(`    let e${c} = eval_(${args((b) => `a${b}.${l}`)});`));
    outputs.forEach((_, j) => loop.push(`    o${j}[i] = vec4<f32>(${LANES.map((_, c) => `e${c}.r${j}`).join(", ")});`));
  } else {
    loop.push(`    let e = eval_(${args((b) => `x${b}[i * s${b}]`)});`);
    outputs.forEach((_, j) => loop.push(`    o${j}[i] = e.r${j};`));
  }
  return fillTemplate(TEMPLATES.fused, {
    BINDINGS: bindings.join("\n"),
    FIELDS: outputs.map((_, j) => `  r${j}: f32,`).join("\n"),
    ARGS: [...inputs.map((_, b) => `a${b}: f32`), ...used.map((k) => `q${k}: f32`)].join(", "),
    SETUP: setup.join("\n"),
    BODY: body,
    RESULT: values.map((v) => store(v.expr, v.type, "f32")).join(", "),
    LOOP: loop.join("\n"),
  });
}

/** A dispatch's outputs and inputs with its binding kinds and generated sources. */
interface CompiledPart extends Part {
  kinds: BindingKind[];
  /** The source of the scalar (false) or vec4 (true) variant, generated on first use. */
  source(vec4: boolean): string;
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
    parts = partition(outputs, maxBindings).map((part) => {
      const sources: (string | undefined)[] = [];
      const exprs = part.outputs.map((j) => outputs[j]);
      return {
        ...part,
        kinds: [
          ...part.outputs.map((): BindingKind => "storage"),
          ...part.inputs.map((): BindingKind => "read-only-storage"),
        ],
        source: (vec4: boolean) => sources[+vec4] ??= fusedSource(exprs, part.inputs, inputCount, vec4),
      };
    });
    byShape.set(key, parts);
  }
  return parts;
}

/** Every binding of one dispatch as whole vec4s, or null when one of the storages has no room. */
function vec4Bindings(ctx: GpuContext, storages: readonly WebGPUStorage[]): Binding[] | null {
  const out: Binding[] = [];
  for (const s of storages) {
    const b = vec4Binding(ctx, s);
    if (!b) return null;
    out.push(b);
  }
  return out;
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
    const storages = [...part.outputs.map((j) => outs[j]), ...part.inputs.map((k) => ins[k])];
    const wide = vec4Bindings(ctx, storages);
    const bindings = wide ?? storages.map((s) => ctx.bind(s));
    const items = wide ? Math.ceil(size / 4) : size;
    const kernel = { ...ctx.kernel(part.source(wide !== null), "main", part.kinds), name: "fused elementwise" };
    const layout = streamLayout(ctx, items);
    const u = new UniformBlock().u32(U_N, items).u32(U_PER, layout.per).u32(U_WIDTH, layout.width);
    part.inputs.forEach((k, b) => u.u32(U_STEP + b, ins[k].size === size ? 1 : 0));
    params.forEach((v, k) => u.param(U_PARAMS + k, k, v, "f32"));
    ctx.run(kernel, u, bindings, layout.workgroups);
  }
  return outs;
}
