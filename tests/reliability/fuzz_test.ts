/**
 * Seeded mutation fuzzer for the readers of untrusted files: safetensors (`loadBytes`), CIFAR-10,
 * IDX/MNIST, aclImdb, the tar extractor and the BERT vocab reader. Each case must either succeed or
 * throw an `Error` (not a TypeError/RangeError/non-Error) whose message names the file or the
 * reader, finish within a time limit, not grow external (ArrayBuffer) memory far beyond the input
 * size, and — for the tar extractor — never create anything outside the target folder.
 *
 * `FUZZ_CASES` (default 150) is the number of cases per reader; `FUZZ_SEED` picks the seed (printed);
 * `FUZZ_VERBOSE=1` prints every rejection message.
 */
import assert from "node:assert/strict";
import { data, loadBytes, saveBytes, tensor } from "../../mod.ts";
import { concatBytes, rng } from "../_helpers.ts";

const TMP = new URL("../.tmp", import.meta.url).pathname;
const CASES = Math.max(1, Number(Deno.env.get("FUZZ_CASES") ?? 150) | 0);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed1e) >>> 0;
const CASE_MS = 5000;
const MB = 1 << 20;
console.log(`fuzz_test: seed ${SEED} (FUZZ_SEED), ${CASES} cases per reader (FUZZ_CASES)`);

/** The draws a case makes, all from one seeded stream. */
function draws(seed: number) {
  const next = rng(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    chance: (p: number) => next() < p,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => int(256)),
  };
}
type Rng = ReturnType<typeof draws>;

/** `bytes` with 1..8 random bytes replaced (from `from` on). */
function flip(r: Rng, bytes: Uint8Array, from = 0): Uint8Array {
  const out = bytes.slice();
  if (out.length <= from) return out;
  for (let k = 1 + r.int(8); k > 0; k--) out[from + r.int(out.length - from)] = r.int(256);
  return out;
}

/** Truncated, extended with random bytes, or byte-flipped. */
function damage(r: Rng, bytes: Uint8Array): Uint8Array {
  const how = r.int(3);
  if (how === 0) return bytes.slice(0, r.int(bytes.length + 1));
  if (how === 1) return concatBytes([bytes, r.bytes(1 + r.int(64))]);
  return flip(r, bytes);
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function listAll(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(e.isSymlink ? `${r} (symlink)` : r);
    if (e.isDirectory) out.push(...await listAll(`${dir}/${e.name}`, r));
  }
  return out.sort();
}

/** Outcomes of the cases run by the current `fuzz` call, printed per reader. */
const tally = { ok: 0, error: 0 };

/**
 * Runs one case and returns a failure description, or null when the properties hold: success or
 * a plain `Error` naming one of `names`, within CASE_MS, external memory growth bounded by the input.
 */
async function runCase(
  what: string,
  names: string[],
  inputBytes: number,
  fn: () => Promise<unknown>,
): Promise<string | null> {
  const before = Deno.memoryUsage().external;
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((res) => timer = setTimeout(() => res("timeout"), CASE_MS));
  let outcome: { ok: true } | { ok: false; e: unknown } | "timeout";
  try {
    outcome = await Promise.race([
      fn().then(() => ({ ok: true as const }), (e) => ({ ok: false as const, e })),
      timeout,
    ]);
  } catch (e) {
    outcome = { ok: false, e }; // synchronous throw
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  const grown = Deno.memoryUsage().external - before;
  if (outcome === "timeout" || ms > CASE_MS) return `${what}: no result after ${ms.toFixed(0)} ms (hang)`;
  if (grown > 32 * MB + 64 * inputBytes) {
    return `${what}: external memory grew ${(grown / MB).toFixed(1)} MB for a ${inputBytes}-byte input`;
  }
  tally[outcome.ok ? "ok" : "error"]++;
  if (Deno.env.get("FUZZ_VERBOSE") && !outcome.ok) console.log(what, "->", (outcome.e as Error)?.message);
  if (outcome.ok) return null;
  const e = outcome.e;
  if (!(e instanceof Error)) return `${what}: threw a non-Error ${String(e)}`;
  if (e instanceof TypeError || e instanceof RangeError) return `${what}: threw ${e.name}: ${e.message}`;
  if (!names.some((n) => e.message.includes(n))) {
    return `${what}: message names neither the file nor the reader (${names.join(", ")}): ${e.message}`;
  }
  return null;
}

/** Runs `cases` generated cases for one reader under a fresh tests/.tmp folder, then asserts no failures. */
async function fuzz(
  reader: string,
  salt: number,
  one: (r: Rng, dir: string, i: number) => Promise<string | null>,
): Promise<void> {
  await Deno.mkdir(TMP, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: TMP, prefix: `fuzz_${reader}_` });
  const failures: string[] = [];
  tally.ok = tally.error = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < CASES; i++) {
      const r = draws(SEED ^ Math.imul(salt, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
      const caseDir = `${dir}/c${i}`;
      await Deno.mkdir(caseDir);
      const f = await one(r, caseDir, i);
      if (f) failures.push(`case ${i}: ${f}`);
      await Deno.remove(caseDir, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `${reader}: ${CASES} cases (${tally.ok} loaded, ${tally.error} rejected with an Error), ` +
      `${failures.length} failures, ${(performance.now() - t0).toFixed(0)} ms`,
  );
  assert.deepEqual(failures, [], `${reader} fuzz (seed ${SEED}) failures:\n${failures.join("\n")}`);
}

// ---------------------------------------------------------------- safetensors

const WEIRD_NUMBERS = [-1, 0.5, 2 ** 40, 2 ** 53, 2 ** 64, 1e308, -0, NaN, "3", null, true, [], {}];

async function safetensorsBase(r: Rng): Promise<Uint8Array> {
  const n = 1 + r.int(5);
  const dict = {
    w: tensor(Array.from({ length: n * 2 }, (_, k) => k * 0.5), { dtype: "float32", device: "cpu" }).reshape([n, 2]),
    i: tensor(Array.from({ length: n }, (_, k) => k - 2), { dtype: "int32", device: "cpu" }),
    m: tensor(Array.from({ length: n }, (_, k) => k % 2 === 0), { dtype: "bool", device: "cpu" }),
  };
  return await saveBytes(dict, r.chance(0.5) ? { metadata: { format: "pt" } } : {});
}

function withHeader(header: unknown, rest: Uint8Array): Uint8Array {
  let body: Uint8Array = new TextEncoder().encode(JSON.stringify(header) ?? "undefined");
  body = concatBytes([body, new TextEncoder().encode(" ".repeat((8 - body.length % 8) % 8))]);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(body.length), true);
  return concatBytes([head, body, rest]);
}

function mutateSafetensors(r: Rng, base: Uint8Array): { bytes: Uint8Array; how: string } {
  const n = Number(new DataView(base.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + n)));
  const rest = base.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const name = r.pick(names);
  const entry = header[name];
  switch (r.int(10)) {
    case 0: {
      const len = r.pick([
        0n,
        1n,
        BigInt(n - 1),
        BigInt(n + 1),
        BigInt(base.length),
        2n ** 40n,
        2n ** 63n,
        2n ** 64n - 1n,
      ]);
      const out = base.slice();
      new DataView(out.buffer).setBigUint64(0, len, true);
      return { bytes: out, how: `header length ${len}` };
    }
    case 1: {
      entry.dtype = r.pick(["F8", "", "f32", "I64", "F16", "BF16", "U8", "F64", 5, null, "__proto__", "toString"]);
      return { bytes: withHeader(header, rest), how: `dtype ${JSON.stringify(entry.dtype)}` };
    }
    case 2: {
      entry.shape = r.pick([
        [2 ** 40],
        [2 ** 20, 2 ** 20, 2 ** 20],
        [-1],
        [1.5],
        ["2"],
        null,
        [],
        [0],
        [2 ** 53, 2 ** 53],
        [1e308, 1e308],
        { length: 2 },
        Array(20).fill(2 ** 31),
      ]);
      return { bytes: withHeader(header, rest), how: `shape ${JSON.stringify(entry.shape)}` };
    }
    case 3: {
      const [b, e] = entry.data_offsets;
      entry.data_offsets = r.pick([
        [r.pick(WEIRD_NUMBERS), e],
        [b, r.pick(WEIRD_NUMBERS)],
        [e, b],
        [0, 2 ** 40],
        [b],
        [b, e, e],
        "0,4",
        null,
        [b + 1, e + 1],
        [0, 0],
      ]);
      return { bytes: withHeader(header, rest), how: `data_offsets ${JSON.stringify(entry.data_offsets)}` };
    }
    case 4: {
      const k = r.int(4);
      if (k === 0) header[name] = r.pick([null, 1, "x", [], [1, 2]]);
      else if (k === 1) delete entry[r.pick(["dtype", "shape", "data_offsets"])];
      else if (k === 2) header.__metadata__ = r.pick([null, 1, "x", { a: 1 }, { a: null }, []]);
      else header[r.pick(["__proto__", "", "constructor", "a".repeat(1000), "\u0000"])] = { ...entry };
      return { bytes: withHeader(header, rest), how: `entry ${JSON.stringify(header[name])}` };
    }
    case 5: {
      const h = r.pick([null, 1, "x", [], [entry], true]);
      return { bytes: withHeader(h, rest), how: `header ${JSON.stringify(h)}` };
    }
    case 6:
      return { bytes: flip(r, base, 8), how: "byte flips" };
    case 7:
      return { bytes: flip(r, base.slice(0, 8 + n), 8), how: "JSON byte flips" };
    case 8: {
      const cut = r.int(base.length + 1);
      return r.chance(0.5)
        ? { bytes: base.slice(0, cut), how: `truncated to ${cut}` }
        : { bytes: concatBytes([base, r.bytes(1 + r.int(40))]), how: "extended" };
    }
    default: {
      const raw = r.chance(0.5)
        ? r.bytes(r.int(64))
        : concatBytes([new Uint8Array([r.int(256), 0, 0, 0, 0, 0, 0, 0]), r.bytes(r.int(300))]);
      return { bytes: raw, how: "random bytes" };
    }
  }
}

Deno.test("the safetensors reader survives mutated headers, offsets, dtypes, shapes and bytes", async () => {
  await fuzz("safetensors", 1, async (r, _dir, i) => {
    const { bytes, how } = mutateSafetensors(r, await safetensorsBase(r));
    const source = `fuzz_${i}.safetensors`;
    return await runCase(`loadBytes (${how})`, [source], bytes.length, () => {
      const out = loadBytes(bytes, { device: "cpu", source });
      for (const t of Object.values(out)) t.dispose?.();
      return Promise.resolve();
    });
  });
});

// ---------------------------------------------------------------- CIFAR-10

Deno.test("the CIFAR-10 reader survives random sizes, labels and bytes", async () => {
  await fuzz("cifar", 2, async (r, dir) => {
    const folder = `${dir}/cifar-10-batches-bin`;
    await Deno.mkdir(folder);
    const train = r.chance(0.7);
    const files = train ? 1 + r.int(3) : 1;
    let total = 0;
    for (let f = 0; f < files; f++) {
      const records = r.int(3);
      const size = r.chance(0.5) ? records * 3073 : r.int(3 * 3073);
      const bytes = r.bytes(size);
      if (r.chance(0.6)) { for (let k = 0; k < size; k += 3073) bytes[k] = r.int(10); }
      total += size;
      const name = train ? r.pick([`data_batch_${f + 1}.bin`, `data_batch_${"9".repeat(30)}.bin`]) : "test_batch.bin";
      await Deno.writeFile(`${folder}/${name}`, bytes);
    }
    if (r.chance(0.3)) await Deno.writeFile(`${folder}/batches.meta.txt`, r.bytes(r.int(200)));
    if (r.chance(0.1)) await Deno.mkdir(`${folder}/data_batch_7.bin`);
    return await runCase(`CIFAR10 (train ${train})`, ["CIFAR10", folder], total, async () => {
      const ds = await data.CIFAR10({ root: dir, train });
      for (let k = 0; k < ds.length; k++) ds.get(k);
    });
  });
});

// ---------------------------------------------------------------- IDX / MNIST

function idx(shape: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  head.set([0, 0, 8, shape.length]);
  const v = new DataView(head.buffer);
  shape.forEach((d, k) => v.setUint32(4 + 4 * k, d >>> 0, false));
  return concatBytes([head, body]);
}

function mutateIdx(r: Rng, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  switch (r.int(5)) {
    case 0:
      out[r.int(4)] = r.int(256); // magic
      return out;
    case 1:
      out[3] = r.pick([0, 1, 2, 3, 4, 255]); // dims
      return out;
    case 2: {
      const v = new DataView(out.buffer);
      const k = r.int(Math.max(1, out[3]));
      if (4 + 4 * k + 4 <= out.length) v.setUint32(4 + 4 * k, r.pick([0, 1, 0xffffffff, 0x7fffffff, 65536, 2]), false);
      return out;
    }
    default:
      return damage(r, bytes);
  }
}

Deno.test("the IDX/MNIST readers survive bad magic, dims, counts and gzip corruption", async () => {
  await fuzz("mnist", 3, async (r, dir) => {
    const n = r.int(4), h = 1 + r.int(4), w = 1 + r.int(4);
    const m = r.chance(0.3) ? n + 1 : n;
    let images = idx([n, h, w], r.bytes(n * h * w));
    let labels = idx([m], r.bytes(m));
    if (r.chance(0.7)) images = mutateIdx(r, images);
    else labels = mutateIdx(r, labels);
    const gz = r.chance(0.5);
    if (gz) {
      images = await gzip(images);
      labels = await gzip(labels);
      if (r.chance(0.6)) images = r.chance(0.5) ? damage(r, images) : flip(r, images, 10);
    }
    const ext = gz ? ".gz" : "";
    const imagePath = `${dir}/train-images-idx3-ubyte${ext}`;
    await Deno.writeFile(imagePath, images);
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte${ext}`, labels);
    const size = images.length + labels.length;
    const names = ["MNIST", dir];
    const a = await runCase("readIdx", [imagePath], size, () => data.readIdx(imagePath, r.pick([undefined, 3])));
    return a ?? await runCase("MNIST", names, size, async () => {
      const ds = await data.MNIST({ root: dir });
      for (let k = 0; k < ds.length; k++) ds.get(k);
    });
  });
});

// ---------------------------------------------------------------- aclImdb

const IMDB_NAMES = [
  "1_7.txt",
  "2_3.txt",
  "abc.txt",
  "1.txt",
  "_7.txt",
  "1_.txt",
  "3_7.txt.txt",
  "\uff11_\uff17.txt",
  "1_7 .txt",
  "line\nbreak_1.txt",
  "..txt",
  ".txt",
  "99999999999999999999999_10.txt",
  "4_4.TXT",
  "notes",
  "5_-1.txt",
  "\u00e9t\u00e9_8.txt",
];

Deno.test("the aclImdb reader survives weird names, non-UTF-8 and empty files", async () => {
  await fuzz("imdb", 4, async (r, dir) => {
    let size = 0;
    for (const sub of ["pos", "neg"]) {
      const folder = `${dir}/aclImdb/train/${sub}`;
      await Deno.mkdir(folder, { recursive: true });
      for (let k = r.int(4); k > 0; k--) {
        const name = r.pick(IMDB_NAMES);
        const body = r.pick([new Uint8Array(0), r.bytes(r.int(100)), new TextEncoder().encode("Great <br /> film")]);
        size += body.length;
        if (r.chance(0.1)) await Deno.mkdir(`${folder}/${name}`).catch(() => {});
        else await Deno.writeFile(`${folder}/${name}`, body).catch(() => {}); // may already be a folder
      }
    }
    return await runCase("IMDB", ["IMDB"], size, () => data.IMDB({ root: dir, concurrency: 1 + r.int(4) }));
  });
});

// ---------------------------------------------------------------- tar

interface Member {
  name: string;
  type?: string;
  link?: string;
  data?: Uint8Array;
  prefix?: string;
}

function tarHeader(m: Member, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, at: number, len: number) => h.set(new TextEncoder().encode(s).subarray(0, len), at);
  put(m.name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(size.toString(8).padStart(11, "0") + "\0", 124, 12);
  put("00000000000\0", 136, 12);
  h[156] = (m.type ?? "0").charCodeAt(0);
  put(m.link ?? "", 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  put(m.prefix ?? "", 345, 155);
  fixChecksum(h);
  return h;
}

function fixChecksum(h: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
}

function tar(members: Member[]): { bytes: Uint8Array; headers: number[] } {
  const parts: Uint8Array[] = [];
  const headers: number[] = [];
  let at = 0;
  for (const m of members) {
    const body = m.data ?? new Uint8Array(0);
    headers.push(at);
    parts.push(tarHeader(m, body.length));
    const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
    padded.set(body);
    parts.push(padded);
    at += 512 + padded.length;
  }
  parts.push(new Uint8Array(1024));
  return { bytes: concatBytes(parts), headers };
}

function paxRecord(key: string, value: string): Uint8Array {
  const rec = ` ${key}=${value}\n`;
  let len = rec.length + 1;
  while (`${len}${rec}`.length !== len) len++;
  return new TextEncoder().encode(`${len}${rec}`);
}

function tarMembers(r: Rng, parent: string): Member[] {
  const text = (s: string) => new TextEncoder().encode(s);
  const evil = [
    "../escape",
    "a/../../escape",
    `${parent}/abs-escape`,
    "/tmp/denograd-fuzz-abs",
    "./../escape",
    "a/./../../../escape",
    "C:/escape",
    "a\\..\\..\\escape",
    "ok/file",
    "nul\0name",
  ];
  const members: Member[] = [
    { name: "data/", type: "5" },
    { name: "data/a.txt", data: text("hello") },
    { name: "data/b.bin", data: r.bytes(r.int(1200)) },
  ];
  for (let k = r.int(3); k > 0; k--) {
    switch (r.int(7)) {
      case 0:
        members.push({ name: r.pick(evil), data: text("x") });
        break;
      case 1:
        members.push({ name: `data/ln${k}`, type: "2", link: r.pick([...evil, "a.txt", "../../../escape", "."]) });
        break;
      case 2:
        members.push({ name: `data/hl${k}`, type: "1", link: r.pick([...evil, "data/a.txt", "data", "data/ln1"]) });
        break;
      case 3: {
        const name = r.pick(evil);
        members.push({ name: "././@LongLink", type: r.pick(["L", "K"]), data: text(name) });
        members.push({ name: `data/long${k}`, type: r.pick(["0", "2"]), link: "a.txt", data: text("y") });
        break;
      }
      case 4:
        members.push({ name: "pax", type: "x", data: paxRecord(r.pick(["path", "linkpath"]), r.pick(evil)) });
        members.push({ name: `data/pax${k}`, type: r.pick(["0", "1", "2"]), link: "data/a.txt", data: text("z") });
        break;
      case 5:
        members.push({ name: `x${k}`, prefix: r.pick(["..", "/abs", "data", "a/../.."]), data: text("p") });
        break;
      default:
        members.push({ name: r.pick(["data/dev", "data/a.txt/inner", "data"]), type: r.pick(["3", "4", "6", "0"]) });
    }
  }
  return members;
}

function mutateTar(r: Rng, t: { bytes: Uint8Array; headers: number[] }): { bytes: Uint8Array; how: string } {
  const out = t.bytes.slice();
  const at = r.pick(t.headers);
  switch (r.int(6)) {
    case 0: // random header bytes, checksum fixed so parsing goes deeper
      for (let k = 1 + r.int(6); k > 0; k--) out[at + r.int(512)] = r.int(256);
      fixChecksum(out.subarray(at, at + 512));
      return { bytes: out, how: "header flips (checksum fixed)" };
    case 1: { // size field
      const size = out.subarray(at + 124, at + 136);
      const k = r.int(3);
      if (k === 0) size.set(new TextEncoder().encode("77777777777\0"));
      else if (k === 1) size.set([0x80, ...Array(11).fill(0xff)]);
      else size.set([0xff, ...Array(11).fill(0xff)]);
      fixChecksum(out.subarray(at, at + 512));
      return { bytes: out, how: `size field ${k}` };
    }
    case 2:
      out[at + 148 + r.int(8)] ^= 1 + r.int(255);
      return { bytes: out, how: "checksum" };
    case 3:
      return { bytes: out.slice(0, r.int(out.length)), how: "truncated" };
    case 4:
      return { bytes: flip(r, out), how: "byte flips" };
    default:
      return { bytes: out, how: "unchanged" };
  }
}

Deno.test("the tar extractor survives damaged archives and never writes outside its root", async () => {
  await fuzz("tar", 5, async (r, dir) => {
    const abs = await Deno.realPath(dir);
    const t = tar(tarMembers(r, abs));
    let { bytes, how } = mutateTar(r, t);
    const gz = r.chance(0.5);
    if (gz) {
      bytes = await gzip(bytes);
      if (r.chance(0.3)) {
        bytes = r.chance(0.5) ? bytes.slice(0, r.int(bytes.length)) : flip(r, bytes, 10);
        how += ", gzip damaged";
      }
    }
    const archive = `${dir}/a.tar${gz ? ".gz" : ""}`;
    await Deno.writeFile(archive, bytes);
    const before = await listAll(dir);
    const root = `${dir}/root`;
    const fail = await runCase(
      `extractTarGz (${how})`,
      [abs, "a.tar"],
      bytes.length,
      () => data.extractTarGz(archive, root, { gzip: gz }),
    );
    if (fail) return fail;
    const outside = (await listAll(dir)).filter((p) => !p.startsWith("root/") && p !== "root" && !before.includes(p));
    if (outside.length > 0) return `extractTarGz (${how}) created ${outside.join(", ")} outside its root`;
    for (const p of ["/tmp/denograd-fuzz-abs", `${TMP}/escape`, `${TMP}/abs-escape`]) {
      if (await Deno.lstat(p).then(() => true, () => false)) return `extractTarGz (${how}) wrote ${p}`;
    }
    const links = (await Deno.stat(root).then(() => listAll(root), () => [])).filter((p) => p.endsWith("(symlink)"));
    if (links.length > 0) return `extractTarGz (${how}) left symlinks ${links.join(", ")} in its root`;
    return null;
  });
});

// ---------------------------------------------------------------- vocab

Deno.test("the BERT vocab reader survives empty, binary and huge vocab files", async () => {
  await fuzz("vocab", 6, async (r, dir) => {
    const good = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", "!"];
    const enc = new TextEncoder();
    let bytes: Uint8Array;
    switch (r.int(6)) {
      case 0:
        bytes = r.pick([new Uint8Array(0), enc.encode("\n"), enc.encode("\r\n\r\n")]);
        break;
      case 1:
        bytes = r.bytes(r.int(400));
        break;
      case 2:
        bytes = enc.encode(good.filter(() => r.chance(0.7)).join(r.pick(["\n", "\r\n"])));
        break;
      case 3:
        bytes = enc.encode([...good, "x".repeat(r.pick([1000, 200_000])), "##" + "\u00e9".repeat(500)].join("\n"));
        break;
      case 4:
        bytes = flip(r, enc.encode("\ufeff" + good.join("\n") + "\n"));
        break;
      default:
        bytes = enc.encode([...good, "", "\0", "[UNK]", "a\tb", "\u{1F600}"].join("\n"));
    }
    const path = `${dir}/vocab.txt`;
    await Deno.writeFile(path, bytes);
    return await runCase("BertTokenizer.fromVocab", ["BertTokenizer", path], bytes.length, async () => {
      const tok = await data.BertTokenizer.fromVocab(path);
      tok.tokenize("Unaffable! the " + "x".repeat(300));
      tok.encode("the un", "able", { maxLength: 8, padding: tok.padTokenId >= 0 ? "maxLength" : false });
    });
  });
});
