"""Offline transfer learning, measured: does a backbone pretrained on one task help another?

Source task: Shapes with 4 classes (circle, square, triangle, cross). `pretrain` trains the whole backbone
on it and stores its weights under a name. Target task: 4 *other* shapes (ring, star, bar, diamond), few
images each, held as an ImageFolder dataset. On the target we train only the head (freeze: features), from
the pretrained weights and from random weights, for the same number of epochs, and compare test accuracy.

    python benchmarks/transfer.py                 # the README numbers (a few minutes on 2 cores)
    python benchmarks/transfer.py --tiny          # what the CI test runs
    python benchmarks/transfer.py --arch tinynet --model-file examples/custom_model.py   # a custom backbone

Everything goes to a temporary DRAGDL_HOME and datasets folder (or --work DIR)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dragdl_core.synthetic_shapes import SHAPE_NAMES, draw_one  # noqa: E402

SOURCE_CLASSES, TARGET_CLASSES = SHAPE_NAMES[:4], SHAPE_NAMES[4:8]
IMAGENET_NORM = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


@dataclass
class Scale:
    arch: str = "resnet18"
    image_size: int = 32
    source_per_class: int = 150
    source_epochs: int = 4
    target_per_class: int = 60    # half of them test images, 10% validation: 24 to train on
    target_epochs: int = 15
    seeds: tuple = (0, 1, 2)
    model_file: str | None = None  # register this custom model family as `arch` first
    source_batch: int = 32
    source_lr: float = 0.002


FULL = Scale()
TINY = Scale(arch="tinynet", model_file=str(ROOT / "examples" / "custom_model.py"), source_per_class=60,
             source_epochs=5, target_per_class=30, target_epochs=10, seeds=(0,), source_batch=16, source_lr=0.005)


def _graph(name: str, dataset: dict, backbone: dict, trainer: dict) -> dict:
    nodes = [dataset, {"id": "norm", "type": "Normalize", "params": IMAGENET_NORM},
             {"id": "backbone", "type": "Backbone", "params": backbone},
             {"id": "head", "type": "ClassifierHead", "params": {"hidden_units": 0}},
             {"id": "train", "type": "Trainer", "params": trainer}]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "dragdl.graph", "version": 1, "name": name, "nodes": nodes, "edges": edges}


def source_graph(scale: Scale) -> dict:
    dataset = {"id": "data", "type": "Shapes", "params": {
        "num_classes": 4, "image_size": scale.image_size, "samples_per_class": scale.source_per_class, "seed": 0}}
    return _graph("transfer-source", dataset, {"arch": scale.arch, "weights": "none", "freeze": "none"},
                  {"optimizer": "adam", "learning_rate": scale.source_lr, "epochs": scale.source_epochs,
                   "batch_size": scale.source_batch})


def target_graph(scale: Scale, dataset_name: str, weights: str, seed: int, freeze: str = "features") -> dict:
    dataset = {"id": "data", "type": "ImageFolder", "params": {
        "name": dataset_name, "image_size": scale.image_size, "seed": seed, "val_ratio": 0.1, "test_ratio": 0.5}}
    return _graph(f"transfer-target-{weights}-{freeze}-{seed}", dataset,
                  {"arch": scale.arch, "weights": weights, "freeze": freeze},
                  {"optimizer": "adam", "learning_rate": 0.01, "epochs": scale.target_epochs, "batch_size": 16,
                   "seed": seed})


def make_target_dataset(datasets_dir: Path, name: str, scale: Scale, seed: int = 1) -> None:
    """The 4 target shapes as an ImageFolder dataset (PNG files, one folder per class)."""
    rng = np.random.RandomState(seed)
    for kind in TARGET_CLASSES:
        folder = datasets_dir / name / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(scale.target_per_class):
            Image.fromarray(draw_one(kind, scale.image_size, rng, 0.1)).save(folder / f"{i:04d}.png")


def _env(work: Path) -> dict:
    env = dict(os.environ, DRAGDL_HOME=str(work / "home"), DRAGDL_DATASETS=str(work / "datasets"),
               PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return env


def _cli(work: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dragdl_core", *args], env=_env(work), capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def _train(work: Path, graph: dict) -> dict:
    path = work / f"{graph['name']}.json"
    path.write_text(json.dumps(graph))
    run_dir = work / "runs" / graph["name"]
    started = time.perf_counter()
    _cli(work, "run", str(path), "--run-dir", str(run_dir))
    report = json.loads((run_dir / "report.json").read_text())
    return {"accuracy": report["accuracy"], "seconds": time.perf_counter() - started,
            "trainable": report["trainable_parameters"]}


def experiment(scale: Scale, work: Path) -> dict:
    """Pretrain on the source, then head-only on the target from pretrained and from random weights."""
    (work / "datasets").mkdir(parents=True, exist_ok=True)
    make_target_dataset(work / "datasets", "target-shapes", scale)
    if scale.model_file:
        _cli(work, "models", "register", scale.model_file, "--name", scale.arch, "--replace")
    source = work / "source.json"
    source.write_text(json.dumps(source_graph(scale)))
    started = time.perf_counter()
    _cli(work, "pretrain", str(source), "--name", "shapes-source", "--run-dir", str(work / "runs" / "source"))
    source_report = json.loads((work / "runs" / "source" / "report.json").read_text())
    results = {"scale": scale.__dict__, "source_accuracy": source_report["accuracy"],
               "pretrain_seconds": time.perf_counter() - started, "runs": []}
    for seed in scale.seeds:
        for weights in ("shapes-source", "none"):
            run = _train(work, target_graph(scale, "target-shapes", weights, seed))
            results["runs"].append({"weights": weights, "seed": seed, **run})
    for weights in ("shapes-source", "none"):
        accs = [r["accuracy"] for r in results["runs"] if r["weights"] == weights]
        results[f"mean_accuracy_{weights}"] = float(np.mean(accs))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="the CI-sized experiment")
    parser.add_argument("--arch", help="override the backbone")
    parser.add_argument("--model-file", help="register this custom model family as --arch first")
    parser.add_argument("--work", help="keep everything in this folder")
    args = parser.parse_args()
    scale = TINY if args.tiny else FULL
    if args.arch:
        scale = dataclasses.replace(scale, arch=args.arch, model_file=args.model_file)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dragdl-transfer-"))
    results = experiment(scale, work)
    print(f"backbone {scale.arch}, {scale.image_size}px; source: Shapes {'/'.join(SOURCE_CLASSES)}, "
          f"{scale.source_per_class}/class, {scale.source_epochs} epochs, whole network trained -> test accuracy "
          f"{results['source_accuracy']:.3f} ({results['pretrain_seconds']:.0f} s)")
    print(f"target: {'/'.join(TARGET_CLASSES)}, {scale.target_per_class}/class, head only (freeze: features), "
          f"{scale.target_epochs} epochs\n")
    print(f"| {'backbone weights':<28} | seed | test accuracy | trainable params | seconds |")
    print(f"|{'-' * 30}|------|---------------|------------------|---------|")
    for r in results["runs"]:
        label = "pretrained on source shapes" if r["weights"] != "none" else "random (weights: none)"
        print(f"| {label:<28} | {r['seed']:>4} | {r['accuracy']:>13.3f} | {r['trainable']:>16,} | "
              f"{r['seconds']:>7.1f} |")
    print(f"\nmean test accuracy: pretrained {results['mean_accuracy_shapes-source']:.3f}, "
          f"random {results['mean_accuracy_none']:.3f} (chance 0.25)")


if __name__ == "__main__":
    main()
