// Reduction family. The input view is split into kept dims (one output each)
// and reduced dims. Placeholders: $OUT $IN element types, $ACC the
// accumulator type, $INIT its identity, $LOAD converts v (an $IN) to
// $ACC, $COMBINE merges acc and v, $BETTER (argReduce) whether v
// beats best.
struct U {
  nout: u32,
  nred: u32,
  krank: u32,
  rrank: u32,
  offset: u32,
  groups: u32,
  pad1: u32,
  pad2: u32,
  kshape: Dims,
  kstr: Strides,
  rshape: Dims,
  rstr: Strides,
}

@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(2) var<storage, read> a: array<{{IN}}>;

fn combine(acc: {{ACC}}, v: {{ACC}}) -> {{ACC}} {
  return {{COMBINE}};
}

fn load(j: u32) -> {{ACC}} {
  let v = a[j];
  return {{LOAD}};
}

// One invocation per output; used when the reduced extent is small.
@compute @workgroup_size(64)
fn small(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let o = group_index(wg, nwg) * 64u + lid;
  if (o >= u.nout) { return; }
  let base = view_offset(o, u.krank, u.kshape, u.kstr, u.offset);
  var acc: {{ACC}} = {{INIT}};
  if (u.rrank == 1u) {
    let s = u.rstr[0].x;
    for (var r = 0u; r < u.nred; r++) {
      acc = combine(acc, load(u32(i32(base) + i32(r) * s)));
    }
  } else {
    for (var r = 0u; r < u.nred; r++) {
      acc = combine(acc, load(view_offset(r, u.rrank, u.rshape, u.rstr, base)));
    }
  }
  out[o] = {{OUT}}(acc);
}

// Many invocations per output for long reductions with few outputs (pass 1 of 2): invocation
// (o, g) combines reduced indices g, g + groups, g + 2·groups, … — neighbouring lanes read
// neighbouring elements — and writes partial o·groups + g; a second pass reduces the partials.
// No workgroup memory or barriers, which cost much more than the extra pass on llvmpipe.
@compute @workgroup_size(64)
fn chunked(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let t = group_index(wg, nwg) * 64u + lid;
  if (t >= u.nout * u.groups) { return; }
  let o = t / u.groups;
  let g = t - o * u.groups;
  let base = view_offset(o, u.krank, u.kshape, u.kstr, u.offset);
  var acc: {{ACC}} = {{INIT}};
  if (u.rrank == 1u) {
    let s = u.rstr[0].x;
    for (var r = g; r < u.nred; r += u.groups) {
      acc = combine(acc, load(u32(i32(base) + i32(r) * s)));
    }
  } else if (u.rrank == 2u) {
    // Two reduced dims (e.g. N and H·W of a bias gradient): step the index pair without a
    // division per element.
    let n1 = u.rshape[0].y;
    let s0 = u.rstr[0].x;
    let s1 = u.rstr[0].y;
    var i0 = g / n1;
    var i1 = g - i0 * n1;
    for (var r = g; r < u.nred; r += u.groups) {
      acc = combine(acc, load(u32(i32(base) + i32(i0) * s0 + i32(i1) * s1)));
      i1 += u.groups;
      while (i1 >= n1) {
        i1 -= n1;
        i0 += 1u;
      }
    }
  } else {
    for (var r = g; r < u.nred; r += u.groups) {
      acc = combine(acc, load(view_offset(r, u.rrank, u.rshape, u.rstr, base)));
    }
  }
  out[t] = {{OUT}}(acc);
}

var<workgroup> partial: array<{{ACC}}, 256>;

// One workgroup per output: strided partial sums then a shared-memory tree.
@compute @workgroup_size(256)
fn tree(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = group_index(wg, nwg);
  if (o >= u.nout) { return; }
  let base = view_offset(o, u.krank, u.kshape, u.kstr, u.offset);
  var acc: {{ACC}} = {{INIT}};
  for (var r = lid; r < u.nred; r += 256u) {
    acc = combine(acc, load(view_offset(r, u.rrank, u.rshape, u.rstr, base)));
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] = combine(partial[lid], partial[lid + s]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[o] = {{OUT}}(partial[0]);
  }
}

// Index of the first max/min along one axis (rshape[0] long, stride rstr[0]).
@compute @workgroup_size(64)
fn arg(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
  let o = group_index(wg, nwg) * 64u + lid;
  if (o >= u.nout) { return; }
  let base = i32(view_offset(o, u.krank, u.kshape, u.kstr, u.offset));
  let s = u.rstr[0].x;
  var best = load(u32(base));
  var index = 0u;
  if ({{NOT_NAN}}) {
    for (var r = 1u; r < u.nred; r++) {
      let v = load(u32(base + i32(r) * s));
      if (!({{V_NOT_NAN}})) {
        index = r;
        break;
      }
      if ({{BETTER}}) {
        best = v;
        index = r;
      }
    }
  }
  out[o] = {{OUT}}(index);
}
