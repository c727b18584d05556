/**
 * Line, scatter and histogram charts as Plotly figures.
 * @module
 */
import { axisLayout, type AxisOptions, Figure, type PlotlyObject, toNumbers } from "./figure.ts";

/** One line of `plot.line`. */
export interface LineSeries {
  /** y values. */
  y: ArrayLike<number>;
  /** x values (default 0, 1, 2, …). */
  x?: ArrayLike<number>;
  /** Legend name. */
  name?: string;
  /** Drawing mode (default "lines"). */
  mode?: "lines" | "markers" | "lines+markers";
  /** Plotly dash style: "solid", "dot", "dash", "dashdot", … */
  dash?: string;
}

/**
 * A line chart of one series or several (one trace each, sharing the axes).
 *
 * @param series `{ y, x?, name?, mode?, dash? }` or an array of them.
 * @param options `title`, `xTitle`, `yTitle`, `logY` (log-scale y), `width`, `height`.
 * @returns A `Figure` with one `scatter` trace per series.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.line([{ y: [3, 2, 1], name: "train" }, { y: [3, 2.5, 2], name: "test", dash: "dash" }], {
 *   title: "Loss", xTitle: "epoch", logY: true,
 * });
 * assert.equal(fig.data.length, 2);
 * assert.deepEqual(fig.data[0].x, [0, 1, 2]);
 * ```
 */
export function line(series: LineSeries | LineSeries[], options: AxisOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  const data = list.map((s, i) => {
    const y = toNumbers(s.y, `plot.line: series ${i} y`);
    const x = s.x === undefined ? y.map((_, j) => j) : toNumbers(s.x, `plot.line: series ${i} x`);
    if (x.length !== y.length) {
      throw new RangeError(`plot.line: series ${i} has ${x.length} x values but ${y.length} y values; expected equal`);
    }
    const trace: PlotlyObject = { type: "scatter", mode: s.mode ?? "lines", x, y };
    if (s.name !== undefined) trace.name = s.name;
    if (s.dash !== undefined) trace.line = { dash: s.dash };
    return trace;
  });
  return new Figure(data, axisLayout(options));
}

/** One group of points of `plot.scatter`. */
export interface ScatterSeries {
  /** x coordinates. */
  x: ArrayLike<number>;
  /** y coordinates. */
  y: ArrayLike<number>;
  /** One colour for the series (CSS string), a CSS colour per point, or a number per point (coloured by a scale). */
  color?: string | string[] | ArrayLike<number>;
  /** Legend name. */
  name?: string;
  /** Marker size in pixels (default Plotly's 6). */
  size?: number;
  /** Hover text per point. */
  text?: string[];
}

/**
 * A scatter plot of one group of points or several (one trace each).
 *
 * @param points `{ x, y, color?, name?, size?, text? }` or an array of them; a numeric `color` per
 *   point is drawn with the Viridis scale and a colour bar.
 * @param options `title`, `xTitle`, `yTitle`, `logY`, `width`, `height`.
 * @returns A `Figure` with one `scatter` trace (mode "markers") per group.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.scatter({ x: [0, 1, 2], y: [1, 0, 1], color: [0, 1, 0] });
 * assert.equal(fig.data[0].mode, "markers");
 * ```
 */
export function scatter(points: ScatterSeries | ScatterSeries[], options: AxisOptions = {}): Figure {
  const list = Array.isArray(points) ? points : [points];
  const data = list.map((s, i) => {
    const x = toNumbers(s.x, `plot.scatter: series ${i} x`);
    const y = toNumbers(s.y, `plot.scatter: series ${i} y`);
    if (x.length !== y.length) {
      throw new RangeError(
        `plot.scatter: series ${i} has ${x.length} x values but ${y.length} y values; expected equal`,
      );
    }
    const marker: PlotlyObject = {};
    if (typeof s.color === "string") marker.color = s.color;
    else if (s.color !== undefined) {
      if (s.color.length !== x.length) {
        throw new RangeError(`plot.scatter: series ${i} has ${s.color.length} colours for ${x.length} points`);
      }
      const isNumeric = typeof s.color[0] === "number";
      marker.color = isNumeric
        ? toNumbers(s.color as ArrayLike<number>, "plot.scatter: color")
        : [...s.color as string[]];
      if (isNumeric) Object.assign(marker, { colorscale: "Viridis", showscale: i === 0 });
    }
    if (s.size !== undefined) marker.size = s.size;
    const trace: PlotlyObject = { type: "scatter", mode: "markers", x, y, marker };
    if (s.name !== undefined) trace.name = s.name;
    if (s.text !== undefined) trace.text = s.text;
    return trace;
  });
  return new Figure(data, axisLayout(options));
}

/** Options of `plot.histogram`. */
export interface HistogramOptions extends AxisOptions {
  /** Number of equal-width bins over the range of all values (default 30). */
  bins?: number;
  /** Normalise each histogram to a probability density (default false: counts). */
  density?: boolean;
}

/**
 * A histogram of one set of values or several overlaid (shared bins, semi-transparent).
 *
 * @param values Numbers, or `{ values, name }[]` for several overlaid histograms.
 * @param options `bins` (default 30), `density` (default false), `title`, `xTitle`, `yTitle`,
 *   `logY`, `width`, `height`.
 * @returns A `Figure` with one `histogram` trace per set, binned with `xbins = { start, end, size }`.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.histogram([0, 1, 1, 2, 3], { bins: 3 });
 * assert.deepEqual(fig.data[0].xbins, { start: 0, end: 3, size: 1 });
 * ```
 */
export function histogram(
  values: ArrayLike<number> | { values: ArrayLike<number>; name?: string }[],
  options: HistogramOptions = {},
): Figure {
  const bins = options.bins ?? 30;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`plot.histogram: bins must be a positive integer, got ${bins}`);
  }
  const isSets = Array.isArray(values) && values.length > 0 && typeof values[0] === "object";
  const sets = isSets
    ? (values as { values: ArrayLike<number>; name?: string }[]).map((s, i) => ({
      values: toNumbers(s.values, `plot.histogram: set ${i}`),
      name: s.name,
    }))
    : [{ values: toNumbers(values as ArrayLike<number>, "plot.histogram: values"), name: undefined }];
  let lo = Infinity, hi = -Infinity;
  for (const s of sets) {
    for (const v of s.values) {
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  if (lo === Infinity) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const xbins = { start: lo, end: hi, size: (hi - lo) / bins };
  const data = sets.map((s) => {
    const trace: PlotlyObject = { type: "histogram", x: s.values, xbins, autobinx: false };
    if (s.name !== undefined) trace.name = s.name;
    if (options.density) trace.histnorm = "probability density";
    if (sets.length > 1) trace.opacity = 0.6;
    return trace;
  });
  const layout = axisLayout(options);
  if (sets.length > 1) layout.barmode = "overlay";
  return new Figure(data, layout);
}
