"""The parent side of the sandbox: per kind, a few pre-started children; a job takes an idle child (or
starts one), waits for its answer until the wall deadline and kills the child's whole process group when
the deadline passes or the child dies. A replacement is started in the background, so the next job finds
a warm child. Thread-safe: every Streamlit session runs in its own thread of one process."""
from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

from . import protocol

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0  # a cold Paddle import on a loaded machine
WAIT_FOR_CHILD_S = 60.0  # all children busy: how long a job queues before "the server is busy"

# kind -> (children kept warm, most children at once, memory limit in MB beyond what the imports take)
KINDS = {
    "numpy": (2, int(os.environ.get("DRAGDL_SANDBOX_NUMPY_CHILDREN", "4")),  # two: one killed, one still warm
              int(os.environ.get("DRAGDL_SANDBOX_NUMPY_MB", "1024"))),
    "paddle": (1, int(os.environ.get("DRAGDL_SANDBOX_PADDLE_CHILDREN", "2")),
               int(os.environ.get("DRAGDL_SANDBOX_PADDLE_MB", "1536"))),
}


class SandboxError(RuntimeError):
    """The work overran a limit or its child died; the message says which, addressed to the student."""


def _size(mb: int) -> str:
    return f"{mb / 1024:g} GB" if mb >= 1024 else f"{mb} MB"


class _Child:
    def __init__(self, kind: str, memory_mb: int):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.kind, self.memory_mb = kind, memory_mb
        self.process = subprocess.Popen([sys.executable, "-m", "dragdl_core.sandbox.child", kind, str(memory_mb)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env,
                                        start_new_session=True)
        self.ready = False

    def wait_ready(self) -> None:
        reply = self._receive(START_TIMEOUT_S)
        if reply is None or reply[0] != "ready":
            self.kill()
            raise SandboxError(f"the {self.kind} sandbox could not start (see the server log)")
        self.ready = True

    def _receive(self, timeout: float):
        """The next message, or None when the deadline passed or the child died."""
        readable, _, _ = select.select([self.process.stdout], [], [], max(timeout, 0.0))
        if not readable:
            return None
        try:
            return protocol.receive(self.process.stdout)
        except (EOFError, OSError):
            return None

    def call(self, target: str, args, time_limit: float):
        started = time.monotonic()
        try:
            protocol.send(self.process.stdin, (target, args, time_limit))
        except (BrokenPipeError, OSError):
            self.kill()
            raise SandboxError("the sandbox was not running; try again") from None
        reply = self._receive(time_limit + 0.25)  # a little slack for the pipes, not for the work
        if reply is None:
            exit_code = self.process.poll()  # None: still running past the deadline
            self.kill()
            elapsed = time.monotonic() - started
            if exit_code is None or exit_code == -signal.SIGXCPU or elapsed >= time_limit:
                raise SandboxError(f"took longer than {time_limit:g} s")
            raise SandboxError(f"needs more than {_size(self.memory_mb)} of memory or crashed")
        if reply[0] == "memory":
            self.kill()
            raise SandboxError(f"needs more than {_size(self.memory_mb)} of memory")
        if reply[0] == "error":
            raise _rebuild(*reply[1])
        return reply[1]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the child's whole process group (it leads its own session), then reap it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _rebuild(module: str, name: str, message: str) -> Exception:
    """The child's exception, raised again here with the same type when it is one of DragDL's own and its
    module is already loaded here (so a PreviewError does not import Paddle into the web process)."""
    try:
        loaded = module.startswith("dragdl_core") and module in sys.modules
        cls = getattr(sys.modules[module], name) if loaded else None
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls(message)
    except Exception:  # noqa: BLE001 - a type that cannot be rebuilt is reported as a SandboxError
        pass
    return SandboxError(message)


class _Pool:
    def __init__(self, kind: str):
        self.kind = kind
        self.warm, self.most, self.memory_mb = KINDS[kind]
        self.idle: list[_Child] = []
        self.starting = 0
        self.busy = 0
        self.waiting = 0
        self.start_failure: str | None = None  # why the last child could not start, for the waiting caller
        self.lock = threading.Condition()

    def _start_one(self) -> None:
        try:
            child = _Child(self.kind, self.memory_mb)
            _every.add(child)
            child.wait_ready()
        except Exception as err:  # noqa: BLE001 - the waiting job is told; the next job tries again
            with self.lock:
                self.starting -= 1
                self.start_failure = str(err) if isinstance(err, SandboxError) else \
                    f"the {self.kind} sandbox could not start ({type(err).__name__})"
                self.lock.notify_all()
            return
        with self.lock:
            self.starting -= 1
            self.idle.append(child)
            self.lock.notify_all()

    def fill(self) -> None:
        """Start children in the background until `warm` are idle or starting (within `most`)."""
        with self.lock:
            wanted = min(self.warm - len(self.idle) - self.starting,
                         self.most - len(self.idle) - self.starting - self.busy)
            self.starting += max(wanted, 0)
        for _ in range(max(wanted, 0)):
            threading.Thread(target=self._start_one, daemon=True, name=f"sandbox-{self.kind}-start").start()

    def take(self) -> _Child:
        deadline = time.monotonic() + WAIT_FOR_CHILD_S
        with self.lock:
            self.waiting += 1
            try:
                return self._take(deadline)
            finally:
                self.waiting -= 1

    def _take(self, deadline: float) -> _Child:
        """Called holding the lock: an idle live child, else start one (if this waiter has none coming)."""
        while True:
            while self.idle:
                child = self.idle.pop()
                if child.alive():
                    self.busy += 1
                    return child
                child.kill()
            if self.start_failure and not self.starting:
                failure, self.start_failure = self.start_failure, None
                raise SandboxError(failure)
            if self.starting < self.waiting and self.busy + self.starting < self.most:
                self.starting += 1
                threading.Thread(target=self._start_one, daemon=True, name=f"sandbox-{self.kind}-start").start()
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError("the server is busy with other students' previews and predictions; "
                                   "try again in a minute")
            self.lock.wait(min(left, 1.0))

    def give_back(self, child: _Child) -> None:
        with self.lock:
            self.busy -= 1
            if child.alive():
                self.idle.append(child)
            self.lock.notify_all()
        self.fill()


_every: "weakref.WeakSet[_Child]" = weakref.WeakSet()  # started, idle or busy: all are stopped at exit
_pools: dict[str, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(kind: str) -> _Pool:
    with _pools_lock:
        if kind not in _pools:
            if kind not in KINDS:
                raise ValueError(f"unknown sandbox kind {kind!r}; one of {', '.join(KINDS)}")
            _pools[kind] = _Pool(kind)
        return _pools[kind]


def run(kind: str, target: str, args: tuple = (), time_limit: float = 1.0):
    """`target(*args)` ("dragdl_core.module:function") in a child of `kind`, within `time_limit` seconds
    of wall time (and of CPU time) and the kind's memory limit. Returns its result, raises its exception
    (when it is one of DragDL's own types) or SandboxError."""
    pool = _pool(kind)
    child = pool.take()
    pool.fill()  # a replacement starts warming while this job runs
    try:
        return child.call(target, args, time_limit)
    finally:
        pool.give_back(child)


def warm(*kinds: str) -> None:
    """Start the pools' children now, in the background (the app calls this once at start)."""
    for kind in kinds or tuple(KINDS):
        _pool(kind).fill()


def shutdown() -> None:
    """Stop every child (they would also exit on their own once this process's pipes close)."""
    for child in list(_every):
        child.kill()


def _forget_after_fork() -> None:
    """A forked process (an RQ work horse) must not talk to its parent's children over inherited pipes."""
    global _pools_lock
    _pools.clear()
    _every.clear()
    _pools_lock = threading.Lock()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_forget_after_fork)
