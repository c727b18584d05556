/**
 * Generated tests: every elementwise entry of the op table, with no test written per op.
 * For each entry:
 * - the cpu and webgpu kernels (eager and the lazy engine's) against the float64 reference, on odd
 *   sizes, transposed and strided views, broadcast operands, each dtype the entry computes in and
 *   each of its param sets;
 * - the fused kernel (op params as literals and as uniforms) against the reference's fused path;
 * - the JavaScript generated from the entry's expression form against its reference closure;
 * - gradcheck on the entry's domain (float64 finite differences), gradgradcheck unless the entry
 *   says its gradient is not differentiable;
 * - special values (0, ±0, ±1, ±Infinity, NaN, domain edges, the entry's own) against PyTorch's
 *   answers in tests/fixtures/op_values.json, on every device.
 *
 * Tolerances: float32 kernels against the float64 reference at the entry's tolerance (default
 * rtol 1e-5, atol 1e-6: WGSL allows transcendentals a few ulp and absolute error near zeros);
 * generated JavaScript computes in float64 like the reference, at 1e-12; integers and bools exact.
 */
import assert from "node:assert/strict";
import { gradcheck, gradgradcheck, setEager, type Tensor, tensor } from "../../mod.ts";
import type { Backend, DType, Operand, View } from "../../lib/backend/backend.ts";
import { backendFor, type Device, ensureWebGPU } from "../../lib/tensor/device.ts";
import { ELEMENTWISE, type ElementwiseOp, paramValues } from "../../lib/ops/table.ts";
import type { AnyElementwiseEntry, ScalarType } from "../../lib/ops/entry.ts";
import type { Expr } from "../../lib/ops/expr.ts";
import { compileJsKernel, type KernelArray } from "../../lib/backend/codegen_js.ts";
import { elementwise } from "../../lib/tensor/ops_elementwise.ts";
import { assertClose, randomArray } from "../_helpers.ts";
import { decode, paramSets, type SpecialCase, specialCases } from "./_special_values.ts";

const hasGpu = await ensureWebGPU();
const ref = backendFor("reference");
const gpu = hasGpu ? backendFor("webgpu") : null;
/** The backends whose kernels are checked against the reference. */
const targets: [string, Backend][] = [
  ["cpu", backendFor("cpu")],
  ...(gpu ? [["webgpu", gpu] as [string, Backend]] : []),
];

const entries = Object.entries(ELEMENTWISE) as [ElementwiseOp, AnyElementwiseEntry][];
const BOOL_OUT = new Set(["compare", "logic", "predicate"]);

/** The dtypes an entry's kernels run on (the dtype of its value operands). */
function kernelDtypes(e: AnyElementwiseEntry): DType[] {
  if (e.policy === "logic") return ["bool"];
  if (e.policy === "float") return ["float32"];
  return ["float32", "int32"];
}

/** The dtype an operand of `e` holds when the entry computes on `dtype` (a condition is bool). */
function operandDtype(e: AnyElementwiseEntry, k: number, dtype: DType): DType {
  return e.policy === "select" && k === 0 ? "bool" : dtype;
}

function outDtypeOf(e: AnyElementwiseEntry, dtype: DType): DType {
  return BOOL_OUT.has(e.policy) ? "bool" : dtype;
}

function domainOf(e: AnyElementwiseEntry, k: number): readonly [number, number] {
  const d = e.domain;
  if (Array.isArray(d)) return d as readonly [number, number];
  return (d as Record<string, readonly [number, number] | undefined>)[e.args[k]] ?? [-3, 3];
}

/** Second operands whose integer values stay within the domain itself (divisors, exponents). */
const NARROW_INT_OPERAND = new Set(["div", "mod", "pow"]);

/**
 * `n` values for operand `k` of `op` as `dtype` holds them: floats from the domain, integers from
 * ten times the domain (so sums and products wrap), except divisors and exponents.
 */
function valuesFor(op: string, e: AnyElementwiseEntry, k: number, dtype: DType, n: number, seed: number): number[] {
  if (dtype === "bool") return randomArray(n, 0, 2, seed, { int: true });
  const [lo, hi] = domainOf(e, k);
  if (dtype === "int32") {
    const span = k === 1 && NARROW_INT_OPERAND.has(op) ? 1 : 10;
    return randomArray(n, Math.ceil(lo * span), Math.floor(hi * span) + 1, seed, { int: true });
  }
  return randomArray(n, lo, hi, seed, { float32: true });
}

/** Operand layouts the kernels must read: `[storage size, view]` per operand, all views of one shape. */
function layouts(arity: number): { name: string; views: [number, View][] }[] {
  const contiguous = (n: number): [number, View] => [n, { shape: [n], strides: [1], offset: 0 }];
  const out = [1, 7, 33, 257, 1031].map((n) => ({
    name: `${n} elements`,
    views: Array.from({ length: arity }, () => contiguous(n)),
  }));
  const transposed: [number, View] = [35, { shape: [7, 5], strides: [1, 7], offset: 0 }];
  const strided: [number, View] = [60, { shape: [7, 5], strides: [8, 1], offset: 3 }];
  out.push({ name: "transposed and strided views", views: [transposed, strided, transposed].slice(0, arity) });
  const rows: [number, View] = [7, { shape: [3, 7], strides: [0, 1], offset: 0 }];
  const cols: [number, View] = [3, { shape: [3, 7], strides: [1, 0], offset: 0 }];
  const full: [number, View] = [21, { shape: [3, 7], strides: [7, 1], offset: 0 }];
  out.push({ name: "broadcast operands", views: [cols, rows, full].slice(0, arity) });
  out.push({
    name: "rank 3",
    views: Array.from({ length: arity }, (_, k): [number, View] => [
      24 + k,
      { shape: [2, 3, 4], strides: [1, 8, 2], offset: k },
    ]),
  });
  return out;
}

async function run(
  b: Backend,
  op: ElementwiseOp,
  data: number[][],
  views: View[],
  dtypes: DType[],
  out: DType,
  params: readonly number[],
  kernel: "elementwise" | "evaluate" = "elementwise",
) {
  const storages = data.map((d, k) => b.upload(d, dtypes[k]));
  const operands: Operand[] = storages.map((storage, k) => ({ storage, view: views[k] }));
  // the lazy engine's kernel: the op as a one-node program, its params literals as the engine writes them
  const expr: Expr = { op, args: operands.map((_, k) => ({ input: k })), params: params.map((v) => ({ const: v })) };
  const s = kernel === "evaluate"
    ? b.evaluate!([expr], operands, [out], [])[0]
    : b.elementwise(op, operands, out, params);
  try {
    return await b.read(s);
  } finally {
    for (const x of [...storages, s]) b.free(x);
  }
}

function tolerance(e: AnyElementwiseEntry, dtype: DType) {
  if (dtype !== "float32") return { rtol: 0, atol: 0 };
  return e.tolerance ?? { rtol: 1e-5, atol: 1e-6 };
}

/** A kernel of `op` on `target` (eager or lazy) against the reference on every layout, dtype and param set. */
async function checkKernel(
  target: Backend,
  op: ElementwiseOp,
  e: AnyElementwiseEntry,
  kernel: "elementwise" | "evaluate",
) {
  for (const dtype of kernelDtypes(e)) {
    for (const params of paramSets(e)) {
      const values = paramValues(e, Object.values(params));
      for (const { name, views } of layouts(e.args.length)) {
        const dtypes = e.args.map((_, k) => operandDtype(e, k, dtype));
        const data = views.map(([size], k) => valuesFor(op, e, k, dtypes[k], size, 17 + k));
        const out = outDtypeOf(e, dtype);
        const vs = views.map(([, v]) => v);
        const want = await run(ref, op, data, vs, dtypes, out, values);
        const got = await run(target, op, data, vs, dtypes, out, values, kernel);
        const what = `${op} ${target.name} ${kernel} ${dtype} ${JSON.stringify(params)} ${name}`;
        assertClose(got, want, { ...tolerance(e, dtype), what });
      }
    }
  }
}

/** `target`'s fused kernel computing `op` over contiguous float32 inputs (one of them a broadcast scalar). */
async function checkFused(target: Backend, op: ElementwiseOp, e: AnyElementwiseEntry) {
  const n = 257;
  for (const params of paramSets(e)) {
    const values = paramValues(e, Object.values(params));
    const args: Expr[] = e.args.map((_, k) => ({ input: k }));
    const programs: [string, Expr, readonly number[]][] = [
      ["literal params", { op, args, params: values.map((v) => ({ const: v })) }, []],
      ["uniform params", { op, args, params: values.map((_, k) => ({ param: k })) }, values],
    ];
    const sizes = e.args.map((_, k) => (k === e.args.length - 1 && k > 0 ? 1 : n));
    const data = sizes.map((size, k) => {
      const v = valuesFor(op, e, k, "float32", size, 5 + k);
      return e.policy === "logic" || (e.policy === "select" && k === 0) ? v.map((x) => (x > 0 ? 1 : 0)) : v;
    });
    for (const [name, expr, uniforms] of programs) {
      const read = async (b: Backend) => {
        const ins = data.map((d) => b.upload(d, "float32"));
        const [o] = b.fused([expr], ins, n, uniforms, "float32");
        const r = await b.read(o);
        for (const s of [...ins, o]) b.free(s);
        return r;
      };
      const want = await read(ref);
      assertClose(await read(target), want, {
        ...tolerance(e, "float32"),
        what: `${op} ${target.name} fused, ${name}`,
      });
    }
  }
}

const SCALAR: Record<string, ScalarType> = { float64: "float", float32: "float", int32: "int", bool: "bool" };

function hostArray(dtype: DType, n: number): KernelArray {
  return dtype === "float64" ? new Float64Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint8Array(n);
}

/** The generated JavaScript of `op` against the entry's reference closure (float64 and int32). */
function checkJs(op: ElementwiseOp, e: AnyElementwiseEntry) {
  const dtypes: DType[] = e.policy === "logic" ? ["bool"] : e.policy === "float" ? ["float64"] : ["float64", "int32"];
  const n = 64;
  for (const dtype of dtypes) {
    for (const params of paramSets(e)) {
      const values = paramValues(e, Object.values(params));
      const types = e.args.map((_, k) => operandDtype(e, k, dtype));
      const data = types.map((t, k) => valuesFor(op, e, k, t, n, 11 + k));
      const out = outDtypeOf(e, dtype);
      const expr: Expr = {
        op,
        args: e.args.map((_, k) => ({ input: k })),
        params: values.map((_, k) => ({ param: k })),
      };
      const kernel = compileJsKernel([expr], types.map((t) => SCALAR[t]), [SCALAR[out]], values.length);
      const got = hostArray(out, n);
      const arrays = data.map((d, k) => {
        const a = hostArray(types[k], d.length);
        a.set(d);
        return a;
      });
      kernel(arrays, [got], n, values);
      const make = dtype === "int32" && e.referenceInt ? e.referenceInt : e.reference;
      const f = (make as (p: unknown) => (a: number, b: number, c: number) => number)(params);
      const want = hostArray(out, n);
      for (let i = 0; i < n; i++) {
        const r = f(data[0][i], data[1]?.[i], data[2]?.[i]);
        want[i] = out === "bool" ? (r !== 0 ? 1 : 0) : r;
      }
      assertClose(got, want, {
        rtol: dtype === "float64" ? 1e-12 : 0,
        atol: dtype === "float64" ? 1e-15 : 0,
        what: `${op} js ${dtype}`,
      });
    }
  }
}

/** float64 cpu operands of `e` for gradcheck: the first full, the others broadcast along the first dim. */
function gradInputs(op: string, e: AnyElementwiseEntry, seed: number): { cond: Tensor | null; xs: Tensor[] } {
  const shapes = e.args.map((_, k) => (k === 0 ? [3, 4] : [4]));
  let cond: Tensor | null = null;
  const xs: Tensor[] = [];
  e.args.forEach((_, k) => {
    const values = valuesFor(op, e, k, "float32", shapes[k][0] * (shapes[k][1] ?? 1), seed + k);
    if (e.policy === "select" && k === 0) {
      cond = tensor(values.map((v) => v > 0), { device: "cpu" }).reshape(shapes[k]);
    } else {
      xs.push(tensor(values, { dtype: "float64", device: "cpu" }).reshape(shapes[k]).requiresGrad_());
    }
  });
  return { cond, xs };
}

async function checkGrad(op: ElementwiseOp, e: AnyElementwiseEntry, second: boolean) {
  for (const params of paramSets(e)) {
    const values = paramValues(e, Object.values(params));
    const { cond, xs } = gradInputs(op, e, 23);
    const fn = (...ts: Tensor[]) => elementwise(op, cond ? [cond, ...ts] : ts, values);
    if (second) assert.equal(await gradgradcheck(fn, xs), true);
    else assert.equal(await gradcheck(fn, xs), true);
  }
}

const expectedCases = specialCases();
const fixture = JSON.parse(await Deno.readTextFile(new URL("../fixtures/op_values.json", import.meta.url)));
const fixtureCases: (SpecialCase & { expected: (number | string)[] })[] = fixture.cases;
const fixtureCurrent = JSON.stringify(fixtureCases.map(({ expected: _, ...c }) => c)) === JSON.stringify(expectedCases);

Deno.test("op table: tests/fixtures/op_values.json covers every special-value case of the table", () => {
  assert.ok(
    fixtureCurrent,
    "tests/fixtures/op_values.json is stale (the op table changed): run `deno task fixtures:ops` and commit it",
  );
});

async function checkSpecial(op: ElementwiseOp, e: AnyElementwiseEntry, device: Device) {
  for (const c of fixtureCases.filter((c) => c.op === op)) {
    if (device === "webgpu" && c.dtype === "float64") continue;
    const ts = c.inputs.map((vs, k) => {
      const dtype = e.policy === "select" && k === 0 ? "bool" : c.dtype;
      return tensor(vs.map(decode), { dtype, device });
    });
    const params = paramValues(e, Object.keys(e.params).map((k) => decode(c.params[k])));
    const got = await elementwise(op, ts, params).data();
    const want = c.expected.map(decode);
    const tol = c.dtype === "float64"
      ? { rtol: 1e-12, atol: 1e-300 }
      : c.dtype === "float32"
      ? tolerance(e, "float32")
      : { rtol: 0, atol: 0 };
    const what = `${op} ${c.dtype} ${JSON.stringify(c.params)} on ${device}, inputs ${
      JSON.stringify(c.inputs.map((v) => v))
    }`;
    assertClose(got, want, { ...tol, what });
    // The sign of a zero result is part of the answer (neg, abs, round, relu of −0), where PyTorch
    // itself agrees on it: its vectorized float32 paths give other signs than its float64 ones
    // for maximum(0, −0) or gelu(−0), and those are not checked.
    if (device !== "webgpu" && e.zeroSign !== false && (c.dtype === "float32" || c.dtype === "float64")) {
      const twin = c.dtype === "float32" ? "float64" : "float32";
      const params = JSON.stringify(c.params);
      const other = fixtureCases.find((o) => o.op === op && o.dtype === twin && JSON.stringify(o.params) === params);
      want.forEach((w, i) => {
        const agreed = other !== undefined && Object.is(decode(other.expected[i]), w);
        if (w === 0 && got[i] === 0 && agreed) {
          assert.equal(Object.is(got[i], -0), Object.is(w, -0), `${what}: sign of zero at ${i}`);
        }
      });
    }
  }
}

for (const [op, e] of entries) {
  Deno.test(`op table: ${op}`, async (t) => {
    for (const [name, target] of targets) {
      await t.step(
        `${name} kernel matches the reference (odd sizes, views, broadcasting)`,
        () => checkKernel(target, op, e, "elementwise"),
      );
      await t.step(`${name}: lazy engine's kernel matches the reference`, () => checkKernel(target, op, e, "evaluate"));
      await t.step(`${name}: fused kernel matches the reference`, () => checkFused(target, op, e));
    }
    await t.step("generated JavaScript matches the reference closure", () => checkJs(op, e));
    if (e.grad !== "none") {
      await t.step("gradcheck on its domain", () => checkGrad(op, e, false));
      if (e.gradgrad !== false && e.grad !== "zero") await t.step("gradgradcheck", () => checkGrad(op, e, true));
    }
    if (fixtureCurrent) {
      await t.step("special values match PyTorch on reference", () => checkSpecial(op, e, "reference"));
      await t.step("special values match PyTorch on cpu", () => checkSpecial(op, e, "cpu"));
      if (gpu) {
        await t.step("special values match PyTorch on webgpu (lazy)", () => checkSpecial(op, e, "webgpu"));
        await t.step("special values match PyTorch on webgpu (eager)", async () => {
          const before = setEager(true);
          try {
            await checkSpecial(op, e, "webgpu");
          } finally {
            setEager(before);
          }
        });
      }
    }
  });
}
