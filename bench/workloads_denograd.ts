/**
 * The bench workloads (`bench/workloads.ts`) written with denograd, as a user would: modules,
 * losses and optimizers, one `tidy` per step, and a loss readback once per timed batch.
 * @module
 */
import type * as DG from "../mod.ts";
import { ADAM, CNN, MLP, norm, type Runner, sum, TRANSFORMER, type WorkloadImpl } from "./workloads.ts";

type Inputs = Map<string, { shape: number[]; data: Float32Array }>;

/** Builds the denograd implementation of each workload; `dg` is the imported `mod.ts`. */
export function denogradWorkloads(dg: typeof DG, inputs: Inputs): Record<string, WorkloadImpl> {
  const t = (name: string, requiresGrad = false) => {
    const v = inputs.get(name);
    if (!v) throw new Error(`bench input ${name} is missing`);
    const x = dg.tensor(v.data).reshape(v.shape);
    return requiresGrad ? x.requiresGrad_() : x;
  };
  const labels = (name: string) => dg.tensor(Int32Array.from(inputs.get(name)!.data), { dtype: "int32" });
  const load = (m: DG.nn.Module, prefix: string) => {
    const state: Record<string, DG.Tensor> = {};
    for (const [k] of m.namedParameters()) state[k] = t(`${prefix}.${k}`);
    m.loadStateDict(state);
    for (const v of Object.values(state)) v.dispose();
  };

  const conv = (key: "conv1" | "conv2"): WorkloadImpl => {
    const make = () => {
      const x = t(`${key}.x`, true);
      const w = t(`${key}.w`, true);
      let y: DG.Tensor | null = null;
      const step = () => {
        x.grad?.dispose();
        w.grad?.dispose();
        x.grad = w.grad = null;
        y?.dispose();
        y = dg.tidy(() => {
          const out = dg.F.conv2d(x, w, null, { padding: 1 });
          const s = out.sum();
          s.backward();
          return s.detach();
        });
      };
      return { x, w, step, last: () => y!, dispose: () => [x, w, y].forEach((v) => v?.dispose()) };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const out = [await m.last().item(), norm(await m.x.grad!.data()), norm(await m.w.grad!.data())];
        m.dispose();
        return out;
      },
      runner() {
        const m = make();
        return Promise.resolve({ step: m.step, sync: async () => void await m.last().item(), dispose: m.dispose });
      },
    };
  };

  /** A classifier trained with CrossEntropyLoss + SGD(momentum): the CNN and the MLP. */
  const classifier = (prefix: string, build: () => DG.nn.Module, lr: number, momentum: number): WorkloadImpl => {
    const make = () => {
      dg.manualSeed(0);
      const model = build();
      load(model, prefix);
      const x = t(`${prefix}.x`);
      const y = labels(`${prefix}.y`);
      const lossFn = new dg.nn.CrossEntropyLoss();
      const opt = new dg.optim.SGD(model.parameters(), { lr, momentum });
      let loss: DG.Tensor | null = null;
      // captured once, then replayed (compile): how a training loop runs a step now
      const train = dg.compile((x: DG.Tensor, y: DG.Tensor) => {
        opt.zeroGrad();
        const l = lossFn.forward(model.forward(x) as DG.Tensor, y);
        l.backward();
        opt.step();
        return l;
      });
      const step = () => {
        loss?.dispose();
        loss = dg.tidy(() => train(x, y));
      };
      const evalLoss = () => dg.tidy(() => dg.noGrad(() => lossFn.forward(model.forward(x) as DG.Tensor, y)));
      return {
        step,
        last: () => loss!,
        evalLoss,
        dispose() {
          loss?.dispose();
          x.dispose();
          y.dispose();
          for (const p of model.parameters()) p.dispose();
        },
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const l0 = await m.last().item();
        const l1t = m.evalLoss();
        const l1 = await l1t.item();
        l1t.dispose();
        m.dispose();
        return [l0, l1];
      },
      runner() {
        const m = make();
        return Promise.resolve({ step: m.step, sync: async () => void await m.last().item(), dispose: m.dispose });
      },
    };
  };

  const cnn = () =>
    new dg.nn.Sequential(
      new dg.nn.Conv2d(3, 64, 3, { padding: 1 }),
      new dg.nn.ReLU(),
      new dg.nn.MaxPool2d(2),
      new dg.nn.Flatten(),
      new dg.nn.Linear(64 * 16 * 16, 10),
    );
  const mlp = () =>
    new dg.nn.Sequential(
      new dg.nn.Linear(MLP.inF, MLP.hidden),
      new dg.nn.ReLU(),
      new dg.nn.Linear(MLP.hidden, MLP.classes),
    );

  const transformer: WorkloadImpl = (() => {
    const { d, heads, ff } = TRANSFORMER;
    const make = () => {
      const layer = new dg.nn.TransformerEncoderLayer(d, heads, {
        dimFeedforward: ff,
        dropout: 0,
        batchFirst: true,
        layerNormEps: TRANSFORMER.eps,
      });
      load(layer, "transformer");
      const x = t("transformer.x");
      const g = t("transformer.g");
      let s: DG.Tensor | null = null;
      const train = dg.compile((x: DG.Tensor, g: DG.Tensor) => {
        layer.zeroGrad();
        const out = layer.forward(x).mul(g).sum();
        out.backward();
        return out;
      });
      const step = () => {
        s?.dispose();
        s = dg.tidy(() => train(x, g));
      };
      return {
        layer,
        step,
        last: () => s!,
        dispose() {
          s?.dispose();
          x.dispose();
          g.dispose();
          for (const p of layer.parameters()) p.dispose();
        },
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const w1 = m.layer.namedParameters().find(([k]) => k === "linear1.weight")![1];
        const out = [await m.last().item(), norm(await w1.grad!.data())];
        m.dispose();
        return out;
      },
      runner() {
        const m = make();
        return Promise.resolve({ step: m.step, sync: async () => void await m.last().item(), dispose: m.dispose });
      },
    };
  })();

  const adam: WorkloadImpl = (() => {
    const make = () => {
      const ps = Array.from({ length: ADAM.tensors }, (_, i) => {
        const p = t(`adam.p${i}`, true);
        p.grad = t(`adam.g${i}`);
        return p;
      });
      const opt = new dg.optim.Adam(ps, { lr: ADAM.lr, betas: [...ADAM.betas], eps: ADAM.eps });
      const update = dg.compile(() => opt.step());
      return {
        ps,
        step: () => void update(),
        // nothing to read back: wait for the queued updates
        sync: () => dg.synchronize(),
        dispose: () => ps.forEach((p) => (p.grad?.dispose(), p.dispose())),
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const a = await m.ps[0].data();
        const b = await m.ps[ADAM.tensors - 1].data();
        m.dispose();
        return [sum(a, 1000), sum(b, 1000)];
      },
      runner(): Promise<Runner> {
        return Promise.resolve(make());
      },
    };
  })();

  return {
    conv1: conv("conv1"),
    conv2: conv("conv2"),
    cnn: classifier("cnn", cnn, CNN.lr, CNN.momentum),
    transformer,
    mlp: classifier("mlp", mlp, MLP.lr, MLP.momentum),
    adam,
  };
}

/** denograd's steady-state check: GPU buffers created over `steps` CNN steps after a warm-up. */
export async function cnnBufferCheck(
  dg: typeof DG,
  impl: WorkloadImpl,
  steps: number,
): Promise<{ before: number; after: number; steps: number }> {
  const r = await impl.runner();
  for (let i = 0; i < 3; i++) await r.step();
  await r.sync();
  const before = dg.memoryStats().buffersCreated;
  for (let i = 0; i < steps; i++) {
    await r.step();
    if ((i + 1) % 10 === 0) await r.sync();
  }
  await r.sync();
  const after = dg.memoryStats().buffersCreated;
  r.dispose();
  return { before, after, steps };
}
