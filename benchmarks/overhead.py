"""How much does DragDL's generated script cost against a hand-written Paddle loop?

Paired runs, each in a fresh process: the generated script for examples/digits-cnn.json (resized to
SIZE px) and benchmarks/plain_loop.py with the same data, model, optimizer and batch size. Compares training
images per second (validation excluded), median over epochs after the first (warm-up) and over pairs.
Both at all cores and at 1 thread. Usage: python benchmarks/overhead.py [pairs]"""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dragdl_core.compiler.codegen import compile_graph  # noqa: E402

EPOCHS, BATCH, SIZE = 4, 64, 32


def env(threads):
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads),
            "PYTHONWARNINGS": "ignore:No ccache found"}


def generated_rate(threads: int) -> float:
    graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
    graph["nodes"][1]["params"]["size"] = [SIZE, SIZE]
    graph["nodes"][-1]["params"].update({"epochs": EPOCHS, "batch_size": BATCH})
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "train.py"
        script.write_text(compile_graph(graph))
        subprocess.run([sys.executable, str(script), "--run-dir", tmp], env=env(threads), check=True,
                       capture_output=True)
        records = [json.loads(line) for line in (Path(tmp) / "metrics.jsonl").read_text().splitlines()]
    return statistics.median(r["images_per_sec"] for r in records if r["kind"] == "epoch" and r["epoch"] > 0)


def plain_rate(threads: int) -> float:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "plain_loop.py"), str(EPOCHS), str(BATCH),
                          str(SIZE)], env=env(threads), check=True, capture_output=True, text=True)
    return statistics.median(json.loads(out.stdout.strip().splitlines()[-1])["images_per_sec"][1:])


def paired(threads: int, pairs: int) -> tuple[list[float], list[float]]:
    """Generated and hand-written rates, run back to back so that a noisy neighbour hits both alike, which
    goes first alternating so that order does not favour either."""
    generated, plain = [], []
    for pair in range(pairs):
        if pair % 2:
            plain.append(plain_rate(threads))
            generated.append(generated_rate(threads))
        else:
            generated.append(generated_rate(threads))
            plain.append(plain_rate(threads))
    return generated, plain


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cores = os.cpu_count()
    results = {threads: paired(threads, pairs) for threads in sorted({cores, 1}, reverse=True)}
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"Digits CNN at {SIZE}x{SIZE}, batch {BATCH}, {EPOCHS} epochs, {pairs} paired runs per thread count\n")
    print("| threads | hand-written loop, images/s | generated script, images/s | generated / hand-written, "
          "median of pairs | best / best |")
    print("|---:|---:|---:|---:|---:|")
    for threads, (generated, plain) in results.items():
        ratio = statistics.median(g / p for g, p in zip(generated, plain))
        print(f"| {threads} | {statistics.median(plain):.0f} | {statistics.median(generated):.0f} | {ratio:.3f} | "
              f"{max(generated) / max(plain):.3f} |")
    print("\nbest / best: a neighbour on a shared machine only ever slows a run down, so the fastest run of each "
          "is the least disturbed estimate of its own cost")
    if cores > 1:
        print(f"\ngenerated script, {cores} threads / 1 thread: "
              f"{statistics.median(results[cores][0]) / statistics.median(results[1][0]):.2f}x")
    print("goal: generated / hand-written >= 0.97")


if __name__ == "__main__":
    main()
