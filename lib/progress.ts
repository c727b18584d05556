/**
 * Progress display for training loops: a redrawn one-line bar in a terminal, a line every few
 * percent when stderr is a file or CI log, and an updating display in Deno's Jupyter kernel.
 * @module
 */

/** How a `Progress` shows itself; "auto" picks jupyter, tty or lines from the environment. */
export type ProgressMode = "auto" | "tty" | "lines" | "jupyter" | "off";

/** Options of `progress` / `new Progress`. */
export interface ProgressOptions {
  /** Text before the bar (default none). */
  label?: string;
  /** Number of steps (default: the iterable's `length`/`size`, or the number passed). */
  total?: number;
  /** Display kind (default "auto": jupyter in Deno's kernel, tty when stderr is a terminal, else lines). */
  mode?: ProgressMode;
  /** In "lines" mode with a known total, print a line every `every` percent (default 10). */
  every?: number;
  /** In "lines" mode without a total, print a line every `interval` ms (default 10000). */
  interval?: number;
  /** Least time between redraws in "tty" and "jupyter" modes, in ms (default 100). */
  minRedraw?: number;
  /** Width of the bar in characters (default 24). */
  barWidth?: number;
  /** Where text goes (default: stderr). */
  write?: (text: string) => void;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
}

/** Latest values shown after the bar, e.g. `{ loss: 0.31, acc: 0.9 }`. */
export type Metrics = Record<string, number | string>;

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

interface JupyterApi {
  display(obj: unknown, options: { raw?: boolean; update?: boolean; display_id?: string }): Promise<void>;
}

/** Deno's Jupyter API when running inside `deno jupyter`, else undefined (the getter throws outside). */
function jupyterApi(): JupyterApi | undefined {
  try {
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

function isTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** "05:07", "1:02:03" for whole seconds (rounded down, like tqdm); "?" when not finite. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.floor(seconds);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (v: number) => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

/** "12.3 it/s", or "4.56 s/it" below one step per second, "? it/s" before the first step. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "? it/s";
  if (perSecond >= 1) return `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toPrecision(3)} it/s`;
  return `${(1 / perSecond).toPrecision(3)} s/it`;
}

/** A metric value with 4 significant digits, scientific for very large or small magnitudes. */
export function formatMetric(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return v.toPrecision(4);
}

/**
 * A progress display over a loop. Iterate it (`for` or `for await`) to step through the wrapped
 * items, or call `advance()`; `update(metrics)` sets the values shown after the bar. The display is
 *
 *   label  45%|██████████▊             | 45/100 [00:12<00:15, 3.61 it/s] loss=0.3121 acc=0.9100
 *
 * redrawn in place (`\r`) in a terminal; one such line every `every` percent (10) when stderr is
 * not a terminal; an HTML `<progress>` updated in place (`display_id`) in Deno's Jupyter kernel.
 * Rate is steps per second since the start; ETA = (total − count) / rate.
 *
 * @example
 * ```ts
 * import { Progress } from "denograd";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * let t = 0;
 * const bar = new Progress(4, { label: "train", mode: "lines", every: 50, write: (s) => lines.push(s), now: () => t });
 * for (const _ of bar) { t += 500; bar.update({ loss: 0.5 }); }
 * assert.equal(lines.at(-1), "train 100%|████████████████████████| 4/4 [00:02<00:00, 2.00 it/s] loss=0.5000\n");
 * ```
 */
export class Progress<T = number> implements Iterable<T>, AsyncIterable<T> {
  /** Steps done. */
  count = 0;
  /** Steps expected, if known. */
  total: number | undefined;
  /** Text before the bar. */
  label: string;
  /** The latest metrics. */
  metrics: Metrics = {};
  /** The resolved display kind. */
  readonly mode: Exclude<ProgressMode, "auto">;
  #source: Iterable<T> | AsyncIterable<T> | undefined;
  #options: ProgressOptions;
  #write: (text: string) => void;
  #now: () => number;
  #start: number;
  #lastDraw = -Infinity;
  #lastLinePercent = 0;
  #lastLineTime: number;
  #lastLineCount = -1;
  #lastWidth = 0;
  #closed = false;
  #jupyter: JupyterApi | undefined;
  #displayId = `denograd-progress-${crypto.randomUUID()}`;
  #shown = false;
  #pending: Promise<void> = Promise.resolve();

  /** Wraps `source` (iterable, async iterable, or a step count) with the display described above. */
  constructor(source: Iterable<T> | AsyncIterable<T> | number, options: ProgressOptions = {}) {
    if (typeof source === "number") {
      if (!Number.isInteger(source) || source < 0) {
        throw new RangeError(`progress: total must be a non-negative integer, got ${source}`);
      }
      this.#source = range(source) as Iterable<T>;
      this.total = options.total ?? source;
    } else {
      if (source == null || (!(Symbol.iterator in Object(source)) && !(Symbol.asyncIterator in Object(source)))) {
        throw new TypeError(`progress: expected an iterable, an async iterable or a number, got ${typeof source}`);
      }
      this.#source = source;
      const s = source as { length?: unknown; size?: unknown };
      const known = typeof s.length === "number" ? s.length : typeof s.size === "number" ? s.size : undefined;
      this.total = options.total ?? known;
    }
    this.label = options.label ?? "";
    this.#options = options;
    this.#write = options.write ?? writeStderr;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#lastLineTime = this.#start;
    const mode = options.mode ?? "auto";
    this.#jupyter = mode === "auto" || mode === "jupyter" ? jupyterApi() : undefined;
    this.mode = mode !== "auto"
      ? (mode === "jupyter" && !this.#jupyter ? "lines" : mode)
      : this.#jupyter
      ? "jupyter"
      : options.write === undefined && isTerminal()
      ? "tty"
      : "lines";
  }

  /**
   * Merges `metrics` into the shown values and redraws (rate-limited). To show a loss without
   * awaiting `loss.item()` every step (each await costs a ~11 ms device wait on webgpu), call it
   * from a `MetricLogger`'s `onValues`: `new MetricLogger({ every: 10, onValues: (v) => bar.update(v) })`.
   */
  update(metrics: Metrics = {}): this {
    Object.assign(this.metrics, metrics);
    this.#draw(false);
    return this;
  }

  /** Replaces the shown values (and optionally the label) and redraws (rate-limited). */
  set(metrics: Metrics, label?: string): this {
    this.metrics = { ...metrics };
    if (label !== undefined) this.label = label;
    this.#draw(false);
    return this;
  }

  /** Counts `n` more steps (default 1) and redraws (rate-limited). */
  advance(n = 1): this {
    this.count += n;
    this.#draw(false);
    return this;
  }

  /**
   * Draws the final state and ends the display (a newline in a terminal). Called automatically
   * when iteration ends or breaks. The promise settles when a Jupyter update has been sent.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#draw(true);
      if (this.mode === "tty") this.#write("\n");
    }
    return this.#pending;
  }

  /** The one-line text of the current state (what every mode shows). */
  render(): string {
    const p = this.#parts();
    return p.bar === undefined
      ? `${p.label}${p.stats}${p.metrics}`
      : `${p.label}${p.percent}|${p.bar}| ${p.stats}${p.metrics}`;
  }

  #parts(): { label: string; percent: string; bar?: string; frac: number; stats: string; metrics: string } {
    const elapsed = Math.max(0, (this.#now() - this.#start) / 1000);
    const rate = elapsed > 0 ? this.count / elapsed : NaN;
    const label = this.label ? `${this.label} ` : "";
    const entries = Object.entries(this.metrics).map(([k, v]) => `${k}=${formatMetric(v)}`);
    const metrics = entries.length ? ` ${entries.join(" ")}` : "";
    if (this.total === undefined) {
      const stats = `${this.count} it [${formatDuration(elapsed)}, ${formatRate(rate)}]`;
      return { label, percent: "", frac: NaN, stats, metrics };
    }
    const frac = this.total > 0 ? Math.min(1, this.count / this.total) : 1;
    const eta = this.count >= this.total ? 0 : (this.total - this.count) / rate;
    const stats = `${this.count}/${this.total} [${formatDuration(elapsed)}<${formatDuration(eta)}, ${
      formatRate(rate)
    }]`;
    const percent = `${this.total > 0 ? Math.floor((100 * Math.min(this.count, this.total)) / this.total) : 100}%`
      .padStart(4);
    return { label, percent, bar: bar(frac, this.#options.barWidth ?? 24), frac, stats, metrics };
  }

  /** Iterates the source, advancing the bar per item and closing it at the end (sync sources only). */
  *[Symbol.iterator](): Iterator<T> {
    if (!this.#source || !(Symbol.iterator in Object(this.#source))) {
      throw new TypeError("progress: the source is async-only; iterate with `for await`");
    }
    this.#draw(true);
    try {
      for (const item of this.#source as Iterable<T>) {
        yield item;
        this.advance();
      }
    } finally {
      this.close();
    }
  }

  /** Iterates the source (sync or async), advancing the bar per item and closing it at the end. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    this.#draw(true);
    try {
      for await (const item of this.#source as AsyncIterable<T>) {
        yield item;
        this.advance();
      }
    } finally {
      await this.close();
    }
  }

  #draw(force: boolean): void {
    if (this.mode === "off" || (this.#closed && !force)) return;
    const now = this.#now();
    if (this.mode === "lines") return this.#drawLine(force);
    if (!force && now - this.#lastDraw < (this.#options.minRedraw ?? 100)) return;
    this.#lastDraw = now;
    const text = this.render();
    if (this.mode === "tty") {
      const pad = " ".repeat(Math.max(0, this.#lastWidth - text.length));
      this.#lastWidth = text.length;
      this.#write(`\r${text}${pad}`);
    } else this.#drawJupyter(text);
  }

  #drawLine(force: boolean): void {
    const now = this.#now();
    let due = force && this.#closed && this.count !== this.#lastLineCount;
    if (this.total !== undefined && this.total > 0) {
      const every = this.#options.every ?? 10;
      const step = Math.floor((100 * Math.min(this.count, this.total)) / this.total / every) * every;
      if (step > this.#lastLinePercent) {
        this.#lastLinePercent = step;
        due = true;
      }
    } else if (now - this.#lastLineTime >= (this.#options.interval ?? 10_000) && this.count > 0) due = true;
    if (!due) return;
    this.#lastLineTime = now;
    this.#lastLineCount = this.count;
    this.#write(`${this.render()}\n`);
  }

  #drawJupyter(text: string): void {
    const jupyter = this.#jupyter!;
    const p = this.#parts();
    const meter = this.total === undefined
      ? ""
      : `<progress value="${this.count}" max="${this.total}" style="width: 16em"></progress> ${p.percent.trim()} `;
    const html = `<div style="font-family: monospace">${escape(p.label)}${meter}${escape(p.stats + p.metrics)}</div>`;
    const options = { raw: true, display_id: this.#displayId, update: this.#shown };
    this.#shown = true;
    const bundle = { "text/plain": text, "text/html": html };
    this.#pending = this.#pending.then(() => jupyter.display(bundle, options)).catch(() => {});
  }
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
}

function bar(frac: number, width: number): string {
  const parts = " ▏▎▍▌▋▊▉";
  const eighths = Math.round(frac * width * 8);
  const full = Math.floor(eighths / 8), rest = eighths % 8;
  return ("█".repeat(full) + (full < width ? parts[rest] : "")).padEnd(width, " ");
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/**
 * Wraps a loop with a progress display (see `Progress`).
 *
 * @param source An iterable or async iterable (e.g. a `DataLoader`), or a number of steps
 *   (iterates 0 … n − 1).
 * @param options `label`, `total` (default: `source.length`/`size`, or the number), `mode`,
 *   `every`, `interval`, `minRedraw`, `barWidth`, `write`, `now`.
 * @returns A `Progress` to iterate; call `bar.update({ loss })` inside the loop.
 * @example
 * ```ts
 * import { progress } from "denograd";
 * import assert from "node:assert/strict";
 * const out: string[] = [];
 * const bar = progress([1, 2, 3], { label: "epoch 1", mode: "lines", write: (s) => out.push(s) });
 * let sum = 0;
 * for await (const x of bar) { sum += x; bar.update({ sum }); }
 * assert.equal(bar.count, 3);
 * assert.match(out.at(-1)!, /3\/3 .* sum=6/);
 * ```
 */
export function progress<T = number>(
  source: Iterable<T> | AsyncIterable<T> | number,
  options: ProgressOptions = {},
): Progress<T> {
  return new Progress<T>(source, options);
}
