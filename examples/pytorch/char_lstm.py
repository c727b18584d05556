"""The PyTorch twin of examples/char_lstm.ts: the same text, model, optimiser, batches (the same
start positions) and evaluation, in torch 1.13 float32 on the cpu.
Run: /usr/bin/python3 examples/pytorch/char_lstm.py [--steps 300] [--seed 0] [--data PATH]"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "../../../shared/data/sentiment-labelled-sentences/yelp_labelled.txt")
SEQ, BATCH, EMBED, HIDDEN, LR, CLIP = 64, 32, 32, 128, 2e-3, 5

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=DEFAULT_DATA)
parser.add_argument("--steps", type=int, default=300)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)

with open(args.data, encoding="utf-8", newline="") as f:
    raw = f.read()
text = "\n".join(l[: l.rindex("\t")] for l in raw.split("\n") if "\t" in l) + "\n"
chars = sorted(set(text))
index = {ch: i for i, ch in enumerate(chars)}
ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
split = int(len(ids) * 0.9)
train, valid = ids[:split], ids[split:]
print(f"{len(ids)} characters, vocabulary {len(chars)}; {len(train)} train, {len(valid)} validation")


class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(len(chars), EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, len(chars))

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def batch(source, starts):
    x = torch.stack([source[s:s + SEQ] for s in starts])
    y = torch.stack([source[s + 1:s + SEQ + 1] for s in starts])
    return x, y


def loss_of(model, x, y):
    logits, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))


model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=LR)
span = len(train) - SEQ - 1
window, train_loss = [], float("nan")
started = time.time()
for step in range(args.steps):
    starts = [((step * BATCH + j) * 7919) % span for j in range(BATCH)]
    x, y = batch(train, starts)
    loss = loss_of(model, x, y)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()
    window.append(loss.item())
    if (step + 1) % 50 == 0 or step == args.steps - 1:
        train_loss = sum(window) / len(window)
        print(f"step {step + 1}: train loss {train_loss:.4f} (mean of the last {len(window)}), "
              f"{time.time() - started:.1f} s")
        window = []

model.eval()
with torch.no_grad():
    valid_starts = [i * SEQ for i in range((len(valid) - 1) // SEQ)]
    valid_loss = loss_of(model, *batch(valid, valid_starts)).item()
    out, state = "The food", None
    nxt = torch.tensor([[index[ch] for ch in out]])
    for _ in range(60):
        logits, state = model(nxt, state)
        i = int(logits[0, -1].argmax())
        out += chars[i]
        nxt = torch.tensor([[i]])
print(f"sample: {out!r}")
print(f"final train loss {train_loss:.4f}, validation loss {valid_loss:.4f}")
