/**
 * One training epoch of the IMDB BERT example on a subset, timed as users run it: `examples/imdb_bert.ts`
 * (what `deno task imdb` runs) with `--epochs 1 --train-limit N --test-limit M --log-every 1` and its
 * defaults otherwise (2 layers, hidden 128, 2 heads, feed-forward 512, max length 128, batch 32,
 * AdamW), in a child process per configuration:
 *
 * - `denograd-cpu <t>t`: `DENOGRAD_BACKEND=cpu DENOGRAD_CPU_THREADS=t`, the task's permissions (no --allow-ffi);
 * - `denograd-cpu-blas <n>t`: the same on every core, with `--allow-ffi` (OpenBLAS matrix products);
 * - `pytorch-cpu <n>t`: the same model, data and schedule in PyTorch (bench/imdb_epoch_torch.py, the
 *   BERT of tests/fixtures/make_bert.py), on token ids written here with denograd's BertTokenizer.
 *
 * The example prints the epoch's train and eval seconds and one line per step; the first step
 * (kernel compilation, pool warm-up) is reported apart from the median of the others.
 *
 * `deno task bench --only=imdb` runs it as a section of the report; on its own:
 * `deno run --allow-read --allow-env --allow-run --allow-write=bench/.tmp bench/imdb_epoch.ts [--train=256] [--test=64] [--threads=1,2]`.
 * @module
 */
import { IMDB } from "../lib/data/imdb.ts";
import { BertTokenizer } from "../lib/data/bert_tokenizer.ts";

/** One configuration's epoch. Times in seconds; `error` when it did not finish. */
export interface ImdbRun {
  name: string;
  threads: number;
  trainS?: number;
  evalS?: number;
  /** The first step alone (compilation, warm-up). */
  firstStepS?: number;
  /** Median of the other steps. */
  stepS?: number;
  steps?: number;
  loss?: number;
  accuracy?: number;
  error?: string;
}

/** What {@link runImdbEpoch} reports. */
export interface ImdbResult {
  train: number;
  test: number;
  maxLen: number;
  batchSize: number;
  cores: number;
  runs: ImdbRun[];
}

/** The example's defaults this bench relies on (kept in step with examples/imdb_bert.ts). */
const MAX_LEN = 128;
const BATCH = 32;
const PYTHON = "/usr/bin/python3";
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const SHARED = `${ROOT}../shared/data/`;

/** Options of {@link runImdbEpoch}. */
export interface ImdbOptions {
  /** Training reviews (half of each class), test reviews. */
  train: number;
  test: number;
  /** `DENOGRAD_CPU_THREADS` of each denograd-cpu run. */
  threads: number[];
  /** A folder for the token ids handed to PyTorch (made and removed here). */
  tmp: string;
  /** A run that takes longer is killed. */
  timeoutMs: number;
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ ok: boolean; stdout: string; stderr: string; why: string }> {
  const child = new Deno.Command(cmd, { args, env, cwd: ROOT, stdout: "piped", stderr: "piped" }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const status = await child.status;
  clearTimeout(timer);
  const why = killed ? `killed after ${timeoutMs / 60_000} min` : `exit ${status.code}`;
  return { ok: status.success, stdout, stderr, why };
}

/** Parses the example's output: the epoch line and the per-step lines (`--log-every 1`). */
export function parseExample(stdout: string): Omit<ImdbRun, "name" | "threads"> {
  const epoch = stdout.match(
    /^epoch 1 +train loss ([\d.]+) +test accuracy ([\d.]+)% +train ([\d.]+) s +eval ([\d.]+) s/m,
  );
  if (!epoch) return { error: "no epoch line in the example's output" };
  const steps = [...stdout.matchAll(/^ +epoch 1 step \d+\/\d+ .* ([\d.]+) s\/step$/gm)].map((m) => Number(m[1]));
  const rest = steps.slice(1).sort((a, b) => a - b);
  return {
    loss: Number(epoch[1]),
    accuracy: Number(epoch[2]) / 100,
    trainS: Number(epoch[3]),
    evalS: Number(epoch[4]),
    firstStepS: steps[0],
    stepS: rest.length ? rest[rest.length >> 1] : steps[0],
    steps: steps.length,
  };
}

async function denogradRun(o: ImdbOptions, threads: number, ffi: boolean): Promise<ImdbRun> {
  const name = `denograd-cpu${ffi ? "-blas" : ""} ${threads}t`;
  const args = [
    "run",
    "--allow-read=.,../shared",
    "--allow-env",
    ...(ffi ? ["--allow-ffi"] : []),
    "examples/imdb_bert.ts",
    ...["--epochs", "1", "--train-limit", String(o.train), "--test-limit", String(o.test), "--log-every", "1"],
  ];
  const env = { DENOGRAD_BACKEND: "cpu", DENOGRAD_CPU_THREADS: String(threads) };
  const r = await run(Deno.execPath(), args, env, o.timeoutMs);
  const parsed = parseExample(r.stdout);
  if (!r.ok || parsed.error) {
    const last = r.stderr.trim().split("\n").at(-1) ?? "";
    return { name, threads, error: `${parsed.error ?? r.why}${last ? `: ${last.slice(0, 160)}` : ""}` };
  }
  return { name, threads, ...parsed };
}

/** The reviews `[0, limit/2)` of each class, as the example takes them. */
function balanced(items: readonly { text: string; label: number }[], limit: number) {
  const texts: string[] = [], labels: number[] = [];
  const taken = [0, 0];
  for (const item of items) {
    if (taken[item.label] >= limit / 2) continue;
    taken[item.label]++;
    texts.push(item.text);
    labels.push(item.label);
  }
  return { texts, labels };
}

/** Writes the train and test token ids, masks and labels for PyTorch: `imdb.json` + `imdb.bin` (int32). */
async function writeTokens(o: ImdbOptions): Promise<void> {
  const [trainSet, testSet, tok] = await Promise.all([
    IMDB({ root: SHARED, split: "train" }),
    IMDB({ root: SHARED, split: "test" }),
    BertTokenizer.fromVocab(`${SHARED}bert-base-uncased/vocab.txt`),
  ]);
  const parts: Int32Array[] = [];
  const meta: Record<string, number> = { maxLen: MAX_LEN, batchSize: BATCH, vocabSize: tok.vocabSize };
  for (const [split, set, limit] of [["train", trainSet, o.train], ["test", testSet, o.test]] as const) {
    const { texts, labels } = balanced(set.items, limit);
    const ids = new Int32Array(texts.length * MAX_LEN), mask = new Int32Array(texts.length * MAX_LEN);
    texts.forEach((text, i) => {
      const e = tok.encode(text, undefined, { maxLength: MAX_LEN, truncation: true, padding: "maxLength" });
      ids.set(e.inputIds, i * MAX_LEN);
      mask.set(e.attentionMask, i * MAX_LEN);
    });
    parts.push(ids, mask, Int32Array.from(labels));
    meta[split] = texts.length;
  }
  const all = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (all.set(p, at), at += p.length);
  Deno.mkdirSync(o.tmp, { recursive: true });
  Deno.writeFileSync(`${o.tmp}/imdb.bin`, new Uint8Array(all.buffer));
  Deno.writeTextFileSync(`${o.tmp}/imdb.json`, JSON.stringify(meta));
}

/** PyTorch's epoch on the same token ids; null when there is no python or no torch (nothing to compare). */
async function torchRun(o: ImdbOptions, threads: number): Promise<ImdbRun | null> {
  const name = `pytorch-cpu ${threads}t`;
  try {
    await writeTokens(o);
    const args = [`${ROOT}bench/imdb_epoch_torch.py`, `--data=${o.tmp}`, `--threads=${threads}`];
    const r = await run(PYTHON, args, {}, o.timeoutMs);
    const lines = r.stdout.split("\n");
    if (lines.some((l) => l.startsWith("IMDB_SKIP "))) return null;
    const line = lines.find((l) => l.startsWith("IMDB_RESULT "));
    if (!r.ok || !line) {
      return { name, threads, error: `${r.why}: ${r.stderr.trim().split("\n").at(-1)?.slice(0, 160)}` };
    }
    return { name, threads, ...JSON.parse(line.slice("IMDB_RESULT ".length)) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && e.message.includes(PYTHON)) return null;
    return { name, threads, error: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  } finally {
    try {
      Deno.removeSync(o.tmp, { recursive: true });
    } catch {
      // never made: tokenizing failed first
    }
  }
}

/** Runs every configuration one after the other (see the module doc) and collects their epochs. */
export async function runImdbEpoch(o: ImdbOptions): Promise<ImdbResult> {
  const cores = navigator.hardwareConcurrency;
  const runs: ImdbRun[] = [];
  const log = (r: ImdbRun) => {
    runs.push(r);
    console.error(
      `[imdb] ${r.name}: ${
        r.error ?? `train ${r.trainS?.toFixed(1)} s (first step ${r.firstStepS?.toFixed(2)} s, then ` +
            `${r.stepS?.toFixed(2)} s/step), eval ${r.evalS?.toFixed(1)} s`
      }`,
    );
  };
  for (const t of o.threads) log(await denogradRun(o, t, false));
  log(await denogradRun(o, cores, true));
  const pt = await torchRun(o, cores);
  if (pt) log(pt);
  return { train: o.train, test: o.test, maxLen: MAX_LEN, batchSize: BATCH, cores, runs };
}

/** The report section: one row per configuration. */
export function imdbTable(r: ImdbResult | string): string[] {
  const head = ["### IMDB BERT, one epoch (examples/imdb_bert.ts)", ""];
  if (typeof r === "string") return [...head, `Not measured: ${r}.`, ""];
  const s = (x?: number, d = 1) => (x === undefined ? "–" : x.toFixed(d));
  const ref = r.runs.find((x) => x.name.startsWith("pytorch-cpu") && x.trainS !== undefined);
  return [
    ...head,
    `\`deno task imdb --epochs 1 --train-limit ${r.train} --test-limit ${r.test}\` (BERT 2 layers, hidden 128, ` +
    `2 heads, ff 512, max length ${r.maxLen}, batch ${r.batchSize}, AdamW), one child process per row; PyTorch ` +
    "runs the same model (tests/fixtures/make_bert.py), data and schedule. Train time includes the first step.",
    "",
    "| run | train s | eval s | first step s | median step s (after the first) | train ÷ PyTorch | loss | test acc |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...r.runs.map((x) =>
      x.error
        ? `| ${x.name} | **failed** (${x.error}) | | | | | | |`
        : `| ${x.name} | ${s(x.trainS)} | ${s(x.evalS)} | ${s(x.firstStepS, 2)} | ${s(x.stepS, 2)} | ${
          ref?.trainS && x.trainS !== undefined ? `${(x.trainS / ref.trainS).toFixed(2)}×` : "–"
        } | ${s(x.loss, 4)} | ${x.accuracy === undefined ? "–" : `${(100 * x.accuracy).toFixed(1)}%`} |`
    ),
    "",
  ];
}

if (import.meta.main) {
  const arg = (name: string, fallback: string) =>
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const threads = arg("threads", `1,${navigator.hardwareConcurrency}`).split(",").map(Number);
  const r = await runImdbEpoch({
    train: Number(arg("train", "256")),
    test: Number(arg("test", "64")),
    threads,
    tmp: `${ROOT}bench/.tmp/imdb-${Deno.pid}`,
    timeoutMs: 20 * 60_000,
  });
  console.log(imdbTable(r).join("\n"));
}
