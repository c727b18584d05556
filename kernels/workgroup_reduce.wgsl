// Tree reductions over the 64 threads of a workgroup in workgroup memory, for the kernels that
// reduce one row per workgroup (cross_entropy, softmax, layer_norm); prepended to them by
// lib/backend/webgpu/kernels.ts. The including kernel declares the element type with
// `alias Red = f32;` (or a vector, reducing componentwise). Every thread of the workgroup must
// call these together, and each returns the result to all of them.
var<workgroup> red: array<Red, 64>;

fn sum64(v: Red, lid: u32) -> Red {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn max64(v: Red, lid: u32) -> Red {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
