import assert from "node:assert/strict";
import { plot } from "../../mod.ts";
import { decodePng } from "./_png.ts";

const JUPYTER = Symbol.for("Jupyter.display");
type Displayable = { [JUPYTER](): Record<string, unknown> };

Deno.test("plot.line() builds one scatter trace per series with the axis options", () => {
  const fig = plot.line([{ y: [3, 2, 1], name: "train" }, { x: [0, 2], y: [3, 2.5], dash: "dash", mode: "markers" }], {
    title: "Loss",
    xTitle: "epoch",
    yTitle: "loss",
    logY: true,
    width: 500,
  });
  assert.deepEqual(fig.toJSON(), {
    data: [
      { type: "scatter", mode: "lines", x: [0, 1, 2], y: [3, 2, 1], name: "train" },
      { type: "scatter", mode: "markers", x: [0, 2], y: [3, 2.5], line: { dash: "dash" } },
    ],
    layout: {
      title: { text: "Loss" },
      width: 500,
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "loss" }, type: "log" },
    },
  });
  assert.throws(() => plot.line({ x: [1], y: [1, 2] }), /plot\.line: series 0 has 1 x values but 2 y values/);
});

Deno.test("plot.scatter() colours points by number, by name, or per series", () => {
  const fig = plot.scatter([
    { x: new Float32Array([0, 1]), y: [1, 0], color: [0, 1], name: "a" },
    { x: [2], y: [2], color: "red", size: 9 },
  ]);
  assert.deepEqual(fig.data[0].marker, { color: [0, 1], colorscale: "Viridis", showscale: true });
  assert.deepEqual(fig.data[0].x, [0, 1]);
  assert.deepEqual(fig.data[1].marker, { color: "red", size: 9 });
  assert.throws(() => plot.scatter({ x: [1, 2], y: [1, 2], color: [1] }), RangeError);
});

Deno.test("plot.histogram() shares equal-width bins between overlaid sets", () => {
  const fig = plot.histogram([{ values: [0, 1, 2], name: "a" }, { values: [4], name: "b" }], {
    bins: 4,
    density: true,
  });
  assert.deepEqual(fig.data.map((t) => t.xbins), [{ start: 0, end: 4, size: 1 }, { start: 0, end: 4, size: 1 }]);
  assert.equal(fig.data[1].histnorm, "probability density");
  assert.equal(fig.layout.barmode, "overlay");
  assert.throws(() => plot.histogram([1], { bins: 0 }), /bins must be a positive integer, got 0/);
});

Deno.test("plot.heatmap() draws row 0 on top and can write the values", () => {
  const fig = plot.heatmap([[1, 2], [3, 4]], { y: ["r0", "r1"], showValues: true, colorscale: "Greys" });
  assert.deepEqual(fig.data[0], {
    type: "heatmap",
    z: [[1, 2], [3, 4]],
    x: [0, 1],
    y: ["r0", "r1"],
    colorscale: "Greys",
    texttemplate: "%{z:.3~g}",
    hoverongaps: false,
  });
  assert.equal((fig.layout.yaxis as { autorange: string }).autorange, "reversed");
  assert.throws(() => plot.heatmap([[1, 2], [3]]), /row 1 has 1 values but row 0 has 2/);
});

Deno.test("plot.confusionMatrix() counts actual × predicted and normalises like scikit-learn", () => {
  const predicted = new Int32Array([0, 1, 1, 2, 2, 2]);
  const actual = [0, 1, 2, 2, 2, 0];
  const fig = plot.confusionMatrix(predicted, actual, { classes: ["cat", "dog", "frog"] });
  assert.deepEqual(fig.matrix, [[1, 0, 1], [0, 1, 0], [0, 1, 2]]);
  assert.equal(fig.accuracy, 4 / 6);
  assert.deepEqual(fig.data[0].x, ["cat", "dog", "frog"]);
  const rows = plot.confusionMatrix(predicted, actual, { normalize: "true" });
  assert.deepEqual(rows.matrix, [[0.5, 0, 0.5], [0, 1, 0], [0, 1 / 3, 2 / 3]]);
  assert.deepEqual(plot.confusionMatrix(predicted, actual, { normalize: "pred" }).matrix[2], [0, 0.5, 2 / 3]);
  assert.throws(() => plot.confusionMatrix([3], [0], { classes: ["a", "b"] }), /expected integers in \[0, 2\)/);
});

Deno.test("plot.imageGrid() makes one RGB image trace per image in its own cell", () => {
  // two 1×2 RGB images in NCHW: red|green and a gray ramp given as [N, H, W]
  const rgb = plot.imageGrid({ data: [1, 0, 0, 1, 0, 0], shape: [1, 3, 1, 2] }, { normalize: false });
  assert.deepEqual(rgb.data[0].z, [[[255, 0, 0], [0, 255, 0]]]);
  const gray = plot.imageGrid({ data: [-1, 1, 0, 0], shape: [2, 1, 2] }, { normalize: [-1, 1], labels: ["x", "y"] });
  assert.deepEqual(gray.data.map((t) => [t.xaxis, t.yaxis]), [["x", "y"], ["x2", "y2"]]);
  assert.deepEqual(gray.data[0].z, [[[0, 0, 0], [255, 255, 255]]]);
  assert.deepEqual(gray.data[1].z, [[[128, 128, 128], [128, 128, 128]]]);
  assert.deepEqual((gray.layout.annotations as { text: string }[]).map((a) => a.text), ["x", "y"]);
  assert.throws(() => plot.imageGrid({ data: [1, 2], shape: [1, 2, 1, 1] }), /C = 1 or 3/);
});

Deno.test("plot.subplots() renumbers axes and scales domains into grid cells", () => {
  const fig = plot.subplots([plot.line({ y: [1, 2] }, { title: "a" }), plot.heatmap([[1]]), plot.line({ y: [0] })], {
    cols: 2,
    title: "all",
  });
  assert.deepEqual(fig.data.map((t) => [t.xaxis, t.yaxis]), [["x", "y"], ["x2", "y2"], ["x3", "y3"]]);
  const layout = fig.layout as Record<string, { domain: number[]; anchor: string }>;
  assert.equal(layout.xaxis2.anchor, "y2");
  assert.ok(layout.xaxis.domain[1] <= layout.xaxis2.domain[0]);
  assert.ok(layout.yaxis3.domain[1] <= layout.yaxis.domain[0]);
  assert.equal((fig.layout.annotations as { text: string }[])[0].text, "a");
});

Deno.test("a figure displays in Jupyter as Plotly JSON with an HTML fallback", () => {
  const fig = plot.line({ y: [1, 2] }, { title: "t" });
  const bundle = (fig as unknown as Displayable)[JUPYTER]();
  assert.deepEqual(bundle["application/vnd.plotly.v1+json"], fig.toJSON());
  assert.match(bundle["text/html"] as string, /<div id="denograd-plot-[\w-]+"[^>]*><\/div>\s*<script/);
  assert.match(bundle["text/html"] as string, /Plotly\.newPlot/);
  assert.equal(bundle["text/plain"], 'Figure(1 trace, title="t")');
});

Deno.test("plot.toHTML() inlines the pinned plotly.js and the figure data", async () => {
  const pkg = JSON.parse(await Deno.readTextFile("node_modules/plotly.js-dist-min/package.json"));
  assert.equal(plot.PLOTLY_VERSION, pkg.version);
  const html = await plot.toHTML(plot.line({ y: [1.5, 2.5] }, { title: "a </script> b" }));
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /<title>a &lt;\/script&gt; b<\/title>/);
  assert.ok(html.includes('"y":[1.5,2.5]'));
  assert.ok(html.includes("\\u003c/script> b"), "figure JSON cannot close the script element");
  assert.ok(html.length > 4_000_000, "plotly.min.js is inlined");
  assert.equal(html.match(/<\/script>/g)?.length, 2);
});

Deno.test("plot.writeHTML() writes the page atomically", async () => {
  await Deno.mkdir("tests/.tmp", { recursive: true });
  const path = "tests/.tmp/plot_write_test.html";
  try {
    await plot.writeHTML(plot.histogram([1, 2, 2, 3]), path);
    const html = await Deno.readTextFile(path);
    assert.match(html, /"type":"histogram"/);
    const leftovers = [...Deno.readDirSync("tests/.tmp")].filter((e) => e.name.startsWith("plot_write_test.html."));
    assert.deepEqual(leftovers, []);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

/** Whether Debian's chromium can be run (needs --allow-run=chromium and the package). */
async function chromiumAvailable(): Promise<boolean> {
  if ((await Deno.permissions.query({ name: "run", command: "chromium" })).state !== "granted") return false;
  try {
    return (await new Deno.Command("chromium", { args: ["--version"], stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "a figure's HTML renders in headless Chromium to a non-blank screenshot",
  ignore: !(await chromiumAvailable()),
  async fn() {
    const dir = await Deno.makeTempDir({
      dir: await Deno.mkdir("tests/.tmp", { recursive: true }).then(() => "tests/.tmp"),
    });
    try {
      const fig = plot.subplots([
        plot.line([{ y: [3, 2, 1.5, 1.2, 1], name: "train" }, { y: [3, 2.4, 2.1, 2, 2], name: "test" }], {
          title: "loss",
        }),
        plot.confusionMatrix([0, 1, 1, 2, 2, 0], [0, 1, 2, 2, 2, 0], { classes: ["a", "b", "c"] }),
      ], { cols: 2, width: 780, height: 560 });
      await plot.writeHTML(fig, `${dir}/fig.html`);
      const png = `${dir}/shot.png`;
      const out = await new Deno.Command("chromium", {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--virtual-time-budget=5000",
          `--user-data-dir=${Deno.realPathSync(dir)}/profile`,
          `--screenshot=${Deno.realPathSync(dir)}/shot.png`,
          "--window-size=800,600",
          `file://${Deno.realPathSync(dir)}/fig.html`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const img = await decodePng(await Deno.readFile(png));
      assert.equal(img.width, 800);
      let nonWhite = 0;
      const colours = new Set<number>();
      for (let i = 0; i < img.width * img.height; i++) {
        const [r, g, b] = img.pixels.subarray(i * img.channels, i * img.channels + 3);
        if (r < 240 || g < 240 || b < 240) nonWhite++;
        colours.add((r << 16) | (g << 8) | b);
      }
      assert.ok(nonWhite > 0.02 * img.width * img.height, `only ${nonWhite} non-white pixels`);
      assert.ok(colours.size > 50, `only ${colours.size} distinct colours`);
      if (Deno.env.get("DENOGRAD_KEEP_SCREENSHOT")) await Deno.copyFile(png, "tests/.tmp/plot_screenshot.png");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
