"""Per-task caps (memory, wall time) and the worker's timing, from the configuration.

Read from environment variables today; a per-class configuration file (issue 7) can replace `limits()`
without touching the worker. A cap that is exceeded fails the task with `exceeded_message(...)`, which names
the cap and the setting that controls it."""
from __future__ import annotations

import os
from dataclasses import dataclass

MEMORY_ENV = "DRAGDL_TASK_MEMORY_MB"
TIME_ENV = "DRAGDL_TASK_TIME_LIMIT"


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096        # resident memory of the task's process tree
    time_limit_s: int = 4 * 3600  # wall time from the task's start

    def memory_message(self, used_mb: float | None = None) -> str:
        used = f" (used {used_mb:.0f} MB)" if used_mb else ""
        return (f"memory cap exceeded: the task may use {self.memory_mb} MB{used}; "
                f"make the model, images or batch smaller, or raise {MEMORY_ENV}")

    def time_message(self) -> str:
        return (f"wall-time cap exceeded: the task may run {self.time_limit_s} s; "
                f"train fewer epochs or less data, or raise {TIME_ENV}")


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


def limits() -> Limits:
    """The caps every task gets (read when a task starts, so a changed setting applies to the next task)."""
    return Limits(memory_mb=_positive_int(MEMORY_ENV, Limits.memory_mb),
                  time_limit_s=_positive_int(TIME_ENV, Limits.time_limit_s))


# How often a worker checks its running task (heartbeat, stop request, caps); RQ wants whole seconds.
MONITOR_INTERVAL_S = 1
# A running task whose worker has been silent this long is failed (its worker or machine died).
STALE_AFTER_S = 10
# After asking a task to stop (or to give up on a cap), how long before its process is killed.
STOP_GRACE_S = 5
