/**
 * einsum: Einstein summation over labelled dims, lowered to the ops autograd already knows.
 * Each operand first loses its repeated labels (diagonal views) and the labels no other operand
 * nor the output uses (sums); then operands contract pairwise, left to right: labels both share
 * and still needed become batch dims, shared labels no longer needed are contracted by one
 * batched matmul (or a broadcast product and a sum when nothing is contracted or the operands are
 * integers, which matmul does not take); the result is permuted to
 * the output's order. `...` stands for broadcast dims, aligned from the right as in broadcasting.
 * @module
 */
import type { Tensor } from "./tensor.ts";
import { isFloat } from "./dtype.ts";
import { expand, permute, reshape } from "./ops_movement.ts";
import { mul } from "./ops_elementwise.ts";
import { sum } from "./ops_reduce.ts";
import { matmul } from "./ops_linalg.ts";
import { diagonal } from "./ops_shape.ts";

/** One operand while it is lowered: its tensor and one label per dim (letters, or `#k` for ellipsis dim k). */
interface Labelled {
  t: Tensor;
  labels: string[];
}

const ELLIPSIS = "...";

/** The labels of one term of the equation (letters and at most one `...`), naming the term in errors. */
function parseTerm(term: string, where: string): (string | typeof ELLIPSIS)[] {
  const out: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith(ELLIPSIS, i)) {
      if (out.includes(ELLIPSIS)) throw new RangeError(`einsum: ${where} '${term}' has more than one '...'`);
      out.push(ELLIPSIS);
      i += 2;
    } else if (/[a-zA-Z]/.test(term[i])) {
      out.push(term[i]);
    } else {
      throw new RangeError(
        `einsum: invalid subscript '${term[i]}' in ${where} '${term}'; subscripts are letters a-z, A-Z and '...'`,
      );
    }
  }
  return out;
}

/** Expands `...` of one input term to `#k` labels for the operand's dims. */
function operandLabels(term: string, parsed: string[], t: Tensor, k: number, ellipsisRank: number): string[] {
  const letters = parsed.filter((l) => l !== ELLIPSIS);
  const at = parsed.indexOf(ELLIPSIS);
  if (at < 0) {
    if (letters.length !== t.ndim) {
      throw new RangeError(
        `einsum: operand ${k} has ${t.ndim} dims [${t.shape}] but its subscripts '${term}' name ${letters.length}`,
      );
    }
    return letters;
  }
  const covered = t.ndim - letters.length;
  if (covered < 0) {
    throw new RangeError(
      `einsum: operand ${k} has ${t.ndim} dims [${t.shape}], fewer than the ${letters.length} letters of '${term}'`,
    );
  }
  const ell = Array.from({ length: covered }, (_, i) => `#${ellipsisRank - covered + i}`);
  return [...parsed.slice(0, at), ...ell, ...parsed.slice(at + 1)];
}

/** Takes the diagonal of every label repeated within one operand (`ii` → one `i`). */
function dropRepeats(op: Labelled, k: number): Labelled {
  let { t, labels } = op;
  for (;;) {
    const dup = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (dup < 0) return { t, labels };
    const first = labels.indexOf(labels[dup]);
    if (t.shape[first] !== t.shape[dup]) {
      throw new RangeError(
        `einsum: subscript '${labels[dup]}' is repeated in operand ${k} over dims of sizes ${t.shape[first]} and ${
          t.shape[dup]
        }, which must be equal`,
      );
    }
    const label = labels[dup];
    t = diagonal(t, 0, first, dup);
    labels = [...labels.filter((_, i) => i !== first && i !== dup), label];
  }
}

/** Sums out the labels of `op` that `needed` lacks. */
function sumUnneeded(op: Labelled, needed: ReadonlySet<string>): Labelled {
  const drop = op.labels.flatMap((l, i) => (needed.has(l) ? [] : [i]));
  if (drop.length === 0) return op;
  return { t: sum(op.t, drop), labels: op.labels.filter((l) => needed.has(l)) };
}

/** `op` permuted to `order` (a subset-free reordering of its labels). */
function arrange(op: Labelled, order: readonly string[]): Tensor {
  return permute(op.t, order.map((l) => op.labels.indexOf(l)));
}

/** Contracts two operands over their shared labels that `needed` lacks; shared needed labels stay as batch. */
function contract(a: Labelled, b: Labelled, needed: ReadonlySet<string>, size: ReadonlyMap<string, number>): Labelled {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => needed.has(l));
  const summed = shared.filter((l) => !needed.has(l));
  const onlyA = a.labels.filter((l) => !shared.includes(l));
  const onlyB = b.labels.filter((l) => !shared.includes(l));
  const sizes = (ls: readonly string[]) => ls.map((l) => size.get(l)!);
  const count = (ls: readonly string[]) => sizes(ls).reduce((p, s) => p * s, 1);
  const labels = [...batch, ...onlyA, ...onlyB];
  // matmul takes floats only: integer operands contract as a broadcast product and a sum
  const viaProduct = summed.length === 0 || !isFloat(a.t.dtype) || !isFloat(b.t.dtype);
  if (viaProduct) {
    const all = [...labels, ...summed];
    const spread = (op: Labelled) => reshape(arrange(op, all.filter((l) => op.labels.includes(l))), shapeIn(op, all));
    const product = mul(spread(a), spread(b));
    return { t: summed.length === 0 ? product : sum(product, summed.map((_, i) => labels.length + i)), labels };
  }
  // dims of size 1 broadcast against the other operand's, so both are expanded to the label sizes first
  const ta = expand(arrange(a, [...batch, ...onlyA, ...summed]), sizes([...batch, ...onlyA, ...summed]));
  const tb = expand(arrange(b, [...batch, ...summed, ...onlyB]), sizes([...batch, ...summed, ...onlyB]));
  const product = matmul(
    reshape(ta, [count(batch), count(onlyA), count(summed)]),
    reshape(tb, [count(batch), count(summed), count(onlyB)]),
  );
  return { t: reshape(product, sizes(labels)), labels };
}

/** `op`'s sizes for `labels`, 1 for the labels it lacks (so it broadcasts against the other operand). */
function shapeIn(op: Labelled, labels: readonly string[]): number[] {
  return labels.map((l) => (op.labels.includes(l) ? op.t.shape[op.labels.indexOf(l)] : 1));
}

/**
 * Einstein summation (torch.einsum): `equation` names each operand's dims with letters,
 * comma-separated, optionally followed by `->` and the output's letters. Letters shared between
 * operands multiply, letters missing from the output are summed; without `->` the output is
 * every letter used once, in alphabetical order (upper case first). `...` stands for the dims
 * not named, broadcast between operands. Examples: `"ij,jk->ik"` (matmul), `"bij,bjk->bik"`,
 * `"i,j->ij"` (outer), `"ii->"` (trace), `"ii->i"` (diagonal), `"ij->ji"`, `"...ij->...ji"`.
 * Operands may also come as one array.
 *
 * @example
 * ```ts
 * import { einsum, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const a = tensor([[1, 2], [3, 4]]);
 * assert.equal(await einsum("ii->", a).item(), 5);
 * assert.deepEqual(await einsum("ij,jk->ik", a, a).toArray(), [[7, 10], [15, 22]]);
 * ```
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== "string") throw new TypeError("einsum: the first argument must be the equation string");
  const tensors = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as Tensor[];
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  if (arrow >= 0 && eq.indexOf("->", arrow + 1) >= 0) {
    throw new RangeError(`einsum: '${equation}' has more than one '->'`);
  }
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(",");
  if (terms.length !== tensors.length) {
    throw new RangeError(
      `einsum: '${equation}' has subscripts for ${terms.length} operand(s) but ${tensors.length} were given`,
    );
  }
  for (const [k, t] of tensors.entries()) {
    if (!(t && (t as { __isTensor?: boolean }).__isTensor)) throw new TypeError(`einsum: operand ${k} is not a tensor`);
    if (t.device !== tensors[0].device) {
      throw new TypeError(`einsum: operand ${k} is on ${t.device} but operand 0 is on ${tensors[0].device}`);
    }
  }
  const parsed = terms.map((term, k) => parseTerm(term, `subscripts of operand ${k}`));
  const ellipsisRank = Math.max(
    0,
    ...parsed.map((p, k) => (p.includes(ELLIPSIS) ? tensors[k].ndim - (p.length - 1) : 0)),
  );
  let ops: Labelled[] = tensors.map((t, k) =>
    dropRepeats({ t, labels: operandLabels(terms[k], parsed[k], t, k, ellipsisRank) }, k)
  );

  // every label's size, checking that operands agree (or broadcast from 1)
  const size = new Map<string, number>();
  const seenIn = new Map<string, number>();
  for (const [k, op] of ops.entries()) {
    op.labels.forEach((l, i) => {
      const n = op.t.shape[i], had = size.get(l);
      if (had === undefined || had === 1) {
        if (had === undefined) seenIn.set(l, k);
        size.set(l, n);
      } else if (n !== had && n !== 1) {
        const name = l.startsWith("#") ? `'...' dim ${l.slice(1)}` : `subscript '${l}'`;
        throw new RangeError(
          `einsum: ${name} has size ${had} in operand ${
            seenIn.get(l)
          } but ${n} in operand ${k}; sizes must match or be 1`,
        );
      }
    });
  }

  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, i) => `#${i}`);
  let output: string[];
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    const out = parseTerm(rhs, "output subscripts");
    output = out.flatMap((l) => (l === ELLIPSIS ? ellipsisLabels : [l]));
    for (const l of out) {
      if (l === ELLIPSIS) continue;
      if (!size.has(l)) throw new RangeError(`einsum: output subscript '${l}' does not appear in any operand`);
      if (out.indexOf(l) !== out.lastIndexOf(l)) {
        throw new RangeError(`einsum: output subscript '${l}' appears more than once in '${rhs}'`);
      }
    }
  } else {
    const uses = new Map<string, number>();
    for (const p of parsed) for (const l of p) if (l !== ELLIPSIS) uses.set(l, (uses.get(l) ?? 0) + 1);
    output = [...ellipsisLabels, ...[...uses.keys()].filter((l) => uses.get(l) === 1).sort()];
  }

  const labelsOf = (list: readonly Labelled[]) => list.flatMap((o) => o.labels);
  ops = ops.map((op, k) => sumUnneeded(op, new Set([...output, ...labelsOf(ops.filter((_, j) => j !== k))])));
  let acc = ops[0];
  for (let k = 1; k < ops.length; k++) {
    const needed = new Set([...output, ...labelsOf(ops.slice(k + 1))]);
    const next = sumUnneeded(ops[k], new Set([...needed, ...acc.labels]));
    acc = contract(sumUnneeded(acc, new Set([...needed, ...next.labels])), next, needed, size);
  }
  acc = sumUnneeded(acc, new Set(output));
  // a label broadcast from size 1 in every operand that kept it still has size 1 here; expand to the output's
  const t = arrange(acc, output);
  const want = output.map((l) => size.get(l)!);
  return t.shape.every((s, i) => s === want[i]) ? t : expand(t, want);
}
