// Float/int math helpers of the elementwise and fused families (prepended to both
// templates by kernels.ts; no placeholders). Accuracy notes: README.md.

const SQRT_HALF: f32 = 0.70710678118654752;
const GELU_C: f32 = 0.79788456080286536;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;

fn nan_f32() -> f32 {
  return bitcast<f32>(F32_NAN);
}

fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 +
        x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
  }
  return exp(x) - 1.0;
}

fn tanh_(x: f32) -> f32 {
  let ax = abs(x);
  if (ax > 10.0) { return sign(x); }
  let e = expm1_(-2.0 * ax);
  return -sign(x) * e / (e + 2.0);
}

fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// erf: Taylor series near 0 (good relative error), Numerical Recipes erfc
// Chebyshev fit (fractional error < 1.2e-7) elsewhere; abs error < 1e-6.
fn erf_(x: f32) -> f32 {
  if (f32_is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax < 0.5) {
    let z = x * x;
    let p = 1.0 + z * (-1.0 / 3.0 + z * (1.0 / 10.0 + z * (-1.0 / 42.0 + z * (1.0 / 216.0 + z * (-1.0 / 1320.0 + z * (1.0 / 9360.0))))));
    return TWO_OVER_SQRT_PI * x * p;
  }
  if (ax >= 6.0) { return sign(x); }
  let t = 1.0 / (1.0 + 0.5 * ax);
  let r = t * exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
      t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - r);
}

// atan on [0, 1]: reduce past tan(pi/12) with atan(t) = pi/6 + atan((t*sqrt3 - 1)/(t + sqrt3)),
// then the odd Taylor series (|t| < 0.268, truncation < 3e-9).
fn atan01_(t0: f32) -> f32 {
  var t = t0;
  var base = 0.0;
  if (t > 0.2679491924311228) {
    t = (t * 1.7320508075688772 - 1.0) / (t + 1.7320508075688772);
    base = 0.5235987755982988;
  }
  let z = t * t;
  return base + t * (1.0 + z * (-1.0 / 3.0 + z * (1.0 / 5.0 + z * (-1.0 / 7.0 + z * (1.0 / 9.0 +
      z * (-1.0 / 11.0 + z / 13.0))))));
}

// atan2 with IEEE quadrant/zero handling (more accurate than many built-ins).
fn atan2_(y: f32, x: f32) -> f32 {
  if (f32_is_nan(x) || f32_is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  let ay = abs(y);
  let mx = max(ax, ay);
  let mn = min(ax, ay);
  var a = 0.0;
  if (f32_is_inf(mx)) {
    if (f32_is_inf(mn)) { a = 0.7853981633974483; } else if (ay > ax) { a = 1.5707963267948966; }
  } else if (mx > 0.0) {
    a = atan01_(mn / mx);
    if (ay > ax) { a = 1.5707963267948966 - a; }
  }
  if ((bitcast<u32>(x) & 0x80000000u) != 0u) { a = 3.141592653589793 - a; }
  if ((bitcast<u32>(y) & 0x80000000u) != 0u) { a = -a; }
  return a;
}

fn is_odd_integer(y: f32) -> bool {
  return floor(y) == y && abs(y) < 16777216.0 && (i32(y) & 1) == 1;
}

// IEEE pow (C `pow`): pow(x, 0) = 1, pow(1, y) = 1, negative base needs an integer exponent.
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (f32_is_nan(x) || f32_is_nan(y)) { return nan_f32(); }
  if (x == -1.0 && f32_is_inf(y)) { return 1.0; }
  let ax = abs(x);
  var r: f32;
  if (ax == 0.0) {
    r = select(0.0, bitcast<f32>(F32_INF), y < 0.0);
  } else if (f32_is_inf(ax)) {
    r = select(bitcast<f32>(F32_INF), 0.0, y < 0.0);
  } else if (f32_is_inf(y)) {
    r = select(0.0, bitcast<f32>(F32_INF), (ax > 1.0) == (y > 0.0));
  } else {
    r = exp2(y * log2(ax));
  }
  if (x < 0.0 && !f32_is_inf(x) && floor(y) != y && !f32_is_inf(y)) { return nan_f32(); }
  if ((x < 0.0 || bitcast<u32>(x) == 0x80000000u) && is_odd_integer(y)) { return -r; }
  return r;
}

fn ipow_(x: i32, y: i32) -> i32 {
  if (y < 0) {
    if (x == 1) { return 1; }
    if (x == -1) { return select(-1, 1, (y & 1) == 0); }
    return 0;
  }
  var r = 1;
  var base = x;
  var e = y;
  loop {
    if (e == 0) { break; }
    if ((e & 1) == 1) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}

// Python-style remainder from C's fmod: WGSL's `%` is x - y·trunc(x/y), NaN for an infinite
// divisor, where fmod gives x.
fn fmod_(x: f32, y: f32) -> f32 {
  var r = x % y;
  if (f32_is_inf(y) && !f32_is_inf(x) && !f32_is_nan(x)) { r = x; }
  if (r != 0.0 && ((r < 0.0) != (y < 0.0))) { return r + y; }
  return r;
}

// Floor modulo from the truncating division: `%` on a negative divisor came out wrong on NVIDIA.
fn imod_(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  let r = x - idiv_(x, y) * y;
  if (r != 0 && ((r < 0) != (y < 0))) { return r + y; }
  return r;
}

fn idiv_(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  return x / y;
}

// NaN if either is NaN, else the first operand on ties (PyTorch's order for ±0).
fn fmax_(x: f32, y: f32) -> f32 {
  if (f32_is_nan(x) || f32_is_nan(y)) { return nan_f32(); }
  return select(x, y, x < y);
}

fn fmin_(x: f32, y: f32) -> f32 {
  if (f32_is_nan(x) || f32_is_nan(y)) { return nan_f32(); }
  return select(x, y, y < x);
}

// C's fmod (the sign of the dividend, torch.fmod): WGSL's `%` is x - y·trunc(x/y), which gives +0
// for a negative dividend's zero remainder and NaN for an infinite divisor.
fn cfmod_(x: f32, y: f32) -> f32 {
  if (f32_is_inf(y) && !f32_is_inf(x) && !f32_is_nan(x)) { return x; }
  let r = x % y;
  if (r == 0.0) { return x * 0.0; }
  return r;
}

// C's fmod on integers (truncating); 0 for a zero divisor, as idiv_.
fn ifmod_(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  return x - idiv_(x, y) * y;
}

fn with_sign_of_(r: f32, x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(x) & 0x80000000u));
}

// sinh and cosh from e^(|x|/2) squared, so they overflow only where the result does (not past
// 88.7, where e^|x| does); sinh near 0 from expm1, where (e^x - e^-x)/2 cancels.
fn sinh_(x: f32) -> f32 {
  let ax = abs(x);
  var r: f32;
  if (ax < 1.0) {
    let e = expm1_(ax);
    r = 0.5 * e * (e + 2.0) / (e + 1.0);
  } else {
    let h = exp(0.5 * ax);
    r = (0.5 * h) * h - (0.5 / h) / h;
  }
  return with_sign_of_(r, x);
}

fn cosh_(x: f32) -> f32 {
  let h = exp(0.5 * abs(x));
  return (0.5 * h) * h + (0.5 / h) / h;
}

// asinh(x) = log1p(|x| + x²/(1 + √(1 + x²))) with the sign of x; log(2|x|) where x² would overflow.
fn asinh_(x: f32) -> f32 {
  let ax = abs(x);
  var r: f32;
  if (ax > 4096.0) {
    r = log(ax) + 0.6931471805599453;
  } else {
    let z = ax * ax;
    r = log1p_(ax + z / (1.0 + sqrt(1.0 + z)));
  }
  return with_sign_of_(r, x);
}

// acosh(x) = log1p(t + √(t(t + 2))) with t = x - 1 exact near 1 (x·x - 1 cancels there).
fn acosh_(x: f32) -> f32 {
  if (x > 4096.0) { return log(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return log1p_(t + sqrt(t * (t + 2.0)));
}

// atanh(x) = log1p(2|x|/(1 - |x|))/2 with the sign of x: accurate near 0 and near ±1.
fn atanh_(x: f32) -> f32 {
  let ax = abs(x);
  return with_sign_of_(0.5 * log1p_(2.0 * ax / (1.0 - ax)), x);
}

// C's hypot: +Infinity if either is infinite (even with a NaN), scaled so x² + y² never overflows.
fn hypot_(x: f32, y: f32) -> f32 {
  if (f32_is_inf(x) || f32_is_inf(y)) { return bitcast<f32>(F32_INF); }
  if (f32_is_nan(x) || f32_is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  let ay = abs(y);
  let mx = max(ax, ay);
  let mn = min(ax, ay);
  if (mx == 0.0) { return 0.0; }
  let r = mn / mx;
  return mx * sqrt(1.0 + r * r);
}
