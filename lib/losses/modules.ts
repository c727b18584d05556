/**
 * Every loss as an `nn` module; re-exported through `nn`. Each line names one file of
 * lib/losses (append, keep one export line per file).
 * @module
 */
export { Loss, type Reduction, type ReductionOptions } from "./_reduction.ts";
