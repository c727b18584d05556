// Direct 2-D max pooling over contiguous f32 [N*C, H, W] planes. `pool_forward`: one invocation
// per output writes the window's max and the flat iy*W + ix index of that max (first max wins,
// a NaN replaces it, as in PyTorch). `pool_backward`: one invocation per input pixel sums gy over
// the windows that can cover it and whose index is its own (gather style, no atomics).
struct U {
  n: u32,
  H: u32,
  W: u32,
  Ho: u32,
  Wo: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  ph: i32,
  pw: i32,
  dh: u32,
  dw: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<i32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(64)
fn pool_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let ox = i % u.Wo;
  let t = i / u.Wo;
  let oy = t % u.Ho;
  let plane = t / u.Ho;
  let base = plane * u.H * u.W;
  let y0 = i32(oy * u.sh) - u.ph;
  let x0 = i32(ox * u.sw) - u.pw;
  var best = bitcast<f32>(0xff800000u); // -inf: a window wholly in the padding
  var arg = -1;
  for (var ki = 0u; ki < u.kh; ki++) {
    let iy = y0 + i32(ki * u.dh);
    if (iy < 0 || iy >= i32(u.H)) { continue; }
    for (var kj = 0u; kj < u.kw; kj++) {
      let ix = x0 + i32(kj * u.dw);
      if (ix < 0 || ix >= i32(u.W)) { continue; }
      let q = iy * i32(u.W) + ix;
      let v = x[base + u32(q)];
      if (arg < 0 || v > best || f32_is_nan(v)) {
        best = v;
        arg = q;
      }
    }
  }
  out[i] = best;
  idx[i] = arg;
}

// Forward when the windows tile the image exactly (as pool_backward_tiled): no padding or
// dilation checks, rows read straight through.
@compute @workgroup_size(64)
fn pool_forward_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let ox = i % u.Wo;
  let t = i / u.Wo;
  let oy = t % u.Ho;
  let plane = t / u.Ho;
  let base = plane * u.H * u.W;
  var best = bitcast<f32>(0xff800000u);
  var arg = -1;
  for (var ki = 0u; ki < u.kh; ki++) {
    let row = (oy * u.kh + ki) * u.W + ox * u.kw;
    for (var kj = 0u; kj < u.kw; kj++) {
      let q = row + kj;
      let v = x[base + q];
      if (arg < 0 || v > best || f32_is_nan(v)) {
        best = v;
        arg = i32(q);
      }
    }
  }
  out[i] = best;
  idx[i] = arg;
}

// pool_forward_tiled for 2×2 windows, unrolled (the common case; loops cost llvmpipe a third).
@compute @workgroup_size(64)
fn pool_forward_2x2(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let ox = i % u.Wo;
  let t = i / u.Wo;
  let oy = t % u.Ho;
  let plane = t / u.Ho;
  let q0 = oy * 2u * u.W + ox * 2u;
  let b = plane * u.H * u.W + q0;
  var best = x[b];
  var arg = q0;
  let v1 = x[b + 1u];
  if (v1 > best || f32_is_nan(v1)) { best = v1; arg = q0 + 1u; }
  let v2 = x[b + u.W];
  if (v2 > best || f32_is_nan(v2)) { best = v2; arg = q0 + u.W; }
  let v3 = x[b + u.W + 1u];
  if (v3 > best || f32_is_nan(v3)) { best = v3; arg = q0 + u.W + 1u; }
  out[i] = best;
  idx[i] = i32(arg);
}

// Backward: `x` holds gy [N*C, Ho, Wo], `idx` the forward's indices, `out` gx [N*C, H, W].
// Output rows covering input row y: oy in [ceil((y + ph - (kh-1)*dh) / sh), (y + ph) / sh].
fn covering(y: i32, k: u32, s: u32, p: i32, d: u32, size: u32) -> vec2<i32> {
  let t = y + p;
  let a = t - i32((k - 1u) * d);
  var lo = 0;
  if (a > 0) { lo = (a + i32(s) - 1) / i32(s); }
  let hi = min(t / i32(s), i32(size) - 1);
  return vec2<i32>(lo, hi);
}

@compute @workgroup_size(64)
fn pool_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let px = i % u.W;
  let t = i / u.W;
  let py = t % u.H;
  let plane = t / u.H;
  let me = i32(py * u.W + px);
  let ry = covering(i32(py), u.kh, u.sh, u.ph, u.dh, u.Ho);
  let rx = covering(i32(px), u.kw, u.sw, u.pw, u.dw, u.Wo);
  let ob = i32(plane * u.Ho * u.Wo);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    for (var ox = rx.x; ox <= rx.y; ox++) {
      let o = u32(ob + oy * i32(u.Wo) + ox);
      if (idx[o] == me) { acc += x[o]; }
    }
  }
  out[i] = acc;
}

// Backward when the windows tile the image exactly (stride = kernel, no padding or dilation,
// H = Ho·kh, W = Wo·kw): one invocation per window writes all of its pixels, gy at the chosen
// one and 0 elsewhere, so every input pixel is written once with no search.
@compute @workgroup_size(64)
fn pool_backward_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                       @builtin(local_invocation_index) lid: u32) {
  let o = group_index(wg, nwg) * 64u + lid;
  if (o >= u.n) { return; }
  let ox = o % u.Wo;
  let t = o / u.Wo;
  let oy = t % u.Ho;
  let plane = t / u.Ho;
  let chosen = idx[o];
  let g = x[o];
  let base = plane * u.H * u.W;
  for (var ki = 0u; ki < u.kh; ki++) {
    let row = (oy * u.kh + ki) * u.W + ox * u.kw;
    for (var kj = 0u; kj < u.kw; kj++) {
      let q = row + kj;
      out[base + q] = select(0.0, g, i32(q) == chosen);
    }
  }
}

// pool_backward_tiled for 2×2 windows, unrolled.
@compute @workgroup_size(64)
fn pool_backward_2x2(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
  let o = group_index(wg, nwg) * 64u + lid;
  if (o >= u.n) { return; }
  let ox = o % u.Wo;
  let t = o / u.Wo;
  let oy = t % u.Ho;
  let plane = t / u.Ho;
  let chosen = idx[o];
  let g = x[o];
  let q0 = oy * 2u * u.W + ox * 2u;
  let b = plane * u.H * u.W + q0;
  let c = chosen - i32(q0);
  out[b] = select(0.0, g, c == 0);
  out[b + 1u] = select(0.0, g, c == 1);
  out[b + u.W] = select(0.0, g, c == i32(u.W));
  out[b + u.W + 1u] = select(0.0, g, c == i32(u.W) + 1);
}
