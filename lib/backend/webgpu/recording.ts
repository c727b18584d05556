/**
 * A finished step recording on WebGPU (`StepRecording`): the commands a trace recorded
 * (capture.ts), replayed by walking them — pipeline, bind group (arguments rebound), uniform words
 * (dynamic ones re-read), grid — alternating with the list whose replaced tensors' buffers are
 * exchanged; and how a finished trace lets temporaries with disjoint lifetimes share buffers.
 * @module
 */
import type { PooledBuffer } from "./pool.ts";
import type { WebGPUStorage } from "./storage.ts";
import { type CapturedCommand, type CaptureHost, type CaptureLog, encodeWord, unpin } from "./capture.ts";
import { tuningEpoch } from "./matmul_tuning.ts";

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
      this.host.recorder.submit();
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
        if (slots !== null) this.host.recorder.dispatch(c.kernel, c.words, c.bindings, c.grid);
        else {this.#groups[phase][i] = this.host.recorder.dispatch(
            c.kernel,
            c.words,
            c.bindings,
            c.grid,
            this.#groups[phase][i],
          );}
      } else if (c.kind === "copy") {
        if (slots !== null) {
          for (const [end, k] of slots) {
            if (end === 0) c.src = args[k].buf!;
            else c.dst = args[k].buf!;
          }
        }
        c.src.lastUsed = c.dst.lastUsed = this.host.recorder.batchId;
        this.host.recorder.copyEncoder().copyBufferToBuffer(
          c.src.buffer,
          c.srcOffset,
          c.dst.buffer,
          c.dstOffset,
          c.bytes,
        );
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
export function shareTemporaries(
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
export function remapCommands(commands: CapturedCommand[], remap: ReadonlyMap<PooledBuffer, PooledBuffer>): void {
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
