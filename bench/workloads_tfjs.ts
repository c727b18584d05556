/**
 * The bench workloads (`bench/workloads.ts`) written with TensorFlow.js ops, for its webgpu and
 * wasm backends. tfjs is NHWC, so images and convolution weights are transposed (and the CNN's
 * Linear weight permuted to NHWC flatten order) once at setup, outside the timed steps.
 *
 * - conv2d: `tf.conv2d` on webgpu; on wasm, whose conv2d has no filter gradient
 *   (Conv2DBackpropFilter is not a wasm kernel), a 3×3 "same" convolution as im2col (9 slices of
 *   the padded input, concatenated) + `tf.matMul`.
 * - TransformerEncoderLayer: tfjs has none, so it is built from ops exactly as PyTorch's post-norm
 *   layer computes it (packed in-projection, 4-head scaled dot-product attention via batched
 *   matMul + softmax, out-projection, residual + LayerNorm via `tf.moments`, ReLU feed-forward,
 *   residual + LayerNorm), differentiated with `tf.valueAndGrads`.
 * - optimizers: `tf.train.momentum` (same update as torch's SGD with momentum, no dampening) and
 *   `tf.train.adam` with epsilon 1e-8 (its default is 1e-7).
 * @module
 */
import type * as TF from "@tensorflow/tfjs";
import { ADAM, CNN, MLP, norm, type Runner, sum, TRANSFORMER, type WorkloadImpl } from "./workloads.ts";

type Inputs = Map<string, { shape: number[]; data: Float32Array }>;
type T = TF.Tensor;

let uid = 0;

/** Builds the tfjs implementation of each workload. */
export function tfjsWorkloads(tf: typeof TF, inputs: Inputs, kind: "webgpu" | "wasm"): Record<string, WorkloadImpl> {
  const raw = (name: string) => {
    const v = inputs.get(name);
    if (!v) throw new Error(`bench input ${name} is missing`);
    return v;
  };
  const t = (name: string): T => tf.tensor(raw(name).data, raw(name).shape, "float32");
  const nhwc = (name: string) => tf.tidy(() => t(name).transpose([0, 2, 3, 1]));
  const hwio = (name: string) => tf.tidy(() => t(name).transpose([2, 3, 1, 0]));
  const variable = (x: T, name: string) => {
    const v = tf.variable(x, true, `${name}_${uid++}`);
    x.dispose();
    return v;
  };

  /** 3×3, stride 1, padding 1 convolution of NHWC `x` with HWIO `w`. */
  const conv3x3 = (x: T, w: T): T => {
    if (kind === "webgpu") return tf.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, 1, "same");
    const [n, h, wd, c] = x.shape as number[];
    const o = w.shape[3] as number;
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const slices: T[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) slices.push(tf.slice(xp, [0, i, j, 0], [n, h, wd, c]));
    const cols = tf.concat(slices, 3).reshape([n * h * wd, 9 * c]);
    return tf.matMul(cols, w.reshape([9 * c, o])).reshape([n, h, wd, o]);
  };

  const conv = (key: "conv1" | "conv2"): WorkloadImpl => {
    const make = () => {
      const x = nhwc(`${key}.x`);
      const w = hwio(`${key}.w`);
      const f = tf.valueAndGrads((a: T, b: T) => conv3x3(a, b).sum());
      let last: { value: T; grads: T[] } | null = null;
      const drop = () => last && [last.value, ...last.grads].forEach((v) => v.dispose());
      return {
        step() {
          drop();
          last = f([x, w]);
        },
        last: () => last!,
        dispose() {
          drop();
          x.dispose();
          w.dispose();
        },
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const { value, grads } = m.last();
        const out = [(await value.data())[0], norm(await grads[0].data()), norm(await grads[1].data())];
        m.dispose();
        return out;
      },
      runner() {
        const m = make();
        return Promise.resolve({
          step: m.step,
          sync: async () => void await m.last().value.data(),
          dispose: m.dispose,
        });
      },
    };
  };

  /** CrossEntropyLoss(mean) + SGD(momentum) on a model given as (params, x) → logits. */
  const classifier = (
    prefix: string,
    params: () => TF.Variable[],
    forward: (p: T[], x: T) => T,
    x0: () => T,
    lr: number,
    momentum: number,
  ): WorkloadImpl => {
    const make = () => {
      const ps = params();
      const x = x0();
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(raw(`${prefix}.y`).data), "int32"), 10));
      const opt = tf.train.momentum(lr, momentum);
      const lossOf = () => tf.losses.softmaxCrossEntropy(y, forward(ps, x)) as TF.Scalar;
      let loss: T | null = null;
      return {
        step() {
          loss?.dispose();
          loss = opt.minimize(lossOf, true, ps)!;
        },
        last: () => loss!,
        evalLoss: () => tf.tidy(lossOf),
        dispose() {
          loss?.dispose();
          opt.dispose();
          [x, y, ...ps].forEach((v) => v.dispose());
        },
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const l0 = (await m.last().data())[0];
        const l1t = m.evalLoss();
        const l1 = (await l1t.data())[0];
        l1t.dispose();
        m.dispose();
        return [l0, l1];
      },
      runner() {
        const m = make();
        return Promise.resolve({ step: m.step, sync: async () => void await m.last().data(), dispose: m.dispose });
      },
    };
  };

  const cnnParams = () => {
    // torch flattens [N, 64, 16, 16] as c·256 + h·16 + w; NHWC flattens as (h·16 + w)·64 + c
    const w = raw("cnn.4.weight").data;
    const perm = new Float32Array(w.length);
    for (let o = 0; o < 10; o++) {
      for (let c = 0; c < 64; c++) {
        for (let hw = 0; hw < 256; hw++) perm[o * 16384 + hw * 64 + c] = w[o * 16384 + c * 256 + hw];
      }
    }
    return [
      variable(hwio("cnn.0.weight"), "cnn_conv_w"),
      variable(t("cnn.0.bias"), "cnn_conv_b"),
      variable(tf.tensor(perm, [10, 16384]), "cnn_fc_w"),
      variable(t("cnn.4.bias"), "cnn_fc_b"),
    ];
  };
  const cnnForward = ([cw, cb, fw, fb]: T[], x: T) => {
    const h = tf.maxPool(tf.relu(conv3x3(x, cw).add(cb)) as TF.Tensor4D, 2, 2, "valid");
    return tf.matMul(h.reshape([CNN.batch, 16384]), fw, false, true).add(fb);
  };
  const mlpParams = () => ["0.weight", "0.bias", "2.weight", "2.bias"].map((k) => variable(t(`mlp.${k}`), `mlp_${k}`));
  const mlpForward = ([w0, b0, w1, b1]: T[], x: T) =>
    tf.matMul(tf.relu(tf.matMul(x, w0, false, true).add(b0)), w1, false, true).add(b1);

  const transformer: WorkloadImpl = (() => {
    const { d, heads, batch: B, seq: L, eps } = TRANSFORMER;
    const dh = d / heads;
    const names = [
      "self_attn.in_proj_weight",
      "self_attn.in_proj_bias",
      "self_attn.out_proj.weight",
      "self_attn.out_proj.bias",
      "linear1.weight",
      "linear1.bias",
      "linear2.weight",
      "linear2.bias",
      "norm1.weight",
      "norm1.bias",
      "norm2.weight",
      "norm2.bias",
    ];
    const layerNorm = (z: T, w: T, b: T) => {
      const { mean, variance } = tf.moments(z, -1, true);
      return z.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(w).add(b);
    };
    const split = (z: T) => z.reshape([B, L, heads, dh]).transpose([0, 2, 1, 3]);
    const lossFn = (x: T, g: T) => (...p: T[]) => {
      const [inW, inB, outW, outB, w1, b1, w2, b2, n1w, n1b, n2w, n2b] = p;
      const [q, k, v] = tf.split(tf.matMul(x, inW, false, true).add(inB), 3, 1).map(split);
      const attn = tf.softmax(tf.matMul(q.mul(1 / Math.sqrt(dh)), k, false, true));
      const o = tf.matMul(attn, v).transpose([0, 2, 1, 3]).reshape([B * L, d]);
      const h = layerNorm(x.add(tf.matMul(o, outW, false, true).add(outB)), n1w, n1b);
      const f = tf.matMul(tf.relu(tf.matMul(h, w1, false, true).add(b1)), w2, false, true).add(b2);
      return layerNorm(h.add(f), n2w, n2b).mul(g).sum();
    };
    const make = () => {
      const ps = names.map((k) => t(`transformer.${k}`));
      const x = tf.tidy(() => t("transformer.x").reshape([B * L, d]));
      const g = tf.tidy(() => t("transformer.g").reshape([B * L, d]));
      const f = tf.valueAndGrads(lossFn(x, g));
      let last: { value: T; grads: T[] } | null = null;
      const drop = () => last && [last.value, ...last.grads].forEach((v) => v.dispose());
      return {
        step() {
          drop();
          last = f(ps);
        },
        last: () => last!,
        dispose() {
          drop();
          [x, g, ...ps].forEach((v) => v.dispose());
        },
      };
    };
    return {
      async check() {
        const m = make();
        m.step();
        const { value, grads } = m.last();
        const out = [(await value.data())[0], norm(await grads[names.indexOf("linear1.weight")].data())];
        m.dispose();
        return out;
      },
      runner() {
        const m = make();
        return Promise.resolve({
          step: m.step,
          sync: async () => void await m.last().value.data(),
          dispose: m.dispose,
        });
      },
    };
  })();

  const adam: WorkloadImpl = (() => {
    const make = () => {
      const ps = Array.from({ length: ADAM.tensors }, (_, i) => variable(t(`adam.p${i}`), `adam_p${i}`));
      const gs = Array.from({ length: ADAM.tensors }, (_, i) => t(`adam.g${i}`));
      const opt = tf.train.adam(ADAM.lr, ADAM.betas[0], ADAM.betas[1], ADAM.eps);
      const named = ps.map((p, i) => ({ name: p.name, tensor: gs[i] }));
      return {
        ps,
        step: () => opt.applyGradients(named),
        sync: async () => {
          const probe = tf.slice(ps[0], [0], [1]);
          await probe.data();
          probe.dispose();
        },
        dispose() {
          opt.dispose();
          [...ps, ...gs].forEach((v) => v.dispose());
        },
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
    cnn: classifier("cnn", cnnParams, cnnForward, () => nhwc("cnn.x"), CNN.lr, CNN.momentum),
    transformer,
    mlp: classifier("mlp", mlpParams, mlpForward, () => t("mlp.x"), MLP.lr, MLP.momentum),
    adam,
  };
}
