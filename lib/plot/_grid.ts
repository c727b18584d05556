/**
 * Subplot grid geometry shared by `imageGrid` and `subplots`.
 * @module
 */

/** Paper-coordinate domains of one grid cell. */
export interface Cell {
  x: [number, number];
  y: [number, number];
}

/**
 * The domain of each of `n` cells laid out row by row in `cols` columns, row 0 at the top, with
 * `gapX`/`gapY` (fractions of the figure) between cells and `top` reserved above the first row.
 */
export function gridCells(n: number, cols: number, gapX = 0.02, gapY = 0.06): Cell[] {
  const rows = Math.max(1, Math.ceil(n / cols));
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows - 1)) / rows;
  return Array.from({ length: n }, (_, k) => {
    const r = Math.floor(k / cols), c = k % cols;
    const x0 = c * (w + gapX), y1 = 1 - r * (h + gapY);
    return { x: [clamp01(x0), clamp01(x0 + w)], y: [clamp01(y1 - h), clamp01(y1)] };
  });
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, Math.round(v * 1e6) / 1e6));
}

/** Plotly's axis names: index 1 is "x"/"xaxis", index k is "x{k}"/"xaxis{k}". */
export function axisId(letter: "x" | "y", k: number): { ref: string; key: string } {
  const suffix = k === 1 ? "" : String(k);
  return { ref: `${letter}${suffix}`, key: `${letter}axis${suffix}` };
}
