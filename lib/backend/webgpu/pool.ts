/**
 * A size-bucketed pool of device buffers. Buckets grow by quarter powers of two
 * (at most 25% slack); freed buffers wait in their bucket for reuse. Each buffer
 * remembers the batch that last used it so uploads can avoid buffers a pending
 * (not yet submitted) batch still reads or writes.
 * @module
 */

/** A pooled device buffer. */
export interface PooledBuffer {
  /** Unique per process (keys the recorder's bind group cache). */
  readonly id: number;
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the bucket size). */
  readonly capacity: number;
  /** Id of the last batch that referenced this buffer (0 = never). */
  lastUsed: number;
  /** Step recordings (capture.ts) holding this buffer: while non-zero, freeing its storage keeps it out of the pool. */
  pins?: number;
  /** Its storage was freed while pinned: the last unpin returns it to the pool. */
  orphan?: boolean;
}

let nextId = 1;

/** Wraps a device buffer as a {@link PooledBuffer} with a fresh id. */
export function pooledBuffer(buffer: GPUBuffer, capacity: number): PooledBuffer {
  return { id: nextId++, buffer, capacity, lastUsed: 0 };
}

/** Bucket capacity for a request of `bytes` (>= 4, a multiple of 4). */
export function bucketSize(bytes: number): number {
  const n = Math.max(4, Math.ceil(bytes / 4) * 4);
  if (n <= 256) return 256;
  const step = 2 ** (Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}

// Each bucket's idle buffers form a binary min-heap by id, and `acquire` hands out the
// lowest id: which buffer an allocation gets then depends only on the set of idle
// buffers, not on the order they were released in, so a steady-state loop binds the
// same buffers every step (and hits the recorder's bind group cache).

function less(h: PooledBuffer[], i: number, j: number): boolean {
  return h[i].id < h[j].id;
}

function swap(h: PooledBuffer[], i: number, j: number): void {
  const t = h[i];
  h[i] = h[j];
  h[j] = t;
}

function siftUp(h: PooledBuffer[], i: number): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h, i, p)) return;
    swap(h, i, p);
    i = p;
  }
}

function siftDown(h: PooledBuffer[], i: number): void {
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < h.length && less(h, l, m)) m = l;
    if (r < h.length && less(h, r, m)) m = r;
    if (m === i) return;
    swap(h, i, m);
    i = m;
  }
}

function push(h: PooledBuffer[], b: PooledBuffer): void {
  h.push(b);
  siftUp(h, h.length - 1);
}

function removeAt(h: PooledBuffer[], i: number): PooledBuffer {
  const out = h[i];
  const last = h.pop()!;
  if (i < h.length) {
    h[i] = last;
    siftDown(h, i);
    siftUp(h, i);
  }
  return out;
}

function popMin(h: PooledBuffer[]): PooledBuffer {
  return removeAt(h, 0);
}

/** Buffers of one usage, pooled by bucket. */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #usage: number;
  readonly #maxBufferSize: number;
  /** Idle buffers by bucket capacity, each a min-heap by id. */
  readonly #free = new Map<number, PooledBuffer[]>();
  /** Buffers created so far (pool misses). */
  created = 0;
  /** Bytes of every buffer this pool holds, in use or idle. */
  heldBytes = 0;
  /** Called for each buffer just before {@link trim} destroys it. */
  onDestroy: ((b: PooledBuffer) => void) | null = null;

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
    const heap = this.#free.get(capacity);
    if (heap && heap.length > 0) {
      if (heap[0].lastUsed < idleBefore) return popMin(heap);
      if (idleBefore !== Infinity) {
        let best = -1;
        for (let i = 1; i < heap.length; i++) {
          if (heap[i].lastUsed < idleBefore && (best < 0 || heap[i].id < heap[best].id)) best = i;
        }
        if (best >= 0) return removeAt(heap, best);
      }
    }
    const buffer = this.#device.createBuffer({ size: capacity, usage: this.#usage });
    this.created++;
    this.heldBytes += capacity;
    return pooledBuffer(buffer, capacity);
  }

  /** Returns a buffer to its bucket. */
  release(b: PooledBuffer): void {
    let heap = this.#free.get(b.capacity);
    if (!heap) this.#free.set(b.capacity, heap = []);
    push(heap, b);
  }

  /** Destroys every idle buffer (in-flight work keeps destroyed buffers alive until done). */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        this.onDestroy?.(b);
        b.buffer.destroy();
        this.heldBytes -= b.capacity;
      }
    }
    this.#free.clear();
  }
}
