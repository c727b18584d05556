/**
 * Data loading: datasets, the batching {@link DataLoader}, per-sample image transforms, and
 * loaders for standard datasets that read their original on-disk formats.
 * @module
 */
export { checkIndex, Dataset, type HostTensor, isHostTensor, TensorDataset } from "./dataset.ts";
export { type Collated, DataLoader, type DataLoaderOptions, defaultCollate } from "./dataloader.ts";
export * as transforms from "./transforms.ts";
export type { Transform } from "./transforms.ts";
export type { FetchOptions } from "./_download.ts";
export { extractTarGz, readTar, type TarEntry } from "./tar.ts";
export { CIFAR10, CIFAR10_URL, CIFAR10Dataset, type CIFAR10Options } from "./cifar.ts";
export { FashionMNIST, MNIST, MNISTDataset, type MNISTOptions, readIdx } from "./mnist.ts";
export { IMDB, IMDB_URL, IMDBDataset, type ImdbItem, type ImdbOptions } from "./imdb.ts";
export { type LabelledSentence, sentimentSentences, type SentimentSentencesOptions } from "./sentiment_sentences.ts";
export {
  type BatchEncoding,
  BertTokenizer,
  type BertTokenizerOptions,
  type DecodeOptions,
  type EncodeBatchOptions,
  type EncodeOptions,
  type Encoding,
} from "./bert_tokenizer.ts";
