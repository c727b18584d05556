/**
 * PyTorch-style text of tensors (`tensor([[0.1234, 1.0000], ...], requiresGrad=true)`), following
 * `torch/_tensor_str.py` (1.13): one width for all elements, 4 decimals, scientific notation when
 * the magnitudes span more than 10³ or leave [1e-4, 1e8], integer-valued floats as `1.`, and
 * tensors over 1000 elements summarised with `...` and 3 items at each edge. Also the Jupyter
 * MIME bundle of a tensor.
 * @module
 */
import type { DType } from "../backend/backend.ts";

/** Options of `t.format()` / `t.print()`. */
export interface FormatOptions {
  /** Digits after the decimal point (default 4). */
  precision?: number;
  /** Summarise tensors with more elements than this (default 1000). */
  threshold?: number;
  /** Items shown at each edge of a summarised dim (default 3). */
  edgeitems?: number;
  /** Characters per line before wrapping a row (default 80). */
  linewidth?: number;
  /** Force (true) or forbid (false) scientific notation; default: automatic. */
  sciMode?: boolean;
}

/** What the formatter needs to know about a tensor besides its values. */
export interface FormatMeta {
  /** Sizes of the dims. */
  shape: readonly number[];
  /** Element type: float32 and int32 (the defaults) and bool are not printed; float64 is. */
  dtype: DType;
  /** Printed as `device='…'` unless "cpu". */
  device?: string;
  /** Printed as `requiresGrad=true` for leaves. */
  requiresGrad?: boolean;
  /** Printed as `gradFn=<name>` for op results. */
  gradFnName?: string;
}

interface Opts {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode?: boolean;
}

/** Python's `'{:.Nf}'.format(v)`: like `toFixed`, but exact ties round half to even. */
function fixed(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const scaled = Math.abs(v) * 10 ** digits;
  let s: string;
  if (scaled % 1 === 0.5 && scaled < 2 ** 52) {
    const even = Math.floor(scaled) % 2 === 0 ? Math.floor(scaled) : Math.ceil(scaled);
    s = (even / 10 ** digits).toFixed(digits);
  } else s = Math.abs(v).toFixed(digits);
  return v < 0 || Object.is(v, -0) ? `-${s}` : s;
}

/** Python's `'{:.Ne}'.format(v)`: at least two exponent digits. */
function scientific(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const s = Math.abs(v).toExponential(digits).replace(/e([+-])(\d)$/, "e$10$2");
  return v < 0 || Object.is(v, -0) ? `-${s}` : s;
}

/** torch's `_Formatter`: picks int/fixed/scientific mode and one width from the shown values. */
class Formatter {
  isFloat: boolean;
  isBool: boolean;
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(values: number[], dtype: DType, readonly opts: Opts) {
    this.isFloat = dtype === "float32" || dtype === "float64";
    this.isBool = dtype === "bool";
    const p = opts.precision;
    if (!this.isFloat) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, this.#plain(v).length);
      return;
    }
    const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (nz.length > 0) {
      const abs = nz.map(Math.abs);
      const [lo, hi] = [Math.min(...abs), Math.max(...abs)];
      this.intMode = nz.every((v) => v === Math.ceil(v));
      const wide = hi / lo > 1000 || hi > 1e8;
      this.sciMode = this.intMode ? wide : wide || lo < 1e-4;
      for (const v of nz) {
        const s = this.sciMode ? scientific(v, p) : this.intMode ? fixed(v, 0) + "." : fixed(v, p);
        this.maxWidth = Math.max(this.maxWidth, s.length);
      }
    }
    if (opts.sciMode !== undefined) this.sciMode = opts.sciMode;
  }

  #plain(v: number): string {
    return this.isBool ? (v !== 0 ? "True" : "False") : String(v);
  }

  format(v: number): string {
    let s: string;
    if (!this.isFloat) s = this.#plain(v);
    else if (this.sciMode) s = scientific(v, this.opts.precision);
    else if (this.intMode) s = fixed(v, 0) + (Number.isFinite(v) ? "." : "");
    else s = fixed(v, this.opts.precision);
    return s.padStart(this.maxWidth);
  }
}

/** A row-major view of host values with a shape, sliceable along dim 0. */
interface Block {
  values: ArrayLike<number>;
  offset: number;
  shape: readonly number[];
}

function sub(b: Block, i: number): Block {
  const inner = b.shape.slice(1).reduce((a, d) => a * d, 1);
  return { values: b.values, offset: b.offset + i * inner, shape: b.shape.slice(1) };
}

/** The indices of dim 0 that are printed (edges only when summarising). */
function shownRows(n: number, summarize: boolean, edge: number): (number | null)[] {
  if (!summarize || n <= 2 * edge) return Array.from({ length: n }, (_, i) => i);
  const head = Array.from({ length: edge }, (_, i) => i);
  const tail = Array.from({ length: edge }, (_, i) => n - edge + i);
  return [...head, null, ...tail];
}

/** torch's `get_summarized_data`: the values the formatter sees. */
function summarizedValues(b: Block, summarize: boolean, edge: number, out: number[]): void {
  if (b.shape.length === 0) {
    out.push(b.values[b.offset]);
    return;
  }
  for (const i of shownRows(b.shape[0], summarize, edge)) {
    if (i !== null) summarizedValues(sub(b, i), summarize, edge, out);
  }
}

function vectorStr(b: Block, indent: number, summarize: boolean, f: Formatter): string {
  const perLine = Math.max(1, Math.floor((f.opts.linewidth - indent) / (f.maxWidth + 2)));
  const data = shownRows(b.shape[0], summarize, f.opts.edgeitems).map((i) =>
    i === null ? " ..." : f.format(b.values[b.offset + i])
  );
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

function tensorStr(b: Block, indent: number, summarize: boolean, f: Formatter): string {
  const dim = b.shape.length;
  if (dim === 0) return f.format(b.values[b.offset]);
  if (dim === 1) return vectorStr(b, indent, summarize, f);
  const slices = shownRows(b.shape[0], summarize, f.opts.edgeitems).map((i) =>
    i === null ? "..." : tensorStr(sub(b, i), indent + 1, summarize, f)
  );
  return "[" + slices.join("," + "\n".repeat(dim - 1) + " ".repeat(indent + 1)) + "]";
}

function resolveOptions(options: FormatOptions): Opts {
  const precision = options.precision ?? 4;
  if (!Number.isInteger(precision) || precision < 0 || precision > 20) {
    throw new RangeError(`format: precision must be an integer in [0, 20], got ${precision}`);
  }
  return {
    precision,
    threshold: options.threshold ?? 1000,
    edgeitems: options.edgeitems ?? 3,
    linewidth: options.linewidth ?? 80,
    sciMode: options.sciMode,
  };
}

/**
 * The PyTorch-style text of row-major host `values` with `meta.shape`, e.g.
 * `tensor([[0.1234, 1.0000],\n        [2.5000, 3.0000]], requiresGrad=true)`. This is what
 * `await t.format()` returns after reading the values.
 */
export function formatValues(values: ArrayLike<number>, meta: FormatMeta, options: FormatOptions = {}): string {
  const opts = resolveOptions(options);
  const numel = meta.shape.reduce((a, d) => a * d, 1);
  if (values.length !== numel) {
    throw new RangeError(`format: ${values.length} values do not fill shape [${meta.shape}] (${numel} elements)`);
  }
  const prefix = "tensor(";
  const suffixes: string[] = [];
  let body: string;
  if (meta.device !== undefined && meta.device !== "cpu") suffixes.push(`device='${meta.device}'`);
  if (numel === 0) {
    body = "[]";
    if (meta.shape.length !== 1) suffixes.push(`size=(${meta.shape.join(", ")})`);
    if (meta.dtype !== "float32") suffixes.push(`dtype=${meta.dtype}`);
  } else {
    const summarize = numel > opts.threshold;
    const block: Block = { values, offset: 0, shape: meta.shape };
    const shown: number[] = [];
    summarizedValues(block, summarize, opts.edgeitems, shown);
    body = tensorStr(block, prefix.length, summarize, new Formatter(shown, meta.dtype, opts));
    if (meta.dtype === "float64") suffixes.push(`dtype=${meta.dtype}`);
  }
  if (meta.gradFnName !== undefined) suffixes.push(`gradFn=<${meta.gradFnName}>`);
  else if (meta.requiresGrad) suffixes.push("requiresGrad=true");
  return prefix + [body, ...suffixes].join(", ") + ")";
}

/** The fields `formatTensor` reads from a tensor (structural, to avoid an import cycle). */
export interface FormattableTensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: string;
  readonly requiresGrad: boolean;
  readonly gradFn: { readonly name: string } | null;
  data(): Promise<ArrayLike<number>>;
}

function metaOf(t: FormattableTensor): FormatMeta {
  return {
    shape: t.shape,
    dtype: t.dtype,
    device: t.device,
    requiresGrad: t.requiresGrad,
    gradFnName: t.gradFn?.name,
  };
}

/** Reads the tensor's values and returns its PyTorch-style text (see `formatValues`). */
export async function formatTensor(t: FormattableTensor, options: FormatOptions = {}): Promise<string> {
  return formatValues(await t.data(), metaOf(t), options);
}

function escapeHTML(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * The Jupyter MIME bundle of a tensor: `text/plain` is the PyTorch-style text; `text/html` a
 * table for 0-, 1- and 2-D tensors up to `threshold` elements (else the text in `<pre>`), under a
 * caption with shape, dtype and device.
 */
export async function tensorMimeBundle(
  t: FormattableTensor,
  options: FormatOptions = {},
): Promise<Record<string, string>> {
  const values = await t.data();
  const meta = metaOf(t);
  const text = formatValues(values, meta, options);
  const opts = resolveOptions(options);
  const caption = `Tensor shape=[${t.shape.join(", ")}] dtype=${t.dtype} device=${t.device}` +
    (meta.gradFnName ? ` gradFn=${meta.gradFnName}` : t.requiresGrad ? " requiresGrad" : "");
  const fits = t.shape.length <= 2 && values.length > 0 && values.length <= opts.threshold;
  if (!fits) {
    return {
      "text/plain": text,
      "text/html": `<div><small>${escapeHTML(caption)}</small><pre>${escapeHTML(text)}</pre></div>`,
    };
  }
  const f = new Formatter(Array.from(values), t.dtype, opts);
  const [rows, cols] = t.shape.length === 2 ? t.shape : [1, t.shape[0] ?? 1];
  const body = Array.from({ length: rows }, (_, r) => {
    const cells = Array.from(
      { length: cols },
      (_, c) => `<td>${escapeHTML(f.format(values[r * cols + c]).trim())}</td>`,
    );
    return `<tr>${cells.join("")}</tr>`;
  }).join("");
  const style = "font-family: monospace; text-align: right";
  const html = `<table style="${style}"><caption style="text-align: left">${escapeHTML(caption)}</caption>` +
    `<tbody>${body}</tbody></table>`;
  return { "text/plain": text, "text/html": html };
}
