/**
 * The `Figure` type shared by every chart: a Plotly figure (`data` traces + `layout`) as plain JSON,
 * plus the Jupyter display hook. Plotly itself is never imported here; it runs in the browser.
 * @module
 */
import { plotlyLoaderHTML } from "./_html_parts.ts";

/** A Plotly trace or layout object (plain JSON). */
export type PlotlyObject = Record<string, unknown>;

/** Options every chart accepts. */
export interface LayoutOptions {
  /** Figure title. */
  title?: string;
  /** Width in pixels (default: Plotly's autosize). */
  width?: number;
  /** Height in pixels (default: Plotly's autosize). */
  height?: number;
}

/** Axis options of charts with one x and one y axis. */
export interface AxisOptions extends LayoutOptions {
  /** x-axis title. */
  xTitle?: string;
  /** y-axis title. */
  yTitle?: string;
  /** Logarithmic y axis (default false). */
  logY?: boolean;
}

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/**
 * A Plotly figure as JSON: `data` (traces) and `layout`. `JSON.stringify(fig)` gives
 * `{ data, layout }`, which `Plotly.newPlot(div, data, layout)` draws.
 *
 * In Deno's Jupyter kernel a figure shows itself inline: its `Symbol.for("Jupyter.display")`
 * method returns a MIME bundle with `application/vnd.plotly.v1+json` (drawn by JupyterLab's Plotly
 * renderer), a `text/html` fallback that loads Plotly and draws into a `<div>`, and `text/plain`.
 *
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = new plot.Figure([{ type: "scatter", y: [1, 2] }], { title: { text: "t" } });
 * assert.deepEqual(JSON.parse(JSON.stringify(fig)).data[0].y, [1, 2]);
 * ```
 */
export class Figure {
  /** Plotly traces. */
  data: PlotlyObject[];
  /** Plotly layout. */
  layout: PlotlyObject;

  /** Wraps Plotly `data` and `layout` (both kept by reference). */
  constructor(data: PlotlyObject[], layout: PlotlyObject = {}) {
    this.data = data;
    this.layout = layout;
  }

  /** `{ data, layout }`, what Plotly and `JSON.stringify` use. */
  toJSON(): { data: PlotlyObject[]; layout: PlotlyObject } {
    return { data: this.data, layout: this.layout };
  }

  /** The MIME bundle Deno's Jupyter kernel shows for this figure. */
  [JUPYTER_DISPLAY](): Record<string, unknown> {
    const json = this.toJSON();
    const title = (this.layout.title as { text?: string } | undefined)?.text;
    return {
      "application/vnd.plotly.v1+json": json,
      "text/html": plotlyLoaderHTML(json),
      "text/plain": `Figure(${this.data.length} trace${this.data.length === 1 ? "" : "s"}${
        title ? `, title=${JSON.stringify(title)}` : ""
      })`,
    };
  }

  /** Short description for `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this[JUPYTER_DISPLAY]()["text/plain"] as string;
  }
}

/** Builds the common layout of a one-axis chart. */
export function axisLayout(options: AxisOptions): PlotlyObject {
  const layout: PlotlyObject = baseLayout(options);
  layout.xaxis = options.xTitle === undefined ? {} : { title: { text: options.xTitle } };
  const yaxis: PlotlyObject = options.yTitle === undefined ? {} : { title: { text: options.yTitle } };
  if (options.logY) yaxis.type = "log";
  layout.yaxis = yaxis;
  return layout;
}

/** Title and size of any chart. */
export function baseLayout(options: LayoutOptions): PlotlyObject {
  const layout: PlotlyObject = {};
  if (options.title !== undefined) layout.title = { text: options.title };
  if (options.width !== undefined) layout.width = options.width;
  if (options.height !== undefined) layout.height = options.height;
  return layout;
}

/** Copies an array-like of numbers to a plain array, checking every entry is a number. */
export function toNumbers(values: ArrayLike<number>, what: string): number[] {
  if (values == null || typeof values.length !== "number") {
    throw new TypeError(`${what}: expected an array of numbers, got ${typeof values}`);
  }
  const out = Array.from(values, Number);
  const bad = out.findIndex((v) => typeof v !== "number");
  if (bad >= 0) throw new TypeError(`${what}: entry ${bad} is not a number`);
  return out;
}
