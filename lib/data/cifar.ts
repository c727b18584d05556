/** CIFAR-10 from its original binary distribution (`cifar-10-batches-bin`). @module */
import { checkIndex, Dataset, type HostTensor } from "./dataset.ts";
import type { Transform } from "./transforms.ts";
import { absolute, downloadFile, exists, type FetchOptions, removeQuietly } from "./_download.ts";
import { extractTarGz } from "./tar.ts";
import { withPermission } from "../_permission.ts";

/** The official archive and its published MD5. */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
const RECORD = 1 + 3 * 32 * 32;
const FOLDER = "cifar-10-batches-bin";

/** Options of {@link CIFAR10}. */
export interface CIFAR10Options extends FetchOptions {
  /** Folder that holds (or will hold) `cifar-10-batches-bin/`. */
  root: string;
  /** The 50000-image training batches (default) or the 10000-image test batch. */
  train?: boolean;
  /** Fetch, verify and extract the official archive when the files are missing (default false). */
  download?: boolean;
  /** Applied to each `[3, 32, 32]` uint8 image by `get` (e.g. `compose([toTensor(), normalize(...)])`). */
  transform?: Transform;
}

/** A loaded CIFAR-10 split; samples are `[image, label]` with `image` a `[3, 32, 32]` {@link HostTensor}. */
export class CIFAR10Dataset extends Dataset<[HostTensor, number]> {
  /** The 10 class names, from `batches.meta.txt`. */
  readonly classes: readonly string[];
  /** All images, record after record, each 3072 bytes: R, G then B planes of 32×32, row-major. */
  readonly images: Uint8Array;
  /** All labels, 0..9. */
  readonly targets: Uint8Array;
  /** The per-sample transform, if any. */
  readonly transform?: Transform;

  constructor(images: Uint8Array, targets: Uint8Array, classes: readonly string[], transform?: Transform) {
    super();
    this.images = images;
    this.targets = targets;
    this.classes = classes;
    this.transform = transform;
  }

  /** The number of images. */
  get length(): number {
    return this.targets.length;
  }

  /** `[transform(image), label]`; without a transform the image is the raw uint8 `[3, 32, 32]` view. */
  get(i: number): [HostTensor, number] {
    checkIndex("CIFAR10.get", i, this.length);
    const image: HostTensor = { data: this.images.subarray(i * 3072, (i + 1) * 3072), shape: [3, 32, 32] };
    return [this.transform ? this.transform(image) : image, this.targets[i]];
  }
}

async function batchFiles(folder: string, train: boolean): Promise<string[]> {
  if (!train) return (await exists(`${folder}/test_batch.bin`)) ? [`${folder}/test_batch.bin`] : [];
  if (!(await exists(folder))) return [];
  const names: string[] = [];
  for await (const e of Deno.readDir(folder)) {
    if (e.isFile && /^data_batch_\d+\.bin$/.test(e.name)) names.push(e.name);
  }
  names.sort((a, b) => parseInt(a.slice(11), 10) - parseInt(b.slice(11), 10));
  return names.map((n) => `${folder}/${n}`);
}

/**
 * CIFAR-10 (Krizhevsky 2009), as `torchvision.datasets.CIFAR10`, read from the original binary
 * format: `root/cifar-10-batches-bin/data_batch_*.bin` (every one present, so a subset works)
 * or `test_batch.bin`, each record 1 label byte + 3072 pixel bytes. With `download: true` and no
 * files, the official tar.gz is downloaded, its published MD5 verified and it is extracted safely
 * into `root`; offline, that fails at once with an Error saying where to put the files.
 * A file whose size is not a multiple of 3073 bytes is rejected with an Error naming it.
 *
 * @example
 * ```ts ignore
 * import { data } from "denograd";
 * const { toTensor, normalize, compose } = data.transforms;
 * const train = await data.CIFAR10({ root: "datasets", download: true, transform: compose([toTensor(), normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26])]) });
 * for await (const [x, y] of new data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 })) {
 *   // x: [128, 3, 32, 32] float32, y: [128] int32
 * }
 * ```
 */
export async function CIFAR10(options: CIFAR10Options): Promise<CIFAR10Dataset> {
  const { root, train = true, download = false } = options;
  if (typeof root !== "string") throw new TypeError(`CIFAR10: root must be a folder path, got ${typeof root}`);
  const folder = `${root}/${FOLDER}`;
  let files = await batchFiles(folder, train);
  if (files.length === 0) {
    const wanted = train ? "data_batch_1.bin … data_batch_5.bin" : "test_batch.bin";
    if (!download) {
      throw new Error(
        `CIFAR10: no ${wanted} in ${absolute(folder)}; put the files of ${CIFAR10_URL} there, or pass download: true`,
      );
    }
    const archive = `${root}/cifar-10-binary.tar.gz`;
    await downloadFile("CIFAR10", CIFAR10_URL, CIFAR10_MD5, archive, folder, options);
    try {
      await extractTarGz(archive, root);
    } finally {
      await removeQuietly(archive);
    }
    files = await batchFiles(folder, train);
    if (files.length === 0) throw new Error(`CIFAR10: the archive ${CIFAR10_URL} held no ${wanted}`);
  }
  const chunks: Uint8Array[] = [];
  for (const f of files) {
    const bytes = await withPermission("CIFAR10", "read", f, () => Deno.readFile(f));
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw new Error(
        `CIFAR10: ${absolute(f)} has ${bytes.length} bytes, not a multiple of the 3073-byte record ` +
          `(1 label + 3072 pixels); the file is truncated or not CIFAR-10 binary`,
      );
    }
    chunks.push(bytes);
  }
  const n = chunks.reduce((s, c) => s + c.length / RECORD, 0);
  const images = new Uint8Array(n * 3072), targets = new Uint8Array(n);
  let k = 0;
  for (const [fi, c] of chunks.entries()) {
    for (let r = 0; r < c.length / RECORD; r++, k++) {
      const label = c[r * RECORD];
      if (label > 9) throw new Error(`CIFAR10: ${absolute(files[fi])} record ${r} has label ${label}; expected 0..9`);
      targets[k] = label;
      images.set(c.subarray(r * RECORD + 1, (r + 1) * RECORD), k * 3072);
    }
  }
  let classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
  if (await exists(`${folder}/batches.meta.txt`)) {
    const names = (await Deno.readTextFile(`${folder}/batches.meta.txt`)).split("\n").map((s) => s.trim()).filter((
      s,
    ) => s);
    if (names.length === 10) classes = names;
  }
  return new CIFAR10Dataset(images, targets, classes, options.transform);
}
