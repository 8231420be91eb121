"""What the sandbox costs: validation (the Lambda trial), a preview and a single-image prediction, each
in-process as before (the work in the caller's own process, unbounded) and through a warm sandbox pool
(a child with memory/CPU/wall limits), p50 and p95 over N runs. Usage: python benchmarks/sandbox.py [N]

Validation uses a different Lambda constant each run, so every run pays a real trial (the sandbox path
remembers trials it has done; the canvas re-validates the same graph on every rerun)."""
from __future__ import annotations

import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(action, runs: int) -> tuple[float, float]:
    action(0)  # warm: imports, caches, the pool's child
    samples = []
    for i in range(1, runs + 1):
        started = time.perf_counter()
        action(i)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def lambda_graph(i: int) -> dict:
    graph = json.loads((ROOT / "examples" / "shapes-augment.json").read_text())
    noise = next(n for n in graph["nodes"] if n["id"] == "noise")
    noise["params"]["expression"] = f"clip(x + 0.05 * sin(40 * x), 0, 1) * {1 + i * 1e-6:.6f}"
    return graph


def in_process_trial(text, hwc_shape, time_limit=1.0):
    """The trial as it was: evaluated in the caller's process (a thread that cannot be stopped)."""
    import numpy as np

    from dragdl_core.compiler.safe_expr import SafeExpression

    return tuple(SafeExpression(text).evaluate(np.full(hwc_shape, 0.5, dtype=np.float32)).shape)


def trained_run(base: Path) -> Path:
    graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
    graph["nodes"][-1]["params"]["epochs"] = 1
    (base / "g.json").write_text(json.dumps(graph))
    run_dir = base / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(base / "g.json"), "--run-dir", str(run_dir)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return run_dir


def digit_png() -> bytes:
    from PIL import Image
    from sklearn.datasets import load_digits

    pixels = (load_digits().images[3] * 255 / 16).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).resize((64, 64)).save(out, "PNG")
    return out.getvalue()


def main(runs: int) -> None:
    from dragdl_core.nodes.transforms import lambda_ as lambda_node
    from dragdl_core.sandbox.prediction import predict_images
    from dragdl_core.sandbox.preview import preview_images
    from dragdl_core.compiler.validate import analyze

    rows = []
    sandboxed = lambda_node.trial_shape
    lambda_node.trial_shape = in_process_trial
    before = timed(lambda i: analyze(lambda_graph(i)), runs)
    lambda_node.trial_shape = sandboxed
    after = timed(lambda i: analyze(lambda_graph(i + runs + 1)), runs)
    rows.append(("validate shapes-augment (one Lambda trial)", before, after))

    graph = json.loads((ROOT / "examples" / "shapes-augment.json").read_text())
    after = timed(lambda i: preview_images(graph, "noise"), runs)  # before: Paddle not yet imported here

    from dragdl_core.imaging import to_display
    from dragdl_core.runtime.preview import preview

    def in_process_preview(i):
        result = preview(graph, "noise")
        return [[to_display(a) for a in row] for row in result.draws]

    before = timed(in_process_preview, runs)
    rows.append(("preview after the Lambda (4 x 3 images)", before, after))

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = trained_run(Path(tmp))
        image = digit_png()
        after = timed(lambda i: predict_images(run_dir, [("digit.png", image)]), runs)
        from dragdl_core.runtime.predict import Predictor

        model = Predictor(run_dir)
        before = timed(lambda i: model.predict(image, "digit.png"), runs)
        rows.append(("predict one image (Digits CNN)", before, after))

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{runs} runs each, warm\n")
    print("| measure | in-process p50 / p95 | sandbox p50 / p95 | added at p50 |")
    print("|---|---|---|---|")
    for label, (b50, b95), (a50, a95) in rows:
        print(f"| {label} | {b50 * 1000:.1f} / {b95 * 1000:.1f} ms | {a50 * 1000:.1f} / {a95 * 1000:.1f} ms | "
              f"{(a50 - b50) * 1000:+.1f} ms |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
