// Fused family (Backend.fused): each invocation evaluates a whole elementwise
// expression DAG for element i and writes every output. All values are f32.
// Placeholders: $BINDINGS the storage declarations (outputs `o0..` read_write at
// bindings 1.., then inputs `x0..` read-only); $BODY one `let v<k>` per distinct
// node in dependency order; $STORES one `o<j>[i] = v<k>;` per output.
// The math helpers (expm1_, erf_, pow_, …) come from math.wgsl, prepended by kernels.ts.
struct U {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  // Per bound input k: 1 when it holds n elements, 0 when it holds one (read at index 0).
  step: array<vec4<u32>, 2>,
  // The call's params (FUSED_LIMITS.params = 16), read by `param` nodes.
  p: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> u: U;
{{BINDINGS}}

fn param_(k: u32) -> f32 {
  return u.p[k >> 2u][k & 3u];
}

fn at_(k: u32, i: u32) -> u32 {
  return i * u.step[k >> 2u][k & 3u];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
{{BODY}}
{{STORES}}
}
