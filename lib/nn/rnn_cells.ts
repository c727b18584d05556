/**
 * `nn.RNNCell`, `nn.LSTMCell` and `nn.GRUCell`: one time step of the recurrent layers, and the step
 * arithmetic that `nn.RNN`/`nn.LSTM`/`nn.GRU` (rnn.ts) share with them. Parameters are PyTorch's
 * (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, gates stacked in torch's order), all drawn from
 * U(−1/√hiddenSize, 1/√hiddenSize).
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { zeros } from "../tensor/ops_creation.ts";
import { linear } from "../tensor/ops_linalg.ts";
import { isFloat } from "../tensor/dtype.ts";
import { Module } from "./module.ts";
import { uniform_ } from "./init.ts";
import type { FactoryOptions } from "./_attention_parts.ts";

/** The recurrences: Elman RNN with tanh or ReLU, LSTM, GRU (torch's `mode` names). */
export type RecurrentMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** Nonlinearity of `nn.RNN` / `nn.RNNCell`. */
export type RnnNonlinearity = "tanh" | "relu";

/** How many stacked gates a mode's weights hold (their first dim is gates · hiddenSize). */
export function gateCount(mode: RecurrentMode): number {
  return mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
}

/** A hidden state: `h`, plus the cell state `c` for LSTM. */
export interface RecurrentState {
  h: Tensor;
  c: Tensor | null;
}

/**
 * One step from the input projection `xg = x W_ihᵀ + b_ih` (`[B, G·H]`, computed for all steps at
 * once by the layers) and the previous state:
 * - RNN: h' = act(xg + h W_hhᵀ + b_hh)
 * - LSTM: i, f, g, o = xg + h W_hhᵀ + b_hh; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c')
 * - GRU: r = σ(xg_r + hg_r), z = σ(xg_z + hg_z), n = tanh(xg_n + r·hg_n), h' = (1 − z)·n + z·h,
 *   with hg = h W_hhᵀ + b_hh.
 */
export function recurrentStep(
  mode: RecurrentMode,
  xg: Tensor,
  state: RecurrentState,
  wHh: Tensor,
  bHh: Tensor | null,
): RecurrentState {
  const hg = linear(state.h, wHh, bHh);
  if (mode === "RNN_TANH") return { h: xg.add(hg).tanh(), c: null };
  if (mode === "RNN_RELU") return { h: xg.add(hg).relu(), c: null };
  if (mode === "LSTM") {
    const [i, f, g, o] = xg.add(hg).chunk(4, -1);
    const c = f.sigmoid().mul(state.c!).add(i.sigmoid().mul(g.tanh()));
    return { h: o.sigmoid().mul(c.tanh()), c };
  }
  const [xr, xz, xn] = xg.chunk(3, -1);
  const [hr, hz, hn] = hg.chunk(3, -1);
  const r = xr.add(hr).sigmoid(), z = xz.add(hz).sigmoid();
  const n = xn.add(r.mul(hn)).tanh();
  return { h: n.add(z.mul(state.h.sub(n))), c: null };
}

/** Checks a size argument of a recurrent layer. */
export function checkSize(layer: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${layer}: ${name} must be a positive integer, got ${n}`);
}

/** A `[rows, cols]` (or `[rows]`) tensor drawn from U(−1/√hidden, 1/√hidden), as torch's `reset_parameters`. */
export function recurrentParam(shape: readonly number[], hiddenSize: number, factory: FactoryOptions): Tensor {
  const bound = 1 / Math.sqrt(hiddenSize);
  return uniform_(zeros(shape, factory), { a: -bound, b: bound });
}

/** Options of the cells (PyTorch's keyword arguments). */
export interface RNNCellOptions extends FactoryOptions {
  /** Learn `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** `nn.RNNCell` only: "tanh" (default) or "relu". */
  nonlinearity?: RnnNonlinearity;
}

// positional tail → options, in torch's argument order
function cellOptions(layer: string, args: readonly unknown[], order: readonly string[]): RNNCellOptions {
  const last = args[args.length - 1];
  const hasObject = typeof last === "object" && last !== null;
  const positional = hasObject ? args.slice(0, -1) : args;
  if (positional.length > order.length) {
    throw new TypeError(`${layer}: takes at most ${order.length + 2} positional arguments (${order.join(", ")})`);
  }
  const out: Record<string, unknown> = { ...(hasObject ? last as object : {}) };
  positional.forEach((v, i) => out[order[i]] = v);
  return out as RNNCellOptions;
}

abstract class RecurrentCell extends Module {
  /** `[G·hiddenSize, inputSize]`. */
  weight_ih: Tensor;
  /** `[G·hiddenSize, hiddenSize]`. */
  weight_hh: Tensor;
  /** `[G·hiddenSize]`, or null without bias. */
  bias_ih: Tensor | null = null;
  /** `[G·hiddenSize]`, or null without bias. */
  bias_hh: Tensor | null = null;
  /** Whether the cell has biases. */
  readonly bias: boolean;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly mode: RecurrentMode,
    o: RNNCellOptions,
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    const factory = { device: o.device, dtype: o.dtype };
    const G = gateCount(mode) * hiddenSize;
    this.weight_ih = this.param(recurrentParam([G, inputSize], hiddenSize, factory));
    this.weight_hh = this.param(recurrentParam([G, hiddenSize], hiddenSize, factory));
    this.bias = o.bias ?? true;
    if (this.bias) {
      this.bias_ih = this.param(recurrentParam([G], hiddenSize, factory));
      this.bias_hh = this.param(recurrentParam([G], hiddenSize, factory));
    }
  }

  /** Validates `input` (`[B, inputSize]` or `[inputSize]`) and a state tensor; returns the batched input. */
  protected batched(input: Tensor, states: readonly (Tensor | null | undefined)[]): { x: Tensor; unbatched: boolean } {
    const name = this.constructor.name;
    if ((input.ndim !== 1 && input.ndim !== 2) || input.shape[input.ndim - 1] !== this.inputSize) {
      throw new RangeError(
        `${name}: input has shape [${input.shape}] but expected [batch, ${this.inputSize}] or [${this.inputSize}]`,
      );
    }
    if (!isFloat(input.dtype)) throw new TypeError(`${name}: input must be a float tensor, got ${input.dtype}`);
    const unbatched = input.ndim === 1;
    const B = unbatched ? 1 : input.shape[0];
    for (const s of states) {
      const want = unbatched ? [this.hiddenSize] : [B, this.hiddenSize];
      if (s && s.shape.join() !== want.join()) {
        throw new RangeError(`${name}: hidden state has shape [${s.shape}] but expected [${want}]`);
      }
    }
    return { x: unbatched ? input.unsqueeze(0) : input, unbatched };
  }

  protected zeroState(x: Tensor): Tensor {
    return zeros([x.shape[0], this.hiddenSize], { device: x.device, dtype: x.dtype });
  }

  protected step(x: Tensor, h: Tensor, c: Tensor | null): RecurrentState {
    return recurrentStep(this.mode, linear(x, this.weight_ih, this.bias_ih), { h, c }, this.weight_hh, this.bias_hh);
  }
}

/**
 * An Elman RNN cell (torch.nn.RNNCell): h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (ReLU with
 * `nonlinearity: "relu"`).
 *
 * Args, as torch's: `inputSize`, `hiddenSize`, `bias` (true), `nonlinearity` ("tanh"), positional
 * or in an options object (also `device`, `dtype`).
 *
 * Shapes: input `[B, inputSize]` or `[inputSize]`, hx like the output `[B, hiddenSize]` (zeros when omitted).
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const cell = new nn.RNNCell(10, 20, { nonlinearity: "relu" });
 * assert.deepEqual(cell.forward(randn([3, 10])).shape, [3, 20]);
 * ```
 */
export class RNNCell extends RecurrentCell {
  /** The nonlinearity. */
  readonly nonlinearity: RnnNonlinearity;
  constructor(inputSize: number, hiddenSize: number, ...args: (boolean | string | RNNCellOptions)[]) {
    const o = cellOptions("RNNCell", args, ["bias", "nonlinearity"]);
    const nl = o.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") {
      throw new RangeError(`RNNCell: nonlinearity must be "tanh" or "relu", got ${nl}`);
    }
    super(inputSize, hiddenSize, nl === "tanh" ? "RNN_TANH" : "RNN_RELU", o);
    this.nonlinearity = nl;
  }

  /** The next hidden state. */
  override forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, unbatched } = this.batched(input, [hx]);
    const h0 = hx ? (unbatched ? hx.unsqueeze(0) : hx) : this.zeroState(x);
    const { h } = this.step(x, h0, null);
    return unbatched ? h.squeeze(0) : h;
  }
}

/**
 * A long short-term memory cell (torch.nn.LSTMCell): i, f, g, o = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh
 * (gates stacked in that order), c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
 *
 * Args: `inputSize`, `hiddenSize`, `bias` (true), positional or in an options object.
 *
 * Shapes: input `[B, inputSize]` or `[inputSize]`; `hx` = `[h, c]`, each `[B, hiddenSize]` (zeros
 * when omitted); returns `[h', c']`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const cell = new nn.LSTMCell(10, 20);
 * const [h, c] = cell.forward(randn([3, 10]));
 * assert.deepEqual([h.shape, c.shape], [[3, 20], [3, 20]]);
 * ```
 */
export class LSTMCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, ...args: (boolean | RNNCellOptions)[]) {
    super(inputSize, hiddenSize, "LSTM", cellOptions("LSTMCell", args, ["bias"]));
  }

  /** The next `[h, c]`. */
  override forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const { x, unbatched } = this.batched(input, hx ?? []);
    const lift = (t: Tensor) => unbatched ? t.unsqueeze(0) : t;
    const { h, c } = this.step(x, hx ? lift(hx[0]) : this.zeroState(x), hx ? lift(hx[1]) : this.zeroState(x));
    return unbatched ? [h.squeeze(0), c!.squeeze(0)] : [h, c!];
  }
}

/**
 * A gated recurrent unit cell (torch.nn.GRUCell): r = σ(W_ir x + b_ir + W_hr h + b_hr),
 * z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),
 * h' = (1 − z)·n + z·h (gates stacked r, z, n).
 *
 * Args: `inputSize`, `hiddenSize`, `bias` (true), positional or in an options object.
 *
 * Shapes: input `[B, inputSize]` or `[inputSize]`, hx and output `[B, hiddenSize]`.
 *
 * @example
 * ```ts
 * import { nn, randn } from "denograd";
 * import assert from "node:assert/strict";
 * const cell = new nn.GRUCell(10, 20);
 * assert.deepEqual(cell.forward(randn([10])).shape, [20]);
 * ```
 */
export class GRUCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, ...args: (boolean | RNNCellOptions)[]) {
    super(inputSize, hiddenSize, "GRU", cellOptions("GRUCell", args, ["bias"]));
  }

  /** The next hidden state. */
  override forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, unbatched } = this.batched(input, [hx]);
    const h0 = hx ? (unbatched ? hx.unsqueeze(0) : hx) : this.zeroState(x);
    const { h } = this.step(x, h0, null);
    return unbatched ? h.squeeze(0) : h;
  }
}
