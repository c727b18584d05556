/** Entries of the op table: functional layers (conv1d, interpolate, adaptive pools, attention, …). @module */
import type { OpDraft } from "./tensor_ops.ts";

/** The entries of this family, by name. */
export const NN_OPS: Readonly<Record<string, OpDraft>> = {};
