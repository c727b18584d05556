/** MNIST and Fashion-MNIST from IDX files (gzip or not). @module */
import { checkIndex, Dataset, type HostTensor } from "./dataset.ts";
import type { Transform } from "./transforms.ts";
import { absolute, downloadFile, exists, type FetchOptions } from "./_download.ts";
import { withPermission } from "../_permission.ts";

/** Options of {@link MNIST} and {@link FashionMNIST}. */
export interface MNISTOptions extends FetchOptions {
  /** Folder holding the IDX files (also looked for in `root/MNIST/raw` or `root/FashionMNIST/raw`). */
  root: string;
  /** The 60000-image training split (default) or the 10000-image test split. */
  train?: boolean;
  /** Fetch the four `.gz` files from the official mirrors (MD5-checked) when missing (default false). */
  download?: boolean;
  /** Applied to each `[1, 28, 28]` uint8 image by `get`. */
  transform?: Transform;
}

interface Source {
  name: string;
  mirrors: readonly string[];
  md5: Record<string, string>;
  classes: readonly string[];
}

// mirrors and MD5s as torchvision.datasets.MNIST / FashionMNIST list them
const MNIST_SOURCE: Source = {
  name: "MNIST",
  mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
  md5: {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
  },
  classes: [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
  ],
};

const FASHION_SOURCE: Source = {
  name: "FashionMNIST",
  mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
  md5: {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
  },
  classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
};

/** A loaded MNIST-style split; samples are `[image, label]` with `image` a `[1, H, W]` {@link HostTensor}. */
export class MNISTDataset extends Dataset<[HostTensor, number]> {
  /** The class names. */
  readonly classes: readonly string[];
  /** All images, `H * W` bytes each, row-major. */
  readonly images: Uint8Array;
  /** All labels. */
  readonly targets: Uint8Array;
  /** Image height and width. */
  readonly imageShape: readonly [number, number];
  /** The per-sample transform, if any. */
  readonly transform?: Transform;

  constructor(
    images: Uint8Array,
    targets: Uint8Array,
    imageShape: readonly [number, number],
    classes: readonly string[],
    transform?: Transform,
  ) {
    super();
    this.images = images;
    this.targets = targets;
    this.imageShape = imageShape;
    this.classes = classes;
    this.transform = transform;
  }

  /** The number of images. */
  get length(): number {
    return this.targets.length;
  }

  /** `[transform(image), label]`; without a transform the image is the raw uint8 `[1, H, W]` view. */
  get(i: number): [HostTensor, number] {
    checkIndex("MNIST.get", i, this.length);
    const [h, w] = this.imageShape;
    const image: HostTensor = { data: this.images.subarray(i * h * w, (i + 1) * h * w), shape: [1, h, w] };
    return [this.transform ? this.transform(image) : image, this.targets[i]];
  }
}

async function gunzip(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${absolute(path)}: corrupt gzip data (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Reads an IDX file (gzip-compressed or not, detected from its first bytes), as published with
 * MNIST: checks the magic number (`0x00 0x00 0x08 ndim`, unsigned bytes), that it has `ndim`
 * dimensions when given, and that the size matches the header. Errors name the file.
 */
export async function readIdx(path: string, ndim?: number): Promise<{ shape: number[]; data: Uint8Array }> {
  let bytes: Uint8Array = await withPermission("readIdx", "read", path, () => Deno.readFile(path));
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes, path);
  const where = absolute(path);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || (ndim && bytes[3] !== ndim)) {
    const got = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new Error(
      `${where}: bad IDX magic number ${got || "(empty file)"}; expected 00 00 08 ${
        ndim ? ndim.toString(16).padStart(2, "0") : "<ndim>"
      } (unsigned bytes${ndim ? `, ${ndim} dims` : ""})`,
    );
  }
  const dims = bytes[3];
  if (bytes.length < 4 + 4 * dims) throw new Error(`${where}: IDX header truncated (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < dims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = 4 + 4 * dims + shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new Error(
      `${where}: IDX header says shape [${shape}] (${expected} bytes) but the file has ${bytes.length} bytes; ` +
        `it is truncated or corrupt`,
    );
  }
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

async function findFile(folders: readonly string[], base: string): Promise<string | null> {
  for (const f of folders) {
    for (const name of [base, `${base}.gz`]) if (await exists(`${f}/${name}`)) return `${f}/${name}`;
  }
  return null;
}

async function loadMnistLike(source: Source, options: MNISTOptions): Promise<MNISTDataset> {
  const { root, train = true, download = false } = options;
  const op = source.name;
  if (typeof root !== "string") throw new TypeError(`${op}: root must be a folder path, got ${typeof root}`);
  const prefix = train ? "train" : "t10k";
  const bases = [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
  const folders = [root, `${root}/${source.name}/raw`];
  let paths = await Promise.all(bases.map((b) => findFile(folders, b)));
  if (paths.some((p) => p === null)) {
    const missing = bases.filter((_, k) => paths[k] === null).map((b) => `${b}[.gz]`).join(", ");
    if (!download) {
      throw new Error(
        `${op}: missing ${missing} in ${absolute(root)}; put the IDX files there, or pass download: true`,
      );
    }
    for (const [k, base] of bases.entries()) {
      if (paths[k] !== null) continue;
      const name = `${base}.gz`;
      let lastError: unknown = null;
      for (const mirror of source.mirrors) {
        try {
          await downloadFile(op, mirror + name, source.md5[name], `${root}/${name}`, root, options);
          lastError = null;
          break;
        } catch (e) {
          lastError = e;
        }
      }
      if (lastError) throw lastError;
    }
    paths = await Promise.all(bases.map((b) => findFile(folders, b)));
  }
  const [imagePath, labelPath] = paths as string[];
  const images = await readIdx(imagePath, 3);
  const labels = await readIdx(labelPath, 1);
  if (images.shape[0] !== labels.shape[0]) {
    throw new Error(
      `${op}: ${absolute(imagePath)} holds ${images.shape[0]} images but ${absolute(labelPath)} holds ` +
        `${labels.shape[0]} labels; the counts must match`,
    );
  }
  return new MNISTDataset(
    images.data,
    labels.data,
    [images.shape[1], images.shape[2]],
    source.classes,
    options.transform,
  );
}

/**
 * MNIST handwritten digits (LeCun et al.), as `torchvision.datasets.MNIST`, from the IDX files
 * `train-images-idx3-ubyte` / `train-labels-idx1-ubyte` (or `t10k-…`), gzip-compressed or not,
 * in `root` or `root/MNIST/raw`. With `download: true` missing files are fetched from the
 * official mirrors and checked against their MD5; offline that fails at once with an Error
 * saying where to put the files. Bad magic numbers, truncated files and image/label count
 * mismatches give Errors naming the file.
 *
 * @example
 * ```ts ignore
 * import { data } from "denograd";
 * const test = await data.MNIST({ root: "datasets/mnist", train: false, download: true, transform: data.transforms.toTensor() });
 * const [x, y] = test.get(0); // x: [1, 28, 28] floats in [0, 1], y: 7
 * ```
 */
export function MNIST(options: MNISTOptions): Promise<MNISTDataset> {
  return loadMnistLike(MNIST_SOURCE, options);
}

/**
 * Fashion-MNIST (Xiao et al. 2017), as `torchvision.datasets.FashionMNIST`: the same IDX
 * layout and rules as {@link MNIST}, files in `root` or `root/FashionMNIST/raw`, ten clothing
 * classes.
 *
 * @example
 * ```ts ignore
 * import { data } from "denograd";
 * const train = await data.FashionMNIST({ root: "/usr/share/datasets/fashion-mnist" });
 * console.log(train.length, train.classes[train.targets[0]]);
 * ```
 */
export function FashionMNIST(options: MNISTOptions): Promise<MNISTDataset> {
  return loadMnistLike(FASHION_SOURCE, options);
}
