// Sliding-window family (im2col / col2im) over [B, C, H, W] images and
// [B, C, kh*kw, Ho*Wo] columns. $T element type, $ACC col2im's
// accumulator, $PAD the im2col pad value (from u.padf / u.padi).
struct U {
  n: u32,
  B: u32,
  C: u32,
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
  offset: u32,
  str: vec4<i32>,
  padf: f32,
  padi: i32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> x: array<{{T}}>;

// One invocation per column entry: out[b, c, ki*kw + kj, oy*Wo + ox].
@compute @workgroup_size(64)
fn im2col(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let npix = u.Ho * u.Wo;
  let pix = i % npix;
  var t = i / npix;
  let kk = t % (u.kh * u.kw);
  t = t / (u.kh * u.kw);
  let ch = t % u.C;
  let bi = t / u.C;
  let oy = pix / u.Wo;
  let ox = pix % u.Wo;
  let ki = kk / u.kw;
  let kj = kk % u.kw;
  let iy = i32(oy * u.sh + ki * u.dh) - u.ph;
  let ix = i32(ox * u.sw + kj * u.dw) - u.pw;
  if (iy >= 0 && iy < i32(u.H) && ix >= 0 && ix < i32(u.W)) {
    let off = i32(u.offset) + i32(bi) * u.str.x + i32(ch) * u.str.y + iy * u.str.z + ix * u.str.w;
    out[i] = x[off];
  } else {
    out[i] = {{PAD}};
  }
}

// One invocation per column row out[b, c, ki*kw + kj, oy*Wo .. oy*Wo + Wo - 1] (u.n rows): the
// index arithmetic is paid once per row instead of once per entry, which on llvmpipe is most
// of the cost.
@compute @workgroup_size(64)
fn im2col_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let r = group_index(wg, nwg) * 64u + lid;
  if (r >= u.n) { return; }
  let oy = r % u.Ho;
  var t = r / u.Ho;
  let kk = t % (u.kh * u.kw);
  t = t / (u.kh * u.kw);
  let ch = t % u.C;
  let bi = t / u.C;
  let ki = kk / u.kw;
  let kj = kk % u.kw;
  let iy = i32(oy * u.sh + ki * u.dh) - u.ph;
  let o0 = r * u.Wo;
  if (iy < 0 || iy >= i32(u.H)) {
    for (var ox = 0u; ox < u.Wo; ox++) { out[o0 + ox] = {{PAD}}; }
    return;
  }
  let row = i32(u.offset) + i32(bi) * u.str.x + i32(ch) * u.str.y + iy * u.str.z;
  var ix = i32(kj * u.dw) - u.pw;
  for (var ox = 0u; ox < u.Wo; ox++) {
    if (ix >= 0 && ix < i32(u.W)) {
      out[o0 + ox] = x[row + ix * u.str.w];
    } else {
      out[o0 + ox] = {{PAD}};
    }
    ix += i32(u.sw);
  }
}

// Gather-style adjoint: one invocation per image pixel sums every column entry
// that read it (no atomics). `u.str`/`u.offset` describe the column view.
@compute @workgroup_size(64)
fn col2im(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = group_index(wg, nwg) * 64u + lid;
  if (i >= u.n) { return; }
  let px = i32(i % u.W);
  var t = i / u.W;
  let py = i32(t % u.H);
  t = t / u.H;
  let ch = t % u.C;
  let bi = t / u.C;
  let base = i32(u.offset) + i32(bi) * u.str.x + i32(ch) * u.str.y;
  var acc: {{ACC}} = {{ACC}}(0);
  for (var ki = 0u; ki < u.kh; ki++) {
    let ty = py + u.ph - i32(ki * u.dh);
    if (ty < 0 || ty % i32(u.sh) != 0) { continue; }
    let oy = u32(ty) / u.sh;
    if (oy >= u.Ho) { continue; }
    for (var kj = 0u; kj < u.kw; kj++) {
      let tx = px + u.pw - i32(kj * u.dw);
      if (tx < 0 || tx % i32(u.sw) != 0) { continue; }
      let ox = u32(tx) / u.sw;
      if (ox >= u.Wo) { continue; }
      let off = base + i32(ki * u.kw + kj) * u.str.z + i32(oy * u.Wo + ox) * u.str.w;
      acc += {{ACC}}(x[off]);
    }
  }
  out[i] = {{STORE}};
}
