// Shared prelude, prepended to every kernel family (see README.md).
// Shapes and strides arrive in uniforms as two vec4s (MAX_RANK = 8).
alias Dims = array<vec4<u32>, 2>;
alias Strides = array<vec4<i32>, 2>;

fn dim_at(s: Dims, d: u32) -> u32 {
  return s[d >> 2u][d & 3u];
}

fn stride_at(s: Strides, d: u32) -> i32 {
  return s[d >> 2u][d & 3u];
}

// Element offset of row-major index `i` of `shape` read through `strides`.
// Ranks 1 and 2 take straight-line paths: the general loop runs ~10x slower on llvmpipe.
fn view_offset(i: u32, rank: u32, shape: Dims, strides: Strides, offset: u32) -> u32 {
  if (rank <= 1u) {
    return u32(i32(offset) + i32(i) * stride_at(strides, 0u));
  }
  if (rank == 2u) {
    let d1 = dim_at(shape, 1u);
    let r0 = i / d1;
    return u32(i32(offset) + i32(r0) * stride_at(strides, 0u) + i32(i - r0 * d1) * stride_at(strides, 1u));
  }
  var rem = i;
  var off = i32(offset);
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let sz = dim_at(shape, u32(d));
    let q = rem / sz;
    off += i32(rem - q * sz) * stride_at(strides, u32(d));
    rem = q;
  }
  return u32(off);
}

// Linear workgroup index over a 1-, 2- or 3-D grid (dispatches wider than
// maxComputeWorkgroupsPerDimension are split across y and z).
fn group_index(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return (wg.z * nwg.y + wg.y) * nwg.x + wg.x;
}

fn f32_is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn f32_is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

// The deferred fault record (index, cross entropy and assert kernels): the first op id to fail
// and the offending index; the host reads it at the next readback.
struct Fault {
  op: atomic<u32>,
  index: i32,
  pad0: u32,
  pad1: u32,
}

// bool storage is a u32 holding 0 or 1.
fn to_bool(t: bool) -> u32 {
  return select(0u, 1u, t);
}

const F32_NAN: u32 = 0x7fc00000u;
const F32_INF: u32 = 0x7f800000u;
const F32_NEG_INF: u32 = 0xff800000u;

// log(1 + x), accurate near 0 (atanh series) whatever the accuracy of log near 1.
fn log1p_(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * s * (1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 +
        z * (1.0 / 11.0 + z / 13.0))))));
  }
  return log(1.0 + x);
}
