/**
 * Least privilege: entry points run in a child deno process with narrowed permissions, and a
 * missing permission must give an Error that names the flag to add. Needs --allow-run for the
 * deno binary (`deno task test` grants exactly Deno.execPath()).
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;
const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state === "granted";

/** The message printed by tests/permissions/_permission_probe.ts running `action` with only `flags`. */
async function probe(action: string, flags: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-env=DENOGRAD_BACKEND",
      ...flags,
      "tests/permissions/_permission_probe.ts",
      action,
    ],
    env: { DENOGRAD_BACKEND: "cpu" },
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, `probe ${action} failed: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

const cases: [string, string[], RegExp][] = [
  [
    "load",
    [],
    /^load: reading "tests\/fixtures\/denograd_written\.safetensors" needs --allow-read=tests\/fixtures\/denograd_written\.safetensors \(or a parent folder\)$/,
  ],
  ["load", ["--allow-read=tests/fixtures"], /^ok$/],
  [
    "save",
    ["--allow-read=tests"],
    /^save: writing "tests\/\.tmp\/probe\.safetensors" needs --allow-write=tests\/\.tmp /,
  ],
  ["vocab", [], /^BertTokenizer\.fromVocab: reading "tests\/fixtures\/vocab_probe\.txt" needs --allow-read=/],
  ["html", [], /^writeHTML: writing "tests\/\.tmp\/probe\.html" needs --allow-write=tests\/\.tmp /],
  ["idx", [], /^readIdx: reading "tests\/fixtures\/probe\.idx" needs --allow-read=tests\/fixtures\/probe\.idx/],
];

Deno.test({
  name: "a missing permission gives an Error naming the flag to add",
  ignore: !canRun,
  async fn() {
    const messages = await Promise.all(cases.map(([action, flags]) => probe(action, flags)));
    cases.forEach(([action, flags, expected], i) => {
      assert.match(messages[i], expected, `${action} with [${flags}]`);
    });
  },
});
