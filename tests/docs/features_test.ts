/**
 * FEATURES.md is generated (tools/features.ts); these tests fail when the committed page no longer
 * matches what the generator writes for the current exports of mod.ts.
 */
import assert from "node:assert/strict";
import { camelCase, generate, type PytorchApi, renderFeatures } from "../../tools/features.ts";

const REGENERATE = "run `deno task features` and commit FEATURES.md";

Deno.test("FEATURES.md matches what tools/features.ts generates", async () => {
  const committed = (await Deno.readTextFile(new URL("../../FEATURES.md", import.meta.url))).replaceAll("\r\n", "\n");
  const { markdown } = await generate();
  if (committed !== markdown) {
    const a = committed.split("\n"), b = markdown.split("\n");
    const i = a.findIndex((line, k) => line !== b[k]);
    assert.fail(
      `FEATURES.md is stale: ${REGENERATE}.\nFirst difference at line ${i + 1}:\n` +
        `  committed: ${a[i] ?? "(end of file)"}\n  generated: ${b[i] ?? "(end of file)"}`,
    );
  }
});

Deno.test("the notes and aliases of tools/features.ts name only real PyTorch and denograd names", async () => {
  const { warnings } = await generate();
  assert.deepEqual(warnings, [], `fix the notes in tools/features.ts, then ${REGENERATE}`);
});

Deno.test("camelCase() maps PyTorch's snake_case names to denograd's", () => {
  assert.equal(camelCase("log_softmax"), "logSoftmax");
  assert.equal(camelCase("binary_cross_entropy_with_logits"), "binaryCrossEntropyWithLogits");
  assert.equal(camelCase("nll_loss"), "nllLoss");
  assert.equal(camelCase("smooth_l1_loss"), "smoothL1Loss");
  assert.equal(camelCase("init.kaiming_uniform_"), "init.kaimingUniform_");
  assert.equal(camelCase("MSELoss"), "MSELoss");
});

Deno.test("renderFeatures() resolves aliases, fallbacks, in-place variants and op-table kinds", () => {
  const pytorch: PytorchApi = {
    torch_version: "test",
    namespaces: {
      Tensor: [
        { name: "exp", kind: "method", inplace: true },
        { name: "max", kind: "method" },
        { name: "requires_grad", kind: "property", inplace: true },
      ],
      torch: [{ name: "exp", kind: "function" }, { name: "conv2d", kind: "function" }, {
        name: "zeros",
        kind: "function",
      }],
      F: [{ name: "conv2d", kind: "function" }],
    },
  };
  const surface = {
    Tensor: ["exp", "max", "maxWithIndices", "requiresGrad", "requiresGrad_", "toArray"],
    denograd: ["zeros"],
    F: ["conv2d", "focalLoss"],
  };
  const md = renderFeatures({ pytorch, denograd: surface, ops: { exp: { kind: "elementwise", doc: "e^x" } } });
  assert.match(md, /\| `exp` +\| `exp` +\| ✅ +\| ❌ +\| elementwise \| e\^x/);
  assert.match(md, /\| `max` +\| `max`, `maxWithIndices` +\| 🟡/);
  assert.match(md, /\| `requires_grad` +\| `requiresGrad` +\| ✅ +\| ✅ `requiresGrad_`/);
  assert.match(md, /\| `exp` +\| `Tensor\.exp` +\| 🟡 +\| elementwise \| method only/);
  assert.match(md, /\| `conv2d` +\| `F\.conv2d` +\| 🟡/);
  assert.match(md, /\| `zeros` +\| `zeros` +\| ✅/);
  assert.match(md, /\| `Tensor\.toArray` +\|/);
  assert.match(md, /\| `F\.focalLoss` +\| tutorial loss/);
  assert.equal(renderFeatures({ pytorch, denograd: surface }), renderFeatures({ pytorch, denograd: surface }));
});
