/**
 * Crash safety of `save`: a child process saving in a loop is killed with SIGKILL mid-write,
 * several times; the checkpoint must stay loadable and whole (every tensor from one save).
 * Needs --allow-run for the deno binary (`deno task test` grants exactly Deno.execPath()).
 */
import assert from "node:assert/strict";
import { load, loadBytes, save, tensor } from "../../mod.ts";

const dir = new URL("../.tmp/checkpoint/", import.meta.url);
const writer = new URL("./_checkpoint_writer.ts", import.meta.url);
const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state === "granted";

/** Starts the writer, waits for `minSaves` completed saves plus a random delay, then SIGKILLs it. */
async function saveAndKill(path: string, start: number, minSaves: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read=tests/.tmp",
      "--allow-write=tests/.tmp",
      "--allow-env",
      writer.pathname,
      path,
      `${start}`,
    ],
    env: { DENOGRAD_BACKEND: "cpu" },
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let last = -1;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (last < start + minSaves - 1) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = [...text.matchAll(/saved (\d+)/g)];
    if (m.length) last = Number(m[m.length - 1][1]);
  }
  await new Promise((r) => setTimeout(r, Math.random() * 150));
  child.kill("SIGKILL");
  // drain what was printed before the kill
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const m = [...text.matchAll(/saved (\d+)/g)];
  if (m.length) last = Number(m[m.length - 1][1]);
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", "the writer was still running when killed");
  return last;
}

Deno.test({
  name: "killing a process in the middle of save leaves the previous checkpoint whole and loadable",
  ignore: !canRun,
  async fn() {
    await Deno.mkdir(dir, { recursive: true });
    const path = new URL("model.safetensors", dir).pathname;
    try {
      let start = 0;
      for (let round = 0; round < 4; round++) {
        const last = await saveAndKill(path, start, round === 0 ? 1 : 0);
        const state = await load(path, { device: "cpu" });
        const a = await state.a.data(), b = await state.b.data(), c = await state.c.data();
        const n = c[0];
        assert.ok(n >= last && n <= last + 1, `checkpoint holds save ${n}; the last completed save was ${last}`);
        assert.ok(a.every((v) => v === n) && b.every((v) => v === n), "every tensor comes from the same save");
        assert.deepEqual(state.b.shape, [1024, 1024]);
        start = n + 1;
      }
      // killed saves may leave temporary files: they never carry the checkpoint's name, and a
      // partial one is rejected by load's size check with a clear Error
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name === "model.safetensors") continue;
        assert.match(entry.name, /^model\.safetensors\.tmp-[0-9a-f]{12}$/);
        const bytes = await Deno.readFile(new URL(entry.name, dir));
        try {
          loadBytes(bytes, { device: "cpu", source: entry.name }); // killed after the last write: complete
        } catch (e) {
          assert.match((e as Error).message, /^load: model\.safetensors\.tmp-/);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("load verifies the header against the file size and rejects a truncated file", async () => {
  await Deno.mkdir(dir, { recursive: true });
  const path = new URL("small.safetensors", dir).pathname;
  try {
    await save({ w: tensor([[1, 2], [3, 4]]), b: tensor([5, 6]) }, path);
    const bytes = await Deno.readFile(path);
    assert.deepEqual(await (await load(path)).w.toArray(), [[1, 2], [3, 4]]);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(load(path), /load: .*small\.safetensors: .*run past the end/);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes);
    await Deno.writeFile(path, padded);
    await assert.rejects(load(path), /describes 24 bytes of tensor data but the file has 29/);
    await Deno.writeFile(path, bytes.subarray(0, 20));
    await assert.rejects(load(path), /header length \d+ exceeds/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
