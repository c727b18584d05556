/**
 * How the generated op-table tests call an entry: the Tensor method or the function of `mod.ts`
 * (or `F`, or a namespace such as `linalg.inv`) it names, with a case's arguments, and its result as
 * a list of tensors.
 * @module
 */
import assert from "node:assert/strict";
import * as mod from "../../mod.ts";
import { type Tensor, tensor } from "../../mod.ts";
import type { Device } from "../../lib/tensor/device.ts";
import type { OpCase, TensorOpEntry } from "../../lib/ops/tensor_ops.ts";
import { operandValues } from "./_table_operands.ts";

type Fn = (...args: unknown[]) => unknown;

/** The export of mod.ts (or of `F`) at a dotted path such as `conv2d` or `linalg.inv`. */
function exported(path: string): Fn | undefined {
  const scopes = [mod, mod.F] as unknown as Record<string, unknown>[];
  for (const scope of scopes) {
    let v: unknown = scope;
    for (const part of path.split(".")) v = (v as Record<string, unknown> | undefined)?.[part];
    if (typeof v === "function") return v as Fn;
  }
  return undefined;
}

/** The function an entry names: a Tensor method bound to the first operand, or an export of mod.ts or F. */
function callable(e: TensorOpEntry, operands: Tensor[]): { fn: Fn; rest: Tensor[] } {
  if ("method" in e.call) {
    const [self, ...rest] = operands;
    const m = (self as unknown as Record<string, Fn>)[e.call.method];
    assert.equal(typeof m, "function", `Tensor has no method ${e.call.method}`);
    return { fn: m.bind(self), rest };
  }
  const fn = exported(e.call.fn);
  assert.equal(typeof fn, "function", `mod.ts exports no function ${e.call.fn} (nor F.${e.call.fn})`);
  return { fn: fn!, rest: operands };
}

function isPlaceholder(a: unknown): a is { tensor: number } {
  return typeof a === "object" && a !== null && "tensor" in a;
}

/** An op's result as a list: a tensor, an array of them, or a record's tensors (`{ values, indices }`). */
export function outputsOf(out: unknown): Tensor[] {
  if (Array.isArray(out)) return out;
  if ((out as Tensor).__isTensor) return [out as Tensor];
  assert.ok(!(out instanceof Promise), "an op that returns a Promise (reads back) needs grad: false in the table");
  return Object.values(out as Record<string, Tensor>);
}

/** Calls the entry on `operands` with the case's arguments (synchronous ops). */
export function call(e: TensorOpEntry, c: OpCase, operands: Tensor[]): Tensor[] {
  return outputsOf(invoke(e, c, operands));
}

/** The entry's raw result on `operands`: what the op returns, a Promise for the ops that read back. */
export function invoke(e: TensorOpEntry, c: OpCase, operands: Tensor[]): unknown {
  const args = c.args ?? [];
  if (args.some(isPlaceholder)) {
    const { fn } = callable(e, operands);
    return fn(...args.map((a) => (isPlaceholder(a) ? operands[a.tensor] : a)));
  }
  if ("fn" in e.call && e.call.list) return callable(e, operands).fn(operands, ...args);
  const { fn, rest } = callable(e, operands);
  return fn(...rest, ...args);
}

/** The case's operands on `device`: floats from its domain, index operands as int32 below their bound. */
export function operands(c: OpCase, device: Device, dtype: "float32" | "float64", seed: number): Tensor[] {
  return operandValues(c, seed).map((o) => {
    if (o.dtype === "int32") {
      return tensor(o.values as number[], { dtype: "int32", device }).reshape(o.shape as number[]);
    }
    const t = tensor(o.values as number[], { dtype, device }).reshape(o.shape as number[]);
    return dtype === "float64" ? t.requiresGrad_() : t;
  });
}
