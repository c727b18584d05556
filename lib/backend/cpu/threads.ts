/**
 * The cpu backend's thread pool: WebAssembly kernels split over all cores, every thread working
 * in place on the one shared heap.
 *
 * Workers (`node:worker_threads`, unref'd, so they never keep the process alive) receive the
 * heap's memory once and each compiled module once, then sleep in `Atomics.wait` on the control
 * words at the start of the heap ({@link CONTROL_BYTES}). A job is one export of one module called
 * once per part, with shared i32 arguments, the calling thread's scratch block and the part's own
 * arguments. The calling thread and the workers claim parts in turn (an atomic counter), then the
 * calling thread blocks until the others are done (blocking the main thread is allowed in Deno).
 * Workers start on the first job with more than one part, so programs whose kernels stay small
 * never start any.
 * @module
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { CONTROL_BYTES, type Heap } from "./heap.ts";

/**
 * One WebAssembly export called once per part. Threads claim parts in order, one at a time, so a
 * thread slowed by other processes on its core simply takes fewer of them.
 */
export interface WasmJob {
  /** The compiled module (imports `env.memory`: the heap's memory). */
  module: WebAssembly.Module;
  /** The export to call. */
  exportName: string;
  /** i32 arguments every part gets first (at most {@link MAX_ARGS}). */
  args: readonly number[];
  /**
   * Each part's trailing i32 arguments (at most {@link MAX_PART_ARGS}, the same count for all;
   * at most {@link MAX_PARTS} parts). The job runs on min(parts, {@link cpuThreads}) threads.
   */
  parts: readonly (readonly number[])[];
  /** Bytes of scratch each thread needs; its byte address is passed between `args` and the part's arguments. */
  scratchBytes: number;
}

/** Most shared arguments a job may have. */
export const MAX_ARGS = 40;
/** Most per-part arguments a job may have. */
export const MAX_PART_ARGS = 6;
/** Most threads the control block has records for. */
export const MAX_THREADS = 64;
/** Most parts a job may have. */
export const MAX_PARTS = 128;

// The control block, in i32 words: a header, the shared arguments, one record per thread (the
// sequence number of the job it takes part in, so a worker that wakes late never runs a job twice,
// and its scratch address), then the parts' arguments.
const SEQ = 0, PENDING = 1, KERNEL = 2, ARG_COUNT = 3, PART_ARG_COUNT = 4, READY = 5, FAILED = 6, NEXT = 7;
const PART_COUNT = 8, QUIT = 9;
const ARGS = 16;
const RECORDS = ARGS + MAX_ARGS;
const PARTS = RECORDS + 2 * MAX_THREADS;
if (PARTS + MAX_PARTS * MAX_PART_ARGS > CONTROL_BYTES / 4) {
  throw new Error("cpu threads: the control block is too small");
}
const STARTUP_MS = 20_000;
/** How long process exit waits for the workers to leave their loops. */
const STOP_MS = 200;
// Waking a sleeping thread takes tens to hundreds of microseconds; spinning first (~25 µs: an
// Atomics.load in a loop measured ~12 ns) keeps back-to-back jobs fast without burning a core that
// other processes may need.
const SPINS = 2_000;

const WORKER_SOURCE = `
const { parentPort, receiveMessageOnPort } = require("node:worker_threads");
parentPort.once("message", ({ memory, port, thread }) => {
  const i32 = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
  const kernels = [], instances = new Map();
  const drain = () => {
    for (let m; (m = receiveMessageOnPort(port)) !== undefined;) {
      const { kernel, moduleId, module, name } = m.message;
      if (module) instances.set(moduleId, new WebAssembly.Instance(module, { env: { memory } }));
      kernels[kernel] = instances.get(moduleId).exports[name];
    }
  };
  const record = ${RECORDS} + thread * 2;
  let seen = Atomics.load(i32, ${SEQ});
  Atomics.add(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  for (;;) {
    let seq;
    for (let spin = 0; (seq = Atomics.load(i32, ${SEQ})) === seen && spin < ${SPINS}; spin++);
    while ((seq = Atomics.load(i32, ${SEQ})) === seen) Atomics.wait(i32, ${SEQ}, seen);
    seen = seq;
    if (Atomics.load(i32, ${QUIT}) !== 0) {
      // the process is exiting: leave the loop so this thread is idle before the runtime tears down
      port.close();
      Atomics.sub(i32, ${READY}, 1);
      Atomics.notify(i32, ${READY});
      return;
    }
    if (Atomics.load(i32, record) !== seq) continue;
    try {
      const id = i32[${KERNEL}];
      // the main thread posts a new kernel before the job that uses it; the port may lag a little
      for (let tries = 0; kernels[id] === undefined && tries < 1000; tries++) {
        drain();
        if (kernels[id] === undefined) Atomics.wait(i32, ${FAILED}, i32[${FAILED}], 1);
      }
      if (kernels[id] === undefined) throw new Error("kernel " + id + " never arrived");
      const args = Array.from(i32.subarray(${ARGS}, ${ARGS} + i32[${ARG_COUNT}]));
      args.push(i32[record + 1]);
      const fixed = args.length, count = i32[${PART_COUNT}], width = i32[${PART_ARG_COUNT}];
      for (let part; (part = Atomics.add(i32, ${NEXT}, 1)) < count;) {
        args.length = fixed;
        for (let w = 0; w < width; w++) args.push(i32[${PARTS} + part * width + w]);
        kernels[id](...args);
      }
    } catch (e) {
      Atomics.store(i32, ${FAILED}, thread);
      port.postMessage(String(e && e.stack || e));
    }
    if (Atomics.sub(i32, ${PENDING}, 1) === 1) Atomics.notify(i32, ${PENDING});
  }
});`;

let threads: number | undefined;

/**
 * The number of threads jobs are split over: `setCpuThreads`'s value, else the environment
 * variable `DENOGRAD_CPU_THREADS` (read only where env permission for it is granted), else
 * `navigator.hardwareConcurrency`; at most {@link MAX_THREADS}.
 */
export function cpuThreads(): number {
  if (threads === undefined) {
    let n = navigator.hardwareConcurrency || 1;
    const variable = "DENOGRAD_CPU_THREADS";
    if (Deno.permissions.querySync({ name: "env", variable }).state === "granted") {
      const text = Deno.env.get(variable);
      if (text !== undefined && text !== "") {
        n = Number(text);
        if (!Number.isInteger(n) || n < 1) {
          throw new RangeError(
            `cpu threads: ${variable} must be a positive integer, got "${text}"; unset it or fix it`,
          );
        }
      }
    }
    threads = Math.min(n, MAX_THREADS);
  }
  return threads;
}

/**
 * Sets the number of threads later jobs are split over (1: the calling thread only). Workers
 * beyond it stay asleep; more are started when a job needs them.
 * @param n An integer in [1, {@link MAX_THREADS}].
 */
export function setCpuThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setCpuThreads: expected an integer in [1, ${MAX_THREADS}], got ${n}`);
  }
  threads = n;
}

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
}

/** The workers, kernels and scratch blocks of one heap. */
class Pool {
  readonly heap: Heap;
  readonly control: Int32Array;
  #workers: WorkerHandle[] = [];
  #instances = new Map<WebAssembly.Module, WebAssembly.Instance>();
  #moduleIds = new Map<WebAssembly.Module, number>();
  #kernels = new Map<WebAssembly.Module, Map<string, number>>();
  /** Every kernel registration, replayed to workers started later. */
  #registrations: { kernel: number; moduleId: number; module: WebAssembly.Module; name: string }[] = [];
  #scratch: { address: number; bytes: number }[] = [];
  #seq = 0;

  constructor(heap: Heap) {
    this.heap = heap;
    // the control block never moves, so a view made now stays valid when the memory grows
    this.control = new Int32Array(heap.memory.buffer, 0, CONTROL_BYTES / 4);
  }

  /** The calling thread's function for `name` in `module`. */
  local(module: WebAssembly.Module, name: string): (...args: number[]) => void {
    let instance = this.#instances.get(module);
    if (instance === undefined) {
      instance = new WebAssembly.Instance(module, { env: { memory: this.heap.memory } });
      this.#instances.set(module, instance);
    }
    const fn = instance.exports[name];
    if (typeof fn !== "function") throw new TypeError(`cpu threads: the module has no export "${name}"`);
    return fn as (...args: number[]) => void;
  }

  /** Thread t's scratch block of at least `bytes` (reallocated larger when a job needs more). */
  scratch(t: number, bytes: number): number {
    const have = this.#scratch[t];
    if (have !== undefined && have.bytes >= bytes) return have.address;
    if (have !== undefined) this.heap.release(have.address, have.bytes);
    const address = this.heap.alloc(bytes, "scratch");
    this.#scratch[t] = { address, bytes };
    return address;
  }

  /** The id workers know `name` of `module` by, posting it to them the first time. */
  kernel(module: WebAssembly.Module, name: string): number {
    let names = this.#kernels.get(module);
    if (names === undefined) this.#kernels.set(module, names = new Map());
    let id = names.get(name);
    if (id === undefined) {
      id = this.#registrations.length;
      names.set(name, id);
      let moduleId = this.#moduleIds.get(module);
      const first = moduleId === undefined;
      if (moduleId === undefined) this.#moduleIds.set(module, moduleId = this.#moduleIds.size);
      const registration = { kernel: id, moduleId, module, name };
      this.#registrations.push(registration);
      for (const { port } of this.#workers) port.postMessage(first ? registration : { ...registration, module: null });
    }
    return id;
  }

  /**
   * Wakes every worker to leave its loop and waits (at most {@link STOP_MS}) until they have, so
   * no worker is running JavaScript while the process exits.
   */
  stopWorkers(): void {
    if (this.#workers.length === 0) return;
    const c = this.control;
    Atomics.store(c, QUIT, 1);
    Atomics.store(c, SEQ, this.#seq = (this.#seq + 1) | 0 || 1);
    Atomics.notify(c, SEQ);
    const deadline = performance.now() + STOP_MS;
    for (let ready; (ready = Atomics.load(c, READY)) > 0;) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(c, READY, ready, left) === "timed-out") break;
    }
    this.#workers = [];
  }

  /** Starts workers until there are `count`, blocking until they are ready. */
  ensureWorkers(count: number): void {
    const started = this.#workers.length;
    if (count <= started) return;
    if (started === 0) {
      Atomics.store(this.control, QUIT, 0);
      globalThis.addEventListener("unload", () => this.stopWorkers(), { once: true });
    }
    for (let t = started + 1; t <= count; t++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      worker.postMessage({ memory: this.heap.memory, port: port2, thread: t }, [port2]);
      const posted = new Set<number>();
      for (const r of this.#registrations) {
        port1.postMessage(posted.has(r.moduleId) ? { ...r, module: null } : r);
        posted.add(r.moduleId);
      }
      this.#workers.push({ worker, port: port1 });
    }
    const deadline = performance.now() + STARTUP_MS;
    for (let ready; (ready = Atomics.load(this.control, READY)) < count;) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.control, READY, ready, left) === "timed-out") {
        throw new Error(
          `cpu threads: ${count - ready} of ${count} workers did not start within ${STARTUP_MS / 1000} s; ` +
            `call setCpuThreads(1) (or set DENOGRAD_CPU_THREADS=1) to compute on the main thread only`,
        );
      }
    }
  }

  /** Runs `job` (see {@link runJob}). */
  run(job: WasmJob): void {
    const parts = job.parts.length, width = job.parts[0].length;
    const threadCount = Math.min(parts, cpuThreads());
    const fn = this.local(job.module, job.exportName);
    // every scratch block is taken before any part runs (allocation may grow the memory)
    const scratch = Array.from({ length: threadCount }, (_, t) => this.scratch(t, job.scratchBytes));
    if (threadCount === 1) {
      for (const part of job.parts) fn(...job.args, scratch[0], ...part);
      return;
    }
    this.ensureWorkers(threadCount - 1);
    const c = this.control;
    c[KERNEL] = this.kernel(job.module, job.exportName);
    c[ARG_COUNT] = job.args.length;
    c.set(job.args, ARGS);
    c[PART_ARG_COUNT] = width;
    c[PART_COUNT] = parts;
    job.parts.forEach((part, i) => c.set(part, PARTS + i * width));
    c[FAILED] = 0;
    Atomics.store(c, NEXT, 0);
    this.#seq = (this.#seq + 1) | 0 || 1; // 0 is every record's initial value
    for (let t = 1; t < threadCount; t++) {
      c[RECORDS + 2 * t + 1] = scratch[t];
      c[RECORDS + 2 * t] = this.#seq;
    }
    Atomics.store(c, PENDING, threadCount - 1);
    Atomics.store(c, SEQ, this.#seq);
    Atomics.notify(c, SEQ);
    let error: unknown;
    try {
      for (let part; (part = Atomics.add(c, NEXT, 1)) < parts;) fn(...job.args, scratch[0], ...job.parts[part]);
    } catch (e) {
      error = e;
      Atomics.store(c, NEXT, parts); // the others stop claiming parts
    }
    for (let spin = 0; Atomics.load(c, PENDING) !== 0 && spin < SPINS; spin++);
    for (let left; (left = Atomics.load(c, PENDING)) !== 0;) Atomics.wait(c, PENDING, left);
    const failed = Atomics.load(c, FAILED);
    if (failed !== 0) {
      // drain every port, so that no stale message is taken for a later failure's
      const messages = this.#workers.map(({ port }) => {
        let last: unknown;
        for (let m; (m = receiveMessageOnPort(port)) !== undefined;) last = m.message;
        return last;
      });
      throw new Error(`cpu ${job.exportName}: thread ${failed} failed: ${messages[failed - 1]}`);
    }
    if (error !== undefined) throw error;
  }
}

const pools = new WeakMap<Heap, Pool>();

/**
 * Runs `job` on `heap`: `exportName(...args, scratch, ...parts[i])` for every part i, where
 * scratch is the block of the thread that claimed it, on the calling thread and
 * min(parts, {@link cpuThreads}) − 1 workers; returns when all are done. A part that traps makes
 * it throw (once every thread has stopped), naming the export and the thread.
 * @param heap The heap whose memory the module imports.
 * @param job The kernel, its arguments and its split.
 */
export function runJob(heap: Heap, job: WasmJob): void {
  const parts = job.parts.length;
  if (parts < 1 || parts > MAX_PARTS) {
    throw new RangeError(`cpu ${job.exportName}: a job needs 1 to ${MAX_PARTS} parts, got ${parts}`);
  }
  if (
    job.args.length > MAX_ARGS || job.parts.some((p) => p.length !== job.parts[0].length || p.length > MAX_PART_ARGS)
  ) {
    throw new RangeError(
      `cpu ${job.exportName}: at most ${MAX_ARGS} arguments and ${MAX_PART_ARGS} per part (the same count for each)`,
    );
  }
  let pool = pools.get(heap);
  if (pool === undefined) pools.set(heap, pool = new Pool(heap));
  pool.run(job);
}
