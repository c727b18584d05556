/** Creating tensors: from data, constants, ranges and seeded random streams. @module */
import { isTracing, onReplay, withDynamicParams } from "../backend/capture.ts";
import { numel } from "../backend/_view.ts";
import type { DType } from "../backend/backend.ts";
import { checkDType, checkInt32Range, type DTypeName, isFloat } from "./dtype.ts";
import { backendFor, type Device, getDefaultDevice } from "./device.ts";
import { Tensor } from "./tensor.ts";
import { add, binaryRaw, cast, compare, mul, operand } from "./ops_elementwise.ts";
import { reshape } from "./ops_movement.ts";
import { checkOptions, creationArgs } from "./_args.ts";

/** Options every creation function takes. */
export interface CreateOptions {
  /** Element type (default float32, or as inferred from the data); "int64" is stored as int32. */
  dtype?: DTypeName;
  /** Device (default: webgpu when available, else cpu). */
  device?: Device;
  /** Record operations on this tensor for autograd. */
  requiresGrad?: boolean;
}

/**
 * A shape and options as the creation functions take them: `zeros([2, 3], options?)`,
 * `zeros(2, 3)` or `zeros(2, 3, options)` (torch's varargs sizes).
 */
export type ShapeArgs =
  | [shape: readonly number[], options?: CreateOptions]
  | number[]
  | [...sizes: number[], options: CreateOptions];

const CREATE_KEYS = ["dtype", "device", "requiresGrad"] as const;

/** Nested arrays of numbers or booleans, or a typed array. */
export type TensorData = number | boolean | readonly TensorData[] | ArrayLike<number>;

function checkShape(op: string, shape: readonly number[]): readonly number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: shape must be an array of sizes, got ${JSON.stringify(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: shape [${shape}] has an invalid size ${d}; sizes are non-negative integers`);
    }
  }
  if (numel(shape) > 2 ** 31 - 1) throw new RangeError(`${op}: shape [${shape}] has more than 2^31-1 elements`);
  return shape;
}

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function resolve(op: string, options: CreateOptions, fallback: DType = "float32"): { dtype: DType; device: Device } {
  checkOptions(op, options, CREATE_KEYS);
  const dtype = options.dtype === undefined ? fallback : checkDType(op, options.dtype);
  const device = options.device ?? getDefaultDevice();
  const backend = backendFor(device);
  if (!backend.dtypes.includes(dtype)) {
    throw new TypeError(`${op}: the ${device} backend has no ${dtype}; create it on device "cpu"`);
  }
  return { dtype, device };
}

function flattenData(
  op: string,
  data: TensorData,
): { shape: number[]; values: number[] | ArrayLike<number>; kind: DType } {
  if (typeof data === "number") {
    return { shape: [], values: [data], kind: Number.isInteger(data) ? "int32" : "float32" };
  }
  if (typeof data === "boolean") return { shape: [], values: [data ? 1 : 0], kind: "bool" };
  if (ArrayBuffer.isView(data)) {
    const kind: DType = data instanceof Int32Array || data instanceof Uint8Array || data instanceof Int8Array ||
        data instanceof Uint16Array || data instanceof Int16Array
      ? "int32"
      : "float32";
    return { shape: [data.length], values: data as ArrayLike<number>, kind };
  }
  if (!Array.isArray(data)) throw new TypeError(`${op}: expected numbers, booleans or (nested) arrays of them`);
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  let allInt = true, allBool = true;
  const walk = (v: unknown, depth: number) => {
    if (depth === shape.length) {
      if (typeof v === "boolean") {
        values.push(v ? 1 : 0);
        allInt = false;
      } else if (typeof v === "number") {
        values.push(v);
        allBool = false;
        if (!Number.isInteger(v)) allInt = false;
      } else {
        throw new TypeError(`${op}: ragged or non-numeric data at depth ${depth} (got ${typeof v})`);
      }
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(`${op}: ragged nested array: expected length ${shape[depth]} at depth ${depth}`);
    }
    for (const e of v) walk(e, depth + 1);
  };
  walk(data, 0);
  const kind: DType = values.length > 0 && allBool ? "bool" : values.length > 0 && allInt ? "int32" : "float32";
  return { shape, values, kind };
}

/**
 * A tensor from nested arrays, a typed array or a number. Integers give int32, booleans bool,
 * anything else float32 (and `requiresGrad` implies float32), unless `dtype` says otherwise.
 *
 * @example
 * ```ts
 * import { tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const t = tensor([[1, 2], [3, 4]], { dtype: "float32" });
 * assert.deepEqual(t.shape, [2, 2]);
 * assert.deepEqual(await t.sum().item(), 10);
 * ```
 */
export function tensor(data: TensorData | Tensor, options: CreateOptions = {}): Tensor {
  if (data instanceof Tensor) {
    throw new TypeError("tensor: got a Tensor; use t.clone() or t.detach() to copy or share it");
  }
  const { shape, values, kind } = flattenData("tensor", data);
  const fallback = options.requiresGrad && !isFloat(kind) ? "float32" : kind;
  const { dtype, device } = resolve("tensor", options, fallback);
  if (dtype === "int32") checkInt32Range("tensor", values);
  return finish(fromHost(values, shape, dtype, device), options);
}

/**
 * Internal, for readers of host data (safetensors, datasets): a tensor of `shape` on `device`
 * holding `values` converted to `dtype`, with no checks (the caller validated shape and dtype).
 */
export function fromHost(values: ArrayLike<number>, shape: readonly number[], dtype: DType, device: Device): Tensor {
  return Tensor.fromStorage(backendFor(device).upload(values, dtype), shape, dtype, device);
}

/** A tensor of zeros (torch.zeros): `zeros([2, 3])`, `zeros(2, 3)` or `zeros(2, 3, { dtype })`. */
export function zeros(...args: ShapeArgs): Tensor {
  const { shape, options } = creationArgs<CreateOptions>("zeros", args);
  const { dtype, device } = resolve("zeros", options);
  const s = backendFor(device).zeros(numel(checkShape("zeros", shape)), dtype);
  return finish(Tensor.fromStorage(s, shape, dtype, device), options);
}

/** A tensor of ones (torch.ones); the shape as an array or as sizes, like {@link zeros}. */
export function ones(...args: ShapeArgs): Tensor {
  const { shape, options } = creationArgs<CreateOptions>("ones", args);
  return full(shape, 1, options);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const { dtype, device } = resolve("full", options);
  const s = backendFor(device).fill(numel(checkShape("full", shape)), value, dtype);
  return finish(Tensor.fromStorage(s, shape, dtype, device), options);
}

function likeOptions(x: Tensor, options: CreateOptions): CreateOptions {
  return { dtype: x.dtype, device: x.device, ...options };
}

/** Zeros with `x`'s shape, dtype and device. */
export function zerosLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return zeros(x.shape, likeOptions(x, options));
}

/** Ones with `x`'s shape, dtype and device. */
export function onesLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return full(x.shape, 1, likeOptions(x, options));
}

/** `value` with `x`'s shape, dtype and device. */
export function fullLike(x: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(x.shape, value, likeOptions(x, options));
}

/** `start, start+step, …` below `end` (int32 when all arguments are integers). */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (typeof step !== "number" || step === 0 || !Number.isFinite(step)) {
    throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  }
  if (![start, end].every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new RangeError(`arange: start and end must be finite numbers, got ${start}, ${end}`);
  }
  if ((end - start) * step < 0) {
    throw new RangeError(
      `arange: step ${step} points away from end ${end} (start ${start}); torch refuses this, give a step of the ` +
        `other sign`,
    );
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = [start, end, step].every(Number.isInteger);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return tensor(values, { dtype: allInt ? "int32" : "float32", ...options });
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  }
  const values = new Array<number>(steps);
  for (let i = 0; i < steps; i++) values[i] = steps === 1 ? start : start + (end - start) * i / (steps - 1);
  return tensor(values, { dtype: "float32", ...options });
}

/** Identity matrix `n × m`. */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  if (![n, m].every((k) => Number.isInteger(k) && k >= 0)) {
    throw new RangeError(`eye: sizes must be non-negative integers, got n=${n}, m=${m}`);
  }
  const values = new Array<number>(n * m).fill(0);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return reshape(tensor(values, { dtype: "float32", ...options }), [n, m]);
}

// ---- seeded random -----------------------------------------------------------------------

const generator = { seed: 0x2f6b6ff5, counter: 0 };

/**
 * Seeds every random function; the same seed gives the same numbers on every backend.
 *
 * @example
 * ```ts
 * import { manualSeed, rand } from "denograd";
 * import assert from "node:assert/strict";
 * manualSeed(7);
 * const a = await rand([4]).data();
 * manualSeed(7);
 * assert.deepEqual(await rand([4]).data(), a);
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new RangeError(`manualSeed: seed must be a finite number, got ${seed}`);
  const lo = seed >>> 0, hi = Math.floor(seed / 2 ** 32) >>> 0;
  generator.seed = (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
  generator.counter = 0;
}

function draw(kind: "uniform" | "normal", shape: readonly number[], op: string, options: CreateOptions): Tensor {
  const { dtype, device } = resolve(op, options);
  if (!isFloat(dtype)) throw new TypeError(`${op}: dtype must be a float type, got ${dtype}`);
  const n = numel(checkShape(op, shape));
  const draws = kind === "normal" ? 2 * n : n;
  let counter = generator.counter;
  const call = () => backendFor(device).random(kind, n, generator.seed, counter, dtype);
  // a compiled step's replay draws new numbers: it advances the counter and re-reads seed and counter
  const s = isTracing()
    ? withDynamicParams([{ index: 0, get: () => generator.seed }, { index: 1, get: () => counter }], call)
    : call();
  if (isTracing()) {
    onReplay(() => {
      counter = generator.counter;
      generator.counter = (generator.counter + draws) >>> 0;
    });
  }
  generator.counter = (generator.counter + draws) >>> 0;
  return finish(Tensor.fromStorage(s, shape, dtype, device), options);
}

/** Uniform samples in [0, 1) (torch.rand); the shape as an array or as sizes. */
export function rand(...args: ShapeArgs): Tensor {
  const { shape, options } = creationArgs<CreateOptions>("rand", args);
  return draw("uniform", shape, "rand", options);
}

/** Standard normal samples (torch.randn); the shape as an array or as sizes. */
export function randn(...args: ShapeArgs): Tensor {
  const { shape, options } = creationArgs<CreateOptions>("randn", args);
  return draw("normal", shape, "randn", options);
}

/** Uniform samples of `x`'s shape, dtype and device. */
export function randLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return rand(x.shape, { device: x.device, dtype: isFloat(x.dtype) ? x.dtype : "float32", ...options });
}

/** Normal samples of `x`'s shape, dtype and device. */
export function randnLike(x: Tensor, options: CreateOptions = {}): Tensor {
  return randn(x.shape, { device: x.device, dtype: isFloat(x.dtype) ? x.dtype : "float32", ...options });
}

/** Integers uniform in [low, high) as int32. */
export function randint(low: number, high: number, shape: readonly number[], options: CreateOptions = {}): Tensor {
  checkOptions("randint", options, CREATE_KEYS);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  const u = rand(shape, { device: options.device });
  const scaled = add(mul(u, high - low), low).floor();
  // guard the float rounding edge so values stay below high
  const clipped = binaryRaw("minimum", scaled, high - 1);
  return cast(clipped, checkDType("randint", options.dtype ?? "int32"));
}

/** 1 with probability `p` (a number or a tensor of probabilities), else 0, as float. */
export function bernoulli(p: Tensor | number, options: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  checkOptions("bernoulli", options, [...CREATE_KEYS, "shape"]);
  if (typeof p === "number") {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    const u = rand(options.shape ?? [], { device: options.device, dtype: options.dtype });
    return cast(compare("lt", u, p), u.dtype);
  }
  const u = rand(p.shape, { device: p.device, dtype: isFloat(p.dtype) ? p.dtype : "float32" });
  return cast(compare("lt", u, operand("bernoulli", p, u.dtype, u.device)), u.dtype);
}
