// Fused family (Backend.fused): `eval_` evaluates a whole elementwise expression DAG for one
// element and returns every output; the loop calls it once per element of each item and stores.
// An item is one f32, or in the vec4 variant four consecutive elements moved with one 16-byte
// load or store per storage (see fused.ts for when that applies). All values are f32.
// Placeholders: $BINDINGS the storage declarations (outputs `o0..` read_write at bindings 1..,
// then inputs `x0..` read-only, arrays of f32 or vec4<f32>); $ARGS
// eval_'s parameters: `a0: f32, ..` (one per bound input), then `q<k>: f32` (one per param it
// reads, loaded by $SETUP before the loop); $FIELDS the result's fields `r0: f32, ..`
// (one per output); $BODY one `let v<k>` per distinct node in dependency order; $RESULT the
// result's field values; $LOOP the loads, eval_ calls and stores of item i.
// The math helpers (expm1_, erf_, pow_, …) come from math.wgsl, prepended by kernels.ts.
struct U {
  // Items (elements, or vec4s in the vec4 variant).
  n: u32,
  // The walk (stream.ts, StreamLayout): items per invocation, and invocations per team.
  per: u32,
  width: u32,
  pad0: u32,
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

fn step_(k: u32) -> u32 {
  return u.step[k >> 2u][k & 3u];
}

// The first item of invocation `id` and the end of its team's block (see stream.ts).
fn stream_first(id: u32) -> u32 {
  return (id - id % u.width) * u.per + id % u.width;
}

fn stream_end(id: u32) -> u32 {
  return min(u.n, (id - id % u.width) * u.per + u.width * u.per);
}

struct R_ {
{{FIELDS}}
}

fn eval_({{ARGS}}) -> R_ {
{{BODY}}
  return R_({{RESULT}});
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let id = group_index(wg, nwg) * 64u + lid;
  let end = stream_end(id);
{{SETUP}}
  for (var i = stream_first(id); i < end; i += u.width) {
{{LOOP}}
  }
}
