"""Helpers for the task service tests: a real Redis (AOF in a temp folder), real supervised workers
(`python -m dragdl_core worker`) as subprocesses, and tiny graphs. Not a test module itself."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, tiny_digits_graph

from dragdl_core.tasks import jobs
from dragdl_core.tasks.redis_server import RedisServer


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    """Poll until predicate() is truthy; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def start_redis(directory: Path, port: int | None = None) -> RedisServer:
    """A started Redis. REDIS_URL is the caller's to set, through monkeypatch (or saved and restored by hand):
    setting it here first made monkeypatch record the new URL as the one to restore, so later tests were
    handed a stopped server."""
    return RedisServer(directory=directory, port=port).start()


@contextmanager
def serving_redis(directory: Path, monkeypatch):
    """A Redis with REDIS_URL pointing at it until `monkeypatch` is undone; stopped on leaving."""
    server = start_redis(directory)
    monkeypatch.setenv("REDIS_URL", server.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path, monkeypatch):
    """A Redis of the test's own (AOF in tmp_path), REDIS_URL pointing at it while the test runs."""
    with serving_redis(tmp_path / "redis", monkeypatch) as server:
        yield server


class Workers:
    """`python -m dragdl_core worker --workers N` in the background, ready when RQ lists its workers."""

    def __init__(self, count: int, log_dir: Path, **env):
        self.count = count
        self.log_path = log_dir / "workers.out"
        log_dir.mkdir(parents=True, exist_ok=True)
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", **env)
        full_env.setdefault("DRAGDL_HOME", str(log_dir))
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dragdl_core", "worker", "--workers", str(count), "--threads", "1",
                 "--home", full_env["DRAGDL_HOME"]], env=full_env, cwd=ROOT, stdout=out, stderr=out)
        wait_for(lambda: self.process.poll() is not None or jobs.worker_count() >= count, 120,
                 f"{count} workers to start (log: {self.log_path})")
        assert self.process.poll() is None, self.log_text()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def process_named(self, name: str) -> psutil.Process:
        """The RQ worker process started with --name `name`: a direct child of the supervisor (its work horses
        are grandchildren). RQ may retitle it (`rq:worker:NAME: ...`, with setproctitle installed, as mutmut
        brings), so the name is looked for inside the command line, not as one of its words."""
        for child in psutil.Process(self.process.pid).children(recursive=False):
            try:
                if any(name in part for part in child.cmdline()):
                    return child
            except psutil.Error:
                continue
        raise AssertionError(f"no worker process named {name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def tiny_graph(limit_per_class: int = 20, epochs: int = 1, **trainer) -> dict:
    """Digits cut to a few seconds of training (or less)."""
    graph = tiny_digits_graph(epochs=epochs, **trainer)
    graph["nodes"][0]["params"]["limit_per_class"] = limit_per_class
    return graph


def failing_graph() -> dict:
    """Valid on the canvas, fails on real data: the Lambda keeps a channel only while max(x) < 0.9, true for
    the blank image validation tries, false for real digits (their brightest pixel is 1.0)."""
    graph = tiny_graph()
    nodes, edges = graph["nodes"], graph["edges"]
    nodes.insert(2, {"id": "bad", "type": "Lambda", "params": {"expression": "x[:, :, 0:(max(x) < 0.9) * 1]"}})
    edges[1] = {"source": "resize", "target": "bad"}
    edges.insert(2, {"source": "bad", "target": "norm"})
    return graph


def records(run_dir: Path, kind: str) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [r for r in map(json.loads, filter(None, lines)) if r["kind"] == kind]


def finished_epochs(run_dir: Path) -> int:
    state = Path(run_dir) / "checkpoints" / "state.json"
    return json.loads(state.read_text())["epoch"] if state.exists() else 0
