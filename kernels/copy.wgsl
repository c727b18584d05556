// Copy family: strided copyInto and fill. $T is the element type,
// $SRC the source element type, $CONV converts s (a $SRC) to $T, $INDEX decomposes the
// element index i into the two offsets (unrolled for the view's rank, see misc.ts).
struct U {
  n: u32,
  rank: u32,
  doff: u32,
  soff: u32,
  fillBits: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  shape: Dims,
  dstr: Strides,
  sstr: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> dst: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src: array<{{SRC}}>;

@compute @workgroup_size(64)
fn strided(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var di = i32(u.doff);
  var si = i32(u.soff);
{{INDEX}}
  let s = src[si];
  dst[di] = {{CONV}};
}

@compute @workgroup_size(64)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  dst[i] = bitcast<{{T}}>(u.fillBits);
}
