/**
 * `nn.RNN`, `nn.LSTM` and `nn.GRU`: multi-layer, optionally bidirectional recurrent layers with
 * PyTorch's parameter names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then
 * `…_reverse` for the backward direction, per layer), initialisation and outputs. Each layer and
 * direction does one matmul for the input projection of every time step, then the recurrence.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { tensor, zeros } from "../tensor/ops_creation.ts";
import { cat, stack } from "../tensor/ops_combine.ts";
import { where } from "../tensor/ops_elementwise.ts";
import { linear } from "../tensor/ops_linalg.ts";
import { dropout } from "../tensor/ops_nn.ts";
import { isFloat } from "../tensor/dtype.ts";
import { isGradEnabled } from "../tensor/tape.ts";
import { defineFunction } from "../autograd/function.ts";
import { Module } from "./module.ts";
import type { FactoryOptions } from "./_attention_parts.ts";
import {
  checkSize,
  gateCount,
  type RecurrentMode,
  recurrentParam,
  type RecurrentState,
  recurrentStep,
  type RnnNonlinearity,
} from "./rnn_cells.ts";
import { PackedSequence, packSorted, padPackedSequence } from "./rnn_utils.ts";

/** Options of `nn.RNN`, `nn.LSTM` and `nn.GRU` (PyTorch's keyword arguments). */
export interface RNNOptions extends FactoryOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** `nn.RNN` only: "tanh" (default) or "relu". */
  nonlinearity?: RnnNonlinearity;
  /** Learn `bias_ih_l*` and `bias_hh_l*` (default true). */
  bias?: boolean;
  /** Input and output are `[B, T, *]` instead of `[T, B, *]` (default false; states stay `[L·D, B, H]`). */
  batchFirst?: boolean;
  /** Dropout probability on the output of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Run a second, time-reversed recurrence per layer and concatenate (default false). */
  bidirectional?: boolean;
  /** `nn.LSTM`'s projections are not supported: only 0 (the default) is accepted. */
  projSize?: number;
}

// The state passes from step to step through elementwise ops only (c in LSTM, z·h in GRU), and so does its
// gradient: left lazy, both would become one chain through every step, recomputed at each read. The
// boundary computes the state now, and records an identity whose backward computes the gradient now.
const stepBoundary = defineFunction({
  name: "RecurrentStateBoundary",
  forward: (_ctx, state: Tensor) => state.realize(),
  backward: (_ctx, g: Tensor) => g.realize(),
});

function boundary(t: Tensor): Tensor {
  return t.requiresGrad && isGradEnabled() ? stepBoundary(t) : t.realize();
}

/** A recurrent layer's input: a padded tensor or a PackedSequence. */
export type RecurrentInput = Tensor | PackedSequence;

// the positional tail of torch's constructors, in their order
const RNN_ORDER = ["numLayers", "nonlinearity", "bias", "batchFirst", "dropout", "bidirectional"] as const;
const GATED_ORDER = ["numLayers", "bias", "batchFirst", "dropout", "bidirectional", "projSize"] as const;

function readOptions(layer: string, args: readonly unknown[], order: readonly string[]): RNNOptions {
  const last = args[args.length - 1];
  const hasObject = typeof last === "object" && last !== null;
  const positional = hasObject ? args.slice(0, -1) : args;
  if (positional.length > order.length) {
    throw new TypeError(`${layer}: takes at most ${order.length + 2} positional arguments (${order.join(", ")})`);
  }
  const out: Record<string, unknown> = { ...(hasObject ? last as object : {}) };
  positional.forEach((v, i) => out[order[i]] = v);
  return out as RNNOptions;
}

/** What a recurrent layer's forward computes before it is shaped for the caller. */
interface Run {
  output: RecurrentInput;
  h: Tensor;
  c: Tensor | null;
}

abstract class RNNBase extends Module {
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether each layer also runs backwards in time. */
  readonly bidirectional: boolean;
  /** Whether inputs are `[B, T, *]`. */
  readonly batchFirst: boolean;
  /** Dropout between layers. */
  readonly dropout: number;
  /** Whether the layer has biases. */
  readonly bias: boolean;
  [param: string]: unknown;

  constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    o: RNNOptions,
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    this.numLayers = o.numLayers ?? 1;
    checkSize(name, "numLayers", this.numLayers);
    this.dropout = o.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new RangeError(`${name}: dropout must be in [0, 1], got ${this.dropout}`);
    }
    if ((o.projSize ?? 0) !== 0) throw new RangeError(`${name}: projSize is not supported (use 0)`);
    this.bidirectional = o.bidirectional ?? false;
    this.batchFirst = o.batchFirst ?? false;
    this.bias = o.bias ?? true;
    const factory = { device: o.device, dtype: o.dtype };
    const G = gateCount(mode) * hiddenSize, D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
        const inSize = l === 0 ? inputSize : hiddenSize * D;
        this[`weight_ih${sfx}`] = this.param(recurrentParam([G, inSize], hiddenSize, factory));
        this[`weight_hh${sfx}`] = this.param(recurrentParam([G, hiddenSize], hiddenSize, factory));
        if (this.bias) {
          this[`bias_ih${sfx}`] = this.param(recurrentParam([G], hiddenSize, factory));
          this[`bias_hh${sfx}`] = this.param(recurrentParam([G], hiddenSize, factory));
        }
      }
    }
  }

  #weights(l: number, d: number): [Tensor, Tensor, Tensor | null, Tensor | null] {
    const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
    const get = (k: string) => (this[k] ?? null) as Tensor | null;
    return [get(`weight_ih${sfx}`)!, get(`weight_hh${sfx}`)!, get(`bias_ih${sfx}`), get(`bias_hh${sfx}`)];
  }

  /**
   * Runs every layer over `input`; `h0`/`c0` are `[L·D, B, H]` (or `[L·D, H]` unbatched) or null.
   * A PackedSequence runs as its padded form with each sequence's state frozen past its length,
   * which gives torch's packed results (outputs at valid steps, states at each sequence's last step).
   */
  protected run(input: RecurrentInput, h0: Tensor | null, c0: Tensor | null): Run {
    const name = this.constructor.name;
    const packed = input instanceof PackedSequence ? input : null;
    let x: Tensor, lengths: number[] | null = null, unbatched = false;
    if (packed) [x, lengths] = padPackedSequence(packed);
    else {
      const t = input as Tensor;
      if ((t.ndim !== 2 && t.ndim !== 3) || t.shape[t.ndim - 1] !== this.inputSize) {
        throw new RangeError(
          `${name}: input has shape [${t.shape}] but expected ${this.batchFirst ? "[B, T" : "[T, B"}, ` +
            `${this.inputSize}] or [T, ${this.inputSize}]`,
        );
      }
      unbatched = t.ndim === 2;
      x = unbatched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t;
    }
    if (!isFloat(x.dtype)) throw new TypeError(`${name}: input must be a float tensor, got ${x.dtype}`);
    if (x.shape[2] !== this.inputSize) {
      throw new RangeError(`${name}: packed input has ${x.shape[2]} features, expected ${this.inputSize}`);
    }
    const [T, B] = x.shape, D = this.bidirectional ? 2 : 1, H = this.hiddenSize, LD = this.numLayers * D;
    const state = (s: Tensor | null, what: string): Tensor => {
      if (!s) return zeros([LD, B, H], { dtype: x.dtype, device: x.device });
      const want = unbatched ? [LD, H] : [LD, B, H];
      if (s.shape.join() !== want.join()) {
        throw new RangeError(`${name}: ${what} has shape [${s.shape}] but expected [${want}]`);
      }
      return unbatched ? s.unsqueeze(1) : s;
    };
    const hInit = state(h0, "h0");
    const cInit = this.mode === "LSTM" ? state(c0, "c0") : null;
    // valid[t]: [B, 1] bool, true where step t is inside the sequence (only for packed input with short ones)
    const valid = lengths && lengths.some((n) => n < T)
      ? Array.from(
        { length: T },
        (_, t) => tensor(lengths!.map((n) => t < n), { dtype: "bool", device: x.device }).reshape([B, 1]),
      )
      : null;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    let layerInput = x;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const [wIh, wHh, bIh, bHh] = this.#weights(l, d);
        const xg = linear(layerInput, wIh, bIh); // [T, B, G·H]: every step's input projection at once
        let s: RecurrentState = { h: hInit.select(0, l * D + d), c: cInit ? cInit.select(0, l * D + d) : null };
        const steps: Tensor[] = new Array(T);
        for (let i = 0; i < T; i++) {
          const t = d === 0 ? i : T - 1 - i;
          const next = recurrentStep(this.mode, xg.select(0, t), s, wHh, bHh);
          s = valid ? { h: where(valid[t], next.h, s.h), c: next.c && where(valid[t], next.c, s.c!) } : next;
          s = { h: boundary(s.h), c: s.c && boundary(s.c) };
          steps[t] = next.h;
        }
        outs.push(stack(steps, 0));
        hs.push(s.h);
        if (s.c) cs.push(s.c);
      }
      layerInput = D === 2 ? cat(outs, -1) : outs[0];
      if (l < this.numLayers - 1 && this.dropout > 0) layerInput = dropout(layerInput, this.dropout, this.training);
    }
    const h = stack(hs, 0), c = cs.length ? stack(cs, 0) : null;
    if (packed) {
      return { output: packSorted(layerInput, lengths!, packed.sortedIndices, packed.unsortedIndices), h, c };
    }
    if (unbatched) return { output: layerInput.squeeze(1), h: h.squeeze(1), c: c && c.squeeze(1) };
    return { output: this.batchFirst ? layerInput.transpose(0, 1) : layerInput, h, c };
  }
}

/**
 * A multi-layer Elman RNN (torch.nn.RNN): for each layer and step,
 * hₜ = tanh(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh) (ReLU with `nonlinearity: "relu"`); layer l > 0
 * reads the (dropped-out) outputs of layer l − 1. Parameters `weight_ih_l{k}` `[H, in]`,
 * `weight_hh_l{k}` `[H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[H]` (plus `…_reverse`), all from
 * U(−1/√H, 1/√H).
 *
 * Args, as torch's, positional or in an options object: `inputSize`, `hiddenSize`, `numLayers` (1),
 * `nonlinearity` ("tanh"), `bias` (true), `batchFirst` (false), `dropout` (0), `bidirectional`
 * (false); also `device`, `dtype`.
 *
 * Shapes (D = 2 if bidirectional else 1): input `[T, B, in]` (`[B, T, in]` with batchFirst, `[T, in]`
 * unbatched) or a PackedSequence; h0 `[numLayers·D, B, H]`; returns `[output, hN]` with output
 * `[T, B, D·H]` (or a PackedSequence) and hN like h0.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const rnn = new nn.RNN(10, 20, 2);
 * const [output, hN] = rnn.forward(randn([5, 3, 10]), randn([2, 3, 20]));
 * assert.deepEqual([output.shape, hN.shape], [[5, 3, 20], [2, 3, 20]]);
 * ```
 */
export class RNN extends RNNBase {
  /** The nonlinearity. */
  readonly nonlinearity: RnnNonlinearity;
  constructor(inputSize: number, hiddenSize: number, ...args: (number | boolean | string | RNNOptions)[]) {
    const o = readOptions("RNN", args, RNN_ORDER);
    const nl = o.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new RangeError(`RNN: nonlinearity must be "tanh" or "relu", got ${nl}`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, o);
    this.nonlinearity = nl;
  }

  /** Runs the layers; returns `[output, hN]` (output a PackedSequence when the input is one). */
  override forward<I extends RecurrentInput>(input: I, h0: Tensor | null = null): [I, Tensor] {
    const { output, h } = this.run(input, h0, null);
    return [output as I, h];
  }
}

/**
 * A multi-layer long short-term memory (torch.nn.LSTM): per step
 * i, f, g, o = xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh, cₜ = σ(f)·cₜ₋₁ + σ(i)·tanh(g), hₜ = σ(o)·tanh(cₜ).
 * Parameters as `nn.RNN`'s with 4H rows (gates i, f, g, o).
 *
 * Args: `inputSize`, `hiddenSize`, `numLayers` (1), `bias` (true), `batchFirst` (false), `dropout`
 * (0), `bidirectional` (false), positional or in an options object (`projSize` must be 0).
 *
 * Shapes: as `nn.RNN`; the state is `[h0, c0]`, each `[numLayers·D, B, H]`; returns
 * `[output, [hN, cN]]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const lstm = new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, bidirectional: true });
 * const [output, [hN, cN]] = lstm.forward(randn([3, 5, 10]));
 * assert.deepEqual([output.shape, hN.shape, cN.shape], [[3, 5, 40], [4, 3, 20], [4, 3, 20]]);
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, ...args: (number | boolean | RNNOptions)[]) {
    super("LSTM", inputSize, hiddenSize, readOptions("LSTM", args, GATED_ORDER));
  }

  /** Runs the layers; returns `[output, [hN, cN]]`. */
  override forward<I extends RecurrentInput>(
    input: I,
    hx: readonly [Tensor, Tensor] | null = null,
  ): [I, [Tensor, Tensor]] {
    const { output, h, c } = this.run(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [output as I, [h, c!]];
  }
}

/**
 * A multi-layer gated recurrent unit (torch.nn.GRU): per step r = σ(W_ir xₜ + b_ir + W_hr hₜ₋₁ + b_hr),
 * z = σ(W_iz xₜ + b_iz + W_hz hₜ₋₁ + b_hz), n = tanh(W_in xₜ + b_in + r·(W_hn hₜ₋₁ + b_hn)),
 * hₜ = (1 − z)·n + z·hₜ₋₁. Parameters as `nn.RNN`'s with 3H rows (gates r, z, n).
 *
 * Args: `inputSize`, `hiddenSize`, `numLayers` (1), `bias` (true), `batchFirst` (false), `dropout`
 * (0), `bidirectional` (false), positional or in an options object.
 *
 * Shapes: as `nn.RNN`; returns `[output, hN]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const gru = new nn.GRU(4, 6, 1, true, true);
 * const [output, hN] = gru.forward(randn([2, 7, 4]));
 * assert.deepEqual([output.shape, hN.shape], [[2, 7, 6], [1, 2, 6]]);
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, ...args: (number | boolean | RNNOptions)[]) {
    super("GRU", inputSize, hiddenSize, readOptions("GRU", args, GATED_ORDER));
  }

  /** Runs the layers; returns `[output, hN]`. */
  override forward<I extends RecurrentInput>(input: I, h0: Tensor | null = null): [I, Tensor] {
    const { output, h } = this.run(input, h0, null);
    return [output as I, h];
  }
}
