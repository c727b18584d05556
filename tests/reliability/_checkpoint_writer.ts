/**
 * Child process of checkpoint_test.ts: saves a ~8 MB state dict to `Deno.args[0]` over and
 * over, every tensor filled with the save's number, and prints "saved <n>" after each save
 * returns. The test kills it with SIGKILL at a random moment.
 */
import { full, save } from "../../mod.ts";

const path = Deno.args[0];
const start = Number(Deno.args[1] ?? 0);
for (let n = start; n < start + 1000; n++) {
  const state = { a: full([512, 1024], n), b: full([1024, 1024], n), c: full([7], n) };
  await save(state, path, { metadata: { step: String(n) } });
  for (const t of Object.values(state)) t.dispose();
  console.log(`saved ${n}`);
}
