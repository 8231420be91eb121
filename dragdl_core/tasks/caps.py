"""Per-task caps (memory, wall time) and the worker's timing, from the configuration.

Read from the class configuration (class_config), which falls back to the environment variables below. A cap
that is exceeded fails the task with a message naming the cap and the setting that controls it."""
from __future__ import annotations

from dataclasses import dataclass

from ..classroom import class_config

MEMORY_ENV = "DRAGDL_TASK_MEMORY_MB"
TIME_ENV = "DRAGDL_TASK_TIME_LIMIT"


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096        # resident memory of the task's process tree
    time_limit_s: int = 4 * 3600  # wall time from the task's start

    def memory_message(self, used_mb: float | None = None) -> str:
        used = f" (used {used_mb:.0f} MB)" if used_mb else ""
        return (f"memory cap exceeded: the task may use {self.memory_mb} MB{used}; make the model, images or "
                f"batch smaller, or raise {MEMORY_ENV} (task_memory_mb in a class file)")

    def time_message(self) -> str:
        return (f"wall-time cap exceeded: the task may run {self.time_limit_s} s; train fewer epochs or less "
                f"data, or raise {TIME_ENV} (task_time_minutes in a class file)")


def limits() -> Limits:
    """The caps every task gets, from the class configuration ([limits] task_memory_mb and task_time_minutes,
    else DRAGDL_TASK_MEMORY_MB and DRAGDL_TASK_TIME_LIMIT); read when a task starts, so a changed setting
    applies to the next task. A bad setting raises ValueError (class_config.ConfigError) naming it."""
    configured = class_config.current().limits
    return Limits(memory_mb=configured.task_memory_mb, time_limit_s=configured.task_time_seconds)


# How often a worker checks its running task (heartbeat, stop request, caps); RQ wants whole seconds.
MONITOR_INTERVAL_S = 1
# A running task whose worker has been silent this long is failed (its worker or machine died).
STALE_AFTER_S = 10
# After asking a task to stop (or to give up on a cap), how long before its process is killed.
STOP_GRACE_S = 5
