"""Inference speed of the backbones on each engine, against what this machine's cores can do.

    python benchmarks/inference.py                      # resnet18, 64 px, batch 1 and 64 (about a minute)
    python benchmarks/inference.py --all                # every arch at 64 and 224 px (long: vgg16 at 224...)
    python benchmarks/inference.py --archs resnet18,mobilenet_v2 --sizes 64,224 --batches 1,64

Engines (dragdl_core/runtime/inference.py): `eager` (paddle.no_grad(), what the runtime used before),
`eager+FLAGS_use_mkldnn` (eager with Paddle's oneDNN flag on: shown because it is no faster), `predictor`
(paddle.jit.save + paddle.inference without oneDNN) and `predictor+oneDNN` (the runtime's inference path:
feature caching, evaluation, prediction). "setup s" is what an engine costs before its first image:
jit.save plus creating the predictor. "p50" is the median call, "fastest" the least disturbed one (a
neighbour only ever slows a call down). "CPU ms/img" is the process's CPU time per image: on a shared,
loaded machine it is steadier than wall time. GFLOP counts 2 per multiply-add of every Conv2D and Linear;
numpy's SGEMM (1024 x 1024 float32 matmuls, 2 n^3 FLOP each) is measured in the same run, at its start
and end, and every GFLOP/s is shown as a percentage of their mean."""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

ENGINES = ("eager", "eager+FLAGS_use_mkldnn", "predictor", "predictor+oneDNN")


def sgemm_gflops(seconds: float = 1.0, n: int = 1024) -> float:
    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - started) / 1e9


def gflop_per_image(model, size: int) -> float:
    """2 x the multiply-adds of every Conv2D and Linear for one image, counted with forward hooks."""
    import paddle
    from paddle import nn

    macs = []

    def conv(layer, inputs, output):
        kh, kw = layer._kernel_size
        macs.append(int(np.prod(output.shape[1:])) * (layer._in_channels // layer._groups) * kh * kw)

    def linear(layer, inputs, output):
        macs.append(int(np.prod(output.shape[1:])) * layer.weight.shape[0])

    hooks = [layer.register_forward_post_hook(conv if isinstance(layer, nn.Conv2D) else linear)
             for layer in model.sublayers() if isinstance(layer, (nn.Conv2D, nn.Linear))]
    with paddle.no_grad():
        model(paddle.zeros([1, 3, size, size]))
    for hook in hooks:
        hook.remove()
    return 2 * sum(macs) / 1e9


def timed(run, x, min_seconds: float, min_reps: int) -> tuple[list[float], float]:
    """Wall seconds of each call of run(x) after one warm-up call (oneDNN builds its kernels on the first),
    and the CPU seconds per call."""
    run(x)
    times = []
    started, cpu = time.perf_counter(), time.process_time()
    while len(times) < min_reps or time.perf_counter() - started < min_seconds:
        t = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - t)
    return times, (time.process_time() - cpu) / len(times)


def engines_for(model, size: int, folder: Path):
    """(engine, setup seconds, run(x) -> numpy) for each engine."""
    import paddle
    from dragdl_core.runtime import inference

    def eager(x):
        with paddle.no_grad():
            return model(paddle.to_tensor(x)).numpy()

    def eager_flag(x):
        paddle.set_flags({"FLAGS_use_mkldnn": True})
        try:
            return eager(x)
        finally:
            paddle.set_flags({"FLAGS_use_mkldnn": False})

    yield "eager", 0.0, eager
    yield "eager+FLAGS_use_mkldnn", 0.0, eager_flag
    started = time.perf_counter()
    spec = paddle.static.InputSpec([None, 3, size, size], "float32", name="image")
    paddle.jit.save(model, str(folder / "model"), input_spec=[spec])
    saved = time.perf_counter() - started
    for name, onednn in (("predictor", False), ("predictor+oneDNN", True)):
        started = time.perf_counter()
        predictor = inference.SavedModel(folder / "model", what=name, engine="predictor", onednn=onednn)
        yield name, saved + time.perf_counter() - started, predictor.run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default="resnet18", help="comma-separated backbone archs")
    parser.add_argument("--sizes", default="64", help="comma-separated image sizes (px)")
    parser.add_argument("--batches", default="1,64", help="comma-separated batch sizes")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, of: " + ", ".join(ENGINES))
    parser.add_argument("--all", action="store_true", help="every arch of the catalog at 64 and 224 px")
    parser.add_argument("--seconds", type=float, default=2.0, help="measure each figure at least this long")
    args = parser.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    import paddle
    from dragdl_core import backbones as catalog
    from dragdl_core.runtime.backbones import feature_extractor

    archs = catalog.names() if args.all else args.archs.split(",")
    sizes = [64, 224] if args.all else [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    wanted = args.engines.split(",")
    load_before = os.getloadavg()[0]
    sgemm = [sgemm_gflops()]
    rows = []
    for arch in archs:
        paddle.seed(0)
        model = feature_extractor(arch)
        model.eval()
        for size in sizes:
            gflop = gflop_per_image(model, size)
            folder = Path(tempfile.mkdtemp(prefix="dragdl-bench-inference-"))
            try:
                for engine, setup, run in engines_for(model, size, folder):
                    if engine not in wanted:
                        continue
                    for batch in batches:
                        x = np.random.RandomState(0).rand(batch, 3, size, size).astype(np.float32)
                        times, cpu = timed(run, x, args.seconds, 5 if batch == 1 else 2)
                        rate = batch / statistics.median(times)
                        rows.append((arch, size, batch, engine, setup, rate, statistics.median(times) * 1000,
                                     min(times) * 1000, rate * gflop, gflop, cpu * 1000 / batch))
                        print(f"  {arch} {size}px batch {batch} {engine}: {rate:.1f} images/s", file=sys.stderr)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    sgemm.append(sgemm_gflops())
    reference = sum(sgemm) / len(sgemm)
    print(f"{os.cpu_count()} cores, {os.environ['OMP_NUM_THREADS']} threads; load average {load_before:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after; numpy SGEMM {sgemm[0]:.0f} / {sgemm[1]:.0f} GFLOP/s "
          f"(start / end), mean {reference:.0f}\n")
    print("| arch | px | GFLOP/img | batch | engine | setup s | images/s | p50 ms/batch | fastest ms/batch "
          "| CPU ms/img | GFLOP/s | % of SGEMM |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for arch, size, batch, engine, setup, rate, ms, fastest, gflops, gflop, cpu_ms in rows:
        print(f"| {arch} | {size} | {gflop:.3f} | {batch} | {engine} | {setup:.1f} | {rate:.1f} | {ms:.1f} | "
              f"{fastest:.1f} | {cpu_ms:.1f} | {gflops:.1f} | {100 * gflops / reference:.0f}% |")


if __name__ == "__main__":
    main()
