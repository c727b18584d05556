// Layer norm over the last dim of contiguous f32 [rows, cols]: `ln_forward` and `ln_backward`
// (gx) run one workgroup of 64 threads per row with tree reductions in workgroup memory. Both
// share one binding layout; an absent weight or bias is bound to x and not read. The weight
// and bias gradients are in layer_norm_params.wgsl.
struct U {
  rows: u32,
  cols: u32,
  hasWeight: u32,
  hasBias: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> u: U;
// y (forward) or gx (backward); mean and rstd [rows] are written forward and read backward
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
// aux: the bias (forward) or gy (backward)
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> aux: array<f32>;

// sum64 over pairs of f32 (workgroup_reduce.wgsl): both sums of a pass in one tree
alias Red = vec2<f32>;

fn w_at(c: u32) -> f32 {
  if (u.hasWeight != 0u) { return weight[c]; }
  return 1.0;
}

// y = (x − mean)·rstd·w + b, rstd = 1/√(var + eps) with the biased variance (two passes).
@compute @workgroup_size(64)
fn ln_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  let inv = 1.0 / f32(u.cols);
  var s = 0.0;
  for (var c = lid; c < u.cols; c += 64u) { s += x[base + c]; }
  let mu = sum64(vec2<f32>(s, 0.0), lid).x * inv;
  var v = 0.0;
  for (var c = lid; c < u.cols; c += 64u) {
    let d = x[base + c] - mu;
    v += d * d;
  }
  let rs = 1.0 / sqrt(sum64(vec2<f32>(v, 0.0), lid).x * inv + u.eps);
  if (lid == 0u) {
    mean[n] = mu;
    rstd[n] = rs;
  }
  for (var c = lid; c < u.cols; c += 64u) {
    var y = (x[base + c] - mu) * rs * w_at(c);
    if (u.hasBias != 0u) { y += aux[c]; }
    out[base + c] = y;
  }
}

// gx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = gy·w, x̂ = (x − mean)·rstd.
@compute @workgroup_size(64)
fn ln_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  let mu = mean[n];
  let rs = rstd[n];
  var acc = vec2<f32>(0.0, 0.0);
  for (var c = lid; c < u.cols; c += 64u) {
    let g = aux[base + c] * w_at(c);
    acc += vec2<f32>(g, g * (x[base + c] - mu) * rs);
  }
  let m = sum64(acc, lid) / f32(u.cols);
  for (var c = lid; c < u.cols; c += 64u) {
    let h = (x[base + c] - mu) * rs;
    out[base + c] = rs * (aux[base + c] * w_at(c) - m.x - h * m.y);
  }
}

// The same two entries with one thread per row (no workgroup memory or barriers): for short rows
// when there are many of them.
@compute @workgroup_size(64)
fn ln_forward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  let inv = 1.0 / f32(u.cols);
  var s = 0.0;
  for (var c = 0u; c < u.cols; c++) { s += x[base + c]; }
  let mu = s * inv;
  var v = 0.0;
  for (var c = 0u; c < u.cols; c++) {
    let d = x[base + c] - mu;
    v += d * d;
  }
  let rs = 1.0 / sqrt(v * inv + u.eps);
  mean[n] = mu;
  rstd[n] = rs;
  for (var c = 0u; c < u.cols; c++) {
    var y = (x[base + c] - mu) * rs * w_at(c);
    if (u.hasBias != 0u) { y += aux[c]; }
    out[base + c] = y;
  }
}

@compute @workgroup_size(64)
fn ln_backward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  let mu = mean[n];
  let rs = rstd[n];
  var acc = vec2<f32>(0.0, 0.0);
  for (var c = 0u; c < u.cols; c++) {
    let g = aux[base + c] * w_at(c);
    acc += vec2<f32>(g, g * (x[base + c] - mu) * rs);
  }
  let m = acc / f32(u.cols);
  for (var c = 0u; c < u.cols; c++) {
    let h = (x[base + c] - mu) * rs;
    out[base + c] = rs * (aux[base + c] * w_at(c) - m.x - h * m.y);
  }
}
