// Indexing family: gather and scatterAdd along one dim, with range faults.
// $T element type; $ADD the atomic add of v at out[j] (a CAS loop on
// bitcast u32 words for f32, atomicAdd for i32).
struct U {
  n: u32,
  rank: u32,
  dim: u32,
  size: u32,
  aoff: u32,
  ioff: u32,
  soff: u32,
  opId: u32,
  shape: Dims,
  astr: Strides,
  istr: Strides,
  sstr: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_ELEM}}>;
@group(0) @binding(2) var<storage, read_write> fault: Fault;
@group(0) @binding(3) var<storage, read> idx: array<i32>;
@group(0) @binding(4) var<storage, read> src: array<{{T}}>;

// Clamps k into [0, size) and records the first out-of-range index.
fn checked(k: i32) -> u32 {
  if (k >= 0 && u32(k) < u.size) { return u32(k); }
  let r = atomicCompareExchangeWeak(&fault.op, 0u, u.opId);
  if (r.exchanged) { fault.index = k; }
  return u32(clamp(k, 0, i32(u.size) - 1));
}

// out[i] = src[.., idx[i], ..]: shape/astr describe the index-shaped walk of src.
@compute @workgroup_size(64)
fn gather(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var ai = i32(u.aoff);
  var ii = i32(u.ioff);
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let sz = dim_at(u.shape, k);
    let q = rem / sz;
    let co = i32(rem - q * sz);
    rem = q;
    if (k != u.dim) { ai += co * stride_at(u.astr, k); }
    ii += co * stride_at(u.istr, k);
  }
  let k = checked(idx[ii]);
  ai += i32(k) * stride_at(u.astr, u.dim);
  {{GATHER_STORE}}
}

// out (already a copy of base, contiguous, strides astr) gains src at idx.
@compute @workgroup_size(64)
fn scatter(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var oi = 0i;
  var ii = i32(u.ioff);
  var si = i32(u.soff);
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let sz = dim_at(u.shape, k);
    let q = rem / sz;
    let co = i32(rem - q * sz);
    rem = q;
    if (k != u.dim) { oi += co * stride_at(u.astr, k); }
    ii += co * stride_at(u.istr, k);
    si += co * stride_at(u.sstr, k);
  }
  let k = checked(idx[ii]);
  let j = u32(oi + i32(k) * stride_at(u.astr, u.dim));
  let v = src[si];
  {{ADD}}
}
