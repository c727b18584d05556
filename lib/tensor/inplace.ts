/**
 * The mechanism of in-place ops (`add_`, indexed assignment, …): a write into a tensor's own
 * storage, seen by every view of it. Before the write, every pending chain of the lazy engine
 * that reads that storage is computed (it must see the old values); after it, the storage's
 * version counter is bumped, and backward refuses gradients whose recorded inputs were
 * overwritten since (PyTorch's "modified by an inplace operation" error) instead of computing
 * them from the new values.
 * @module
 */
import { flushReaders } from "./lazy.ts";
import type { Tensor } from "./tensor.ts";
import { broadcastShapes, cast } from "./ops_elementwise.ts";
import { withGradMode } from "./tape.ts";
import { tidy } from "./scope.ts";

/**
 * Writes `value` (broadcast to `target`'s shape and cast to its dtype) into `target`'s storage
 * through `target`'s view, in place. `op` names the caller in errors. Records nothing for
 * autograd: the in-place op itself decides how its result's gradient flows.
 */
export function writeInPlace(op: string, target: Tensor, value: Tensor): void {
  if (value.device !== target.device) {
    throw new TypeError(
      `${op}: the value is on ${value.device} but the tensor written is on ${target.device}; move one with .to()`,
    );
  }
  const shape = broadcastShapes(op, target.shape, value.shape);
  if (shape.length !== target.ndim || shape.some((d, i) => d !== target.shape[i])) {
    throw new RangeError(
      `${op}: a value of shape [${value.shape}] cannot be written into a tensor of shape [${target.shape}] ` +
        `(broadcasting would give [${shape}])`,
    );
  }
  const ref = target.holdStorage(op);
  try {
    // the value may itself read the target (x.add_(1)): computing the readers computes it first
    flushReaders(ref);
    withGradMode(false, () =>
      tidy(() => {
        const src = cast(value, target.dtype).expand(target.shape);
        target.backend.copyInto(ref.storage, target.layout, src.storage(op), src.layout);
      }));
    ref.version++;
  } finally {
    ref.release();
  }
}
