/**
 * A size-bucketed pool of device buffers. Buckets grow by quarter powers of two
 * (at most 25% slack); freed buffers wait in their bucket for reuse. Each buffer
 * remembers the batch that last used it so uploads can avoid buffers a pending
 * (not yet submitted) batch still reads or writes.
 * @module
 */

/** A pooled device buffer. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the bucket size). */
  readonly capacity: number;
  /** Id of the last batch that referenced this buffer (0 = never). */
  lastUsed: number;
}

/** Bucket capacity for a request of `bytes` (>= 4, a multiple of 4). */
export function bucketSize(bytes: number): number {
  const n = Math.max(4, Math.ceil(bytes / 4) * 4);
  if (n <= 256) return 256;
  const step = 2 ** (Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}

/** Buffers of one usage, pooled by bucket. */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #usage: number;
  readonly #maxBufferSize: number;
  readonly #free = new Map<number, PooledBuffer[]>();
  /** Buffers created so far (pool misses). */
  created = 0;
  /** Bytes of every buffer this pool holds, in use or idle. */
  heldBytes = 0;

  constructor(device: GPUDevice, usage: number, maxBufferSize: number) {
    this.#device = device;
    this.#usage = usage;
    this.#maxBufferSize = maxBufferSize;
  }

  /**
   * A buffer of at least `bytes`. With `idleBefore`, only a buffer whose
   * `lastUsed` is below it qualifies (so `queue.writeBuffer` cannot overtake a
   * pending batch that still uses it).
   */
  acquire(bytes: number, idleBefore = Infinity): PooledBuffer {
    let capacity = bucketSize(bytes);
    if (capacity > this.#maxBufferSize) capacity = Math.max(4, Math.ceil(bytes / 4) * 4);
    const list = this.#free.get(capacity);
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].lastUsed < idleBefore) {
          const found = list[i];
          list[i] = list[list.length - 1];
          list.pop();
          return found;
        }
      }
    }
    const buffer = this.#device.createBuffer({ size: capacity, usage: this.#usage });
    this.created++;
    this.heldBytes += capacity;
    return { buffer, capacity, lastUsed: 0 };
  }

  /** Returns a buffer to its bucket. */
  release(b: PooledBuffer): void {
    let list = this.#free.get(b.capacity);
    if (!list) this.#free.set(b.capacity, list = []);
    list.push(b);
  }

  /** Destroys every idle buffer (in-flight work keeps destroyed buffers alive until done). */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        b.buffer.destroy();
        this.heldBytes -= b.capacity;
      }
    }
    this.#free.clear();
  }
}
