// Batched matmul C[b] = A[b] (M x K) @ B[b] (K x N), register-tiled for
// llvmpipe-style SIMD (8 invocations per vector, x-major). This is a template:
// lib/backend/webgpu/matmul.ts (matmulSource) fills the tile constants
// ($WGX, $WGY, $TM, $TN, $BK, ...) of the configuration chosen per device and
// shape class (lib/backend/webgpu/matmul_tuning.ts) and generates the unrolled parts ($DECL:
// accumulators, $BODY: the per-k FMA block, $STORE: the masked stores); $SAK /
// $SBN are `u.sAk` / `u.sBn`, or the literal 1 in the contiguous variants the
// host picks when that stride is 1. Shapes, strides and offsets stay in `u`, and
// A and B are read through strides, so transposed or sliced views need no copy.
// z = workgroup_id.z + batch0 enumerates (K slice, batch) pairs, slice-major: slice z / nb walks
// K range [slice·kChunk, min(K, (slice+1)·kChunk)) of batch z % nb (decomposed through bshape)
// into C plane z, so split-K (matmul.ts) is one dispatch whose planes are summed afterwards;
// without a split, kChunk = K and z is the batch;
// tile0x/tile0y offset grids wider than maxComputeWorkgroupsPerDimension (the
// host splits such dispatches).
struct U {
  M: u32,
  N: u32,
  K: u32,
  brank: u32,
  offA: u32,
  offB: u32,
  tile0x: u32,
  tile0y: u32,
  sAm: i32,
  sAk: i32,
  sBk: i32,
  sBn: i32,
  batch0: u32,
  kChunk: u32,
  nb: u32,
  pad2: u32,
  bshape: Dims,
  bsA: Strides,
  bsB: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
{{BIAS}}

// Element offsets of batch `bi`'s A and B.
fn batch_bases(bi: u32) -> vec2<i32> {
  var base = vec2<i32>(i32(u.offA), i32(u.offB));
  var rem = bi;
  for (var d = i32(u.brank) - 1; d >= 0; d--) {
    let sz = dim_at(u.bshape, u32(d));
    let q = rem / sz;
    let co = i32(rem - q * sz);
    rem = q;
    base += co * vec2<i32>(stride_at(u.bsA, u32(d)), stride_at(u.bsB, u32(d)));
  }
  return base;
}

// A workgroup of $WGX x $WGY invocations computes a $BM x $BN tile of C;
// invocation (tx, ty) owns the $TM x $TN block at rows m0 + ty * $TM, columns
// n0 + tx * $TN, held in vec4 accumulators acc<row>_<col/4> (declared one by
// one in $DECL: an array of accumulators would live in memory). K is walked in
// steps of $BK through workgroup tiles stored k-major as vec4s: As[k * $BM4 + r]
// holds A rows 4r..4r+3 at column k, Bs[k * $BN4 + q] holds B columns
// 4q..4q+3 at row k. Edges are zero-padded on load and masked on store, so any
// M, N, K (including 0) works. $BODY is the unrolled per-k FMA block.
const BK: u32 = {{BK}}u;
const BM4: u32 = {{BM4}}u;
const BN4: u32 = {{BN4}}u;
const NT: u32 = {{NT}}u;
var<workgroup> As: array<vec4<f32>, {{AS_LEN}}>;
var<workgroup> Bs: array<vec4<f32>, {{BS_LEN}}>;

// A[m..m+3][k] (zero outside M x K and past the slice's kEnd).
fn load_a4(base: i32, k: u32, kEnd: u32, m: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (k < kEnd) {
    let p = base + i32(k) * {{SAK}} + i32(m) * u.sAm;
    if (m + 3u < u.M) {
      v = vec4<f32>(a[p], a[p + u.sAm], a[p + 2 * u.sAm], a[p + 3 * u.sAm]);
    } else {
      for (var j = 0u; j < 4u; j++) {
        if (m + j < u.M) { v[j] = a[p + i32(j) * u.sAm]; }
      }
    }
  }
  return v;
}

// B[k][n..n+3] (zero outside K x N).
fn load_b4(base: i32, k: u32, kEnd: u32, n: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (k < kEnd) {
    let p = base + i32(k) * u.sBk + i32(n) * {{SBN}};
    if (n + 3u < u.N) {
      v = vec4<f32>(b[p], b[p + {{SBN}}], b[p + 2 * {{SBN}}], b[p + 3 * {{SBN}}]);
    } else {
      for (var j = 0u; j < 4u; j++) {
        if (n + j < u.N) { v[j] = b[p + i32(j) * {{SBN}}]; }
      }
    }
  }
  return v;
}

// C[row][col..col+3] = v, masked to M x N (with the bias variants, v already holds the bias).
fn store4(ci: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row < u.M) {
    let o = ci + row * u.N + col;
    if (col + 3u < u.N) {
      c[o] = v.x; c[o + 1u] = v.y; c[o + 2u] = v.z; c[o + 3u] = v.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + j < u.N) { c[o + j] = v[j]; } }
    }
  }
}

@compute @workgroup_size({{WGX}}, {{WGY}})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * {{WGX}}u + tx;
  let n0 = (wg.x + u.tile0x) * BN4 * 4u;
  let m0 = (wg.y + u.tile0y) * BM4 * 4u;
  let z = wg.z + u.batch0;
  let bi = z % u.nb;
  let kBegin = (z / u.nb) * u.kChunk;
  let kEnd = min(u.K, kBegin + u.kChunk);
  // the bias goes into the first slice's plane only
  let bias_on = select(0.0, 1.0, z < u.nb);
  let base = batch_bases(bi);
{{DECL}}
  for (var k0 = kBegin; k0 < kEnd; k0 += BK) {
    for (var e = tid; e < BK * BM4; e += NT) {
      As[e] = load_a4(base.x, k0 + e / BM4, kEnd, m0 + (e % BM4) * 4u);
    }
    for (var e = tid; e < BK * BN4; e += NT) {
      Bs[e] = load_b4(base.y, k0 + e / BN4, kEnd, n0 + (e % BN4) * 4u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk += {{UNROLL}}u) {
{{BODY}}
    }
    workgroupBarrier();
  }
  let row = m0 + ty * {{TM}}u;
  let col = n0 + tx * {{TN}}u;
  let ci = z * u.M * u.N;
{{STORE}}
}
