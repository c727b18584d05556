/**
 * The IMDB Large Movie Review Dataset (Maas et al., ACL 2011) in its own layout:
 * `aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`.
 * @module
 */
import { join } from "node:path";
import { checkIndex, Dataset } from "./dataset.ts";
import { absolute, downloadFile, type FetchOptions, removeQuietly } from "./_download.ts";
import { extractTarGz } from "./tar.ts";
import { permissionError } from "../_permission.ts";

/** One review. */
export interface ImdbItem {
  /** The raw review text (it may hold `<br />` tags, as in the download). */
  readonly text: string;
  /** 1 for a review under `pos/`, 0 under `neg/`. */
  readonly label: number;
  /** The star rating from the file name (`ID_RATING.txt`): 7–10 for pos, 1–4 for neg. */
  readonly rating: number;
  /** The review id from the file name. */
  readonly id: number;
}

/** Options of `IMDB`. */
export interface ImdbOptions extends FetchOptions {
  /** Folder holding `aclImdb/`, or the `aclImdb` folder itself. */
  root: string;
  /** "train" (default) or "test". */
  split?: "train" | "test";
  /** Download and extract the official archive into `root` when it is not there (default false). */
  download?: boolean;
  /** How many files are read at once (default 64). */
  concurrency?: number;
}

/** Where `download: true` fetches the dataset from. */
export const IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";
const MD5 = "7c2ac02c03563afcf9b574c7e56c153a";
const NAME = /^(\d+)_(\d+)\.txt$/;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw permissionError("IMDB", "read", path, e) ?? e;
  }
}

/** `<root>/aclImdb` or `root` when it holds `<split>/pos` and `<split>/neg`, else undefined. */
async function findBase(root: string, split: string): Promise<string | undefined> {
  for (const base of [join(root, "aclImdb"), root]) {
    if (await isDir(join(base, split, "pos")) && await isDir(join(base, split, "neg"))) return base;
  }
  return undefined;
}

/** Runs `fn` over `inputs` with at most `limit` calls in flight; results in input order. */
async function mapPool<T, R>(inputs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(inputs.length);
  let next = 0;
  async function worker() {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await fn(inputs[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return out;
}

async function downloadImdb(root: string, options: FetchOptions): Promise<void> {
  const archive = join(root, "aclImdb_v1.tar.gz");
  await downloadFile("IMDB", IMDB_URL, MD5, archive, join(root, "aclImdb"), options);
  try {
    await extractTarGz(archive, root);
  } finally {
    await removeQuietly(archive);
  }
}

/**
 * Reviews of one split of IMDB, as returned by `IMDB(options)`.
 *
 * @example
 * ```ts
 * import { data } from "denograd";
 * import assert from "node:assert/strict";
 * const ds = new data.IMDBDataset([{ text: "Great!", label: 1, rating: 9, id: 7 }]);
 * assert.equal(ds.length, 1);
 * assert.deepEqual(ds.labels(), [1]);
 * ```
 */
export class IMDBDataset extends Dataset<ImdbItem> {
  /** The `aclImdb` folder the reviews were read from. */
  readonly folder: string;
  readonly split: "train" | "test";
  /** All reviews, in dataset order. */
  readonly items: readonly ImdbItem[];

  /** Wraps reviews already read; `IMDB(options)` reads a folder. */
  constructor(items: readonly ImdbItem[], folder = "", split: "train" | "test" = "train") {
    super();
    this.items = items;
    this.folder = folder;
    this.split = split;
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): ImdbItem {
    checkIndex("IMDB.get", i, this.items.length);
    return this.items[i];
  }

  /** The review texts, in dataset order. */
  texts(): string[] {
    return this.items.map((r) => r.text);
  }

  /** The labels (1 pos, 0 neg), in dataset order. */
  labels(): number[] {
    return this.items.map((r) => r.label);
  }
}

/**
 * The IMDB reviews of one split, read eagerly (files in a bounded pool of parallel reads) in a
 * fixed order: `neg/` then `pos/`, each by review id. Item `i` is `{ text, label, rating, id }`
 * with `label` 1 for positive, 0 for negative.
 *
 * With `download: true` and no data under `root`, the official `aclImdb_v1.tar.gz` is fetched,
 * its published MD5 checked and the archive extracted into `root`; offline this fails at once
 * with an Error naming the URL and the folder to put the files in.
 *
 * @example
 * ```ts ignore
 * const train = await data.IMDB({ root: "../shared/data", split: "train" });
 * train.length; // 4000 for the subset, 25000 for the full download
 * const { text, label } = train.get(0);
 * ```
 */
export async function IMDB(options: ImdbOptions): Promise<IMDBDataset> {
  const { root, split = "train", download = false, concurrency = 64 } = options;
  if (typeof root !== "string" || root === "") throw new TypeError("IMDB: root must be a folder path");
  if (split !== "train" && split !== "test") {
    throw new RangeError(`IMDB: split must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  let base = await isDir(root) ? await findBase(root, split) : undefined;
  if (base === undefined && download) {
    await downloadImdb(root, options);
    base = await findBase(root, split);
  }
  if (base === undefined) {
    throw new Error(
      (await isDir(root)
        ? `IMDB: no aclImdb/${split}/pos and /neg under ${absolute(root)}`
        : `IMDB: root ${absolute(root)} does not exist`) +
        `; pass download: true, or extract ${IMDB_URL} there`,
    );
  }
  const files: { path: string; label: number; id: number; rating: number }[] = [];
  for (const [label, sub] of [[0, "neg"], [1, "pos"]] as const) {
    const dir = join(base, split, sub);
    const found: typeof files = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".txt")) continue;
      const m = NAME.exec(entry.name);
      if (!m) throw new Error(`IMDB: ${join(dir, entry.name)} is not named ID_RATING.txt`);
      found.push({ path: join(dir, entry.name), label, id: Number(m[1]), rating: Number(m[2]) });
    }
    found.sort((a, b) => a.id - b.id || a.rating - b.rating);
    files.push(...found);
  }
  const texts = await mapPool(files, Math.max(1, concurrency), (f) => Deno.readTextFile(f.path));
  const items = files.map((f, i) => ({ text: texts[i], label: f.label, rating: f.rating, id: f.id }));
  return new IMDBDataset(items, base, split);
}
