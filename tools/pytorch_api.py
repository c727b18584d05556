"""Writes tools/pytorch_api.json: the public PyTorch names that tools/features.ts compares denograd against.

Run by developers, not by tests or CI (the JSON is committed):

    python3 tools/pytorch_api.py

It needs only PyTorch (made with 1.13). Namespaces and what is kept in each:

- "Tensor": every public attribute of torch.Tensor (no dunders, no leading underscore), as "method" or
  "property". An in-place variant `foo_` whose out-of-place `foo` also exists is not a row of its own: it
  sets `"inplace": true` on `foo`. In-place-only methods (`zero_`, `fill_`, `normal_`, `copy_`, …) stay
  rows. Nothing else is filtered here: CUDA, sparse, quantized and named-tensor members are listed and
  marked "not applicable" by the notes table of tools/features.ts, so that nothing disappears silently.
- "torch": the top-level functions a user porting a training script meets. Kept: public, callable, not a
  class, module or typing alias, and documented (PyTorch attaches docstrings to its public ops; the
  undocumented ones are internals such as `batch_norm_backward_elemt`, `native_layer_norm` or the
  `cudnn_*` entry points). Dropped: names ending in `_` (in-place variants are Tensor methods) and the
  subsystems matched by EXCLUDE_TORCH below (CUDA/cuDNN/MIOpen/MKL-DNN, quantization, sparse, complex
  numbers, FFT-style windows and STFT, functionalization `*_copy`/`*_scatter` variants, TorchScript/IR,
  vitals, threading and other process settings, NumPy/DLPack/file interop, and the deprecated linear
  algebra replaced by torch.linalg). CURATED_TORCH adds the grad-mode context managers (classes, so not
  caught above) and the torch.autograd functions, as "autograd.<name>".
- "F": public functions of torch.nn.functional (documented, defined by PyTorch, not typing or dispatch
  helpers); `*_with_indices` helpers (the `return_indices` option's implementation) are dropped and
  in-place variants (`relu_`) set `"inplace"` on their base.
- "nn": the classes under torch.nn that are Modules, plus `Parameter`; the public functions of nn.init as
  "init.<name>" (without the deprecated aliases lacking the trailing `_`) and of nn.utils / nn.utils.rnn as
  "utils.<name>" / "utils.rnn.<name>".
- "optim": the Optimizer subclasses in torch.optim (and Optimizer itself).
- "lr_scheduler": the schedulers in torch.optim.lr_scheduler (`_LRScheduler` as its later public name
  `LRScheduler`).
- "data": the public classes and functions of torch.utils.data, without the DataPipe machinery
  (DataLoader2, *DataPipe, DataChunk, validation decorators); then the torchvision/torchtext names that
  denograd mirrors and their common neighbours, as "torchvision.datasets.CIFAR10", …. torchvision and
  torchtext are usually not installed beside Debian's PyTorch, so those come from the short curated list
  CURATED_DATA below (marked "source": "curated"), not from introspection.

Each entry may carry "doc": the first sentence-like line of its docstring (Sphinx roles stripped).
The output is sorted and has no dates, so reruns only differ when PyTorch does.
"""

import inspect
import json
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torch.optim.lr_scheduler as lr_scheduler
import torch.utils.data as data

EXCLUDE_TORCH = re.compile(
    r"""^(
      .*cuda.* | .*cudnn.* | .*miopen.* | .*mkldnn.* | .*fbgemm.* | .*vulkan.*     # accelerator back ends
    | .*quantiz.* | q_.* | .*fake_quant.* | dequantize | int_repr                  # quantization
    | .*sparse.* | .*addmm_sparse | s[s]?p?addmm | [h]?spmm | smm | dsmm | hsmm                # sparse
    | complex | polar | conj | conj_physical | resolve_conj | resolve_neg | is_conj | is_neg | angle
    | real | imag | view_as_complex | view_as_real | isreal | adjoint                 # complex numbers
    | .*_window | stft | istft                                                     # signal processing
    | .*_copy | .*_scatter                                                         # functionalization variants
    | import_ir_module.* | parse_ir | parse_schema | parse_type_comment | merge_type_from_type_comment
    | unify_type_list | fork | wait | candidate | obj                               # TorchScript
    | read_vitals | set_vital | vitals_enabled                                      # vitals
    | .*num_threads | .*num_interop_threads | set_flush_denormal | compiled_with_cxx11_abi
    | set_default_tensor_type | .*float32_matmul_precision | set_warn_always | is_warn_always_enabled
    | .*deterministic_debug_mode | is_deterministic_algorithms_warn_only_enabled
    | is_inference | is_inference_mode_enabled | set_printoptions                   # process settings
    | from_dlpack | to_dlpack | from_numpy | frombuffer | asarray | is_storage | can_cast | promote_types
    | result_type                                                                  # interop, type queries
    | symeig | eig | lstsq | matrix_rank | solve | chain_matmul | triangular_solve | cholesky | lu
    | lu_solve | lu_unpack | qr | svd | pinverse | inverse | det | logdet | slogdet | orgqr | ormqr | geqrf
    | lobpcg | pca_lowrank | svd_lowrank | matrix_exp | matrix_power | cholesky_solve | cholesky_inverse
                                                                                   # linear algebra beyond the basics
    | unsafe_.* | native_.* | conv_tbc | channel_shuffle
    )$""",
    re.VERBOSE,
)

CURATED_TORCH = {
    "no_grad": "Context manager and decorator that disables gradient recording.",
    "enable_grad": "Context manager and decorator that enables gradient recording.",
    "set_grad_enabled": "Context manager that sets gradient recording on or off.",
    "inference_mode": "Context manager like no_grad that also skips version counting.",
    "autograd.grad": torch.autograd.grad,
    "autograd.backward": torch.autograd.backward,
    "autograd.gradcheck": torch.autograd.gradcheck,
    "autograd.gradgradcheck": torch.autograd.gradgradcheck,
    "autograd.detect_anomaly": torch.autograd.detect_anomaly,
    "autograd.set_detect_anomaly": torch.autograd.set_detect_anomaly,
    "autograd.Function": torch.autograd.Function,
}

DATAPIPE = re.compile(r"DataPipe|DataLoader2|DataChunk|validation|datapipe|guaranteed_|non_deterministic")

CURATED_DATA = {
    "torchvision.datasets.CIFAR10": "CIFAR-10 image classification dataset.",
    "torchvision.datasets.CIFAR100": "CIFAR-100 image classification dataset.",
    "torchvision.datasets.MNIST": "MNIST handwritten digits dataset.",
    "torchvision.datasets.FashionMNIST": "Fashion-MNIST clothing images dataset.",
    "torchvision.datasets.ImageFolder": "Images arranged in one folder per class.",
    "torchvision.transforms.Compose": "Composes several transforms together.",
    "torchvision.transforms.ToTensor": "Converts a PIL image or ndarray to a CHW float tensor in [0, 1].",
    "torchvision.transforms.Normalize": "Normalizes a tensor image with per-channel mean and std.",
    "torchvision.transforms.RandomCrop": "Crops at a random location, with optional padding.",
    "torchvision.transforms.RandomHorizontalFlip": "Flips horizontally with probability p.",
    "torchvision.transforms.Resize": "Resizes an image to a given size.",
    "torchvision.transforms.CenterCrop": "Crops the center of an image.",
    "torchvision.utils.make_grid": "Arranges a batch of images in a grid.",
    "torchtext.datasets.IMDB": "IMDB movie review sentiment dataset.",
}

ROLE = re.compile(r":(?:func|class|meth|attr|mod|ref|math|obj|data):`~?([^`]*)`")


def doc_line(obj):
    """The first sentence of the first prose paragraph of obj's docstring, or None."""
    doc = obj if isinstance(obj, str) else inspect.getdoc(obj)
    if not doc:
        return None
    para = []
    for line in doc.splitlines():
        line = line.strip()
        if not para and (re.match(r"^[\w.]+\(.*\)(\s*->.*)?$", line) or line.startswith("..")):
            continue  # a signature line or a directive before the prose
        if not line:
            if para:
                break
            continue
        para.append(line)
    if not para:
        return None
    text = ROLE.sub(r"`\1`", " ".join(para)).replace("``", "`")
    text = re.split(r"(?<=[.:])\s", text, maxsplit=1)[0]
    text = text[:-1] + "." if text.endswith(":") else text
    return text[:117] + "..." if len(text) > 120 else text


def entry(name, kind, obj=None, **extra):
    e = {"name": name, "kind": kind}
    d = doc_line(obj) if obj is not None else None
    if d:
        e["doc"] = d
    e.update(extra)
    return e


def fold_inplace(entries):
    """Drops `foo_` rows whose `foo` exists and marks `foo` with "inplace": true."""
    names = {e["name"] for e in entries}
    out = []
    for e in entries:
        n = e["name"]
        if n.endswith("_") and n[:-1] in names:
            continue
        if n + "_" in names:
            e["inplace"] = True
        out.append(e)
    return out


def tensor_api():
    out = []
    for n in dir(torch.Tensor):
        if n.startswith("_"):
            continue
        static = inspect.getattr_static(torch.Tensor, n)
        is_prop = isinstance(static, property) or type(static).__name__ in ("getset_descriptor", "member_descriptor")
        out.append(entry(n, "property" if is_prop else "method", static if is_prop else getattr(torch.Tensor, n)))
    return fold_inplace(out)


def torch_api():
    out = []
    for n in dir(torch):
        if n.startswith("_") or n.endswith("_") or EXCLUDE_TORCH.match(n):
            continue
        o = getattr(torch, n)
        if inspect.isclass(o) or inspect.ismodule(o) or not callable(o) or getattr(o, "__module__", "") == "typing":
            continue
        if not getattr(o, "__doc__", None):
            continue
        out.append(entry(n, "function", o))
    for n, o in CURATED_TORCH.items():
        kind = "class" if inspect.isclass(o) or isinstance(o, str) else "function"
        if n in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"):
            kind = "context manager"
        out.append(entry(n, kind, o))
    return out


def functional_api():
    out = []
    for n in dir(F):
        if n.startswith("_") or n.endswith("_with_indices"):
            continue
        o = getattr(F, n)
        if inspect.isclass(o) or inspect.ismodule(o) or not callable(o):
            continue
        mod = getattr(o, "__module__", "") or ""
        if not (mod == "torch" or mod.startswith("torch.nn") or mod.startswith("torch._C")) or mod == "torch._C":
            continue  # typing aliases, torch.overrides / jit dispatch helpers
        if not o.__doc__:
            continue
        out.append(entry(n, "function", o))
    return fold_inplace(out)


def public_functions(module, prefix, drop_deprecated):
    names = [n for n in dir(module) if not n.startswith("_") and inspect.isfunction(getattr(module, n))]
    names = [n for n in names if getattr(module, n).__module__.startswith("torch.nn")]
    if drop_deprecated:  # nn.init.normal → normal_, nn.utils.clip_grad_norm → clip_grad_norm_
        names = [n for n in names if n + "_" not in names]
    return [entry(prefix + n, "function", getattr(module, n)) for n in names]


def nn_api():
    out = []
    for n in dir(nn):
        o = getattr(nn, n)
        if not n.startswith("_") and inspect.isclass(o) and issubclass(o, nn.Module):
            out.append(entry(n, "class", o))
    out.append(entry("Parameter", "class", nn.Parameter))
    out += public_functions(nn.init, "init.", True)
    out += public_functions(nn.utils, "utils.", True)
    out += public_functions(nn.utils.rnn, "utils.rnn.", True)
    return out


def optim_api():
    out = []
    for n in dir(optim):
        o = getattr(optim, n)
        if not n.startswith("_") and inspect.isclass(o) and issubclass(o, optim.Optimizer):
            out.append(entry(n, "class", o))
    return out


def scheduler_api():
    out = [entry("LRScheduler", "class", lr_scheduler._LRScheduler)]
    for n in dir(lr_scheduler):
        o = getattr(lr_scheduler, n)
        if n.startswith("_") or not inspect.isclass(o) or o.__module__ != lr_scheduler.__name__:
            continue
        out.append(entry(n, "class", o))
    return out


def data_api():
    out = []
    for n in dir(data):
        o = getattr(data, n)
        if n.startswith("_") or inspect.ismodule(o) or DATAPIPE.search(n) or not callable(o):
            continue
        if not getattr(o, "__module__", "").startswith("torch.utils.data"):
            continue
        out.append(entry(n, "class" if inspect.isclass(o) else "function", o))
    for n, d in CURATED_DATA.items():
        last = n.rsplit(".", 1)[1]
        out.append(entry(n, "class" if last[0].isupper() else "function", d, source="curated"))
    return out


def main():
    namespaces = {
        "Tensor": tensor_api(),
        "torch": torch_api(),
        "F": functional_api(),
        "nn": nn_api(),
        "optim": optim_api(),
        "lr_scheduler": scheduler_api(),
        "data": data_api(),
    }
    for k in namespaces:
        namespaces[k] = sorted(namespaces[k], key=lambda e: e["name"])
    out = {
        "generator": "tools/pytorch_api.py",
        "torch_version": torch.__version__.split("+")[0],
        "namespaces": namespaces,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_api.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)  # the layout deno fmt keeps
        f.write("\n")
    print("wrote", path, {k: len(v) for k, v in namespaces.items()})


if __name__ == "__main__":
    main()
