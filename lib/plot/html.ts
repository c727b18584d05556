/**
 * Standalone HTML pages of figures, with plotly.js inlined from the `plotly.js-dist-min` npm
 * package so the page works offline.
 * @module
 */
import { escapeHTML, newDivId, PLOTLY_VERSION, scriptJSON } from "./_html_parts.ts";
import type { Figure } from "./figure.ts";
import { permissionError } from "../_permission.ts";

/** Options of `plot.toHTML` and `plot.writeHTML`. */
export interface HTMLOptions {
  /** The page's `<title>` (default: the figure's title, else "denograd figure"). */
  title?: string;
}

/**
 * The source of plotly.min.js (about 4.8 MB), loaded on first use from `node_modules` as a text
 * import, which needs no permission.
 */
export async function plotlySource(): Promise<string> {
  const mod = await import("../../node_modules/plotly.js-dist-min/plotly.min.js", { with: { type: "text" } });
  return mod.default;
}

/**
 * A complete HTML page showing the figure (or figures, one below the other), with plotly.js
 * inlined: it opens offline in any browser.
 *
 * @param figure A `Figure` or an array of them.
 * @param options `title` of the page (default: the first figure's title).
 * @returns The HTML text.
 * @example
 * ```ts
 * import { plot } from "denograd";
 * import assert from "node:assert/strict";
 * const html = await plot.toHTML(plot.line({ y: [1, 4, 9] }, { title: "squares" }));
 * assert.match(html, /<title>squares<\/title>/);
 * ```
 */
export async function toHTML(figure: Figure | Figure[], options: HTMLOptions = {}): Promise<string> {
  const figures = Array.isArray(figure) ? figure : [figure];
  const firstTitle = (figures[0]?.layout.title as { text?: string } | undefined)?.text;
  const title = options.title ?? firstTitle ?? "denograd figure";
  const divs = figures.map((f) => {
    const id = newDivId();
    const json = scriptJSON(f.toJSON());
    return {
      div: `<div id="${id}" class="denograd-plot"></div>`,
      draw: `  (function () { var f = ${json}; Plotly.newPlot("${id}", f.data, f.layout, { responsive: true }); })();`,
    };
  });
  const plotly = (await plotlySource()).replaceAll("</script", "<\\/script");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="denograd plot (plotly.js ${PLOTLY_VERSION})">
<title>${escapeHTML(title)}</title>
<style>body { margin: 0; font-family: sans-serif; } .denograd-plot { margin: 8px auto; }</style>
<script type="text/javascript">${plotly}</script>
</head>
<body>
${divs.map((d) => d.div).join("\n")}
<script type="text/javascript">
${divs.map((d) => d.draw).join("\n")}
</script>
</body>
</html>
`;
}

/**
 * Writes `toHTML(figure)` to `path` atomically (a temporary file beside it, then a rename), so a
 * reader never sees half a page. Needs `--allow-write` for the folder of `path`.
 *
 * @param figure A `Figure` or an array of them.
 * @param path Destination file, e.g. "loss.html".
 * @param options `title` of the page.
 * @example
 * ```ts ignore
 * import { plot } from "denograd";
 * await plot.writeHTML(plot.line({ y: [3, 2, 1] }, { title: "loss" }), "loss.html");
 * ```
 */
export async function writeHTML(
  figure: Figure | Figure[],
  path: string | URL,
  options: HTMLOptions = {},
): Promise<void> {
  const html = await toHTML(figure, options);
  const target = path instanceof URL ? path.pathname : path;
  const tmp = `${target}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, html);
    await Deno.rename(tmp, target);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw permissionError("writeHTML", "write", target, err) ?? err;
  }
}
