"""Training and inference speed of every backbone on this machine, in images per second.

    python benchmarks/backbones.py [--archs resnet18,mobilenet_v2] [--steps 3]

Training: the whole network learns (freeze: none) plus a 4-class head, Adam, batch 16 - one forward,
backward and update per step. Inference: evaluation mode, no gradients, batch 32. At 64 px for every arch,
and at 224 px (ImageNet's size) for a few. The best of `--steps` timed steps after one warm-up step."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dragdl_core.runtime  # noqa: E402,F401  (sets OMP_NUM_THREADS before Paddle loads)
from dragdl_core import backbones  # noqa: E402
from dragdl_core.runtime.backbones import feature_extractor  # noqa: E402

import paddle  # noqa: E402
from paddle import nn  # noqa: E402

AT_224 = ("resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_25", "squeezenet1_1")


def best_rate(step, batch: int, steps: int) -> float:
    step()  # warm-up: kernels chosen, memory allocated
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return batch / min(times)


def measure(arch: str, size: int, steps: int, train_batch: int = 16, eval_batch: int = 32) -> tuple[float, float]:
    extractor = feature_extractor(arch, weights="none", freeze="none")
    model = nn.Sequential(extractor, nn.Linear(extractor.arch.channels, 4))
    optimizer = paddle.optimizer.Adam(learning_rate=1e-3, parameters=model.parameters())
    images, labels = paddle.rand([train_batch, 3, size, size]), paddle.randint(0, 4, [train_batch])

    def train_step():
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()

    eval_images = paddle.rand([eval_batch, 3, size, size])

    @paddle.no_grad()
    def eval_step():
        model(eval_images).numpy()

    model.train()
    train = best_rate(train_step, train_batch, steps)
    model.eval()
    return train, best_rate(eval_step, eval_batch, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", help="comma-separated (default: every built-in arch)")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    archs = args.archs.split(",") if args.archs else list(backbones.builtin())
    print(f"{os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"load average {os.getloadavg()[0]:.1f}, paddle {paddle.__version__}\n")
    print("| arch                 | parameters | size | train img/s | inference img/s |")
    print("|----------------------|-----------:|-----:|------------:|----------------:|")
    for arch in archs:
        for size in (64, 224) if arch in AT_224 else (64,):
            train, infer = measure(arch, size, args.steps)
            print(f"| {arch:<20} | {backbones.get(arch).parameters / 1e6:>9.2f}M | {size:>4} | {train:>11.1f} | "
                  f"{infer:>15.1f} |", flush=True)


if __name__ == "__main__":
    main()
