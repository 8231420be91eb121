"""A DragDL worker: an RQ worker that imports Paddle and the runtime once, then forks a work horse per task
(execution.run_task), so a task starts without paying Paddle's import again.

Every second, while a task runs, the worker (not the horse, which may be stuck in native code) sends the
task's heartbeat, looks for a stop request and checks the caps; to end a task it interrupts the horse
(SIGUSR1 -> KeyboardInterrupt in training, so the run closes its files) and kills it after a grace period.
When the horse has ended the worker records what the horse could not: stopped, a cap, a shutdown (queued
again, to resume), or an unexpected death."""
from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field

import redis
from rq import Worker

from ..classroom import class_config
from ..serving import hostload
from . import caps, jobs, lifecycle, processes
from .connection import connection, display_url, text_connection
from .execution import INTERRUPT_SIGNAL
from .store import TaskStore

log = logging.getLogger("dragdl.worker")
HOST_CHECK_S = 2.0  # how often a worker held back by --max-load looks at the host again

# What a generated train.py imports: loaded once here, inherited by every forked horse. Importing only:
# no operator may ever run in this process. A parent whose OpenMP pool exists (it ran a conv and a matmul,
# with scikit-learn loaded) hangs every forked child; a parent that only imported forks safely
# (tests/test_tasks_fork_safety.py, docs/tasks.md "Fork safety").
PRELOAD = ("dragdl_core.runtime.training", "dragdl_core.runtime.datasets", "dragdl_core.runtime.transforms",
           "paddle.nn", "paddle.vision.transforms", "paddle.vision.models", "sklearn.datasets", "PIL.Image")


def preload() -> float:
    started = time.perf_counter()
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError as err:  # an optional extra missing must not stop the worker
            log.warning("could not preload %s: %s", module, err)
    # The preloaded objects go to the collector's permanent generation: a forked horse's collections then
    # neither walk them (~185 ms each) nor write to their pages, which keeps ~72 MB of copy-on-write pages
    # shared with this parent instead of copied into every horse (benchmarks/fork_memory.py).
    gc.freeze()
    return time.perf_counter() - started


@dataclass
class Watch:
    """The task a worker is running right now, and what the worker has done about it."""
    task_id: str
    limits: caps.Limits
    started: float = field(default_factory=time.monotonic)
    reason: str | None = None  # stop | cap | shutdown | gone, once the worker interrupted the horse
    message: str | None = None
    interrupted_at: float | None = None
    exit_status: int | None = None


class TaskWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("job_monitoring_interval", caps.MONITOR_INTERVAL_S)
        kwargs.setdefault("worker_ttl", 30)  # a dead worker leaves RQ's list quickly
        super().__init__(*args, **kwargs)
        self.store = TaskStore(text_connection(patient=True))
        self.watch: Watch | None = None
        self.max_load: hostload.MaxLoad | None = None

    # -- taking a task only while the host has room (--max-load) ---------------------------------------
    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            self._wait_while_host_busy()
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            if result is None or self._host_busy() is None:
                return result
            job, queue = result  # the host filled up while this worker waited for a job: put it back
            queue.push_job_id(job.id, at_front=True)

    def _limit(self) -> hostload.MaxLoad | None:
        """--max-load when given; else the class file's `max_load`, re-read when the file changes, so an
        instructor can raise or lower it while the class runs."""
        if self.max_load is not None:
            return self.max_load
        try:
            return hostload.parse(class_config.current().max_load)
        except (ValueError, class_config.ConfigError):
            return None  # a broken file keeps its last good settings inside current(); never stop working

    def _host_busy(self) -> str | None:
        limit = self._limit()
        return hostload.why_busy(limit, hostload.sample()) if limit else None

    def _wait_while_host_busy(self) -> None:
        """Take no task while the host is above --max-load; say why on the worker's record, so the Class page
        shows it, and keep the heartbeat going. Ctrl-C/SIGTERM end the wait (RQ raises StopRequested)."""
        reason = self._host_busy()
        if reason is None:
            return
        self.log.info("Worker %s: taking no task: %s", self.name, reason)
        self.set_state("paused")
        while reason is not None:
            jobs.mark_paused(self.connection, self.name, reason)
            self.heartbeat()
            time.sleep(HOST_CHECK_S)
            reason = self._host_busy()
        jobs.mark_paused(self.connection, self.name, None)
        self.log.info("Worker %s: the host has room again; taking tasks", self.name)

    # -- running one task ------------------------------------------------------------------------------
    def execute_job(self, job, queue):
        self.watch = Watch(task_id=job.args[0], limits=caps.limits())
        try:
            super().execute_job(job, queue)
        finally:
            try:
                self._record_outcome()
            finally:
                self.watch = None

    def maintain_heartbeats(self, job, execution):
        try:
            super().maintain_heartbeats(job, execution)
            self._check_task()
        except (redis.ConnectionError, redis.TimeoutError) as err:
            # Redis restarting: keep training; heartbeats resume when it is back.
            self.log.warning("Redis unreachable while task runs (%s); training continues", err)
        self._enforce_grace()

    def _check_task(self) -> None:
        watch = self.watch
        if watch is None or watch.reason:
            return
        record = lifecycle.heartbeat(self.store, watch.task_id, self.name)
        if record is None:
            current = self.store.get(watch.task_id)
            if current is None or current["state"] != "queued":
                # deleted, or declared failed while Redis was away: stop spending the cores on it
                self._interrupt("gone", "the task is no longer this worker's")
        elif record["stop_requested"]:
            self._interrupt("stop")
        elif time.monotonic() - watch.started > watch.limits.time_limit_s:
            self._interrupt("cap", watch.limits.time_message())
        else:
            used_mb = self._horse_memory_mb()
            if used_mb > watch.limits.memory_mb:
                self._interrupt("cap", watch.limits.memory_message(used_mb))

    def _horse_memory_mb(self) -> float:
        """Resident memory of the horse and anything it started."""
        import psutil

        try:
            horse = psutil.Process(self.horse_pid)
            tree = [horse, *horse.children(recursive=True)]
            return sum(p.memory_info().rss for p in tree) / 2**20
        except psutil.Error:
            return 0.0

    def _interrupt(self, reason: str, message: str | None = None) -> None:
        watch = self.watch
        if watch is None or watch.reason or not self.horse_pid:
            return
        watch.reason, watch.message, watch.interrupted_at = reason, message, time.monotonic()
        self.log.info("Worker %s: interrupting task %s (%s)", self.name, watch.task_id, message or reason)
        try:
            os.kill(self.horse_pid, INTERRUPT_SIGNAL)
        except ProcessLookupError:
            pass

    def _enforce_grace(self) -> None:
        watch = self.watch
        if watch and watch.interrupted_at and time.monotonic() - watch.interrupted_at > caps.STOP_GRACE_S:
            self.log.warning("Worker %s: task %s ignored the interrupt; killing it", self.name, watch.task_id)
            self.kill_horse()
            watch.interrupted_at = None  # once

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        if self.watch:
            self.watch.exit_status = ret_val
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)

    def _record_outcome(self) -> None:
        """After the horse: record what it could not (it was interrupted, or it died)."""
        watch = self.watch
        record = self.store.get(watch.task_id)
        if not record or record["state"] != "running" or record.get("worker") != self.name:
            return  # the horse recorded its outcome, or never claimed the task
        if watch.reason == "stop":
            lifecycle.finish(self.store, record, "stopped", worker=self.name)
        elif watch.reason == "cap":
            lifecycle.finish(self.store, record, "failed", watch.message, worker=self.name)
        elif watch.reason == "shutdown":
            lifecycle.requeue(self.store, record, f"worker {self.name} shut down: queued again, it will resume "
                                                  "from the last finished epoch")
        else:
            status = watch.exit_status
            if status is None:
                how = "it ended without recording an outcome"
            elif os.WIFSIGNALED(status):
                how = f"it died unexpectedly, {processes.describe_exit(-os.WTERMSIG(status))}"
            else:
                how = f"it died unexpectedly, exit status {os.WEXITSTATUS(status)}"
            lifecycle.finish(self.store, record, "failed", f"the training process failed ({how}); "
                             "retry resumes from the last finished epoch", worker=self.name)

    # -- shutting down ---------------------------------------------------------------------------------
    def request_stop(self, signum, frame):
        """SIGTERM/SIGINT: do not wait for a long training to finish; interrupt it, queue it again (it
        resumes from its checkpoint on the next worker) and leave."""
        if self.watch and self.horse_pid:
            self._interrupt("shutdown")
        super().request_stop(signum, frame)


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()}.{os.getpid()}.{index}.{uuid.uuid4().hex[:6]}"


def main(argv: list[str] | None = None) -> int:
    """One worker process: `python worker.py` (supervised by `python -m dragdl_core worker` or `up`)."""
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", help="unique worker name (default: host.pid.index.random)")
    parser.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    parser.add_argument("--max-load", type=hostload.parse, help="take no task while the host is above "
                        "LOAD_PER_CORE[,MEMORY_PERCENT] (see dragdl_core/serving/hostload.py)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    processes.die_with_parent(signal.SIGTERM)
    seconds = preload()
    conn = connection(patient=True)
    worker = TaskWorker([jobs.QUEUE_NAME], connection=conn, name=args.name or worker_name())
    worker.max_load = args.max_load
    log.info("worker %s ready in %.1f s (Paddle preloaded, OMP_NUM_THREADS=%s), Redis %s, caps %s, max load %s",
             worker.name, seconds, os.environ.get("OMP_NUM_THREADS"), display_url(), caps.limits(),
             worker._limit() or "none")
    worker.work(burst=args.burst, logging_level="DEBUG" if args.verbose else "INFO")
    return 0


if __name__ == "__main__":
    sys.exit(main())
