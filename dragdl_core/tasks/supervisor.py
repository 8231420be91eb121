"""Keeping processes alive: `up` and `worker` start their children here, restart the ones that die (with a
growing pause if they die again at once), clear up after a worker that died mid-task, and stop them all on
Ctrl-C or SIGTERM - children first asked politely, then killed - so nothing is left behind."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import config
from . import lifecycle, processes
from .store import TaskStore

log = logging.getLogger("dragdl.supervisor")

MAX_BACKOFF_S = 30.0
HEALTH_EVERY_S = 5.0       # how often a server child with a health probe is asked
HUNG_AFTER_S = 30.0        # a child that answered once and then fails its probe this long is killed (restarted)
START_GRACE_S = 180.0      # ... and one that never answered, this long after its start
STALE_CHECK_EVERY_S = 2.0
LOST_CHECK_EVERY_S = 60.0


@dataclass
class Child:
    """One supervised process. `command()` is called at every (re)start, so a worker gets a fresh name."""
    label: str
    command: Callable[[], list[str]]
    env: dict
    log_path: Path
    cwd: Path = config.REPO_ROOT
    restart: bool = True
    on_exit: Callable[["Child", int], None] | None = None
    port: int | None = None             # the loopback port a server child listens on, if any
    healthy: Callable[[], bool] | None = None  # a server's probe: alive is not enough, it must answer
    process: subprocess.Popen | None = None
    argv: list[str] = field(default_factory=list)
    started: float = 0.0
    backoff: float = 1.0
    next_start: float = 0.0
    answered: float | None = None       # last time the probe succeeded (None: not since this start)
    probed: float = 0.0

    def start(self) -> None:
        self.argv = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            # Own session: a Ctrl-C in the terminal reaches only the supervisor, which stops children in order.
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=lambda: processes.die_with_parent(signal.SIGTERM))
        self.started = time.monotonic()
        self.answered = None
        log.info("started %s (pid %d)", self.label, self.process.pid)

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process else None

    def signal_group(self, sig: int) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass


class Supervisor:
    def __init__(self, children: list[Child], *, clean_up_tasks: bool = True, services: list = ()):
        self.children = children
        self.clean_up_tasks = clean_up_tasks
        self.services = list(services)  # e.g. the embedded Redis: each has keep_alive(), called on every check
        self._stopping = False
        self._last_stale = self._last_lost = 0.0
        self._previous_handlers: dict = {}

    @property
    def stopping(self) -> bool:
        return self._stopping

    def start(self) -> None:
        """Start every child; from now on Ctrl-C and SIGTERM ask for an orderly stop."""
        self._previous_handlers = {sig: signal.signal(sig, self.request_stop)
                                   for sig in (signal.SIGINT, signal.SIGTERM)}
        for child in self.children:
            child.start()

    def request_stop(self, signum=None, frame=None) -> None:
        self._stopping = True

    def run(self) -> None:
        """Watch the children until Ctrl-C/SIGTERM, then stop them all."""
        try:
            while not self._stopping:
                self.check()
                time.sleep(0.5)
        finally:
            self.stop()

    def check(self) -> None:
        now = time.monotonic()
        for service in self.services:
            self._safely(service.keep_alive)
        for child in self.children:
            code = child.exit_code()
            if child.process is not None and code is not None:
                log.warning("%s exited (%s)", child.label, processes.describe_exit(code))
                if child.on_exit:
                    self._safely(child.on_exit, child, code)
                child.process = None
                quick = now - child.started < 10
                child.backoff = min(child.backoff * 2, MAX_BACKOFF_S) if quick else 1.0
                child.next_start = now + (child.backoff if quick else 0.0)
            if child.process is None and child.restart and now >= child.next_start:
                self._safely(child.start)
            elif child.process is not None and child.healthy and now - child.probed >= HEALTH_EVERY_S:
                self._probe(child, now)
        if self.clean_up_tasks:
            if now - self._last_stale >= STALE_CHECK_EVERY_S:
                self._last_stale = now
                self._safely(lambda: lifecycle.fail_orphans(TaskStore()))
            if now - self._last_lost >= LOST_CHECK_EVERY_S:
                self._last_lost = now
                self._safely(lambda: lifecycle.requeue_lost(TaskStore()))

    @staticmethod
    def _probe(child: Child, now: float) -> None:
        """Kill a server child that stopped answering (hung, not dead): the next check restarts it."""
        child.probed = now
        try:
            ok = child.healthy()
        except Exception:  # noqa: BLE001 - a probe that fails is an unhealthy answer
            ok = False
        if ok:
            child.answered = now
            return
        silent = now - (child.answered if child.answered is not None else child.started)
        if silent >= (HUNG_AFTER_S if child.answered is not None else START_GRACE_S):
            log.warning("%s has not answered its health check for %.0f s; killing it", child.label, silent)
            child.signal_group(signal.SIGKILL)

    @staticmethod
    def _safely(action, *args) -> None:
        try:
            action(*args)
        except Exception as err:  # noqa: BLE001 - Redis restarting must not take the supervisor down
            log.warning("%s failed: %s", getattr(action, "__name__", "maintenance"), err)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to every child's process group, then SIGKILL whatever is left after `timeout`."""
        for child in self.children:
            child.restart = False
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", child.label, timeout)
                child.signal_group(signal.SIGKILL)
                child.process.wait()
            if child.on_exit:
                self._safely(child.on_exit, child, child.process.returncode)
            child.process = None
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers = {}


def worker_children(count: int, threads: int, env: dict, logs: Path, max_load=None) -> list[Child]:
    """`count` workers, each with OMP_NUM_THREADS=threads (its share of the cores); with `max_load`
    (hostload.MaxLoad) they take no new task while the host is above it."""
    from .worker import worker_name

    children = []
    for index in range(1, count + 1):
        child_env = dict(env, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
        child_env.setdefault("PYTHONWARNINGS", "ignore:No ccache found")

        def command(index=index):
            argv = [sys.executable, "-m", "dragdl_core.tasks.worker", "--name", worker_name(index)]
            return argv + (["--max-load", str(max_load)] if max_load else [])

        children.append(Child(label=f"worker-{index}", command=command, env=child_env,
                              log_path=logs / f"worker-{index}.log", on_exit=_fail_tasks_of_dead_worker))
    return children


def _fail_tasks_of_dead_worker(child: Child, code: int) -> None:
    name = child.argv[child.argv.index("--name") + 1]
    failed = lifecycle.fail_orphans(TaskStore(), worker=name, reason=(
        f"worker {name} died ({processes.describe_exit(code)}) while running this task; "
        "retry resumes from the last finished epoch"))
    for task_id in failed:
        log.warning("task %s failed: its worker %s died", task_id, name)
