// Counter-based random stream (see Backend docs in lib/backend/backend.ts):
// bits(n) = pcg(pcg(n) ^ seed), all u32 arithmetic with wrap-around.
struct U {
  n: u32,
  seed: u32,
  counter: u32,
  pad0: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn bits(n: u32) -> u32 {
  return pcg(pcg(n) ^ u.seed);
}

const SCALE: f32 = 5.9604644775390625e-8; // 2^-24
const TWO_PI: f32 = 6.283185307179586;

@compute @workgroup_size(64)
fn uniform01(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  out[i] = f32(bits(u.counter + i) >> 8u) * SCALE;
}

@compute @workgroup_size(64)
fn normal01(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let u1 = f32((bits(u.counter + 2u * i) >> 8u) + 1u) * SCALE;
  let u2 = f32(bits(u.counter + 2u * i + 1u) >> 8u) * SCALE;
  out[i] = sqrt(-2.0 * log1p_(u1 - 1.0)) * cos(TWO_PI * u2);
}
