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
import type { PooledBuffer } from "./pool.ts";
import type { WebGPUStorage } from "./storage.ts";
import { tuningEpoch } from "./matmul_tuning.ts";

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
  /** Appends a dispatch to the pending batch (with `group` when known); returns the bind group used. */
  dispatch(
    kernel: Kernel,
    words: Uint32Array,
    bindings: readonly Binding[],
    grid: readonly [number, number, number],
    group?: GPUBindGroup,
  ): GPUBindGroup;
  /** The pending batch's encoder with its compute pass closed. */
  copyEncoder(): GPUCommandEncoder;
  /** Submits the pending batch. */
  submit(): void;
  /** The pending batch's id (buffers it uses are marked with it). */
  readonly batchId: number;
  /** Returns a buffer to the pool. */
  release(buf: PooledBuffer): void;
  /** A live storage over `buf` (counted as live). */
  wrap(buf: PooledBuffer, size: number, dtype: WebGPUStorage["dtype"]): WebGPUStorage;
  /** Re-registers a fault id a replayed kernel may write. */
  restoreFault(fault: CapturedFault): void;
}

function unpin(host: CaptureHost, buf: PooledBuffer): void {
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

/** A finished recording: {@link StepRecording} on WebGPU. */
export class Recording {
  readonly signature: readonly string[];
  readonly dispatches: number;
  /** Per command, the positions of bindings (or copy ends) that are argument k. */
  readonly #argSlots: (readonly (readonly [number, number])[] | null)[];
  #disposed = false;
  /** The commands with every swapped pair's buffers exchanged; null without swaps. */
  readonly #swapped: CapturedCommand[] | null;
  /** Which list the next replay walks: the swapped one right after the trace. */
  #phase: 0 | 1 = 1;
  /** Per list, the bind group of each dispatch that binds no argument (its buffers never change). */
  readonly #groups: (GPUBindGroup | undefined)[][] = [[], []];

  constructor(
    readonly host: CaptureHost,
    readonly log: CaptureLog,
    readonly kept: readonly PooledBuffer[],
    swaps: readonly (readonly [WebGPUStorage, WebGPUStorage])[],
    signature: readonly string[],
  ) {
    this.signature = signature;
    this.#swapped = swaps.length ? swappedCommands(log.commands, swaps) : null;
    this.dispatches = log.commands.filter((c) => c.kind === "dispatch").length;
    const argIndex = new Map(log.args.map((s, k) => [s.buf!, k]));
    this.#argSlots = log.commands.map((c) => {
      const slots: [number, number][] = [];
      if (c.kind === "dispatch") {
        c.bindings.forEach((b, i) => {
          const k = argIndex.get(b.buf);
          if (k !== undefined) slots.push([i, k]);
        });
      } else if (c.kind === "copy") {
        const s = argIndex.get(c.src), d = argIndex.get(c.dst);
        if (s !== undefined) slots.push([0, s]);
        if (d !== undefined) slots.push([1, d]);
      }
      return slots.length ? slots : null;
    });
  }

  /** Whether every storage from outside that the step binds is still alive, and no kernel choice changed since. */
  isValid(): boolean {
    if (this.#disposed || tuningEpoch() !== this.log.epoch) return false;
    for (const [buf, s] of this.log.outside) if (s.buf !== buf) return false;
    return true;
  }

  /**
   * Records the commands again; returns 1 when it ran them with the swapped pairs exchanged (the
   * replaced tensors now hold their pre-trace storages), 0 when as traced. Replays alternate, so
   * no parameter is copied: each replay reads what the previous one wrote.
   */
  replay(args: readonly WebGPUStorage[]): 0 | 1 {
    if (this.#disposed) throw new Error("compile: the step's recording was disposed");
    const phase = this.#swapped === null ? 0 : this.#phase;
    this.#phase = phase === 1 ? 0 : 1;
    const commands = phase === 1 ? this.#swapped! : this.log.commands;
    let uploads = false;
    for (const c of commands) if (c.kind === "upload") uploads = true;
    if (uploads) {
      // the previous replay's commands must reach the queue before these writes overtake them
      this.host.submit();
      for (const c of commands) {
        if (c.kind === "upload") this.host.device.queue.writeBuffer(c.buf.buffer, c.offset, c.data);
      }
    }
    for (const f of this.log.faults) this.host.restoreFault(f);
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i];
      const slots = this.#argSlots[i];
      if (c.kind === "dispatch") {
        if (c.dynamic !== null) { for (const d of c.dynamic) c.words[d.word] = encodeWord(d.enc, d.get()); }
        if (slots !== null) {
          for (const [b, k] of slots) {
            const s = args[k];
            c.bindings[b] = { buf: s.buf!, size: c.bindings[b].size, offset: s.byteOffset || undefined };
          }
        }
        if (slots !== null) this.host.dispatch(c.kernel, c.words, c.bindings, c.grid);
        else this.#groups[phase][i] = this.host.dispatch(c.kernel, c.words, c.bindings, c.grid, this.#groups[phase][i]);
      } else if (c.kind === "copy") {
        if (slots !== null) {
          for (const [end, k] of slots) {
            if (end === 0) c.src = args[k].buf!;
            else c.dst = args[k].buf!;
          }
        }
        c.src.lastUsed = c.dst.lastUsed = this.host.batchId;
        this.host.copyEncoder().copyBufferToBuffer(c.src.buffer, c.srcOffset, c.dst.buffer, c.dstOffset, c.bytes);
      }
    }
    return phase;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const buf of this.kept) unpin(this.host, buf);
  }
}

/** `commands` with the buffers of each pair exchanged (fresh command objects; the originals stay). */
function swappedCommands(
  commands: readonly CapturedCommand[],
  swaps: readonly (readonly [WebGPUStorage, WebGPUStorage])[],
): CapturedCommand[] {
  const partner = new Map<PooledBuffer, PooledBuffer>();
  for (const [a, b] of swaps) {
    if (a.byteOffset !== 0 || b.byteOffset !== 0) {
      throw new Error("compile: internal error: a replaced storage is a window of a larger buffer");
    }
    partner.set(a.buf!, b.buf!).set(b.buf!, a.buf!);
  }
  const map = (b: PooledBuffer) => partner.get(b) ?? b;
  return commands.map((c): CapturedCommand => {
    if (c.kind === "dispatch") {
      return { ...c, words: c.words.slice(), bindings: c.bindings.map((b) => ({ ...b, buf: map(b.buf) })) };
    }
    if (c.kind === "copy") return { ...c, src: map(c.src), dst: map(c.dst) };
    return { ...c, buf: map(c.buf) };
  });
}

/** Calls `visit` with each buffer a command references. */
function eachBuffer(c: CapturedCommand, visit: (buf: PooledBuffer) => void): void {
  if (c.kind === "dispatch") { for (const b of c.bindings) visit(b.buf); }
  else if (c.kind === "copy") {
    visit(c.src);
    visit(c.dst);
  } else visit(c.buf);
}

/**
 * A buffer for each temporary (a buffer of `temporaries`) such that two temporaries used by
 * overlapping ranges of commands never share one: a greedy interval assignment per capacity, in
 * order of first use. Uploads run before the commands on replay, so an uploaded buffer's range
 * starts at the first command. Returns the temporaries that move, mapped to their new buffer.
 */
function shareTemporaries(
  commands: readonly CapturedCommand[],
  temporaries: ReadonlySet<PooledBuffer>,
): Map<PooledBuffer, PooledBuffer> {
  const first = new Map<PooledBuffer, number>(), last = new Map<PooledBuffer, number>();
  commands.forEach((c, i) => {
    const at = c.kind === "upload" ? 0 : i;
    eachBuffer(c, (b) => {
      if (!temporaries.has(b)) return;
      if (!first.has(b) || at < first.get(b)!) first.set(b, at);
      last.set(b, Math.max(last.get(b) ?? -1, i));
    });
  });
  const byCapacity = new Map<number, PooledBuffer[]>();
  const busyUntil = new Map<PooledBuffer, number>();
  const remap = new Map<PooledBuffer, PooledBuffer>();
  for (const b of [...first.keys()].sort((x, y) => first.get(x)! - first.get(y)!)) {
    const pool = byCapacity.get(b.capacity) ?? [];
    const free = pool.find((p) => busyUntil.get(p)! < first.get(b)!);
    if (free) {
      remap.set(b, free);
      busyUntil.set(free, last.get(b)!);
    } else {
      pool.push(b);
      byCapacity.set(b.capacity, pool);
      busyUntil.set(b, last.get(b)!);
    }
  }
  return remap;
}

/** Rewrites the commands' buffers through `remap`. */
function remapCommands(commands: CapturedCommand[], remap: ReadonlyMap<PooledBuffer, PooledBuffer>): void {
  if (remap.size === 0) return;
  const map = (b: PooledBuffer) => remap.get(b) ?? b;
  commands.forEach((c, i) => {
    if (c.kind === "dispatch") c.bindings.forEach((b, k) => (c.bindings[k] = { ...b, buf: map(b.buf) }));
    else if (c.kind === "copy") {
      c.src = map(c.src);
      c.dst = map(c.dst);
    } else commands[i] = { ...c, buf: map(c.buf) };
  });
}
