/**
 * Trains a small BERT-style classifier from scratch on the IMDB subset in ../shared/data
 * (4000 training / 1000 test reviews, balanced): `data.IMDB` reads the aclImdb layout,
 * `data.BertTokenizer` turns the reviews into bert-base-uncased WordPiece ids (truncated to
 * `--max-len`), a `BertForSequenceClassification` (default 2 layers, hidden 128, 2 heads,
 * feed-forward 512) learns with `optim.AdamW` under a linear warm-up then linear decay, and
 * every epoch prints the mean training loss, test accuracy and time.
 *
 * Run from the repository root:
 *
 *     deno run --allow-read=.,../shared --allow-env examples/imdb_bert.ts
 *
 * Options: `--epochs <n>` (3), `--max-len <n>` (128), `--train-limit <n>` (all 4000; takes an
 * equal share of each class), `--test-limit <n>` (all 1000), `--batch-size <n>` (32),
 * `--lr <x>` (5e-4), `--warmup <fraction of steps>` (0.1), `--weight-decay <x>` (0.01),
 * `--hidden <n>` (128), `--layers <n>` (2), `--heads <n>` (2), `--intermediate <n>` (4·hidden),
 * `--compact-vocab` (re-number the word pieces seen in the training reviews, so the embedding
 * table holds only those: much less optimizer work per step), `--data <folder holding aclImdb>`,
 * `--vocab <vocab.txt>`, `--seed <n>` (0), `--log-every <steps>` (20).
 * Exits with status 2 on errors (such as missing data).
 * @module
 */
import { parseArgs } from "node:util";
import {
  BertForSequenceClassification,
  data,
  getDefaultDevice,
  manualSeed,
  noGrad,
  optim,
  type Tensor,
  tensor,
  tidy,
} from "../mod.ts";

const SHARED = new URL("../../shared/data/", import.meta.url);

/** Seconds since `t0` (a performance.now() value). */
function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Reviews `[0, limit)` of each class, so that a limited set stays balanced. */
function balanced(set: data.IMDBDataset, limit: number): { texts: string[]; labels: number[] } {
  const texts: string[] = [], labels: number[] = [];
  const taken = [0, 0];
  for (const item of set.items) {
    if (taken[item.label] >= limit / 2) continue;
    taken[item.label]++;
    texts.push(item.text);
    labels.push(item.label);
  }
  return { texts, labels };
}

/** Token ids `[n, maxLen]` and attention masks of `texts`, all padded to `maxLen`. */
function encode(tok: data.BertTokenizer, texts: string[], maxLen: number): { ids: Int32Array; mask: Int32Array } {
  const ids = new Int32Array(texts.length * maxLen), mask = new Int32Array(texts.length * maxLen);
  texts.forEach((text, i) => {
    const e = tok.encode(text, undefined, { maxLength: maxLen, truncation: true, padding: "maxLength" });
    ids.set(e.inputIds, i * maxLen);
    mask.set(e.attentionMask, i * maxLen);
  });
  return { ids, mask };
}

/**
 * Re-numbers the ids so that the ids seen in `train` (plus [PAD]=0, [UNK], [CLS], [SEP]) are
 * 0..k−1 and every other id becomes [UNK]: returns k and rewrites the arrays in place.
 */
function compactVocab(tok: data.BertTokenizer, train: Int32Array, others: Int32Array[]): number {
  const map = new Map<number, number>([[tok.padTokenId, 0]]);
  for (const id of [tok.unkTokenId, tok.clsTokenId, tok.sepTokenId]) if (!map.has(id)) map.set(id, map.size);
  for (const id of train) if (!map.has(id)) map.set(id, map.size);
  const unk = map.get(tok.unkTokenId)!;
  for (let i = 0; i < train.length; i++) train[i] = map.get(train[i])!;
  for (const arr of others) for (let i = 0; i < arr.length; i++) arr[i] = map.get(arr[i]) ?? unk;
  return map.size;
}

/** Test accuracy, in batches, in eval mode. */
async function evaluate(
  model: BertForSequenceClassification,
  set: { ids: Tensor; mask: Tensor; labels: Tensor },
  batchSize: number,
): Promise<number> {
  model.eval();
  const n = set.labels.shape[0];
  let correct = 0;
  for (let i = 0; i < n; i += batchSize) {
    const len = Math.min(batchSize, n - i);
    const hits = tidy(() =>
      noGrad(() => {
        const { logits } = model.forward(set.ids.narrow(0, i, len), { attentionMask: set.mask.narrow(0, i, len) });
        return logits.argmax(-1).eq(set.labels.narrow(0, i, len)).float().sum();
      })
    );
    correct += await hits.item();
    hits.dispose();
  }
  model.train();
  return correct / n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      epochs: { type: "string", default: "3" },
      "max-len": { type: "string", default: "128" },
      "train-limit": { type: "string", default: "0" },
      "test-limit": { type: "string", default: "0" },
      "batch-size": { type: "string", default: "32" },
      lr: { type: "string", default: "5e-4" },
      warmup: { type: "string", default: "0.1" },
      "weight-decay": { type: "string", default: "0.01" },
      hidden: { type: "string", default: "128" },
      layers: { type: "string", default: "2" },
      heads: { type: "string", default: "2" },
      intermediate: { type: "string" },
      "compact-vocab": { type: "boolean", default: false },
      data: { type: "string" },
      vocab: { type: "string" },
      seed: { type: "string", default: "0" },
      "log-every": { type: "string", default: "20" },
    },
  });
  const int = (name: keyof typeof values, min: number): number => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`--${name} must be an integer >= ${min}, got ${values[name]}`);
    }
    return v;
  };
  const epochs = int("epochs", 1), maxLen = int("max-len", 3), batchSize = int("batch-size", 1);
  const trainLimit = int("train-limit", 0), testLimit = int("test-limit", 0), seed = int("seed", 0);
  const hidden = int("hidden", 1), layers = int("layers", 1), heads = int("heads", 1), logEvery = int("log-every", 1);
  const intermediate = values.intermediate === undefined ? 4 * hidden : int("intermediate", 1);
  const lr = Number(values.lr), warmup = Number(values.warmup), weightDecay = Number(values["weight-decay"]);
  const root = values.data ?? decodeURIComponent(SHARED.pathname);
  const vocabPath = values.vocab ?? decodeURIComponent(new URL("bert-base-uncased/vocab.txt", SHARED).pathname);

  let t0 = performance.now();
  const [trainSet, testSet, tok] = await Promise.all([
    data.IMDB({ root, split: "train" }),
    data.IMDB({ root, split: "test" }),
    data.BertTokenizer.fromVocab(vocabPath),
  ]);
  const train = balanced(trainSet, trainLimit || trainSet.length);
  const test = balanced(testSet, testLimit || testSet.length);
  console.log(`read ${train.texts.length} train / ${test.texts.length} test reviews in ${since(t0).toFixed(2)} s`);
  t0 = performance.now();
  const trainEnc = encode(tok, train.texts, maxLen), testEnc = encode(tok, test.texts, maxLen);
  const tokenSeconds = since(t0);
  let vocabSize = tok.vocabSize;
  if (values["compact-vocab"]) vocabSize = compactVocab(tok, trainEnc.ids, [testEnc.ids]);
  console.log(
    `tokenized ${train.texts.length + test.texts.length} reviews to ${maxLen} word pieces in ` +
      `${tokenSeconds.toFixed(2)} s; vocabulary ${vocabSize}${values["compact-vocab"] ? " (compacted)" : ""}`,
  );

  const asTensors = (enc: { ids: Int32Array; mask: Int32Array }, labels: number[]) => ({
    ids: tensor(enc.ids).reshape([labels.length, maxLen]),
    mask: tensor(enc.mask).reshape([labels.length, maxLen]),
    labels: tensor(Int32Array.from(labels)),
  });
  const trainT = asTensors(trainEnc, train.labels), testT = asTensors(testEnc, test.labels);
  const loader = new data.DataLoader(new data.TensorDataset(trainT.ids, trainT.mask, trainT.labels), {
    batchSize,
    shuffle: true,
    seed,
  });

  manualSeed(seed);
  const model = new BertForSequenceClassification({
    vocabSize,
    hiddenSize: hidden,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    intermediateSize: intermediate,
    maxPositionEmbeddings: maxLen,
    numLabels: 2,
  });
  const nParams = model.parameters().reduce((n, p) => n + p.size, 0);
  const opt = new optim.AdamW(model.parameters(), { lr, weightDecay });
  const totalSteps = epochs * loader.length, warmupSteps = Math.max(1, Math.round(warmup * totalSteps));
  // linear warm-up to lr, then linear decay to 0 (the schedule BERT fine-tuning uses)
  const sched = new optim.lrScheduler.LambdaLR(
    opt,
    (s) => s < warmupSteps ? (s + 1) / warmupSteps : Math.max(0, (totalSteps - s) / (totalSteps - warmupSteps)),
  );
  console.log(
    `device ${getDefaultDevice()} · BERT ${layers} layers, hidden ${hidden}, ${heads} heads, feed-forward ` +
      `${intermediate}, ${(nParams / 1e6).toFixed(2)} M parameters · AdamW lr ${lr} (warm-up ${warmupSteps} of ` +
      `${totalSteps} steps) weight decay ${weightDecay} · batch ${batchSize} · max length ${maxLen}`,
  );

  let testAcc = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const tEpoch = performance.now();
    let lossSum = 0, seen = 0, step = 0, tLog = performance.now();
    for await (const [ids, mask, labels] of loader) {
      const loss = tidy(() => {
        const out = model.forward(ids, { attentionMask: mask, labels });
        out.loss!.backward();
        opt.step();
        opt.zeroGrad();
        return out.loss!.detach();
      });
      sched.step();
      lossSum += (await loss.item()) * labels.shape[0];
      seen += labels.shape[0];
      for (const t of [loss, ids, mask, labels]) t.dispose();
      if (++step % logEvery === 0) {
        console.log(
          `  epoch ${epoch} step ${step}/${loader.length}  loss ${(lossSum / seen).toFixed(4)}  ` +
            `${(since(tLog) / logEvery).toFixed(2)} s/step`,
        );
        tLog = performance.now();
      }
    }
    const trainSeconds = since(tEpoch);
    const tEval = performance.now();
    testAcc = await evaluate(model, testT, 2 * batchSize);
    console.log(
      `epoch ${epoch}  train loss ${(lossSum / seen).toFixed(4)}  test accuracy ${(100 * testAcc).toFixed(1)}%  ` +
        `train ${trainSeconds.toFixed(1)} s  eval ${since(tEval).toFixed(1)} s`,
    );
  }
  console.log(`final: test accuracy ${(100 * testAcc).toFixed(1)}% on ${test.labels.length} reviews (chance 50%)`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`imdb_bert: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
