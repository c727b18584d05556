import assert from "node:assert/strict";
import {
  BertConfig,
  BertForSequenceClassification,
  BertModel,
  type Device,
  type DType,
  load,
  loadPretrained,
  save,
  type Tensor,
  tensor,
} from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

const DIR = new URL("../fixtures/tiny_bert/", import.meta.url);
const expected = JSON.parse(await Deno.readTextFile(new URL("expected.json", DIR)));
const TMP = "tests/.tmp";

function inputs(device?: Device) {
  const opts = device ? { device } : {};
  return {
    ids: tensor(expected.input_ids, opts),
    attentionMask: tensor(expected.attention_mask, opts),
    tokenTypeIds: tensor(expected.token_type_ids, opts),
    labels: tensor(expected.labels, opts),
  };
}

async function checkAgainstTorch(dtype: DType | undefined, device: Device | undefined, tol: number): Promise<void> {
  const want = expected[dtype ?? "float32"];
  const tols = { rtol: tol, atol: tol };
  const model = (await loadPretrained(DIR, { model: "sequenceClassification", dtype, device })).eval();
  const { ids, attentionMask, tokenTypeIds, labels } = inputs(device);
  const out = model.forward(ids, { attentionMask, tokenTypeIds, labels });
  assert.equal(out.logits.dtype, dtype ?? "float32");
  assertClose(await out.lastHiddenState.data(), want.last_hidden_state, { ...tols, what: "lastHiddenState" });
  assertClose(await out.poolerOutput.data(), want.pooler_output, { ...tols, what: "poolerOutput" });
  assertClose(await out.logits.data(), want.logits, { ...tols, what: "logits" });
  assertClose([await out.loss!.item()], [want.loss], { ...tols, what: "loss" });
  const probe = tensor(expected.probe, { dtype: dtype ?? "float32", ...(device ? { device } : {}) })
    .reshape(out.lastHiddenState.shape);
  out.loss!.add(out.lastHiddenState.mul(probe).sum()).backward();
  const emb = model.bert.embeddings.word_embeddings.weight;
  assertClose(await emb.grad!.data(), want.grad_word_embeddings, { ...tols, what: "grad word_embeddings" });
  assertClose(await model.classifier.weight.grad!.data(), want.grad_classifier_weight, {
    ...tols,
    what: "grad classifier",
  });
  const q = model.bert.encoder.layer[0].attention.self.query.weight;
  assertClose(await q.grad!.data(), want.grad_query_0, { ...tols, what: "grad query 0" });
}

async function writeCheckpoint(name: string, state: Record<string, Tensor>, config?: object): Promise<string> {
  const dir = `${TMP}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  if (config) await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  await save(state, `${dir}/model.safetensors`);
  return dir;
}

Deno.test("loadPretrained() gives PyTorch's hidden states, pooler output, logits and gradients in float32", async () => {
  await checkAgainstTorch(undefined, undefined, 1e-4);
});

Deno.test("loadPretrained() with float64 on cpu matches PyTorch to 1e-9", async () => {
  await checkAgainstTorch("float64", "cpu", 1e-9);
});

Deno.test("BERT parameter names equal the Hugging Face checkpoint keys", async () => {
  const model = await loadPretrained(DIR, { model: "sequenceClassification" });
  assert.deepEqual(model.namedParameters().map(([n]) => n), expected.parameter_names);
  const base = await loadPretrained(DIR);
  assert.ok(base instanceof BertModel);
  assert.deepEqual(
    base.namedParameters().map(([n]) => n),
    expected.parameter_names.filter((n: string) => n.startsWith("bert.")).map((n: string) => n.slice(5)),
  );
});

Deno.test("a base checkpoint without the bert. prefix loads, and the classifier head starts fresh", async () => {
  const base = await loadPretrained(DIR);
  const dir = await writeCheckpoint("bert_base", base.stateDict(), base.config.toJSON());
  try {
    const again = (await loadPretrained(dir)).eval();
    const { ids, attentionMask, tokenTypeIds } = inputs();
    const out = again.forward(ids, { attentionMask, tokenTypeIds });
    assertClose(await out.lastHiddenState.data(), expected.float32.last_hidden_state, {
      rtol: 1e-4,
      atol: 1e-4,
      what: "lastHiddenState",
    });
    const cls = await loadPretrained(dir, { model: "sequenceClassification" });
    assert.deepEqual(cls.classifier.weight.shape, [3, 16]);
    assert.deepEqual(await cls.classifier.bias!.toArray(), [0, 0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPretrained() names missing, unexpected and mis-shaped keys and a missing config.json", async () => {
  const full = await load(new URL("model.safetensors", DIR));
  const config = JSON.parse(await Deno.readTextFile(new URL("config.json", DIR)));
  const { ["bert.encoder.layer.1.output.dense.bias"]: _dropped, ...missing } = full;
  const wrongShape = { ...full, "bert.pooler.dense.weight": tensor([[1, 2]], { dtype: "float32" }) };
  const extra = { ...full, "bert.encoder.layer.2.output.dense.bias": tensor([1], { dtype: "float32" }) };
  const cases: [string, Record<string, Tensor>, object | undefined, RegExp][] = [
    ["bert_missing", missing, config, /missing keys: bert\.encoder\.layer\.1\.output\.dense\.bias/],
    ["bert_shape", wrongShape, config, /bert\.pooler\.dense\.weight is \[1,2\] but the config needs \[16,16\]/],
    ["bert_extra", extra, config, /unexpected keys: bert\.encoder\.layer\.2\.output\.dense\.bias/],
    ["bert_noconfig", full, undefined, /config\.json not found/],
  ];
  for (const [name, state, cfg, message] of cases) {
    const dir = await writeCheckpoint(name, state, cfg);
    try {
      await assert.rejects(loadPretrained(dir, { model: "sequenceClassification" }), message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("token ids beyond the embedding table give an out-of-range embedding error", async () => {
  const model = new BertModel({
    vocabSize: 10,
    hiddenSize: 8,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    intermediateSize: 8,
    maxPositionEmbeddings: 8,
  }).eval();
  await assert.rejects(async () => {
    const { poolerOutput } = model.forward(tensor([[1, 2, 10]]));
    await poolerOutput.data();
  }, /embedding: index 10 is out of range for dimension 0 of size 10/);
  assert.throws(
    () => model.forward(tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9]])),
    /sequence length 9 exceeds maxPositionEmbeddings 8/,
  );
  assert.throws(() => model.forward(tensor([[1.5, 2]])), /inputIds must be int32/);
});

Deno.test("BertConfig reads HF config.json keys with defaults and rejects bad sizes", () => {
  const c = BertConfig.fromJSON({
    hidden_size: 32,
    num_attention_heads: 4,
    hidden_act: "gelu_new",
    id2label: { 0: "a" },
  });
  assert.equal(c.hiddenSize, 32);
  assert.equal(c.hiddenAct, "gelu_new");
  assert.equal(c.numLabels, 1);
  assert.equal(c.numHiddenLayers, 12);
  assert.equal(c.layerNormEps, 1e-12);
  assert.throws(() => new BertConfig({ hiddenSize: 30, numAttentionHeads: 4 }), /not a multiple of numAttentionHeads/);
  assert.throws(() => BertConfig.fromJSON({ hidden_act: "swish" }, "x.json"), /hiddenAct must be one of .*x\.json/);
});

Deno.test("a fresh BERT classifier starts as HF initialises it and trains one step", async () => {
  const model = new BertForSequenceClassification({
    vocabSize: 30,
    hiddenSize: 8,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    intermediateSize: 16,
    maxPositionEmbeddings: 8,
    initializerRange: 0.5,
  });
  const emb = await model.bert.embeddings.word_embeddings.weight.data();
  assert.ok(emb.slice(0, 8).every((v) => v === 0), "padding row is zero");
  assert.deepEqual(await model.bert.encoder.layer[0].output.LayerNorm.weight!.toArray(), Array(8).fill(1));
  assert.ok((await model.bert.pooler.dense.bias!.data()).every((v) => v === 0));
  const { loss } = model.forward(tensor([[2, 5, 7, 0]]), {
    attentionMask: tensor([[1, 1, 1, 0]]),
    labels: tensor([1]),
  });
  loss!.backward();
  const g = await model.bert.embeddings.word_embeddings.weight.grad!.data();
  assert.ok(g.slice(0, 8).every((v) => v === 0), "no gradient reaches the padding row");
  assert.ok(g.slice(8 * 5, 8 * 6).some((v) => v !== 0));
});
