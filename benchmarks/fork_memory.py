"""What a forked work horse costs the worker's memory, with and without `gc.freeze()` after the preload.

A parent runs `worker.py`'s own preload (which ends with the freeze), in one mode undoes the freeze, forks a
child the way RQ forks a work horse, and the child runs one full `gc.collect()` (as Python will at some
point during training). Reports the collection's time and the child's private memory (USS: pages it had to
copy from the parent). Each mode runs in a fresh process. Usage: python benchmarks/fork_memory.py [repeats]"""
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, os, sys, time
sys.path.insert(0, sys.argv[2])
from dragdl_core.tasks.worker import preload
preload()  # the worker's own preload, gc.freeze() included
if sys.argv[1] != "freeze":
    gc.unfreeze()
import psutil
read, write = os.pipe()
if os.fork() == 0:
    started = time.perf_counter()
    gc.collect()
    took = time.perf_counter() - started
    uss = psutil.Process().memory_full_info().uss
    os.write(write, json.dumps({"collect_ms": took * 1000, "uss_mb": uss / 2**20}).encode())
    os._exit(0)
os.wait()
print(os.read(read, 1000).decode())
"""


def measure(mode: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(ROOT)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"median of {repeats}\n")
    print("| parent after preload | child's full gc.collect() | child's private memory (USS) |")
    print("|---|---:|---:|")
    for mode, label in (("plain", "freeze undone"), ("freeze", "`gc.freeze()` (what worker.py does)")):
        runs = [measure(mode) for _ in range(repeats)]
        print(f"| {label} | {statistics.median(r['collect_ms'] for r in runs):.0f} ms | "
              f"{statistics.median(r['uss_mb'] for r in runs):.0f} MB |")


if __name__ == "__main__":
    main()
