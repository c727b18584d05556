/**
 * BERT's BasicTokenizer: text cleanup, CJK splitting, lower-casing with accent stripping and
 * punctuation splitting, as in Google's `tokenization.py` and Hugging Face's `BasicTokenizer`.
 *
 * Character classes (from the reference, not from JavaScript's `\s` or `\W`):
 * - removed: U+0000, U+FFFD and every `\p{C}` code point except `\t`, `\n`, `\r`;
 * - whitespace: space, `\t`, `\n`, `\r` and `\p{Zs}`;
 * - punctuation: ASCII 33–47, 58–64, 91–96, 123–126 and every `\p{P}` code point;
 * - CJK ideographs (the CJK Unified Ideographs blocks and compatibility ideographs) become
 *   words of their own.
 * Each code point is classified once (a lazily filled table), so the hot loop never runs a regex.
 * @module
 */

const KNOWN = 1, SPACE = 2, DROP = 4, PUNCT = 8, CJK = 16;

/** Lazily filled class bits per code point (0 = not yet classified). */
const classes = new Uint8Array(0x110000);

function isCjk(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

function classify(cp: number): number {
  let c = classes[cp];
  if (c !== 0) return c;
  const ch = String.fromCodePoint(cp);
  c = KNOWN;
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || /\p{Zs}/u.test(ch)) c |= SPACE;
  else if (cp === 0 || cp === 0xfffd || /\p{C}/u.test(ch)) c |= DROP;
  else if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    c |= PUNCT;
  } else if (/\p{P}/u.test(ch)) c |= PUNCT;
  else if (isCjk(cp)) c |= CJK;
  classes[cp] = c;
  return c;
}

for (let cp = 0; cp < 128; cp++) classify(cp);

/** Options of `basicTokenize`. */
export interface BasicTokenizerOptions {
  /** Lower-case each word (default true). */
  doLowerCase?: boolean;
  /** Remove accents (NFD, then drop `\p{Mn}`); default: same as `doLowerCase`. */
  stripAccents?: boolean;
  /** Put spaces around CJK ideographs (default true). */
  tokenizeChineseChars?: boolean;
}

/** True when every code unit is printable ASCII, tab, newline or carriage return. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u >= 127 || (u < 32 && u !== 9 && u !== 10 && u !== 13)) return false;
  }
  return true;
}

/** Splits one already-cleaned word on punctuation (each punctuation character is a word). */
function splitPunct(word: string, out: string[]): void {
  let start = 0;
  for (let i = 0; i < word.length;) {
    const cp = word.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (classify(cp) & PUNCT) {
      if (i > start) out.push(word.slice(start, i));
      out.push(word.slice(i, i + w));
      start = i + w;
    }
    i += w;
  }
  if (start < word.length) out.push(word.slice(start));
}

/** The fast path for printable-ASCII text: lower-case once, then one pass over the code units. */
function asciiTokens(text: string, lower: boolean, out: string[]): void {
  const s = lower ? text.toLowerCase() : text;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = classes[s.charCodeAt(i)];
    if (c & (SPACE | PUNCT)) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
      if (c & PUNCT) out.push(s[i]);
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
}

/** Removes combining marks after canonical decomposition ("é" → "e"). */
function stripAccentsOf(word: string): string {
  return word.normalize("NFD").replace(/\p{Mn}/gu, "");
}

/**
 * Splits `text` into BERT basic tokens, appending them to `out`.
 *
 * Steps (Hugging Face `BasicTokenizer.tokenize`): drop control characters, U+0000 and U+FFFD and
 * map whitespace to spaces; surround CJK ideographs with spaces; NFC-normalize; split on
 * whitespace; lower-case and strip accents per word; split each word on punctuation.
 */
export function basicTokenize(text: string, options: BasicTokenizerOptions, out: string[] = []): string[] {
  const lower = options.doLowerCase ?? true;
  const strip = options.stripAccents ?? lower;
  if (isPlainAscii(text)) {
    asciiTokens(text, lower, out);
    return out;
  }
  const cjk = options.tokenizeChineseChars ?? true;
  let cleaned = "";
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const c = classify(cp);
    if (c & SPACE) cleaned += " ";
    else if (c & CJK && cjk) cleaned += " " + text.slice(i, i + w) + " ";
    else if (!(c & DROP)) cleaned += text.slice(i, i + w);
    i += w;
  }
  for (let word of cleaned.normalize("NFC").split(/\s+/)) {
    if (word === "") continue;
    if (lower) word = word.toLowerCase();
    if (strip) word = stripAccentsOf(word);
    if (word !== "") splitPunct(word, out);
  }
  return out;
}
