/**
 * The grad mode follows the async context: `noGrad(async () => …)` keeps recording off after
 * its awaits, code running meanwhile keeps its own mode, and nested modes unwind in order.
 * `tidy` refuses async functions, as documented.
 */
import assert from "node:assert/strict";
import { isGradEnabled, memoryStats, noGrad, ones, type Tensor, tensor, tidy } from "../../mod.ts";
import { withGradMode } from "../../lib/tensor/tape.ts";

/** Yields to the event loop (a macrotask), as a device read does. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("noGrad(async fn) keeps recording off after its awaits and restores it when done", async () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const seen: boolean[] = [];
  const y = await noGrad(async () => {
    seen.push(isGradEnabled());
    await 0;
    seen.push(isGradEnabled());
    await tick();
    seen.push(isGradEnabled());
    return w.mul(2);
  });
  assert.deepEqual(seen, [false, false, false]);
  assert.equal(y.requiresGrad, false);
  assert.equal(isGradEnabled(), true);
  assert.equal(w.mul(2).requiresGrad, true);
});

Deno.test("code that runs while an async noGrad is waiting still records", async () => {
  const w = tensor([1, 2], { requiresGrad: true });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const inside = noGrad(async () => {
    await gate;
    return w.mul(3);
  });
  // noGrad has returned its promise: this caller is back in its own (recording) mode
  assert.equal(isGradEnabled(), true);
  const outside = w.mul(3);
  open();
  const [a, b] = [await inside, outside];
  assert.equal(a.requiresGrad, false);
  assert.equal(b.requiresGrad, true);
});

Deno.test("two async contexts with different modes interleave without leaking into each other", async () => {
  const w = tensor([1], { requiresGrad: true });
  const log: string[] = [];
  const worker = (name: string) => async () => {
    const out: Tensor[] = [];
    for (let i = 0; i < 3; i++) {
      await tick();
      log.push(`${name}:${isGradEnabled()}`);
      out.push(w.mul(i + 1));
    }
    return out;
  };
  const [off, on] = await Promise.all([noGrad(worker("off")), withGradMode(true, worker("on"))]);
  assert.ok(off.every((t) => !t.requiresGrad));
  assert.ok(on.every((t) => t.requiresGrad));
  assert.deepEqual(log.filter((l) => l.startsWith("off")), ["off:false", "off:false", "off:false"]);
  assert.deepEqual(log.filter((l) => l.startsWith("on")), ["on:true", "on:true", "on:true"]);
});

Deno.test("withGradMode nests across awaits: an inner enable records, and the outer mode comes back", async () => {
  const w = tensor([1], { requiresGrad: true });
  const modes: boolean[] = [];
  await noGrad(async () => {
    await tick();
    const inner = await withGradMode(true, async () => {
      await tick();
      modes.push(isGradEnabled());
      return w.mul(2);
    });
    assert.equal(inner.requiresGrad, true);
    modes.push(isGradEnabled());
    // a synchronous switch inside an async one unwinds too, also when it throws
    assert.throws(() =>
      withGradMode(true, () => {
        modes.push(isGradEnabled());
        throw new Error("inner failure");
      }), /inner failure/);
    modes.push(isGradEnabled());
    await tick();
    modes.push(isGradEnabled());
  });
  assert.deepEqual(modes, [true, false, true, false, false]);
  assert.equal(isGradEnabled(), true);
});

Deno.test("an async noGrad that rejects still restores the mode", async () => {
  await assert.rejects(
    noGrad(async () => {
      await tick();
      throw new RangeError("async failure");
    }),
    /async failure/,
  );
  assert.equal(isGradEnabled(), true);
});

Deno.test("tidy(async fn) throws a TypeError and disposes what was created before the first await", async () => {
  const x = ones([4]);
  x.mul(2).dispose(); // caches the constant 2
  const before = memoryStats().liveStorages;
  let early: Tensor | null = null;
  assert.throws(
    () =>
      tidy(async () => {
        early = x.mul(2);
        await tick();
        return early.add(1); // early was disposed: this rejects, which tidy must not leave unhandled
      }),
    (e: unknown) => e instanceof TypeError && /tidy: fn must be synchronous/.test(e.message),
  );
  assert.equal(memoryStats().liveStorages, before);
  assert.equal((early as Tensor | null)?.isDisposed, true);
  await tick(); // lets the abandoned promise reject; an unhandled rejection would fail this test
  await tick();
});
