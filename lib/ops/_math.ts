/**
 * Scalar math that JavaScript's `Math` lacks or gets subtly different from PyTorch: a
 * float64-accurate `erf`, half-to-even rounding, IEEE `pow`, Python- and C-style integer remainders,
 * `copysign` by the sign bit and NaN-propagating min/max. The reference closures of the op table use them, and generated
 * JavaScript reaches them as `lib.<name>` ({@link JS_HELPERS}).
 * @module
 */

// Coefficients of FreeBSD/Sun fdlibm `s_erf.c` (the reference erf of most libms).
const ERX = 8.45062911510467529297e-01;
const EFX = 1.28379167095512586316e-01;
const PP = [
  1.28379167095512558561e-01,
  -3.25042107247001499370e-01,
  -2.84817495755985104766e-02,
  -5.77027029648944159157e-03,
  -2.37630166566501626084e-05,
];
const QQ = [
  1,
  3.97917223959155352819e-01,
  6.50222499887672944485e-02,
  5.08130628187576562776e-03,
  1.32494738004321644526e-04,
  -3.96022827877536812320e-06,
];
const PA = [
  -2.36211856075265944077e-03,
  4.14856118683748331666e-01,
  -3.72207876035701323847e-01,
  3.18346619901161753674e-01,
  -1.10894694282396677476e-01,
  3.54783043256182359371e-02,
  -2.16637559486879084300e-03,
];
const QA = [
  1,
  1.06420880400844228286e-01,
  5.40397917702171048937e-01,
  7.18286544141962662868e-02,
  1.26171219808761642112e-01,
  1.36370839120290507362e-02,
  1.19844998467991074170e-02,
];
const RA = [
  -9.86494403484714822705e-03,
  -6.93858572707181764372e-01,
  -1.05586262253232909814e+01,
  -6.23753324503260060396e+01,
  -1.62396669462573470355e+02,
  -1.84605092906711035994e+02,
  -8.12874355063065934246e+01,
  -9.81432934416914548592e+00,
];
const SA = [
  1,
  1.96512716674392571292e+01,
  1.37657754143519042600e+02,
  4.34565877475229228821e+02,
  6.45387271733267880336e+02,
  4.29008140027567833386e+02,
  1.08635005541779435134e+02,
  6.57024977031928170135e+00,
  -6.04244152148580987438e-02,
];
const RB = [
  -9.86494292470009928597e-03,
  -7.99283237680523006574e-01,
  -1.77579549177547519889e+01,
  -1.60636384855821916062e+02,
  -6.37566443368389627722e+02,
  -1.02509513161107724954e+03,
  -4.83519191608651397019e+02,
];
const SB = [
  1,
  3.03380607434824582924e+01,
  3.25792512996573918826e+02,
  1.53672958608443695994e+03,
  3.19985821950859553908e+03,
  2.55305040643316442583e+03,
  4.74528541206955367215e+02,
  -2.24409524465858183362e+01,
];

/** Horner evaluation of `c[0] + c[1]·x + c[2]·x² + …`. */
function poly(c: readonly number[], x: number): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) r = r * x + c[i];
  return r;
}

const splitF64 = new Float64Array(1);
const splitU32 = new Uint32Array(splitF64.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** `x` with the low 32 bits of its significand cleared (fdlibm's `SET_LOW_WORD(z, 0)`). */
function truncateLowWord(x: number): number {
  splitF64[0] = x;
  splitU32[LOW_WORD] = 0;
  return splitF64[0];
}

/**
 * The error function, accurate to about one ulp in float64 (a port of fdlibm's `erf`).
 * `erf(±Infinity) = ±1`, `erf(NaN) = NaN`.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) return x + EFX * x;
    const z = x * x;
    return x + x * (poly(PP, z) / poly(QQ, z));
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const p = poly(PA, s) / poly(QA, s);
    return x >= 0 ? ERX + p : -ERX - p;
  }
  if (ax >= 6) return x >= 0 ? 1 : -1;
  const s = 1 / (ax * ax);
  const rs = ax < 1 / 0.35 ? poly(RA, s) / poly(SA, s) : poly(RB, s) / poly(SB, s);
  const z = truncateLowWord(ax);
  const r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + rs);
  return x >= 0 ? 1 - r / ax : r / ax - 1;
}

/** Rounds to the nearest integer, ties to even (`torch.round`, IEEE roundeven). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +Infinity; `r - x` is exact here
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * IEEE 754 / C `pow`: unlike `Math.pow`, `pow(1, y) = 1` for every `y` (even NaN) and
 * `pow(-1, ±Infinity) = 1`.
 */
export function ieeePow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/**
 * int32 power with wrap-around. Negative exponents give `1/x^n` truncated toward zero
 * (1 for base 1, ±1 for base -1, 0 otherwise; torch refuses them for integers).
 */
export function intPow(x: number, y: number): number {
  if (y < 0) {
    if (x === 1) return 1;
    if (x === -1) return (y & 1) === 0 ? 1 : -1;
    return 0;
  }
  let result = 1;
  let base = x | 0;
  let e = y;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}

/** Python-style remainder of floats: the result has the sign of the divisor (torch.remainder). */
export function floatMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

/** Logistic sigmoid, evaluated without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** NaN-propagating maximum (`torch.maximum`): NaN when either operand is NaN, the first on ties (so ±0 keep their order). */
export function fmax(a: number, b: number): number {
  return a !== a || b !== b ? NaN : a < b ? b : a;
}

/** NaN-propagating minimum (`torch.minimum`). */
export function fmin(a: number, b: number): number {
  return a !== a || b !== b ? NaN : b < a ? b : a;
}

/** int32 division truncating toward zero, 0 for a zero divisor (as the WGSL kernels give). */
export function idiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.trunc(a / b) | 0;
}

/** int32 Python-style remainder (sign of the divisor), 0 for a zero divisor (as the WGSL kernels give). */
export function imod(a: number, b: number): number {
  return b === 0 ? 0 : floatMod(a, b) | 0;
}

const signF64 = new Float64Array(1);
const signU32 = new Uint32Array(signF64.buffer);
const HIGH_WORD = 1 - LOW_WORD;

/** `|x|` with the sign bit of `y` (C's `copysign`): −0 and a NaN's sign count, as PyTorch reads them. */
export function copysign(x: number, y: number): number {
  signF64[0] = y;
  const negative = (signU32[HIGH_WORD] >>> 31) === 1;
  const ax = Math.abs(x);
  return negative ? -ax : ax;
}

/** int32 C-style remainder (sign of the dividend, `torch.fmod`), 0 for a zero divisor (as the WGSL kernels give). */
export function intFmod(a: number, b: number): number {
  return b === 0 ? 0 : (a % b) | 0;
}

/** The helpers generated JavaScript may call, by the names it uses (`lib.erf(x)`). */
export const JS_HELPERS = {
  erf,
  roundHalfEven,
  ieeePow,
  intPow,
  floatMod,
  sigmoid,
  fmax,
  fmin,
  idiv,
  imod,
  copysign,
  intFmod,
} as const;
