/** Deferred assertions on webgpu: a flag kernel writing the shared fault record. @module */
import type { Storage } from "../backend.ts";
import assertSrc from "../../../kernels/assert.wgsl" with { type: "text" };
import { fillTemplate, UniformBlock } from "./kernels.ts";
import type { GpuContext } from "./storage.ts";

/** {@link Backend.assertNone}: faults (at the next readback) if any element of bool `flags` is non-zero. */
export function assertNone(ctx: GpuContext, flags: Storage, describe: (index: number) => string): void {
  const s = ctx.live(flags, "assertNone");
  if (s.dtype !== "bool") throw new TypeError(`webgpu assertNone: flags must be bool, got ${s.dtype}`);
  if (s.size === 0) return;
  const kernel = ctx.kernelFor(
    "assert",
    "assert_none",
    ["storage", "read-only-storage"],
    () => fillTemplate(assertSrc, {}),
  );
  const u = new UniformBlock().u32(0, s.size).fault(1, ctx.registerFault("assertNone", 0, s.size, describe));
  ctx.run(kernel, u, [ctx.faultBinding(), ctx.bind(s)], Math.ceil(s.size / 64));
}
