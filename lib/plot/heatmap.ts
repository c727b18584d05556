/**
 * Heatmaps and confusion matrices as Plotly figures.
 * @module
 */
import { baseLayout, Figure, type LayoutOptions, type PlotlyObject, toNumbers } from "./figure.ts";

/** Options of `plot.heatmap`. */
export interface HeatmapOptions extends LayoutOptions {
  /** Column labels (default 0, 1, …). */
  x?: (string | number)[];
  /** Row labels (default 0, 1, …); row 0 is drawn at the top. */
  y?: (string | number)[];
  /** Plotly colour scale name or `[[0, colour], …, [1, colour]]` (default "Viridis"). */
  colorscale?: string | [number, string][];
  /** Write each cell's value in it (default false). */
  showValues?: boolean;
  /** d3 number format of the written values (default ".3~g"). */
  valueFormat?: string;
  /** x-axis title. */
  xTitle?: string;
  /** y-axis title. */
  yTitle?: string;
}

/**
 * A heatmap of a matrix, row 0 at the top (like an image or a printed matrix).
 *
 * @param z Rows of numbers, all the same length.
 * @param options `x`, `y` (labels), `colorscale` (default "Viridis"), `showValues` (default false),
 *   `valueFormat` (default ".3~g"), `title`, `xTitle`, `yTitle`, `width`, `height`.
 * @returns A `Figure` with one `heatmap` trace.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.heatmap([[1, 2], [3, 4]], { x: ["a", "b"], showValues: true });
 * assert.equal(fig.data[0].type, "heatmap");
 * ```
 */
export function heatmap(z: ArrayLike<number>[], options: HeatmapOptions = {}): Figure {
  const rows = Array.from(z, (r, i) => toNumbers(r, `plot.heatmap: row ${i}`));
  const cols = rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r.length !== cols) {
      throw new RangeError(`plot.heatmap: row ${i} has ${r.length} values but row 0 has ${cols}; rows must match`);
    }
  });
  const trace: PlotlyObject = {
    type: "heatmap",
    z: rows,
    x: options.x ?? rows[0]?.map((_, j) => j) ?? [],
    y: options.y ?? rows.map((_, i) => i),
    colorscale: options.colorscale ?? "Viridis",
  };
  if (options.showValues) {
    trace.texttemplate = `%{z:${options.valueFormat ?? ".3~g"}}`;
    trace.hoverongaps = false;
  }
  const layout = baseLayout(options);
  layout.xaxis = { type: "category", ...(options.xTitle === undefined ? {} : { title: { text: options.xTitle } }) };
  layout.yaxis = {
    type: "category",
    autorange: "reversed",
    ...(options.yTitle === undefined ? {} : { title: { text: options.yTitle } }),
  };
  return new Figure([trace], layout);
}

/** Options of `plot.confusionMatrix`. */
export interface ConfusionMatrixOptions extends LayoutOptions {
  /** Class names (default "0", "1", …; their count sets the number of classes). */
  classes?: string[];
  /**
   * Normalise like scikit-learn: "true" divides each row (actual class) by its total (recall),
   * "pred" each column (predicted class), "all" by the number of samples; default none (counts).
   */
  normalize?: "true" | "pred" | "all";
  /** Plotly colour scale (default white → dark blue, so large counts stand out). */
  colorscale?: string | [number, string][];
}

/** A confusion-matrix figure; `matrix[actual][predicted]` holds the (normalised) counts. */
export class ConfusionMatrixFigure extends Figure {
  /** `matrix[i][j]`: samples of actual class i predicted as class j (normalised if asked). */
  matrix: number[][];
  /** Fraction of samples on the diagonal. */
  accuracy: number;

  /** Wraps a heatmap figure with its matrix. */
  constructor(figure: Figure, matrix: number[][], accuracy: number) {
    super(figure.data, figure.layout);
    this.matrix = matrix;
    this.accuracy = accuracy;
  }
}

/**
 * The confusion matrix of class predictions, as a heatmap with the values written in the cells
 * (rows: actual class, columns: predicted class).
 *
 *   matrix[i][j] = #{ n : actual[n] = i and predicted[n] = j }
 *
 * @param predicted Predicted class indices, length N.
 * @param actual True class indices, length N.
 * @param options `classes` (names; default as many as the largest index + 1), `normalize`
 *   ("true" | "pred" | "all"; default counts), `colorscale` (default white → dark blue), `title`, `width`, `height`.
 * @returns A `ConfusionMatrixFigure`: the figure plus `matrix` and `accuracy`.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const fig = plot.confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], { classes: ["a", "b", "c"] });
 * assert.deepEqual(fig.matrix, [[1, 0, 0], [0, 1, 0], [0, 1, 1]]);
 * assert.equal(fig.accuracy, 0.75);
 * ```
 */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  options: ConfusionMatrixOptions = {},
): ConfusionMatrixFigure {
  const pred = toNumbers(predicted, "plot.confusionMatrix: predicted");
  const act = toNumbers(actual, "plot.confusionMatrix: actual");
  if (pred.length !== act.length) {
    throw new RangeError(
      `plot.confusionMatrix: ${pred.length} predictions but ${act.length} actual labels; expected equal lengths`,
    );
  }
  const k = options.classes?.length ?? Math.max(0, ...pred, ...act) + 1;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let n = 0; n < pred.length; n++) {
    const [p, a] = [pred[n], act[n]];
    if (!Number.isInteger(p) || !Number.isInteger(a) || p < 0 || a < 0 || p >= k || a >= k) {
      throw new RangeError(
        `plot.confusionMatrix: sample ${n} has predicted ${p} and actual ${a}; expected integers in [0, ${k})`,
      );
    }
    counts[a][p]++;
    if (p === a) correct++;
  }
  const matrix = normalizeCounts(counts, options.normalize);
  const names = options.classes ?? counts.map((_, i) => String(i));
  const fig = heatmap(matrix, {
    x: names,
    y: names,
    colorscale: options.colorscale ?? [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]],
    showValues: true,
    valueFormat: options.normalize ? ".2f" : "d",
    title: options.title ?? "Confusion matrix",
    xTitle: "predicted",
    yTitle: "actual",
    width: options.width,
    height: options.height,
  });
  return new ConfusionMatrixFigure(fig, matrix, pred.length ? correct / pred.length : 0);
}

function normalizeCounts(counts: number[][], mode: ConfusionMatrixOptions["normalize"]): number[][] {
  if (mode === undefined) return counts;
  if (mode !== "true" && mode !== "pred" && mode !== "all") {
    throw new RangeError(`plot.confusionMatrix: normalize must be "true", "pred" or "all", got ${mode}`);
  }
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const colSums = counts[0]?.map((_, j) => counts.reduce((a, r) => a + r[j], 0)) ?? [];
  return counts.map((row) => {
    const rowSum = row.reduce((a, b) => a + b, 0);
    return row.map((c, j) => {
      const d = mode === "true" ? rowSum : mode === "pred" ? colSums[j] : total;
      return d === 0 ? 0 : c / d;
    });
  });
}
