// Cross entropy with class indices: one workgroup of 64 threads per row of contiguous f32
// logits [rows, classes]. `ce_forward` writes the row's loss to out[n] and its weight w[y] to
// extra[n]; `ce_backward` reads the row's gradient from extra[n] and writes dx[n, :] to out.
// Both entries share one binding layout. A class index outside [0, classes) that is not
// ignoreIndex is clamped and recorded in the fault buffer (as gather does).
struct U {
  rows: u32,
  classes: u32,
  ignoreIndex: i32,
  hasWeight: u32,
  eps: f32,
  opId: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> fault: Fault;
@group(0) @binding(3) var<storage, read> targets: array<i32>;
@group(0) @binding(4) var<storage, read> logits: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read_write> extra: array<f32>;

// sum64 and max64 over f32 (workgroup_reduce.wgsl)
alias Red = f32;

fn w_at(c: u32) -> f32 {
  if (u.hasWeight != 0u) { return weight[c]; }
  return 1.0;
}

// The row's class (clamped, fault recorded), or -1 when ignored.
fn row_class(n: u32, lid: u32) -> i32 {
  let t = targets[n];
  if (t == u.ignoreIndex) { return -1; }
  if (t >= 0 && u32(t) < u.classes) { return t; }
  if (lid == 0u) {
    let r = atomicCompareExchangeWeak(&fault.op, 0u, u.opId);
    if (r.exchanged) { fault.index = t; }
  }
  return clamp(t, 0, i32(u.classes) - 1);
}

// The row's max m and Σ exp(x − m) (kept apart: x − m is exact where x − lse would round).
fn row_max_sum(base: u32, lid: u32) -> vec2<f32> {
  var m = bitcast<f32>(0xff800000u);
  for (var c = lid; c < u.classes; c += 64u) { m = max(m, logits[base + c]); }
  m = max64(m, lid);
  var s = 0.0;
  for (var c = lid; c < u.classes; c += 64u) { s += exp(logits[base + c] - m); }
  return vec2<f32>(m, sum64(s, lid));
}

@compute @workgroup_size(64)
fn ce_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let y = row_class(n, lid);
  if (y < 0) {
    if (lid == 0u) { out[n] = 0.0; extra[n] = 0.0; }
    return;
  }
  let base = n * u.classes;
  let ms = row_max_sum(base, lid);
  let logs = log(ms.y);
  var smoothed = 0.0;
  if (u.eps != 0.0) {
    var part = 0.0;
    for (var c = lid; c < u.classes; c += 64u) { part += w_at(c) * ((ms.x - logits[base + c]) + logs); }
    smoothed = sum64(part, lid);
  }
  if (lid == 0u) {
    let wy = w_at(u32(y));
    out[n] = (1.0 - u.eps) * wy * ((ms.x - logits[base + u32(y)]) + logs) + u.eps / f32(u.classes) * smoothed;
    extra[n] = wy;
  }
}

@compute @workgroup_size(64)
fn ce_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg);
  if (n >= u.rows) { return; }
  let y = row_class(n, lid);
  let base = n * u.classes;
  if (y < 0) {
    for (var c = lid; c < u.classes; c += 64u) { out[base + c] = 0.0; }
    return;
  }
  let ms = row_max_sum(base, lid);
  let inv = 1.0 / ms.y;
  var wsum = f32(u.classes);
  if (u.hasWeight != 0u) {
    var part = 0.0;
    for (var c = lid; c < u.classes; c += 64u) { part += weight[c]; }
    wsum = sum64(part, lid);
  }
  let wy = w_at(u32(y));
  let g = extra[n];
  let k = u.eps / f32(u.classes);
  let coef = (1.0 - u.eps) * wy + k * wsum;
  for (var c = lid; c < u.classes; c += 64u) {
    var hit = 0.0;
    if (c == u32(y)) { hit = (1.0 - u.eps) * wy; }
    out[base + c] = g * (exp(logits[base + c] - ms.x) * inv * coef - hit - k * w_at(c));
  }
}

// Rows of few classes (the host picks these for classes <= ROW_CLASSES in cross_entropy.ts): one
// invocation per row, 64 rows per workgroup. llvmpipe pays per workgroup, so a [64, 10] batch
// runs in one workgroup instead of 64. Same math as above, each row walked by one invocation.
fn row_stats(base: u32) -> vec2<f32> {
  var m = bitcast<f32>(0xff800000u);
  for (var c = 0u; c < u.classes; c++) { m = max(m, logits[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < u.classes; c++) { s += exp(logits[base + c] - m); }
  return vec2<f32>(m, s);
}

@compute @workgroup_size(64)
fn ce_forward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let y = row_class(n, 0u);
  if (y < 0) {
    out[n] = 0.0;
    extra[n] = 0.0;
    return;
  }
  let base = n * u.classes;
  let ms = row_stats(base);
  let logs = log(ms.y);
  var smoothed = 0.0;
  if (u.eps != 0.0) {
    for (var c = 0u; c < u.classes; c++) { smoothed += w_at(c) * ((ms.x - logits[base + c]) + logs); }
  }
  let wy = w_at(u32(y));
  out[n] = (1.0 - u.eps) * wy * ((ms.x - logits[base + u32(y)]) + logs) + u.eps / f32(u.classes) * smoothed;
  extra[n] = wy;
}

@compute @workgroup_size(64)
fn ce_backward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let n = group_index(wg, nwg) * 64u + lid;
  if (n >= u.rows) { return; }
  let y = row_class(n, 0u);
  let base = n * u.classes;
  if (y < 0) {
    for (var c = 0u; c < u.classes; c++) { out[base + c] = 0.0; }
    return;
  }
  let ms = row_stats(base);
  let inv = 1.0 / ms.y;
  var wsum = f32(u.classes);
  if (u.hasWeight != 0u) {
    wsum = 0.0;
    for (var c = 0u; c < u.classes; c++) { wsum += weight[c]; }
  }
  let wy = w_at(u32(y));
  let g = extra[n];
  let k = u.eps / f32(u.classes);
  let coef = (1.0 - u.eps) * wy + k * wsum;
  for (var c = 0u; c < u.classes; c++) {
    var hit = 0.0;
    if (c == u32(y)) { hit = (1.0 - u.eps) * wy; }
    out[base + c] = g * (exp(logits[base + c] - ms.x) * inv * coef - hit - k * w_at(c));
  }
}
