/**
 * Saving and loading state dicts in the safetensors format (https://github.com/huggingface/safetensors),
 * readable by PyTorch's `safetensors` package and the other way round.
 *
 * Layout: an 8-byte little-endian unsigned header length `N`; `N` bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { key: value } }`,
 * padded with spaces so that the data starts at a multiple of 8; then the raw little-endian
 * tensor bytes, offsets relative to the start of that data section.
 * @module
 */
import type { DType, HostArray } from "../backend/backend.ts";
import { numel } from "../backend/_view.ts";
import { Tensor } from "../tensor/tensor.ts";
import { type Device, deviceDTypes, getDefaultDevice } from "../tensor/device.ts";
import { DTYPE_BYTES } from "../tensor/dtype.ts";
import { fromHost } from "../tensor/ops_creation.ts";
import { withPermission } from "../_permission.ts";

/** The safetensors dtype code written for each denograd dtype (elements are stored as in its host array). */
const WRITE: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  bool: "BOOL",
};

/** Element sizes of the safetensors dtypes `load` reads (the others are converted, see `decode`). */
const READ_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("denograd safetensors: big-endian hosts are not supported");
}

/** Options of `save` and `saveBytes`. */
export interface SaveOptions {
  /** Free-form string pairs stored under `__metadata__`. */
  metadata?: Record<string, string>;
}

/** Options of `load` and `loadBytes`. */
export interface LoadOptions {
  /** Device of the returned tensors (default: the default device). */
  device?: Device;
}

interface Entry {
  name: string;
  tensor: Tensor;
  bytes: number;
}

/** The header bytes (length prefix included) and the tensors in data order. */
function plan(
  op: string,
  stateDict: Record<string, Tensor>,
  options: SaveOptions,
): { head: Uint8Array; entries: Entry[] } {
  if (stateDict === null || typeof stateDict !== "object") {
    throw new TypeError(`${op}: expected a state dict (an object of tensors), got ${stateDict}`);
  }
  const header: Record<string, unknown> = {};
  if (options.metadata) {
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(`${op}: metadata value of "${k}" must be a string, got ${typeof v}`);
      }
    }
    header.__metadata__ = options.metadata;
  }
  const entries: Entry[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(stateDict)) {
    if (name === "__metadata__" || name === "") throw new RangeError(`${op}: "${name}" cannot be a tensor name`);
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: "${name}" is not a Tensor (got ${typeof t})`);
    const code = WRITE[t.dtype];
    if (!code) throw new TypeError(`${op}: "${name}" has dtype ${t.dtype}, which safetensors cannot store here`);
    const bytes = t.size * DTYPE_BYTES[t.dtype];
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    entries.push({ name, tensor: t, bytes });
    offset += bytes;
  }
  let json = JSON.stringify(header);
  let body = new TextEncoder().encode(json);
  const pad = (8 - (body.length % 8)) % 8;
  if (pad) {
    json += " ".repeat(pad);
    body = new TextEncoder().encode(json);
  }
  const head = new Uint8Array(8 + body.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(body.length), true);
  head.set(body, 8);
  return { head, entries };
}

/** The bytes of one tensor as safetensors stores them. */
async function tensorBytes(op: string, e: Entry): Promise<Uint8Array> {
  const values: HostArray = await e.tensor.data();
  let out = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (e.tensor.dtype === "bool") out = out.map((v) => (v ? 1 : 0));
  if (out.byteLength !== e.bytes) {
    throw new Error(`${op}: "${e.name}" read back ${out.byteLength} bytes, expected ${e.bytes}`);
  }
  return out;
}

/**
 * Serialises a state dict to safetensors bytes in memory (see {@link save} for the format).
 *
 * @example
 * ```ts
 * import { loadBytes, saveBytes, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const bytes = await saveBytes({ w: tensor([1, 2, 3], { dtype: "float32" }) });
 * assert.deepEqual(await loadBytes(bytes).w.toArray(), [1, 2, 3]);
 * ```
 */
export async function saveBytes(stateDict: Record<string, Tensor>, options: SaveOptions = {}): Promise<Uint8Array> {
  const { head, entries } = plan("saveBytes", stateDict, options);
  const out = new Uint8Array(head.length + entries.reduce((n, e) => n + e.bytes, 0));
  out.set(head, 0);
  let at = head.length;
  for (const e of entries) {
    out.set(await tensorBytes("saveBytes", e), at);
    at += e.bytes;
  }
  return out;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * Writes `stateDict` to `path` in the safetensors format: tensors in key order as F32, F64,
 * I32 or BOOL, with optional string `metadata`. The write is atomic: the data goes to
 * `path + ".tmp-<random>"`, is flushed to disk, then renamed over `path`; on any error the
 * temporary file is removed and an existing `path` is left as it was.
 *
 * Needs `--allow-write` for the directory of `path`.
 *
 * @example
 * ```ts ignore
 * import { load, nn, save } from "denograd";
 * const model = new nn.Linear(4, 2);
 * await save(model.stateDict(), "model.safetensors");
 * model.loadStateDict(await load("model.safetensors"));
 * ```
 */
export async function save(
  stateDict: Record<string, Tensor>,
  path: string | URL,
  options: SaveOptions = {},
): Promise<void> {
  const { head, entries } = plan("save", stateDict, options);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  const tmp = path instanceof URL ? new URL(`${path.href}.tmp-${suffix}`) : `${path}.tmp-${suffix}`;
  let file: Deno.FsFile | null = await withPermission(
    "save",
    "write",
    path,
    () => Deno.open(tmp, { write: true, createNew: true }),
  );
  try {
    await writeAll(file, head);
    for (const e of entries) await writeAll(file, await tensorBytes("save", e));
    await file.sync();
    file.close();
    file = null;
    await Deno.rename(tmp, path);
  } catch (err) {
    file?.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Host values and denograd dtype for the raw little-endian bytes of one tensor. */
function decode(
  fail: (msg: string) => never,
  name: string,
  code: string,
  raw: Uint8Array,
  hasF64: boolean,
): { values: ArrayLike<number>; dtype: DType } {
  const buf = raw.slice().buffer; // aligned copy
  switch (code) {
    case "F32":
      return { values: new Float32Array(buf), dtype: "float32" };
    case "F64": {
      const v = new Float64Array(buf);
      return hasF64 ? { values: v, dtype: "float64" } : { values: Float32Array.from(v), dtype: "float32" };
    }
    case "F16":
      return { values: Float32Array.from(new Uint16Array(buf), halfToFloat), dtype: "float32" };
    case "BF16": {
      const bits = new Uint32Array(Uint32Array.from(new Uint16Array(buf), (h) => h << 16).buffer);
      return { values: new Float32Array(bits.buffer), dtype: "float32" };
    }
    case "I64": {
      const big = new BigInt64Array(buf);
      const out = new Int32Array(big.length);
      for (let i = 0; i < big.length; i++) {
        if (big[i] > 2147483647n || big[i] < -2147483648n) {
          fail(`"${name}" (I64) holds ${big[i]} at element ${i}, which does not fit in int32`);
        }
        out[i] = Number(big[i]);
      }
      return { values: out, dtype: "int32" };
    }
    case "I32":
      return { values: new Int32Array(buf), dtype: "int32" };
    case "I16":
      return { values: Int32Array.from(new Int16Array(buf)), dtype: "int32" };
    case "I8":
      return { values: Int32Array.from(new Int8Array(buf)), dtype: "int32" };
    case "U8":
      return { values: Int32Array.from(new Uint8Array(buf)), dtype: "int32" };
    case "BOOL":
      return { values: new Uint8Array(buf).map((v) => (v ? 1 : 0)), dtype: "bool" };
  }
  return fail(`"${name}" has unsupported dtype ${code}`);
}

/**
 * Parses safetensors bytes into tensors on `device` (see {@link load}); `source` names the
 * data in error messages.
 */
export function loadBytes(
  bytes: Uint8Array,
  options: LoadOptions & { source?: string } = {},
): Record<string, Tensor> {
  const source = options.source ?? "<bytes>";
  const fail = (msg: string): never => {
    throw new Error(`load: ${source}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`load: ${source}: expected a Uint8Array`);
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length; not a safetensors file`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(
      `header length ${n} exceeds the ${bytes.length - 8} bytes after the length field; truncated or not safetensors`,
    );
  }
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail("header must be a JSON object of tensor entries");
  }
  const device = options.device ?? getDefaultDevice();
  const hasF64 = deviceDTypes(device).includes("float64");
  const dataLength = bytes.length - dataStart;
  // validate everything before creating any tensor
  const parsed: { name: string; shape: number[]; values: ArrayLike<number>; dtype: DType }[] = [];
  let dataEnd = 0;
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null || typeof info !== "object" || Object.values(info).some((v) => typeof v !== "string")) {
        fail("__metadata__ must be an object of strings");
      }
      continue;
    }
    const entry = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (entry === null || typeof entry !== "object") fail(`entry "${name}" is not an object`);
    const { dtype: code, shape, data_offsets: offsets } = entry;
    if (typeof code !== "string") fail(`"${name}" has no dtype string`);
    const size = READ_BYTES[code as string];
    if (size === undefined) {
      fail(
        `"${name}" has unknown dtype ${JSON.stringify(code)}; expected one of ${Object.keys(READ_BYTES).join(", ")}`,
      );
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      fail(`"${name}" has an invalid shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(`"${name}" has invalid data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      fail(`"${name}" data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data section`);
    }
    const expected = numel(shape as number[]) * size;
    if (end - begin !== expected) {
      fail(
        `"${name}" has ${end - begin} bytes but shape [${shape}] of ${code} needs ${expected}`,
      );
    }
    if (end > begin) ranges.push({ name, begin, end });
    dataEnd = Math.max(dataEnd, end);
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    parsed.push({ name, shape: shape as number[], ...decode(fail, name, code as string, raw, hasF64) });
  }
  // the format gives each tensor its own bytes: overlapping ranges mean a corrupt or crafted file
  ranges.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const [p, q] = [ranges[i - 1], ranges[i]];
    if (q.begin < p.end) {
      fail(`"${q.name}" data_offsets [${q.begin}, ${q.end}] overlap those of "${p.name}" [${p.begin}, ${p.end}]`);
    }
  }
  if (dataEnd !== dataLength) {
    fail(
      `the header describes ${dataEnd} bytes of tensor data but the file has ${dataLength} after the header ` +
        `(${bytes.length} bytes in all); the file is damaged or was not written by a safetensors writer`,
    );
  }
  const out: Record<string, Tensor> = {};
  for (const p of parsed) {
    out[p.name] = fromHost(p.values, p.shape, p.dtype, device);
  }
  return out;
}

/**
 * Reads a safetensors file into tensors on the default device (or `options.device`).
 * F32, F64, I32 and BOOL load as float32, float64 (float32 where the device has no
 * float64), int32 and bool; F16 and BF16 convert to float32, I64/I16/I8/U8 to int32 (I64
 * values must fit). The header is verified against the file size before any tensor is
 * created: malformed files (a header length past the end, bad JSON, offsets outside the data
 * or not matching shape × dtype size, a data section longer or shorter than the header
 * describes — a truncated file — , unknown dtypes) throw an Error naming the file and the problem.
 *
 * @example
 * ```ts
 * import { load } from "denograd";
 * import assert from "node:assert/strict";
 * const state = await load(new URL("../../tests/fixtures/denograd_written.safetensors", import.meta.url));
 * assert.equal(state["extra.mask"].dtype, "bool");
 * ```
 */
export async function load(path: string | URL, options: LoadOptions = {}): Promise<Record<string, Tensor>> {
  const source = path instanceof URL
    ? (path.protocol === "file:" ? decodeURIComponent(path.pathname) : path.href)
    : path;
  const bytes = await withPermission("load", "read", path, () => Deno.readFile(path));
  return loadBytes(bytes, { ...options, source });
}
