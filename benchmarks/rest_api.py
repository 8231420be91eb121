"""REST API speed against a real `up --no-app` (Redis, one worker, the uvicorn API process) in a temporary
home without accounts (so loopback clients are served without a token): a Digits CNN is trained through the
API, then POST /api/tasks/{id}/predict with one 8x8 PNG is timed warm (p50/p95), and 10 concurrent clients
measure throughput. Also the first and the cached GET .../export?format=zip.

    python benchmarks/rest_api.py [--requests 200] [--clients 10] [--image-size 8]

Loopback only; every request is bounded by a timeout. Prints Markdown tables."""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def start_up(home: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DRAGDL_CONFIG", "REDIS_URL", "DRAGDL_USERS")}
    env.update(DRAGDL_HOME=str(home), DRAGDL_DATASETS=str(home / "datasets"), PYTHONPATH=str(ROOT),
               PYTHONWARNINGS="ignore")
    log = home.parent / "up.log"
    process = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--no-app", "--workers", "1"],
                               env=env, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"^API: (\S+)", log.read_text(), re.M)
        if found and "is running" in log.read_text():
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"up did not start:\n{log.read_text()}")


def png(size: int, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.RandomState(seed).randint(0, 256, (size, size), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="predictions per measurement")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--image-size", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dragdl-rest-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        process, url = start_up(home)
        try:
            api = httpx.Client(base_url=url, timeout=120)
            graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
            graph["nodes"][-1]["params"]["epochs"] = 1
            task_id = api.post("/tasks", json=graph).json()["id"]
            while api.get(f"/tasks/{task_id}").json()["state"] in ("queued", "running"):
                time.sleep(0.5)
            assert api.get(f"/tasks/{task_id}").json()["state"] == "succeeded"
            image = png(args.image_size)
            files = {"image": ("digit.png", image, "image/png")}
            started = time.perf_counter()
            first = api.post(f"/tasks/{task_id}/predict", files=files)
            cold = time.perf_counter() - started
            assert first.status_code == 200, first.text

            latencies = []
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = api.post(f"/tasks/{task_id}/predict", files=files)
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200

            counter = iter(range(args.requests))
            lock, errors = threading.Lock(), []

            def client() -> None:
                with httpx.Client(base_url=url, timeout=120) as own:
                    while True:
                        with lock:
                            if next(counter, None) is None:
                                return
                        if own.post(f"/tasks/{task_id}/predict", files=files).status_code != 200:
                            errors.append(1)

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(600)
            elapsed = time.perf_counter() - started

            timings = {}
            for label in ("first (converts)", "cached"):
                started = time.perf_counter()
                download = api.get(f"/tasks/{task_id}/export", params={"format": "zip"})
                timings[label] = time.perf_counter() - started
                assert download.status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)

    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load:.1f}\n")
    print(f"| REST predict, one {args.image_size}x{args.image_size} PNG (Digits CNN) | figure |")
    print("|---|---|")
    print(f"| first request (loads the model) | {cold * 1000:.0f} ms |")
    print(f"| warm, one client, p50 / p95 over {args.requests} | {statistics.median(latencies) * 1000:.1f} / "
          f"{percentile(latencies, 95) * 1000:.1f} ms |")
    print(f"| {args.clients} concurrent clients, {args.requests} requests | {args.requests / elapsed:.0f} req/s "
          f"({len(errors)} errors) |")
    print(f"| one client, sequential | {len(latencies) / sum(latencies):.0f} req/s |")
    print()
    print("| GET /api/tasks/{id}/export?format=zip | time |")
    print("|---|---|")
    for label, seconds in timings.items():
        print(f"| {label} | {seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
