/**
 * Containers: `nn.Sequential`, `nn.ModuleList`, `nn.ModuleDict`, `nn.ParameterList` and
 * `nn.ParameterDict`. Children are stored as numbered fields
 * ("0", "1", …), so parameter names are PyTorch's (`0.weight`, `2.bias`, …).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { Module } from "./module.ts";

function checkModule(container: string, m: unknown, i: number): Module {
  if (!(m instanceof Module)) {
    throw new TypeError(`${container}: item ${i} is not an nn.Module (got ${m === null ? "null" : typeof m})`);
  }
  return m;
}

// Numbered children shared by Sequential and ModuleList.
abstract class Numbered extends Module {
  [index: number]: Module;
  #length = 0;

  /** Number of children. */
  get length(): number {
    return this.#length;
  }

  /** Appends modules at the end (named by their position). */
  push(...modules: Module[]): number {
    for (const m of modules) {
      this[this.#length] = checkModule(this.constructor.name, m, this.#length);
      this.#length++;
    }
    return this.#length;
  }

  /** The child at `index` (negative counts from the end). */
  at(index: number): Module {
    const i = index < 0 ? index + this.#length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) {
      throw new RangeError(`${this.constructor.name}: index ${index} is out of range for ${this.#length} modules`);
    }
    return this[i];
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }
}

/**
 * Runs its modules one after another: `forward(x) = mₙ(…m₁(m₀(x)))`. Children are named
 * "0", "1", … like PyTorch's, reachable as `seq.at(i)` or `seq[i]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 * assert.deepEqual(model.forward(randn([3, 4])).shape, [3, 2]);
 * assert.deepEqual(model.namedParameters().map(([k]) => k), ["0.weight", "0.bias", "2.weight", "2.bias"]);
 * ```
 */
export class Sequential extends Numbered {
  constructor(...layers: Module[]) {
    super();
    this.push(...layers);
  }

  /** Adds layers at the end and returns this container (PyTorch's `append`). */
  append(...layers: Module[]): this {
    this.push(...layers);
    return this;
  }

  /** Feeds the input through every layer in order. */
  override forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this) x = m.forward(x) as Tensor;
    return x;
  }
}

/**
 * Holds sub-modules in a list so that their parameters are registered (named "0", "1", …);
 * it has no `forward` of its own.
 *
 * @example
 * ```ts
 * import { nn } from "denograd";
 * import assert from "node:assert/strict";
 * const blocks = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
 * blocks.push(new nn.LayerNorm(2));
 * assert.equal(blocks.length, 3);
 * assert.deepEqual(blocks.namedParameters().map(([k]) => k).slice(-2), ["2.weight", "2.bias"]);
 * ```
 */
export class ModuleList extends Numbered {
  constructor(modules: Iterable<Module> = []) {
    super();
    this.push(...modules);
  }
}

// Names that would shadow a field or method of the container (PyTorch refuses them too).
function checkKey(container: { has(key: string): boolean }, kind: string, key: string): void {
  if (typeof key !== "string" || key === "" || key.includes(".")) {
    throw new TypeError(`${kind}: key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
  }
  // an existing entry may be replaced; any other name already on the object (a method, `forward`, `training`) may not
  if (key in container && !container.has(key)) {
    throw new TypeError(`${kind}: key "${key}" is the name of a ${kind} member; choose another key`);
  }
}

function entriesOf<V>(items: Record<string, V> | Iterable<readonly [string, V]>): Iterable<readonly [string, V]> {
  return Symbol.iterator in items ? items as Iterable<readonly [string, V]> : Object.entries(items);
}

/**
 * Holds sub-modules by name (torch.nn.ModuleDict): each is a field of the container, so parameter
 * names are `key.weight`, …, and insertion order is kept (integer-like keys aside, which objects
 * list first). Iterating yields the keys, as in PyTorch. It has no `forward` of its own.
 *
 * @example
 * ```ts
 * import { nn } from "denograd";
 * import assert from "node:assert/strict";
 * const heads = new nn.ModuleDict({ cls: new nn.Linear(4, 2), reg: new nn.Linear(4, 1) });
 * assert.deepEqual([...heads.keys()], ["cls", "reg"]);
 * assert.deepEqual(Object.keys(heads.stateDict()), ["cls.weight", "cls.bias", "reg.weight", "reg.bias"]);
 * ```
 */
export class ModuleDict extends Module {
  [key: string]: unknown;

  constructor(modules: Record<string, Module> | Iterable<readonly [string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** Adds or replaces the module under `key`. */
  set(key: string, module: Module): this {
    checkKey(this, "ModuleDict", key);
    this[key] = checkModule("ModuleDict", module, 0);
    return this;
  }

  /** The module under `key` (throws naming the keys when absent). */
  get(key: string): Module {
    if (!this.has(key)) throw new RangeError(`ModuleDict: no module "${key}" (keys: ${[...this.keys()].join(", ")})`);
    return this[key] as Module;
  }

  /** Whether `key` holds a module. */
  has(key: string): boolean {
    return Object.hasOwn(this, key) && this[key] instanceof Module;
  }

  /** Removes `key` and returns its module (PyTorch's `pop`). */
  pop(key: string): Module {
    const m = this.get(key);
    delete this[key];
    return m;
  }

  /** Adds every `[key, module]` of `modules`. */
  update(modules: Record<string, Module> | Iterable<readonly [string, Module]>): this {
    for (const [k, m] of entriesOf(modules)) this.set(k, m);
    return this;
  }

  /** The keys, in insertion order. */
  *keys(): Generator<string> {
    for (const [k, v] of Object.entries(this)) if (v instanceof Module) yield k;
  }

  /** The modules. */
  *values(): Generator<Module> {
    for (const k of this.keys()) yield this[k] as Module;
  }

  /** `[key, module]` pairs (PyTorch's `items`). */
  *entries(): Generator<[string, Module]> {
    for (const k of this.keys()) yield [k, this[k] as Module];
  }

  /** Number of modules. */
  get size(): number {
    return [...this.keys()].length;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys();
  }
}

function checkParameter(kind: string, t: unknown): Tensor {
  if ((t as { __isTensor?: boolean })?.__isTensor !== true) {
    throw new TypeError(`${kind}: values must be tensors, got ${t === null ? "null" : typeof t}`);
  }
  return t as Tensor;
}

/**
 * Holds parameters in a list (torch.nn.ParameterList), named "0", "1", … in the state dict. Each
 * tensor is registered with `param()` (it requires grad from then on).
 *
 * @example
 * ```ts
 * import { nn, zeros } from "denograd";
 * import assert from "node:assert/strict";
 * const ps = new nn.ParameterList([zeros([2]), zeros([3])]);
 * ps.append(zeros([1]));
 * assert.deepEqual(Object.keys(ps.stateDict()), ["0", "1", "2"]);
 * assert.equal(ps.at(-1).requiresGrad, true);
 * ```
 */
export class ParameterList extends Module {
  [index: number]: Tensor;
  #length = 0;

  constructor(parameters: Iterable<Tensor> = []) {
    super();
    for (const p of parameters) this.append(p);
  }

  /** Number of parameters. */
  get length(): number {
    return this.#length;
  }

  /** Adds a parameter at the end and returns this list. */
  append(parameter: Tensor): this {
    this[this.#length++] = this.param(checkParameter("ParameterList", parameter));
    return this;
  }

  /** Adds every parameter of `parameters` (PyTorch's `extend`). */
  extend(parameters: Iterable<Tensor>): this {
    for (const p of parameters) this.append(p);
    return this;
  }

  /** The parameter at `index` (negative counts from the end). */
  at(index: number): Tensor {
    const i = index < 0 ? index + this.#length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) {
      throw new RangeError(`ParameterList: index ${index} is out of range for ${this.#length} parameters`);
    }
    return this[i];
  }

  *[Symbol.iterator](): Iterator<Tensor> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }
}

/**
 * Holds parameters by name (torch.nn.ParameterDict): each is a field, so the state-dict key is
 * the name. Iterating yields the keys, as in PyTorch.
 *
 * @example
 * ```ts
 * import { nn, ones } from "denograd";
 * import assert from "node:assert/strict";
 * const ps = new nn.ParameterDict({ scale: ones([3]) });
 * ps.set("shift", ones([3]));
 * assert.deepEqual(Object.keys(ps.stateDict()), ["scale", "shift"]);
 * ```
 */
export class ParameterDict extends Module {
  [key: string]: unknown;

  constructor(parameters: Record<string, Tensor> | Iterable<readonly [string, Tensor]> = {}) {
    super();
    this.update(parameters);
  }

  /** Adds or replaces the parameter under `key` (registered with `param()`). */
  set(key: string, parameter: Tensor): this {
    checkKey(this, "ParameterDict", key);
    this[key] = this.param(checkParameter("ParameterDict", parameter));
    return this;
  }

  /** The parameter under `key`. */
  get(key: string): Tensor {
    if (!this.has(key)) {
      throw new RangeError(`ParameterDict: no parameter "${key}" (keys: ${[...this.keys()].join(", ")})`);
    }
    return this[key] as Tensor;
  }

  /** Whether `key` holds a parameter. */
  has(key: string): boolean {
    return Object.hasOwn(this, key) && (this[key] as { __isTensor?: boolean })?.__isTensor === true;
  }

  /** Removes `key` and returns its parameter. */
  pop(key: string): Tensor {
    const p = this.get(key);
    delete this[key];
    return p;
  }

  /** Adds every `[key, parameter]`. */
  update(parameters: Record<string, Tensor> | Iterable<readonly [string, Tensor]>): this {
    for (const [k, p] of entriesOf(parameters)) this.set(k, p);
    return this;
  }

  /** The keys, in insertion order. */
  *keys(): Generator<string> {
    for (const [k, v] of Object.entries(this)) if ((v as { __isTensor?: boolean })?.__isTensor === true) yield k;
  }

  /** The parameters. */
  *values(): Generator<Tensor> {
    for (const k of this.keys()) yield this[k] as Tensor;
  }

  /** `[key, parameter]` pairs. */
  *entries(): Generator<[string, Tensor]> {
    for (const k of this.keys()) yield [k, this[k] as Tensor];
  }

  /** Number of parameters. */
  get size(): number {
    return [...this.keys()].length;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys();
  }
}
