import assert from "node:assert/strict";
import { data } from "../../mod.ts";

const DATA = new URL("../../../shared/data/", import.meta.url);
const VOCAB = new URL("bert-base-uncased/vocab.txt", DATA);
const IMDB_ROOT = new URL(".", DATA).pathname;
const UCI = new URL("sentiment-labelled-sentences/", DATA).pathname;
const TMP = new URL("../.tmp/", import.meta.url).pathname;

interface Fixture {
  strings: { text: string; tokens: string[]; ids: number[] }[];
  reviews: { path: string; ids: number[] }[];
  sentences: { path: string; line: number; ids: number[] }[];
}
const fixture: Fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/bert_tokenizer.json", import.meta.url)),
);
const bert = await data.BertTokenizer.fromVocab(VOCAB);

async function tempDir(): Promise<string> {
  await Deno.mkdir(TMP, { recursive: true });
  return await Deno.makeTempDir({ dir: TMP, prefix: "text-" });
}

// Google's tokenization_test.py vocabulary and its published answers.
const GOOGLE_VOCAB = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ","];

Deno.test("BertTokenizer gives Google's published WordPiece answers on its test vocabulary", () => {
  const tok = new data.BertTokenizer(GOOGLE_VOCAB);
  assert.deepEqual(tok.tokenize("UNwant\u00E9d,running"), ["un", "##want", "##ed", ",", "runn", "##ing"]);
  assert.deepEqual(tok.convertTokensToIds(["un", "##want", "##ed", "runn", "##ing"]), [7, 4, 5, 8, 9]);
  assert.deepEqual(tok.tokenize("unwanted running"), ["un", "##want", "##ed", "runn", "##ing"]);
  assert.deepEqual(tok.tokenize("unwantedX running"), ["[UNK]", "runn", "##ing"]);
  assert.deepEqual(tok.tokenize(""), []);
  const docstring = new data.BertTokenizer(["[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able"]);
  assert.deepEqual(docstring.tokenize("unaffable"), ["un", "##aff", "##able"]);
});

Deno.test("BertTokenizer's basic step lower-cases, strips accents and splits punctuation and CJK", () => {
  const words = ["[UNK]", "[CLS]", "[SEP]", "hello", "how", "are", "you", "ah", "zz", "HeLLo", "Are", "yoU"];
  const tok = new data.BertTokenizer([...words, "!", "?", "\u535A", "\u63A8", "h\u00E9llo"]);
  assert.deepEqual(tok.tokenize(" \tHeLLo!how  \n Are yoU?  "), ["hello", "!", "how", "are", "you", "?"]);
  assert.deepEqual(tok.tokenize("H\u00E9llo"), ["hello"]);
  assert.deepEqual(tok.tokenize("ah\u535A\u63A8zz"), ["ah", "\u535A", "\u63A8", "zz"]);
  const cased = new data.BertTokenizer([...words, "!", "?", "h\u00E9llo"], { doLowerCase: false });
  assert.deepEqual(cased.tokenize(" \tHeLLo!how  \n Are yoU?  "), ["HeLLo", "!", "how", "Are", "yoU", "?"]);
  const keepAccents = new data.BertTokenizer([...words, "h\u00E9llo"], { stripAccents: false });
  assert.deepEqual(keepAccents.tokenize("H\u00E9llo"), ["h\u00E9llo"]);
});

Deno.test("BertTokenizer on bert-base-uncased matches a reference port on accents, punctuation, CJK and unknowns", () => {
  for (const c of fixture.strings) {
    assert.deepEqual(bert.tokenize(c.text), c.tokens, JSON.stringify(c.text));
    assert.deepEqual(bert.tokenizeToIds(c.text), c.ids, JSON.stringify(c.text));
  }
  assert.deepEqual(bert.tokenize("Héllo"), ["hello"]);
  assert.deepEqual(bert.tokenize("東京"), ["東", "京"]);
  assert.deepEqual(bert.tokenize("你好"), ["[UNK]", "[UNK]"]); // split per char; neither is in this vocabulary
  assert.deepEqual(bert.tokenize("wait...what?!"), ["wait", ".", ".", ".", "what", "?", "!"]);
  assert.deepEqual(bert.tokenize("x".repeat(101)), ["[UNK]"]);
  assert.deepEqual(bert.tokenize("\u{1F600}"), ["[UNK]"]);
});

Deno.test("BertTokenizer ids are the line numbers of vocab.txt", async () => {
  const lines = (await Deno.readTextFile(VOCAB)).split("\n");
  assert.equal(bert.vocabSize, 30522);
  for (const t of ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "hello", "##ing", "una", "##ffa"]) {
    assert.deepEqual(bert.convertTokensToIds([t]), [lines.indexOf(t)], t);
  }
  assert.deepEqual(
    [bert.padTokenId, bert.unkTokenId, bert.clsTokenId, bert.sepTokenId, bert.maskTokenId],
    [0, 100, 101, 102, 103],
  );
  // bert-base-uncased has "una", so greedy longest match differs from the docstring's toy vocabulary.
  assert.deepEqual(bert.tokenize("unaffable"), ["una", "##ffa", "##ble"]);
  assert.deepEqual(bert.tokenizeToIds("hello world"), [lines.indexOf("hello"), lines.indexOf("world")]);
});

Deno.test("BertTokenizer matches the reference on real IMDB reviews and UCI sentences with U+0085", async () => {
  for (const r of fixture.reviews) {
    const text = await Deno.readTextFile(new URL(r.path, DATA));
    assert.deepEqual(bert.encode(text, undefined, { maxLength: 128 }).inputIds, r.ids, r.path);
  }
  assert.equal(fixture.sentences.length, 2);
  for (const s of fixture.sentences) {
    const line = (await Deno.readTextFile(new URL(s.path, DATA))).split("\n")[s.line];
    assert.ok(line.includes("\u0085"));
    assert.deepEqual(bert.encode(line.split("\t")[0]).inputIds, s.ids);
  }
});

Deno.test("encode() adds [CLS]/[SEP], truncates pairs longest-first, pads and masks", () => {
  const a = bert.tokenizeToIds("the movie was great"); // 4 tokens
  const b = bert.tokenizeToIds("i loved it"); // 3 tokens
  const one = bert.encode("the movie was great");
  assert.deepEqual(one.inputIds, [101, ...a, 102]);
  assert.deepEqual(one.tokenTypeIds, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(one.attentionMask, [1, 1, 1, 1, 1, 1]);
  const pair = bert.encode("the movie was great", "i loved it", { maxLength: 12, padding: "maxLength" });
  assert.deepEqual(pair.inputIds, [101, ...a, 102, ...b, 102, 0, 0]);
  assert.deepEqual(pair.tokenTypeIds, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual(pair.attentionMask, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  // 7 tokens into 8 - 3 = 5: the longer loses 1 to equalize (3, 3), then the second loses the odd one.
  const cut = bert.encode("the movie was great", "i loved it", { maxLength: 8 });
  assert.deepEqual(cut.inputIds, [101, ...a.slice(0, 3), 102, ...b.slice(0, 2), 102]);
  const cut2 = bert.encode("the movie was great", "i loved it", { maxLength: 7 });
  assert.deepEqual(cut2.inputIds, [101, ...a.slice(0, 2), 102, ...b.slice(0, 2), 102]);
  assert.deepEqual(bert.encode("the movie was great", undefined, { maxLength: 4 }).inputIds, [
    101,
    ...a.slice(0, 2),
    102,
  ]);
  assert.equal(bert.encode("word ".repeat(600)).inputIds.length, 512);
  assert.equal(bert.encode("word ".repeat(600), undefined, { truncation: false }).inputIds.length, 602);
  assert.deepEqual(bert.encode("hello", undefined, { addSpecialTokens: false }).inputIds, [7592]);
  assert.throws(() => bert.encode("hi", "there", { maxLength: 2 }), RangeError);
});

Deno.test("encodeBatch() returns int32 [B, L] tensors padded to the longest or to maxLength", async () => {
  const batch = bert.encodeBatch(["a good film", "bad", ["first part", "second"]]);
  assert.deepEqual(batch.inputIds.shape, [3, 6]);
  assert.equal(batch.inputIds.dtype, "int32");
  const ids = await batch.inputIds.toArray() as number[][];
  assert.deepEqual(ids[0], [...bert.encode("a good film").inputIds, 0]);
  assert.deepEqual(ids[1], [...bert.encode("bad").inputIds, 0, 0, 0]);
  assert.deepEqual(ids[2], bert.encode("first part", "second").inputIds);
  assert.deepEqual(await batch.attentionMask.toArray(), [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]]);
  assert.deepEqual(await batch.tokenTypeIds.toArray(), [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]]);
  const fixed = bert.encodeBatch(["a good film", "bad"], { padding: "maxLength", maxLength: 8 });
  assert.deepEqual(fixed.inputIds.shape, [2, 8]);
  assert.throws(() => bert.encodeBatch(["a good film", "bad"], { padding: false }), /different lengths/);
  assert.throws(() => bert.encodeBatch([]), RangeError);
});

Deno.test("decode() joins ## pieces, cleans up spaces and can skip special tokens", () => {
  const text = "The unaffable critic didn't like it, really.";
  const ids = bert.encode(text).inputIds;
  assert.equal(bert.decode(ids), "[CLS] the unaffable critic didn't like it, really. [SEP]");
  assert.equal(bert.decode(ids, { skipSpecialTokens: true }), "the unaffable critic didn't like it, really.");
  assert.equal(
    bert.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }),
    "the unaffable critic didn ' t like it , really .",
  );
  const padded = bert.encode("hello", undefined, { padding: "maxLength", maxLength: 6 }).inputIds;
  assert.equal(bert.decode(padded, { skipSpecialTokens: true }), "hello");
  assert.throws(() => bert.decode([30522]), /token id 30522 is outside the vocabulary \[0, 30522\)/);
});

Deno.test("BertTokenizer.fromVocab names the file when it is missing, empty or not a BERT vocabulary", async () => {
  const dir = await tempDir();
  try {
    await assert.rejects(
      data.BertTokenizer.fromVocab(`${dir}/nope.txt`),
      (e: Error) => e.message.includes(`${dir}/nope.txt`) && /not found/.test(e.message),
    );
    await Deno.writeTextFile(`${dir}/empty.txt`, "");
    await assert.rejects(data.BertTokenizer.fromVocab(`${dir}/empty.txt`), /empty\.txt is empty/);
    await Deno.writeTextFile(`${dir}/bad.txt`, "[PAD]\n[UNK]\nhello\n");
    await assert.rejects(
      data.BertTokenizer.fromVocab(`${dir}/bad.txt`),
      /bad\.txt \(3 lines\) has no \[CLS\], \[SEP\]/,
    );
    await Deno.writeTextFile(`${dir}/crlf.txt`, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n");
    const tok = await data.BertTokenizer.fromVocab(`${dir}/crlf.txt`);
    assert.deepEqual(tok.encode("hi").inputIds, [2, 4, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IMDB reads the aclImdb subset: counts, labels from folders, ratings from file names", async () => {
  const train = await data.IMDB({ root: IMDB_ROOT, split: "train" });
  const test = await data.IMDB({ root: `${IMDB_ROOT}/aclImdb`, split: "test" });
  assert.equal(train.length, 4000);
  assert.equal(test.length, 1000);
  assert.equal(train.labels().filter((l) => l === 1).length, 2000);
  assert.equal(test.labels().filter((l) => l === 1).length, 500);
  for (const r of train.items) {
    assert.ok(r.label === 1 ? r.rating >= 7 && r.rating <= 10 : r.rating >= 1 && r.rating <= 4, `${r.id}_${r.rating}`);
  }
  const first = train.get(0);
  assert.equal(first.label, 0);
  const name = [...Deno.readDirSync(`${IMDB_ROOT}/aclImdb/train/neg`)].map((e) => e.name)
    .sort((x, y) => parseInt(x) - parseInt(y))[0];
  assert.equal(`${first.id}_${first.rating}.txt`, name);
  assert.equal(first.text, await Deno.readTextFile(`${IMDB_ROOT}/aclImdb/train/neg/${name}`));
  const again = await data.IMDB({ root: IMDB_ROOT, split: "train", concurrency: 3 });
  assert.deepEqual(again.items.map((r) => r.id), train.items.map((r) => r.id));
  assert.throws(() => train.get(4000), RangeError);
});

Deno.test("IMDB errors name the folder, and download fails fast offline without leaving files", async () => {
  const dir = await tempDir();
  try {
    await assert.rejects(data.IMDB({ root: `${dir}/missing` }), (e: Error) => e.message.includes(`${dir}/missing`));
    const err = await data.IMDB({ root: dir, download: true }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /aclImdb_v1\.tar\.gz/);
    assert.ok(err.message.includes(`${dir}/aclImdb`), err.message);
    const bad = () => Promise.resolve(new Response(new Uint8Array([1, 2, 3])));
    await assert.rejects(
      data.IMDB({ root: dir, download: true, fetch: bad }),
      /MD5 .* expected 7c2ac02c03563afcf9b574c7e56c153a/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await Deno.mkdir(`${dir}/aclImdb/train/pos`, { recursive: true });
    await Deno.mkdir(`${dir}/aclImdb/train/neg`, { recursive: true });
    await Deno.writeTextFile(`${dir}/aclImdb/train/pos/review.txt`, "x");
    await assert.rejects(data.IMDB({ root: dir }), /review\.txt is not named ID_RATING\.txt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sentimentSentences reads 1000 labelled lines per source, keeping U+0085 inside sentences", async () => {
  for (const source of ["imdb", "amazon", "yelp"] as const) {
    const rows = await data.sentimentSentences({ root: UCI, source });
    assert.equal(rows.length, 1000, source);
    assert.equal(rows.filter((r) => r.label === 1).length, 500, source);
  }
  const imdb = await data.sentimentSentences(`${UCI}/imdb_labelled.txt`);
  assert.equal(imdb[0].text, "A very, very, very slow-moving, aimless movie about a distressed, drifting young man.");
  assert.equal(imdb[0].label, 0);
  assert.equal(imdb[178].text, "The script is\u0085 was there a script?");
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.txt`, "good film\t1\nno label here\n");
    await assert.rejects(data.sentimentSentences(`${dir}/bad.txt`), /bad\.txt line 2/);
    await assert.rejects(data.sentimentSentences(`${dir}/none.txt`), /none\.txt not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reading and tokenizing all 5000 IMDB reviews to 256 tokens takes seconds", async () => {
  const t0 = performance.now();
  const [train, test] = await Promise.all([
    data.IMDB({ root: IMDB_ROOT, split: "train" }),
    data.IMDB({ root: IMDB_ROOT, split: "test" }),
  ]);
  const t1 = performance.now();
  const tok = await data.BertTokenizer.fromVocab(VOCAB); // fresh: no cached words
  const t2 = performance.now();
  const texts = [...train.texts(), ...test.texts()];
  const batch = tok.encodeBatch(texts, { maxLength: 256, padding: "maxLength" });
  const t3 = performance.now();
  assert.deepEqual(batch.inputIds.shape, [5000, 256]);
  console.log(
    `IMDB 5000 reviews: read ${(t1 - t0).toFixed(0)} ms, vocab ${(t2 - t1).toFixed(0)} ms, ` +
      `tokenize + encode to 256 ${(t3 - t2).toFixed(0)} ms`,
  );
  assert.ok(t3 - t0 < 30_000);
});
