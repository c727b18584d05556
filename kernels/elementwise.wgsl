// Elementwise family: unary ops, casts, binary ops and where.
// Placeholders: $OUT $A $B $C element types; $EXPR the value of
// out[i] from x = a[..], y = b[..], z = c[..] (unused inputs alias `a`).
// The math helpers (expm1_, erf_, pow_, …) come from math.wgsl, prepended by kernels.ts.
struct U {
  n: u32,
  rank: u32,
  pad0: u32,
  pad1: u32,
  offs: vec4<u32>,
  fp: vec4<f32>,
  ip: vec4<i32>,
  shape: Dims,
  sa: Strides,
  sb: Strides,
  sc: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;
@group(0) @binding(3) var<storage, read> b: array<{{B}}>;
@group(0) @binding(4) var<storage, read> c: array<{{C}}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var ia = i32(u.offs.x);
  var ib = i32(u.offs.y);
  var ic = i32(u.offs.z);
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let k = u32(d);
    let sz = dim_at(u.shape, k);
    let q = rem / sz;
    let co = i32(rem - q * sz);
    rem = q;
    ia += co * stride_at(u.sa, k);
    ib += co * stride_at(u.sb, k);
    ic += co * stride_at(u.sc, k);
  }
  let x = a[ia];
  let y = b[ib];
  let z = c[ic];
  out[i] = {{EXPR}};
}
