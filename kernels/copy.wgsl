// Copy family: strided copyInto (contiguous copies of one dtype are buffer copies, misc.ts) and
// fill. $T is the storage item type (an element type, or a vec4 of one for the vec4 fill), $SRC
// the source item type, $CONV converts s (a $SRC) to $T, $FILL the fill value as a $T, $INDEX
// decomposes the element index i into the two offsets (unrolled for the view's rank, see misc.ts).
// Every entry walks its items as stream.ts lays out (u.per items per invocation, in teams of
// u.width invocations): llvmpipe pays per workgroup and per storage access, not per loop step.
struct U {
  // Items to copy or fill (elements, or vec4s in the vec4 variant).
  n: u32,
  rank: u32,
  // Offsets of the first item in dst and src.
  doff: u32,
  soff: u32,
  fillBits: u32,
  per: u32,
  width: u32,
  pad0: u32,
  shape: Dims,
  dstr: Strides,
  sstr: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> dst: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src: array<{{SRC}}>;

// The first item of invocation `id` and the end of its team's block (see stream.ts).
fn stream_first(id: u32) -> u32 {
  return (id - id % u.width) * u.per + id % u.width;
}

fn stream_end(id: u32) -> u32 {
  return min(u.n, (id - id % u.width) * u.per + u.width * u.per);
}

@compute @workgroup_size(64)
fn strided(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let id = group_index(wg, nwg) * 64u + lid;
  let end = stream_end(id);
  for (var i = stream_first(id); i < end; i += u.width) {
    var rem = i;
    var di = i32(u.doff);
    var si = i32(u.soff);
{{INDEX}}
    let s = src[si];
    dst[di] = {{CONV}};
  }
}

@compute @workgroup_size(64)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let id = group_index(wg, nwg) * 64u + lid;
  let end = stream_end(id);
  let value = {{FILL}};
  for (var i = stream_first(id); i < end; i += u.width) {
    dst[i] = value;
  }
}
