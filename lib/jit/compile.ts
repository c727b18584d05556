/**
 * Captured steps: `compile(fn)` traces a function (a training step: forward, backward, optimizer
 * update) and then replays its recorded kernels without running its JavaScript — no tape, no op
 * dispatch, no lazy chains, no allocation — like tinygrad's TinyJit and CUDA graphs. The name is
 * PyTorch's (`torch.compile`), the semantics are `jax.jit`'s: the function must be pure in its
 * tensor arguments and the tensors it closes over (parameters, optimizer state), and it must not
 * read values back.
 * @module
 */
import type { Backend, StepRecording } from "../backend/backend.ts";
import { StorageRef } from "../tensor/lazy.ts";
import { beginTrace, endTrace } from "../backend/capture.ts";
import { firstDifference } from "../backend/webgpu/capture.ts";
import { Tensor } from "../tensor/tensor.ts";
import { backendFor, getDefaultDevice } from "../tensor/device.ts";
import { keep } from "../tensor/scope.ts";
import { withGradMode } from "../tensor/tape.ts";

/** Counters of a compiled function (for reports and tests). */
export interface CompileStats {
  /** Calls that ran `fn` (traced; the first few calls, and each new argument signature). */
  traces: number;
  /** Calls that replayed a recording. */
  replays: number;
  /** Kernel dispatches one replay records (0 before the first capture). */
  dispatches: number;
  /** Argument signatures with a recording. */
  captured: number;
  /** JavaScript milliseconds spent walking recordings (hooks, dispatches, rebinding), over all replays. */
  replayMs: number;
}

/** A compiled function: call it as `fn`; see {@link compile}. */
export interface CompiledFunction<A extends unknown[], R> {
  (...args: A): R;
  /** Traces, replays and the size of the recording. */
  readonly stats: Readonly<CompileStats>;
  /** Frees the recordings' device memory; the next call traces again. */
  dispose(): void;
}

/** How many consecutive traces may differ before compile gives up (the first call often differs: state is created). */
const MAX_TRACES = 4;

/** What one argument signature has: the last trace's signature, or the recording and what replays need. */
interface Entry {
  traces: number;
  lastSignature: readonly string[] | null;
  recording: StepRecording | null;
  hooks: (() => void)[];
  /** Replaced tensors and the storages replays alternate between. */
  swaps: Swap[];
  /** The recording's output tensors (its memory); each replay returns fresh copies of them. */
  outputs: Tensor[];
  /** The last trace's return value, with its tensors at the positions of `outputs`. */
  template: unknown;
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** The tensors of a return value (a tensor, or arrays and plain objects of them), in a fixed order. */
function tensorsOf(value: unknown, out: Tensor[] = []): Tensor[] {
  if (isTensor(value)) out.push(value);
  else if (Array.isArray(value)) { for (const v of value) tensorsOf(v, out); }
  else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) tensorsOf(v, out);
  }
  return out;
}

/** `template` with its tensors replaced, in {@link tensorsOf} order, by `values`. */
function rebuild(template: unknown, values: readonly Tensor[], at = { i: 0 }): unknown {
  if (isTensor(template)) return values[at.i++];
  if (Array.isArray(template)) return template.map((v) => rebuild(v, values, at));
  if (template !== null && typeof template === "object" && Object.getPrototypeOf(template) === Object.prototype) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, rebuild(v, values, at)]));
  }
  return template;
}

/** The cache key of a call: tensor arguments by dtype, shape and device, others by value. */
function keyOf(args: readonly unknown[]): string {
  return args.map((a) => {
    if (isTensor(a)) return `T:${a.device}:${a.dtype}[${a.shape}]${a.requiresGrad ? "g" : ""}`;
    if (a === undefined || typeof a === "function") return String(a);
    return JSON.stringify(a);
  }).join("|");
}

/** A dense copy of a tensor argument (bindable as a whole buffer), realized now, outside the trace. */
function denseArg(t: Tensor): Tensor {
  const d = t.isDense && !t.isPending ? t : withGradMode(t.requiresGrad, () => t.contiguous()).realize();
  return d.isDense ? d : d.clone().realize();
}

function releaseSwaps(swaps: readonly Swap[]): void {
  for (const w of swaps) {
    w.before.release();
    w.after.release();
  }
}

/** Fresh copies of a recording's outputs, queued now (the next replay overwrites the originals). */
function copies(outputs: readonly Tensor[]): Tensor[] {
  return withGradMode(false, () => outputs.map((t) => t.clone().realize()));
}

/** A tensor the step replaced (parameters, optimizer state) and the two storages replays alternate between. */
interface Swap {
  tensor: Tensor;
  /** The storage it held before the trace (the recording reads it first). */
  before: StorageRef;
  /** The storage it holds after the trace (the recording writes it). */
  after: StorageRef;
}

/**
 * The tensors the trace replaced (an optimizer's `assignStorage`) whose first storage existed
 * before it. Replays alternate: one reads `before` and writes `after`, the next the other way
 * round, so no parameter is copied back; the swaps hold a reference on both storages.
 */
function swapsOf(backend: Backend, assignments: Map<object, unknown>): Swap[] {
  const swaps: Swap[] = [];
  for (const [target, noted] of assignments) {
    const t = target as Tensor;
    const { ref, layout } = noted as { ref: StorageRef; layout: Tensor["layout"] };
    const old = backend.reviveStorage!(ref.storage);
    if (old === null) continue; // allocated inside the step: a replay starts from nothing there
    const dense = layout.offset === 0 && layout.strides.every((s, i) => s === t.strides[i] || t.shape[i] === 1);
    if (!dense || old.size !== t.size) {
      throw new Error(`compile: fn replaced the storage of a [${t.shape}] view; assign to the whole tensor instead`);
    }
    let before = ref;
    if (old === ref.storage) ref.refs++;
    else before = new StorageRef(old, backend);
    swaps.push({ tensor: t, before, after: t.holdStorage("compile") });
  }
  return swaps;
}

/**
 * Compiles `fn` into a captured step. The first calls run `fn` and record every kernel it queues
 * (with its bindings and uniforms); once two consecutive calls record the same work, later calls
 * with the same argument shapes and dtypes replay the recording: the queued kernels are the
 * same, with the new arguments bound, parameters and optimizer state updated in place, and the
 * scalars that change between calls (the step count of Adam, a scheduled learning rate, the
 * counter of the random numbers dropout draws) re-read. A new argument shape traces again.
 *
 * Rules, as for `jax.jit` and tinygrad's TinyJit:
 * - `fn` must not read values (`data()`, `item()`, `toArray()`, `synchronize()`): that is refused
 *   with an error, since a replay cannot branch on them. Return what you want to read.
 * - Tensor arguments are the only inputs that change; other arguments are part of the cache key.
 *   Tensors created inside `fn` from host data are replayed with the data of the recording.
 * - The returned tensors are fresh copies on every call; other returned values are the recording's.
 * - Two traces that differ (control flow that depends on something other than the arguments'
 *   shapes) refuse capture with an error that shows the first difference.
 *
 * On a backend that cannot capture (the cpu backend), the compiled function just calls `fn`.
 *
 * @example
 * ```ts
 * import { compile, nn, optim, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const model = new nn.Linear(4, 1);
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
 * const step = compile((x, y) => {
 *   opt.zeroGrad();
 *   const loss = nn.functional.mseLoss(model.forward(x), y);
 *   loss.backward();
 *   opt.step();
 *   return loss;
 * });
 * const x = randn([8, 4]), y = randn([8, 1]);
 * let first = 0, last = 0;
 * for (let i = 0; i < 20; i++) {
 *   const loss = step(x, y);
 *   if (i === 0) first = await loss.item();
 *   if (i === 19) last = await loss.item();
 *   loss.dispose();
 * }
 * assert.ok(last < first);
 * ```
 */
export function compile<A extends unknown[], R>(fn: (...args: A) => R): CompiledFunction<A, R> {
  const entries = new Map<string, Entry>();
  const stats: CompileStats = { traces: 0, replays: 0, dispatches: 0, captured: 0, replayMs: 0 };

  const trace = (entry: Entry, backend: Backend, args: A, argTensors: Tensor[]): R => {
    stats.traces++;
    entry.traces++;
    backend.beginCapture!(argTensors.map((t) => t.storage("compile")));
    beginTrace();
    let result: R;
    let hooks: (() => void)[];
    let swaps: Swap[] = [];
    let recording: StepRecording;
    try {
      result = fn(...args);
      if (typeof (result as { then?: unknown })?.then === "function") {
        (result as Promise<unknown>).catch(() => {}); // its rejection (a refused read) is reported here instead
        throw new Error(
          "compile: fn must be synchronous (it returned a Promise): a captured step cannot await reads; " +
            "return the tensors and read them after the call",
        );
      }
      for (const t of tensorsOf(result)) t.realize();
      const ended = endTrace();
      hooks = ended.hooks;
      swaps = swapsOf(backend, ended.assignments);
      recording = backend.endCapture!(swaps.map((w) => [w.before.storage, w.after.storage]));
    } catch (e) {
      endTrace();
      backend.abortCapture!();
      releaseSwaps(swaps);
      throw e;
    }
    const same = entry.lastSignature !== null && firstDifference(entry.lastSignature, recording.signature) === null;
    if (!same) {
      const difference = entry.lastSignature && firstDifference(entry.lastSignature, recording.signature);
      entry.lastSignature = recording.signature;
      recording.dispose();
      releaseSwaps(swaps);
      if (entry.traces >= MAX_TRACES) {
        throw new Error(
          `compile: ${entry.traces} consecutive calls queued different work, so the step cannot be replayed. ` +
            `First difference between the last two: ${difference}. Control flow inside fn must depend only on ` +
            "the shapes and dtypes of its tensor arguments and on its other arguments",
        );
      }
      return result;
    }
    entry.recording = recording;
    entry.hooks = hooks;
    entry.swaps = swaps;
    entry.outputs = tensorsOf(result).map((t) => keep(t));
    entry.template = result;
    stats.captured++;
    stats.dispatches = recording.dispatches;
    return rebuild(result, copies(entry.outputs)) as R;
  };

  const replay = (entry: Entry, argTensors: Tensor[]): R => {
    stats.replays++;
    const t0 = performance.now();
    for (const hook of entry.hooks) hook();
    const phase = entry.recording!.replay(argTensors.map((t) => t.storage("compile")));
    for (const w of entry.swaps) w.tensor.restoreStorage(phase === 1 ? w.before : w.after);
    stats.replayMs += performance.now() - t0;
    return rebuild(entry.template, copies(entry.outputs)) as R;
  };

  const compiled = (...args: A): R => {
    const first = args.find(isTensor);
    const backend = backendFor(first?.device ?? getDefaultDevice());
    if (!backend.beginCapture) return fn(...args);
    const key = keyOf(args);
    let entry = entries.get(key);
    if (!entry) {
      entry = {
        traces: 0,
        lastSignature: null,
        recording: null,
        hooks: [],
        swaps: [],
        outputs: [],
        template: undefined,
      };
      entries.set(key, entry);
    }
    const dense = args.map((a) => (isTensor(a) ? denseArg(a) : a)) as A;
    const argTensors = dense.filter(isTensor);
    try {
      if (entry.recording !== null && !entry.recording.isValid()) drop(entry);
      return entry.recording !== null ? replay(entry, argTensors) : trace(entry, backend, dense, argTensors);
    } finally {
      dense.forEach((d, i) => {
        if (d !== args[i] && isTensor(d)) d.dispose();
      });
    }
  };

  const drop = (entry: Entry): void => {
    entry.recording?.dispose();
    entry.recording = null;
    entry.lastSignature = null;
    entry.traces = 0;
    for (const t of entry.outputs) t.dispose();
    entry.outputs = [];
    releaseSwaps(entry.swaps);
    entry.swaps = [];
  };

  return Object.assign(compiled, {
    stats,
    dispose(): void {
      for (const entry of entries.values()) drop(entry);
      entries.clear();
      stats.captured = 0;
    },
  });
}
