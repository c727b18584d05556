/**
 * `nn.Module`: the base of every layer. Parameters, buffers and sub-modules are found by
 * walking the instance's own fields in definition order, as PyTorch registers attributes.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { graphScope, keep } from "../tensor/scope.ts";
import { noGrad } from "../tensor/tape.ts";

const buffers = new WeakSet<Tensor>();
const nonPersistent = new WeakSet<Tensor>();

/**
 * Runs before `forward` with the module and its arguments (`register_forward_pre_hook`); a value
 * other than undefined replaces the arguments (an array is the argument list, anything else the one argument).
 */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown;
/** Runs after `forward` with the module, its arguments and output (`register_forward_hook`); a value other than undefined replaces the output. */
export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => unknown;
/** What the register functions return: `remove()` unregisters the hook (PyTorch's `RemovableHandle`). */
export interface RemovableHandle {
  /** Unregisters the hook; idempotent. */
  remove(): void;
}

// kept off the instance so that the walk over fields (parameters, children) never sees them
const forwardHooks = new WeakMap<Module, { pre: Map<number, ForwardPreHook>; post: Map<number, ForwardHook> }>();
let nextHookId = 0;

function addHook(module: Module, kind: "pre" | "post", fn: ForwardPreHook | ForwardHook): RemovableHandle {
  if (typeof fn !== "function") throw new TypeError(`${module.constructor.name}: a forward hook must be a function`);
  let hooks = forwardHooks.get(module);
  if (!hooks) forwardHooks.set(module, hooks = { pre: new Map(), post: new Map() });
  const id = nextHookId++;
  (hooks[kind] as Map<number, typeof fn>).set(id, fn);
  const table = hooks;
  return { remove: () => table[kind].delete(id) };
}

/** A named collection of tensors, as `stateDict()` returns and `save()` writes. */
export type StateDict = Record<string, Tensor>;

/**
 * Base class of layers. Subclasses assign parameters (tensors created with
 * `requiresGrad: true`, or wrapped by {@link Module.param}), buffers ({@link Module.buffer})
 * and sub-modules as ordinary fields, and implement `forward`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * class Scale extends nn.Module {
 *   weight = this.param(randn([3]));
 *   forward(x: import("denograd").Tensor) { return x.mul(this.weight); }
 * }
 * const m = new Scale();
 * assert.deepEqual(Object.keys(m.stateDict()), ["weight"]);
 * ```
 */
export class Module {
  /** Training mode (dropout active, batch-norm batch statistics); see train()/eval(). */
  training = true;

  /**
   * Every call of `forward` runs in a graph scope: the tensors it creates and neither returns
   * nor stores on the module are released when backward() has consumed the graph (or at once
   * when the output has no grad function), so a training loop without `tidy` stays flat as in
   * PyTorch. The wrapper is an own, non-enumerable property, so `super.forward()` inside a
   * subclass runs unwrapped.
   */
  constructor() {
    const forward = this.forward;
    Object.defineProperty(this, "forward", {
      value: (...inputs: unknown[]) => {
        const hooks = forwardHooks.get(this);
        if (!hooks) return graphScope(() => forward.apply(this, inputs), { holder: this });
        // hooks run outside the scope: what they create and keep is theirs, not the call's leftovers
        let args = inputs;
        for (const pre of hooks.pre.values()) {
          const r = pre(this, args);
          if (r !== undefined) args = Array.isArray(r) ? r : [r];
        }
        let output = graphScope(() => forward.apply(this, args), { holder: this });
        for (const post of hooks.post.values()) {
          const r = post(this, args, output);
          if (r !== undefined) output = r;
        }
        return output;
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  /** Computes the module's output. Subclasses override it. */
  forward(..._inputs: unknown[]): unknown {
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }

  /** Same as `forward` (PyTorch's `module(x)`). */
  call(...inputs: unknown[]): unknown {
    return this.forward(...inputs);
  }

  /** Marks `t` as a trainable parameter (requires grad, exempt from tidy) and returns it. */
  param(t: Tensor): Tensor {
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    return t;
  }

  /** Marks `t` as a buffer: state that is saved but not trained (e.g. running means). */
  buffer(t: Tensor, options: { persistent?: boolean } = {}): Tensor {
    keep(t);
    buffers.add(t);
    if (options.persistent === false) nonPersistent.add(t);
    return t;
  }

  /** Direct sub-modules with their field names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Module) yield [name, value];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] instanceof Module) yield [`${name}.${i}`, value[i]];
        }
      }
    }
  }

  /** Direct sub-modules. */
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every descendant, with dotted names ("" for this one). */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) {
      yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
    }
  }

  /** This module and every descendant. */
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  *#ownTensors(): Generator<[string, Tensor]> {
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Tensor) yield [name, value];
    }
  }

  /** Every parameter with its dotted name, each tensor once. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m.#ownTensors()) {
        if (buffers.has(t) || !t.requiresGrad || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Every parameter, each once, in definition order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m.#ownTensors()) {
        if (buffers.has(t)) out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (same as `train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (PyTorch's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and persistent buffers by dotted name (they are the live tensors, not copies). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m.#ownTensors()) {
        const isParam = t.requiresGrad && !buffers.has(t);
        if ((isParam || buffers.has(t)) && !nonPersistent.has(t)) out[prefix ? `${prefix}.${name}` : name] = t;
      }
    }
    return out;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers. With `strict`
   * (default) missing and unexpected keys are errors; shapes must always match.
   */
  loadStateDict(state: StateDict, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !(k in own));
    if (strict && (missing.length || unexpected.length)) {
      throw new Error(
        `loadStateDict: ${this.constructor.name} state does not match: missing keys [${missing.join(", ")}], ` +
          `unexpected keys [${unexpected.join(", ")}]; pass { strict: false } to load a subset`,
      );
    }
    noGrad(() => {
      for (const [key, target] of Object.entries(own)) {
        const src = state[key];
        if (!src) continue;
        if (src.shape.join() !== target.shape.join()) {
          throw new RangeError(
            `loadStateDict: "${key}" has shape [${src.shape}] but the module expects [${target.shape}]`,
          );
        }
        const value = src.device === target.device ? src : src.to(target.device);
        const cast = value.dtype === target.dtype ? value : value.cast(target.dtype);
        const copy = cast.clone();
        target.assignStorage(copy);
        copy.dispose();
        if (cast !== src && cast !== value) cast.dispose();
        if (value !== src) value.dispose();
      }
    });
    return { missing, unexpected };
  }

  /**
   * Registers `hook(module, inputs)` to run before every `forward` call (PyTorch's
   * `register_forward_pre_hook`); returning a value replaces the arguments.
   *
   * @example
   * ```ts
   * import { nn, ones } from "denograd";
   * import assert from "node:assert/strict";
   * const fc = new nn.Identity();
   * const handle = fc.registerForwardPreHook((_m, [x]) => (x as import("denograd").Tensor).mul(2));
   * assert.deepEqual(await (fc.forward(ones([1])) as import("denograd").Tensor).toArray(), [2]);
   * handle.remove();
   * ```
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(this, "pre", hook);
  }

  /**
   * Registers `hook(module, inputs, output)` to run after every `forward` call (PyTorch's
   * `register_forward_hook`); returning a value replaces the output. Hooks run in registration order.
   *
   * @example
   * ```ts
   * import { nn, randn } from "denograd";
   * import assert from "node:assert/strict";
   * const fc = new nn.Linear(3, 2);
   * const seen: number[][] = [];
   * const handle = fc.registerForwardHook((_m, _in, out) => { seen.push([...(out as import("denograd").Tensor).shape]); });
   * fc.forward(randn([4, 3]));
   * handle.remove();
   * fc.forward(randn([4, 3]));
   * assert.deepEqual(seen, [[4, 2]]);
   * ```
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(this, "post", hook);
  }

  /** Calls `fn` on every module (children first is not guaranteed; order is depth-first pre-order). */
  apply(fn: (m: Module) => void): this {
    for (const m of this.modules()) fn(m);
    return this;
  }
}
