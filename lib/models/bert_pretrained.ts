/** `loadPretrained`: reads a Hugging Face BERT checkpoint directory into a denograd model. @module */
import type { DType } from "../backend/backend.ts";
import type { Device } from "../tensor/device.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { Module } from "../nn/module.ts";
import { load } from "../io/safetensors.ts";
import { BertConfig } from "./bert_config.ts";
import { BertForSequenceClassification, BertModel } from "./bert.ts";
import { permissionError } from "../_permission.ts";

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** Which model to build: the bare encoder (default "base") or the classifier. */
  model?: "base" | "sequenceClassification";
  /** Device of the parameters (default: the default device). */
  device?: Device;
  /** Float dtype of the parameters (default: as stored, float32 for F32 checkpoints). */
  dtype?: DType;
}

/** The name a checkpoint key has in BertModel's own state dict, or null for keys that are skipped. */
function normalizeKey(key: string): string | null {
  let k = key.startsWith("bert.") ? key.slice(5) : key;
  if (k.startsWith("cls.") || k.endsWith("position_ids")) return null; // pretraining heads, index buffers
  // checkpoints converted from TensorFlow name the LayerNorm parameters gamma/beta
  k = k.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
  return k;
}

function list(keys: string[]): string {
  const shown = keys.slice(0, 12).join(", ");
  return keys.length > 12 ? `${shown}, … (${keys.length} in all)` : shown;
}

/** Every parameter of `model` with the module that holds it and its field name. */
function* ownedParameters(model: Module): Generator<{ name: string; owner: Module; field: string; value: Tensor }> {
  for (const [prefix, owner] of model.namedModules()) {
    for (const [field, value] of Object.entries(owner)) {
      if (value instanceof Tensor && value.requiresGrad) {
        yield { name: prefix ? `${prefix}.${field}` : field, owner, field, value };
      }
    }
  }
}

/**
 * Loads a Hugging Face BERT checkpoint: `dir/config.json` (parsed by
 * {@link BertConfig.fromJSON}) and `dir/model.safetensors`, into a {@link BertModel}
 * (`model: "base"`, default) or a {@link BertForSequenceClassification}.
 *
 * Keys may carry the `bert.` prefix (checkpoints of the task models) or not (of `BertModel`);
 * `cls.*` pretraining heads and `position_ids` buffers are skipped; TensorFlow-era
 * `LayerNorm.gamma/beta` names are read as `weight/bias`. For the classifier, a checkpoint
 * without `classifier.*` (a pretrained encoder to fine-tune) keeps the fresh head initialised
 * as HF does (N(0, initializerRange²), zero bias); every other parameter must be present with
 * the model's shape. Missing, unexpected or mis-shaped keys throw an Error naming them.
 *
 * The tensors are placed on `device` and cast to `dtype` when given (float64 needs the cpu
 * device). Needs `--allow-read` for `dir`.
 *
 * @example
 * ```ts
 * import { loadPretrained, tensor } from "denograd";
 * import assert from "node:assert/strict";
 * const model = await loadPretrained(new URL("../../tests/fixtures/tiny_bert/", import.meta.url), {
 *   model: "sequenceClassification",
 * });
 * const { logits } = model.eval().forward(tensor([[2, 17, 33, 3]]));
 * assert.deepEqual(logits.shape, [1, 3]);
 * ```
 */
export async function loadPretrained(
  dir: string | URL,
  options: LoadPretrainedOptions & { model: "sequenceClassification" },
): Promise<BertForSequenceClassification>;
/** Loads a Hugging Face BERT checkpoint folder as a {@link BertModel} (the default `model: "base"`). */
export async function loadPretrained(
  dir: string | URL,
  options?: LoadPretrainedOptions & { model?: "base" },
): Promise<BertModel>;
export async function loadPretrained(
  dir: string | URL,
  options: LoadPretrainedOptions = {},
): Promise<BertModel | BertForSequenceClassification> {
  const kind = options.model ?? "base";
  if (kind !== "base" && kind !== "sequenceClassification") {
    throw new TypeError(
      `loadPretrained: model must be "base" or "sequenceClassification", got ${JSON.stringify(kind)}`,
    );
  }
  const at = (name: string): string | URL =>
    dir instanceof URL
      ? new URL(name, dir.href.endsWith("/") ? dir : `${dir.href}/`)
      : `${dir.replace(/\/+$/, "")}/${name}`;
  const shown = (u: string | URL) => u instanceof URL ? decodeURIComponent(u.pathname) : u;
  const configUrl = at("config.json"), weightsUrl = at("model.safetensors");
  for (const [u, what] of [[configUrl, "the model configuration"], [weightsUrl, "the weights"]] as const) {
    try {
      await Deno.stat(u);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw permissionError("loadPretrained", "read", u, e) ?? e;
      throw new Error(
        `loadPretrained: ${shown(u)} not found (${what}); expected a Hugging Face BERT checkpoint directory ` +
          `with config.json and model.safetensors (convert pytorch_model.bin to safetensors first)`,
      );
    }
  }
  const config = await BertConfig.fromFile(configUrl);
  const model = kind === "base" ? new BertModel(config) : new BertForSequenceClassification(config);
  const raw = await load(weightsUrl, { device: options.device });

  // checkpoint tensors by the model's own names
  const prefix = kind === "base" ? "" : "bert.";
  const state = new Map<string, Tensor>();
  const unexpected: string[] = [];
  for (const [key, t] of Object.entries(raw)) {
    const k = normalizeKey(key);
    if (k === null) continue;
    if (k.startsWith("classifier.")) {
      if (kind === "base") continue; // a task head the bare encoder does not have
      state.set(k, t);
    } else state.set(prefix + k, t);
  }
  const params = [...ownedParameters(model)];
  const own = new Set(params.map((p) => p.name));
  for (const [k] of state) if (!own.has(k)) unexpected.push(k);
  const missing = params.map((p) => p.name).filter((n) => !state.has(n));
  const headOnly = missing.every((n) => n.startsWith("classifier."));
  const file = shown(weightsUrl);
  const dispose = () => Object.values(raw).forEach((t) => t.dispose());
  if ((missing.length && !headOnly) || unexpected.length) {
    dispose();
    throw new Error(
      `loadPretrained: ${file} does not match the BERT model of ${shown(configUrl)}` +
        (missing.length ? `; missing keys: ${list(missing)}` : "") +
        (unexpected.length ? `; unexpected keys: ${list(unexpected)}` : ""),
    );
  }
  const wrong = params.filter((p) => state.has(p.name) && state.get(p.name)!.shape.join() !== p.value.shape.join());
  if (wrong.length) {
    dispose();
    const detail = wrong.map((p) =>
      `${p.name} is [${state.get(p.name)!.shape}] but the config needs [${p.value.shape}]`
    );
    throw new Error(`loadPretrained: ${file} has tensors of the wrong shape: ${list(detail)}`);
  }

  // swap each parameter for the checkpoint's tensor, moved and cast as asked
  const dtype = options.dtype ?? state.get(params[0].name)!.dtype;
  const finals = new Set<Tensor>();
  for (const p of params) {
    const src = state.get(p.name) ?? p.value; // a head the checkpoint lacks keeps its fresh values
    const moved = options.device && src.device !== options.device ? await src.toDevice(options.device) : src;
    const t = moved.dtype === dtype ? moved : moved.cast(dtype);
    if (moved !== src && moved !== t) moved.dispose();
    (p.owner as unknown as Record<string, Tensor>)[p.field] = p.owner.param(t);
    finals.add(t);
  }
  for (const p of params) if (!finals.has(p.value)) p.value.dispose();
  for (const t of Object.values(raw)) if (!finals.has(t)) t.dispose();
  return model;
}
