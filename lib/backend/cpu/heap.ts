/**
 * The cpu backend's memory: one shared `WebAssembly.Memory` that every storage lives in, so the
 * WebAssembly kernels and the worker threads read tensors where they are, without copies.
 *
 * Blocks are handed out from size classes (four per power of two, 64-byte aligned) and kept in
 * per-class free lists when released, so a training loop that frees what it allocates reaches a
 * steady state where nothing new is taken from the memory (`blocksCreated` stays flat). The first
 * {@link CONTROL_BYTES} are reserved for the thread pool's control words.
 * @module
 */

/** Bytes at the start of the memory reserved for the thread pool's control block. */
export const CONTROL_BYTES = 4096;

const PAGE = 65536;
const ALIGN = 64;
/** wasm32 addresses 4 GiB; a shared memory must declare its maximum up front. */
const MAX_PAGES = 65536;

/** The size class of `bytes`: the smallest of {2^k, 1.25·2^k, 1.5·2^k, 1.75·2^k} (in ALIGN units) that fits. */
export function classBytes(bytes: number): number {
  const units = Math.max(1, Math.ceil(bytes / ALIGN));
  if (units <= 4) return units * ALIGN;
  const top = 2 ** Math.floor(Math.log2(units));
  const quarter = top / 4;
  return Math.ceil(units / quarter) * quarter * ALIGN;
}

/** Typed views over the whole memory, replaced when it grows. */
export interface HeapViews {
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
}

/** The shared memory and its block allocator. */
export class Heap {
  /** The memory every storage, kernel and worker shares. */
  readonly memory: WebAssembly.Memory;
  #top = CONTROL_BYTES;
  #free = new Map<number, number[]>();
  #views: HeapViews;
  #blocksCreated = 0;
  #reservedBytes = 0;

  /** A heap of `initialBytes` (rounded up to whole pages), growing on demand up to 4 GiB. */
  constructor(initialBytes = 16 * PAGE) {
    const initial = Math.max(1, Math.ceil(initialBytes / PAGE));
    this.memory = new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true });
    this.#views = makeViews(this.memory.buffer);
  }

  /** Views over the current memory (valid until the next {@link alloc} that grows it). */
  get views(): HeapViews {
    if (this.#views.u8.byteLength !== this.memory.buffer.byteLength) this.#views = makeViews(this.memory.buffer);
    return this.#views;
  }

  /**
   * A block of at least `bytes` (64-byte aligned); its byte address. Recycles a released block of
   * the same class when one is free, else takes new memory, growing it; past 4 GiB a RangeError
   * naming `op` says what to do.
   */
  alloc(bytes: number, op = "alloc"): number {
    const size = classBytes(bytes);
    const list = this.#free.get(size);
    if (list !== undefined && list.length > 0) return list.pop()!;
    const address = this.#top;
    const end = address + size;
    if (end > this.memory.buffer.byteLength) {
      const needed = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      // grow by at least a quarter of the current size so repeated growth stays amortised
      const current = this.memory.buffer.byteLength / PAGE;
      const pages = Math.min(MAX_PAGES - current, Math.max(needed, Math.ceil(current / 4)));
      if (pages < needed) {
        throw new RangeError(
          `cpu ${op}: a storage of ${bytes} bytes does not fit: the cpu heap would pass 4 GiB ` +
            `(${this.#reservedBytes} bytes already taken, live or pooled); ` +
            `dispose tensors you no longer need (tidy, dispose) or use smaller batches`,
        );
      }
      this.memory.grow(pages);
    }
    this.#top = end;
    this.#blocksCreated++;
    this.#reservedBytes += size;
    return address;
  }

  /** Returns the block at `address`, allocated for `bytes`, to its class's free list. */
  release(address: number, bytes: number): void {
    const size = classBytes(bytes);
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, list = []);
    list.push(address);
  }

  /** Blocks ever taken from fresh memory (pool misses). */
  get blocksCreated(): number {
    return this.#blocksCreated;
  }

  /** Bytes of every block ever created (live or pooled). */
  get pooledBytes(): number {
    return this.#reservedBytes;
  }
}

function makeViews(buffer: ArrayBufferLike): HeapViews {
  return {
    f32: new Float32Array(buffer),
    f64: new Float64Array(buffer),
    i32: new Int32Array(buffer),
    u8: new Uint8Array(buffer),
  };
}
