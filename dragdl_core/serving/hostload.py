"""How busy the host is, and whether a worker should take another task (`worker --max-load`, class file
`max_load`). Several worker processes on one host must not push it into swapping, nor pile tasks on a
machine that other work already keeps busy: above the threshold a worker takes no new task until the host
is below it again (a task already running is never interrupted for it).

    max_load = 1.5          # 1-minute load average per core above 1.5, or memory in use above 90 %
    max_load = "1.5,80"     # the same with memory in use above 80 % of RAM

Memory in use is what the kernel cannot hand out at once (total - available), so page cache does not count.
A worker's own running task counts toward the load average, so with one worker per core keep the load
threshold above 1 (the load of a host whose cores are all training is about 1 per core).
Pure: psutil is imported only to sample memory."""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_MEMORY_PERCENT = 90.0
ENV = "DRAGDL_MAX_LOAD"


@dataclass(frozen=True)
class MaxLoad:
    load_per_core: float
    memory_percent: float = DEFAULT_MEMORY_PERCENT

    def __str__(self) -> str:
        return f"{self.load_per_core:g},{self.memory_percent:g}"

    def describe(self) -> str:
        return f"load {self.load_per_core:g} per core or {self.memory_percent:g}% memory in use"


@dataclass(frozen=True)
class Sample:
    load_per_core: float      # 1-minute load average / cores
    memory_percent: float     # memory in use, % of RAM
    cores: int


def parse(value) -> MaxLoad | None:
    """`1.5`, `"1.5"` or `"1.5,80"` -> MaxLoad; None, "" or 0 -> None (no threshold). ValueError naming the
    rule otherwise."""
    if value is None or value == "" or value == 0:
        return None
    text = str(value).strip()
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) > 2:
            raise ValueError
        load = float(parts[0])
        memory = float(parts[1].rstrip("%")) if len(parts) == 2 and parts[1] else DEFAULT_MEMORY_PERCENT
    except ValueError:
        raise ValueError(f"max_load must be LOAD_PER_CORE or LOAD_PER_CORE,MEMORY_PERCENT (like 1.5 or 1.5,80), "
                         f"got {text!r}") from None
    if not 0 < load <= 1000:
        raise ValueError(f"max_load: the load average per core must be above 0 (e.g. 1.5), got {load:g}")
    if not 1 <= memory <= 100:
        raise ValueError(f"max_load: memory in use must be 1..100 %, got {memory:g}")
    return MaxLoad(load, memory)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def sample() -> Sample:
    import psutil

    count = os.cpu_count() or 1  # the load average counts runnable tasks on the whole machine
    memory = psutil.virtual_memory()
    in_use = 100.0 * (memory.total - memory.available) / memory.total if memory.total else 0.0
    return Sample(load_per_core=os.getloadavg()[0] / count, memory_percent=in_use, cores=count)


def why_busy(limit: MaxLoad | None, now: Sample) -> str | None:
    """Why a worker under `limit` should not take a task now (one line), or None when it may."""
    if limit is None:
        return None
    reasons = []
    if now.load_per_core > limit.load_per_core:
        reasons.append(f"load average {now.load_per_core * now.cores:.1f} on {now.cores} cores "
                       f"({now.load_per_core:.2f} per core) is above {limit.load_per_core:g} per core")
    if now.memory_percent > limit.memory_percent:
        reasons.append(f"memory in use {now.memory_percent:.0f}% is above {limit.memory_percent:g}%")
    return "host busy: " + "; ".join(reasons) if reasons else None
