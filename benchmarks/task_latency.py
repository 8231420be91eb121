"""Task service speed: submit -> first training step (warm worker vs a fresh Python process per task),
tiny tasks per minute with 1 and 2 workers, and submit/list/status times with 1,000 tasks.

    python benchmarks/task_latency.py [--samples 10] [--throughput-tasks 20] [--list-tasks 1000]

Starts its own Redis and workers in a temporary home; prints Markdown tables."""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dragdl_core import tasks  # noqa: E402
from dragdl_core.compiler.codegen import compile_graph  # noqa: E402
from dragdl_core.tasks import jobs  # noqa: E402
from dragdl_core.tasks.redis_server import RedisServer  # noqa: E402


def tiny_graph() -> dict:
    """Digits, 20 images a class, one epoch: 5 training steps, each one logged."""
    graph = json.loads((ROOT / "examples" / "digits-cnn.json").read_text())
    graph["nodes"][0]["params"]["limit_per_class"] = 20
    graph["nodes"][-1]["params"]["epochs"] = 1
    return graph


def first_step_time(run_dir: Path) -> float:
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "step":
            return record["time"]
    raise RuntimeError(f"no training step in {run_dir}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    return f"{percentile(values, 0.5) * scale:.3g} {unit} | {percentile(values, 0.95) * scale:.3g} {unit}"


def wait_final(task_id: str, poll: float = 0.02) -> dict:
    while True:
        status = tasks.status(task_id)
        if status["state"] in tasks.FINAL_STATES:
            return status
        time.sleep(poll)


class Workers:
    def __init__(self, count: int, threads: int, home: Path):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_HOME=str(home))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dragdl_core", "worker", "--workers", str(count), "--threads", str(threads)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while jobs.worker_count() < count:
            time.sleep(0.2)

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
        while jobs.worker_count():
            time.sleep(0.2)  # RQ forgets a worker once it has left


def bench_listing(count: int) -> list[tuple[str, str]]:
    graph = tiny_graph()
    submits = []
    for _ in range(count):
        started = time.perf_counter()
        tasks.submit(graph, "crowd")
        submits.append(time.perf_counter() - started)
    lists, users, statuses = [], [], []
    ids = [t["id"] for t in tasks.list_tasks()]
    for _ in range(20):
        started = time.perf_counter()
        assert len(tasks.list_tasks()) == count
        lists.append(time.perf_counter() - started)
        started = time.perf_counter()
        tasks.list_tasks("crowd")
        users.append(time.perf_counter() - started)
    for task_id in ids[:100]:
        started = time.perf_counter()
        tasks.status(task_id)
        statuses.append(time.perf_counter() - started)
    return [(f"submit (validate, compile, write run dir, enqueue), {count} tasks", summary(submits, "ms", 1e3)),
            (f"list_tasks() with {count} queued tasks", summary(lists, "ms", 1e3)),
            (f"list_tasks(user) with {count} queued tasks", summary(users, "ms", 1e3)),
            ("status(task_id)", summary(statuses, "ms", 1e3))]


def bench_warm(samples: int, home: Path, threads: int) -> list[float]:
    workers = Workers(1, threads, home)
    try:
        latencies = []
        graph = tiny_graph()
        for _ in range(samples + 1):
            submitted = time.time()
            task_id = tasks.submit(graph, "warm")
            status = wait_final(task_id)
            assert status["state"] == "succeeded", tasks.logs(task_id)
            latencies.append(first_step_time(Path(status["run_dir"])) - submitted)
        return latencies[1:]  # the first one pays for the worker's first dataset load
    finally:
        workers.stop()


def bench_fresh(samples: int, home: Path, threads: int) -> list[float]:
    script = compile_graph(tiny_graph())
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", OMP_NUM_THREADS=str(threads))
    latencies = []
    for i in range(samples):
        run_dir = home / "fresh" / str(i)
        run_dir.mkdir(parents=True)
        (run_dir / "train.py").write_text(script)
        started = time.time()
        subprocess.run([sys.executable, str(run_dir / "train.py"), "--run-dir", str(run_dir)], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        latencies.append(first_step_time(run_dir) - started)
    return latencies


def bench_throughput(count: int, workers: int, threads: int, home: Path) -> float:
    pool = Workers(workers, threads, home)
    try:
        graph = tiny_graph()
        started = time.time()
        ids = [tasks.submit(graph, f"tp{workers}") for _ in range(count)]
        states = [wait_final(task_id)["state"] for task_id in ids]
        elapsed = time.time() - started
        assert states == ["succeeded"] * count, states
        return count / elapsed * 60
    finally:
        pool.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--throughput-tasks", type=int, default=20)
    parser.add_argument("--list-tasks", type=int, default=1000)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="dragdl-bench-") as tmp:
        home = Path(tmp)
        os.environ["DRAGDL_HOME"] = str(home)
        server = RedisServer(directory=home / "redis").start()
        os.environ["REDIS_URL"] = server.url
        try:
            rows = bench_listing(args.list_tasks)
            server_client = tasks.connection()
            server_client.flushall()
            warm = bench_warm(args.samples, home, threads=cores)
            fresh = bench_fresh(args.samples, home, threads=cores)
            throughput = [(w, bench_throughput(args.throughput_tasks, w, max(1, cores // w), home))
                          for w in (1, 2)]
        finally:
            server.stop()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"Machine: {cpu}, {cores} cores; Python {platform.python_version()}; "
          f"tiny task = Digits 20 images/class, 1 epoch, 5 steps\n")
    print("| measure | p50 | p95 |\n|---|---|---|")
    print(f"| submit -> first training step, warm worker (fork, Paddle preloaded), {args.samples} tasks | "
          f"{summary(warm)} |")
    print(f"| start -> first training step, fresh `python train.py` per task, {args.samples} tasks | "
          f"{summary(fresh)} |")
    for name, values in rows:
        print(f"| {name} | {values} |")
    print("\n| workers x threads | tiny tasks per minute |\n|---|---|")
    for workers, rate in throughput:
        print(f"| {workers} x {max(1, cores // workers)} | {rate:.0f} ({args.throughput_tasks} tasks) |")


if __name__ == "__main__":
    main()
