// Weight and bias gradients of layer norm over contiguous f32 [rows, cols]. `ln_params` sums
// gy·x̂ and gy over one chunk of rows per column (partials [chunks, cols]; with one chunk, the
// result); `ln_params_sum` adds the partials up. Both share one binding layout: `ln_params_sum`
// reads the partials from `x` and `gy` (mean and rstd are bound to them and not read).
struct U {
  rows: u32,
  cols: u32,
  chunkRows: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> gw: array<f32>;
@group(0) @binding(2) var<storage, read_write> gb: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read> gy: array<f32>;

// Partial column sums over rows [chunk·chunkRows, …): gw ← Σ gy·x̂, gb ← Σ gy, at [chunk, col].
// Workgroup k covers columns (k mod tiles)·64 + lid of chunk k / tiles.
@compute @workgroup_size(64)
fn ln_params(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let k = group_index(wg, nwg);
  let tiles = (u.cols + 63u) / 64u;
  let chunk = k / tiles;
  let c = (k % tiles) * 64u + lid;
  if (chunk >= u.chunks || c >= u.cols) { return; }
  let r0 = chunk * u.chunkRows;
  let r1 = min(r0 + u.chunkRows, u.rows);
  var sw = 0.0;
  var sb = 0.0;
  for (var r = r0; r < r1; r++) {
    let i = r * u.cols + c;
    let g = gy[i];
    sw += g * (x[i] - mean[r]) * rstd[r];
    sb += g;
  }
  gw[chunk * u.cols + c] = sw;
  gb[chunk * u.cols + c] = sb;
}

// gw[c] = Σ_k partial_w[k, c] (read from `x`), gb[c] = Σ_k partial_b[k, c] (read from `gy`).
@compute @workgroup_size(64)
fn ln_params_sum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let c = group_index(wg, nwg) * 64u + lid;
  if (c >= u.cols) { return; }
  var sw = 0.0;
  var sb = 0.0;
  for (var k = 0u; k < u.chunks; k++) {
    sw += x[k * u.cols + c];
    sb += gy[k * u.cols + c];
  }
  gw[c] = sw;
  gb[c] = sb;
}
