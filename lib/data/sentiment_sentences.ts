/**
 * The UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): `sentence<TAB>label` a line,
 * label 0 (negative) or 1 (positive), in `imdb_labelled.txt`, `amazon_cells_labelled.txt` and
 * `yelp_labelled.txt`.
 * @module
 */
import { join } from "node:path";
import { permissionError } from "../_permission.ts";

/** One labelled sentence. */
export interface LabelledSentence {
  /** The sentence, surrounding whitespace trimmed. */
  readonly text: string;
  /** 0 negative, 1 positive. */
  readonly label: number;
}

/** Options of `sentimentSentences` when given a folder. */
export interface SentimentSentencesOptions {
  /** The `sentiment-labelled-sentences` folder. */
  root: string;
  /** Which file: "imdb", "amazon" or "yelp" (default "imdb"). */
  source?: "imdb" | "amazon" | "yelp";
}

const FILES = { imdb: "imdb_labelled.txt", amazon: "amazon_cells_labelled.txt", yelp: "yelp_labelled.txt" };

/**
 * Reads one file of the UCI sentiment sentences: `{ text, label }` per line. Lines are split on
 * `"\n"` only (a few sentences hold U+0085 NEXT LINE, which universal-newline readers such as
 * Python's `splitlines()` would break), then at the last tab. A line without a tab or with a label other than 0
 * or 1 throws an Error naming the file and line.
 *
 * @param source a file path, or `{ root, source }` to pick one of the three files in a folder.
 *
 * @example
 * ```ts ignore
 * const rows = await data.sentimentSentences({ root: "../shared/data/sentiment-labelled-sentences", source: "yelp" });
 * rows.length; // 1000
 * ```
 */
export async function sentimentSentences(source: string | SentimentSentencesOptions): Promise<LabelledSentence[]> {
  let path: string;
  if (typeof source === "string") path = source;
  else {
    const which = source.source ?? "imdb";
    if (!(which in FILES)) {
      throw new RangeError(
        `sentimentSentences: source must be "imdb", "amazon" or "yelp", got ${JSON.stringify(which)}`,
      );
    }
    path = join(source.root, FILES[which]);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const denied = permissionError("sentimentSentences", "read", path, e);
    if (denied) throw denied;
    const why = e instanceof Deno.errors.NotFound ? "not found" : `unreadable (${(e as Error).message})`;
    throw new Error(`sentimentSentences: file ${path} ${why}`, { cause: e });
  }
  const out: LabelledSentence[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const tab = line.lastIndexOf("\t");
    const label = tab < 0 ? "" : line.slice(tab + 1).trim();
    if (label !== "0" && label !== "1") {
      throw new Error(
        `sentimentSentences: ${path} line ${i + 1}: expected "sentence<TAB>0|1", got ${
          JSON.stringify(line.slice(-40))
        }`,
      );
    }
    out.push({ text: line.slice(0, tab).trim(), label: Number(label) });
  });
  return out;
}
