"""PyTorch CPU peer of `deno task bench` (bench/bench.ts runs it with Debian's /usr/bin/python3).

Runs the same matmul sizes and training workloads as bench/peers.ts, from the same initial
weights and data (bench/workloads.ts writes them as inputs.json + inputs.bin into --inputs=<dir>),
and prints one line `BENCH_RESULT {json}` on stdout in the shape bench/peers.ts uses. When torch
cannot be imported it prints `BENCH_SKIP <reason>` and exits 0.

Usage: python3 bench/peers_torch.py --sizes=256,512 --runs=3 --target-ms=1500
       --workloads=conv1,cnn,... --inputs=<dir> [--quick]
torch uses as many threads as the machine has cores (torch.set_num_threads(os.cpu_count())).
"""
import json
import math
import os
import statistics
import sys
import time

# Keep in step with WORKLOADS in bench/workloads.ts: (steps per sync, (quick batches, full batches)).
SCHEDULE = {
    "conv1": (2, (3, 5)),
    "conv2": (2, (3, 5)),
    "cnn": (5, (2, 4)),
    "transformer": (2, (3, 5)),
    "mlp": (20, (3, 5)),
    "adam": (5, (3, 5)),
}


def opt(args, name, default):
    for a in args:
        if a.startswith(f"--{name}="):
            return a[len(name) + 3:]
    return default


def load_inputs(torch, folder):
    import numpy as np

    with open(os.path.join(folder, "inputs.json")) as f:
        manifest = json.load(f)
    flat = np.fromfile(os.path.join(folder, "inputs.bin"), dtype="<f4")
    out = {}
    for name, m in manifest.items():
        n = math.prod(m["shape"])
        out[name] = torch.from_numpy(flat[m["offset"]:m["offset"] + n].copy()).reshape(m["shape"])
    return out


def state(inputs, prefix):
    p = prefix + "."
    return {k[len(p):]: v for k, v in inputs.items() if k.startswith(p) and k[len(p):] not in ("x", "y", "g")}


def norm(t):
    return float(t.double().norm())


def workloads(torch, inputs):
    nn = torch.nn
    F = torch.nn.functional

    def conv(key):
        def make():
            x = inputs[f"{key}.x"].clone().requires_grad_()
            w = inputs[f"{key}.w"].clone().requires_grad_()
            last = {}

            def step():
                x.grad = None
                w.grad = None
                s = F.conv2d(x, w, None, padding=1).sum()
                s.backward()
                last["s"] = s.detach()

            return x, w, step, last

        def check():
            x, w, step, last = make()
            step()
            return [float(last["s"]), norm(x.grad), norm(w.grad)]

        def runner():
            _, _, step, last = make()
            return step, lambda: float(last["s"])

        return check, runner

    def classifier(prefix, build, lr, momentum):
        def make():
            model = build()
            model.load_state_dict(state(inputs, prefix))
            x = inputs[f"{prefix}.x"]
            y = inputs[f"{prefix}.y"].long()
            loss_fn = nn.CrossEntropyLoss()
            opt_ = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            last = {}

            def step():
                opt_.zero_grad(set_to_none=True)
                loss = loss_fn(model(x), y)
                loss.backward()
                opt_.step()
                last["loss"] = loss.detach()

            def eval_loss():
                with torch.no_grad():
                    return float(loss_fn(model(x), y))

            return step, last, eval_loss

        def check():
            step, last, eval_loss = make()
            step()
            return [float(last["loss"]), eval_loss()]

        def runner():
            step, last, _ = make()
            return step, lambda: float(last["loss"])

        return check, runner

    def cnn():
        return nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 16 * 16, 10))

    def mlp():
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def transformer():
        def make():
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, batch_first=True,
                                               layer_norm_eps=1e-5)
            layer.load_state_dict(state(inputs, "transformer"))
            x = inputs["transformer.x"]
            g = inputs["transformer.g"]
            last = {}

            def step():
                layer.zero_grad(set_to_none=True)
                s = (layer(x) * g).sum()
                s.backward()
                last["s"] = s.detach()

            return layer, step, last

        def check():
            layer, step, last = make()
            step()
            return [float(last["s"]), norm(layer.linear1.weight.grad)]

        def runner():
            _, step, last = make()
            return step, lambda: float(last["s"])

        return check, runner

    def adam():
        def make():
            ps = [inputs[f"adam.p{i}"].clone().requires_grad_() for i in range(4)]
            for i, p in enumerate(ps):
                p.grad = inputs[f"adam.g{i}"].clone()
            opt_ = torch.optim.Adam(ps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
            return ps, opt_.step

        def check():
            ps, step = make()
            step()
            return [float(ps[0].detach()[:1000].double().sum()), float(ps[3].detach()[:1000].double().sum())]

        def runner():
            ps, step = make()
            return step, lambda: float(ps[0].detach()[0])

        return check, runner

    return {
        "conv1": conv("conv1"),
        "conv2": conv("conv2"),
        "cnn": classifier("cnn", cnn, 0.01, 0.9),
        "transformer": transformer(),
        "mlp": classifier("mlp", mlp, 0.01, 0.9),
        "adam": adam(),
    }


def time_runner(step, sync, steps_per_sync, batches):
    for _ in range(2):
        step()
    sync()
    out = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(steps_per_sync):
            step()
        sync()
        out.append((time.perf_counter() - t0) * 1000 / steps_per_sync)
    return out


def matmul(torch, n, runs, target_ms):
    g = torch.Generator().manual_seed(n)
    a = torch.randn(n, n, generator=g)
    b = torch.randn(n, n, generator=g)
    torch.mm(a, b)
    t0 = time.perf_counter()
    torch.mm(a, b)
    one = (time.perf_counter() - t0) * 1000
    iters = max(1, min(200, round(target_ms / max(one, 0.01))))
    allg, ms = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            torch.mm(a, b)
        dt = (time.perf_counter() - t0) * 1000 / iters
        ms.append(dt)
        allg.append(2 * n**3 / dt / 1e6)
    return {"n": n, "gflops": statistics.median(allg), "msPerMatmul": statistics.median(ms), "iters": iters,
            "runs": runs, "all": allg}


def blas_libraries(torch):
    """The BLAS shared libraries this process mapped after one matmul (Debian's torch reports
    BLAS_INFO=generic and calls whatever libblas.so.3 resolves to: OpenBLAS when
    libopenblas0-pthread is installed, else the slow reference BLAS)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none found"


def main():
    args = sys.argv[1:]
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
        print(f"BENCH_SKIP torch cannot be imported ({type(e).__name__}: {e})")
        return
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    notes = [f"torch.set_num_threads({threads})"]
    blas = blas_libraries(torch)
    print(f"[pytorch-cpu] BLAS: {blas}", file=sys.stderr)
    result = {"peer": "pytorch-cpu",
              "description": f"PyTorch {torch.__version__} CPU, {threads} threads, BLAS {blas}",
              "version": torch.__version__, "matmul": [], "notes": notes}
    sizes = [int(s) for s in opt(args, "sizes", "").split(",") if s]
    runs = int(opt(args, "runs", "5"))
    target_ms = float(opt(args, "target-ms", "1500"))
    for n in sizes:
        m = matmul(torch, n, min(runs, 3) if n >= 2048 else runs, target_ms)
        print(f"[pytorch-cpu] matmul {n}: {m['gflops']:.2f} GFLOP/s", file=sys.stderr)
        result["matmul"].append(m)
    keys = [k for k in opt(args, "workloads", "").split(",") if k]
    if keys:
        quick = "--quick" in args
        impls = workloads(torch, load_inputs(torch, opt(args, "inputs", "")))
        result["workloads"] = []
        print("BENCH_RESULT " + json.dumps(result), flush=True)
        for key in keys:
            try:
                check, runner = impls[key]
                values = check()
                step, sync = runner()
                spp, batches = SCHEDULE[key]
                allms = time_runner(step, sync, spp, batches[0 if quick else 1])
                r = {"key": key, "msPerStep": statistics.median(allms), "all": allms, "stepsPerSync": spp,
                     "check": values}
                print(f"[pytorch-cpu] {key}: {r['msPerStep']:.1f} ms/step; check {values}", file=sys.stderr)
                result["workloads"].append(r)
            except Exception as e:  # noqa: BLE001 - report and go on with the next workload
                print(f"[pytorch-cpu] {key} failed: {e}", file=sys.stderr)
                notes.append(f"{key}: failed ({str(e)[:200]})")
            # a partial result after each workload, so a run killed on timeout still reports what it finished
            print("BENCH_RESULT " + json.dumps(result), flush=True)
    print("BENCH_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
