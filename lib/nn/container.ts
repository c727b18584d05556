/**
 * Containers: `nn.Sequential` and `nn.ModuleList`. Children are stored as numbered fields
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
