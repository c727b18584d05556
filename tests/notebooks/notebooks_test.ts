/**
 * The notebook runner (notebooks/run.ts): no output lost to Deno's early idle, a failing cell fails
 * the run with its traceback, permissions narrowed, and every notebook passing in quick mode. Skipped
 * when /usr/bin/python3 cannot import nbclient (Debian's jupyter-core jupyter-nbconvert python3-nbclient).
 */
import assert from "node:assert/strict";
import { jupyterAvailable, runNotebooks } from "../../notebooks/run.ts";

const ignore = !(await jupyterAvailable());
const TMP = new URL("../.tmp/", import.meta.url).pathname;
/**
 * Limits for the small test notebooks: when Deno's kernel stops answering (it rarely does),
 * the runner kills it and retries after a minute instead of the five minutes a real notebook gets.
 */
const TINY = { cellTimeout: 30, timeLimit: 60 };

/** Writes `src/01_<name>.ts` under a fresh folder in tests/.tmp and returns the folder. */
async function notebookDir(name: string, source: string): Promise<string> {
  const dir = `${TMP}notebooks_${name}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${dir}/src`, { recursive: true });
  await Deno.writeTextFile(`${dir}/src/01_${name}.ts`, source);
  return dir;
}

interface Output {
  output_type: string;
  name?: string;
  text?: string[];
  data?: Record<string, unknown>;
}

async function outputs(path: string): Promise<Output[][]> {
  const nb = JSON.parse(await Deno.readTextFile(path));
  return nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map((c: { outputs: Output[] }) =>
    c.outputs
  );
}

const LATE_SOURCE = Array.from({ length: 6 }, (_, i) =>
  `// %%
for (let j = 0; j < 4; j++) console.log("cell ${i} line " + j);
console.error("cell ${i} stderr");
await Deno.jupyter.display({ "text/plain": "display ${i}" }, { raw: true });
${i} * 2;`).join("\n") + `
// %%
const states = [];
for (const name of ["write", "net", "run", "ffi", "sys", "read", "env"] as const) {
  states.push(name + ":" + (await Deno.permissions.query({ name })).state);
}
console.log(states.join(" "));
`;

Deno.test({
  name: "the notebook runner keeps every output of Deno's kernel, the same in five runs",
  ignore,
  async fn() {
    const dir = await notebookDir("late", LATE_SOURCE);
    const runs: string[] = [];
    for (let run = 0; run < 5; run++) {
      const [result] = await runNotebooks({ dir, quick: true, ...TINY, log: () => {} });
      assert.ok(result.ok, result.log);
      const cells = await outputs(result.path);
      for (let i = 0; i < 6; i++) {
        const text = cells[i].filter((o) => o.name === "stdout").map((o) => o.text!.join("")).join("");
        assert.equal(text, [0, 1, 2, 3].map((j) => `cell ${i} line ${j}\n`).join(""), `cell ${i}, run ${run}`);
        assert.ok(cells[i].some((o) => o.name === "stderr"), `cell ${i} stderr, run ${run}`);
        assert.ok(cells[i].some((o) => o.output_type === "display_data"), `cell ${i} display, run ${run}`);
        assert.ok(cells[i].some((o) => o.output_type === "execute_result"), `cell ${i} result, run ${run}`);
      }
      runs.push(JSON.stringify(cells));
    }
    assert.equal(new Set(runs).size, 1, "five runs gave identical outputs");
    // the runner's prelude revoked everything but read and env
    const last = JSON.parse(runs[0]).at(-1)[0].text.join("");
    assert.equal(
      last.trim(),
      "write:prompt net:prompt run:prompt ffi:prompt sys:prompt read:granted env:granted",
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "the notebook runner fails on a broken assert and reports the failing cell's traceback",
  ignore,
  async fn() {
    const dir = await notebookDir(
      "fail",
      `// %%
import assert from "node:assert/strict";
console.log("before");
// %%
assert.equal(1 + 1, 3, "arithmetic claim");
// %%
console.log("never reached");
`,
    );
    const lines: string[] = [];
    const [result] = await runNotebooks({ dir, quick: true, ...TINY, log: (l) => lines.push(l) });
    assert.equal(result.ok, false);
    assert.match(result.log, /error in cell 1 of/);
    assert.match(result.log, /assert\.equal\(1 \+ 1, 3/);
    assert.match(result.log, /AssertionError/);
    assert.match(result.log, /arithmetic claim/);
    assert.ok(lines.some((l) => l.startsWith("FAIL 01_fail")));
    const cells = await outputs(result.path);
    assert.equal(cells[0][0].text!.join(""), "before\n");
    assert.equal(cells[2].length, 0, "cells after the failure do not run");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "every notebook runs to the end in quick mode",
  ignore,
  async fn() {
    const results = await runNotebooks({ quick: true });
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed.map((r) => `${r.name}\n${r.log}`), []);
  },
});
