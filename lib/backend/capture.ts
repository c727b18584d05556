/**
 * What a captured step (lib/jit/compile.ts) needs from the code it traces, beyond the kernels:
 * the scalars that change between calls and the host-side state the step advances. Kernels read
 * their scalars from uniforms, and a replay runs no JavaScript of the step, so both are declared
 * while tracing:
 * - {@link withDynamicParams}: params of one backend call that are re-read on every replay
 *   (Adam's bias corrections, a scheduled learning rate, a random draw's counter);
 * - {@link onReplay}: host state to advance before every replay (Adam's step count, the random
 *   generator's counter).
 * Outside a trace both cost one comparison and do nothing else.
 * @module
 */

/** A param of a backend call whose value a replay re-reads from `get`. */
export interface DynamicParam {
  /** Index of the param in the backend call (e.g. `Backend.fused`'s `params[index]`). */
  readonly index: number;
  /** The value for the current replay (called once per replay, after the {@link onReplay} hooks). */
  readonly get: () => number;
}

/** The hooks, dynamic params and assignments of the trace in progress. */
interface TraceState {
  hooks: (() => void)[];
  dynamics: readonly DynamicParam[] | null;
  assignments: Map<object, unknown>;
}

let trace: TraceState | null = null;

/** Whether a step is being traced for capture. */
export function isTracing(): boolean {
  return trace !== null;
}

/** Starts collecting hooks (the capturing backend calls this); throws if a trace is already running. */
export function beginTrace(): void {
  if (trace !== null) {
    throw new Error(
      "compile: a compiled step called another compiled step while it was being traced; compile the outer one only",
    );
  }
  trace = { hooks: [], dynamics: null, assignments: new Map() };
}

/**
 * Ends the trace; returns the {@link onReplay} hooks it registered, in order, and the tensors
 * whose storage it replaced with the storage each held first.
 */
export function endTrace(): { hooks: (() => void)[]; assignments: Map<object, unknown> } {
  const out = { hooks: trace?.hooks ?? [], assignments: trace?.assignments ?? new Map() };
  trace = null;
  return out;
}

/**
 * Notes that `target` (a tensor) is about to replace its storage `before` (in-place updates of
 * parameters and optimizer state): the recording reads the first storage and writes the new one,
 * so replays alternate between the two (lib/jit/compile.ts). A no-op outside a trace.
 */
export function noteAssignment(target: object, before: unknown): void {
  if (trace !== null && !trace.assignments.has(target)) trace.assignments.set(target, before);
}

/**
 * Registers `hook` to run at the start of every replay of the step being traced, in registration
 * order: the host-side state changes (counters) that the traced JavaScript made. A no-op outside a trace.
 */
export function onReplay(hook: () => void): void {
  trace?.hooks.push(hook);
}

/**
 * Runs `call` (one backend call) telling a capturing backend that the params listed are re-read
 * from their getters at every replay. Outside a trace it only runs `call`.
 */
export function withDynamicParams<T>(params: readonly DynamicParam[], call: () => T): T {
  if (trace === null) return call();
  const previous = trace.dynamics;
  trace.dynamics = params;
  try {
    return call();
  } finally {
    if (trace !== null) trace.dynamics = previous;
  }
}

/** The dynamic params of the backend call in progress (for the capturing backend), or null. */
export function currentDynamicParams(): readonly DynamicParam[] | null {
  return trace?.dynamics ?? null;
}
