/**
 * A grid of images (a batch of NCHW or NHW host data) as one Plotly figure.
 * @module
 */
import { axisId, type Cell, gridCells } from "./_grid.ts";
import { baseLayout, Figure, type LayoutOptions, type PlotlyObject } from "./figure.ts";

/** Images as flat row-major host data and their shape: [N, C, H, W] (C = 1 or 3) or [N, H, W]. */
export interface ImageBatch {
  /** Flat values, e.g. `await t.data()`. */
  data: ArrayLike<number>;
  /** [N, C, H, W] or [N, H, W] (grayscale), e.g. `t.shape`. */
  shape: readonly number[];
}

/** Options of `plot.imageGrid`. */
export interface ImageGridOptions extends LayoutOptions {
  /** A caption above each image (e.g. "cat (pred dog)"). */
  labels?: string[];
  /** Images per row (default min(N, 8)). */
  cols?: number;
  /**
   * How values map to 0…255: `true` (default) min-max per image; `false` values are already in
   * [0, 1]; `[lo, hi]` a fixed range (e.g. `[-1, 1]` for normalised inputs). Values outside are clipped.
   */
  normalize?: boolean | [number, number];
  /** Pixel size of each image cell (default 96). */
  cellSize?: number;
}

/**
 * A grid of images, one Plotly `image` trace per image in its own subplot, RGB for C = 3 and gray
 * for C = 1 or [N, H, W]; captions from `labels`. Pass tensors as `{ data: await t.data(), shape: t.shape }`.
 *
 * @param images `{ data, shape }` with shape [N, C, H, W] (C = 1 or 3) or [N, H, W].
 * @param options `labels`, `cols` (default min(N, 8)), `normalize` (default true: min-max per
 *   image), `cellSize` (default 96 px), `title`, `width`, `height`.
 * @returns A `Figure` with N `image` traces whose `z` is [H][W][3] in 0…255.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.imageGrid({ data: [0, 1, 2, 3, 3, 2, 1, 0], shape: [2, 1, 2, 2] }, { labels: ["a", "b"] });
 * assert.equal(fig.data.length, 2);
 * assert.deepEqual(fig.data[0].z, [[[0, 0, 0], [85, 85, 85]], [[170, 170, 170], [255, 255, 255]]]);
 * ```
 */
export function imageGrid(images: ImageBatch, options: ImageGridOptions = {}): Figure {
  if (typeof (images as { data: unknown }).data === "function") {
    throw new TypeError(
      "plot.imageGrid: got a Tensor; its values live on the device, pass { data: await t.data(), shape: t.shape }",
    );
  }
  const { data, shape } = images;
  const [n, c, h, w] = shape.length === 3 ? [shape[0], 1, shape[1], shape[2]] : shape;
  if ((shape.length !== 3 && shape.length !== 4) || (c !== 1 && c !== 3)) {
    throw new RangeError(`plot.imageGrid: shape [${shape}] is not [N, C, H, W] with C = 1 or 3, or [N, H, W]`);
  }
  if (data.length !== n * c * h * w) {
    throw new RangeError(`plot.imageGrid: ${data.length} values do not fill shape [${shape}] (${n * c * h * w})`);
  }
  if (options.labels && options.labels.length !== n) {
    throw new RangeError(`plot.imageGrid: ${options.labels.length} labels for ${n} images; expected one per image`);
  }
  const cols = Math.max(1, Math.min(options.cols ?? Math.min(n, 8), n));
  const rows = Math.ceil(n / cols);
  const cellSize = options.cellSize ?? 96;
  const cells = gridCells(n, cols, 0.02, options.labels ? 0.08 : 0.02);
  const layout = baseLayout(options);
  const topMargin = options.title === undefined ? 30 : 60;
  layout.width ??= cols * cellSize + 20;
  layout.height ??= rows * (cellSize + (options.labels ? 20 : 0)) + topMargin;
  layout.margin = { l: 10, r: 10, b: 10, t: topMargin };
  const annotations: PlotlyObject[] = [];
  const data_: PlotlyObject[] = [];
  for (let i = 0; i < n; i++) {
    const z = toRGB(data, i * c * h * w, c, h, w, options.normalize ?? true);
    const x = axisId("x", i + 1), y = axisId("y", i + 1);
    data_.push({ type: "image", z, xaxis: x.ref, yaxis: y.ref, name: options.labels?.[i] ?? `image ${i}` });
    Object.assign(layout, axesFor(cells[i], x, y));
    if (options.labels) annotations.push(caption(options.labels[i], cells[i]));
  }
  if (annotations.length) layout.annotations = annotations;
  return new Figure(data_, layout);
}

function axesFor(cell: Cell, x: { ref: string; key: string }, y: { ref: string; key: string }): PlotlyObject {
  const hidden = { showticklabels: false, showgrid: false, zeroline: false, ticks: "" };
  return {
    [x.key]: { ...hidden, domain: cell.x, anchor: y.ref },
    [y.key]: { ...hidden, domain: cell.y, anchor: x.ref },
  };
}

function caption(text: string, cell: Cell): PlotlyObject {
  return {
    text,
    xref: "paper",
    yref: "paper",
    x: (cell.x[0] + cell.x[1]) / 2,
    y: cell.y[1],
    xanchor: "center",
    yanchor: "bottom",
    showarrow: false,
    font: { size: 11 },
  };
}

/** One image as [H][W][3] integers in 0…255. */
function toRGB(
  data: ArrayLike<number>,
  start: number,
  c: number,
  h: number,
  w: number,
  normalize: boolean | [number, number],
): number[][][] {
  const plane = h * w;
  let lo = 0, hi = 1;
  if (Array.isArray(normalize)) [lo, hi] = normalize;
  else if (normalize) {
    [lo, hi] = [Infinity, -Infinity];
    for (let k = start; k < start + c * plane; k++) {
      const v = data[k];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
    if (lo === Infinity) [lo, hi] = [0, 1];
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const px = (k: number) => Math.round(Math.min(255, Math.max(0, (data[k] - lo) * scale))) || 0;
  return Array.from({ length: h }, (_, r) =>
    Array.from({ length: w }, (_, q) => {
      const k = start + r * w + q;
      return c === 3 ? [px(k), px(k + plane), px(k + 2 * plane)] : [px(k), px(k), px(k)];
    }));
}
