/**
 * A character-level LSTM language model on real text: the 1,000 Yelp review sentences of the UCI
 * "Sentiment Labelled Sentences" set (Kotzias et al., KDD 2015; CC BY 4.0), read from
 * ../shared/data. Embedding(V, 32) → LSTM(32, 128) → Linear(128, V), next-character cross
 * entropy, Adam (lr 2e-3) with gradient-norm clipping at 5; batches of 32 windows of 64
 * characters at positions given by a fixed formula, so the PyTorch twin
 * (examples/pytorch/char_lstm.py) sees the same data in the same order.
 *
 * Run from the repository root:
 *
 *     deno task example:char-lstm
 *
 * Options: `--data <path to yelp_labelled.txt>`, `--steps <n>` (300), `--seed <n>` (0).
 * Prints the training loss every 50 steps, the final validation loss (last 10 % of the text) and a
 * greedy sample.
 * @module
 */
import { parseArgs } from "node:util";
import { F, manualSeed, nn, noGrad, optim, type Tensor, tensor, tidy } from "../mod.ts";

const DEFAULT_DATA = new URL("../../shared/data/sentiment-labelled-sentences/yelp_labelled.txt", import.meta.url);
const SEQ = 64, BATCH = 32, EMBED = 32, HIDDEN = 128, LR = 2e-3, CLIP = 5;

const args = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string" },
    steps: { type: "string", default: "300" },
    seed: { type: "string", default: "0" },
  },
});
const steps = Number(args.values.steps);
manualSeed(Number(args.values.seed));

// one sentence a line, then a tab and the label; split on "\n" only (a few sentences hold U+0085)
const raw = await Deno.readTextFile(args.values.data ?? DEFAULT_DATA);
const text = raw.split("\n").filter((l) => l.includes("\t")).map((l) => l.slice(0, l.lastIndexOf("\t"))).join("\n") +
  "\n";
const chars = [...new Set(text)].sort();
const index = new Map(chars.map((ch, i) => [ch, i]));
const ids = Int32Array.from(text, (ch) => index.get(ch)!);
const split = Math.floor(ids.length * 0.9);
const train = ids.subarray(0, split), valid = ids.subarray(split);
console.log(`${ids.length} characters, vocabulary ${chars.length}; ${train.length} train, ${valid.length} validation`);

class CharLSTM extends nn.Module {
  embed = new nn.Embedding(chars.length, EMBED);
  lstm = new nn.LSTM(EMBED, HIDDEN, { batchFirst: true });
  head = new nn.Linear(HIDDEN, chars.length);

  /** Logits `[B, T, V]` for ids `[B, T]`, and the final state. */
  override forward(x: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const [out, next] = this.lstm.forward(this.embed.forward(x) as Tensor, state);
    return [this.head.forward(out), next];
  }
}

/** Windows of SEQ + 1 characters starting at `starts`: inputs and next-character targets, `[B, SEQ]` each. */
function batch(source: Int32Array, starts: readonly number[]): [Tensor, Tensor] {
  const x = new Int32Array(starts.length * SEQ), y = new Int32Array(starts.length * SEQ);
  starts.forEach((s, b) => {
    x.set(source.subarray(s, s + SEQ), b * SEQ);
    y.set(source.subarray(s + 1, s + SEQ + 1), b * SEQ);
  });
  const shape = [starts.length, SEQ];
  return [tensor(x, { dtype: "int32" }).reshape(shape), tensor(y, { dtype: "int32" }).reshape(shape)];
}

function lossOf(model: CharLSTM, x: Tensor, y: Tensor): Tensor {
  const [logits] = model.forward(x);
  return F.crossEntropy(logits.reshape([-1, chars.length]), y.reshape([-1]));
}

const model = new CharLSTM();
const opt = new optim.Adam(model.parameters(), { lr: LR });
const span = train.length - SEQ - 1;
let window: number[] = [], trainLoss = NaN;
const started = performance.now();
for (let step = 0; step < steps; step++) {
  // the same start positions as the PyTorch twin: a fixed stride through the text
  const starts = Array.from({ length: BATCH }, (_, j) => ((step * BATCH + j) * 7919) % span);
  const loss = tidy(() => {
    const [x, y] = batch(train, starts);
    const loss = lossOf(model, x, y);
    opt.zeroGrad();
    loss.backward();
    nn.utils.clipGradNorm(model.parameters(), CLIP);
    opt.step();
    return loss;
  });
  window.push(await loss.item());
  loss.dispose();
  if ((step + 1) % 50 === 0 || step === steps - 1) {
    trainLoss = window.reduce((a, b) => a + b, 0) / window.length;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`step ${step + 1}: train loss ${trainLoss.toFixed(4)} (mean of the last ${window.length}), ${secs} s`);
    window = [];
  }
}

model.eval();
const validStarts = Array.from({ length: Math.floor((valid.length - 1) / SEQ) }, (_, i) => i * SEQ);
const validLoss = await noGrad(() =>
  tidy(() => {
    const [x, y] = batch(valid, validStarts);
    return lossOf(model, x, y);
  })
).item();

// greedy continuation of a prompt, one character at a time through the LSTM state
const sample = noGrad(async () => {
  let out = "The food";
  let state: [Tensor, Tensor] | null = null;
  let next = tensor([[...out].map((ch) => index.get(ch)!)], { dtype: "int32" });
  for (let i = 0; i < 60; i++) {
    const [logits, s]: [Tensor, [Tensor, Tensor]] = model.forward(next, state);
    state = s;
    const last = logits.select(1, logits.shape[1] - 1).argmax(-1);
    const id = await last.item();
    out += chars[id];
    next = tensor([[id]], { dtype: "int32" });
  }
  return out;
});
console.log(`sample: ${JSON.stringify(await sample)}`);
console.log(`final train loss ${trainLoss.toFixed(4)}, validation loss ${validLoss.toFixed(4)}`);
