import assert from "node:assert/strict";
import { arange, data, tensor } from "../../mod.ts";
import { concatBytes } from "../_helpers.ts";

const { toTensor, normalize, randomCrop, randomHorizontalFlip, compose } = data.transforms;
const SHARED = new URL("../../../shared/data", import.meta.url).pathname;
const TMP = new URL("../.tmp", import.meta.url).pathname;
const FASHION = "/usr/share/datasets/fashion-mnist";

/** A fresh folder under tests/.tmp, removed after `fn`. */
async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  await Deno.mkdir(TMP, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: TMP, prefix: "data_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listAll(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory) out.push(...await listAll(`${dir}/${e.name}`, r));
  }
  return out.sort();
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function idx(magic3: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = magic3;
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

interface TarSpec {
  name: string;
  type?: "0" | "1" | "2" | "5";
  link?: string;
  body?: Uint8Array;
  badChecksum?: boolean;
}

/** A ustar archive built by hand. */
function makeTar(entries: TarSpec[]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const h = new Uint8Array(512);
    const body = e.body ?? new Uint8Array(0);
    const put = (s: string, at: number) => h.set(enc.encode(s), at);
    put(e.name, 0);
    put("0000644\0", 100);
    put("0000000\0", 108);
    put("0000000\0", 116);
    put(body.length.toString(8).padStart(11, "0") + "\0", 124);
    put("00000000000\0", 136);
    put(e.type ?? "0", 156);
    if (e.link) put(e.link, 157);
    put("ustar\0", 257);
    put("00", 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    put((e.badChecksum ? sum + 1 : sum).toString(8).padStart(6, "0") + "\0 ", 148);
    blocks.push(h);
    if (body.length) {
      const padded = new Uint8Array(Math.ceil(body.length / 512) * 512);
      padded.set(body);
      blocks.push(padded);
    }
  }
  blocks.push(new Uint8Array(1024));
  return concatBytes(blocks);
}

function cifarRecords(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((l, r) => {
    out[r * 3073] = l;
    for (let i = 1; i < 3073; i++) out[r * 3073 + i] = (r * 7 + i) % 256;
  });
  return out;
}

const offlineFetch: typeof fetch = () => Promise.reject(new TypeError("error sending request: dns error"));

// ---------------------------------------------------------------- DataLoader

Deno.test("DataLoader batches in order, keeps or drops the short last batch, and reports its length", async () => {
  const ds = new data.TensorDataset(arange(10), arange(10).mul(2));
  const loader = new data.DataLoader(ds, { batchSize: 3 });
  assert.equal(loader.length, 4);
  const xs: number[][] = [], ys: number[][] = [];
  for await (const [x, y] of loader) {
    xs.push(await x.toArray() as number[]);
    ys.push(await y.toArray() as number[]);
  }
  assert.deepEqual(xs, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  assert.deepEqual(ys, [[0, 2, 4], [6, 8, 10], [12, 14, 16], [18]]);
  const dropped = new data.DataLoader(ds, { batchSize: 3, dropLast: true });
  assert.equal(dropped.length, 3);
  let n = 0;
  for await (const [x] of dropped) {
    assert.deepEqual(x.shape, [3]);
    n++;
  }
  assert.equal(n, 3);
});

Deno.test("DataLoader shuffling is a new permutation each epoch and reproducible from the seed", async () => {
  const ds = new data.TensorDataset(arange(12));
  async function epochs(seed: number): Promise<number[][]> {
    const loader = new data.DataLoader(ds, { batchSize: 5, shuffle: true, seed });
    const out: number[][] = [];
    for (let e = 0; e < 3; e++) {
      const order: number[] = [];
      for await (const [x] of loader) order.push(...await x.toArray() as number[]);
      out.push(order);
    }
    return out;
  }
  const a = await epochs(7), b = await epochs(7), c = await epochs(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a[0], a[1]);
  for (const order of a) assert.deepEqual([...order].sort((p, q) => p - q), [...Array(12).keys()]);
});

Deno.test("DataLoader prefetches the next batch while the consumer works on the current one", async () => {
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const ms = 40;
  class Slow extends data.Dataset<number> {
    get length() {
      return 8;
    }
    async get(i: number): Promise<number> {
      await delay(ms);
      return i;
    }
  }
  const loader = new data.DataLoader(new Slow(), { batchSize: 2 });
  const start = performance.now();
  const seen: number[] = [];
  for await (const y of loader) {
    seen.push(...await y.toArray() as number[]);
    await delay(ms); // the "training step"
  }
  const elapsed = performance.now() - start;
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  // serial loading would take 4 loads + 4 steps = 8 * ms; overlapped about 5 * ms
  assert.ok(elapsed < 7 * ms, `took ${elapsed.toFixed(0)} ms, expected < ${7 * ms} ms with prefetching`);
});

Deno.test("DataLoader collates numbers to int32 and host arrays to one float32 batch, or uses a custom collate", async () => {
  class Points extends data.Dataset<[data.HostTensor, number]> {
    get length() {
      return 3;
    }
    get(i: number): [data.HostTensor, number] {
      return [{ data: new Float32Array([i, i + 0.5]), shape: [2] }, i % 2];
    }
  }
  const [[x, y]] = await Array.fromAsync(new data.DataLoader(new Points(), { batchSize: 3 }));
  assert.equal(x.dtype, "float32");
  assert.deepEqual(await x.toArray(), [[0, 0.5], [1, 1.5], [2, 2.5]]);
  assert.equal(y.dtype, "int32");
  assert.deepEqual(await y.toArray(), [0, 1, 0]);
  const custom = new data.DataLoader(new Points(), { batchSize: 2, collate: (s) => s.map(([, label]) => label) });
  assert.deepEqual(await Array.fromAsync(custom), [[0, 1], [0]]);
  assert.throws(() => new data.DataLoader(new Points(), { batchSize: 0 }), RangeError);
});

Deno.test("TensorDataset indexes samples and rejects tensors of different lengths", async () => {
  const ds = new data.TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([7, 8, 9]));
  assert.equal(ds.length, 3);
  const [x, y] = ds.get(2);
  assert.deepEqual(await x.toArray(), [5, 6]);
  assert.equal(await y.item(), 9);
  assert.throws(() => ds.get(3), /out of range/);
  assert.throws(() => new data.TensorDataset(tensor([1, 2]), tensor([1, 2, 3])), /first dimension/);
  const [bx] = ds.getBatch([2, 0]);
  assert.deepEqual(await bx.toArray(), [[5, 6], [1, 2]]);
});

// ---------------------------------------------------------------- transforms

Deno.test("transforms flip, crop, normalize and convert host images exactly", () => {
  const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 3, 3] };
  assert.deepEqual([...randomHorizontalFlip(1)(img).data], [3, 2, 1, 6, 5, 4, 9, 8, 7]);
  assert.deepEqual([...randomHorizontalFlip(0)(img).data], [...img.data]);
  // a 2x2 crop of a 3x3 image is one of its four windows
  const windows = [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]].map((w) => w.join());
  const crop = randomCrop(2, { seed: 3 });
  const seen = new Set<string>();
  for (let k = 0; k < 40; k++) {
    const out = crop(img);
    assert.deepEqual(out.shape, [1, 2, 2]);
    assert.ok(out.data instanceof Uint8Array);
    seen.add([...out.data].join());
  }
  assert.deepEqual([...seen].sort(), windows.sort());
  // padding 1 around a 1x1 image, cropped back to 1x1: the pixel or the fill
  const padded = randomCrop(3, { padding: 1, seed: 0 })({ data: Uint8Array.from([5]), shape: [1, 1, 1] });
  assert.deepEqual([...padded.data], [0, 0, 0, 0, 5, 0, 0, 0, 0]);
  // same seed, same crops
  const a = randomCrop(2, { padding: 1, seed: 11 }), b = randomCrop(2, { padding: 1, seed: 11 });
  for (let k = 0; k < 5; k++) assert.deepEqual([...a(img).data], [...b(img).data]);
  // HWC bytes to CHW floats, then per-channel normalization
  const hwc = { data: Uint8Array.from([0, 255, 51, 102]), shape: [1, 2, 2] }; // H=1, W=2, C=2
  const t = compose([toTensor({ layout: "HWC" }), normalize([0, 0.5], [1, 0.5])])(hwc);
  assert.deepEqual(t.shape, [2, 1, 2]);
  assert.deepEqual([...t.data].map((v) => +v.toFixed(6)), [0, 0.2, 1, -0.2]);
  assert.throws(() => normalize([0], [1])(img), /toTensor/);
  assert.throws(() => randomCrop(4)(img), /larger than/);
});

// ---------------------------------------------------------------- CIFAR-10

Deno.test("CIFAR10 reads the real subset in ../shared/data: counts, first labels, pixels and class names", async () => {
  const train = await data.CIFAR10({ root: SHARED, train: true });
  const test = await data.CIFAR10({ root: SHARED, train: false });
  assert.equal(train.length, 3000);
  assert.equal(test.length, 1000);
  assert.deepEqual([...train.targets.subarray(0, 10)], [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  assert.deepEqual([...test.targets.subarray(0, 10)], [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
  assert.deepEqual(train.classes, [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
  ]);
  const [img, label] = train.get(0);
  assert.equal(label, 6);
  assert.deepEqual(img.shape, [3, 32, 32]);
  assert.deepEqual([...img.data.subarray(0, 5)], [59, 43, 50, 68, 98]); // red plane
  assert.deepEqual([...img.data.subarray(1024, 1027)], [62, 46, 48]); // green plane
  assert.deepEqual([...img.data.subarray(2048, 2051)], [63, 45, 43]); // blue plane
  assert.deepEqual([...train.get(2999)[0].data.subarray(0, 3)], [213, 185, 180]);
  assert.deepEqual([...test.get(0)[0].data.subarray(0, 5)], [158, 159, 165, 166, 160]);
});

Deno.test("CIFAR10 with transforms feeds a DataLoader float32 [B, 3, 32, 32] batches and int32 labels", async () => {
  const train = await data.CIFAR10({
    root: SHARED,
    transform: compose([toTensor(), normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]),
  });
  const loader = new data.DataLoader(train, { batchSize: 4 });
  assert.equal(loader.length, 750);
  for await (const [x, y] of loader) {
    assert.deepEqual(x.shape, [4, 3, 32, 32]);
    assert.equal(x.dtype, "float32");
    assert.deepEqual(await y.toArray(), [6, 9, 9, 4]);
    const v = await x.data();
    assert.ok(Math.abs(v[0] - (59 / 255 - 0.5) / 0.5) < 1e-6);
    break;
  }
});

Deno.test("CIFAR10 rejects a truncated batch file, naming it", async () => {
  await withTmp(async (dir) => {
    await Deno.mkdir(`${dir}/cifar-10-batches-bin`);
    await Deno.writeFile(`${dir}/cifar-10-batches-bin/data_batch_1.bin`, cifarRecords([1, 2]).subarray(0, 5000));
    await assert.rejects(data.CIFAR10({ root: dir }), /data_batch_1\.bin has 5000 bytes, not a multiple of the 3073/);
  });
});

Deno.test("CIFAR10 reads every data_batch present, in order", async () => {
  await withTmp(async (dir) => {
    await Deno.mkdir(`${dir}/cifar-10-batches-bin`);
    await Deno.writeFile(`${dir}/cifar-10-batches-bin/data_batch_2.bin`, cifarRecords([5]));
    await Deno.writeFile(`${dir}/cifar-10-batches-bin/data_batch_1.bin`, cifarRecords([1, 2]));
    const ds = await data.CIFAR10({ root: dir });
    assert.deepEqual([...ds.targets], [1, 2, 5]);
    assert.equal(ds.classes[0], "airplane");
  });
});

Deno.test("CIFAR10 without files and download: false names the folder and download: true", async () => {
  await withTmp(async (dir) => {
    await assert.rejects(data.CIFAR10({ root: dir }), (e: Error) => {
      assert.match(e.message, new RegExp(`${dir}/cifar-10-batches-bin`));
      assert.match(e.message, /download: true/);
      return true;
    });
  });
});

Deno.test("CIFAR10 download offline fails fast, saying which URL failed and where to put the files", async () => {
  await withTmp(async (dir) => {
    const start = performance.now();
    await assert.rejects(data.CIFAR10({ root: dir, download: true, fetch: offlineFetch }), (e: Error) => {
      assert.match(e.message, /could not download https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/);
      assert.match(e.message, new RegExp(`put the files in ${dir}/cifar-10-batches-bin`));
      return true;
    });
    assert.ok(performance.now() - start < 1000);
    assert.deepEqual(await listAll(dir), []);
  });
});

Deno.test("CIFAR10 download with a wrong MD5 is rejected and leaves nothing behind", async () => {
  await withTmp(async (dir) => {
    const body = await gzip(makeTar([{ name: "cifar-10-batches-bin/data_batch_1.bin", body: cifarRecords([3]) }]));
    const fakeFetch: typeof fetch = () => Promise.resolve(new Response(body as Uint8Array<ArrayBuffer>));
    await assert.rejects(
      data.CIFAR10({ root: dir, download: true, fetch: fakeFetch }),
      /MD5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
    assert.deepEqual(await listAll(dir), []);
  });
});

// ---------------------------------------------------------------- tar

Deno.test("extractTarGz extracts files, directories and inside links", async () => {
  await withTmp(async (dir) => {
    const enc = new TextEncoder();
    await Deno.writeFile(
      `${dir}/ok.tar.gz`,
      await gzip(makeTar([
        { name: "d/", type: "5" },
        { name: "d/a.txt", body: enc.encode("hello") },
        { name: "d/./sub/../b.txt", body: enc.encode("x".repeat(600)) },
        { name: "d/hard", type: "1", link: "d/a.txt" },
        { name: "d/sub/soft", type: "2", link: "../a.txt" },
      ])),
    );
    const got = await data.extractTarGz(`${dir}/ok.tar.gz`, `${dir}/out`);
    assert.deepEqual(got.sort(), ["d/a.txt", "d/b.txt", "d/hard", "d/sub/soft"]);
    assert.equal(await Deno.readTextFile(`${dir}/out/d/a.txt`), "hello");
    assert.equal((await Deno.readTextFile(`${dir}/out/d/b.txt`)).length, 600);
    assert.equal(await Deno.readTextFile(`${dir}/out/d/hard`), "hello");
    assert.equal(await Deno.readTextFile(`${dir}/out/d/sub/soft`), "hello"); // links become copies
    assert.deepEqual(await listAll(`${dir}/out`), ["d", "d/a.txt", "d/b.txt", "d/hard", "d/sub", "d/sub/soft"]);
  });
});

Deno.test("extractTarGz refuses entries escaping root, absolute paths, outward links and bad checksums", async () => {
  const body = new TextEncoder().encode("evil");
  const cases: [string, TarSpec[], RegExp][] = [
    ["dotdot", [{ name: "ok.txt", body }, { name: "../evil", body }], /"\.\.\/evil" would escape the extraction root/],
    ["nested dotdot", [{ name: "a/../../evil", body }], /would escape/],
    ["absolute", [{ name: "/abs/evil", body }], /"\/abs\/evil" is an absolute path/],
    ["symlink out", [{ name: "link", type: "2", link: "../../outside" }], /symlink link ->.*would escape/],
    ["absolute symlink", [{ name: "link", type: "2", link: "/etc/passwd" }], /absolute path \/etc\/passwd/],
    ["hardlink out", [{ name: "hl", type: "1", link: "../x" }], /hardlink hl ->.*would escape/],
    [
      "dangling link",
      [{ name: "a/l", type: "2", link: "missing" }],
      /symlink a\/l points to a\/missing, which is not a file/,
    ],
    [
      "checksum",
      [{ name: "ok.txt", body }, { name: "b.txt", body, badChecksum: true }],
      /corrupt tar header \(checksum/,
    ],
  ];
  await withTmp(async (dir) => {
    for (const [what, entries, pattern] of cases) {
      const archive = `${dir}/${what.replaceAll(" ", "_")}.tar.gz`;
      await Deno.writeFile(archive, await gzip(makeTar(entries)));
      await Deno.mkdir(`${dir}/root/inner`, { recursive: true });
      await assert.rejects(data.extractTarGz(archive, `${dir}/root/inner`), (e: Error) => {
        assert.match(e.message, pattern, what);
        assert.ok(e.message.includes(archive), `${what}: the message names the archive`);
        return true;
      });
      // nothing written, inside or outside root
      assert.deepEqual(await listAll(`${dir}/root`), ["inner"], what);
      await Deno.remove(`${dir}/root`, { recursive: true });
    }
    // a truncated archive
    const full = await gzip(makeTar([{ name: "a.bin", body: new Uint8Array(5000) }]));
    await Deno.writeFile(`${dir}/cut.tar.gz`, full.subarray(0, full.length - 20));
    await assert.rejects(data.extractTarGz(`${dir}/cut.tar.gz`, `${dir}/out2`), /cut\.tar\.gz/);
    assert.deepEqual(await listAll(`${dir}/out2`), []);
  });
});

// ---------------------------------------------------------------- MNIST

Deno.test("MNIST reads raw and gzip IDX files alike", async () => {
  await withTmp(async (dir) => {
    const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => i);
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, idx(3, [3, 2, 4], pixels));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte.gz`, await gzip(idx(1, [3], Uint8Array.from([7, 2, 1]))));
    await Deno.mkdir(`${dir}/MNIST/raw`, { recursive: true });
    await Deno.writeFile(
      `${dir}/MNIST/raw/t10k-images-idx3-ubyte.gz`,
      await gzip(idx(3, [1, 2, 4], pixels.subarray(0, 8))),
    );
    await Deno.writeFile(`${dir}/MNIST/raw/t10k-labels-idx1-ubyte`, idx(1, [1], Uint8Array.from([4])));
    const train = await data.MNIST({ root: dir, transform: toTensor() });
    assert.equal(train.length, 3);
    assert.deepEqual([...train.targets], [7, 2, 1]);
    const [x, y] = train.get(1);
    assert.deepEqual(x.shape, [1, 2, 4]);
    assert.deepEqual([...x.data].map((v) => Math.round(v * 255)), [8, 9, 10, 11, 12, 13, 14, 15]);
    assert.equal(y, 2);
    const test = await data.MNIST({ root: dir, train: false });
    assert.equal(test.length, 1);
    assert.deepEqual([...test.get(0)[0].data], [0, 1, 2, 3, 4, 5, 6, 7]);
    const [[bx, by]] = await Array.fromAsync(new data.DataLoader(test, { batchSize: 8 }));
    assert.deepEqual(bx.shape, [1, 1, 2, 4]);
    assert.deepEqual(await by.toArray(), [4]);
  });
});

Deno.test("MNIST rejects bad magic numbers, truncated files and count mismatches, naming the file", async () => {
  await withTmp(async (dir) => {
    const labels = `${dir}/train-labels-idx1-ubyte`, images = `${dir}/train-images-idx3-ubyte`;
    await Deno.writeFile(labels, idx(1, [2], Uint8Array.from([0, 1])));
    const bad = idx(3, [2, 2, 2], new Uint8Array(8));
    bad[2] = 0x0d; // float data, not unsigned bytes
    await Deno.writeFile(images, bad);
    await assert.rejects(data.MNIST({ root: dir }), /train-images-idx3-ubyte: bad IDX magic number 00 00 0d 03/);
    await Deno.writeFile(images, idx(1, [8], new Uint8Array(8))); // a label file where images belong
    await assert.rejects(data.MNIST({ root: dir }), /train-images-idx3-ubyte: bad IDX magic number 00 00 08 01/);
    await Deno.writeFile(images, idx(3, [2, 2, 2], new Uint8Array(8)).subarray(0, 20));
    await assert.rejects(
      data.MNIST({ root: dir }),
      /train-images-idx3-ubyte: IDX header says shape \[2,2,2\] \(24 bytes\)/,
    );
    await Deno.writeFile(images, idx(3, [3, 2, 2], new Uint8Array(12)));
    await assert.rejects(data.MNIST({ root: dir }), /holds 3 images but .*train-labels-idx1-ubyte holds 2 labels/);
    await Deno.writeFile(images, new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
    await assert.rejects(data.FashionMNIST({ root: dir }), /train-images-idx3-ubyte: corrupt gzip data/);
  });
});

Deno.test("MNIST without files: download false names the folder, offline download fails fast and leaves nothing", async () => {
  await withTmp(async (dir) => {
    await assert.rejects(data.MNIST({ root: dir }), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`missing train-images-idx3-ubyte\\[\\.gz\\], train-labels-idx1-ubyte\\[\\.gz\\] in ${dir}`),
      );
      assert.match(e.message, /download: true/);
      return true;
    });
    await assert.rejects(data.FashionMNIST({ root: dir, download: true, fetch: offlineFetch }), (e: Error) => {
      assert.match(
        e.message,
        /could not download http:\/\/fashion-mnist\.s3-website\.eu-central-1\.amazonaws\.com\/train-images-idx3-ubyte\.gz/,
      );
      assert.match(e.message, new RegExp(`put the files in ${dir} `));
      return true;
    });
    const wrong: typeof fetch = () => Promise.resolve(new Response("not the file"));
    await assert.rejects(
      data.MNIST({ root: dir, download: true, fetch: wrong }),
      /expected f68b3c2dcbeaaa9fbdd348bbdeb94873/,
    );
    assert.deepEqual(await listAll(dir), []);
  });
});

const fashionReadable = (() => {
  try {
    return Deno.permissions.querySync({ name: "read", path: FASHION }).state === "granted" &&
      Deno.statSync(`${FASHION}/t10k-images-idx3-ubyte.gz`).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "FashionMNIST reads Debian's real Fashion-MNIST test split when it is installed",
  ignore: !fashionReadable,
  fn: async () => {
    const test = await data.FashionMNIST({ root: FASHION, train: false });
    assert.equal(test.length, 10000);
    assert.deepEqual([...test.targets.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assert.equal(test.classes[test.targets[0]], "Ankle boot");
    const [img] = test.get(0);
    assert.deepEqual(img.shape, [1, 28, 28]);
    assert.equal([...img.data].reduce((a, b) => a + b, 0), 33456);
  },
});
