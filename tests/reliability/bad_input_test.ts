/**
 * Table-driven bad-input suite: every public area fed wrong shapes, dtypes, empty tensors,
 * NaN/Inf, negative or huge sizes, out-of-range indices, disposed tensors and bad options.
 * Each case must throw (or, for index faults on webgpu, reject at the next read) an `Error` of
 * the expected class whose message names the op and what it got/expected; never a string, a
 * leaked WebGPU validation error, a silent result or a hang.
 */
import assert from "node:assert/strict";
import {
  arange,
  bernoulli,
  cat,
  data,
  embedding,
  eye,
  F,
  full,
  linspace,
  load,
  loadBytes,
  manualSeed,
  matmul,
  nn,
  oneHot,
  ones,
  optim,
  pad,
  randint,
  randn,
  stack,
  Tensor,
  tensor,
  where,
  zeros,
} from "../../mod.ts";

type ErrorClass = typeof Error | typeof TypeError | typeof RangeError;

/** One bad-input case: the op, a thunk calling it, the expected class and message pattern. */
interface Case {
  op: string;
  fn: () => unknown;
  error: ErrorClass;
  re: RegExp;
}

const c = (op: string, fn: () => unknown, error: ErrorClass, re: RegExp): Case => ({ op, fn, error, re });
const i32 = (d: number[] | number[][]) => tensor(d, { dtype: "int32" });
const disposed = () => {
  const t = ones([2, 2]);
  t.dispose();
  return t;
};
const params = () => [ones([2], { requiresGrad: true })];
const sgd = () => new optim.SGD(params(), { lr: 0.1 });
// deno-lint-ignore no-explicit-any
const bad = (v: unknown): any => v;

const areas: Record<string, Case[]> = {
  "tensor creation": [
    c("zeros negative size", () => zeros([-1]), RangeError, /zeros.*-1/),
    c("ones NaN size", () => ones([NaN, 2]), RangeError, /(ones|full).*NaN/),
    c("full fractional size", () => full([1.5], 0), RangeError, /full.*1\.5/),
    c("zeros huge size", () => zeros([2 ** 31, 2 ** 31]), RangeError, /zeros.*2147483648/),
    c("tensor ragged data", () => tensor([[1, 2], [3]]), RangeError, /tensor.*ragged|tensor.*\[2\].*\[1\]/),
    c("tensor bad dtype", () => tensor([1], { dtype: bad("float16") }), TypeError, /tensor.*float16/),
    c("zeros bad dtype", () => zeros([2], { dtype: bad("uint8") }), TypeError, /zeros.*uint8/),
    c("arange zero step", () => arange(0, 10, 0), RangeError, /arange.*step/),
    c("arange infinite end", () => arange(0, Infinity), RangeError, /arange.*Infinity/),
    c("linspace negative steps", () => linspace(0, 1, -1), RangeError, /linspace.*-1/),
    c("eye negative n", () => eye(-1), RangeError, /eye.*-1/),
    c("randint low >= high", () => randint(5, 2, [3]), RangeError, /randint.*5.*2/),
    c("manualSeed NaN", () => manualSeed(NaN), RangeError, /manualSeed.*NaN/),
    c("manualSeed Infinity", () => manualSeed(Infinity), RangeError, /manualSeed.*Infinity/),
    c("bernoulli p > 1", () => bernoulli(2, { shape: [2] }), RangeError, /bernoulli.*2/),
    c("cast bad dtype", () => ones([2]).cast(bad("float16")), TypeError, /cast.*float16/),
  ],
  "elementwise and broadcast": [
    c("add shapes", () => ones([2, 3]).add(ones([4])), RangeError, /add.*\[2,3\].*\[4\]/),
    c("mul shapes", () => ones([2, 3]).mul(ones([3, 2])), RangeError, /mul.*\[2,3\].*\[3,2\]/),
    c("sub non-tensor", () => ones([2]).sub(bad("a")), TypeError, /sub.*a/),
    c("where shapes", () => where(ones([2]).bool(), ones([3]), ones([4])), RangeError, /where.*\[3\].*\[4\]|where/),
    c("clamp NaN min", () => ones([2]).clamp(NaN, 1), RangeError, /clamp.*NaN/),
    c("clamp NaN max", () => ones([2]).clamp(0, NaN), RangeError, /clamp.*NaN/),
    c(
      "maskedFill mask shape",
      () => ones([2, 3]).maskedFill(ones([4]).bool(), 0),
      RangeError,
      /(maskedFill|where).*\[4\].*\[2,3\]/,
    ),
  ],
  reductions: [
    c("sum dim out of range", () => ones([2, 3]).sum(2), RangeError, /sum.*dim.*2/),
    c("mean dim out of range", () => ones([2, 3]).mean(-3), RangeError, /mean.*-3/),
    c("sum repeated dim", () => ones([2, 3]).sum([0, 0]), RangeError, /sum.*0/),
    c("argmax dim", () => ones([2, 3]).argmax(5), RangeError, /argmax.*5/),
    c("softmax dim", () => ones([2, 3]).softmax(3), RangeError, /softmax.*3/),
    c("max of empty", () => zeros([0]).max(), RangeError, /max.*empty|max.*\[0\]/),
    c("min of empty", () => zeros([0]).min(), RangeError, /min.*empty|min.*\[0\]/),
    c("argmax of empty", () => zeros([0]).argmax(), RangeError, /argmax.*empty|argmax.*\[0\]/),
    c("maxWithIndices dim", () => ones([2]).maxWithIndices(1), RangeError, /maxWithIndices|max.*1/),
  ],
  views: [
    c("reshape size", () => ones([2, 3]).reshape([4, 4]), RangeError, /reshape.*\[4,4\].*\[2,3\]/),
    c("reshape two -1", () => ones([2, 3]).reshape([-1, -1]), RangeError, /reshape.*\[-1,-1\]/),
    c("view non-contiguous", () => ones([2, 3]).T.view([6]), RangeError, /view.*\[6\]/),
    c("permute repeated", () => ones([2, 3]).permute([0, 0]), RangeError, /permute.*\[0,0\]/),
    c("permute too few", () => ones([2, 3]).permute([0]), RangeError, /permute.*\[0\]/),
    c("expand mismatch", () => ones([2, 3]).expand([3, 3]), RangeError, /expand.*\[2,3\].*\[3,3\]/),
    c("slice bad step", () => ones([4]).slice([0, 4, 0]), RangeError, /slice.*step/),
    c("slice too many dims", () => ones([4]).slice(null, null), RangeError, /slice.*2.*1|slice/),
    c("select index", () => ones([2, 3]).select(0, 5), RangeError, /select.*5/),
    c("select dim", () => ones([2, 3]).select(4, 0), RangeError, /select.*4/),
    c("narrow length", () => ones([4]).narrow(0, 3, 5), RangeError, /narrow.*5/),
    c("transpose dim", () => ones([2, 3]).transpose(0, 5), RangeError, /transpose.*5/),
    c("squeeze dim", () => ones([2, 3]).squeeze(3), RangeError, /squeeze.*3/),
    c("unsqueeze dim", () => ones([2, 3]).unsqueeze(5), RangeError, /unsqueeze.*5/),
    c("split size 0", () => ones([4]).split(0), RangeError, /split.*0/),
    c("split sizes sum", () => ones([4]).split([1, 2]), RangeError, /split.*\[1,2\]|split.*4/),
    c("chunk 0", () => ones([4]).chunk(0), RangeError, /chunk.*0/),
    c("flatten reversed", () => ones([2, 3, 4]).flatten(2, 0), RangeError, /flatten.*2.*0/),
    c("repeat too few", () => ones([2, 3]).repeat([2]), RangeError, /repeat: 1 repeats .* 2 dims/),
  ],
  matmul: [
    c("inner dims", () => matmul(ones([2, 3]), ones([4, 5])), RangeError, /matmul.*\[2,3\].*\[4,5\]/),
    c("0-d operand", () => matmul(ones([]), ones([2])), RangeError, /matmul.*\[\]/),
    c("dtype mismatch", () => ones([2, 2]).matmul(ones([2, 2], { dtype: "int32" })), TypeError, /matmul.*int32/),
    c("linear features", () => F.linear(ones([2, 3]), ones([4, 5])), RangeError, /linear.*\[2,3\].*\[4,5\]/),
  ],
  "conv and pools": [
    c("conv2d kernel > input", () => F.conv2d(ones([1, 1, 2, 2]), ones([1, 1, 3, 3])), RangeError, /conv2d.*3/),
    c("conv2d channels", () => F.conv2d(ones([1, 3, 4, 4]), ones([2, 2, 1, 1])), RangeError, /conv2d.*3.*2/),
    c(
      "conv2d groups",
      () => F.conv2d(ones([1, 3, 4, 4]), ones([2, 1, 1, 1]), null, { groups: 2 }),
      RangeError,
      /conv2d.*groups.*2/,
    ),
    c("conv2d 2-d input", () => F.conv2d(ones([4, 4]), ones([1, 1, 1, 1])), RangeError, /conv2d.*\[4,4\]/),
    c(
      "conv2d stride 0",
      () => F.conv2d(ones([1, 1, 4, 4]), ones([1, 1, 1, 1]), null, { stride: 0 }),
      RangeError,
      /conv2d.*stride/,
    ),
    c(
      "conv2d bias shape",
      () => F.conv2d(ones([1, 1, 4, 4]), ones([2, 1, 1, 1]), ones([3])),
      RangeError,
      /conv2d.*bias.*\[3\]/,
    ),
    c("maxPool2d kernel > input", () => F.maxPool2d(ones([1, 1, 2, 2]), 3), RangeError, /maxPool2d.*3/),
    c("avgPool2d kernel 0", () => F.avgPool2d(ones([1, 1, 4, 4]), 0), RangeError, /avgPool2d.*0/),
    c("maxPool2d padding", () => F.maxPool2d(ones([1, 1, 4, 4]), 2, { padding: 2 }), RangeError, /maxPool2d.*padding/),
    c("nn.Conv2d groups", () => new nn.Conv2d(4, 4, 3, { groups: 3 }), RangeError, /Conv2d.*groups.*3/),
    c("nn.Conv2d negative channels", () => new nn.Conv2d(-2, 4, 3), RangeError, /Conv2d.*-2/),
    c("nn.MaxPool2d forward", () => new nn.MaxPool2d(5).call(ones([1, 1, 2, 2])), RangeError, /maxPool2d.*5|MaxPool2d/),
  ],
  indexing: [
    c("gather index", () => ones([2, 3]).gather(1, i32([[5]])), RangeError, /gather.*5/),
    c("gather float index", () => ones([2, 3]).gather(1, ones([1, 1])), TypeError, /gather.*float32/),
    c("gather dim", () => ones([2, 3]).gather(2, i32([[0]])), RangeError, /gather.*2/),
    c("scatterAdd index", () => zeros([3]).scatterAdd(0, i32([7]), ones([1])), RangeError, /scatterAdd.*7/),
    c("scatterAdd src shape", () => zeros([3]).scatterAdd(0, i32([0, 1]), ones([1])), RangeError, /scatterAdd.*\[1\]/),
    c("indexSelect index", () => ones([2, 3]).indexSelect(0, i32([7])), RangeError, /indexSelect.*7/),
    c("indexSelect negative", () => ones([2, 3]).indexSelect(0, i32([-1])), RangeError, /indexSelect.*-1/),
    c("embedding id", () => embedding(i32([10]), ones([3, 2])), RangeError, /embedding.*10/),
    c("embedding float ids", () => embedding(ones([1]), ones([3, 2])), TypeError, /embedding.*float32/),
    c("oneHot id", () => oneHot(i32([3]), 3), RangeError, /oneHot.*3/),
    c("oneHot numClasses 0", () => oneHot(i32([0]), 0), RangeError, /oneHot.*0/),
    c("nn.Embedding id", () => new nn.Embedding(3, 2).call(i32([-4])), RangeError, /embedding.*-4|Embedding.*-4/),
  ],
  "cat stack pad": [
    c("cat empty list", () => cat([]), RangeError, /cat.*empty|cat.*no tensors|cat/),
    c("cat shapes", () => cat([ones([2, 3]), ones([2, 4])], 0), RangeError, /cat.*\[2,3\].*\[2,4\]/),
    c("cat dim", () => cat([ones([2]), ones([2])], 3), RangeError, /cat.*3/),
    c("cat ranks", () => cat([ones([2]), ones([2, 1])]), RangeError, /cat.*\[2\].*\[2,1\]/),
    c("stack shapes", () => stack([ones([2]), ones([3])]), RangeError, /stack.*\[2\].*\[3\]/),
    c("stack empty list", () => stack([]), RangeError, /stack/),
    c("pad odd length", () => pad(ones([2]), [1]), RangeError, /pad.*\[1\]/),
    c("pad too long", () => pad(ones([2]), [1, 1, 1, 1]), RangeError, /pad.*\[1,1,1,1\]/),
    c("pad negative past size", () => pad(ones([2]), [-3, 0]), RangeError, /pad.*-3/),
  ],
  "disposed tensors": [
    c("add", () => disposed().add(1), Error, /add.*dispose/),
    c("data", () => disposed().data(), Error, /data.*dispose/),
    c("matmul", () => ones([2, 2]).matmul(disposed()), Error, /matmul.*dispose/),
    c("reshape", () => disposed().reshape([4]), Error, /(reshape|view).*\[2,2\].*disposed/),
    c("backward", () => disposed().sum().backward(), Error, /sum.*dispose/),
  ],
  "NaN, Inf and probabilities": [
    c("F.dropout p=2", () => F.dropout(ones([2]), 2), RangeError, /dropout.*2/),
    c("F.dropout p=-0.1", () => F.dropout(ones([2]), -0.1), RangeError, /dropout.*-0\.1/),
    c("nn.Dropout p=2", () => new nn.Dropout(2), RangeError, /Dropout.*2/),
    c("F.dropout p NaN", () => F.dropout(ones([2]), NaN), RangeError, /dropout.*NaN/),
    c("bernoulli p NaN", () => bernoulli(NaN, { shape: [2] }), RangeError, /bernoulli.*NaN/),
    c("layerNorm weight shape", () => F.layerNorm(ones([2, 3]), [3], ones([4])), RangeError, /layerNorm.*\[4\]/),
  ],
  "loss functions": [
    c(
      "crossEntropy target shape",
      () => F.crossEntropy(ones([2, 3]), i32([0, 1, 2])),
      RangeError,
      /crossEntropy.*\[3\]/,
    ),
    c("crossEntropy label", () => F.crossEntropy(ones([2, 3]), i32([0, 5])), RangeError, /crossEntropy.*5/),
    c(
      "crossEntropy float target shape",
      () => F.crossEntropy(ones([2, 3]), ones([2])),
      RangeError,
      /crossEntropy.*\[2,3\].*\[2\]/,
    ),
    c(
      "crossEntropy reduction",
      () => F.crossEntropy(ones([2, 3]), i32([0, 1]), { reduction: bad("avg") }),
      TypeError,
      /crossEntropy.*avg/,
    ),
    c("nllLoss negative label", () => F.nllLoss(ones([2, 3]), i32([0, -5])), RangeError, /nllLoss.*-5/),
    c(
      "nllLoss weight shape",
      () => F.nllLoss(ones([2, 3]), i32([0, 1]), { weight: ones([4]) }),
      RangeError,
      /nllLoss.*\[4\]/,
    ),
    c(
      "bce shapes",
      () => F.binaryCrossEntropy(full([2], 0.5), ones([3])),
      RangeError,
      /binaryCrossEntropy.*\[3\].*\[2\]/,
    ),
    c(
      "bceWithLogits shapes",
      () => F.binaryCrossEntropyWithLogits(ones([2]), ones([3])),
      RangeError,
      /binaryCrossEntropyWithLogits.*\[3\]/,
    ),
    c("mseLoss shapes", () => F.mseLoss(ones([2]), ones([3])), RangeError, /mseLoss.*\[2\].*\[3\]/),
    c("mseLoss int input", () => F.mseLoss(ones([2], { dtype: "int32" }), ones([2])), TypeError, /mseLoss.*int32/),
    c("l1Loss reduction", () => F.l1Loss(ones([2]), ones([2]), { reduction: bad("bad") }), TypeError, /l1Loss.*bad/),
    c("huberLoss delta", () => F.huberLoss(ones([2]), ones([2]), { delta: -1 }), RangeError, /huberLoss.*-1/),
    c("smoothL1Loss beta", () => F.smoothL1Loss(ones([2]), ones([2]), { beta: NaN }), RangeError, /smoothL1Loss.*NaN/),
    c("klDiv shapes", () => F.klDiv(ones([2]), ones([3])), RangeError, /\[2\].*\[3\]|\[3\].*\[2\]/),
    c("klDiv reduction", () => F.klDiv(ones([2]), ones([2]), { reduction: bad("avg") }), TypeError, /klDiv.*avg/),
    c(
      "cosineEmbeddingLoss target",
      () => F.cosineEmbeddingLoss(ones([2, 3]), ones([2, 3]), ones([3])),
      RangeError,
      /cosineEmbeddingLoss.*\[3\]/,
    ),
    c(
      "marginRankingLoss shapes",
      () => F.marginRankingLoss(ones([2]), ones([3]), ones([2])),
      RangeError,
      /\[2\].*\[3\]|\[3\].*\[2\]/,
    ),
    c(
      "tripletMarginLoss shapes",
      () => F.tripletMarginLoss(ones([2, 3]), ones([2, 4]), ones([2, 3])),
      RangeError,
      /\[2,3\].*\[2,4\]/,
    ),
    c("poissonNllLoss shapes", () => F.poissonNllLoss(ones([2]), ones([3])), RangeError, /\[2\].*\[3\]|\[3\].*\[2\]/),
    c(
      "gaussianNllLoss var shape",
      () => F.gaussianNllLoss(ones([2, 3]), ones([2, 3]), ones([3, 3])),
      RangeError,
      /gaussianNllLoss.*\[3,3\]/,
    ),
    c("focalLoss gamma", () => F.focalLoss(ones([2, 3]), i32([0, 1]), { gamma: -1 }), RangeError, /focalLoss.*-1/),
    c("diceLoss shapes", () => F.diceLoss(ones([2, 3]), ones([2, 4])), RangeError, /diceLoss.*\[2,4\]/),
    c("multiMarginLoss label", () => F.multiMarginLoss(ones([2, 3]), i32([0, 9])), RangeError, /multiMarginLoss.*9/),
    c(
      "hingeEmbeddingLoss shapes",
      () => F.hingeEmbeddingLoss(ones([2]), ones([3])),
      RangeError,
      /hingeEmbeddingLoss.*\[3\]/,
    ),
    c("softMarginLoss shapes", () => F.softMarginLoss(ones([2]), ones([3])), RangeError, /softMarginLoss.*\[3\]/),
    c(
      "CrossEntropyLoss reduction",
      () => new nn.CrossEntropyLoss({ reduction: bad("x") }),
      TypeError,
      /CrossEntropyLoss.*x|crossEntropy.*x/,
    ),
    c(
      "MSELoss forward shapes",
      () => new nn.MSELoss().call(ones([2]), ones([3])),
      RangeError,
      /MSELoss.*\[3\]|mseLoss.*\[3\]/,
    ),
    c("NLLLoss label", () => new nn.NLLLoss().call(ones([2, 3]), i32([0, 3])), RangeError, /nllLoss.*3|NLLLoss.*3/),
    c("BCELoss reduction", () => new nn.BCELoss({ reduction: bad("none ") }), TypeError, /BCELoss|binaryCrossEntropy/),
  ],
  "optimizers and schedulers": [
    c("SGD lr NaN", () => new optim.SGD(params(), { lr: NaN }), RangeError, /SGD.*lr.*NaN/),
    c("Adam lr Infinity", () => new optim.Adam(params(), { lr: Infinity }), RangeError, /Adam.*lr.*Infinity/),
    c("AdamW lr -1", () => new optim.AdamW(params(), { lr: -1 }), RangeError, /AdamW.*lr.*-1/),
    c("Adam betas", () => new optim.Adam(params(), { betas: [1.5, 0.9] }), RangeError, /Adam.*1\.5/),
    c("Adam eps", () => new optim.Adam(params(), { eps: -1 }), RangeError, /Adam.*eps.*-1/),
    c("SGD momentum", () => new optim.SGD(params(), { lr: 0.1, momentum: -1 }), RangeError, /SGD.*momentum.*-1/),
    c("RMSprop alpha", () => new optim.RMSprop(params(), { alpha: NaN }), RangeError, /RMSprop.*alpha.*NaN/),
    c(
      "Adagrad weightDecay",
      () => new optim.Adagrad(params(), { weightDecay: -1 }),
      RangeError,
      /Adagrad.*weightDecay.*-1/,
    ),
    c("SGD empty params", () => new optim.SGD([], { lr: 0.1 }), RangeError, /SGD.*empty|SGD.*param/),
    c(
      "SGD non-leaf param",
      () => new optim.SGD([ones([2], { requiresGrad: true }).mul(2)], { lr: 0.1 }),
      TypeError,
      /SGD.*leaf/,
    ),
    c(
      "StepLR stepSize 0",
      () => new optim.lrScheduler.StepLR(sgd(), { stepSize: 0 }),
      RangeError,
      /StepLR.*stepSize.*0/,
    ),
    c(
      "ExponentialLR gamma NaN",
      () => new optim.lrScheduler.ExponentialLR(sgd(), { gamma: NaN }),
      RangeError,
      /ExponentialLR.*gamma.*NaN/,
    ),
    c(
      "CosineAnnealingLR tMax 0",
      () => new optim.lrScheduler.CosineAnnealingLR(sgd(), { tMax: 0 }),
      RangeError,
      /CosineAnnealingLR.*tMax.*0/,
    ),
    c(
      "MultiStepLR milestones",
      () => new optim.lrScheduler.MultiStepLR(sgd(), { milestones: [1.5] }),
      RangeError,
      /MultiStepLR.*milestones/,
    ),
    c(
      "OneCycleLR totalSteps",
      () => new optim.lrScheduler.OneCycleLR(sgd(), { maxLr: 1, totalSteps: -1 }),
      RangeError,
      /OneCycleLR.*totalSteps.*-1/,
    ),
    c(
      "ReduceLROnPlateau mode",
      () => new optim.lrScheduler.ReduceLROnPlateau(sgd(), { mode: bad("up") }),
      RangeError,
      /ReduceLROnPlateau.*up/,
    ),
    c(
      "ReduceLROnPlateau factor",
      () => new optim.lrScheduler.ReduceLROnPlateau(sgd(), { factor: 1 }),
      RangeError,
      /ReduceLROnPlateau.*factor.*1/,
    ),
    c(
      "LinearLR startFactor",
      () => new optim.lrScheduler.LinearLR(sgd(), { startFactor: 0 }),
      RangeError,
      /LinearLR.*startFactor.*0/,
    ),
  ],
  "nn layers and state dicts": [
    c("Linear(-1, 2)", () => new nn.Linear(-1, 2), RangeError, /Linear.*-1/),
    c("Linear(2, 1.5)", () => new nn.Linear(2, 1.5), RangeError, /Linear.*1\.5/),
    c("Linear forward features", () => new nn.Linear(3, 2).call(ones([2, 4])), RangeError, /linear.*\[2,4\]/),
    c("BatchNorm2d(0)", () => new nn.BatchNorm2d(0), RangeError, /BatchNorm2d.*0/),
    c(
      "BatchNorm2d forward channels",
      () => new nn.BatchNorm2d(3).call(ones([2, 4, 2, 2])),
      RangeError,
      /batchNorm.*4|BatchNorm2d.*4/,
    ),
    c("LayerNorm forward shape", () => new nn.LayerNorm(4).call(ones([2, 3])), RangeError, /layerNorm.*\[4\].*\[2,3\]/),
    c("Embedding(-1, 2)", () => new nn.Embedding(-1, 2), RangeError, /Embedding.*-1/),
    c("MultiheadAttention heads", () => new nn.MultiheadAttention(10, 3), RangeError, /MultiheadAttention.*10.*3/),
    c("TransformerEncoderLayer heads", () => new nn.TransformerEncoderLayer(10, 3), RangeError, /10.*3/),
    c(
      "loadStateDict missing",
      () => new nn.Linear(2, 2).loadStateDict({ weight: ones([2, 2]) }),
      Error,
      /loadStateDict.*missing.*bias/,
    ),
    c(
      "loadStateDict shape",
      () => new nn.Linear(2, 2).loadStateDict({ weight: ones([3, 2]), bias: ones([2]) }),
      Error,
      /loadStateDict.*weight.*\[3,2\].*\[2,2\]/,
    ),
    c(
      "loadStateDict unexpected",
      () => new nn.Linear(2, 2).loadStateDict({ weight: ones([2, 2]), bias: ones([2]), extra: ones([1]) }),
      Error,
      /loadStateDict.*extra/,
    ),
  ],
  "data and io": [
    c(
      "DataLoader batchSize 0",
      () => new data.DataLoader(new data.TensorDataset(ones([4, 2])), { batchSize: 0 }),
      RangeError,
      /DataLoader.*batchSize.*0/,
    ),
    c(
      "DataLoader batchSize NaN",
      () => new data.DataLoader(new data.TensorDataset(ones([4, 2])), { batchSize: NaN }),
      RangeError,
      /DataLoader.*batchSize.*NaN/,
    ),
    c("TensorDataset sizes", () => new data.TensorDataset(ones([4, 2]), ones([3])), RangeError, /TensorDataset.*4.*3/),
    c("TensorDataset index", () => new data.TensorDataset(ones([4, 2])).get(9), RangeError, /9.*4/),
    c(
      "BertTokenizer missing vocab",
      () => data.BertTokenizer.fromVocab("tests/.tmp/no_such_vocab.txt"),
      Error,
      /no_such_vocab\.txt/,
    ),
    c("load missing file", () => load("tests/.tmp/no_such_file.safetensors"), Error, /no_such_file\.safetensors/),
    c("loadBytes truncated", () => loadBytes(new Uint8Array(3)), Error, /load: .*3 bytes .*header/),
    c("randn into bad device", () => randn([2], { device: bad("tpu") }), TypeError, /randn.*tpu|tpu/),
  ],
};

/** Runs a case: the thunk's result (a tensor is read, a promise awaited) must fail as expected. */
async function expectBad(k: Case): Promise<void> {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    let out = k.fn();
    if (out instanceof Promise) out = await out;
    if (out instanceof Tensor) await out.data();
    else if (out && typeof out === "object" && "values" in out && out.values instanceof Tensor) await out.values.data();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  assert.ok(threw, `${k.op}: expected ${k.error.name} matching ${k.re}, but nothing was thrown`);
  assert.ok(thrown instanceof Error, `${k.op}: thrown value is not an Error: ${String(thrown)}`);
  assert.doesNotMatch(thrown.message, /GPUValidationError|Validation Error/);
  assert.ok(
    thrown instanceof k.error,
    `${k.op}: expected ${k.error.name}, got ${thrown.constructor.name}: ${thrown.message}`,
  );
  assert.match(thrown.message, k.re);
}

let count = 0;
for (const [area, cases] of Object.entries(areas)) {
  Deno.test(`bad input to ${area} throws clear errors`, async (t) => {
    for (const k of cases) {
      count++;
      await t.step(k.op, () => expectBad(k));
    }
  });
}

Deno.test("the bad-input suite reports its case count", () => {
  const total = Object.values(areas).reduce((n, cs) => n + cs.length, 0);
  assert.equal(count, total);
  console.log(`bad-input suite: ${total} cases`);
});
