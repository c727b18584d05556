/**
 * Graph scopes: what a module's forward creates and does not return is released by the backward
 * pass that consumes the graph (or at once when there is no graph), while everything the user
 * holds stays valid. Each memory check repeats a step that disposes what the step itself kept and
 * asserts that the live bytes do not change, which counts no individual op's storages.
 */
import assert from "node:assert/strict";
import { F, grad, manualSeed, memoryStats, nn, noGrad, optim, randn, type Tensor, tensor, tidy } from "../../mod.ts";
import { assertClose } from "../_helpers.ts";

/**
 * Runs `step` once to warm up (caches, optimizer state), then `runs` times: the live bytes must
 * not grow. (They may shrink: a device read yields to the event loop, where the FinalizationRegistry
 * returns what earlier code dropped.)
 */
async function assertNoGrowth(what: string, step: () => Promise<void> | void, runs = 3): Promise<void> {
  await step();
  const before = memoryStats().liveBytes;
  for (let i = 0; i < runs; i++) {
    await step();
    const now = memoryStats().liveBytes;
    assert.ok(now <= before, `${what}: ${now - before} more live bytes after run ${i + 1}`);
  }
}

function mlp(): nn.Sequential {
  manualSeed(1);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 2));
}

async function host(t: Tensor | null): Promise<number[]> {
  assert.ok(t !== null, "expected a tensor, got null");
  return Array.from(await t.data());
}

Deno.test("backward() frees a module's intermediates; the output, loss, grads and optimizer state stay valid", async () => {
  const model = mlp();
  const lossFn = new nn.MSELoss();
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = randn([5, 4]), target = randn([5, 2]);
  await assertNoGrowth("a training step", async () => {
    opt.zeroGrad();
    const expected = noGrad(() => model.forward(x));
    const out = model.forward(x);
    const loss = lossFn.forward(out, target);
    loss.backward();
    // the logits and the loss are read after backward, as a user computing accuracy would
    const logits = await host(out), want = await host(expected), t = await host(target);
    assertClose(logits, want, { rtol: 1e-6, what: "output after backward" });
    const mse = logits.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / logits.length;
    assertClose([await loss.item()], [mse], { rtol: 1e-5, what: "loss after backward" });
    for (const p of model.parameters()) assert.ok((await host(p.grad)).every(Number.isFinite));
    opt.step();
    for (const p of model.parameters()) {
      assert.ok((await host(opt.state.get(p)!.momentumBuffer as Tensor)).every(Number.isFinite));
    }
    for (const u of [out, loss, expected]) u.dispose();
  });
});

Deno.test("a forward without a graph (noGrad, or nothing requiring grad) frees its intermediates at once", async () => {
  const model = mlp();
  const x = randn([3, 4]);
  await assertNoGrowth("noGrad forward", async () => {
    const y = noGrad(() => model.forward(x));
    assert.equal(y.requiresGrad, false);
    assert.equal((await y.data()).length, 6);
    y.dispose();
  });
  class SoftplusLike extends nn.Module {
    override forward(v: Tensor): Tensor {
      return v.exp().add(1).log().mul(2);
    }
  }
  const m = new SoftplusLike();
  await assertNoGrowth("forward of a parameterless module on a plain tensor", async () => {
    const y = m.forward(x);
    assertClose(await host(y), (await host(x)).map((v) => 2 * Math.log1p(Math.exp(v))), { rtol: 1e-5 });
    y.dispose();
  });
});

Deno.test("retainGraph: true keeps the intermediates for a second backward, which then frees them", async () => {
  const model = mlp();
  const lossFn = new nn.MSELoss();
  const x = randn([5, 4]), target = randn([5, 2]);
  await assertNoGrowth("backward twice", async () => {
    model.zeroGrad();
    const out = model.forward(x);
    const loss = lossFn.forward(out, target);
    loss.backward(undefined, { retainGraph: true });
    const once = await Promise.all(model.parameters().map((p) => host(p.grad)));
    loss.backward();
    const twice = await Promise.all(model.parameters().map((p) => host(p.grad)));
    twice.forEach((g, i) => assertClose(g, once[i].map((v) => 2 * v), { rtol: 1e-5, what: `grad ${i}` }));
    assert.throws(() => loss.backward(), /already freed by an earlier backward\(\).*retainGraph: true/);
    assert.ok(Number.isFinite(await loss.item()));
    out.dispose();
    loss.dispose();
  });
});

// a critic with tanh, so the input gradient depends on the parameters (double backward is not zero)
function criticOps(ps: readonly Tensor[]) {
  return (x: Tensor) => F.linear(F.linear(x, ps[0], ps[1]).tanh(), ps[2], ps[3]);
}

Deno.test("createGraph through a module (a gradient penalty) matches plain ops, and frees its intermediates", async () => {
  manualSeed(2);
  const critic = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1));
  const x = randn([6, 3]);
  // the same critic written with plain ops in user code, on copies of the parameters
  const copies = critic.parameters().map((p) => noGrad(() => p.clone()).requiresGrad_());
  const penalty = (f: (v: Tensor) => Tensor) => {
    const xr = x.detach().requiresGrad_();
    const score = f(xr);
    const s = score.sum();
    const [g] = grad([s], [xr], { createGraph: true });
    const sq = g!.square(), gp = sq.sum();
    gp.backward();
    for (const t of [xr, score, s, g!, sq, gp]) t.dispose();
  };
  penalty((v) => critic.forward(v));
  penalty(criticOps(copies));
  const ps = critic.parameters();
  // the last bias does not move the input gradient: no gradient reaches it, either way
  assert.equal(ps[3].grad, null);
  assert.equal(copies[3].grad, null);
  for (let i = 0; i < 3; i++) {
    assertClose(await host(ps[i].grad), await host(copies[i].grad), {
      rtol: 1e-5,
      atol: 1e-7,
      what: `param ${i} grad`,
    });
  }
  assert.ok((await host(ps[0].grad)).some((v) => v !== 0), "the penalty reaches the first layer's weight");
  // written as a module, the penalty's forward owns the critic's and the gradient graph's intermediates
  class Penalty extends nn.Module {
    constructor(readonly critic: nn.Module) {
      super();
    }
    override forward(v: Tensor): Tensor {
      const xr = v.detach().requiresGrad_();
      const [g] = grad([(this.critic.forward(xr) as Tensor).sum()], [xr], { createGraph: true });
      return g!.square().sum();
    }
  }
  const penaltyModule = new Penalty(critic);
  await assertNoGrowth("gradient penalty module", async () => {
    critic.zeroGrad();
    const gp = penaltyModule.forward(x) as Tensor;
    gp.backward();
    assert.ok(Number.isFinite(await gp.item()));
    gp.dispose();
  });
});

Deno.test("F.gradientPenalty with a module critic and the default retainGraph frees the critic's intermediates", async () => {
  manualSeed(3);
  const critic = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1));
  const real = randn([4, 3]), fake = randn([4, 3]), epsilon = tensor([0.1, 0.4, 0.6, 0.9]);
  await assertNoGrowth("F.gradientPenalty", async () => {
    critic.zeroGrad();
    const gp = F.gradientPenalty((v) => critic.forward(v), real, fake, { epsilon });
    gp.backward();
    assert.ok(Number.isFinite(await gp.item()));
    for (const p of critic.parameters().slice(0, 3)) assert.ok((await host(p.grad)).every(Number.isFinite));
    gp.dispose();
  });
});

Deno.test("grad() returns gradients that outlive the graph and equal backward()'s", async () => {
  const model = mlp();
  const lossFn = new nn.MSELoss();
  const x = randn([5, 4]), target = randn([5, 2]);
  await assertNoGrowth("grad()", async () => {
    model.zeroGrad();
    const o1 = model.forward(x), l1 = lossFn.forward(o1, target);
    const gs = grad([l1], model.parameters());
    const o2 = model.forward(x), l2 = lossFn.forward(o2, target);
    l2.backward();
    for (const [i, p] of model.parameters().entries()) {
      assertClose(await host(gs[i]), await host(p.grad), { rtol: 1e-6, what: `grad ${i}` });
    }
    for (const t of [o1, l1, o2, l2, ...gs]) t!.dispose();
  });
});

Deno.test("tensors a forward returns in objects, arrays, Maps and class instances, or stores on itself, stay valid", async () => {
  class Parts {
    constructor(readonly doubled: Tensor) {}
  }
  class Probe extends nn.Module {
    fc = new nn.Linear(3, 3);
    last: Tensor | null = null;
    override forward(x: Tensor) {
      const h = this.fc.forward(x).tanh();
      this.last?.dispose();
      this.last = h.mul(1); // kept for inspection, as research code keeps attention maps
      // only the loss has a graph (the other outputs would hold the intermediates until backward'ed)
      const list = [noGrad(() => h.mul(3))], map = new Map([["sq", noGrad(() => h.square())]]);
      return { loss: h.sum(), list, map, parts: new Parts(noGrad(() => h.mul(2))) };
    }
  }
  const probe = new Probe();
  const x = randn([2, 3]);
  await assertNoGrowth("a forward with structured outputs", async () => {
    probe.zeroGrad();
    const out = probe.forward(x);
    out.loss.backward();
    const h = await host(probe.last);
    assertClose(await host(out.list[0]), h.map((v) => 3 * v), { rtol: 1e-6 });
    assertClose(await host(out.map.get("sq")!), h.map((v) => v * v), { rtol: 1e-6 });
    assertClose(await host(out.parts.doubled), h.map((v) => 2 * v), { rtol: 1e-6 });
    for (const t of [out.loss, out.list[0], out.map.get("sq")!, out.parts.doubled]) t.dispose();
  });
  probe.last?.dispose();
});

Deno.test("two outputs sharing an intermediate: backward through one leaves the other's graph usable", async () => {
  class Two extends nn.Module {
    w = this.param(tensor([0.5, -1, 2]));
    override forward(x: Tensor): Tensor[] {
      const c = x.exp(); // read by both outputs' backward
      return [this.w.mul(c), this.w.add(c).mul(c)];
    }
  }
  const two = new Two();
  const x = tensor([0.1, 0.2, 0.3]);
  await assertNoGrowth("two outputs", async () => {
    two.zeroGrad();
    const [a, b] = two.forward(x);
    const sa = a.sum(), sb = b.sum();
    sa.backward();
    sb.backward();
    // d/dw Σ w·c + d/dw Σ (w + c)·c = c + c
    assertClose(await host(two.w.grad), [0.1, 0.2, 0.3].map((v) => 2 * Math.exp(v)), { rtol: 1e-6 });
    for (const t of [a, b, sa, sb]) t.dispose();
  });
});

Deno.test("a forward that throws frees what it created; tidy around a forward still frees everything", async () => {
  class Fails extends nn.Module {
    fc = new nn.Linear(2, 2);
    override forward(x: Tensor): Tensor {
      this.fc.forward(x).relu();
      throw new RangeError("Fails: on purpose");
    }
  }
  const fails = new Fails(), model = mlp();
  const x = randn([3, 2]), x4 = randn([3, 4]);
  await assertNoGrowth("throwing forward", () => {
    assert.throws(() => fails.forward(x), /on purpose/);
  });
  await assertNoGrowth("tidy around a forward whose graph is never consumed", async () => {
    const y = tidy(() => model.forward(x4).sum().detach());
    assert.ok(Number.isFinite(await y.item()));
    y.dispose();
  });
});
