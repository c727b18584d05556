import assert from "node:assert/strict";
import { Progress, progress } from "../../mod.ts";

/** A progress bar with a fake clock (ms) and a captured output. */
function captured(source: Iterable<number> | AsyncIterable<number> | number, options = {}) {
  const out: string[] = [];
  const clock = { t: 0 };
  const bar = progress(source, { write: (s) => out.push(s), now: () => clock.t, ...options });
  return { bar, out, clock };
}

Deno.test("progress() in lines mode prints a line every 10% with rate, ETA and metrics", () => {
  const { bar, out, clock } = captured(20, { label: "train", mode: "lines", barWidth: 10 });
  for (const i of bar) {
    clock.t += 250;
    bar.update({ loss: 1 / (i + 1), acc: 0.5 });
  }
  assert.equal(out.length, 10);
  assert.equal(out[0], "train  10%|█         | 2/20 [00:00<00:04, 4.00 it/s] loss=0.5000 acc=0.5000\n");
  assert.equal(out[4], "train  50%|█████     | 10/20 [00:02<00:02, 4.00 it/s] loss=0.1000 acc=0.5000\n");
  assert.equal(out[9], "train 100%|██████████| 20/20 [00:05<00:00, 4.00 it/s] loss=0.05000 acc=0.5000\n");
});

Deno.test("progress() in a terminal redraws one line with \\r and ends it with a newline", async () => {
  const { bar, out, clock } = captured([1, 2, 3], { mode: "tty", barWidth: 8, minRedraw: 0 });
  for await (const _ of bar) clock.t += 2000;
  assert.equal(bar.mode, "tty");
  assert.ok(out.slice(0, -1).every((s) => s.startsWith("\r")));
  assert.equal(out.at(-2), "\r100%|████████| 3/3 [00:06<00:00, 2.00 s/it]");
  assert.equal(out.at(-1), "\n");
});

Deno.test("progress() over an async source without a length counts items and shows no percent", async () => {
  async function* gen() {
    for (let i = 0; i < 5; i++) yield i;
  }
  const { bar, out, clock } = captured(gen(), { mode: "lines", interval: 1000 });
  for await (const _ of bar) clock.t += 600;
  assert.equal(bar.total, undefined);
  assert.deepEqual(out, ["2 it [00:01, 1.67 it/s]\n", "4 it [00:02, 1.67 it/s]\n", "5 it [00:03, 1.67 it/s]\n"]);
});

Deno.test("Progress formats ETA in hours, slow rates in s/it and big metrics in scientific notation", () => {
  const out: string[] = [];
  let t = 0;
  const bar = new Progress(10_000, { mode: "lines", write: (s) => out.push(s), now: () => t, barWidth: 4 });
  t = 4000;
  bar.advance(1).set({ loss: 123456.7, step: "warmup" });
  assert.equal(bar.render(), "  0%|    | 1/10000 [00:04<11:06:36, 4.00 s/it] loss=1.235e+5 step=warmup");
});

Deno.test("breaking out of a progress loop closes it with a final line", () => {
  const { bar, out, clock } = captured(100, { mode: "lines", every: 50 });
  for (const i of bar) {
    clock.t += 10;
    if (i === 29) break;
  }
  assert.equal(out.length, 1);
  assert.match(out[0], /^ 29%\|.*\| 29\/100 /);
});

Deno.test("progress() rejects what it cannot iterate", () => {
  assert.throws(() => progress(-1), RangeError);
  assert.throws(() => progress({} as unknown as number[]), TypeError);
});
