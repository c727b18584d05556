import assert from "node:assert/strict";
import { type DType, getDefaultDevice, tensor, zeros } from "../../mod.ts";

interface Case {
  name: string;
  shape: number[];
  dtype: DType;
  values: (number | boolean | string)[];
  expected: string;
  requiresGrad?: boolean;
  precision?: number;
  threshold?: number;
}

const fixture: { cases: Case[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/tensor_format.json", import.meta.url)),
);

function decode(v: number | boolean | string): number | boolean {
  return v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v as number | boolean;
}

/** torch's text as it reads for a tensor on `device` (torch's cases are all on its default, cpu). */
function onDevice(expected: string, device: string): string {
  if (device === "cpu") return expected;
  return expected.replace(/(, (size|dtype|requiresGrad)=.*)?\)$/s, `, device='${device}'$1)`);
}

for (const c of fixture.cases) {
  Deno.test(`format() matches PyTorch 1.13: ${c.name}`, async () => {
    const device = c.dtype === "float64" ? "cpu" : getDefaultDevice();
    const size = c.shape.reduce((a, b) => a * b, 1);
    const t = size === 0
      ? zeros(c.shape, { dtype: c.dtype, device })
      : tensor(c.values.map(decode) as number[], { dtype: c.dtype, device }).reshape(c.shape);
    if (c.requiresGrad) t.requiresGrad_(true);
    const text = await t.format({ precision: c.precision, threshold: c.threshold });
    assert.equal(text, onDevice(c.expected, device));
  });
}

Deno.test("format() names the op that produced a tensor, and print() writes the text", async () => {
  const x = tensor([1.5, -2], { requiresGrad: true });
  const y = x.mul(2);
  assert.match(await y.format(), /^tensor\(\[ 3\., -4\.\](, device='\w+')?, gradFn=<\w+>\)$/);
  const logged: string[] = [];
  const original = console.log;
  console.log = (s: string) => logged.push(s);
  try {
    await x.print({ precision: 1 });
  } finally {
    console.log = original;
  }
  assert.match(logged[0], /^tensor\(\[ 1\.5, -2\.0\]/);
});

Deno.test("a tensor's Jupyter display is its text plus an HTML table", async () => {
  const t = tensor([[1.25, 2], [3, 4]]);
  const display = (t as unknown as Record<symbol, () => Promise<Record<string, string>>>)[
    Symbol.for("Jupyter.display")
  ];
  const bundle = await display.call(t);
  assert.equal(bundle["text/plain"], await t.format());
  assert.match(bundle["text/html"], /<table[^>]*>.*<td>1\.2500<\/td><td>2\.0000<\/td><\/tr><tr><td>3\.0000<\/td>/s);
  assert.match(bundle["text/html"], /shape=\[2, 2\] dtype=float32/);
});

Deno.test("format() rejects a negative precision", async () => {
  await assert.rejects(tensor([1]).format({ precision: -1 }), RangeError);
});
