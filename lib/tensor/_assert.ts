/** Deferred element checks that do not read back on the hot path. @module */
import type { Tensor } from "./tensor.ts";
import { noGrad } from "./tape.ts";

/**
 * Raises a RangeError with `describe(i)` if any element of `flags` (a mask, e.g. `x.lt(0)`) is
 * non-zero, `i` being the flat index of one such element: at once on cpu, at the next readback on
 * webgpu (the kernel writes the backend's fault record; nothing is read here). Backends without
 * {@link Backend.assertNone} skip the check.
 */
export function assertNone(flags: Tensor, describe: (index: number) => string): void {
  const backend = flags.backend;
  if (!backend.assertNone) return;
  noGrad(() => {
    const mask = flags.dtype === "bool" ? flags.contiguous() : flags.ne(0);
    const dense = mask.isDense ? mask : mask.clone();
    try {
      backend.assertNone!(dense.storage("assertNone"), describe);
    } finally {
      if (dense !== flags) dense.dispose();
      if (mask !== flags && mask !== dense) mask.dispose();
    }
  });
}
