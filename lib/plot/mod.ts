/**
 * Plotly figures built in TypeScript: line, scatter, histogram, heatmap, confusion matrix, image
 * grid and subplots. A `Figure` is Plotly JSON (`{ data, layout }`); Deno's Jupyter kernel shows it
 * inline, and `toHTML` / `writeHTML` make standalone pages with plotly.js inlined.
 *
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.line({ y: [1, 0.5, 0.25], name: "loss" }, { title: "Training", xTitle: "step" });
 * assert.equal(fig.data[0].type, "scatter");
 * assert.deepEqual(fig.layout.title, { text: "Training" });
 * ```
 * @module
 */
export { type AxisOptions, Figure, type LayoutOptions, type PlotlyObject } from "./figure.ts";
export { histogram, type HistogramOptions, line, type LineSeries, scatter, type ScatterSeries } from "./charts.ts";
export {
  confusionMatrix,
  ConfusionMatrixFigure,
  type ConfusionMatrixOptions,
  heatmap,
  type HeatmapOptions,
} from "./heatmap.ts";
export { type ImageBatch, imageGrid, type ImageGridOptions } from "./image_grid.ts";
export { subplots, type SubplotsOptions } from "./subplots.ts";
export { type HTMLOptions, plotlySource, toHTML, writeHTML } from "./html.ts";
export { PLOTLY_VERSION } from "./_html_parts.ts";
