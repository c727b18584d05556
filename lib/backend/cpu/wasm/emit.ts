/**
 * A tiny WebAssembly binary emitter, so the cpu kernels are generated at run time from TypeScript
 * (shapes of the register tile, unrolling, the fused multiply-add the engine accepts) rather than
 * shipped as a compiled artefact.
 *
 * It covers what the kernels use and nothing more: one imported shared memory (`env.memory`),
 * functions with i32/f32/v128 parameters and locals, structured control flow, i32 arithmetic,
 * f32/v128 loads and stores with constant offsets, and a few f32x4 operations. Instructions are
 * appended to a {@link FunctionBuilder} of a {@link ModuleBuilder} in stack-machine order, as in
 * the text format.
 * @module
 */

/** The value types the kernels use. */
export type ValType = "i32" | "f32" | "v128";

const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Opcodes without immediates, named as in the WebAssembly text format. */
const OPS = {
  "return": [0x0f],
  "drop": [0x1a],
  "select": [0x1b],
  "i32.eqz": [0x45],
  "i32.eq": [0x46],
  "i32.ne": [0x47],
  "i32.lt_s": [0x48],
  "i32.lt_u": [0x49],
  "i32.gt_s": [0x4a],
  "i32.le_s": [0x4c],
  "i32.ge_s": [0x4e],
  "i32.add": [0x6a],
  "i32.sub": [0x6b],
  "i32.mul": [0x6c],
  "i32.div_u": [0x6e],
  "i32.and": [0x71],
  "i32.or": [0x72],
  "i32.shl": [0x74],
  "f32.add": [0x92],
  "f32.mul": [0x94],
  "f32x4.splat": [0xfd, 0x13],
  "f32x4.add": [0xfd, 0xe4, 0x01],
  "f32x4.mul": [0xfd, 0xe6, 0x01],
  // for the elementwise kernels (elementwise.ts)
  "i32x4.splat": [0xfd, 0x11],
  "f32x4.eq": [0xfd, 0x41],
  "f32x4.ne": [0xfd, 0x42],
  "f32x4.lt": [0xfd, 0x43],
  "f32x4.gt": [0xfd, 0x44],
  "f32x4.le": [0xfd, 0x45],
  "f32x4.ge": [0xfd, 0x46],
  "v128.not": [0xfd, 0x4d],
  "v128.and": [0xfd, 0x4e],
  "v128.or": [0xfd, 0x50],
  "v128.xor": [0xfd, 0x51],
  "v128.bitselect": [0xfd, 0x52],
  "f32x4.ceil": [0xfd, 0x67],
  "f32x4.floor": [0xfd, 0x68],
  "f32x4.nearest": [0xfd, 0x6a],
  "f32x4.abs": [0xfd, 0xe0, 0x01],
  "f32x4.neg": [0xfd, 0xe1, 0x01],
  "f32x4.sqrt": [0xfd, 0xe3, 0x01],
  "f32x4.sub": [0xfd, 0xe5, 0x01],
  "f32x4.div": [0xfd, 0xe7, 0x01],
  "f32x4.relaxed_madd": [0xfd, 0x85, 0x02],
} as const;

/** An instruction without immediates. */
export type Op = keyof typeof OPS;

/** Loads and stores: opcode bytes and the natural alignment (log2 bytes) of the access. */
const MEMORY_OPS = {
  "i32.load": [[0x28], 2],
  "f32.load": [[0x2a], 2],
  "i32.store": [[0x36], 2],
  "f32.store": [[0x38], 2],
  "v128.load": [[0xfd, 0x00], 4],
  "v128.load32_splat": [[0xfd, 0x09], 2],
  "v128.store": [[0xfd, 0x0b], 4],
} as const;

/** A load or store; its immediate is a constant byte offset added to the address. */
export type MemoryOp = keyof typeof MEMORY_OPS;

function uleb(out: number[], value: number): void {
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

function sleb(out: number[], value: number): void {
  value |= 0; // i32 constants wrap like the machine does
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], text: string): void {
  const bytes = new TextEncoder().encode(text);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/** One function: its signature, its locals and its body, appended instruction by instruction. */
export class FunctionBuilder {
  /** The name it is exported under, or `""` for an internal function. */
  readonly name: string;
  /** Parameter types (locals 0 … params.length − 1). */
  readonly params: readonly ValType[];
  /** Result types. */
  readonly results: readonly ValType[];
  /** Index in its module (the order functions were added in). */
  readonly index: number;
  #locals: ValType[] = [];
  #code: number[] = [];

  /** Use {@link ModuleBuilder.function}. */
  constructor(index: number, name: string, params: ValType[], results: ValType[]) {
    this.index = index;
    this.name = name;
    this.params = params;
    this.results = results;
  }

  /** A new local of `type`; its index. */
  local(type: ValType): number {
    this.#locals.push(type);
    return this.params.length + this.#locals.length - 1;
  }

  /** Appends an instruction without immediates. */
  op(op: Op): this {
    this.#code.push(...OPS[op]);
    return this;
  }

  /** `local.get index`. */
  get(index: number): this {
    this.#code.push(0x20);
    uleb(this.#code, index);
    return this;
  }

  /** `local.set index`. */
  set(index: number): this {
    this.#code.push(0x21);
    uleb(this.#code, index);
    return this;
  }

  /** `local.tee index`. */
  tee(index: number): this {
    this.#code.push(0x22);
    uleb(this.#code, index);
    return this;
  }

  /** `i32.const value`. */
  i32(value: number): this {
    this.#code.push(0x41);
    sleb(this.#code, value);
    return this;
  }

  /** `f32.const value`. */
  f32(value: number): this {
    this.#code.push(0x43, ...new Uint8Array(new Float32Array([value]).buffer));
    return this;
  }

  /** `v128.const` of four zeros. */
  v128Zero(): this {
    this.#code.push(0xfd, 0x0c, ...new Array(16).fill(0));
    return this;
  }

  /** `f32x4.extract_lane lane`: lane `lane` (0–3) of the v128 on the stack, as an f32. */
  extractLane(lane: number): this {
    this.#code.push(0xfd, 0x1f, lane);
    return this;
  }

  /** A load or store at the address on the stack plus the constant byte `offset`. */
  mem(op: MemoryOp, offset = 0): this {
    const [bytes, align] = MEMORY_OPS[op];
    this.#code.push(...bytes);
    // the alignment is only a hint; claim less than natural for v128 since panels are 4-byte aligned
    uleb(this.#code, align === 4 ? 2 : align);
    uleb(this.#code, offset);
    return this;
  }

  /** `call fn`. */
  call(fn: FunctionBuilder): this {
    this.#code.push(0x10);
    uleb(this.#code, fn.index);
    return this;
  }

  /**
   * `a · b + c` on f32x4; each callback pushes one operand. `fused` (default: where the engine
   * supports relaxed SIMD) emits `f32x4.relaxed_madd`, else `f32x4.mul` then `f32x4.add`.
   */
  madd(a: () => void, b: () => void, c: () => void, fused: boolean = hasRelaxedMadd()): this {
    a();
    b();
    if (fused) {
      c();
      this.op("f32x4.relaxed_madd");
    } else {
      this.op("f32x4.mul");
      c();
      this.op("f32x4.add");
    }
    return this;
  }

  /** `block … end`: inside, `br 0` jumps past the end. */
  block(body: () => void): this {
    return this.#structured(0x02, body);
  }

  /** `loop … end`: inside, `br 0` jumps back to the start. */
  loop(body: () => void): this {
    return this.#structured(0x03, body);
  }

  /** `if … else … end` on the i32 on the stack. */
  if(then: () => void, otherwise?: () => void): this {
    this.#code.push(0x04, 0x40);
    then();
    if (otherwise) {
      this.#code.push(0x05);
      otherwise();
    }
    this.#code.push(0x0b);
    return this;
  }

  /** `br depth`. */
  br(depth: number): this {
    this.#code.push(0x0c);
    uleb(this.#code, depth);
    return this;
  }

  /** `br_if depth`. */
  brIf(depth: number): this {
    this.#code.push(0x0d);
    uleb(this.#code, depth);
    return this;
  }

  /**
   * `for (i = from; i < to; i += step) body()` with signed compares; `from`/`to` push an i32.
   * The body must not branch out of the loop itself (its depths are relative to the loop).
   */
  for(i: number, from: () => void, to: () => void, step: number, body: () => void): this {
    from();
    this.set(i);
    return this.block(() =>
      this.loop(() => {
        this.get(i);
        to();
        this.op("i32.ge_s").brIf(1);
        body();
        this.get(i).i32(step).op("i32.add").set(i).br(0);
      })
    );
  }

  #structured(opcode: number, body: () => void): this {
    this.#code.push(opcode, 0x40);
    body();
    this.#code.push(0x0b);
    return this;
  }

  /** The function's entry in the code section: locals (grouped by runs of one type) and body. */
  encodeBody(): number[] {
    const runs: [number, ValType][] = [];
    for (const t of this.#locals) {
      if (runs.length > 0 && runs[runs.length - 1][1] === t) runs[runs.length - 1][0]++;
      else runs.push([1, t]);
    }
    const body: number[] = [];
    uleb(body, runs.length);
    for (const [count, t] of runs) {
      uleb(body, count);
      body.push(TYPE_CODE[t]);
    }
    const all = body.concat(this.#code, [0x0b]);
    const out: number[] = [];
    uleb(out, all.length);
    return out.concat(all);
  }
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  for (const b of content) out.push(b);
}

/**
 * A module that imports `env.memory` (a shared memory of at least one and at most 65536 pages, as
 * the heap's) and holds the functions added to it, exported under their non-empty names.
 */
export class ModuleBuilder {
  #functions: FunctionBuilder[] = [];

  /** A new function `name(params) → results`; `""` keeps it unexported. */
  function(name: string, params: ValType[], results: ValType[] = []): FunctionBuilder {
    const f = new FunctionBuilder(this.#functions.length, name, params, results);
    this.#functions.push(f);
    return f;
  }

  /** The binary module. */
  emit(): Uint8Array<ArrayBuffer> {
    const functions = this.#functions;
    const signatures: string[] = [];
    const typeOf = functions.map((f) => {
      const key = `${f.params.join(",")}>${f.results.join(",")}`;
      if (!signatures.includes(key)) signatures.push(key);
      return signatures.indexOf(key);
    });
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    uleb(types, signatures.length);
    for (const key of signatures) {
      const [params, results] = key.split(">").map((s) => s === "" ? [] : s.split(",") as ValType[]);
      types.push(0x60);
      uleb(types, params.length);
      types.push(...params.map((t) => TYPE_CODE[t]));
      uleb(types, results.length);
      types.push(...results.map((t) => TYPE_CODE[t]));
    }
    section(out, 1, types);
    const imports = [1];
    name(imports, "env");
    name(imports, "memory");
    imports.push(0x02, 0x03); // a memory; limits flag 3: has a maximum, shared
    uleb(imports, 1);
    uleb(imports, 65536);
    section(out, 2, imports);
    const funcs: number[] = [];
    uleb(funcs, functions.length);
    for (const t of typeOf) uleb(funcs, t);
    section(out, 3, funcs);
    const exported = functions.filter((f) => f.name !== "");
    const exports: number[] = [];
    uleb(exports, exported.length);
    for (const f of exported) {
      name(exports, f.name);
      exports.push(0x00);
      uleb(exports, f.index);
    }
    section(out, 7, exports);
    const code: number[] = [];
    uleb(code, functions.length);
    for (const f of functions) for (const b of f.encodeBody()) code.push(b);
    section(out, 10, code);
    return new Uint8Array(out);
  }
}

let relaxedMadd: boolean | undefined;

/** Whether the engine accepts relaxed SIMD's `f32x4.relaxed_madd` (one fused multiply-add on x86 with FMA); checked once. */
export function hasRelaxedMadd(): boolean {
  if (relaxedMadd === undefined) {
    const module = new ModuleBuilder();
    module.function("madd", ["v128", "v128", "v128"], ["v128"]).get(0).get(1).get(2).op("f32x4.relaxed_madd");
    relaxedMadd = WebAssembly.validate(module.emit());
  }
  return relaxedMadd;
}
