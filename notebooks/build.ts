/**
 * Builds `notebooks/NN_name.ipynb` from the TypeScript source `notebooks/src/NN_name.ts`.
 *
 * A source is plain TypeScript (type-checked with `deno check`) split into cells by marker lines:
 *
 * ```ts
 * // %% [markdown]
 * // # A title
 * // Markdown text, each line behind `// `.
 * // %%
 * const x = tensor([1, 2, 3]); // a code cell, up to the next marker
 * ```
 *
 * Lines before the first marker (a file header, lint directives) are not part of the notebook. The
 * notebook is nbformat 4.5 with the `deno` kernelspec; cell ids are derived from the cell's source, and a
 * code cell whose source is unchanged keeps the outputs it has in the existing `.ipynb`. The file is
 * only rewritten when its content changes.
 *
 * Usage: `deno run --allow-read=notebooks --allow-write=notebooks notebooks/build.ts [NAME...]`
 * (`deno task notebooks` builds before it runs).
 *
 * @module
 */

/** One notebook cell, as nbformat 4.5 stores it. */
export interface Cell {
  cell_type: "markdown" | "code";
  id: string;
  metadata: Record<string, unknown>;
  source: string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

/** A notebook, as nbformat 4.5 stores it. */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: 4;
  nbformat_minor: number;
}

const MARKER = /^\/\/ %%(?:\s+\[(markdown|code)\])?\s*$/;

/** The notebook-level metadata every built notebook carries (the kernel is Deno's). */
export const NOTEBOOK_METADATA = {
  kernelspec: { display_name: "Deno", language: "typescript", name: "deno" },
  language_info: {
    codemirror_mode: "typescript",
    file_extension: ".ts",
    mimetype: "text/x.typescript",
    name: "typescript",
    nbconvert_exporter: "script",
    pygments_lexer: "typescript",
  },
};

/** Splits a cell's text into nbformat's list of lines (each but the last ending in "\n"). */
function toLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  return lines.map((line, i) => i < lines.length - 1 ? line + "\n" : line);
}

/** Trims blank lines at both ends of a list of lines. */
function trimBlank(lines: string[]): string[] {
  let a = 0, b = lines.length;
  while (a < b && lines[a].trim() === "") a++;
  while (b > a && lines[b - 1].trim() === "") b--;
  return lines.slice(a, b);
}

/** FNV-1a hash of a string, as 8 hex digits (used for stable cell ids). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * Parses a notebook source into cells (without outputs).
 *
 * @param source the text of `notebooks/src/NN_name.ts`
 * @param name the file name, for error messages
 * @throws {SyntaxError} when a markdown cell has a line that is not a `//` comment, or no marker exists
 */
export function parseSource(source: string, name = "source"): Cell[] {
  const lines = source.replace(/\r\n/g, "\n").split("\n");
  const cells: Cell[] = [];
  const seen = new Map<string, number>();
  let kind: "markdown" | "code" | null = null;
  let body: string[] = [];
  let startLine = 0;
  const flush = () => {
    if (kind === null) return;
    let text: string[] = trimBlank(body);
    if (kind === "markdown") {
      text = text.map((line, i) => {
        if (line === "//") return "";
        if (line.startsWith("// ")) return line.slice(3);
        throw new SyntaxError(
          `${name}:${startLine + 1 + i}: markdown cell line must start with "// ", got ${JSON.stringify(line)}`,
        );
      });
    }
    if (text.length === 0) return;
    const joined = text.join("\n");
    const n = (seen.get(joined) ?? 0) + 1;
    seen.set(joined, n);
    const cell: Cell = { cell_type: kind, id: hash(`${kind}\n${joined}\n${n}`), metadata: {}, source: toLines(joined) };
    if (kind === "code") Object.assign(cell, { execution_count: null, outputs: [] });
    cells.push(cell);
  };
  lines.forEach((line, i) => {
    const m = line.match(MARKER);
    if (m) {
      flush();
      kind = m[1] === "markdown" ? "markdown" : "code";
      body = [];
      startLine = i + 1;
    } else if (kind !== null) {
      body.push(line);
    }
  });
  flush();
  if (cells.length === 0) throw new SyntaxError(`${name}: no "// %%" cell markers found`);
  return cells;
}

/**
 * Builds a notebook from cells, keeping the outputs of unchanged code cells from `previous`.
 *
 * A code cell keeps the outputs and execution count of the previous notebook's code cell with the
 * same source (first unused match), so editing one cell leaves the others' results in place.
 */
export function assemble(cells: Cell[], previous?: Notebook): Notebook {
  const pool = new Map<string, Cell[]>();
  for (const old of previous?.cells ?? []) {
    if (old.cell_type !== "code") continue;
    const key = old.source.join("");
    pool.set(key, [...(pool.get(key) ?? []), old]);
  }
  const out = cells.map((cell) => {
    if (cell.cell_type !== "code") return cell;
    const old = pool.get(cell.source.join(""))?.shift();
    return old ? { ...cell, execution_count: old.execution_count ?? null, outputs: old.outputs ?? [] } : cell;
  });
  const metadata = { ...previous?.metadata, ...NOTEBOOK_METADATA, ...pick(previous?.metadata, "language_info") };
  return { cells: out, metadata, nbformat: 4, nbformat_minor: 5 };
}

/** `{ [key]: obj[key] }` when obj has key, else `{}`. */
function pick(obj: Record<string, unknown> | undefined, key: string): Record<string, unknown> {
  return obj && key in obj ? { [key]: obj[key] } : {};
}

/** Serializes like Jupyter does (sorted keys, one-space indent, trailing newline). */
export function serialize(nb: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(nb), null, 1) + "\n";
}

/** Deep equality of two JSON values. */
function sameJson(a: unknown, b: unknown): boolean {
  return serialize(a) === serialize(b);
}

/** The notebook sources in `dir/src`, as names without extension (`01_setup`), sorted; `only` filters by prefix. */
export async function listSources(dir: string, only: string[] = []): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/src`)) {
    if (entry.isFile && /^\d\d_[\w-]+\.ts$/.test(entry.name)) names.push(entry.name.slice(0, -3));
  }
  names.sort();
  if (only.length === 0) return names;
  const picked = names.filter((n) => only.some((o) => n === o || n.startsWith(o.replace(/\.(ts|ipynb)$/, ""))));
  const unknown = only.filter((o) => !names.some((n) => n === o || n.startsWith(o.replace(/\.(ts|ipynb)$/, ""))));
  if (unknown.length) {
    throw new RangeError(`no notebook source matches ${unknown.join(", ")} (have ${names.join(", ")})`);
  }
  return picked;
}

/**
 * Builds `dir/NAME.ipynb` from `dir/src/NAME.ts` for each name; returns the names whose file changed.
 * With `to`, writes `to/NAME.ipynb` instead (always), still keeping the outputs found in `dir/NAME.ipynb`.
 */
export async function buildNotebooks(dir: string, names: string[], to?: string): Promise<string[]> {
  const changed: string[] = [];
  for (const name of names) {
    const source = await Deno.readTextFile(`${dir}/src/${name}.ts`);
    const target = `${dir}/${name}.ipynb`;
    let previous: Notebook | undefined;
    try {
      previous = JSON.parse(await Deno.readTextFile(target));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const nb = assemble(parseSource(source, `${name}.ts`), previous);
    if (!to && previous && sameJson(previous, nb)) continue;
    await Deno.writeTextFile(to ? `${to}/${name}.ipynb` : target, serialize(nb));
    changed.push(name);
  }
  return changed;
}

if (import.meta.main) {
  const dir = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  const changed = await buildNotebooks(dir, await listSources(dir, Deno.args));
  console.log(changed.length ? `built ${changed.join(", ")}` : "notebooks are up to date");
}
