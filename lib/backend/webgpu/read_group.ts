/**
 * Reads that share one device wait. In Deno every `mapAsync` costs a fixed wait: ext/webgpu polls
 * the device (which blocks the calling thread until the queue has drained) and then sleeps 10 ms
 * before it resolves, even when no work is queued (about 11.4 ms measured on llvmpipe; see
 * bench/README.md, "Readback floor"). A read group copies any number of storages into one staging
 * buffer, at increasing offsets, in the pending batch; {@link ReadGroup.start} submits once and
 * maps that buffer once, so N reads pay that wait once. The fault record's check rides along
 * in the first {@link FAULT_BYTES} of the buffer, so a read after a kernel that can fault still
 * costs a single wait.
 * @module
 */
import type { DType, HostArray } from "../backend.ts";
import { FAULT_BYTES, type FaultRecord } from "./faults.ts";
import type { BufferPool, PooledBuffer } from "./pool.ts";
import type { Recorder } from "./recorder.ts";

/** Least staging capacity of a group: room for about a thousand scalar reads. */
const GROUP_BYTES = 4096;
/** mapAsync and getMappedRange offsets must be multiples of 8. */
const MAP_ALIGN = 8;

/** What a group needs from its runtime. */
export interface ReadGroupHost {
  readonly recorder: Recorder;
  readonly stagingPool: BufferPool;
  readonly faults: FaultRecord;
  readonly maxBufferSize: number;
  /** Keeps the first fault until the next read or sync throws it. */
  report(fault: () => Error): void;
  /** Called once per device wait the group starts (the runtime counts them). */
  countWait(): void;
}

/** One read inside a group: where its copy lies in the staging buffer and what it decodes to. */
export interface GroupEntry {
  readonly offset: number;
  readonly bytes: number;
  readonly size: number;
  readonly dtype: DType;
  /** The copied bytes, once the group is mapped. */
  raw: ArrayBuffer | null;
}

/** A read recorded now and waited for later (what `GpuRuntime.readLater` returns). */
export interface DeferredRead {
  /** Starts the device wait of the read's group (idempotent); resolves once the bytes are on the host. */
  wait(): Promise<void>;
  /** Whether the bytes are on the host (`value()` will not throw for want of them). */
  readonly ready: boolean;
  /** The values; throws a recorded fault or GPU error. Only after `wait()` resolved. */
  value(): HostArray;
}

/** Reads recorded into one staging buffer and mapped with one `mapAsync`. */
export class ReadGroup {
  readonly #host: ReadGroupHost;
  readonly #staging: PooledBuffer;
  /** Whether the first FAULT_BYTES hold the fault record's copy (false only for a read too big to leave room). */
  readonly #faultSlot: boolean;
  #used: number;
  readonly #entries: GroupEntry[] = [];
  #done: Promise<void> | null = null;
  #finished = false;

  /** A group whose staging buffer holds at least `bytes` after the fault slot (where the device allows). */
  constructor(host: ReadGroupHost, bytes: number) {
    this.#host = host;
    this.#faultSlot = FAULT_BYTES + bytes <= host.maxBufferSize;
    this.#used = this.#faultSlot ? FAULT_BYTES : 0;
    this.#staging = host.stagingPool.acquire(Math.max(GROUP_BYTES, this.#used + bytes));
  }

  /** Whether the wait has started (no more reads can join). */
  get started(): boolean {
    return this.#done !== null;
  }

  /** Whether the wait has ended and every entry's bytes are on the host. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Whether a read of `bytes` still fits. */
  fits(bytes: number): boolean {
    return !this.started && align(this.#used) + bytes <= this.#staging.capacity;
  }

  /**
   * Records the copy of `bytes` of `src` from byte `srcOffset` in the pending batch (call
   * {@link fits} first).
   */
  add(src: PooledBuffer, srcOffset: number, bytes: number, size: number, dtype: DType): GroupEntry {
    const offset = align(this.#used);
    if (bytes > 0) {
      src.lastUsed = this.#host.recorder.batchId;
      const encoder = this.#host.recorder.copyEncoder();
      encoder.copyBufferToBuffer(src.buffer, srcOffset, this.#staging.buffer, offset, bytes);
    }
    this.#used = offset + bytes;
    const entry: GroupEntry = { offset, bytes, size, dtype, raw: null };
    this.#entries.push(entry);
    return entry;
  }

  /**
   * Submits the pending batch (with the fault check) and maps the staging buffer once; resolves
   * when every entry's `raw` is set. Idempotent. Rejects only when mapping fails (device lost).
   */
  start(): Promise<void> {
    this.#done ??= this.#wait();
    return this.#done;
  }

  async #wait(): Promise<void> {
    const host = this.#host;
    const staging = this.#staging;
    let check: ((record: Int32Array) => void) | null = null;
    let separateCheck: Promise<void> = Promise.resolve();
    if (this.#faultSlot) {
      check = host.faults.takeCheck(host.recorder.copyEncoder(), staging.buffer, 0, host.report);
    } else {
      if (host.faults.needsCheck) host.countWait();
      separateCheck = host.faults.submit(host.recorder, host.stagingPool, host.report);
    }
    host.recorder.submit();
    host.countWait();
    const used = this.#used;
    try {
      await staging.buffer.mapAsync(GPUMapMode.READ, 0, used);
      if (check) check(new Int32Array(staging.buffer.getMappedRange(0, FAULT_BYTES).slice(0)));
      for (const e of this.#entries) {
        if (e.bytes > 0) e.raw = staging.buffer.getMappedRange(e.offset, e.bytes).slice(0);
      }
      staging.buffer.unmap();
      this.#finished = true;
    } finally {
      host.stagingPool.release(staging);
      await separateCheck.catch(() => {});
    }
  }
}

function align(offset: number): number {
  return Math.ceil(offset / MAP_ALIGN) * MAP_ALIGN;
}

/** The host array of a mapped entry: float32, int32, or bool from its 32-bit words. */
export function decode(entry: GroupEntry): HostArray {
  const raw = entry.raw;
  switch (entry.dtype) {
    case "float32":
      return raw ? new Float32Array(raw) : new Float32Array(0);
    case "int32":
      return raw ? new Int32Array(raw) : new Int32Array(0);
    default: {
      const out = new Uint8Array(entry.size);
      if (raw) {
        const w = new Uint32Array(raw);
        for (let i = 0; i < out.length; i++) out[i] = w[i];
      }
      return out;
    }
  }
}
