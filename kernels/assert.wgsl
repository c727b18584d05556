// Deferred assertions: records the first non-zero element of a bool (u32) storage as a fault,
// read back with the next submit like gather's range faults (see backend.ts).
struct U {
  n: u32,
  opId: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> fault: Fault;
@group(0) @binding(2) var<storage, read> flags: array<u32>;

@compute @workgroup_size(64)
fn assert_none(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n || flags[i] == 0u) { return; }
  let r = atomicCompareExchangeWeak(&fault.op, 0u, u.opId);
  if (r.exchanged) { fault.index = i32(i); }
}
