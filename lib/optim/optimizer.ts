/**
 * The `Optimizer` base: parameter groups, per-parameter state, `step`, `zeroGrad` and state
 * dicts with PyTorch's semantics. Subclasses implement one fused update per parameter.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { keep } from "../tensor/scope.ts";
import { fullLike } from "../tensor/ops_creation.ts";
import { noGrad, withGradMode } from "../tensor/tape.ts";
import { fusedElementwise, type FusedExpr } from "../tensor/fused.ts";
import { isTracing, onReplay, withDynamicParams } from "../backend/capture.ts";
import { checkNumber } from "./_check.ts";

/** Options every optimizer has: the learning rate. */
export interface BaseOptions {
  /** Learning rate. */
  lr?: number;
}

/**
 * One parameter group: its parameters and every option (defaults filled in). Options are
 * mutable: schedulers change `lr` (and `momentum` / `betas`), and may add keys such as
 * `initialLr`.
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = Required<O> & {
  params: Tensor[];
  [extra: string]: unknown;
};

/** A parameter group as passed in: its options override the optimizer's defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & { params: Tensor[] };

/** What optimizers accept: a list of parameters, or a list of parameter groups. */
export type Params<O extends BaseOptions = BaseOptions> = readonly Tensor[] | readonly ParamGroupInput<O>[];

/** State of one parameter: tensors (moments, buffers) and numbers (`step`). */
export type ParamState = Record<string, Tensor | number>;

/**
 * A serialisable optimizer state, shaped like torch's `optimizer.state_dict()`:
 * `state` maps a parameter's index (its position across all groups, in order) to its state,
 * and each group lists its options and `params` as those indices. Key mapping from torch:
 * `param_groups` → `paramGroups`, options and state keys in camelCase (`weight_decay` →
 * `weightDecay`, `exp_avg` → `expAvg`, `exp_avg_sq` → `expAvgSq`, `max_exp_avg_sq` →
 * `maxExpAvgSq`, `momentum_buffer` → `momentumBuffer`, `square_avg` → `squareAvg`, `grad_avg` →
 * `gradAvg`, `acc_delta` → `accDelta`, `exp_inf` → `expInf`, `mu_product` → `muProduct`,
 * `initial_lr` → `initialLr`); `step` is a number rather than a one-element tensor.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** Fixed facts about an optimizer class, passed by subclasses to the base constructor. */
export interface OptimizerSpec<O extends BaseOptions> {
  /** Class name, used in error messages. */
  name: string;
  /** Every option with its default value. */
  defaults: Required<O>;
  /** Throws a RangeError/TypeError naming the optimizer for a bad option value. */
  validate(group: Required<O>): void;
}

function isTensor(x: unknown): x is Tensor {
  return (x as { __isTensor?: boolean } | null)?.__isTensor === true;
}

/**
 * Base class of optimizers (like `torch.optim.Optimizer`). `step()` updates every parameter
 * whose `grad` is set, with one fused kernel per parameter; `zeroGrad()` clears the
 * gradients. Options are validated when a group is added.
 *
 * @example
 * ```ts
 * import { optim, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new optim.SGD([w], { lr: 0.5 });
 * w.square().sum().backward(); // grad = 2w
 * opt.step();
 * opt.zeroGrad();
 * assert.deepEqual(Array.from(await w.data()), [0, 0]);
 * assert.equal(w.grad, null);
 * ```
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** Default options, used for options a group does not set. */
  readonly defaults: Required<O>;
  /** The parameter groups, each with all its options. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (created lazily by the first `step` that sees a gradient). */
  readonly state: Map<Tensor, ParamState> = new Map();
  readonly #spec: OptimizerSpec<O>;

  /** Validates the options and, for schedulers, takes the first step (see the class docs). */
  constructor(params: Params<O>, spec: OptimizerSpec<O>) {
    this.#spec = spec;
    this.defaults = spec.defaults;
    if (!Array.isArray(params) && !isTensor(params)) {
      throw new TypeError(`${spec.name}: params must be an array of tensors or of parameter groups`);
    }
    const list = isTensor(params) ? [params] : [...params];
    if (list.length === 0) throw new RangeError(`${spec.name}: got an empty parameter list`);
    const groups = (isTensor(list[0]) ? [{ params: list }] : list) as ParamGroupInput<O>[];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group of parameters with its own options (others from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.#spec.name;
    if (group === null || typeof group !== "object" || !("params" in group)) {
      throw new TypeError(`${name}: a parameter group must be an object with a params array`);
    }
    const params = isTensor(group.params) ? [group.params] : [...group.params];
    for (const p of params) {
      if (!isTensor(p)) throw new TypeError(`${name}: params must be tensors, got ${typeof p}`);
      if (!p.isLeaf) throw new TypeError(`${name}: can't optimize a non-leaf tensor of shape [${p.shape}]`);
      if (p.dtype !== "float32" && p.dtype !== "float64") {
        throw new TypeError(`${name}: parameters must be float32 or float64, got ${p.dtype} [${p.shape}]`);
      }
    }
    if (new Set(params).size !== params.length) {
      throw new RangeError(`${name}: a parameter appears twice in one parameter group`);
    }
    if (this.paramGroups.some((g) => g.params.some((p) => params.includes(p)))) {
      throw new RangeError(`${name}: some parameters appear in more than one parameter group`);
    }
    const options = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group)) {
      if (k !== "params" && v !== undefined) options[k] = Array.isArray(v) ? [...v] : v;
    }
    checkNumber(name, "lr", options.lr, { min: 0 });
    this.#spec.validate(options as Required<O>);
    this.paramGroups.push({ ...options, params } as ParamGroup<O>);
  }

  /** Disposes every parameter's `grad` and sets it to null (torch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  }

  /**
   * Updates the parameters from their gradients (parameters whose `grad` is null are skipped).
   * `closure`, if given, re-evaluates the model and returns the loss (computed with grad
   * enabled before the update); its result is returned.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? withGradMode(true, closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          if (p.grad.dtype !== p.dtype || p.grad.device !== p.device || p.grad.shape.join() !== p.shape.join()) {
            throw new TypeError(
              `${this.#spec.name}: the gradient of a ${p.dtype} [${p.shape}] parameter on ${p.device} is ` +
                `${p.grad.dtype} [${p.grad.shape}] on ${p.grad.device}; expected the parameter's dtype, shape and device`,
            );
          }
          let state = this.state.get(p);
          if (state === undefined) this.state.set(p, state = {});
          this.updateParam(p, p.grad, state, group);
        }
      }
    });
    return loss;
  }

  /** Subclasses: apply one update to `p` (grad `grad`), reading and replacing `state`. */
  protected abstract updateParam(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** Returns `state[key]`, creating it as a kept tensor like `p` filled with `value` on first use. */
  protected stateTensor(state: ParamState, key: string, p: Tensor, value = 0): Tensor {
    const t = state[key];
    if (isTensor(t)) return t;
    const created = keep(fullLike(p, value));
    state[key] = created;
    return created;
  }

  /**
   * Runs the fused program whose first output is the new parameter and whose other outputs
   * are the new values of `stateKeys`, and assigns them in place (the tensors keep their
   * identity). `params` computes the program's scalars and advances the host-side state (the
   * step count): it runs once now and, in a compiled step (`compile`), once more before every
   * replay, whose kernels re-read the values it returns.
   */
  protected applyFused(
    p: Tensor,
    program: readonly FusedExpr[],
    inputs: readonly Tensor[],
    params: () => readonly number[],
    state: ParamState,
    stateKeys: readonly string[],
  ): void {
    let values = params();
    if (isTracing()) {
      onReplay(() => (values = params()));
    }
    const dynamic = isTracing() ? values.map((_, index) => ({ index, get: () => values[index] })) : [];
    const [newP, ...newState] = withDynamicParams(dynamic, () => fusedElementwise(program, inputs, values));
    p.assignStorage(newP);
    newP.dispose();
    stateKeys.forEach((key, i) => {
      const old = state[key];
      if (isTensor(old) && old.shape.join() === newState[i].shape.join()) {
        old.assignStorage(newState[i]);
        newState[i].dispose();
      } else {
        state[key] = keep(newState[i]);
        if (isTensor(old)) old.dispose();
      }
    });
  }

  /**
   * A snapshot of the optimizer state (see {@link OptimizerStateDict}). Tensors are copies
   * that the caller owns, so later steps do not change the snapshot.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") out[k] = Array.isArray(v) ? [...v] : v;
      const params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return { ...out, params };
    });
    const state: Record<number, ParamState> = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, isTensor(v) ? keep(v.clone()) : v]));
      }
    });
    return { state, paramGroups };
  }

  /**
   * Restores a state from {@link Optimizer.stateDict} (of an optimizer with the same group
   * sizes): group options are replaced, state tensors are copied and cast to each parameter's
   * dtype and device (webgpu → cpu needs `await t.toDevice("cpu")` first).
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const name = this.#spec.name;
    const saved = stateDict.paramGroups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new RangeError(
        `${name}: loaded state dict has ${saved?.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    }
    saved.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i].params.length) {
        throw new RangeError(
          `${name}: loaded parameter group ${i} has ${g.params.length} parameters, the optimizer's has ` +
            `${this.paramGroups[i].params.length}`,
        );
      }
    });
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, i) => g.params.forEach((id, j) => byIndex.set(id, this.paramGroups[i].params[j])));
    const restored = new Map<Tensor, ParamState>();
    noGrad(() => {
      for (const [id, s] of Object.entries(stateDict.state)) {
        const p = byIndex.get(Number(id));
        if (p === undefined) continue;
        restored.set(
          p,
          Object.fromEntries(Object.entries(s).map(([k, v]) => [k, isTensor(v) ? copyFor(name, v, p) : v])),
        );
      }
    });
    this.#disposeState();
    for (const [p, s] of restored) this.state.set(p, s);
    saved.forEach((g, i) => {
      const group = this.paramGroups[i] as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== "params") group[k] = Array.isArray(v) ? [...v] : v;
    });
  }

  #disposeState(): void {
    for (const s of this.state.values()) {
      for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    }
    this.state.clear();
  }
}

/** A kept copy of a saved state tensor with `p`'s dtype and device. */
function copyFor(name: string, t: Tensor, p: Tensor): Tensor {
  if (t.shape.join() !== p.shape.join() && t.size !== 1) {
    throw new RangeError(`${name}: loaded state tensor of shape [${t.shape}] does not match parameter [${p.shape}]`);
  }
  const moved = t.to(p.device);
  const cast = moved.cast(p.dtype);
  const copy = cast === t ? t.clone() : cast;
  if (moved !== t && moved !== copy) moved.dispose();
  return keep(copy);
}
