/**
 * A small, safe tar reader for dataset archives (`.tar.gz` via `DecompressionStream`): header
 * checksums are verified, and no entry may land outside the extraction root.
 * @module
 */
import { absolute, dirname, exists, removeQuietly } from "./_download.ts";
import { withPermission } from "../_permission.ts";

/** One archive member. */
export interface TarEntry {
  /** Path inside the archive (with ustar prefix, GNU long names and pax `path` applied). */
  name: string;
  /** Kind of member. */
  type: "file" | "directory" | "symlink" | "hardlink" | "other";
  /** Target of a link (`""` otherwise). */
  linkName: string;
  /** Contents of a file (empty otherwise). */
  data: Uint8Array;
}

const BLOCK = 512;

class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Exactly `n` bytes, or null at a clean end of stream; throws if the stream ends mid-way. */
  async read(n: number, what: string): Promise<Uint8Array | null> {
    // collect chunks as they arrive rather than allocating `n` up front: `n` comes from an
    // untrusted header and may claim gigabytes that the archive does not hold
    const parts: Uint8Array[] = [];
    let filled = 0;
    while (filled < n) {
      if (this.#pos >= this.#buf.length) {
        const { value, done } = await this.#reader.read();
        if (done) {
          if (filled === 0) return null;
          throw new Error(`the archive ends in the middle of ${what}`);
        }
        this.#buf = value;
        this.#pos = 0;
      }
      const take = Math.min(n - filled, this.#buf.length - this.#pos);
      parts.push(this.#buf.slice(this.#pos, this.#pos + take));
      this.#pos += take;
      filled += take;
    }
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

const decoder = new TextDecoder();

function field(h: Uint8Array, start: number, len: number): string {
  const bytes = h.subarray(start, start + len);
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function octal(h: Uint8Array, start: number, len: number): number {
  if (h[start] & 0x80) {
    // GNU base-256 for large sizes
    let v = h[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + h[i];
    return v;
  }
  const s = field(h, start, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const text = decoder.decode(data);
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(" ", i);
    const len = parseInt(text.slice(i, space), 10);
    if (!(len > 0) || space < 0) break;
    const record = text.slice(space + 1, i + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * The members of a tar stream, in order. Throws an Error (prefixed with `source`) on a header
 * whose checksum does not match or a stream that ends inside a member.
 */
export async function* readTar(stream: ReadableStream<Uint8Array>, source: string): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(stream);
  let longName: string | null = null, longLink: string | null = null;
  let pax: Record<string, string> = {};
  try {
    while (true) {
      const header = await reader.read(BLOCK, "a header").catch((e) => {
        throw new Error(`${source}: ${e.message}`);
      });
      if (header === null || header.every((b) => b === 0)) return;
      const stored = octal(header, 148, 8);
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      if (stored !== sum) {
        throw new Error(`${source}: corrupt tar header (checksum ${stored}, computed ${sum}); the archive is damaged`);
      }
      const size = octal(header, 124, 12);
      if (!Number.isFinite(size)) throw new Error(`${source}: corrupt tar header (bad size field)`);
      const flag = String.fromCharCode(header[156] || 48);
      let name = field(header, 0, 100);
      const magic = field(header, 257, 6);
      if (magic.startsWith("ustar")) {
        const prefix = field(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      const data = size > 0 ? await reader.read(Math.ceil(size / BLOCK) * BLOCK, `member ${name}`) : null;
      if (size > 0 && data === null) throw new Error(`${source}: the archive ends in the middle of member ${name}`);
      const body = data ? data.subarray(0, size) : new Uint8Array(0);
      if (flag === "L") {
        longName = field(body, 0, body.length);
        continue;
      }
      if (flag === "K") {
        longLink = field(body, 0, body.length);
        continue;
      }
      if (flag === "x") {
        pax = parsePax(body);
        continue;
      }
      if (flag === "g") continue;
      const type: TarEntry["type"] = flag === "0" || flag === "7"
        ? "file"
        : flag === "5"
        ? "directory"
        : flag === "2"
        ? "symlink"
        : flag === "1"
        ? "hardlink"
        : "other";
      const entry: TarEntry = {
        name: pax.path ?? longName ?? name,
        type,
        linkName: pax.linkpath ?? longLink ?? field(header, 157, 100),
        data: body,
      };
      longName = longLink = null;
      pax = {};
      yield entry;
    }
  } finally {
    await reader.cancel();
  }
}

/**
 * `name` normalized to a relative path inside the extraction root, or an Error naming the
 * archive and the member when it is absolute or climbs out with `..`.
 */
export function safeRelativePath(name: string, source: string, what = "member"): string {
  if (name.includes("\0")) throw new Error(`${source}: ${what} ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.includes("\\")) {
    throw new Error(`${source}: ${what} ${JSON.stringify(name)} is an absolute path; refusing to extract`);
  }
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) {
        throw new Error(
          `${source}: ${what} ${JSON.stringify(name)} would escape the extraction root; refusing to extract`,
        );
      }
      parts.pop();
    } else {
      parts.push(p);
    }
  }
  return parts.join("/");
}

async function* walkFiles(dir: string, rel = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) yield* walkFiles(`${dir}/${e.name}`, r);
    else yield r;
  }
}

/**
 * Extracts a `.tar.gz` (or, with `{ gzip: false }`, a plain `.tar`) into `root`, safely: every
 * member is checked before anything is written (absolute paths, `..` escapes, and links whose
 * target leaves `root` are rejected with an Error naming the archive and member; so are corrupt
 * headers), members are first written into a temporary folder inside `root` and moved into
 * place only once the whole archive has been read, so a failure leaves nothing half-written.
 * Links whose target is a file inside the archive are materialized as copies of it, after all
 * files, so no member can be written through a link. Returns the relative paths extracted.
 *
 * @example
 * ```ts ignore
 * import { data } from "denograd";
 * await data.extractTarGz("downloads/cifar-10-binary.tar.gz", "datasets");
 * ```
 */
export async function extractTarGz(archive: string, root: string, options: { gzip?: boolean } = {}): Promise<string[]> {
  const source = absolute(archive);
  const temp = await withPermission("extractTarGz", "write", `${root}/.denograd-extract`, async () => {
    await Deno.mkdir(root, { recursive: true });
    return await Deno.makeTempDir({ dir: root, prefix: ".denograd-extract-" });
  });
  const links: { rel: string; type: "symlink" | "hardlink"; target: string }[] = [];
  const extracted: string[] = [];
  try {
    const file = await withPermission("extractTarGz", "read", archive, () => Deno.open(archive, { read: true }));
    const stream = options.gzip === false ? file.readable : file.readable.pipeThrough(new DecompressionStream("gzip"));
    try {
      for await (const entry of readTar(stream, source)) {
        const rel = safeRelativePath(entry.name, source);
        if (rel === "") continue;
        if (entry.type === "directory") {
          await Deno.mkdir(`${temp}/${rel}`, { recursive: true });
        } else if (entry.type === "file") {
          await Deno.mkdir(dirname(`${temp}/${rel}`), { recursive: true });
          await Deno.writeFile(`${temp}/${rel}`, entry.data);
          extracted.push(rel);
        } else if (entry.type === "symlink" || entry.type === "hardlink") {
          const base = entry.type === "symlink" ? dirname(rel) : ".";
          if (entry.linkName.startsWith("/")) {
            throw new Error(`${source}: ${entry.type} ${rel} points to the absolute path ${entry.linkName}; refusing`);
          }
          const target = safeRelativePath(`${base}/${entry.linkName}`, source, `${entry.type} ${rel} ->`);
          links.push({ rel, type: entry.type, target });
        } else {
          throw new Error(`${source}: member ${rel} is a device, FIFO or other special file; refusing to extract`);
        }
      }
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (msg.startsWith(source)) throw e;
      throw new Error(
        `${source}: could not read the archive (${msg}); is it a complete ${
          options.gzip === false ? "tar" : "tar.gz"
        }?`,
        {
          cause: e,
        },
      );
    }
    for (const link of links) {
      await Deno.mkdir(dirname(`${temp}/${link.rel}`), { recursive: true });
      const target = `${temp}/${link.target}`;
      if (!(await exists(target)) || !(await Deno.lstat(target)).isFile) {
        throw new Error(
          `${source}: ${link.type} ${link.rel} points to ${link.target}, which is not a file in the archive`,
        );
      }
      await Deno.copyFile(target, `${temp}/${link.rel}`);
      extracted.push(link.rel);
    }
    for await (const rel of walkFiles(temp)) {
      await Deno.mkdir(dirname(`${root}/${rel}`), { recursive: true });
      await Deno.rename(`${temp}/${rel}`, `${root}/${rel}`);
    }
    return extracted;
  } finally {
    await removeQuietly(temp);
  }
}
