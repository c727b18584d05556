// Batched matmul C[b] = A[b] (M x K) @ B[b] (K x N), register-tiled.
// A workgroup of 16 x 16 invocations computes a 64 x 64 tile of C, each
// invocation a 4 x 4 block held in four vec4 accumulators. K is walked in
// steps of 16 through workgroup-shared tiles stored k-major as vec4s so the
// inner loop is 2 vec4 loads per 16 FMAs. A and B are read through strides, so
// transposed/sliced views need no copy; edges are zero-padded on load, so any
// M, N, K works. Batch index = workgroup_id.z + batch0, decomposed through
// bshape; tile0x/tile0y offset grids wider than maxComputeWorkgroupsPerDimension.
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
  pad0: u32,
  pad1: u32,
  pad2: u32,
  bshape: Dims,
  bsA: Strides,
  bsB: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const BK: u32 = 16u;
// As[k * 16 + r] holds A rows 4r..4r+3 at column k; Bs[k * 16 + q] holds B
// columns 4q..4q+3 at row k.
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 16u + tx;
  let n0 = (wg.x + u.tile0x) * 64u;
  let m0 = (wg.y + u.tile0y) * 64u;
  let bi = wg.z + u.batch0;
  var baseA = i32(u.offA);
  var baseB = i32(u.offB);
  var rem = bi;
  for (var d = i32(u.brank) - 1; d >= 0; d--) {
    let sz = dim_at(u.bshape, u32(d));
    let q = rem / sz;
    let co = i32(rem - q * sz);
    rem = q;
    baseA += co * stride_at(u.bsA, u32(d));
    baseB += co * stride_at(u.bsB, u32(d));
  }
  // Loader roles: invocation tid fills A rows 4*(tid%16).. at column tid/16,
  // and B columns 4*(tid%16).. at row tid/16.
  let lr = tid & 15u;
  let lk = tid >> 4u;
  let am = m0 + lr * 4u;
  let bn = n0 + lr * 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    let k = k0 + lk;
    var av = vec4<f32>(0.0);
    var bv = vec4<f32>(0.0);
    if (k < u.K) {
      let pa = baseA + i32(k) * u.sAk + i32(am) * u.sAm;
      let pb = baseB + i32(k) * u.sBk + i32(bn) * u.sBn;
      if (am + 3u < u.M) {
        av = vec4<f32>(a[pa], a[pa + u.sAm], a[pa + 2 * u.sAm], a[pa + 3 * u.sAm]);
      } else {
        for (var j = 0u; j < 4u; j++) {
          if (am + j < u.M) { av[j] = a[pa + i32(j) * u.sAm]; }
        }
      }
      if (bn + 3u < u.N) {
        bv = vec4<f32>(b[pb], b[pb + u.sBn], b[pb + 2 * u.sBn], b[pb + 3 * u.sBn]);
      } else {
        for (var j = 0u; j < 4u; j++) {
          if (bn + j < u.N) { bv[j] = b[pb + i32(j) * u.sBn]; }
        }
      }
    }
    As[lk * 16u + lr] = av;
    Bs[lk * 16u + lr] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let ra = As[kk * 16u + ty];
      let rb = Bs[kk * 16u + tx];
      acc0 += ra.x * rb;
      acc1 += ra.y * rb;
      acc2 += ra.z * rb;
      acc3 += ra.w * rb;
    }
    workgroupBarrier();
  }
  let row = m0 + ty * 4u;
  let col = n0 + tx * 4u;
  let ci = bi * u.M * u.N;
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = row + i;
    if (r >= u.M) { break; }
    let o = ci + r * u.N + col;
    let v = accs[i];
    if (col + 3u < u.N) {
      c[o] = v.x;
      c[o + 1u] = v.y;
      c[o + 2u] = v.z;
      c[o + 3u] = v.w;
    } else {
      for (var j = 0u; j < 4u; j++) {
        if (col + j < u.N) { c[o + j] = v[j]; }
      }
    }
  }
}
