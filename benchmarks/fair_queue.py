"""What fair ordering costs: a submit as a student (access, limits, record, enqueue and the round-robin
rewrite of the queue) against a trusted submit with the rewrite switched off, with more and more tasks
waiting; and the rewrite alone.

    python benchmarks/fair_queue.py [--queued 10 100 500] [--users 20] [--samples 30]

Starts its own Redis in a temporary home (no workers: every task stays queued); prints a Markdown table."""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dragdl_core import tasks  # noqa: E402
from dragdl_core.classroom import users  # noqa: E402
from dragdl_core.tasks import fair_queue, jobs  # noqa: E402
from dragdl_core.tasks.redis_server import RedisServer  # noqa: E402
from task_latency import tiny_graph  # noqa: E402  (benchmarks/ is on the path when run as a script)


def timed(call, samples: int) -> float:
    """Median seconds of `samples` calls."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fill(count: int, user_names: list[str]) -> None:
    """Queue tasks round the users until `count` wait."""
    graph = tiny_graph()
    while len(jobs.queue().get_job_ids()) < count:
        tasks.submit(graph, user_names[len(jobs.queue().get_job_ids()) % len(user_names)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queued", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="dragdl-bench-"))
    config = home / "class.toml"
    config.write_text(f'name = "bench"\nhome = "{home}"\n[limits]\nmax_tasks_per_user = 10000\n')
    os.environ["DRAGDL_CONFIG"] = str(config)
    users.BCRYPT_ROUNDS = 4
    accounts = users.UsersFile()
    names = [f"student{i}" for i in range(args.users)]
    for name in names:
        accounts.add(name, "student", "password-1")
    server = RedisServer(directory=home / "redis").start()
    os.environ["REDIS_URL"] = server.url
    graph = tiny_graph()
    rows = []
    try:
        for queued in args.queued:
            fill(queued, names)
            student = timed(lambda: tasks.submit(graph, names[0], actor=names[0]), args.samples)
            reorder = timed(fair_queue.reorder, args.samples)
            original = fair_queue.reorder
            fair_queue.reorder = lambda: False
            try:
                plain = timed(lambda: tasks.submit(graph, names[1]), args.samples)
            finally:
                fair_queue.reorder = original
            rows.append((len(jobs.queue().get_job_ids()), student, plain, reorder))
    finally:
        server.stop()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.users} students, median of {args.samples}\n")
    print("| tasks queued (at the end) | submit as a student, fair order | trusted submit, no reordering "
          "| reorder alone |")
    print("|---:|---:|---:|---:|")
    for count, student, plain, reorder in rows:
        print(f"| {count} | {student * 1000:.1f} ms | {plain * 1000:.1f} ms | {reorder * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
