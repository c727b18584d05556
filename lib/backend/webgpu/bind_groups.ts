/**
 * A bounded LRU cache of bind groups. The uniform block is bound once per bind group
 * at a dynamic offset (the dispatch's slot), so a bind group depends only on its
 * layout and its storage buffers with their bound sizes; a steady-state loop that
 * reuses pooled buffers in the same order hits this cache on almost every dispatch.
 * Entries of a buffer are dropped when the pool destroys it, and the whole cache is
 * emptied (and disabled) when the device is lost.
 * @module
 */
import type { PooledBuffer } from "./pool.ts";

/** Entries kept before the least recently used one is evicted. */
export const MAX_BIND_GROUPS = 4096;

/** A storage binding: a pooled buffer and the byte range the kernel sees. */
export interface Binding {
  buf: PooledBuffer;
  /** Bytes bound from `offset` (a non-zero multiple of 4). */
  size: number;
  /** Where the bound range starts, in bytes (a multiple of minStorageBufferOffsetAlignment); 0 when absent. */
  offset?: number;
}

/** Hit/miss counters of a {@link BindGroupCache}. */
export interface BindGroupStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
}

interface Entry {
  group: GPUBindGroup;
  bufs: number[];
  /** {@link BindGroupCache} lookups count when this entry was last moved to the LRU end. */
  stamp: number;
}

/** Bind groups keyed by (layout id, buffer ids and bound sizes). */
export class BindGroupCache {
  readonly #device: GPUDevice;
  readonly #uniform: GPUBufferBinding;
  readonly #max: number;
  readonly #groups = new Map<string, Entry>();
  readonly #byBuffer = new Map<number, Set<string>>();
  #lost = false;
  hits = 0;
  misses = 0;
  evictions = 0;

  /** `uniform` is bound at binding 0 of every group (with a dynamic offset). */
  constructor(device: GPUDevice, uniform: GPUBufferBinding, max = MAX_BIND_GROUPS) {
    this.#device = device;
    this.#uniform = uniform;
    this.#max = max;
    device.lost?.then(() => {
      this.#lost = true;
      this.clear();
    });
  }

  /** Counters and current size. */
  get stats(): BindGroupStats {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.#groups.size };
  }

  /** The bind group of `layout` (numbered `layoutId`) with `bindings` at 1, 2, …. */
  get(layout: GPUBindGroupLayout, layoutId: number, bindings: readonly Binding[]): GPUBindGroup {
    let key = "" + layoutId;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      key += "," + b.buf.id + ":" + b.size + (b.offset ? "@" + b.offset : "");
    }
    const tick = this.hits + this.misses;
    const found = this.#groups.get(key);
    if (found) {
      this.hits++;
      // Refresh its LRU position (Map iteration order is insertion order), at most once per
      // max/4 lookups: an approximate LRU that spares the hot path two Map operations.
      if (tick - found.stamp > this.#max >> 2) {
        found.stamp = tick;
        this.#groups.delete(key);
        this.#groups.set(key, found);
      }
      return found.group;
    }
    this.misses++;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: this.#uniform }];
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i];
      entries.push({ binding: i + 1, resource: { buffer: b.buf.buffer, offset: b.offset ?? 0, size: b.size } });
    }
    const group = this.#device.createBindGroup({ layout, entries });
    if (this.#lost) return group;
    const bufs: number[] = [];
    for (let i = 0; i < bindings.length; i++) {
      const id = bindings[i].buf.id;
      bufs.push(id);
      let keys = this.#byBuffer.get(id);
      if (!keys) this.#byBuffer.set(id, keys = new Set());
      keys.add(key);
    }
    this.#groups.set(key, { group, bufs, stamp: tick });
    if (this.#groups.size > this.#max) this.#evictOldest();
    return group;
  }

  #remove(key: string): void {
    const e = this.#groups.get(key);
    if (!e) return;
    this.#groups.delete(key);
    for (const id of e.bufs) {
      const keys = this.#byBuffer.get(id);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.#byBuffer.delete(id);
    }
  }

  #evictOldest(): void {
    const oldest = this.#groups.keys().next();
    if (oldest.done) return;
    this.#remove(oldest.value);
    this.evictions++;
  }

  /** Drops every bind group that binds `buf` (call before destroying it). */
  dropBuffer(buf: PooledBuffer): void {
    const keys = this.#byBuffer.get(buf.id);
    if (!keys) return;
    for (const key of [...keys]) this.#remove(key);
    this.#byBuffer.delete(buf.id);
  }

  /** Drops every bind group. */
  clear(): void {
    this.#groups.clear();
    this.#byBuffer.clear();
  }
}
