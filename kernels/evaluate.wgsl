// Evaluate family (Backend.evaluate, the lazy engine's kernel): one generated expression over
// operands of any dtype, each read row-major in full, as one broadcast element, or through strides.
// The uniform is 64 words whose layout the host computes per variant (evaluate.ts): words 0–2 are
// the element count and the walk's per and width, then one offset per operand, the output's collapsed dims, the strides of the
// strided operands, and the params as f32 then as i32. Generated code reads them by literal index
// (`w_(k)`), which the compiler folds: no dynamic indexing on the hot path.
// Placeholders: $BINDINGS the storage declarations (outputs `o0..` read_write from binding 1, then
// operands `x0..`); $INDEX the lets giving each operand's element index `j<k>` for element i;
// $BODY one `let v<k>` per node (codegen.ts); $STORES one `o<j>[i] = …;` per output.
// The math helpers (expm1_, erf_, pow_, …) come from math.wgsl, prepended by kernels.ts.
struct U {
  w: array<vec4<u32>, 16>,
}

@group(0) @binding(0) var<uniform> u: U;
{{BINDINGS}}

fn w_(k: u32) -> u32 {
  return u.w[k >> 2u][k & 3u];
}

// The streaming walk of stream.ts: teams of `width` consecutive invocations each cover a run of
// `width · per` elements, members interleaved. On llvmpipe a team is one SIMD row of 8 lanes on
// one contiguous block (few workgroups, long runs); on a GPU `width` is every invocation, the
// usual grid-stride loop.
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = w_(0u);
  let per = w_(1u);
  let width = w_(2u);
  let g = group_index(wg, nwg) * 64u + lid;
  let team = g / width;
  let start = team * width * per + (g - team * width);
  for (var k = 0u; k < per; k++) {
    let i = start + k * width;
    if (i >= n) { break; }
{{INDEX}}{{BODY}}
{{STORES}}
  }
}
