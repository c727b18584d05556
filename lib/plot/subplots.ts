/**
 * Several figures as the cells of one figure.
 * @module
 */
import { axisId, type Cell, gridCells } from "./_grid.ts";
import { baseLayout, Figure, type LayoutOptions, type PlotlyObject } from "./figure.ts";

/** Options of `plot.subplots`. */
export interface SubplotsOptions extends LayoutOptions {
  /** Cells per row (default min(number of figures, 2)). */
  cols?: number;
}

/**
 * Places figures in a grid, row by row: each figure's axes are renumbered and their domains
 * scaled into its cell; its title becomes a caption above the cell; colour bars sit at the cell's
 * right edge; the legend goes below. Other layout settings come from the first figure (e.g. `barmode`).
 *
 * @param figures The figures, in reading order.
 * @param options `cols` (default min(N, 2)), `title`, `width`, `height`.
 * @returns One `Figure` holding every trace.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.subplots([plot.line({ y: [1, 2] }), plot.histogram([1, 2, 2])], { cols: 2 });
 * assert.deepEqual(fig.data.map((t) => t.xaxis), ["x", "x2"]);
 * ```
 */
export function subplots(figures: Figure[], options: SubplotsOptions = {}): Figure {
  if (figures.length === 0) throw new RangeError("plot.subplots: got no figures; expected at least one");
  const cols = Math.max(1, Math.min(options.cols ?? Math.min(figures.length, 2), figures.length));
  const rows = Math.ceil(figures.length / cols);
  const cells = gridCells(figures.length, cols, 0.12, 0.12);
  const layout: PlotlyObject = { ...pick(figures[0].layout, ["barmode"]), ...baseLayout(options) };
  layout.legend = { orientation: "h", x: 0, y: -0.08, yanchor: "top" };
  layout.width ??= cols * 420;
  layout.height ??= rows * 320 + (options.title === undefined ? 0 : 40);
  const annotations: PlotlyObject[] = [];
  const data: PlotlyObject[] = [];
  let next = 1;
  figures.forEach((fig, k) => {
    const cell = cells[k];
    const renumber = new Map<number, number>();
    const used = new Set<number>([1]);
    for (const t of fig.data) for (const ref of [t.xaxis, t.yaxis]) used.add(axisIndex(ref));
    for (const key of Object.keys(fig.layout)) {
      const m = /^[xy]axis(\d*)$/.exec(key);
      if (m) used.add(m[1] ? Number(m[1]) : 1);
    }
    for (const i of [...used].sort((a, b) => a - b)) renumber.set(i, next++);
    const ref = (r: unknown, letter: "x" | "y") => axisId(letter, renumber.get(axisIndex(r)) ?? 1).ref;
    for (const i of used) {
      for (const letter of ["x", "y"] as const) {
        const old = (fig.layout[axisId(letter, i).key] ?? {}) as PlotlyObject;
        const axis: PlotlyObject = { ...old, domain: scale(old.domain as number[] | undefined, cell[letter]) };
        for (const f of ["anchor", "scaleanchor", "matches", "overlaying"]) {
          if (typeof old[f] === "string" && old[f] !== "free") {
            axis[f] = ref(old[f], old[f].startsWith("x") ? "x" : "y");
          }
        }
        axis.anchor ??= axisId(letter === "x" ? "y" : "x", renumber.get(i)!).ref;
        layout[axisId(letter, renumber.get(i)!).key] = axis;
      }
    }
    for (const t of fig.data) data.push(placeTrace(t, ref(t.xaxis, "x"), ref(t.yaxis, "y"), cell));
    for (const a of (fig.layout.annotations ?? []) as PlotlyObject[]) annotations.push(placeAnnotation(a, cell, ref));
    const title = (fig.layout.title as { text?: string } | undefined)?.text;
    if (title) annotations.push(cellTitle(title, cell));
  });
  if (annotations.length) layout.annotations = annotations;
  return new Figure(data, layout);
}

function axisIndex(ref: unknown): number {
  const m = typeof ref === "string" ? /^[xy](\d*)/.exec(ref) : null;
  return m && m[1] ? Number(m[1]) : 1;
}

function scale(domain: number[] | undefined, into: [number, number]): [number, number] {
  const [a, b] = domain ?? [0, 1];
  const w = into[1] - into[0];
  return [into[0] + a * w, into[0] + b * w];
}

function pick(obj: PlotlyObject, keys: string[]): PlotlyObject {
  return Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]]));
}

function placeTrace(t: PlotlyObject, xaxis: string, yaxis: string, cell: Cell): PlotlyObject {
  const out: PlotlyObject = { ...t, xaxis, yaxis };
  if (t.type === "heatmap" || (t.marker as PlotlyObject | undefined)?.showscale) {
    const colorbar = {
      x: cell.x[1] + 0.005,
      y: (cell.y[0] + cell.y[1]) / 2,
      len: cell.y[1] - cell.y[0],
      thickness: 10,
    };
    if (t.type === "heatmap") out.colorbar = { ...(t.colorbar as PlotlyObject ?? {}), ...colorbar };
    else out.marker = { ...(t.marker as PlotlyObject), colorbar };
  }
  return out;
}

function placeAnnotation(a: PlotlyObject, cell: Cell, ref: (r: unknown, l: "x" | "y") => string): PlotlyObject {
  const out = { ...a };
  for (const letter of ["x", "y"] as const) {
    const r = a[`${letter}ref`];
    if (r === "paper" || r === undefined) {
      out[`${letter}ref`] = "paper";
      out[letter] = scale([Number(a[letter] ?? 0.5), 0], cell[letter])[0];
    } else if (typeof r === "string") out[`${letter}ref`] = ref(r, letter) + r.replace(/^[xy]\d*/, "");
  }
  return out;
}

function cellTitle(text: string, cell: Cell): PlotlyObject {
  return {
    text,
    xref: "paper",
    yref: "paper",
    x: (cell.x[0] + cell.x[1]) / 2,
    y: cell.y[1],
    xanchor: "center",
    yanchor: "bottom",
    showarrow: false,
  };
}
