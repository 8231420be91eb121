"""Forking after importing Paddle is safe: the worker preloads Paddle and forks a work horse per task, so an
OpenMP runtime that deadlocked in a forked child would hang every task. Children of a parent that imported
exactly what the worker imports must all train a few steps with two OpenMP threads and exit.

(The parent must not *run* operators before forking: with scikit-learn loaded next to Paddle, a parent that
ran one conv and one matmul hangs every forked child - measured, see docs/tasks.md "Fork safety". The
worker only imports.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

CHECK = textwrap.dedent("""
    import json, os, sys, time
    from dragdl_core.tasks.worker import preload
    preload()                                    # exactly what a worker imports before forking
    import paddle
    results = []
    for child in range(4):
        pid = os.fork()
        if pid == 0:
            conv = paddle.nn.Conv2D(3, 16, 3)
            for _ in range(3):
                loss = conv(paddle.randn([16, 3, 32, 32])).mean()
                loss.backward()
            x = paddle.randn([256, 256]); (x @ x).numpy()
            os._exit(0)
        deadline = time.time() + 30
        while time.time() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                results.append("ok" if status == 0 else f"exit {status}")
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9); os.waitpid(pid, 0); results.append("hung")
    print(json.dumps(results))
""")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_forked_children_of_a_preloaded_worker_run_paddle_without_deadlock():
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", OMP_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True,
                         timeout=280)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["ok"] * 4
