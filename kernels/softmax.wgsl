// Softmax / log-softmax over the last dim of contiguous f32 [rows, cols]: one workgroup of 64
// threads per row, tree reductions in workgroup memory. `softmax_forward` reads x from `a`;
// `softmax_backward` reads the forward output y from `a` and its gradient from `b`.
struct U {
  rows: u32,
  cols: u32,
  isLog: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

// sum64 and max64 over f32 (workgroup_reduce.wgsl)
alias Red = f32;

// out = exp(x − m) / Σ exp(x − m), or x − m − log Σ exp(x − m); m is the row max (0 when ±inf).
@compute @workgroup_size(64)
fn softmax_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  var m = a[base];
  for (var c = lid; c < u.cols; c += 64u) { m = max(m, a[base + c]); }
  m = max64(m, lid);
  if (f32_is_inf(m)) { m = 0.0; }
  var s = 0.0;
  for (var c = lid; c < u.cols; c += 64u) { s += exp(a[base + c] - m); }
  s = sum64(s, lid);
  if (u.isLog != 0u) {
    let shift = m + log(s);
    for (var c = lid; c < u.cols; c += 64u) { out[base + c] = a[base + c] - shift; }
  } else {
    let inv = 1.0 / s;
    for (var c = lid; c < u.cols; c += 64u) { out[base + c] = exp(a[base + c] - m) * inv; }
  }
}

// out = y·(gy − Σ gy·y), or gy − exp(y)·Σ gy for log-softmax.
@compute @workgroup_size(64)
fn softmax_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  let isLog = u.isLog != 0u;
  var s = 0.0;
  for (var c = lid; c < u.cols; c += 64u) {
    if (isLog) { s += b[base + c]; } else { s += b[base + c] * a[base + c]; }
  }
  s = sum64(s, lid);
  for (var c = lid; c < u.cols; c += 64u) {
    let y = a[base + c];
    let g = b[base + c];
    if (isLog) { out[base + c] = g - exp(y) * s; } else { out[base + c] = y * (g - s); }
  }
}

// The same two entries with one thread per row (no workgroup memory or barriers): for short rows
// when there are many of them, where the per-row tree reductions cost more than they save.
@compute @workgroup_size(64)
fn softmax_forward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                        @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  var m = a[base];
  for (var c = 1u; c < u.cols; c++) { m = max(m, a[base + c]); }
  if (f32_is_inf(m)) { m = 0.0; }
  var s = 0.0;
  for (var c = 0u; c < u.cols; c++) { s += exp(a[base + c] - m); }
  if (u.isLog != 0u) {
    let shift = m + log(s);
    for (var c = 0u; c < u.cols; c++) { out[base + c] = a[base + c] - shift; }
  } else {
    let inv = 1.0 / s;
    for (var c = 0u; c < u.cols; c++) { out[base + c] = exp(a[base + c] - m) * inv; }
  }
}

@compute @workgroup_size(64)
fn softmax_backward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                         @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let base = n * u.cols;
  var s = 0.0;
  if (u.isLog != 0u) {
    for (var c = 0u; c < u.cols; c++) { s += b[base + c]; }
    for (var c = 0u; c < u.cols; c++) { out[base + c] = b[base + c] - exp(a[base + c]) * s; }
  } else {
    for (var c = 0u; c < u.cols; c++) { s += b[base + c] * a[base + c]; }
    for (var c = 0u; c < u.cols; c++) { out[base + c] = a[base + c] * (b[base + c] - s); }
  }
}
