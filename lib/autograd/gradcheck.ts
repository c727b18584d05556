/**
 * Numerical gradient checks in float64 on the cpu backend: the analytical Jacobian from
 * autograd against central finite differences, element by element.
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { tensor } from "../tensor/ops_creation.ts";
import { cat } from "../tensor/ops_combine.ts";
import { isFloat } from "../tensor/dtype.ts";
import { grad } from "./backward.ts";
import { tidy } from "../tensor/scope.ts";

/** Tolerances of `gradcheck`. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
}

/** A function gradcheck differentiates: tensors in, one tensor or several out. */
export type GradcheckFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function flatOutput(out: Tensor | readonly Tensor[]): Tensor {
  const list = out instanceof Tensor ? [out] : [...out];
  return cat(list.map((t) => t.reshape([t.size])));
}

async function toCpu64(
  x: Tensor,
): Promise<{ values: Float64Array; shape: readonly number[]; float: boolean; dtype: Tensor["dtype"] }> {
  const data = await x.data();
  return {
    values: Float64Array.from(data as ArrayLike<number>),
    shape: x.shape,
    float: isFloat(x.dtype),
    dtype: x.dtype,
  };
}

function rebuild(host: { values: Float64Array; shape: readonly number[]; float: boolean; dtype: Tensor["dtype"] }) {
  const dtype = host.float ? "float64" : host.dtype;
  const t = tensor(host.values, { dtype, device: "cpu" }).reshape(host.shape);
  return host.float ? t.detach().requiresGrad_(true) : t;
}

/**
 * Checks the gradients of `fn` at `inputs` against finite differences in float64 on the cpu
 * backend. Resolves to `true`, or throws naming the input, the worst element and both values.
 *
 * @example
 * ```ts
 * import { gradcheck, randn } from "denograd";
 * import assert from "node:assert/strict";
 * assert.equal(await gradcheck((x) => x.tanh().sum(), [randn([3])]), true);
 * ```
 */
export async function gradcheck(
  fn: GradcheckFn,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): Promise<true> {
  const eps = options.eps ?? 1e-6, atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-3;
  const hosts = await Promise.all(inputs.map(toCpu64));
  const xs = hosts.map(rebuild);
  const diffIdx = xs.map((_x, i) => (hosts[i].float ? i : -1)).filter((i) => i >= 0);
  const out = flatOutput(fn(...xs));
  const nOut = out.size;
  // analytical Jacobian, one row per output element
  const analytic = diffIdx.map((i) => new Float64Array(nOut * xs[i].size));
  for (let j = 0; j < nOut; j++) {
    const grads = tidy(() => {
      const seed = new Float64Array(nOut);
      seed[j] = 1;
      return grad([out], diffIdx.map((i) => xs[i]), {
        gradOutputs: [tensor(seed, { dtype: "float64", device: "cpu" })],
        retainGraph: true,
        allowUnused: true,
      });
    });
    for (let k = 0; k < diffIdx.length; k++) {
      const g = grads[k];
      if (!g) continue;
      const values = await g.data();
      const n = xs[diffIdx[k]].size;
      for (let e = 0; e < n; e++) analytic[k][j * n + e] = values[e];
      g.dispose();
    }
  }
  // numerical Jacobian by central differences
  for (let k = 0; k < diffIdx.length; k++) {
    const i = diffIdx[k];
    const n = xs[i].size;
    for (let e = 0; e < n; e++) {
      const evalAt = async (delta: number) => {
        const shifted = hosts[i].values.slice();
        shifted[e] += delta;
        // inputs keep requiresGrad: fn may itself differentiate (gradgradcheck)
        const y = tidy(() => {
          const args = xs.map((x, m) => (m === i ? rebuild({ ...hosts[i], values: shifted }) : x));
          return flatOutput(fn(...args)).detach();
        });
        const v = Float64Array.from(await y.data() as ArrayLike<number>);
        y.dispose();
        return v;
      };
      const plus = await evalAt(eps), minus = await evalAt(-eps);
      for (let j = 0; j < nOut; j++) {
        const numeric = (plus[j] - minus[j]) / (2 * eps);
        const a = analytic[k][j * n + e];
        const ok = Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric) ||
          (Number.isNaN(a) && Number.isNaN(numeric));
        if (!ok) {
          throw new Error(
            `gradcheck: gradient of output element ${j} with respect to input ${i} (shape [${xs[i].shape}]) ` +
              `element ${e} is ${a} by autograd but ${numeric} by finite differences (atol ${atol}, rtol ${rtol})`,
          );
        }
      }
    }
  }
  return true;
}

/**
 * Checks second derivatives: the gradient of `fn`'s vector-Jacobian product (with a random
 * output cotangent) against finite differences, through `createGraph`.
 */
export async function gradgradcheck(
  fn: GradcheckFn,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): Promise<true> {
  const hosts = await Promise.all(inputs.map(toCpu64));
  const xs = hosts.map(rebuild);
  const out = flatOutput(fn(...xs));
  const cot = new Float64Array(out.size).map((_, i) => Math.sin(1.3 * i + 0.7) + 0.1);
  const v = tensor(cot, { dtype: "float64", device: "cpu" });
  const diff = xs.map((_x, i) => (hosts[i].float ? i : -1)).filter((i) => i >= 0);
  const vjp = (...args: Tensor[]) => {
    const ins = args.slice(0, xs.length), vv = args[xs.length];
    const y = flatOutput(fn(...ins));
    const gs = grad([y], diff.map((i) => ins[i]), { gradOutputs: [vv], createGraph: true, allowUnused: true });
    return gs.filter((g): g is Tensor => g !== null);
  };
  return await gradcheck(vjp, [...xs, v], { atol: 1e-4, rtol: 1e-3, ...options });
}
