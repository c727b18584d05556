/**
 * Per-kernel GPU time from timestamp queries. While a profiler is attached, the
 * recorder gives every dispatch its own compute pass whose start and end are
 * timestamped; each batch resolves its queries into a readback buffer after the
 * batch, so the numbers arrive asynchronously and {@link KernelProfiler.report}
 * waits for them. Profiling changes batching (one pass per dispatch), so it is for
 * finding where time goes, not for headline figures.
 * @module
 */

import type { KernelTime } from "../backend.ts";

/** Collects timestamp pairs per dispatch and sums them per kernel name. */
export class KernelProfiler {
  readonly #device: GPUDevice;
  readonly #querySet: GPUQuerySet;
  readonly #resolve: GPUBuffer;
  readonly #capacity: number;
  #labels: string[] = [];
  readonly #pending: Promise<void>[] = [];
  readonly #totals = new Map<string, { calls: number; ns: bigint }>();

  /** `capacity`: dispatches per batch (two queries each). */
  constructor(device: GPUDevice, capacity: number) {
    this.#device = device;
    this.#capacity = capacity;
    this.#querySet = device.createQuerySet({ type: "timestamp", count: 2 * capacity });
    this.#resolve = device.createBuffer({
      size: 16 * capacity,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** Pass descriptor timing the next dispatch of the batch, labelled `name`. */
  passFor(name: string): GPUComputePassDescriptor {
    const k = this.#labels.length;
    if (k >= this.#capacity) throw new Error("webgpu profiler: more dispatches in one batch than queries");
    this.#labels.push(name);
    return {
      timestampWrites: { querySet: this.#querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 },
    };
  }

  /** Appends the query resolve and copy for the batch being submitted; call {@link afterSubmit} next. */
  beforeSubmit(encoder: GPUCommandEncoder): GPUBuffer | null {
    const n = this.#labels.length;
    if (n === 0) return null;
    encoder.resolveQuerySet(this.#querySet, 0, 2 * n, this.#resolve, 0);
    const read = this.#device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(this.#resolve, 0, read, 0, 16 * n);
    return read;
  }

  /** Reads the batch's timestamps once the GPU is done with it. */
  afterSubmit(read: GPUBuffer | null): void {
    const labels = this.#labels;
    this.#labels = [];
    if (!read) return;
    this.#pending.push(
      read.mapAsync(GPUMapMode.READ).then(() => {
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.destroy();
        labels.forEach((name, k) => {
          const entry = this.#totals.get(name) ?? { calls: 0, ns: 0n };
          entry.calls++;
          if (t[2 * k + 1] > t[2 * k]) entry.ns += t[2 * k + 1] - t[2 * k];
          this.#totals.set(name, entry);
        });
      }),
    );
  }

  /** Waits for every batch's numbers; kernels by total time, largest first. */
  async report(): Promise<KernelTime[]> {
    await Promise.all(this.#pending);
    this.#querySet.destroy();
    this.#resolve.destroy();
    return [...this.#totals].map(([name, { calls, ns }]) => ({ name, calls, ms: Number(ns) / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }
}
