/**
 * Every loss in functional form; re-exported through `F`. Each line names one file of
 * lib/losses (append, keep one export line per file).
 * @module
 */
