/**
 * In-place ops with autograd (PyTorch's `add_`, `mul_`, `copy_`, `index_put_`, …). The write itself
 * is {@link writeInPlace} (views see it, pending readers keep the old values, the version counter
 * is bumped); this module decides what autograd sees. A tensor written in place keeps its
 * identity but takes a new history: its old history moves to a hidden alias, and its node is the
 * op applied to that alias. The op's gradient is the ordinary out-of-place op's, recorded on
 * stand-ins of the operands that the write cannot reach (a copy of the old values where the
 * gradient reads them), and run by a nested `grad()` at backward time.
 *
 * PyTorch's errors apply: a leaf that requires grad (or a view of one) cannot be written while
 * recording (wrap the update in `noGrad`), and a node whose inputs were overwritten since it was
 * recorded refuses its gradient at backward time. One limit: a write into a *view* of a tensor
 * with history is refused while recording (PyTorch rebases the base's history, `CopySlices`);
 * write into the base with `setAt` instead.
 * @module
 */
import { Tensor } from "./tensor.ts";
import { writeInPlace } from "./inplace.ts";
import { type GradFn, isGradEnabled, record, withGradMode } from "./tape.ts";
import { keep, tidy } from "./scope.ts";
import { isFloat } from "./dtype.ts";
import { expand } from "./ops_movement.ts";
import { add, broadcastShapes, clamp, constant, div, elementwise, mul, sub, where } from "./ops_elementwise.ts";
import { rand, randn } from "./ops_creation.ts";
import type { TensorLike } from "./tensor_core.ts";
import type { ElementwiseOp } from "../ops/table.ts";
import { grad } from "../autograd/backward.ts";

/** How an in-place op's new value depends on the tensor's old one. */
export type SelfUse =
  /** The gradient reads the old values (mul_, exp_, clamp_): the stand-in is a copy of them. */
  | "reads"
  /** The new value depends on the old one, but no gradient reads the old value or the operands' (add_, setAt). */
  | "passes"
  /** The new value ignores the old one and nothing flows back (fill_, zero_, normal_). */
  | "ignores";

/** Aliases that carry a written tensor's old history: walks looking for a view's base go through them. */
const historyAliases = new WeakSet<Tensor>();

/**
 * The tensor with history whose storage `t` is a view of, if any: the nearest recorded input on
 * `t`'s path that shares its storage (history aliases excluded).
 */
function trackedBase(op: string, t: Tensor): Tensor | null {
  if (t.isPending || t.isDisposed) return null;
  const storage = t.storage(op);
  const stack: Tensor[] = [t];
  const seen = new Set<Tensor>();
  let found: Tensor | null = null;
  while (stack.length) {
    const cur = stack.pop()!;
    for (const input of cur.gradFn?.inputs ?? []) {
      if (seen.has(input) || !input.requiresGrad || input.isPending || input.isDisposed) continue;
      seen.add(input);
      if (input.storage(op) !== storage) continue;
      // the topmost one (a leaf, if any) decides the message: keep walking up from here
      if (!historyAliases.has(input) && !found?.isLeaf) found = input;
      stack.push(input);
    }
  }
  return found;
}

/**
 * Throws PyTorch's errors for writes autograd cannot follow: into a leaf that requires grad (or a
 * view of one) while recording, or into a view of a tensor with history.
 */
export function checkWritable(op: string, target: Tensor): void {
  if (!isGradEnabled()) return;
  if (target.requiresGrad && target.isLeaf) {
    throw new Error(
      `${op}: a leaf Variable that requires grad is being used in an in-place operation ` +
        `(tensor of shape [${target.shape}]); update it inside noGrad(() => …) as torch.no_grad(), ` +
        "or write into a clone()",
    );
  }
  const base = trackedBase(op, target);
  if (base === null) return;
  if (base.isLeaf) {
    throw new Error(
      `${op}: a view of a leaf Variable that requires grad is being used in an in-place operation ` +
        `(a [${target.shape}] view of a [${base.shape}] leaf); update it inside noGrad(() => …), or write into a clone()`,
    );
  }
  throw new Error(
    `${op}: writing in place into a [${target.shape}] view of a [${base.shape}] tensor that requires grad ` +
      "is not supported while recording (the base's gradient would miss the write); " +
      "write into the base with setAt(indices, value), or clone() the view first",
  );
}

/** PyTorch's rule for in-place results: a float result cannot land in an int or bool tensor, nor an int one in bool. */
export function checkResultDType(op: string, result: Tensor, target: Tensor): void {
  const lossy = (isFloat(result.dtype) && !isFloat(target.dtype)) ||
    (target.dtype === "bool" && result.dtype !== "bool");
  if (lossy) {
    throw new TypeError(
      `${op}: result type ${result.dtype} can't be cast to the desired output type ${target.dtype}; ` +
        `use the out-of-place op (which promotes) or cast the tensor first`,
    );
  }
}

/** A tensor sharing `t`'s storage that gradients reach as if it were `t` (requiresGrad copied). */
function standIn(t: Tensor): Tensor {
  const s = t.detach();
  s.requiresGrad = t.requiresGrad;
  return s;
}

/** A tensor of `t`'s shape and dtype holding zeros (a broadcast constant: no storage of its own), requiresGrad copied. */
function zeroStandIn(t: Tensor): Tensor {
  const z = expand(constant(0, t.dtype, t.device), t.shape).detach();
  z.requiresGrad = t.requiresGrad;
  return z;
}

/** Options of {@link applyInPlace}. */
export interface InPlaceOptions {
  /** How the new value uses the old one. @default {"reads"} */
  self?: SelfUse;
  /** Skip {@link checkResultDType} (copy_, fill_ and indexed assignment cast like PyTorch's). */
  anyDType?: boolean;
}

/**
 * Writes `compute(target, others)` (the new value, of `target`'s shape) into `target` in place and
 * returns `target`. While recording, when `target` or an operand requires grad, `target`'s
 * history becomes this op over its old history and `others`; `op` names the node and the errors.
 */
export function applyInPlace(
  op: string,
  target: Tensor,
  others: readonly Tensor[],
  compute: (self: Tensor, others: readonly Tensor[]) => Tensor,
  options: InPlaceOptions = {},
): Tensor {
  checkWritable(op, target);
  const use = options.self ?? "reads";
  const check = (v: Tensor) => {
    if (!options.anyDType) checkResultDType(op, v, target);
    if (v.shape.join() !== target.shape.join()) {
      throw new RangeError(
        `${op}: the result has shape [${v.shape}] but the tensor written has shape [${target.shape}]`,
      );
    }
  };
  const tracking = isGradEnabled() && (target.requiresGrad || others.some((o) => o.requiresGrad));
  if (!tracking || use === "ignores") {
    tidy(() =>
      withGradMode(false, () => {
        const v = compute(target, others);
        check(v);
        writeInPlace(op, target, v);
      })
    );
    if (tracking) rebase(op, target, [], [], null);
    return target;
  }
  // the gradient graph of the new value, over stand-ins the write cannot change: copies where the
  // gradient reads values, else zeros (their values never reach the gradient, only their shapes)
  const reads = use === "reads";
  const self = reads ? withGradMode(false, () => target.clone()) : zeroStandIn(target);
  self.requiresGrad = target.requiresGrad && isFloat(target.dtype);
  const leaves = [self, ...others.map(reads ? standIn : zeroStandIn)];
  let value = compute(self, leaves.slice(1));
  check(value);
  if (value.dtype !== target.dtype) value = value.cast(target.dtype);
  if (reads) writeInPlace(op, target, value);
  else tidy(() => withGradMode(false, () => writeInPlace(op, target, compute(target, others))));
  const graph = { leaves, value, compute };
  rebase(op, target, others, reads ? others : [], value.requiresGrad ? graph : null);
  return target;
}

/** The new value's gradient graph: `value = compute(leaves[0], leaves.slice(1))` over stand-ins. */
interface StandInGraph {
  readonly leaves: readonly Tensor[];
  readonly value: Tensor;
  readonly compute: (self: Tensor, others: readonly Tensor[]) => Tensor;
}

/**
 * Gives `target` its new node: inputs its old history (moved to an alias) and `others`; the
 * gradient is `graph.value`'s with respect to its stand-ins of the old value and `others`;
 * `saved` are the operands whose later writes make that gradient stale.
 */
function rebase(
  op: string,
  target: Tensor,
  others: readonly Tensor[],
  saved: readonly Tensor[],
  graph: StandInGraph | null,
): void {
  const old = target.detach();
  old.requiresGrad = target.requiresGrad;
  old.gradFn = target.gradFn;
  historyAliases.add(keep(old));
  let versions = 0;
  for (const t of saved) versions += t.version;
  const fn: GradFn = {
    name: op,
    inputs: [old, ...others],
    saved,
    versions,
    released: false,
    backward: (g) => {
      const out = graph === null
        ? []
        : isGradEnabled()
        ? linkedGrads(graph, [old, ...others], g)
        : standInGrads(graph, g);
      // the overwritten values take a zero gradient, as PyTorch's (fill_, copy_, zero_)
      if (out.length === 0) out.push(null);
      if (out[0] === null && old.requiresGrad) out[0] = mul(g, 0);
      return out;
    },
  };
  target.gradFn = fn;
  target.requiresGrad = true;
}

/** The gradients of the stand-ins, from the graph recorded at the write (nothing upstream is visited). */
function standInGrads(graph: StandInGraph, g: Tensor): (Tensor | null)[] {
  const wanted = graph.leaves.filter((l) => l.requiresGrad);
  if (wanted.length === 0) return graph.leaves.map(() => null);
  const grads = grad([graph.value], wanted, { gradOutputs: [g], retainGraph: true, allowUnused: true });
  return graph.leaves.map((l) => (l.requiresGrad ? grads[wanted.indexOf(l)] ?? null : null));
}

/**
 * The same gradients as a differentiable graph (createGraph): the op is recorded again over
 * stand-ins linked to the real inputs by an identity node, so the gradients' own gradients
 * reach those inputs (the stand-ins keep the old values the real tensor no longer holds).
 */
function linkedGrads(graph: StandInGraph, inputs: readonly Tensor[], g: Tensor): (Tensor | null)[] {
  const live = graph.leaves.map((l, i) => record("alias", [inputs[i]], l.detach(), (gg) => [gg]));
  const wanted = live.filter((l) => l.requiresGrad);
  if (wanted.length === 0) return live.map(() => null);
  let value = graph.compute(live[0], live.slice(1));
  if (value.dtype !== graph.value.dtype) value = value.cast(graph.value.dtype);
  const grads = grad([value], wanted, { gradOutputs: [g], retainGraph: true, createGraph: true, allowUnused: true });
  return live.map((l) => (l.requiresGrad ? grads[wanted.indexOf(l)] ?? null : null));
}

// ---- the ops ---------------------------------------------------------------------------------

/** A number operand stays a number (a literal of the op); a tensor one becomes an operand of the node. */
function split(x: TensorLike): { others: Tensor[]; pick: (others: readonly Tensor[]) => TensorLike } {
  if (x instanceof Tensor) return { others: [x], pick: (o) => o[0] };
  return { others: [], pick: () => x };
}

/** `x += alpha · other` in place (torch's `add_`); returns `x`. */
export function add_(x: Tensor, other: TensorLike, alpha = 1): Tensor {
  const { others, pick } = split(other);
  return applyInPlace("add_", x, others, (s, o) => add(s, alpha === 1 ? pick(o) : mul(pick(o), alpha)), {
    self: "passes",
  });
}

/** `x -= alpha · other` in place (torch's `sub_`); returns `x`. */
export function sub_(x: Tensor, other: TensorLike, alpha = 1): Tensor {
  const { others, pick } = split(other);
  return applyInPlace("sub_", x, others, (s, o) => sub(s, alpha === 1 ? pick(o) : mul(pick(o), alpha)), {
    self: "passes",
  });
}

/** `x *= other` in place (torch's `mul_`); returns `x`. */
export function mul_(x: Tensor, other: TensorLike): Tensor {
  const { others, pick } = split(other);
  return applyInPlace("mul_", x, others, (s, o) => mul(s, pick(o)));
}

/** `x /= other` in place (true division, torch's `div_`: an int tensor cannot hold the float result); returns `x`. */
export function div_(x: Tensor, other: TensorLike): Tensor {
  const { others, pick } = split(other);
  return applyInPlace("div_", x, others, (s, o) => div(s, pick(o)));
}

/** Limits `x` to [min, max] in place (torch's `clamp_`); returns `x`. */
export function clamp_(x: Tensor, min?: number | null, max?: number | null): Tensor {
  return applyInPlace("clamp_", x, [], (s) => clamp(s, min, max));
}

/** Applies the table's elementwise `op` in place (`neg_`, `exp_`, `relu_`, …); returns `x`. */
export function unary_(name: string, op: ElementwiseOp, x: Tensor): Tensor {
  return applyInPlace(name, x, [], (s) => elementwise(op, [s]), { self: op === "neg" ? "passes" : "reads" });
}

/** Sets every element to `value` (a number, or a 0-d tensor whose gradient is the sum) (torch's `fill_`); returns `x`. */
export function fill_(x: Tensor, value: number | boolean | Tensor): Tensor {
  if (value instanceof Tensor) {
    if (value.ndim !== 0) {
      throw new RangeError(`fill_: the value must be a number or a 0-d tensor, got shape [${value.shape}]`);
    }
    return applyInPlace("fill_", x, [value], (_, [v]) => expand(v, x.shape), { self: "passes", anyDType: true });
  }
  const v = Number(value);
  return applyInPlace("fill_", x, [], () => expand(constant(v, x.dtype, x.device), x.shape), {
    self: "ignores",
    anyDType: true,
  });
}

/** Sets every element to 0 (torch's `zero_`); returns `x`. */
export function zero_(x: Tensor): Tensor {
  return applyInPlace("zero_", x, [], () => expand(constant(0, x.dtype, x.device), x.shape), {
    self: "ignores",
    anyDType: true,
  });
}

/** Copies `src` (broadcast to `x`'s shape, cast to its dtype) into `x` (torch's `copy_`); `src` gets the gradient. */
export function copy_(x: Tensor, src: Tensor): Tensor {
  if (!(src instanceof Tensor)) throw new TypeError("copy_: src must be a tensor; use fill_(value) for a number");
  const s = src.device === x.device ? src : src.to(x.device);
  const shape = broadcastShapes("copy_", x.shape, s.shape);
  if (shape.join() !== x.shape.join()) {
    throw new RangeError(
      `copy_: a source of shape [${s.shape}] cannot be broadcast to the tensor's shape [${x.shape}]`,
    );
  }
  return applyInPlace("copy_", x, [s], (_, [v]) => expand(v.cast(x.dtype), x.shape), {
    self: "passes",
    anyDType: true,
  });
}

/** Sets the elements where `mask` (bool, broadcast to `x`) is true to `value` (torch's `masked_fill_`); returns `x`. */
export function maskedFill_(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== "bool") {
    throw new TypeError(
      `maskedFill_: mask must be a bool tensor${mask instanceof Tensor ? `, got ${mask.dtype}` : ""}`,
    );
  }
  const { others, pick } = split(value);
  return applyInPlace("maskedFill_", x, others, (s, o) => {
    const v = pick(o);
    return where(mask, v instanceof Tensor ? v.cast(x.dtype) : v, s).cast(x.dtype);
  }, { self: "passes", anyDType: true });
}

function checkFloat(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: needs a float tensor, got ${x.dtype} of shape [${x.shape}]`);
}

/** Fills `x` with samples of N(mean, std²) (torch's `normal_`); returns `x`. */
export function normal_(x: Tensor, mean = 0, std = 1): Tensor {
  checkFloat("normal_", x);
  if (!(std >= 0)) throw new RangeError(`normal_: std must be >= 0, got ${std}`);
  return applyInPlace("normal_", x, [], () => {
    const r = randn(x.shape, { dtype: x.dtype, device: x.device });
    return std === 1 && mean === 0 ? r : add(mul(r, std), mean);
  }, { self: "ignores" });
}

/** Fills `x` with samples uniform in [from, to) (torch's `uniform_`); returns `x`. */
export function uniform_(x: Tensor, from = 0, to = 1): Tensor {
  checkFloat("uniform_", x);
  if (!(from <= to)) throw new RangeError(`uniform_: expects from <= to, got from=${from}, to=${to}`);
  return applyInPlace(
    "uniform_",
    x,
    [],
    () => add(mul(rand(x.shape, { dtype: x.dtype, device: x.device }), to - from), from),
    {
      self: "ignores",
    },
  );
}
