/**
 * The shapes of op-table entries. An elementwise entry is everything about one op: its operands
 * and params, how it picks the type it computes in, its forward (backend code for a primitive, an
 * {@link Expr} over other entries for a composite), a float64 reference closure, its gradient
 * written with tensor ops, the domain its tests draw from, its doc line and PyTorch's spelling.
 * Every field is required where it matters, so an entry missing a piece does not type-check.
 *
 * This module sits below `lib/tensor` and `lib/backend` and imports neither: gradient rules see
 * tensors through the structural {@link GradTensor} interface, which `Tensor` satisfies.
 * @module
 */
import type { Expr } from "./expr.ts";

/** Value types of generated code: float (f32 in WGSL), int (i32, wrapping) and bool. */
export type ScalarType = "float" | "int" | "bool";

/**
 * How an op picks the type it computes in and the type it returns:
 * - `float`     computes in float; integer and bool inputs are converted (the tensor layer casts them to float32).
 * - `numeric`   computes in the operands' common type (int32 wraps; all-bool operands compute in float and
 *               are stored as `!= 0`), returns that type.
 * - `divide`    `numeric` in kernels (int32 division truncates toward zero), but the tensor layer gives
 *               integer operands a float32 result, as PyTorch's true division does.
 * - `rounding`  `numeric`, and the identity on integers (the tensor layer returns integer tensors as they are).
 * - `compare`   compares in the operands' common type (bool compares as int); returns bool.
 * - `logic`     takes operands as booleans (`x != 0`); returns bool.
 * - `predicate` tests float values (NaN, ±Infinity); false for integers; returns bool.
 * - `select`    `where(cond, a, b)`: cond as a boolean, `a` and `b` in their common type.
 * - `copy`      the identity; the output dtype decides (a cast).
 */
export type Policy =
  | "float"
  | "numeric"
  | "divide"
  | "rounding"
  | "compare"
  | "logic"
  | "predicate"
  | "select"
  | "copy";

/** Code of a primitive per type it computes in; `$0`, `$1`, `$2` stand for the operands (already of that type). */
export type TypedCode = Partial<Record<ScalarType, string>>;

/**
 * A primitive: the backend code of one op. WGSL may call the helpers of `kernels/math.wgsl`; JavaScript
 * may call `lib.<name>` for the helpers of `lib/ops/_math.ts` ({@link JS_HELPERS}). A type the op computes
 * in (see {@link Policy}) must have code here.
 */
export interface PrimitiveCode {
  readonly wgsl: TypedCode;
  readonly js: TypedCode;
}

/** A tensor or a scalar standing in for one. */
export type Operand = GradTensor | number | boolean;

/**
 * The tensor methods gradient rules use. `Tensor` satisfies it structurally; a rule that needs a
 * method `Tensor` lacks does not type-check where the tensor layer applies it.
 */
export interface GradTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
  add(other: Operand): GradTensor;
  sub(other: Operand): GradTensor;
  mul(other: Operand): GradTensor;
  div(other: Operand): GradTensor;
  pow(other: Operand): GradTensor;
  neg(): GradTensor;
  exp(): GradTensor;
  log(): GradTensor;
  sqrt(): GradTensor;
  sin(): GradTensor;
  cos(): GradTensor;
  tanh(): GradTensor;
  sigmoid(): GradTensor;
  erf(): GradTensor;
  sign(): GradTensor;
  floor(): GradTensor;
  square(): GradTensor;
  reciprocal(): GradTensor;
  eq(other: Operand): GradTensor;
  ne(other: Operand): GradTensor;
  gt(other: Operand): GradTensor;
  ge(other: Operand): GradTensor;
  lt(other: Operand): GradTensor;
  le(other: Operand): GradTensor;
  logicalAnd(other: Operand): GradTensor;
  logicalOr(other: Operand): GradTensor;
  logicalNot(): GradTensor;
  /** `cond ? this : other`. */
  where(cond: GradTensor, other: Operand): GradTensor;
  /** `mask ? value : this`. */
  maskedFill(mask: GradTensor, value: number): GradTensor;
  cast(dtype: string): GradTensor;
}

/** What a gradient rule receives: the incoming gradient `g`, the op's output, its operands by name and params. */
export type GradArgs<A extends string, P> =
  & { readonly g: GradTensor; readonly out: GradTensor; readonly p: Readonly<P> }
  & { readonly [K in A]: GradTensor };

/** The gradient for one operand, in the output's (broadcast) shape; the tensor layer sums it down. */
export type GradRule<A extends string, P> = (c: GradArgs<A, P>) => GradTensor;

/**
 * An op's gradient: per operand a rule, or null for operands that take none (a condition);
 * `"zero"` for piecewise-constant ops (floor, sign); `"none"` for ops outside autograd (comparisons).
 */
export type GradSpec<A extends string, P> = "none" | "zero" | { readonly [K in A]: GradRule<A, P> | null };

/** The same gradient as one expression (one kernel) for use when no graph of the gradient is being built. */
export type FusedGradSpec<A extends string, P> = {
  readonly [K in A]?: (e: { readonly [N in A | "g" | "out"]: Expr }, p: { readonly [N in keyof P]: Expr }) => Expr;
};

/** A scalar function of float64 values with the op's params bound. */
export type ScalarFn = (a: number, b: number, c: number) => number;

/** Where tests draw an operand from: `[lo, hi]` for every operand, or per operand name. */
export type Domain<A extends string> = readonly [number, number] | { readonly [K in A]?: readonly [number, number] };

/** An elementwise op of the table. */
export interface ElementwiseEntry<
  N extends readonly string[] = readonly string[],
  P extends Record<string, number> = Record<string, number>,
  M extends string = string,
> {
  readonly kind: "elementwise";
  /** Operand names, in order (their count is the arity). */
  readonly args: N;
  /** Param names and their defaults, in the order backends receive them. */
  readonly params: P;
  readonly policy: Policy;
  /** Backend code (a primitive) or the op composed from other entries. */
  readonly forward:
    | PrimitiveCode
    | ((x: { readonly [K in N[number]]: Expr }, p: { readonly [K in keyof P]: Expr }) => Expr);
  /** The float64 reference (the cpu backend's code and the oracle of the tests). */
  readonly reference: (p: Readonly<P>) => ScalarFn;
  /** The reference for int32 arithmetic where float64 then truncation would differ (wrapping products, integer pow). */
  readonly referenceInt?: (p: Readonly<P>) => ScalarFn;
  readonly grad: GradSpec<N[number], P>;
  /** One-kernel form of {@link grad}, where the measured hot paths need it. */
  readonly fusedGrad?: FusedGradSpec<N[number], P>;
  /** Whether the gradient rule is itself differentiable (tested with gradgradcheck); default true. */
  readonly gradgrad?: boolean;
  readonly domain: Domain<N[number]>;
  /** Values worth testing besides 0, ±0, ±1, ±Infinity and NaN (the domain's edges, thresholds). */
  readonly special?: readonly number[];
  /** Param values the tests run besides the defaults. */
  readonly paramCases?: readonly Partial<P>[];
  /**
   * False where the sign of a zero result is not defined: PyTorch's own answer then depends on its
   * code path (its vectorized `maximum(0, −0)` differs from its scalar one), so tests skip it.
   */
  readonly zeroSign?: boolean;
  /** Tolerance of float32 kernels against the float64 reference (default rtol 1e-5, atol 1e-6). */
  readonly tolerance?: { readonly rtol: number; readonly atol: number };
  /** One line for the docs and FEATURES.md. */
  readonly doc: string;
  /** PyTorch's form as a Python expression of the operand names, params and `torch`/`F` (tests' fixtures). */
  readonly torch: string;
  /** The `Tensor` method that exposes the op, when one does (checked to exist on `Tensor`). */
  readonly method?: M;
}

/**
 * Any elementwise entry, with the operand and param names erased: what tables and generic code
 * hold. (Function parameters are `never` so every specific entry is assignable; the generic
 * code that calls them passes objects built from the entry's own `args` and `params`.)
 */
export interface AnyElementwiseEntry {
  readonly kind: "elementwise";
  readonly args: readonly string[];
  readonly params: Readonly<Record<string, number>>;
  readonly policy: Policy;
  readonly forward: PrimitiveCode | ((x: never, p: never) => Expr);
  readonly reference: (p: never) => ScalarFn;
  readonly referenceInt?: (p: never) => ScalarFn;
  readonly grad: "none" | "zero" | { readonly [arg: string]: ((c: never) => GradTensor) | null };
  readonly fusedGrad?: { readonly [arg: string]: ((e: never, p: never) => Expr) | undefined };
  readonly gradgrad?: boolean;
  readonly domain: readonly [number, number] | { readonly [arg: string]: readonly [number, number] | undefined };
  readonly special?: readonly number[];
  readonly paramCases?: readonly Readonly<Record<string, number>>[];
  readonly zeroSign?: boolean;
  readonly tolerance?: { readonly rtol: number; readonly atol: number };
  readonly doc: string;
  readonly torch: string;
  readonly method?: string;
}

/** Entry kinds beside elementwise: each holds what its kind's kernels, docs and tests read. */
export type OpKind = "elementwise" | "reduce" | "scan" | "index" | "movement" | "composite";

/**
 * Declares an elementwise entry; infers the operand names from `args` and the params from
 * `params`, and checks every other field against them.
 */
export function elementwise<
  const N extends readonly string[],
  P extends Record<string, number> = Record<never, number>,
  const M extends string = never,
>(
  entry: {
    readonly args: N;
    readonly params?: P;
    readonly policy: Policy;
    readonly forward:
      | PrimitiveCode
      | ((x: { readonly [K in NoInfer<N[number]>]: Expr }, p: { readonly [K in keyof NoInfer<P>]: Expr }) => Expr);
    readonly reference: (p: Readonly<NoInfer<P>>) => ScalarFn;
    readonly referenceInt?: (p: Readonly<NoInfer<P>>) => ScalarFn;
    readonly grad: GradSpec<NoInfer<N[number]>, NoInfer<P>>;
    readonly fusedGrad?: FusedGradSpec<NoInfer<N[number]>, NoInfer<P>>;
    readonly gradgrad?: boolean;
    readonly domain: Domain<NoInfer<N[number]>>;
    readonly special?: readonly number[];
    readonly paramCases?: readonly Partial<NoInfer<P>>[];
    readonly zeroSign?: boolean;
    readonly tolerance?: { readonly rtol: number; readonly atol: number };
    readonly doc: string;
    readonly torch: string;
    readonly method?: M;
  },
): ElementwiseEntry<N, P, M> {
  return { kind: "elementwise", ...entry, params: entry.params ?? ({} as P) };
}
