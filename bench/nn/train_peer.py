#!/usr/bin/env python3
"""The peer for bench/nn/train_throughput.sh: the THEORY §1 ResNet trained with PyTorch, same data shape, batch,
optimiser (Adam), thread count and per-batch work as `occam train` (forward, loss, backward, step, loss.item()).
Prints samples per second of the training loop only (no evaluation), as occam's summary.json does."""
import argparse, json, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, required=True)
ap.add_argument("--d-in", type=int, required=True)
ap.add_argument("--width", type=int, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--depth", type=int, required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--epochs", type=int, required=True)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--lr", type=float, default=1e-3)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
X = torch.rand(a.n, a.d_in)
Y = torch.sin(X.sum(1, keepdim=True))
w, k = a.width, a.hidden
params = []
for _ in range(a.depth):
    params.append((torch.randn(k, w + 1) * (2.0 / (w + 1)) ** 0.5).requires_grad_())
    params.append((torch.randn(w, k) * 0.1 / k ** 0.5).requires_grad_())
U = (torch.randn(1, w + 1) / (w + 1) ** 0.5).requires_grad_()
params.append(U)
opt = torch.optim.Adam(params, lr=a.lr)

def forward(x):
    h = torch.nn.functional.pad(x, (0, w - a.d_in))
    for l in range(a.depth):
        W, V = params[2 * l], params[2 * l + 1]
        z = torch.addmm(W[:, w], h, W[:, :w].t())
        h = torch.addmm(h, torch.relu(z), V.t())
    return torch.addmm(U[:, w], h, U[:, :w].t())

seconds = 0.0
for epoch in range(a.epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(a.n)
    for b in range(0, a.n, a.batch):
        idx = perm[b:b + a.batch]
        xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
        loss = torch.nn.functional.mse_loss(forward(xb), yb)
        loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds += time.perf_counter() - t0
print(json.dumps({"samples_per_second": a.n * a.epochs / seconds, "train_seconds": seconds}))
