"""PyTorch side of bench/imdb_epoch.ts: one training epoch of the IMDB BERT classifier.

The model is the plain-PyTorch BertForSequenceClassification of tests/fixtures/make_bert.py (a
faithful re-implementation of Hugging Face's, the one the BERT golden tests compare against),
sized as examples/imdb_bert.ts builds it by default: 2 layers, hidden 128, 2 heads, feed-forward
512, vocabulary 30522, positions = max length, GELU, dropout 0.1, LayerNorm eps 1e-12. Training
follows the example: AdamW (lr 5e-4, weight decay 0.01), linear warm-up over 10% of the steps then
linear decay, batch 32 shuffled, the mean cross-entropy loss read back every step (`loss.item()`),
then test accuracy in eval mode in batches of 64. The token ids are the ones bench/imdb_epoch.ts
wrote with denograd's BertTokenizer (`imdb.json` + `imdb.bin` in --data=<dir>).

Usage: /usr/bin/python3 bench/imdb_epoch_torch.py --data=<dir> [--threads=N]
Prints one line `IMDB_RESULT {json}` (or `IMDB_SKIP <reason>` when torch cannot be imported).
"""
import json
import os
import statistics
import sys
import time


def opt(name, default):
    for a in sys.argv[1:]:
        if a.startswith(f"--{name}="):
            return a[len(name) + 3:]
    return default


def main():
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
        print(f"IMDB_SKIP torch cannot be imported ({type(e).__name__}: {e})")
        return
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "tests", "fixtures"))
    import make_bert  # noqa: E402 - the model lives beside the BERT fixtures

    threads = int(opt("threads", str(os.cpu_count() or 1)))
    torch.set_num_threads(threads)
    folder = opt("data", "")
    with open(os.path.join(folder, "imdb.json")) as f:
        meta = json.load(f)
    flat = np.fromfile(os.path.join(folder, "imdb.bin"), dtype="<i4")
    L = meta["maxLen"]
    sets, at = {}, 0
    for split in ("train", "test"):
        n = meta[split]
        ids = torch.from_numpy(flat[at:at + n * L].copy()).long().reshape(n, L)
        mask = torch.from_numpy(flat[at + n * L:at + 2 * n * L].copy()).long().reshape(n, L)
        labels = torch.from_numpy(flat[at + 2 * n * L:at + 2 * n * L + n].copy()).long()
        at += 2 * n * L + n
        sets[split] = (ids, mask, labels)

    torch.manual_seed(0)
    cfg = make_bert.Cfg({**make_bert.CONFIG, "vocab_size": meta["vocabSize"], "hidden_size": 128,
                         "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 512,
                         "max_position_embeddings": L})
    model = make_bert.BertForSequenceClassification(cfg, 2)
    batch = meta["batchSize"]
    opt_ = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    ids, mask, labels = sets["train"]
    n = ids.shape[0]
    total = (n + batch - 1) // batch
    warmup = max(1, round(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt_, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (total - s) / (total - warmup)))

    model.train()
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    step_s, loss_sum = [], 0.0
    t_epoch = time.perf_counter()
    for i in range(0, n, batch):
        t0 = time.perf_counter()
        idx = order[i:i + batch]
        tt = torch.zeros_like(ids[idx])
        _, _, logits = model(ids[idx], mask[idx], tt)
        loss = F.cross_entropy(logits, labels[idx])
        loss.backward()
        opt_.step()
        opt_.zero_grad(set_to_none=True)
        sched.step()
        loss_sum += loss.item() * len(idx)
        step_s.append(time.perf_counter() - t0)
    train_s = time.perf_counter() - t_epoch

    t_eval = time.perf_counter()
    model.eval()
    tids, tmask, tlabels = sets["test"]
    correct = 0
    with torch.no_grad():
        for i in range(0, tids.shape[0], 2 * batch):
            _, _, logits = model(tids[i:i + 2 * batch], tmask[i:i + 2 * batch], torch.zeros_like(tids[i:i + 2 * batch]))
            correct += int((logits.argmax(-1) == tlabels[i:i + 2 * batch]).sum())
    eval_s = time.perf_counter() - t_eval
    print("IMDB_RESULT " + json.dumps({
        "threads": threads,
        "version": torch.__version__,
        "trainS": train_s,
        "evalS": eval_s,
        "firstStepS": step_s[0],
        "stepS": statistics.median(step_s[1:]) if len(step_s) > 1 else step_s[0],
        "steps": len(step_s),
        "loss": loss_sum / n,
        "accuracy": correct / max(1, tids.shape[0]),
    }))


if __name__ == "__main__":
    main()
