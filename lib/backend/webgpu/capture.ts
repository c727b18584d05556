/**
 * Step capture on WebGPU (the backend half of lib/jit/compile.ts). While a step is traced, every
 * dispatch, buffer copy and upload is also appended to a {@link CaptureLog}, and every buffer the
 * trace allocates or frees is *pinned*: the pool cannot hand it out again, so no two roles of the
 * step share a buffer and a replay may rewrite them all. A replay walks the finished list —
 * pipeline, bind group (the step's arguments rebound), uniform words (dynamic words re-read),
 * grid — with no tape, no op dispatch and no allocation.
 * @module
 */
import type { DynamicParam } from "../capture.ts";
import type { Binding } from "./bind_groups.ts";
import type { Kernel } from "./kernels.ts";
import type { Recorder } from "./recorder.ts";
import type { PooledBuffer } from "./pool.ts";
import type { WebGPUStorage } from "./storage.ts";
import { tuningEpoch } from "./matmul_tuning.ts";
import { Recording, remapCommands, shareTemporaries } from "./recording.ts";

/** How a dynamic uniform word is written from its param's value. */
export type WordEncoding = "f32" | "i32" | "u32";

/** A uniform word a replay re-reads. */
export interface DynamicWord {
  readonly word: number;
  readonly get: DynamicParam["get"];
  readonly enc: WordEncoding;
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/** The 32-bit word of `v` as `enc` (i32: truncated and saturated, NaN 0; as kernels read int params). */
export function encodeWord(enc: WordEncoding, v: number): number {
  if (enc === "f32") {
    F32[0] = v;
    return F32_BITS[0];
  }
  if (enc === "i32") return (Number.isNaN(v) ? 0 : Math.min(2147483647, Math.max(-2147483648, Math.trunc(v)))) >>> 0;
  return v >>> 0;
}

/** One recorded command. */
export type CapturedCommand =
  | {
    readonly kind: "dispatch";
    readonly kernel: Kernel;
    readonly words: Uint32Array;
    readonly bindings: Binding[];
    readonly grid: readonly [number, number, number];
    readonly dynamic: readonly DynamicWord[] | null;
    /** Words holding fault ids, which differ between traces (replays keep the recorded ones). */
    readonly faultWords: readonly number[] | null;
  }
  | {
    readonly kind: "copy";
    src: PooledBuffer;
    readonly srcOffset: number;
    dst: PooledBuffer;
    readonly dstOffset: number;
    readonly bytes: number;
  }
  | {
    readonly kind: "upload";
    readonly buf: PooledBuffer;
    readonly offset: number;
    readonly data: Uint8Array<ArrayBuffer>;
  };

/** A fault id a recorded kernel writes, with what describes it (re-registered on every replay). */
export interface CapturedFault {
  readonly id: number;
  readonly opName: string;
  readonly dim: number;
  readonly size: number;
  readonly describe?: (index: number) => string;
}

/** What one trace recorded. */
export class CaptureLog {
  readonly commands: CapturedCommand[] = [];
  readonly faults: CapturedFault[] = [];
  /** Buffers allocated during the trace, in order (their index names them in signatures). */
  readonly allocated = new Map<PooledBuffer, number>();
  /** Buffers of storages alive before the trace that were bound, with those storages. */
  readonly outside = new Map<PooledBuffer, WebGPUStorage>();
  /** Buffers of storages freed during the trace that were alive before it (pinned until the end). */
  readonly freedOutside = new Set<PooledBuffer>();
  /** The matmul tuning epoch the trace chose its kernels in (matmul_tuning.ts). */
  readonly epoch = tuningEpoch();
  constructor(
    /** The step's argument storages, whose buffers a replay rebinds. */
    readonly args: readonly WebGPUStorage[],
  ) {}

  /** The buffers the commands reference. */
  referenced(): Set<PooledBuffer> {
    const used = new Set<PooledBuffer>();
    for (const c of this.commands) {
      if (c.kind === "dispatch") { for (const b of c.bindings) used.add(b.buf); }
      else if (c.kind === "copy") used.add(c.src).add(c.dst);
      else used.add(c.buf);
    }
    return used;
  }

  /**
   * One line per command for comparing two traces: kernel, grid, the uniform words that are not
   * dynamic, and each buffer by its role (argument k, allocation j of the trace, or from outside).
   */
  signature(): string[] {
    const argIndex = new Map(this.args.map((s, k) => [s.buf!, k]));
    const role = (b: PooledBuffer): string => {
      const a = argIndex.get(b);
      if (a !== undefined) return `a${a}`;
      const t = this.allocated.get(b);
      return t !== undefined ? `t${t}` : `o${b.capacity}`;
    };
    return this.commands.map((c) => {
      if (c.kind === "copy") return `copy ${role(c.src)}+${c.srcOffset} ${role(c.dst)}+${c.dstOffset} ${c.bytes}`;
      if (c.kind === "upload") return `upload ${role(c.buf)}+${c.offset} ${c.data.length} #${hash(c.data)}`;
      const dyn = new Set([...(c.dynamic?.map((d) => d.word) ?? []), ...(c.faultWords ?? [])]);
      const words = Array.from(c.words, (w, i) => (dyn.has(i) ? "*" : w.toString(16))).join(",");
      const binds = c.bindings.map((b) => `${role(b.buf)}:${b.offset ?? 0}:${b.size}`).join(" ");
      return `${c.kernel.name} [${c.grid}] {${words}} ${binds}`;
    });
  }
}

/** FNV-1a over bytes: tells uploads of different data apart in signatures. */
function hash(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return (h >>> 0).toString(16);
}

/** The first line where two signatures differ, for the error that refuses a capture. */
export function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      return `command ${i} of ${a.length} vs ${b.length}: ${a[i] ?? "(none)"}\n  vs ${b[i] ?? "(none)"}`;
    }
  }
  return null;
}

/** What a capture needs from the runtime. */
export interface CaptureHost {
  readonly device: GPUDevice;
  /** The runtime's batches: replays dispatch (with the bind group they looked up), copy and submit through it. */
  readonly recorder: Recorder;
  /** Returns a buffer to the pool. */
  release(buf: PooledBuffer): void;
  /** A live storage over `buf` (counted as live). */
  wrap(buf: PooledBuffer, size: number, dtype: WebGPUStorage["dtype"]): WebGPUStorage;
  /** Re-registers a fault id a replayed kernel may write. */
  restoreFault(fault: CapturedFault): void;
}

/** Drops one recording's hold on `buf`; the last one returns an orphaned buffer to the pool. */
export function unpin(host: CaptureHost, buf: PooledBuffer): void {
  buf.pins = (buf.pins ?? 1) - 1;
  if (buf.pins === 0 && buf.orphan) {
    buf.orphan = false;
    host.release(buf);
  }
}

/** A trace in progress: the runtime calls its hooks from alloc, free, bind, dispatch, copy and upload. */
export class Capture {
  readonly log: CaptureLog;
  /** Storages from before the trace that it freed, with their buffers (kept for {@link revive}). */
  readonly #freed = new Map<WebGPUStorage, PooledBuffer>();
  /** Every buffer this capture pinned (allocated or freed during it). */
  readonly #pinned = new Set<PooledBuffer>();
  /** The read (op name) the traced function attempted, which a replay could not repeat; null if none. */
  readAttempted: string | null = null;
  /** Buffers allocated and freed during the trace: temporaries, which may share memory in the recording. */
  readonly #freedInside = new Set<PooledBuffer>();
  /** Storages allocated during the trace. */
  readonly #allocatedStorages = new WeakSet<WebGPUStorage>();

  constructor(readonly host: CaptureHost, args: readonly WebGPUStorage[]) {
    this.log = new CaptureLog(args);
    this.#argBuffers = new Set(args.map((a) => a.buf!));
  }
  readonly #argBuffers: ReadonlySet<PooledBuffer>;

  #pin(buf: PooledBuffer): void {
    if (this.#pinned.has(buf)) return;
    this.#pinned.add(buf);
    buf.pins = (buf.pins ?? 0) + 1;
  }

  /** A storage was allocated: its buffer stays with the step (no reuse within it). */
  onAlloc(s: WebGPUStorage): void {
    this.log.allocated.set(s.buf!, this.log.allocated.size);
    this.#allocatedStorages.add(s);
    this.#pin(s.buf!);
  }

  /** A storage is being freed: a buffer from outside stays pinned until the trace ends. */
  onFree(s: WebGPUStorage): void {
    const buf = s.buf!;
    if (this.log.allocated.has(buf)) this.#freedInside.add(buf);
    else {
      this.log.freedOutside.add(buf);
      this.#freed.set(s, buf);
      this.#pin(buf);
    }
  }

  /** A storage is bound: one from outside is remembered, to check on replay that it still lives. */
  onBind(s: WebGPUStorage): void {
    // arguments are rebound on every replay: only other storages from outside must stay alive
    if (!this.log.allocated.has(s.buf!) && !this.#argBuffers.has(s.buf!)) this.log.outside.set(s.buf!, s);
  }

  onDispatch(
    kernel: Kernel,
    words: Uint32Array,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
    dynamic: readonly DynamicWord[] | null,
    faultWords: readonly number[] | null,
  ): void {
    this.log.commands.push({
      kind: "dispatch",
      kernel,
      words: words.slice(),
      bindings: [...bindings],
      grid,
      dynamic,
      faultWords,
    });
  }

  onCopy(src: PooledBuffer, srcOffset: number, dst: PooledBuffer, dstOffset: number, bytes: number): void {
    this.log.commands.push({ kind: "copy", src, srcOffset, dst, dstOffset, bytes });
  }

  onUpload(buf: PooledBuffer, offset: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.log.commands.push({ kind: "upload", buf, offset, data: bytes });
  }

  onFault(fault: CapturedFault): void {
    this.log.faults.push(fault);
  }

  /**
   * A live storage over the memory of `freed` (from before the trace, freed during it); `freed`
   * itself when it is still alive (a view or the graph holds it); null when it was allocated
   * during the trace (a replay needs nothing restored there).
   */
  revive(freed: WebGPUStorage): WebGPUStorage | null {
    const buf = this.#freed.get(freed);
    if (buf === undefined) {
      if (this.#allocatedStorages.has(freed)) return null;
      if (freed.buf !== null) return freed;
      throw new Error("compile: internal error: a replaced storage was freed outside the trace");
    }
    this.#freed.delete(freed);
    this.log.freedOutside.delete(buf);
    this.#pinned.delete(buf);
    buf.orphan = false; // live again: its new storage returns it to the pool when freed
    unpin(this.host, buf);
    const revived = this.host.wrap(buf, freed.size, freed.dtype);
    if (this.log.outside.has(buf)) this.log.outside.set(buf, revived);
    return revived;
  }

  /**
   * Ends the trace: the recording holds the buffers its commands use; the rest go back. `swaps`
   * pair the storage each replaced tensor held before the trace with the one it holds now.
   */
  finish(swaps: readonly (readonly [WebGPUStorage, WebGPUStorage])[] = []): Recording {
    const used = this.log.referenced();
    for (const buf of this.log.freedOutside) {
      if (used.has(buf)) {
        this.abort();
        throw new Error(
          "compile: fn read a tensor from outside the step and then replaced it by a new one (for example a " +
            "gradient accumulated without zeroGrad(), or state swapped instead of updated with assignStorage), " +
            "so a replay would read stale memory; call opt.zeroGrad() inside the step, or update state in place",
        );
      }
    }
    const signature = this.log.signature();
    // temporaries whose lifetimes do not overlap share one buffer, as they would have in eager execution
    const remap = shareTemporaries(this.log.commands, this.#freedInside);
    remapCommands(this.log.commands, remap);
    const kept: PooledBuffer[] = [];
    for (const buf of this.#pinned) {
      if (used.has(buf) && !remap.has(buf)) kept.push(buf);
      else unpin(this.host, buf);
    }
    this.#pinned.clear();
    return new Recording(this.host, this.log, kept, swaps, signature);
  }

  /** Drops the trace (fn threw, or the step is traced again): every pinned buffer goes back. */
  abort(): void {
    for (const buf of this.#pinned) unpin(this.host, buf);
    this.#pinned.clear();
  }
}

/**
 * A runtime's one capture slot: the trace in progress, if any. The runtime's `Backend` capture
 * methods delegate here and its hooks (alloc, free, bind, dispatch, copy, upload) call `current`.
 */
export class CaptureSlot {
  /** The trace in progress, or null. */
  current: Capture | null = null;
  constructor(readonly host: CaptureHost) {}

  /** `Backend.beginCapture`, for the live argument storages. */
  begin(args: readonly WebGPUStorage[]): void {
    if (this.current !== null) throw new Error("compile: a step is already being captured on this device");
    this.current = new Capture(this.host, args);
  }

  /** `Backend.endCapture`: the recording, or the error of a read the traced function attempted. */
  end(swaps: readonly (readonly [WebGPUStorage, WebGPUStorage])[]): Recording {
    const c = this.current;
    if (c === null) throw new Error("compile: no step is being captured");
    this.current = null;
    if (c.readAttempted !== null) {
      c.abort();
      throw capturedReadError(c.readAttempted);
    }
    return c.finish(swaps);
  }

  /** `Backend.abortCapture`. */
  abort(): void {
    this.current?.abort();
    this.current = null;
  }

  /** `Backend.reviveStorage`. */
  revive(freed: WebGPUStorage): WebGPUStorage | null {
    if (this.current === null) throw new Error("compile: reviveStorage outside a capture");
    return this.current.revive(freed);
  }

  /** Refuses a read (`op`) while a step is traced; the trace's end refuses the capture too. */
  refuseRead(op: string): void {
    if (this.current === null) return;
    this.current.readAttempted = op;
    throw capturedReadError(op);
  }
}

/** The error of a read while a step is being captured: data-dependent steps cannot be replayed. */
function capturedReadError(op: string): Error {
  return new Error(
    `compile: fn reads tensor values (${op}: data(), item(), toArray() or synchronize()) while it is being ` +
      "captured; a replay cannot depend on values read back. Return the tensors from fn and read them after the call",
  );
}
