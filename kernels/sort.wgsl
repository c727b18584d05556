// Stable sort of each row along one axis (Backend.sort). A row is element (r, t) of the input
// read through `shape` / `in_strides` (the sorted axis moved last) and is written through
// `out_strides` (the contiguous output, same permutation). Bitonic networks compare
// (value, position) pairs, a total order (NaN largest, ties by position), so the result is the
// stable sort whatever order the network visits the pairs in. Rows are padded to `padded`, a
// power of two; padding has positions ≥ len and sorts after everything.
//   sort_rows:  one workgroup per row (padded ≤ CAP), the whole network in workgroup memory.
//   sort_init / sort_step / sort_store: longer rows, one dispatch per network stage (k, j) over
//   scratch `keys` / `slots` (rows × padded) in global memory.
struct U {
  rows: u32,
  len: u32,
  padded: u32,
  descending: u32,
  rank: u32,
  offset: u32,
  k: u32,
  j: u32,
  shape: Dims,
  in_strides: Strides,
  out_strides: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> vals: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> inds: array<i32>;
@group(0) @binding(3) var<storage, read> src: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> keys: array<{{T}}>;
@group(0) @binding(5) var<storage, read_write> slots: array<u32>;

const CAP: u32 = 1024u;
const WG: u32 = 64u;

fn is_nan_(v: {{T}}) -> bool {
  return {{IS_NAN}};
}

// Whether (a at position ia) sorts after (b at ib): NaN largest, descending reverses values only.
fn after(a: {{T}}, ia: u32, b: {{T}}, ib: u32) -> bool {
  if (ia >= u.len || ib >= u.len) { return ia > ib; }
  let an = is_nan_(a);
  let bn = is_nan_(b);
  let desc = u.descending != 0u;
  if (an != bn) { return select(an, bn, desc); }
  if (!an && a != b) { return select(a > b, a < b, desc); }
  return ia > ib;
}

// The pair of stage (k, j) that thread p of a row compares: lo has bit j clear, hi = lo + j.
fn pair_lo(p: u32, j: u32) -> u32 {
  return (p / j) * 2u * j + (p & (j - 1u));
}

var<workgroup> wk: array<{{T}}, CAP>;
var<workgroup> wi: array<u32, CAP>;

@compute @workgroup_size(64)
fn sort_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wg, nwg);
  if (r >= u.rows) { return; }
  let base = r * u.len;
  for (var t = lid; t < u.padded; t += WG) {
    if (t < u.len) { wk[t] = src[view_offset(base + t, u.rank, u.shape, u.in_strides, u.offset)]; }
    wi[t] = t;
  }
  workgroupBarrier();
  let half = u.padded / 2u;
  for (var k = 2u; k <= u.padded; k <<= 1u) {
    for (var j = k >> 1u; j > 0u; j >>= 1u) {
      for (var p = lid; p < half; p += WG) {
        let lo = pair_lo(p, j);
        let hi = lo + j;
        let a = wk[lo];
        let ia = wi[lo];
        let b = wk[hi];
        let ib = wi[hi];
        let swap = select(after(b, ib, a, ia), after(a, ia, b, ib), (lo & k) == 0u);
        if (swap) {
          wk[lo] = b;
          wi[lo] = ib;
          wk[hi] = a;
          wi[hi] = ia;
        }
      }
      workgroupBarrier();
    }
  }
  for (var t = lid; t < u.len; t += WG) {
    let o = view_offset(base + t, u.rank, u.shape, u.out_strides, 0u);
    vals[o] = wk[t];
    inds[o] = i32(wi[t]);
  }
}

// keys/slots[r·padded + t] = (x[r, t], t), padding past len.
@compute @workgroup_size(64)
fn sort_init(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * WG + lid;
  if (i >= u.rows * u.padded) { return; }
  let r = i / u.padded;
  let t = i - r * u.padded;
  if (t < u.len) { keys[i] = src[view_offset(r * u.len + t, u.rank, u.shape, u.in_strides, u.offset)]; }
  slots[i] = t;
}

// One stage (k, j) of every row's network: thread p compares one pair.
@compute @workgroup_size(64)
fn sort_step(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let p = group_index(wg, nwg) * WG + lid;
  let half = u.padded / 2u;
  if (p >= u.rows * half) { return; }
  let r = p / half;
  let lo = pair_lo(p - r * half, u.j);
  let base = r * u.padded;
  let a = keys[base + lo];
  let ia = slots[base + lo];
  let b = keys[base + lo + u.j];
  let ib = slots[base + lo + u.j];
  if (select(after(b, ib, a, ia), after(a, ia, b, ib), (lo & u.k) == 0u)) {
    keys[base + lo] = b;
    slots[base + lo] = ib;
    keys[base + lo + u.j] = a;
    slots[base + lo + u.j] = ia;
  }
}

// The first len entries of each sorted row, written through out_strides.
@compute @workgroup_size(64)
fn sort_store(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * WG + lid;
  if (i >= u.rows * u.len) { return; }
  let r = i / u.len;
  let s = r * u.padded + (i - r * u.len);
  let o = view_offset(i, u.rank, u.shape, u.out_strides, 0u);
  vals[o] = keys[s];
  inds[o] = i32(slots[s]);
}
