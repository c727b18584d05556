/**
 * User-defined differentiable functions, as PyTorch's `torch.autograd.Function`: a forward that
 * runs without recording, and a backward written by hand that turns the outputs' gradients into
 * the inputs'. Two forms: {@link defineFunction} (an object literal) and {@link AutogradFunction}
 * (static `forward`/`backward` on a subclass, then `MyFn.apply(...)`).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { isGradEnabled, noGrad, record } from "../tensor/tape.ts";
import { zerosLike } from "../tensor/ops_creation.ts";

function isTensor(v: unknown): v is Tensor {
  return (v as { __isTensor?: boolean } | null)?.__isTensor === true;
}

/**
 * What `forward` and `backward` share (PyTorch's `ctx`): tensors saved with `saveForBackward`,
 * which inputs need a gradient, and any other value set on it as a property (`ctx.k = 3`).
 */
export class FunctionContext {
  #saved: readonly Tensor[] = [];
  /** Anything else `forward` stores for `backward` (PyTorch's `ctx.k = …`). */
  [key: string]: unknown;

  /** A context; `apply` makes one per call. */
  constructor(
    /** One flag per argument of `apply`: whether it is a tensor that requires grad (false for non-tensors). */
    readonly needsInputGrad: readonly boolean[],
  ) {}

  /** Keeps tensors for `backward` (inputs, outputs or intermediates); read them back as `savedTensors`. */
  saveForBackward(...tensors: Tensor[]): void {
    for (const t of tensors) {
      if (t !== null && t !== undefined && !isTensor(t)) {
        throw new TypeError("saveForBackward: only tensors (or null) can be saved; set other values on ctx directly");
      }
    }
    this.#saved = tensors;
  }

  /** The tensors given to `saveForBackward`, in order. */
  get savedTensors(): readonly Tensor[] {
    return this.#saved;
  }
}

/** What `backward` returns: one gradient (or null) per argument of `apply`; a single value when there is one argument. */
export type BackwardResult = Tensor | null | undefined | readonly (Tensor | null | undefined)[];

/** The two halves of a custom function, for {@link defineFunction}. */
export interface FunctionDefinition<A extends unknown[], R extends Tensor | readonly Tensor[]> {
  /** Name used in the gradient node and in errors (default "CustomFunction"). */
  name?: string;
  /** Computes the outputs from the arguments (tensors and other values); runs with recording off. */
  forward(ctx: FunctionContext, ...args: A): R;
  /**
   * Given one gradient per output, returns one gradient per argument (null where none: non-tensor
   * arguments, or `!ctx.needsInputGrad[i]`). Written with tensor ops, it is itself differentiable
   * (double backward with `createGraph`).
   */
  backward(ctx: FunctionContext, ...gradOutputs: Tensor[]): BackwardResult;
}

function applyFunction<R extends Tensor | readonly Tensor[]>(
  name: string,
  forward: (ctx: FunctionContext, ...args: unknown[]) => R,
  backward: (ctx: FunctionContext, ...grads: Tensor[]) => BackwardResult,
  args: readonly unknown[],
): R {
  const tensorArgs = args.map((a, i) => [a, i] as const).filter(([a]) => isTensor(a)) as [Tensor, number][];
  const inputs = tensorArgs.map(([t]) => t);
  const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const ctx = new FunctionContext(args.map((a) => recording && isTensor(a) && a.requiresGrad));
  const result = noGrad(() => forward(ctx, ...args));
  const single = isTensor(result);
  const list = single ? [result as Tensor] : [...(result as readonly Tensor[])];
  list.forEach((t, i) => {
    if (!isTensor(t)) throw new TypeError(`${name}: forward must return tensors, output ${i} is ${typeof t}`);
  });
  if (!recording) return result;
  // an input returned as is gets a fresh view to carry the node (the input keeps its own history)
  const outs = list.map((t) => inputs.includes(t) || t.gradFn !== null ? t.detach() : t);
  const gradsOf = (gradOutputs: Tensor[]): (Tensor | null)[] => {
    const returned = backward(ctx, ...gradOutputs);
    const all = Array.isArray(returned) ? returned : [returned];
    if (all.length < args.length) {
      throw new RangeError(
        `${name}: backward returned ${all.length} gradients but apply() got ${args.length} arguments; ` +
          "return one per argument (null for those without a gradient)",
      );
    }
    return tensorArgs.map(([t, i]) => {
      const g = all[i] ?? null;
      if (g === null || !t.requiresGrad) return null;
      if (!isTensor(g) || g.shape.join() !== t.shape.join()) {
        throw new RangeError(
          `${name}: backward returned a gradient of shape [${isTensor(g) ? g.shape : typeof g}] for argument ${i} ` +
            `of shape [${t.shape}]; gradients must have their input's shape`,
        );
      }
      return g.dtype === t.dtype ? g : g.cast(t.dtype);
    });
  };
  // a node per output; by linearity of backward in the gradients, each passes its own and zeros elsewhere
  outs.forEach((out, k) => {
    record(name, inputs, out, (g) => gradsOf(outs.map((o, j) => j === k ? g : zerosLike(o))));
  });
  return (single ? outs[0] : outs) as unknown as R;
}

/**
 * Makes a differentiable function from a forward and a hand-written backward (PyTorch's
 * `torch.autograd.Function`, as an object): `forward(ctx, ...args)` runs without recording and may
 * save tensors with `ctx.saveForBackward`; `backward(ctx, ...gradOutputs)` returns the arguments'
 * gradients. With several outputs, backward gets one gradient per output (zeros for unused ones).
 *
 * @example
 * ```ts
 * import { defineFunction, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const cube = defineFunction({
 *   forward(ctx, x: import("denograd").Tensor) {
 *     ctx.saveForBackward(x);
 *     return x.pow(3);
 *   },
 *   backward(ctx, g) {
 *     const [x] = ctx.savedTensors;
 *     return g.mul(x.square().mul(3));
 *   },
 * });
 * const x = tensor([2], { requiresGrad: true });
 * cube(x).sum().backward();
 * assert.deepEqual(await x.grad!.toArray(), [12]);
 * ```
 */
export function defineFunction<A extends unknown[], R extends Tensor | readonly Tensor[]>(
  definition: FunctionDefinition<A, R>,
): (...args: A) => R {
  const { forward, backward } = definition;
  if (typeof forward !== "function" || typeof backward !== "function") {
    throw new TypeError("defineFunction: the definition needs forward(ctx, ...args) and backward(ctx, ...grads)");
  }
  const name = definition.name ?? "CustomFunction";
  return (...args: A) =>
    applyFunction(
      name,
      (ctx, ...a) => forward.call(definition, ctx, ...(a as A)),
      (ctx, ...g) => backward.call(definition, ctx, ...g),
      args,
    );
}

/** The static side of an {@link AutogradFunction} subclass. */
export interface FunctionClass {
  /** The class name, for errors. */
  readonly name: string;
  /** Computes the outputs from the arguments; runs with gradient recording off. */
  forward(ctx: FunctionContext, ...args: never[]): Tensor | readonly Tensor[];
  /** The gradient for each argument (null for none) from the gradients of the outputs. */
  backward(ctx: FunctionContext, ...gradOutputs: Tensor[]): BackwardResult;
}

type ArgsOf<T extends FunctionClass> = T["forward"] extends (ctx: FunctionContext, ...args: infer A) => unknown ? A
  : never;

/**
 * The class form of a custom function (PyTorch's `class F(torch.autograd.Function)` with static
 * `forward`/`backward`): subclass it, define both as static methods, call `F.apply(...args)`.
 *
 * @example
 * ```ts
 * import { AutogradFunction, type FunctionContext, tensor, type Tensor } from "denograd";
 * import assert from "node:assert/strict";
 * class Exp extends AutogradFunction {
 *   static override forward(ctx: FunctionContext, x: Tensor): Tensor {
 *     const y = x.exp();
 *     ctx.saveForBackward(y);
 *     return y;
 *   }
 *   static override backward(ctx: FunctionContext, g: Tensor): Tensor {
 *     return g.mul(ctx.savedTensors[0]);
 *   }
 * }
 * const x = tensor([0], { requiresGrad: true });
 * Exp.apply(x).sum().backward();
 * assert.deepEqual(await x.grad!.toArray(), [1]);
 * ```
 */
export class AutogradFunction {
  /** Computes the outputs; override as a static method. */
  static forward(_ctx: FunctionContext, ..._args: never[]): Tensor | readonly Tensor[] {
    throw new Error(`${this.name}: static forward(ctx, ...args) is not implemented`);
  }

  /** Computes the arguments' gradients; override as a static method. */
  static backward(_ctx: FunctionContext, ..._gradOutputs: Tensor[]): BackwardResult {
    throw new Error(`${this.name}: static backward(ctx, ...gradOutputs) is not implemented`);
  }

  /** Runs the function on `args`, recording it for autograd (PyTorch's `Function.apply`). */
  static apply<T extends FunctionClass>(this: T, ...args: ArgsOf<T>): ReturnType<T["forward"]> {
    const forward = this.forward.bind(this) as unknown as (ctx: FunctionContext, ...a: unknown[]) => Tensor;
    return applyFunction(this.name, forward, this.backward.bind(this), args) as ReturnType<T["forward"]>;
  }
}
