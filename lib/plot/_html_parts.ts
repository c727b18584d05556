/**
 * HTML snippets that load Plotly in a page or notebook and draw a figure into a `<div>`.
 * @module
 */

/** The plotly.js version of the `plotly.js-dist-min` npm package this library inlines. */
export const PLOTLY_VERSION = "4.1.2";

/** Where the Jupyter HTML fallback loads Plotly from when the page does not have it yet. */
export const PLOTLY_CDN = `https://cdn.plot.ly/plotly-${PLOTLY_VERSION}.min.js`;

let counter = 0;

/** JSON safe to put inside a `<script>` element. */
export function scriptJSON(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll(
    "\u2029",
    "\\u2029",
  );
}

/** Escapes text for HTML content and attributes. */
export function escapeHTML(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** A unique element id for one drawn figure. */
export function newDivId(): string {
  return `denograd-plot-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/**
 * A `<div>` plus a script that draws `json` with `window.Plotly` when the page has it, else loads
 * Plotly through RequireJS (classic notebooks) or a `<script>` tag from the Plotly CDN.
 */
export function plotlyLoaderHTML(json: { data: unknown; layout: unknown }): string {
  const id = newDivId();
  return `<div id="${id}" class="denograd-plot"></div>
<script type="text/javascript">
(function () {
  var fig = ${scriptJSON(json)};
  function draw(Plotly) { Plotly.newPlot("${id}", fig.data, fig.layout, { responsive: true }); }
  if (window.Plotly) { draw(window.Plotly); return; }
  if (typeof window.require === "function" && window.require.config) {
    window.require.config({ paths: { plotly: "${PLOTLY_CDN.slice(0, -3)}" } });
    window.require(["plotly"], draw);
    return;
  }
  var s = document.createElement("script");
  s.src = "${PLOTLY_CDN}";
  s.onload = function () { draw(window.Plotly); };
  document.head.appendChild(s);
})();
</script>`;
}
