"""up and worker: run an instance (Redis, supervised workers, the web app) or just workers.

    python -m dragdl_core up [--port 8501] [--workers N] [--home DIR]
    python -m dragdl_core up --config class.toml              # a class: see class_config.py
    python -m dragdl_core worker [--workers N] [--home DIR]    # more workers, on this or another machine

With --config the class file gives home, port, address, Redis, workers, users and limits; --port, --address,
--workers and --threads still override it (they concern only this command), --home does not (every process
of the class must agree on it). The app and the workers get DRAGDL_CONFIG and re-read the file themselves.

Workers on other machines join an instance by pointing at the same Redis (REDIS_URL) and the same home
directory (a shared filesystem): run directories are read and written by path."""
from __future__ import annotations

import logging
import os
import socket
import sys
import time
from pathlib import Path

from . import UserError
from .. import class_config, config

APP = config.REPO_ROOT / "app" / "main.py"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _worker_plan(args) -> tuple[int, int]:
    """(workers, threads per task). By default one single-threaded worker per core: a class submits many
    small tasks, and on 2 cores two 1-thread workers ran 3x the tiny tasks per minute of one 2-thread
    worker (benchmarks/task_latency.py). `--workers 1` gives a lone user's task every core."""
    from ..tasks import caps

    try:
        caps.limits()  # a bad cap setting stops here, not in a worker restarted over and over
    except ValueError as err:
        raise UserError(str(err)) from None
    cores = _cores()
    workers = args.workers if args.workers is not None else (class_config.current().workers or cores)
    if workers < 1:
        raise UserError("--workers must be at least 1")
    threads = args.threads or max(1, cores // workers)
    return workers, threads


def _use_config(args) -> class_config.ClassConfig:
    """Read the class file (--config, else DRAGDL_CONFIG) and put its settings in this process's environment,
    which the children inherit; without one, the environment and the defaults."""
    try:
        if args.config:
            if args.home:
                raise UserError("--home cannot be combined with --config: set `home` in the class file")
            os.environ[class_config.CONFIG_ENV] = str(Path(args.config).expanduser().resolve())
        cfg = class_config.current()
    except class_config.ConfigError as err:
        raise UserError(str(err)) from None
    if cfg.source:
        os.environ.update(cfg.environment())
        if not cfg.redis_url:  # the file asks for the embedded Redis: a REDIS_URL left in the shell must not win
            os.environ.pop("REDIS_URL", None)
    return cfg


def _use_home(args) -> Path:
    _use_config(args)
    if args.home:
        os.environ["DRAGDL_HOME"] = str(Path(args.home).expanduser().resolve())
    home = config.home()
    os.umask(0o077)  # run directories, logs, Redis files: the instance's own user only (children inherit it)
    try:
        (home / "logs").mkdir(parents=True, exist_ok=True)
        for folder in (home, home / "logs", home / "runs", home / "redis"):
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o700)
    except OSError as err:
        raise UserError(f"cannot use home directory {home}: {err.strerror}") from None
    return home


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr)


def _app_child(port: int, address: str | None, env: dict, logs: Path):
    from ..tasks.supervisor import Child

    def command():
        argv = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.port", str(port)]
        return argv + (["--server.address", address] if address else [])

    return Child(label="app", command=command, env=env, log_path=logs / "app.log")


def cmd_up(args) -> int:
    from ..tasks import ServiceUnavailable
    from ..tasks.connection import display_url
    from ..tasks.recovery import recover
    from ..tasks.redis_server import HomeLock, RedisServer, configured_url, wait_for
    from ..tasks.supervisor import Supervisor, worker_children

    _setup_logging()
    home = _use_home(args)
    cfg = class_config.current()
    args.port, args.address = args.port or cfg.port, args.address or cfg.address
    _refuse_open_single_user(args)
    workers, threads = _worker_plan(args)
    if not args.no_app and APP.exists() and not _port_free(args.port):
        raise UserError(f"port {args.port} is in use; choose another with --port")
    lock, server = HomeLock(home), None
    try:
        lock.acquire()
        url = configured_url()
        if url:
            wait_for(url)
        else:
            server = RedisServer().start()
            server.publish_url()
            url = server.url
            os.environ["REDIS_URL"] = url
        found = recover()  # before the workers start: a lost record's task is failed, not picked up half-way
    except ServiceUnavailable as err:
        lock.release()
        if server:
            server.stop()
        raise UserError(str(err)) from None

    if found:
        print(f"recovered  {len(found)} task record(s) from their run directories (Redis did not know them)")
    env = dict(os.environ, REDIS_URL=url, DRAGDL_HOME=str(home))
    children = worker_children(workers, threads, env, home / "logs")
    if args.no_app:
        print("web app not started (--no-app)")
    elif APP.exists():
        children.append(_app_child(args.port, args.address, env, home / "logs"))
    else:
        print(f"web app not started: {APP} does not exist yet")
    supervisor = Supervisor(children, services=[server] if server else [])
    try:
        supervisor.start()
        print(f"Redis      {display_url(url)}" + (f" (AOF in {server.dir})" if server else " (REDIS_URL)"))
        print(f"workers    {workers} x {threads} thread(s); logs in {home / 'logs'}")
        print(f"home       {home}")
        if cfg.source:
            _print_class(cfg)
        if any(c.label == "app" for c in children):
            started = time.monotonic()
            while not _answers(args.port) and time.monotonic() - started < 60 and not supervisor.stopping:
                supervisor.check()
                time.sleep(0.3)
            note = "" if _answers(args.port) else f" (still starting: see {home / 'logs' / 'app.log'})"
            print(f"DragDL is running at http://localhost:{args.port}{note}  (Ctrl-C stops everything)", flush=True)
            if args.address not in ("localhost", "127.0.0.1", "::1"):
                print(f"students open http://{socket.getfqdn()}:{args.port}", flush=True)
        else:
            print("DragDL task service is running (Ctrl-C stops everything)", flush=True)
        supervisor.run()
    finally:
        supervisor.stop()
        if server:
            server.stop()
            server.unpublish_url()
        lock.release()
        print("stopped", flush=True)
    return 0


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _refuse_open_single_user(args) -> None:
    """Without accounts everyone who reaches the app is the instructor; on a network address that is every
    visitor. Refuse unless the operator says, with a flag, that this is what they want."""
    from ..users import single_user_mode

    if args.no_app or not args.address or args.address in LOOPBACK or args.allow_open_single_user:
        return
    if single_user_mode():
        raise UserError(f"refusing to serve {args.address} without accounts: every visitor would be the "
                        "instructor, with every task and dataset. Add accounts (`users add NAME --role "
                        "instructor`, or a class file with --config), or pass --allow-open-single-user if the "
                        "network is yours alone")


def _print_class(cfg: class_config.ClassConfig) -> None:
    from ..users import UsersError, UsersFile

    for label, value in class_config.describe(cfg):
        if label not in ("home", "redis", "workers", "web app"):
            print(f"{label:<10} {value}")
    try:
        accounts = UsersFile.of(cfg).accounts()
    except UsersError as err:
        accounts = []
        print(f"warning    {err}")
    if not any(a.role == "instructor" for a in accounts):
        print(f"warning    no instructor account yet, so nobody can run the class: "
              f"python -m dragdl_core users add NAME --role instructor --config {cfg.source}")


def cmd_worker(args) -> int:
    from ..tasks import ServiceUnavailable, redis_url
    from ..tasks.connection import display_url
    from ..tasks.redis_server import wait_for
    from ..tasks.supervisor import Supervisor, worker_children

    _setup_logging()
    home = _use_home(args)
    workers, threads = _worker_plan(args)
    try:
        url = redis_url()
        wait_for(url)
    except ServiceUnavailable as err:
        raise UserError(str(err)) from None
    env = dict(os.environ, REDIS_URL=url, DRAGDL_HOME=str(home))
    supervisor = Supervisor(worker_children(workers, threads, env, home / "logs"))
    supervisor.start()
    print(f"{workers} worker(s) x {threads} thread(s) on {display_url(url)}, home {home} (Ctrl-C stops them)",
          flush=True)
    supervisor.run()
    print("stopped", flush=True)
    return 0


def _common(p) -> None:
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--threads", type=int, help="threads per task (default: cores / workers)")
    p.add_argument("--home", help="DragDL home: runs, Redis data, logs (default $DRAGDL_HOME or var/)")
    p.add_argument("--config", help="a class's configuration file (TOML; see examples/class.toml)")


def register(sub) -> None:
    p = sub.add_parser("up", help="start Redis, the workers and the web app; Ctrl-C stops them all")
    _common(p)
    p.add_argument("--port", type=int, help="web app port (default: the class file's, else 8501)")
    p.add_argument("--address", help="address the web app listens on (default: the class file's, else localhost)")
    p.add_argument("--no-app", action="store_true", help="start only Redis and the workers")
    p.add_argument("--allow-open-single-user", action="store_true",
                   help="serve a non-loopback --address without accounts (every visitor is the instructor)")
    p.set_defaults(handler=cmd_up)

    p = sub.add_parser("worker", help="start workers for a running instance (REDIS_URL or this home's Redis)")
    _common(p)
    p.set_defaults(handler=cmd_worker)
