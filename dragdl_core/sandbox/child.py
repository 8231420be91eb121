"""A sandbox child: `python -m dragdl_core.sandbox.child KIND MEMORY_MB`. Imports what its kind needs,
limits its own address space to what that import left plus MEMORY_MB, says "ready", then answers jobs
`(target, args, cpu_seconds)` one at a time until its input closes. Each job gets its own CPU-time limit
(the kernel ends the child with SIGXCPU past it); the parent enforces the wall deadline by killing it."""
from __future__ import annotations

import importlib
import os
import resource
import sys
import time

PRELOAD = {
    "numpy": ["numpy", "asteval", "dragdl_core.compiler.safe_expr"],
    "paddle": ["numpy", "asteval", "dragdl_core.compiler.safe_expr", "dragdl_core.runtime.sandboxed"],
}
SETUP = {"paddle": "dragdl_core.runtime.sandboxed:setup"}  # run once after the imports, before "ready"


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _call(target: str, args):
    module_name, _, function = target.partition(":")
    if not module_name.startswith("dragdl_core."):
        raise ValueError(f"the sandbox runs only DragDL's own functions, not {target}")
    return getattr(importlib.import_module(module_name), function)(*args)


def main(kind: str, memory_mb: int) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    from . import protocol

    replies = os.fdopen(os.dup(1), "wb")  # the protocol keeps the real stdout; stray prints go to stderr
    os.dup2(2, 1)
    requests = os.fdopen(os.dup(0), "rb")
    for name in PRELOAD[kind]:
        importlib.import_module(name)
    if kind in SETUP:
        _call(SETUP[kind], ())
    limit = _address_space() + memory_mb * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    protocol.send(replies, ("ready", os.getpid()))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            target, args, cpu_seconds = protocol.receive(requests)
        except EOFError:
            return
        soft = int(_cpu_used() + cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard == resource.RLIM_INFINITY else min(soft, cpu_hard),
                                                 cpu_hard))
        started = time.perf_counter()
        try:
            reply = ("ok", _call(target, args))
        except MemoryError:
            reply = ("memory", None)
        except Exception as err:  # reported to the parent, which raises it there with the same message
            reply = ("error", (type(err).__module__, type(err).__qualname__, str(err)))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_hard, cpu_hard))
        try:
            protocol.send(replies, reply + (time.perf_counter() - started,))
        except MemoryError:
            protocol.send(replies, ("memory", None, 0.0))
        if reply[0] == "memory":
            return  # a child that ran out of memory may be in a bad state: the parent starts a fresh one


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        os._exit(0)  # the parent is gone: nothing to answer, nothing to say
