// Elementwise family: any op of the op table over up to three strided operands.
// Placeholders: $OUT $A $B $C element types; $INDEX how ia/ib/ic are found (see INDEXING in
// elementwise.ts: the host picks a variant by the collapsed rank); $BODY the op's `let`s,
// generated from its table entry (codegen.ts), reading a[ia], b[ib], c[ic] (unused inputs
// alias `a`); $RESULT the value stored into out[i]. Op params are u.fp (f32) and u.ip (i32).
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

// A grid-stride loop: llvmpipe pays per workgroup, so the host launches at most a few
// thousand workgroups and each invocation walks the elements `total` apart.
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let total = nwg.x * nwg.y * nwg.z * 64u;
  for (var i = group_index(wg, nwg) * 64u + lid; i < u.n; i += total) {
{{INDEX}}{{BODY}}
    out[i] = {{RESULT}};
  }
}
