/** Entries of the op table: linear algebra (linalg.inv, solve, det, cholesky, qr, norm). @module */
import type { OpDraft } from "./tensor_ops.ts";

/** The entries of this family, by name. */
export const LINALG_OPS: Readonly<Record<string, OpDraft>> = {};
