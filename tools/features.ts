/**
 * Generates FEATURES.md, the parity page of denograd against PyTorch: one table per namespace
 * (Tensor, torch functions, F, nn, optim, optim.lrScheduler, data) saying for each public PyTorch
 * name whether denograd has it, under which name, and what differs.
 *
 * Inputs: `tools/pytorch_api.json` (PyTorch's public names, written by `tools/pytorch_api.py` and
 * committed) and the exports of `mod.ts`, inspected at run time. Judgements that introspection
 * cannot make (partial support, not planned) live in the {@link NOTES} and {@link RULES} tables
 * below; names that differ beyond camelCase live in {@link ALIASES}.
 *
 * ```sh
 * deno task features        # writes FEATURES.md
 * deno task features:check  # exits 1 when FEATURES.md is stale
 * ```
 *
 * @module
 */
import pytorchApiJson from "./pytorch_api.json" with { type: "json" };
import { opSummaries } from "../lib/ops/table.ts";

/** One public PyTorch name, as `tools/pytorch_api.py` records it. */
export interface ApiEntry {
  /** The name inside its namespace: `log_softmax`, `init.kaiming_uniform_`, `torchvision.datasets.CIFAR10`. */
  name: string;
  /** `method`, `property`, `function`, `class` or `context manager`. */
  kind: string;
  /** First sentence of PyTorch's docstring. */
  doc?: string;
  /** Whether PyTorch also has the in-place variant `name_` (Tensor and F only). */
  inplace?: boolean;
  /** `curated` for names listed by hand (torchvision, torchtext) instead of introspected. */
  source?: string;
}

/** The content of `tools/pytorch_api.json`. */
export interface PytorchApi {
  /** The PyTorch version the names were read from. */
  torch_version: string;
  /** Entries per namespace: `Tensor`, `torch`, `F`, `nn`, `optim`, `lr_scheduler`, `data`. */
  namespaces: Record<string, ApiEntry[]>;
}

/**
 * denograd's public names per namespace: `Tensor` (members of the Tensor class), `denograd`
 * (top-level exports of mod.ts other than namespaces and the Tensor class), and one key per
 * exported namespace (`F`, `nn`, `optim`, `data`, `plot`, …) whose nested namespaces are
 * flattened with a dot (`init.kaimingUniform_`, `lrScheduler.StepLR`, `transforms.toTensor`).
 */
export type DenogradSurface = Readonly<Record<string, readonly string[]>>;

/** What the op table can say about one denograd op. */
export interface OpInfo {
  /** The op's kind: `elementwise`, `reduce`, `scan`, `index`, `movement`, `composite`, …. */
  kind?: string;
  /** A one-line description. */
  doc?: string;
}

/** Everything {@link renderFeatures} needs. */
export interface FeaturesInputs {
  /** PyTorch's names (`tools/pytorch_api.json`). */
  pytorch: PytorchApi;
  /** denograd's names ({@link inspectDenograd}). */
  denograd: DenogradSurface;
  /**
   * Optional op table information, keyed by the qualified denograd name (`F.conv2d`, `Tensor.exp`,
   * `zeros`) or by its bare name (`logSoftmax`, applying to that name in every table). When given, tables with a matching row get a `kind` column, and rows without a note
   * show the doc line as their note.
   */
  ops?: Readonly<Record<string, OpInfo>>;
}

/** Support status of one PyTorch name. */
export type Status = "✅" | "🟡" | "❌" | "➖";

/** A judgement: a note alone (status from introspection) or a status with its note. */
type Note = string | readonly [Status, string];

/** The tables of the page. */
export type TableId = "Tensor" | "torch" | "F" | "nn" | "optim" | "lrScheduler" | "data";

/** One table of the page: which PyTorch namespace it lists and where denograd's names live. */
export interface TableSpec {
  id: TableId;
  title: string;
  /** Key in pytorch_api.json. */
  pytorch: string;
  /** What the PyTorch names are relative to. */
  pyQualifier: string;
  /** Key in the denograd surface, and the prefix of this table's names inside it. */
  surface: string;
  prefix: string;
}

const TABLES: readonly TableSpec[] = [
  { id: "Tensor", title: "Tensor", pytorch: "Tensor", pyQualifier: "torch.Tensor.", surface: "Tensor", prefix: "" },
  { id: "torch", title: "torch functions", pytorch: "torch", pyQualifier: "torch.", surface: "denograd", prefix: "" },
  {
    id: "F",
    title: "F (torch.nn.functional)",
    pytorch: "F",
    pyQualifier: "torch.nn.functional.",
    surface: "F",
    prefix: "",
  },
  { id: "nn", title: "nn", pytorch: "nn", pyQualifier: "torch.nn.", surface: "nn", prefix: "" },
  { id: "optim", title: "optim", pytorch: "optim", pyQualifier: "torch.optim.", surface: "optim", prefix: "" },
  {
    id: "lrScheduler",
    title: "optim.lrScheduler",
    pytorch: "lr_scheduler",
    pyQualifier: "torch.optim.lr_scheduler.",
    surface: "optim",
    prefix: "lrScheduler.",
  },
  { id: "data", title: "data", pytorch: "data", pyQualifier: "torch.utils.data.", surface: "data", prefix: "" },
];

/**
 * PyTorch names whose denograd name is not their camelCase spelling. A target is a name in the
 * table's own namespace (`maxWithIndices`, `utils.clipGradNorm`) or qualified by another
 * namespace (`F.x`, `Tensor.x`, `plot.x`, `denograd.x` for a top-level export). Every target that
 * exists is shown; the first one is the match.
 */
export const ALIASES: Readonly<Record<TableId, Readonly<Record<string, string | readonly string[]>>>> = {
  Tensor: {
    absolute: "abs",
    amax: "max",
    amin: "min",
    bernoulli: "denograd.bernoulli",
    bmm: "matmul",
    clip: "clamp",
    cpu: "to",
    data: "detach",
    divide: "div",
    fill_: "nn.init.constant_",
    greater: "gt",
    greater_equal: "ge",
    less: "lt",
    less_equal: "le",
    max: ["max", "maxWithIndices", "maximum"],
    min: ["min", "minWithIndices", "minimum"],
    mm: "matmul",
    multiply: "mul",
    mv: "matmul",
    ndimension: "dim",
    negative: "neg",
    nelement: "size",
    normal_: "nn.init.normal_",
    not_equal: "ne",
    numel: "size",
    numpy: "data",
    ravel: "flatten",
    reshape_as: "reshape",
    sgn: "sign",
    size: "shape",
    storage_offset: "offset",
    stride: "strides",
    subtract: "sub",
    swapaxes: "transpose",
    swapdims: "transpose",
    t: "T",
    to: ["to", "toDevice", "cast"],
    tolist: "toArray",
    true_divide: "div",
    type: "cast",
    type_as: "cast",
    uniform_: "nn.init.uniform_",
    view_as: "view",
    zero_: "nn.init.zeros_",
  },
  torch: {
    "autograd.detect_anomaly": "detectAnomaly",
    "autograd.grad": "grad",
    "autograd.gradcheck": "gradcheck",
    "autograd.gradgradcheck": "gradgradcheck",
    bmm: "matmul",
    clip: "clamp",
    concat: "cat",
    concatenate: "cat",
    mm: "matmul",
    mv: "matmul",
    no_grad: "noGrad",
  },
  F: {},
  nn: {
    "utils.clip_grad_norm_": "utils.clipGradNorm",
    "utils.clip_grad_value_": "utils.clipGradValue",
  },
  optim: {},
  lrScheduler: {},
  data: {
    "torchtext.datasets.IMDB": "IMDB",
    "torchvision.datasets.CIFAR10": "CIFAR10",
    "torchvision.datasets.FashionMNIST": "FashionMNIST",
    "torchvision.datasets.MNIST": "MNIST",
    "torchvision.transforms.Compose": "transforms.compose",
    "torchvision.transforms.Normalize": "transforms.normalize",
    "torchvision.transforms.RandomCrop": "transforms.randomCrop",
    "torchvision.transforms.RandomHorizontalFlip": "transforms.randomHorizontalFlip",
    "torchvision.transforms.ToTensor": "transforms.toTensor",
    "torchvision.utils.make_grid": "plot.imageGrid",
  },
};

/**
 * Status judgements per table and PyTorch name, checked against the signatures in lib/. A plain
 * string is a note on a row whose status comes from introspection; a `[status, note]` pair sets
 * the status. ✅ or 🟡 on a name denograd lacks is reported as a stale note.
 */
export const NOTES: Readonly<Record<TableId, Readonly<Record<string, Note>>>> = {
  Tensor: {
    T: ["🟡", "swaps dims 0 and 1 for any ndim; torch reverses all dims"],
    add: ["🟡", "no `alpha` option"],
    amax: "spelled `max(dim)`",
    amin: "spelled `min(dim)`",
    backward: "`gradient`, `{ retainGraph, createGraph }`; no `inputs` option",
    bernoulli: ["🟡", "a function: `bernoulli(x)` draws with the probabilities in `x`"],
    bfloat16: ["❌", "no bfloat16 dtype"],
    bmm: ["🟡", "`matmul` handles batches"],
    bool: "bool dtype",
    byte: ["❌", "no uint8 dtype"],
    char: ["❌", "no int8 dtype"],
    cpu: ["🟡", 'use `to("cpu")` (from cpu) or `await x.toDevice("cpu")` (from webgpu)'],
    data: ["🟡", "torch's `.data` is `x.detach()` here; `x.data()` is the async host copy"],
    device: '`"webgpu"` or `"cpu"`',
    div: ["🟡", "true division only: no `roundingMode`"],
    divide: ["🟡", "true division only: no `roundingMode`"],
    double: ["🟡", "float64 exists on the cpu backend only"],
    dtype: "float32, int32, bool (float64 on cpu)",
    fill_: ["🟡", "a function: `nn.init.constant_(x, value)`"],
    grad_fn: "denograd's own `GradFn` record",
    half: ["❌", "no float16 dtype"],
    index_select: "int32 index",
    int: "int32, as in torch",
    is_contiguous: ["🟡", "a getter (`x.isContiguous`), not a method"],
    item: "async: `await x.item()`",
    layout: ["➖", "torch's strided/sparse layout; denograd's `layout` is its internal view (shape, strides, offset)"],
    long: ["❌", "no int64 dtype: use `int()` (int32); indices are int32"],
    max: [
      "🟡",
      "`max(dim)` returns the values only; `maxWithIndices(dim)` returns `{ values, indices }`; `maximum(other)` is elementwise",
    ],
    min: [
      "🟡",
      "`min(dim)` returns the values only; `minWithIndices(dim)` returns `{ values, indices }`; `minimum(other)` is elementwise",
    ],
    mm: ["🟡", "`matmul` handles 2-D products"],
    mv: ["🟡", "`matmul` handles matrix-vector products"],
    ndimension: "spelled `dim()`",
    nelement: ["🟡", "a getter: `x.size` is the element count"],
    norm: ["🟡", 'numeric `p` only (no `"fro"` or `"nuc"`)'],
    normal_: ["🟡", "a function: `nn.init.normal_(x, { mean, std })`"],
    numel: ["🟡", "a getter: `x.size` is the element count"],
    numpy: ["🟡", "`await x.data()` gives a flat typed array, not an ndarray"],
    reshape_as: ["🟡", "use `reshape(other.shape)`"],
    round: ["🟡", "no `decimals` option"],
    short: ["❌", "no int16 dtype"],
    size: ["🟡", "`x.shape` is the size; `x.size` is the element count (torch's `numel()`)"],
    std: "`{ correction }` option; torch's older `unbiased` flag is not accepted",
    storage_offset: ["🟡", "a property: `x.offset`"],
    stride: ["🟡", "a property: `x.strides` (an array)"],
    sub: ["🟡", "no `alpha` option"],
    subtract: ["🟡", "no `alpha` option"],
    t: ["🟡", "use the `T` getter or `transpose(0, 1)`"],
    to: [
      "🟡",
      "devices only (`to(device)`, sync from cpu; `await toDevice(device)` from webgpu); dtypes through `cast(dtype)`",
    ],
    tolist: "async: `await x.toArray()`",
    type: ["🟡", "`cast(dtype)` converts; no type-string query"],
    type_as: ["🟡", "use `cast(other.dtype)`"],
    uniform_: ["🟡", "a function: `nn.init.uniform_(x, { a, b })`"],
    var: "`{ correction }` option; torch's older `unbiased` flag is not accepted",
    view: "shapes only, no `view(dtype)`",
    view_as: ["🟡", "use `view(other.shape)`"],
    zero_: ["🟡", "a function: `nn.init.zeros_(x)`"],
  },
  torch: {
    "autograd.Function": "custom autograd functions are not available yet",
    "autograd.backward": "use `t.backward()` on one output",
    "autograd.detect_anomaly": [
      "🟡",
      "a function taking a callback (`detectAnomaly(() => …)`), not a context manager",
    ],
    "autograd.grad": "`{ gradOutputs, createGraph, retainGraph, allowUnused }`",
    "autograd.gradcheck": ["🟡", "async; checks in float64 on cpu and throws on a mismatch"],
    "autograd.gradgradcheck": ["🟡", "async; checks in float64 on cpu and throws on a mismatch"],
    arange: "float32 unless `dtype` says otherwise",
    bernoulli: "probabilities as a tensor or a number with `{ shape }`",
    bmm: ["🟡", "`matmul` handles batches"],
    enable_grad: "grad mode is on outside `noGrad`",
    inference_mode: "use `noGrad`",
    load: ["🟡", "safetensors state dicts, not pickle: files written by `torch.save` cannot be read"],
    mm: ["🟡", "`matmul` handles 2-D products"],
    mv: ["🟡", "`matmul` handles matrix-vector products"],
    no_grad: ["🟡", "a function taking a callback (`noGrad(() => …)`), not a context manager"],
    randint: ["🟡", "`low` is required: `randint(0, high, shape)`"],
    save: ["🟡", "writes a safetensors state dict (a `Record<string, Tensor>`), not pickle"],
    tensor: "integers give int32, as no int64 exists",
    where: "three-argument form only (no `where(cond)` returning indices)",
  },
  F: {
    avg_pool2d: ["🟡", "`{ stride, padding, countIncludePad }`; no `ceilMode` or `divisorOverride`"],
    batch_norm: "running statistics positional, the rest in `{ weight, bias, training, momentum, eps }`",
    conv2d: ["🟡", "numeric `padding` only (no `same` or `valid`)"],
    embedding: ["🟡", "no `paddingIdx`, `maxNorm` or `scaleGradByFreq` (the `nn.Embedding` module has `paddingIdx`)"],
    max_pool2d: ["🟡", "`{ stride, padding, dilation }`; no `ceilMode` or `returnIndices`"],
    one_hot: ["🟡", "`numClasses` is required; returns int32 (torch: int64)"],
    pad: ["🟡", "constant mode only (no reflect, replicate or circular)"],
    upsample: ["➖", "deprecated in PyTorch for `interpolate`"],
    upsample_bilinear: ["➖", "deprecated in PyTorch for `interpolate`"],
    upsample_nearest: ["➖", "deprecated in PyTorch for `interpolate`"],
  },
  nn: {
    AvgPool2d: ["🟡", "no `ceilMode` or `divisorOverride`"],
    Container: ["➖", "deprecated in PyTorch"],
    Conv2d: ["🟡", "numeric `padding` only; no `paddingMode`"],
    DataParallel: ["➖", "multi-device training is out of scope"],
    Embedding: ["🟡", "`paddingIdx` only (no `maxNorm`, `scaleGradByFreq`, `sparse`)"],
    MaxPool2d: ["🟡", "no `ceilMode` or `returnIndices`"],
    Module: ["🟡", "call as `m.forward(x)` or `m.call(x)`; no forward or backward hooks"],
    MultiheadAttention: ["🟡", "no `addBiasKv` or `addZeroAttn`"],
    NLLLoss2d: ["➖", "deprecated in PyTorch for `NLLLoss`"],
    Parameter: ["➖", "by design: parameters are tensors registered with `this.param(t)` in a Module"],
    SyncBatchNorm: ["➖", "multi-device training is out of scope"],
    "init.sparse_": ["❌", "sparse initialization of a dense tensor"],
    "utils.clip_grad_norm_": "named without the trailing underscore",
    "utils.clip_grad_value_": "named without the trailing underscore",
  },
  optim: {
    SparseAdam: ["➖", "no sparse tensors"],
  },
  lrScheduler: {
    LRScheduler: "the base class (PyTorch 1.13 calls it `_LRScheduler`)",
  },
  data: {
    DataLoader: [
      "🟡",
      "an async iterable (`for await`); `{ batchSize, shuffle, dropLast, seed, collate }`; no samplers or workers",
    ],
    DistributedSampler: ["➖", "multi-process training is out of scope"],
    get_worker_info: ["➖", "no worker processes"],
    "torchtext.datasets.IMDB": ["🟡", "an async factory of a map-style Dataset of `{ text, label }` items"],
    "torchvision.datasets.CIFAR10": [
      "🟡",
      "an async factory (`await data.CIFAR10({ root, train, download, transform })`)",
    ],
    "torchvision.datasets.FashionMNIST": ["🟡", "an async factory, like `MNIST`"],
    "torchvision.datasets.MNIST": ["🟡", "an async factory (`await data.MNIST({ root, train, download, transform })`)"],
    "torchvision.transforms.Compose": "a function of an array of transforms",
    "torchvision.transforms.Normalize": "a function returning a transform of host tensors",
    "torchvision.transforms.RandomCrop": ["🟡", "`{ padding, fill, seed }`; no `padIfNeeded` or `paddingMode`"],
    "torchvision.transforms.RandomHorizontalFlip": "a function returning a transform; `{ seed }` for reproducibility",
    "torchvision.transforms.ToTensor":
      "a function returning a transform (`transforms.toTensor()`), scaling uint8 to [0, 1]",
    "torchvision.utils.make_grid": ["🟡", "draws a Plotly figure instead of returning an image tensor"],
  },
};

/** A regular expression matching exactly one of the space-separated names. */
function oneOf(names: string): RegExp {
  return new RegExp(`^(${names.trim().split(/\s+/).join("|")})$`);
}

/** Whole families judged by pattern; a {@link NOTES} entry for the same name wins. */
export const RULES: readonly (readonly [TableId | "*", RegExp, Status, string])[] = [
  ["*", /(^|_)(cuda|ipu|xpu|mps|vulkan|ort|mkldnn|meta)(_|$)/, "➖", "other devices"],
  ["*", /sparse|coalesce/, "➖", "no sparse tensors"],
  [
    "*",
    oneOf("indices values crow_indices col_indices ccol_indices row_indices dense_dim smm sspaddmm"),
    "➖",
    "no sparse tensors",
  ],
  ["*", /quantiz|^q_/, "➖", "no quantized tensors"],
  ["*", oneOf("int_repr qscheme dequantize"), "➖", "no quantized tensors"],
  [
    "*",
    oneOf(`angle conj conj_physical resolve_conj resolve_neg is_conj is_neg is_complex real imag adjoint H mH
      cdouble cfloat chalf isreal stft istft`),
    "➖",
    "no complex tensors",
  ],
  ["Tensor", oneOf("align_as align_to has_names names name refine_names rename"), "➖", "no named tensors"],
  [
    "Tensor",
    oneOf(`storage storage_type data_ptr is_shared share_memory_ is_pinned pin_memory record_stream set_ is_set_to
      element_size as_subclass apply_ map_ map2_ reinforce volatile output_nr is_inference is_nested
      to_padded_tensor to_dense is_distributed get_device new`),
    "➖",
    "storage, process or legacy internals",
  ],
  ["Tensor", oneOf("resize resize_as"), "➖", "no in-place resizing of storage"],
  ["nn", /^Lazy/, "❌", "lazy modules infer their input size at the first call"],
];

/** Short descriptions of denograd names without a PyTorch counterpart (keys as the page shows them). */
export const EXTRA_NOTES: Readonly<Record<string, string>> = {
  BertConfig: "BERT configuration (Hugging Face `config.json`)",
  BertForSequenceClassification: "BERT with a classification head",
  BertModel: "BERT encoder (Hugging Face layout)",
  "F.diceLoss": "tutorial loss",
  "F.focalLoss": "tutorial loss",
  "F.ganDiscriminatorLoss": "tutorial loss",
  "F.ganGeneratorLoss": "tutorial loss",
  "F.gradientPenalty": "WGAN-GP penalty (uses double backward)",
  "F.l1Penalty": "weight penalty",
  "F.l2Penalty": "weight penalty",
  "F.multiTaskLoss": "learned uncertainty weighting",
  "F.vaeLoss": "tutorial loss",
  MetricLogger: "per-step metrics, one device wait per `every` steps",
  PendingRead: "a read started now, awaited later (`readLater`)",
  Progress: "progress bar class",
  readLater: "starts a read now, waits later (jax `copy_to_host_async`)",
  compile: "captured training step (torch.compile's name, jax.jit/TinyJit semantics)",
  isEager: "whether the lazy engine is off",
  setEager: "lazy engine off/on (debugging, comparisons)",
  "Tensor.assignStorage": "internal (optimizers, in-place updates)",
  "Tensor.backend": "internal",
  "Tensor.dispose": "frees device memory now",
  "Tensor.format": "PyTorch-style text of the values (async)",
  "Tensor.gelu": "torch has it in F only",
  "Tensor.holdStorage": "internal (lazy engine)",
  "Tensor.isDense": "internal",
  "Tensor.isPending": "lazy engine: not yet computed",
  "Tensor.pendingChain": "internal (lazy engine)",
  "Tensor.readLater": "starts a read now, awaited later",
  "Tensor.realize": "computes a pending tensor now (tinygrad's `realize`)",
  "Tensor.restoreStorage": "internal (compile)",
  "Tensor.version": "in-place write counter (torch's `_version`)",
  "Tensor.viewAs": "internal (lazy engine)",
  "Tensor.isDisposed": "whether `dispose()` ran",
  "Tensor.leakyRelu": "torch has it in F only",
  "Tensor.print": "prints `format()`",
  "Tensor.slice": "Python-style slicing",
  "Tensor.softplus": "torch has it in F only",
  "Tensor.toDType": "same as `cast`",
  "Tensor.toString": "short description without values",
  "data.BertTokenizer": "WordPiece tokenizer (Hugging Face `vocab.txt`)",
  "data.CIFAR10Dataset": "the dataset `CIFAR10` resolves to",
  "data.CIFAR10_URL": "download address",
  "data.IMDBDataset": "the dataset `IMDB` resolves to",
  "data.IMDB_URL": "download address",
  "data.MNISTDataset": "the dataset `MNIST` resolves to",
  "data.checkIndex": "index validation for custom datasets",
  "data.extractTarGz": "archive extraction",
  "data.isHostTensor": "type guard for host tensors",
  "data.readIdx": "reads MNIST's IDX files",
  "data.readTar": "archive reading",
  "data.sentimentSentences": "the UCI sentiment sentences",
  embedding: "same as `F.embedding`",
  getDefaultDevice: "device selection",
  getNumThreads: "cpu threads (like `torch.get_num_threads`)",
  hasWebGPU: "device selection",
  initDevices: "device selection (mod.ts calls it on import)",
  setNumThreads: "cpu threads (like `torch.set_num_threads`)",
  isAnomalyEnabled: "torch's undocumented `is_anomaly_enabled`",
  keep: "exempts a tensor from `tidy`",
  linear: "same as `F.linear`",
  loadBytes: "safetensors from bytes",
  loadPretrained: "Hugging Face BERT checkpoints",
  memoryStats: "live storages and bytes (like `torch.cuda.memory_stats`)",
  "nn.DiceLoss": "tutorial loss",
  "nn.FocalLoss": "tutorial loss",
  "nn.Loss": "base class of the losses",
  "nn.MultiTaskLoss": "learned uncertainty weighting",
  "nn.init.calculateFanInAndFanOut": "torch's private `_calculate_fan_in_and_fan_out`",
  oneHot: "same as `F.oneHot`",
  pad: "same as `F.pad`",
  profileKernels: "per-kernel GPU timings",
  progress: "progress bars over iterables",
  resetDevice: "recovers from a lost WebGPU device",
  saveBytes: "safetensors to bytes",
  setDefaultDevice: "device selection",
  synchronize: "waits for queued GPU work (like `torch.cuda.synchronize`)",
  tidy: "frees every intermediate a function creates",
};

/** Notes for whole namespaces in the list of denograd-only names. */
const EXTRA_NAMESPACE_NOTES: Readonly<Record<string, string>> = {
  plot: "Plotly figures",
};

const LEGEND: readonly (readonly [Status, string])[] = [
  ["✅", "supported (under the name in the denograd column)"],
  ["🟡", "partial: exists, with a difference the note names"],
  ["❌", "missing"],
  ["➖", "not planned or not applicable (CUDA, sparse, quantized, complex, named tensors, deprecated)"],
];

// ---- resolution ---------------------------------------------------------------------------

/** One row of a table. */
export interface FeatureRow {
  py: string;
  /** denograd names as shown: relative to the table's namespace, else qualified (first is the match). */
  denograd: string[];
  /** The first match, qualified (`F.conv2d`, `Tensor.exp`, `zeros`). */
  qualified?: string;
  status: Status;
  note: string;
  /** In-place column: undefined when PyTorch has no in-place variant. */
  inplace?: { status: Status; name?: string };
  kind?: string;
}

interface Resolved {
  /** [surface key, name] pairs that exist. */
  found: [string, string][];
  status: Status;
  note: string;
}

/**
 * PyTorch's snake_case spelled the denograd way: `log_softmax` → `logSoftmax`, `init.kaiming_uniform_` →
 * `init.kaimingUniform_` (a trailing in-place underscore stays); class names are unchanged.
 *
 * @param name A PyTorch name, possibly dotted.
 * @returns Its camelCase spelling.
 */
export function camelCase(name: string): string {
  return name.split(".").map((seg) => seg.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join(".");
}

const ROOTS = ["Tensor", "F", "nn", "optim", "data", "plot", "denograd"];

function display(surface: string, name: string): string {
  return surface === "denograd" ? name : `${surface}.${name}`;
}

class Resolver {
  readonly warnings: string[] = [];
  readonly used = new Set<string>();
  #sets = new Map<string, Set<string>>();

  constructor(readonly surface: DenogradSurface) {
    for (const [k, names] of Object.entries(surface)) this.#sets.set(k, new Set(names));
  }

  has(surface: string, name: string): boolean {
    return this.#sets.get(surface)?.has(name) ?? false;
  }

  /** A target of the alias table (or a camelCase candidate) as [surface, name]. */
  target(t: TableSpec, name: string): [string, string] {
    const dot = name.indexOf(".");
    if (dot > 0 && ROOTS.includes(name.slice(0, dot))) return [name.slice(0, dot), name.slice(dot + 1)];
    return [t.surface, t.prefix + name];
  }

  /** Looks `py` up in table `t` alone: aliases, camelCase, notes and rules. */
  lookup(t: TableSpec, py: string): Resolved {
    const alias = ALIASES[t.id][py];
    const candidates = alias === undefined ? [camelCase(py)] : typeof alias === "string" ? [alias] : alias;
    const found = candidates.map((c) => this.target(t, c)).filter(([s, n]) => this.has(s, n));
    const judged = judgement(t.id, py);
    let status: Status = found.length > 0 ? "✅" : "❌";
    let note = "";
    if (judged !== undefined) {
      if (typeof judged === "string") note = judged;
      else [status, note] = judged;
    }
    return { found, status, note };
  }

  row(t: TableSpec, e: ApiEntry): FeatureRow {
    let r = this.lookup(t, e.name);
    if (t.id === "torch" && r.found.length === 0) r = this.fallback(e.name, r);
    let { status, note } = r;
    if ((status === "✅" || status === "🟡") && r.found.length === 0) {
      this.warnings.push(`${t.title}: ${e.name} is marked ${status} but denograd has none of its names`);
      status = "❌";
      note = `stale note (${note})`;
    }
    for (const [s, n] of r.found) this.used.add(`${s}\0${n}`);
    const row: FeatureRow = {
      py: e.name,
      denograd: r.found.map(([s, n]) => (s === t.surface ? n.slice(t.prefix.length) : display(s, n))),
      status,
      note,
    };
    if (r.found.length > 0) row.qualified = display(...r.found[0]);
    if (e.inplace) row.inplace = this.inplace(t, e.name);
    return row;
  }

  /**
   * A torch function denograd has only in F (same status as there) or only as a Tensor method
   * (🟡, "method only"). An explicit status in the torch notes still wins.
   */
  fallback(py: string, own: Resolved): Resolved {
    const explicit = Array.isArray(judgement("torch", py));
    const usable = (r: Resolved) => r.found.length > 0 && (r.status === "✅" || r.status === "🟡");
    const f = this.lookup(table("F"), py);
    if (usable(f)) return { found: f.found, status: explicit ? own.status : f.status, note: own.note || f.note };
    const m = this.lookup(table("Tensor"), py);
    if (usable(m)) {
      const note = ["method only", own.note || m.note].filter((s) => s).join("; ");
      return { found: m.found, status: explicit ? own.status : "🟡", note };
    }
    return own;
  }

  inplace(t: TableSpec, py: string): { status: Status; name?: string } {
    const alias = ALIASES[t.id][py + "_"];
    const name = typeof alias === "string" ? alias : camelCase(py) + "_";
    const [s, n] = this.target(t, name);
    if (!this.has(s, n)) return { status: "❌" };
    this.used.add(`${s}\0${n}`);
    return { status: "✅", name: n };
  }
}

function table(id: TableId): TableSpec {
  return TABLES.find((t) => t.id === id)!;
}

function judgement(id: TableId, py: string): Note | undefined {
  const own = NOTES[id][py];
  if (own !== undefined) return own;
  for (const [where, re, status, note] of RULES) {
    if ((where === "*" || where === id) && re.test(py)) return [status, note];
  }
  return undefined;
}

// ---- rendering ----------------------------------------------------------------------------

const WIDE = new Set(["✅", "❌", "➖"]);

/** Display width as deno fmt (dprint) measures it: these emoji take two columns. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfe0f || cp === 0x200d) continue;
    w += WIDE.has(ch) || (cp >= 0x1f300 && cp <= 0x1faff) ? 2 : 1;
  }
  return w;
}

/** A Markdown table laid out as deno fmt lays it out (left-aligned, padded). */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const cell of rows.flat()) {
    if (cell.includes("|") || cell.includes("\n")) throw new Error(`features: table cell ${JSON.stringify(cell)}`);
  }
  const widths = header.map((h, i) => Math.max(1, width(h), ...rows.map((r) => width(r[i]))));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => c + " ".repeat(widths[i] - width(c))).join(" | ") + " |";
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Words of a paragraph; spaces inside code spans do not split (deno fmt never breaks a code span). */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = "", inCode = false;
  for (const ch of text) {
    if (ch === "`") inCode = !inCode;
    if (/\s/.test(ch) && !inCode) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Greedy wrap at deno fmt's line width (120), which reflows Markdown paragraphs. */
function paragraph(text: string, lineWidth = 120): string {
  const lines: string[] = [];
  let cur = "";
  for (const word of words(text)) {
    if (cur && width(cur) + 1 + width(word) > lineWidth) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines.join("\n");
}

function code(s: string): string {
  return "`" + s + "`";
}

function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

interface Counts {
  "✅": number;
  "🟡": number;
  "❌": number;
  "➖": number;
}

function count(rows: readonly { status: Status }[]): Counts {
  const c: Counts = { "✅": 0, "🟡": 0, "❌": 0, "➖": 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

function supported(c: Counts): string {
  return `${c["✅"] + c["🟡"]} of ${c["✅"] + c["🟡"] + c["❌"]}`;
}

function byName<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function opInfo(ops: FeaturesInputs["ops"], qualified: string): OpInfo | undefined {
  if (!ops) return undefined;
  return ops[qualified] ?? ops[qualified.slice(qualified.lastIndexOf(".") + 1)];
}

/**
 * Builds the rows of every table, the unmatched denograd names and any stale-note warnings.
 *
 * @param inputs PyTorch's names, denograd's names and optional op-table information.
 * @returns The rows per table, the denograd names no row matched, and warnings.
 */
export function buildFeatures(inputs: FeaturesInputs): {
  tables: { spec: TableSpec; rows: FeatureRow[] }[];
  extras: { surface: string; name: string }[];
  warnings: string[];
} {
  const resolver = new Resolver(inputs.denograd);
  const tables = TABLES.map((t) => {
    const entries = [...(inputs.pytorch.namespaces[t.pytorch] ?? [])].sort(byName((e) => e.name));
    const rows = entries.map((e) => resolver.row(t, e));
    for (const r of rows) {
      const info = r.qualified ? opInfo(inputs.ops, r.qualified) : undefined;
      if (info?.kind) r.kind = info.kind;
      if (info?.doc && !r.note) r.note = info.doc;
    }
    return { spec: t, rows };
  });
  for (const t of TABLES) {
    const names = new Set((inputs.pytorch.namespaces[t.pytorch] ?? []).map((e) => e.name));
    for (const key of [...Object.keys(ALIASES[t.id]), ...Object.keys(NOTES[t.id])]) {
      const base = key.endsWith("_") && names.has(key.slice(0, -1)) ? key.slice(0, -1) : key;
      if (!names.has(base)) resolver.warnings.push(`${t.title}: the notes or aliases name ${key}, which PyTorch lacks`);
    }
  }
  const extras: { surface: string; name: string }[] = [];
  for (const [surface, names] of Object.entries(inputs.denograd)) {
    for (const name of names) if (!resolver.used.has(`${surface}\0${name}`)) extras.push({ surface, name });
  }
  extras.sort(byName((x) => display(x.surface, x.name)));
  const shown = new Set(extras.map((x) => display(x.surface, x.name)));
  for (const key of Object.keys(EXTRA_NOTES)) {
    if (!shown.has(key)) resolver.warnings.push(`EXTRA_NOTES names ${key}, which is not among the denograd-only names`);
  }
  return { tables, extras, warnings: [...new Set(resolver.warnings)].sort() };
}

/**
 * Renders FEATURES.md. Deterministic: rows are sorted by PyTorch name and the page carries no
 * dates, so it changes only when PyTorch's names, denograd's exports or the notes change. The
 * Markdown is laid out as `deno fmt` would format it.
 *
 * @param inputs PyTorch's names (`tools/pytorch_api.json`), denograd's names
 *   ({@link inspectDenograd}) and, optionally, op-table kinds and doc lines keyed by denograd name.
 * @returns The page's Markdown, ending in a newline.
 *
 * @example
 * ```ts
 * import { renderFeatures } from "./features.ts";
 * import assert from "node:assert/strict";
 * const md = renderFeatures({
 *   pytorch: { torch_version: "1.13", namespaces: { F: [{ name: "log_softmax", kind: "function" }] } },
 *   denograd: { F: ["logSoftmax"] },
 * });
 * assert.match(md, /\| `log_softmax` +\| `logSoftmax` +\| ✅/);
 * ```
 */
export function renderFeatures(inputs: FeaturesInputs): string {
  const { tables, extras } = buildFeatures(inputs);
  const out: string[] = [];
  const p = (s: string) => out.push(paragraph(s), "");
  out.push("# denograd and PyTorch: feature parity", "");
  p(
    `Generated by ${code("deno task features")} from ${code("tools/pytorch_api.json")} (the public names of PyTorch ` +
      `${inputs.pytorch.torch_version}, written by ${code("tools/pytorch_api.py")}) and the exports of ` +
      `${code("mod.ts")}. Do not edit by hand: change the notes in ${code("tools/features.ts")} and rerun the ` +
      `task; CI fails when this page is stale (${code("deno task features:check")} and ` +
      `${code("tests/docs/features_test.ts")}).`,
  );
  p(
    "Spelling conventions are not counted as differences: names are camelCase (`log_softmax` is `logSoftmax`), " +
      "shapes and dim lists are arrays (`x.reshape([2, 3])`), optional arguments go in one trailing options object " +
      "with camelCase keys (`{ ignoreIndex }`), modules are called as `m.forward(x)`, and reading values is async " +
      "(`await x.item()`). Tensors are float32, int32 or bool (float64 on the cpu backend); there is no int64, " +
      "float16 or complex dtype.",
  );
  out.push("## Legend", "");
  out.push(markdownTable(["status", "meaning"], LEGEND.map(([s, m]) => [s, m])), "");
  p(
    "Supported counts ✅ and 🟡 out of the names that apply (➖ excluded). In the Tensor table the in-place column " +
      "says whether denograd has PyTorch's `foo_` variant of `foo`; in-place-only methods such as `zero_` are rows " +
      "of their own.",
  );
  out.push("## Summary", "");
  const summary = tables.map(({ spec, rows }) => {
    const c = count(rows);
    return [`[${spec.title}](#${anchor(spec.title)})`, supported(c), ...LEGEND.map(([s]) => String(c[s]))];
  });
  const tensorInplace = tables[0].rows.flatMap((r) => (r.inplace ? [r.inplace] : []));
  const ci = count(tensorInplace);
  summary.push(["Tensor in-place variants", supported(ci), ...LEGEND.map(([s]) => String(ci[s]))]);
  out.push(markdownTable(["namespace", "supported", ...LEGEND.map(([s]) => s)], summary), "");
  for (const { spec, rows } of tables) {
    out.push(`## ${spec.title}`, "");
    const c = count(rows);
    p(
      `PyTorch names under ${code(spec.pyQualifier.slice(0, -1))}${
        spec.id === "data" ? ", plus the torchvision and torchtext names denograd mirrors" : ""
      }: ${supported(c)} supported (✅ ${c["✅"]}, 🟡 ${c["🟡"]}, ❌ ${c["❌"]}, ➖ ${c["➖"]}).`,
    );
    const withKind = rows.some((r) => r.kind);
    const withInplace = rows.some((r) => r.inplace);
    const header = [
      "PyTorch",
      "denograd",
      "status",
      ...(withInplace ? ["in-place"] : []),
      ...(withKind ? ["kind"] : []),
      "note",
    ];
    const cells = rows.map((r) => [
      code(r.py),
      r.denograd.length > 0 ? r.denograd.map(code).join(", ") : "—",
      r.status,
      ...(withInplace
        ? [r.inplace ? (r.inplace.name ? `${r.inplace.status} ${code(r.inplace.name)}` : r.inplace.status) : ""]
        : []),
      ...(withKind ? [r.kind ?? ""] : []),
      r.note,
    ]);
    out.push(markdownTable(header, cells), "");
  }
  out.push("## denograd names without a PyTorch row", "");
  p(
    "Exports of `mod.ts` that no row above matches: denograd's own additions (the tutorial's extra losses, " +
      "memory scopes, plots, progress bars, BERT) and helpers. Type-only exports are not listed.",
  );
  out.push(
    markdownTable(
      ["denograd", "note"],
      extras.map((x) => {
        const q = display(x.surface, x.name);
        return [code(q), EXTRA_NOTES[q] ?? EXTRA_NAMESPACE_NOTES[x.surface] ?? ""];
      }),
    ),
  );
  return out.join("\n") + "\n";
}

// ---- inspecting denograd ------------------------------------------------------------------

function isNamespace(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === "[object Module]";
}

function flatten(ns: Record<string, unknown>, prefix = ""): string[] {
  return Object.keys(ns).flatMap((k) => (isNamespace(ns[k]) ? flatten(ns[k], `${prefix}${k}.`) : [prefix + k]));
}

/**
 * Lists denograd's public names from the module namespace of `mod.ts`: the Tensor class's
 * methods, getters and instance fields (not `_`-prefixed ones), the top-level exports, and each
 * exported namespace flattened.
 *
 * @param mod The namespace object of `mod.ts` (`await import("../mod.ts")`).
 * @returns The surface {@link renderFeatures} compares against PyTorch.
 */
export function inspectDenograd(mod: Record<string, unknown>): DenogradSurface {
  const surface: Record<string, string[]> = {};
  const Tensor = mod.Tensor as { prototype: object } | undefined;
  const tensor = mod.tensor as
    | ((data: number[], options: { device: string }) => object & { dispose(): void })
    | undefined;
  const members = new Set<string>();
  // (Tensor's methods live on its prototype and on its base class's, tensor_core.ts)
  for (let p: object | null = Tensor?.prototype ?? null; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) members.add(k);
  }
  if (tensor) {
    const t = tensor([0], { device: "cpu" });
    for (const k of Object.keys(t)) members.add(k);
    t.dispose();
  }
  members.delete("constructor");
  surface.Tensor = [...members].filter((k) => !k.startsWith("_")).sort();
  surface.denograd = Object.keys(mod).filter((k) => k !== "Tensor" && !isNamespace(mod[k])).sort();
  for (const k of Object.keys(mod)) if (isNamespace(mod[k])) surface[k] = flatten(mod[k]).sort();
  return surface;
}

// ---- command line -------------------------------------------------------------------------

/** The op table's kind and doc line per exposed name (`Tensor.exp`, `F.conv2d`, `cat`). */
function tableInfo(): Record<string, OpInfo> {
  const info: Record<string, OpInfo> = {};
  for (const op of opSummaries()) {
    const keys = op.method ? [`Tensor.${op.method}`, `F.${op.method}`] : op.fn ? [`F.${op.fn}`, op.fn] : [];
    for (const key of keys) {
      const seen = info[key];
      // one method may expose several entries (gelu: its erf and tanh forms)
      info[key] = seen ? { kind: seen.kind, doc: `${seen.doc} ${op.doc}` } : { kind: op.kind, doc: op.doc };
    }
  }
  return info;
}

const PAGE = new URL("../FEATURES.md", import.meta.url);

/**
 * Renders the page for this checkout: the committed PyTorch names, the exports of `mod.ts`. Both
 * the command line and tests/docs/features_test.ts call this, so inputs added here (such as the
 * `ops` of an op table) reach both.
 *
 * @returns The Markdown FEATURES.md should hold, and any stale-note warnings.
 */
export async function generate(): Promise<{ markdown: string; warnings: string[] }> {
  const mod = await import("../mod.ts") as unknown as Record<string, unknown>;
  const inputs: FeaturesInputs = {
    pytorch: pytorchApiJson as PytorchApi,
    denograd: inspectDenograd(mod),
    ops: tableInfo(),
  };
  return { markdown: renderFeatures(inputs), warnings: buildFeatures(inputs).warnings };
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const { markdown, warnings } = await generate();
  for (const w of warnings) console.error(`warning: ${w}`);
  if (check) {
    let current = "";
    try {
      current = (await Deno.readTextFile(PAGE)).replaceAll("\r\n", "\n");
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (current !== markdown) {
      console.error("FEATURES.md is stale: run `deno task features` and commit the result.");
      Deno.exit(1);
    }
    console.log("FEATURES.md is up to date.");
  } else {
    await Deno.writeTextFile(PAGE, markdown);
    console.log("wrote FEATURES.md");
  }
}
