"""Frozen-feature caching, measured: a 5-epoch head-only fine-tune (freeze: features) with the backbone's
features computed once - on the runtime's inference path (a oneDNN predictor) and, for comparison in the
same run, eagerly (DRAGDL_INFERENCE=eager, what the runtime did before) - against the same run pushing every
image through the backbone every epoch.

    python benchmarks/feature_cache.py [--arch resnet18 --size 64 --per-class 100 --epochs 5] [--no-uncached]

"fine-tune" is what caching changes: the epochs plus, when cached, computing the features once (its CPU
time too: on a shared machine it is steadier than the wall time).
"whole run" is what a user waits for: it adds Paddle's import, preparing the images, the test and export."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dragdl_core.compiler.codegen import compile_graph  # noqa: E402


def graph(arch: str, size: int, per_class: int, epochs: int, cache: bool) -> dict:
    nodes = [
        {"id": "data", "type": "Shapes", "params": {"num_classes": 4, "image_size": size,
                                                   "samples_per_class": per_class}},
        {"id": "norm", "type": "Normalize", "params": {"mean": [0.485, 0.456, 0.406],
                                                       "std": [0.229, 0.224, 0.225]}},
        {"id": "backbone", "type": "Backbone", "params": {"arch": arch, "weights": "none", "freeze": "features",
                                                          "cache_features": cache}},
        {"id": "head", "type": "ClassifierHead", "params": {"hidden_units": 0}},
        {"id": "train", "type": "Trainer", "params": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01}},
    ]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "dragdl.graph", "version": 1, "name": f"cache-{cache}", "nodes": nodes, "edges": edges}


def run(work: Path, g: dict, engine: str) -> dict:
    run_dir = work / f"{g['name']}-{engine}"
    run_dir.mkdir(parents=True)
    (run_dir / "train.py").write_text(compile_graph(g))
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_HOME=str(work / "home"),
               DRAGDL_INFERENCE=engine)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)], env=env,
                          capture_output=True, text=True, check=True)
    whole = time.perf_counter() - started
    epochs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
              if json.loads(line)["kind"] == "epoch"]
    extraction = sum(float(s) for s in re.findall(r"computed once in ([\d.]+) s", done.stderr))
    extraction_cpu = sum(float(s) for s in re.findall(r"computed once in [\d.]+ s \(([\d.]+) s CPU", done.stderr))
    report = json.loads((run_dir / "report.json").read_text())
    return {"fine_tune": sum(e["epoch_time"] for e in epochs) + extraction, "extraction": extraction, "extraction_cpu": extraction_cpu,
            "whole": whole, "accuracy": report["accuracy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--no-uncached", action="store_true", help="skip the slow run without the cache")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dragdl-feature-cache-"))
    load_before = os.getloadavg()[0]
    rows = [("computed once, predictor", True, "auto"), ("computed once, eager", True, "eager")]
    if not args.no_uncached:
        rows.append(("recomputed every epoch", False, "auto"))
    results = {label: run(work, graph(args.arch, args.size, args.per_class, args.epochs, cache), engine)
               for label, cache, engine in rows}
    print(f"{args.arch}, {args.size}px, Shapes {4 * args.per_class} images (70% train, 10% val), head only, "
          f"{args.epochs} epochs; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
          f"on {os.cpu_count()} cores\n")
    print("| features                 | fine-tune s | of which extraction s | extraction CPU s | whole run s "
          "| test accuracy |")
    print("|--------------------------|-------------|-----------------------|------------------|-------------"
          "|---------------|")
    for label, r in results.items():
        print(f"| {label:<24} | {r['fine_tune']:>11.2f} | {r['extraction']:>21.2f} | {r['extraction_cpu']:>16.2f} | "
              f"{r['whole']:>11.1f} | {r['accuracy']:>13.3f} |")
    fast = results["computed once, predictor"]
    for label, r in results.items():
        if r is not fast:
            print(f"\npredictor-cached vs {label}: fine-tune {r['fine_tune'] / fast['fine_tune']:.1f}x faster, "
                  f"whole run {r['whole'] / fast['whole']:.1f}x")


if __name__ == "__main__":
    main()
