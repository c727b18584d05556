/** Validation of optimizer and scheduler options, with errors naming the owner, option and value. @module */

/** Allowed range of a numeric option; bounds are inclusive unless marked open. */
export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclude `min` itself. */
  minOpen?: boolean;
  /** Exclude `max` itself. */
  maxOpen?: boolean;
  /** Require an integer. */
  integer?: boolean;
}

function describe(range: NumberRange): string {
  const { min, max, minOpen, maxOpen } = range;
  if (min !== undefined && max !== undefined) return `in ${minOpen ? "(" : "["}${min}, ${max}${maxOpen ? ")" : "]"}`;
  if (min !== undefined) return `${minOpen ? ">" : ">="} ${min}`;
  if (max !== undefined) return `${maxOpen ? "<" : "<="} ${max}`;
  return "";
}

/**
 * Returns `value` if it is a finite number within `range`, else throws a RangeError such as
 * `Adam: lr must be a finite number >= 0, got NaN` (TypeError when it is not a number at all).
 */
export function checkNumber(owner: string, option: string, value: unknown, range: NumberRange = {}): number {
  const kind = range.integer ? "an integer" : "a finite number";
  const expected = `${owner}: ${option} must be ${kind}${describe(range) ? " " + describe(range) : ""}`;
  if (typeof value !== "number") throw new TypeError(`${expected}, got ${typeof value} ${String(value)}`);
  const { min, max, minOpen, maxOpen } = range;
  const ok = Number.isFinite(value) && (!range.integer || Number.isInteger(value)) &&
    (min === undefined || (minOpen ? value > min : value >= min)) &&
    (max === undefined || (maxOpen ? value < max : value <= max));
  if (!ok) throw new RangeError(`${expected}, got ${value}`);
  return value;
}

/** Returns `value` if it is a boolean, else a TypeError naming owner and option. */
export function checkBoolean(owner: string, option: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${owner}: ${option} must be a boolean, got ${String(value)}`);
  return value;
}

/** Checks `betas` is a pair of numbers in [0, 1). */
export function checkBetas(owner: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${owner}: betas must be a pair [beta1, beta2], got ${JSON.stringify(value)}`);
  }
  checkNumber(owner, "betas[0]", value[0], { min: 0, max: 1, maxOpen: true });
  checkNumber(owner, "betas[1]", value[1], { min: 0, max: 1, maxOpen: true });
  return value as [number, number];
}
