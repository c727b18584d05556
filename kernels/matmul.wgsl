// Batched matmul C[b] = A[b] (M x K) @ B[b] (K x N), register-tiled for
// llvmpipe-style SIMD (8 invocations per vector, x-major).
// A workgroup of 8 x 2 invocations computes a 64 x 64 tile of C; each
// invocation owns a 32 x 8 block (rows ty*32.., cols tx*8..) held in 64 vec4
// accumulators (written out unrolled: arrays of accumulators would live in
// memory). K is walked in steps of BK = 16 through workgroup-shared tiles
// stored k-major as vec4s: As[k * 16 + r] holds A rows 4r..4r+3 at column k,
// Bs[k * 16 + q] holds B columns 4q..4q+3 at row k. Per k the inner loop does 8
// vec4 loads of A (the same address for all 8 lanes of a SIMD vector) and 2 of
// B for 64 vec4 FMAs. A and B are read through strides, so transposed or sliced
// views need no copy; edges are zero-padded on load and masked on store, so
// any M, N, K (including 0) works. Batch index = workgroup_id.z + batch0,
// decomposed through bshape; tile0x/tile0y offset grids wider than
// maxComputeWorkgroupsPerDimension (the host splits such dispatches).
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
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

@compute @workgroup_size(8, 2)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 8u + tx;
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
  var acc0_0 = vec4<f32>(0.0);
  var acc0_1 = vec4<f32>(0.0);
  var acc1_0 = vec4<f32>(0.0);
  var acc1_1 = vec4<f32>(0.0);
  var acc2_0 = vec4<f32>(0.0);
  var acc2_1 = vec4<f32>(0.0);
  var acc3_0 = vec4<f32>(0.0);
  var acc3_1 = vec4<f32>(0.0);
  var acc4_0 = vec4<f32>(0.0);
  var acc4_1 = vec4<f32>(0.0);
  var acc5_0 = vec4<f32>(0.0);
  var acc5_1 = vec4<f32>(0.0);
  var acc6_0 = vec4<f32>(0.0);
  var acc6_1 = vec4<f32>(0.0);
  var acc7_0 = vec4<f32>(0.0);
  var acc7_1 = vec4<f32>(0.0);
  var acc8_0 = vec4<f32>(0.0);
  var acc8_1 = vec4<f32>(0.0);
  var acc9_0 = vec4<f32>(0.0);
  var acc9_1 = vec4<f32>(0.0);
  var acc10_0 = vec4<f32>(0.0);
  var acc10_1 = vec4<f32>(0.0);
  var acc11_0 = vec4<f32>(0.0);
  var acc11_1 = vec4<f32>(0.0);
  var acc12_0 = vec4<f32>(0.0);
  var acc12_1 = vec4<f32>(0.0);
  var acc13_0 = vec4<f32>(0.0);
  var acc13_1 = vec4<f32>(0.0);
  var acc14_0 = vec4<f32>(0.0);
  var acc14_1 = vec4<f32>(0.0);
  var acc15_0 = vec4<f32>(0.0);
  var acc15_1 = vec4<f32>(0.0);
  var acc16_0 = vec4<f32>(0.0);
  var acc16_1 = vec4<f32>(0.0);
  var acc17_0 = vec4<f32>(0.0);
  var acc17_1 = vec4<f32>(0.0);
  var acc18_0 = vec4<f32>(0.0);
  var acc18_1 = vec4<f32>(0.0);
  var acc19_0 = vec4<f32>(0.0);
  var acc19_1 = vec4<f32>(0.0);
  var acc20_0 = vec4<f32>(0.0);
  var acc20_1 = vec4<f32>(0.0);
  var acc21_0 = vec4<f32>(0.0);
  var acc21_1 = vec4<f32>(0.0);
  var acc22_0 = vec4<f32>(0.0);
  var acc22_1 = vec4<f32>(0.0);
  var acc23_0 = vec4<f32>(0.0);
  var acc23_1 = vec4<f32>(0.0);
  var acc24_0 = vec4<f32>(0.0);
  var acc24_1 = vec4<f32>(0.0);
  var acc25_0 = vec4<f32>(0.0);
  var acc25_1 = vec4<f32>(0.0);
  var acc26_0 = vec4<f32>(0.0);
  var acc26_1 = vec4<f32>(0.0);
  var acc27_0 = vec4<f32>(0.0);
  var acc27_1 = vec4<f32>(0.0);
  var acc28_0 = vec4<f32>(0.0);
  var acc28_1 = vec4<f32>(0.0);
  var acc29_0 = vec4<f32>(0.0);
  var acc29_1 = vec4<f32>(0.0);
  var acc30_0 = vec4<f32>(0.0);
  var acc30_1 = vec4<f32>(0.0);
  var acc31_0 = vec4<f32>(0.0);
  var acc31_1 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    {
      let e = tid + 0u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 16u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 32u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 48u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 64u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 80u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 96u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 112u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 128u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 144u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 160u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 176u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 192u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 208u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 224u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    {
      let e = tid + 240u;
      let lr = e & 15u;
      let lk = e >> 4u;
      let k = k0 + lk;
      let am = m0 + lr * 4u;
      let bn = n0 + lr * 4u;
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
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let ra0 = As[kk * 16u + ty * 8u + 0u];
      let ra1 = As[kk * 16u + ty * 8u + 1u];
      let ra2 = As[kk * 16u + ty * 8u + 2u];
      let ra3 = As[kk * 16u + ty * 8u + 3u];
      let ra4 = As[kk * 16u + ty * 8u + 4u];
      let ra5 = As[kk * 16u + ty * 8u + 5u];
      let ra6 = As[kk * 16u + ty * 8u + 6u];
      let ra7 = As[kk * 16u + ty * 8u + 7u];
      let rb0 = Bs[kk * 16u + tx * 2u + 0u];
      let rb1 = Bs[kk * 16u + tx * 2u + 1u];
      acc0_0 += ra0.x * rb0;
      acc0_1 += ra0.x * rb1;
      acc1_0 += ra0.y * rb0;
      acc1_1 += ra0.y * rb1;
      acc2_0 += ra0.z * rb0;
      acc2_1 += ra0.z * rb1;
      acc3_0 += ra0.w * rb0;
      acc3_1 += ra0.w * rb1;
      acc4_0 += ra1.x * rb0;
      acc4_1 += ra1.x * rb1;
      acc5_0 += ra1.y * rb0;
      acc5_1 += ra1.y * rb1;
      acc6_0 += ra1.z * rb0;
      acc6_1 += ra1.z * rb1;
      acc7_0 += ra1.w * rb0;
      acc7_1 += ra1.w * rb1;
      acc8_0 += ra2.x * rb0;
      acc8_1 += ra2.x * rb1;
      acc9_0 += ra2.y * rb0;
      acc9_1 += ra2.y * rb1;
      acc10_0 += ra2.z * rb0;
      acc10_1 += ra2.z * rb1;
      acc11_0 += ra2.w * rb0;
      acc11_1 += ra2.w * rb1;
      acc12_0 += ra3.x * rb0;
      acc12_1 += ra3.x * rb1;
      acc13_0 += ra3.y * rb0;
      acc13_1 += ra3.y * rb1;
      acc14_0 += ra3.z * rb0;
      acc14_1 += ra3.z * rb1;
      acc15_0 += ra3.w * rb0;
      acc15_1 += ra3.w * rb1;
      acc16_0 += ra4.x * rb0;
      acc16_1 += ra4.x * rb1;
      acc17_0 += ra4.y * rb0;
      acc17_1 += ra4.y * rb1;
      acc18_0 += ra4.z * rb0;
      acc18_1 += ra4.z * rb1;
      acc19_0 += ra4.w * rb0;
      acc19_1 += ra4.w * rb1;
      acc20_0 += ra5.x * rb0;
      acc20_1 += ra5.x * rb1;
      acc21_0 += ra5.y * rb0;
      acc21_1 += ra5.y * rb1;
      acc22_0 += ra5.z * rb0;
      acc22_1 += ra5.z * rb1;
      acc23_0 += ra5.w * rb0;
      acc23_1 += ra5.w * rb1;
      acc24_0 += ra6.x * rb0;
      acc24_1 += ra6.x * rb1;
      acc25_0 += ra6.y * rb0;
      acc25_1 += ra6.y * rb1;
      acc26_0 += ra6.z * rb0;
      acc26_1 += ra6.z * rb1;
      acc27_0 += ra6.w * rb0;
      acc27_1 += ra6.w * rb1;
      acc28_0 += ra7.x * rb0;
      acc28_1 += ra7.x * rb1;
      acc29_0 += ra7.y * rb0;
      acc29_1 += ra7.y * rb1;
      acc30_0 += ra7.z * rb0;
      acc30_1 += ra7.z * rb1;
      acc31_0 += ra7.w * rb0;
      acc31_1 += ra7.w * rb1;
    }
    workgroupBarrier();
  }
  let row = m0 + ty * 32u;
  let col = n0 + tx * 8u;
  let ci = bi * u.M * u.N;
  if (row + 0u < u.M) {
    let o = ci + (row + 0u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc0_0.x; c[o + 1u] = acc0_0.y; c[o + 2u] = acc0_0.z; c[o + 3u] = acc0_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc0_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc0_1.x; c[o + 5u] = acc0_1.y; c[o + 6u] = acc0_1.z; c[o + 7u] = acc0_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc0_1[j]; } }
    }
  }
  if (row + 1u < u.M) {
    let o = ci + (row + 1u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc1_0.x; c[o + 1u] = acc1_0.y; c[o + 2u] = acc1_0.z; c[o + 3u] = acc1_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc1_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc1_1.x; c[o + 5u] = acc1_1.y; c[o + 6u] = acc1_1.z; c[o + 7u] = acc1_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc1_1[j]; } }
    }
  }
  if (row + 2u < u.M) {
    let o = ci + (row + 2u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc2_0.x; c[o + 1u] = acc2_0.y; c[o + 2u] = acc2_0.z; c[o + 3u] = acc2_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc2_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc2_1.x; c[o + 5u] = acc2_1.y; c[o + 6u] = acc2_1.z; c[o + 7u] = acc2_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc2_1[j]; } }
    }
  }
  if (row + 3u < u.M) {
    let o = ci + (row + 3u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc3_0.x; c[o + 1u] = acc3_0.y; c[o + 2u] = acc3_0.z; c[o + 3u] = acc3_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc3_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc3_1.x; c[o + 5u] = acc3_1.y; c[o + 6u] = acc3_1.z; c[o + 7u] = acc3_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc3_1[j]; } }
    }
  }
  if (row + 4u < u.M) {
    let o = ci + (row + 4u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc4_0.x; c[o + 1u] = acc4_0.y; c[o + 2u] = acc4_0.z; c[o + 3u] = acc4_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc4_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc4_1.x; c[o + 5u] = acc4_1.y; c[o + 6u] = acc4_1.z; c[o + 7u] = acc4_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc4_1[j]; } }
    }
  }
  if (row + 5u < u.M) {
    let o = ci + (row + 5u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc5_0.x; c[o + 1u] = acc5_0.y; c[o + 2u] = acc5_0.z; c[o + 3u] = acc5_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc5_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc5_1.x; c[o + 5u] = acc5_1.y; c[o + 6u] = acc5_1.z; c[o + 7u] = acc5_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc5_1[j]; } }
    }
  }
  if (row + 6u < u.M) {
    let o = ci + (row + 6u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc6_0.x; c[o + 1u] = acc6_0.y; c[o + 2u] = acc6_0.z; c[o + 3u] = acc6_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc6_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc6_1.x; c[o + 5u] = acc6_1.y; c[o + 6u] = acc6_1.z; c[o + 7u] = acc6_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc6_1[j]; } }
    }
  }
  if (row + 7u < u.M) {
    let o = ci + (row + 7u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc7_0.x; c[o + 1u] = acc7_0.y; c[o + 2u] = acc7_0.z; c[o + 3u] = acc7_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc7_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc7_1.x; c[o + 5u] = acc7_1.y; c[o + 6u] = acc7_1.z; c[o + 7u] = acc7_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc7_1[j]; } }
    }
  }
  if (row + 8u < u.M) {
    let o = ci + (row + 8u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc8_0.x; c[o + 1u] = acc8_0.y; c[o + 2u] = acc8_0.z; c[o + 3u] = acc8_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc8_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc8_1.x; c[o + 5u] = acc8_1.y; c[o + 6u] = acc8_1.z; c[o + 7u] = acc8_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc8_1[j]; } }
    }
  }
  if (row + 9u < u.M) {
    let o = ci + (row + 9u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc9_0.x; c[o + 1u] = acc9_0.y; c[o + 2u] = acc9_0.z; c[o + 3u] = acc9_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc9_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc9_1.x; c[o + 5u] = acc9_1.y; c[o + 6u] = acc9_1.z; c[o + 7u] = acc9_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc9_1[j]; } }
    }
  }
  if (row + 10u < u.M) {
    let o = ci + (row + 10u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc10_0.x; c[o + 1u] = acc10_0.y; c[o + 2u] = acc10_0.z; c[o + 3u] = acc10_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc10_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc10_1.x; c[o + 5u] = acc10_1.y; c[o + 6u] = acc10_1.z; c[o + 7u] = acc10_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc10_1[j]; } }
    }
  }
  if (row + 11u < u.M) {
    let o = ci + (row + 11u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc11_0.x; c[o + 1u] = acc11_0.y; c[o + 2u] = acc11_0.z; c[o + 3u] = acc11_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc11_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc11_1.x; c[o + 5u] = acc11_1.y; c[o + 6u] = acc11_1.z; c[o + 7u] = acc11_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc11_1[j]; } }
    }
  }
  if (row + 12u < u.M) {
    let o = ci + (row + 12u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc12_0.x; c[o + 1u] = acc12_0.y; c[o + 2u] = acc12_0.z; c[o + 3u] = acc12_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc12_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc12_1.x; c[o + 5u] = acc12_1.y; c[o + 6u] = acc12_1.z; c[o + 7u] = acc12_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc12_1[j]; } }
    }
  }
  if (row + 13u < u.M) {
    let o = ci + (row + 13u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc13_0.x; c[o + 1u] = acc13_0.y; c[o + 2u] = acc13_0.z; c[o + 3u] = acc13_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc13_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc13_1.x; c[o + 5u] = acc13_1.y; c[o + 6u] = acc13_1.z; c[o + 7u] = acc13_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc13_1[j]; } }
    }
  }
  if (row + 14u < u.M) {
    let o = ci + (row + 14u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc14_0.x; c[o + 1u] = acc14_0.y; c[o + 2u] = acc14_0.z; c[o + 3u] = acc14_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc14_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc14_1.x; c[o + 5u] = acc14_1.y; c[o + 6u] = acc14_1.z; c[o + 7u] = acc14_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc14_1[j]; } }
    }
  }
  if (row + 15u < u.M) {
    let o = ci + (row + 15u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc15_0.x; c[o + 1u] = acc15_0.y; c[o + 2u] = acc15_0.z; c[o + 3u] = acc15_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc15_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc15_1.x; c[o + 5u] = acc15_1.y; c[o + 6u] = acc15_1.z; c[o + 7u] = acc15_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc15_1[j]; } }
    }
  }
  if (row + 16u < u.M) {
    let o = ci + (row + 16u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc16_0.x; c[o + 1u] = acc16_0.y; c[o + 2u] = acc16_0.z; c[o + 3u] = acc16_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc16_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc16_1.x; c[o + 5u] = acc16_1.y; c[o + 6u] = acc16_1.z; c[o + 7u] = acc16_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc16_1[j]; } }
    }
  }
  if (row + 17u < u.M) {
    let o = ci + (row + 17u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc17_0.x; c[o + 1u] = acc17_0.y; c[o + 2u] = acc17_0.z; c[o + 3u] = acc17_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc17_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc17_1.x; c[o + 5u] = acc17_1.y; c[o + 6u] = acc17_1.z; c[o + 7u] = acc17_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc17_1[j]; } }
    }
  }
  if (row + 18u < u.M) {
    let o = ci + (row + 18u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc18_0.x; c[o + 1u] = acc18_0.y; c[o + 2u] = acc18_0.z; c[o + 3u] = acc18_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc18_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc18_1.x; c[o + 5u] = acc18_1.y; c[o + 6u] = acc18_1.z; c[o + 7u] = acc18_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc18_1[j]; } }
    }
  }
  if (row + 19u < u.M) {
    let o = ci + (row + 19u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc19_0.x; c[o + 1u] = acc19_0.y; c[o + 2u] = acc19_0.z; c[o + 3u] = acc19_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc19_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc19_1.x; c[o + 5u] = acc19_1.y; c[o + 6u] = acc19_1.z; c[o + 7u] = acc19_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc19_1[j]; } }
    }
  }
  if (row + 20u < u.M) {
    let o = ci + (row + 20u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc20_0.x; c[o + 1u] = acc20_0.y; c[o + 2u] = acc20_0.z; c[o + 3u] = acc20_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc20_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc20_1.x; c[o + 5u] = acc20_1.y; c[o + 6u] = acc20_1.z; c[o + 7u] = acc20_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc20_1[j]; } }
    }
  }
  if (row + 21u < u.M) {
    let o = ci + (row + 21u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc21_0.x; c[o + 1u] = acc21_0.y; c[o + 2u] = acc21_0.z; c[o + 3u] = acc21_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc21_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc21_1.x; c[o + 5u] = acc21_1.y; c[o + 6u] = acc21_1.z; c[o + 7u] = acc21_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc21_1[j]; } }
    }
  }
  if (row + 22u < u.M) {
    let o = ci + (row + 22u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc22_0.x; c[o + 1u] = acc22_0.y; c[o + 2u] = acc22_0.z; c[o + 3u] = acc22_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc22_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc22_1.x; c[o + 5u] = acc22_1.y; c[o + 6u] = acc22_1.z; c[o + 7u] = acc22_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc22_1[j]; } }
    }
  }
  if (row + 23u < u.M) {
    let o = ci + (row + 23u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc23_0.x; c[o + 1u] = acc23_0.y; c[o + 2u] = acc23_0.z; c[o + 3u] = acc23_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc23_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc23_1.x; c[o + 5u] = acc23_1.y; c[o + 6u] = acc23_1.z; c[o + 7u] = acc23_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc23_1[j]; } }
    }
  }
  if (row + 24u < u.M) {
    let o = ci + (row + 24u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc24_0.x; c[o + 1u] = acc24_0.y; c[o + 2u] = acc24_0.z; c[o + 3u] = acc24_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc24_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc24_1.x; c[o + 5u] = acc24_1.y; c[o + 6u] = acc24_1.z; c[o + 7u] = acc24_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc24_1[j]; } }
    }
  }
  if (row + 25u < u.M) {
    let o = ci + (row + 25u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc25_0.x; c[o + 1u] = acc25_0.y; c[o + 2u] = acc25_0.z; c[o + 3u] = acc25_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc25_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc25_1.x; c[o + 5u] = acc25_1.y; c[o + 6u] = acc25_1.z; c[o + 7u] = acc25_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc25_1[j]; } }
    }
  }
  if (row + 26u < u.M) {
    let o = ci + (row + 26u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc26_0.x; c[o + 1u] = acc26_0.y; c[o + 2u] = acc26_0.z; c[o + 3u] = acc26_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc26_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc26_1.x; c[o + 5u] = acc26_1.y; c[o + 6u] = acc26_1.z; c[o + 7u] = acc26_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc26_1[j]; } }
    }
  }
  if (row + 27u < u.M) {
    let o = ci + (row + 27u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc27_0.x; c[o + 1u] = acc27_0.y; c[o + 2u] = acc27_0.z; c[o + 3u] = acc27_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc27_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc27_1.x; c[o + 5u] = acc27_1.y; c[o + 6u] = acc27_1.z; c[o + 7u] = acc27_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc27_1[j]; } }
    }
  }
  if (row + 28u < u.M) {
    let o = ci + (row + 28u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc28_0.x; c[o + 1u] = acc28_0.y; c[o + 2u] = acc28_0.z; c[o + 3u] = acc28_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc28_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc28_1.x; c[o + 5u] = acc28_1.y; c[o + 6u] = acc28_1.z; c[o + 7u] = acc28_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc28_1[j]; } }
    }
  }
  if (row + 29u < u.M) {
    let o = ci + (row + 29u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc29_0.x; c[o + 1u] = acc29_0.y; c[o + 2u] = acc29_0.z; c[o + 3u] = acc29_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc29_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc29_1.x; c[o + 5u] = acc29_1.y; c[o + 6u] = acc29_1.z; c[o + 7u] = acc29_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc29_1[j]; } }
    }
  }
  if (row + 30u < u.M) {
    let o = ci + (row + 30u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc30_0.x; c[o + 1u] = acc30_0.y; c[o + 2u] = acc30_0.z; c[o + 3u] = acc30_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc30_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc30_1.x; c[o + 5u] = acc30_1.y; c[o + 6u] = acc30_1.z; c[o + 7u] = acc30_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc30_1[j]; } }
    }
  }
  if (row + 31u < u.M) {
    let o = ci + (row + 31u) * u.N + col;
    if (col + 3u < u.N) {
      c[o + 0u] = acc31_0.x; c[o + 1u] = acc31_0.y; c[o + 2u] = acc31_0.z; c[o + 3u] = acc31_0.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 0u + j < u.N) { c[o + 0u + j] = acc31_0[j]; } }
    }
    if (col + 7u < u.N) {
      c[o + 4u] = acc31_1.x; c[o + 5u] = acc31_1.y; c[o + 6u] = acc31_1.z; c[o + 7u] = acc31_1.w;
    } else {
      for (var j = 0u; j < 4u; j++) { if (col + 4u + j < u.N) { c[o + 4u + j] = acc31_1[j]; } }
    }
  }
}
