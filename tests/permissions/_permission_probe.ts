/**
 * Child process of permissions_test.ts: runs one library entry point named by `Deno.args[0]`
 * under whatever narrow permissions the test gave, and prints the error message (or "ok").
 */
import { data, load, plot, save, tensor } from "../../mod.ts";

const actions: Record<string, () => Promise<unknown>> = {
  load: () => load("tests/fixtures/denograd_written.safetensors", { device: "cpu" }),
  save: () => save({ w: tensor([1, 2], { device: "cpu" }) }, "tests/.tmp/probe.safetensors"),
  vocab: () => data.BertTokenizer.fromVocab("tests/fixtures/vocab_probe.txt"),
  html: () => plot.writeHTML(plot.line({ y: [1, 2] }), "tests/.tmp/probe.html"),
  idx: () => data.readIdx("tests/fixtures/probe.idx"),
};
try {
  await actions[Deno.args[0]]();
  console.log("ok");
} catch (e) {
  console.log((e as Error).message);
}
