"""What runs inside a worker's forked work horse: one attempt of one task.

The horse already has Paddle and the runtime imported (the worker did that once), runs the run directory's
own train.py - the file a student can download - with runpy, and records the outcome. An interruption from
its worker (stop, a cap, a shutdown) is left for the worker to record: it knows why it asked."""
from __future__ import annotations

import os
import resource
import runpy
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from .. import rundir
from . import caps, lifecycle, processes
from .connection import text_connection
from .store import TaskStore

INTERRUPT_SIGNAL = signal.SIGUSR1
ADDRESS_SPACE_SLACK_MB = 2048  # thread stacks and malloc arenas reserve address space they never touch


class Interrupted(KeyboardInterrupt):
    """Raised in training when the worker interrupts the task. A KeyboardInterrupt, so the training run
    records itself as stopped and no `except Exception` in between swallows it."""


def _interrupt(signum, frame):
    raise Interrupted()


def _limit_address_space(limits: caps.Limits) -> None:
    """A hard backstop behind the worker's once-a-second memory check: allocations far beyond the cap fail
    here with MemoryError instead of taking the machine's memory."""
    try:
        import psutil

        used = psutil.Process().memory_info().vms
    except ImportError:
        return
    limit = used + (limits.memory_mb + ADDRESS_SPACE_SLACK_MB) * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@contextmanager
def _script_context(run_dir: Path):
    """argv and working directory as if `python train.py --run-dir DIR` ran there; stdout dropped (the
    training log already has every line), stderr (warnings, crashes in native code) appended to log.txt."""
    saved_argv, saved_cwd = sys.argv, os.getcwd()
    saved_fds = os.dup(1), os.dup(2)
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    log = os.open(run_dir / rundir.LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(devnull, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    sys.argv = [str(run_dir / rundir.SCRIPT), "--run-dir", str(run_dir)]
    os.chdir(run_dir)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_fds[0], 1)
        os.dup2(saved_fds[1], 2)
        for fd in saved_fds:
            os.close(fd)
        sys.argv = saved_argv
        os.chdir(saved_cwd)


def train(run_dir: Path, limits: caps.Limits) -> tuple[str, str | None]:
    """Run train.py; ('succeeded', None), ('failed', message) or ('interrupted', None)."""
    from rq.timeouts import JobTimeoutException

    try:
        with _script_context(run_dir):
            runpy.run_path(str(run_dir / rundir.SCRIPT), run_name="__main__")
    except Interrupted:
        return "interrupted", None
    except MemoryError:
        return "failed", limits.memory_message()
    except JobTimeoutException:
        return "failed", limits.time_message()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            return "failed", f"train.py exited with {exit_.code}"
    except BaseException as err:  # noqa: BLE001 - anything training raises is the task's failure
        return "failed", f"{type(err).__name__}: {err}"
    if rundir.read_status(run_dir).get("state") != "succeeded":
        return "failed", "train.py ended without finishing training (no test report)"
    return "succeeded", None


def run_task(task_id: str, attempt: int) -> str:
    """The RQ job: claim the task, train, record the outcome. Returns what happened (RQ keeps it)."""
    processes.die_with_parent(signal.SIGKILL)  # a killed worker takes its horse along: no orphan trainer
    signal.signal(INTERRUPT_SIGNAL, _interrupt)
    worker = os.environ.get("RQ_WORKER_ID", f"pid-{os.getppid()}")
    store = TaskStore(text_connection(patient=True))
    record = lifecycle.start(store, task_id, attempt, worker)
    if record is None:
        return "skipped: the task was stopped, deleted or queued again before it started"
    run_dir = Path(record["run_dir"])
    limits = caps.limits()
    _limit_address_space(limits)
    if record["attempts"] > 1:
        rundir.append_log(run_dir, f"attempt {record['attempts']} started on {worker}")
    outcome, error = train(run_dir, limits)
    if outcome != "interrupted":
        lifecycle.finish(store, record, outcome, error, worker=worker)
    return outcome
