/** The deferred assertion of {@link Backend.assertNone}, checked at once on the reference backend. @module */
import type { Storage } from "../backend.ts";
import type { ReferenceContext } from "./storage.ts";

/** {@link Backend.assertNone}: throws `describe(i)` for the first non-zero flag. */
export function assertNone(ctx: ReferenceContext, flags: Storage, describe: (index: number) => string): void {
  const i = ctx.data(flags).findIndex((v) => v !== 0);
  if (i >= 0) throw new RangeError(describe(i));
}
