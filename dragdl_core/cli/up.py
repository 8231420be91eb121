"""up and worker: run an instance (Redis, supervised workers, the web app) or just workers.

    python -m dragdl_core up [--port 8501] [--workers N] [--app-processes N] [--domain HOST] [--home DIR]
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
from dataclasses import replace
from pathlib import Path

from . import UserError
from .. import config
from ..classroom import class_config
from ..serving import hostload, proxy

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


def _app_children(count: int, env: dict, logs: Path) -> list:
    """`count` Streamlit processes on free loopback ports (kept across restarts: the proxy names them). One
    that stops answering its health endpoint is killed and restarted by the supervisor, like one that died."""
    from ..tasks.supervisor import Child

    children = []
    for index in range(1, count + 1):
        port = _free_loopback_port()

        def command(port=port):
            return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
                    "--browser.gatherUsageStats", "false", "--server.port", str(port),
                    "--server.address", proxy.LOOPBACK, "--server.fileWatcherType", "none"]

        children.append(Child(label=f"app-{index}", command=command, env=env, log_path=logs / f"app-{index}.log",
                              port=port, healthy=lambda port=port: _healthy(port)))
    return children


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind((proxy.LOOPBACK, 0))
        return s.getsockname()[1]


def _proxy_child(plan: "proxy.ProxyPlan", home: Path, env: dict):
    """Caddy in front of the app processes (and the API, once there is one); its Caddyfile under home."""
    from ..tasks.supervisor import Child

    config_path = home / "caddy" / "Caddyfile"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(proxy.caddyfile(plan), encoding="utf-8")
    # Caddy's own state (autosave, certificates) stays under home, whatever the instructor's $HOME is.
    caddy_env = dict(env, XDG_DATA_HOME=str(home / "caddy" / "data"), XDG_CONFIG_HOME=str(home / "caddy"))
    return Child(label="proxy", command=lambda: proxy.command(config_path), env=caddy_env,
                 log_path=home / "logs" / "proxy.log")


def _web_plan(args, cfg: class_config.ClassConfig, home: Path) -> tuple[int, "proxy.ProxyPlan"]:
    """(app processes, where the proxy listens). Flags override the class file; `--domain` serves HTTPS on
    443 and every interface unless a port or address was given."""
    processes = args.app_processes if args.app_processes is not None else (cfg.app_processes or _cores())
    if processes < 1:
        raise UserError("--app-processes must be at least 1")
    domain = args.domain if args.domain is not None else cfg.domain
    tls = args.tls or cfg.tls
    port_given = args.port is not None or "port" in cfg.model_fields_set
    address_given = args.address is not None or "address" in cfg.model_fields_set
    port = args.port or (cfg.port if port_given or not domain else 443)
    address = args.address or (cfg.address if address_given or not domain else "0.0.0.0")
    try:
        domain = class_config.host_name(domain)
    except ValueError as err:
        raise UserError(f"--domain {err}, got {domain!r}") from None
    return processes, proxy.ProxyPlan(port=port, app_ports=(), address=address, domain=domain or None, tls=tls,
                                      data_dir=home / "caddy" / "data")


def _web_ready(plan: "proxy.ProxyPlan", apps: list) -> bool:
    """Every app process answers its health check and the proxy accepts connections."""
    return all(_healthy(child.port) for child in apps) and _answers(plan.port)


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{proxy.LOOPBACK}:{port}{proxy.HEALTH_PATH}", timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def api_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The REST API process (dragdl_core/api): uvicorn on its own internal port. Loopback only: clients
    reach it through the proxy in front of the app (`handle /api/*`), or on this machine."""
    return [sys.executable, "-m", "uvicorn", "dragdl_core.api:create_app", "--factory", "--host", host,
            "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "5"]


def _api_child(port: int, env: dict, logs: Path):
    from ..tasks.supervisor import Child

    return Child(label="api", command=lambda: api_command(port), env=env, log_path=logs / "api.log")


def cmd_up(args) -> int:
    from ..tasks import ServiceUnavailable
    from ..tasks.connection import display_url
    from ..tasks.recovery import recover
    from ..tasks.redis_server import HomeLock, RedisServer, configured_url, wait_for
    from ..tasks.supervisor import Supervisor, worker_children

    _setup_logging()
    home = _use_home(args)
    cfg = class_config.current()
    workers, threads = _worker_plan(args)
    max_load, max_load_flag = _max_load(args, cfg)
    app_processes, plan = _web_plan(args, cfg, home)
    _refuse_open_single_user(args, plan.address)
    serve_app = not args.no_app and APP.exists()
    if serve_app:
        try:
            proxy.executable()
        except proxy.ProxyError as err:
            raise UserError(str(err)) from None
        if not _port_free(plan.port):
            raise UserError(f"port {plan.port} is in use; choose another with --port")
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
    children = worker_children(workers, threads, env, home / "logs", max_load=max_load_flag)
    apps = []
    api_port = args.api_port or _free_loopback_port()
    children.append(_api_child(api_port, env, home / "logs"))
    if args.no_app:
        print("web app not started (--no-app)")
    elif serve_app:
        # Caddy is in front even of one app process: the REST API is served under /api on the same address
        # (docs/classroom.md, "Several app processes").
        apps = _app_children(app_processes, env, home / "logs")
        plan = replace(plan, app_ports=tuple(child.port for child in apps), api_port=api_port)
        children += apps + [_proxy_child(plan, home, env)]
    else:
        print(f"web app not started: {APP} does not exist yet")
    supervisor = Supervisor(children, services=[server] if server else [])
    try:
        supervisor.start()
        print(f"Redis      {display_url(url)}" + (f" (AOF in {server.dir})" if server else " (REDIS_URL)"))
        print(f"workers    {workers} x {threads} thread(s)"
              + (f", none takes a task above {max_load.describe()}" if max_load else "") + f"; logs in {home / 'logs'}")
        print(f"home       {home}")
        if cfg.source:
            _print_class(cfg)
        started = time.monotonic()
        while not _answers(api_port) and time.monotonic() - started < 30 and not supervisor.stopping:
            supervisor.check()
            time.sleep(0.2)
        if apps:
            print(f"web app    {len(apps)} process(es) behind Caddy on {plan.address}:{plan.port}"
                  + (f", HTTPS for {plan.domain} ({plan.tls})" if plan.domain else ""))
            if len(apps) > _cores():
                print(f"warning    {len(apps)} app processes on {_cores()} cores: each uses about one core when "
                      "busy, so more than the cores only costs memory")
            started = time.monotonic()
            while (not _web_ready(plan, apps) and time.monotonic() - started < 90
                   and not supervisor.stopping):
                supervisor.check()
                time.sleep(0.3)
            note = "" if _web_ready(plan, apps) else f" (still starting: see the app-N.log files in {home / 'logs'})"
            print(f"API: {plan.url()}/api  (docs at /api/docs)", flush=True)
            print(f"DragDL is running at {plan.url()}{note}  (Ctrl-C stops everything)", flush=True)
            if not plan.domain and plan.address not in ("localhost", "127.0.0.1", "::1"):
                print(f"students open http://{socket.getfqdn()}:{plan.port}", flush=True)
        else:
            print(f"API: http://127.0.0.1:{api_port}/api  (docs at /api/docs)", flush=True)
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


def _max_load(args, cfg: class_config.ClassConfig) -> tuple:
    """(what the workers are held to, the flag's value). Only a flag goes on the workers' command line: the
    class file's `max_load` the workers read themselves, so a change to the file applies without a restart."""
    try:
        flag = hostload.parse(args.max_load)
    except ValueError as err:
        raise UserError(f"--max-load: {err}") from None
    return flag or hostload.parse(cfg.max_load), flag


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _refuse_open_single_user(args, address: str) -> None:
    """Without accounts everyone who reaches the app is the instructor; on a network address that is every
    visitor. Refuse unless the operator says, with a flag, that this is what they want."""
    from ..classroom.users import single_user_mode

    if args.no_app or not address or address in LOOPBACK_NAMES or args.allow_open_single_user:
        return
    if single_user_mode():
        raise UserError(f"refusing to serve {address} without accounts: every visitor would be the "
                        "instructor, with every task and dataset. Add accounts (`users add NAME --role "
                        "instructor`, or a class file with --config), or pass --allow-open-single-user if the "
                        "network is yours alone")


def _print_class(cfg: class_config.ClassConfig) -> None:
    from ..classroom.users import UsersError, UsersFile

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
    max_load, max_load_flag = _max_load(args, class_config.current())
    try:
        url = redis_url()
        wait_for(url)
    except ServiceUnavailable as err:
        raise UserError(str(err)) from None
    env = dict(os.environ, REDIS_URL=url, DRAGDL_HOME=str(home))
    supervisor = Supervisor(worker_children(workers, threads, env, home / "logs", max_load=max_load_flag))
    supervisor.start()
    print(f"{workers} worker(s) x {threads} thread(s) on {display_url(url)}, home {home}"
          + (f", no new task above {max_load.describe()}" if max_load else "") + " (Ctrl-C stops them)", flush=True)
    supervisor.run()
    print("stopped", flush=True)
    return 0


def _common(p) -> None:
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--threads", type=int, help="threads per task (default: cores / workers)")
    p.add_argument("--home", help="DragDL home: runs, Redis data, logs (default $DRAGDL_HOME or var/)")
    p.add_argument("--config", help="a class's configuration file (TOML; see examples/class.toml)")
    p.add_argument("--max-load", help="take no new task while the host is above LOAD_PER_CORE[,MEMORY_PERCENT] "
                                      "(e.g. 1.5 or 1.5,80; default: the class file's, else no limit)")


def register(sub) -> None:
    p = sub.add_parser("up", help="start Redis, the workers and the web app; Ctrl-C stops them all")
    _common(p)
    p.add_argument("--port", type=int, help="web app port (default: the class file's, else 8501; 443 with --domain)")
    p.add_argument("--address", help="address the web app listens on (default: the class file's, else localhost; "
                                     "every interface with --domain)")
    p.add_argument("--app-processes", type=int, help="web app processes behind the proxy (default: the class "
                                                     "file's, else one per core)")
    p.add_argument("--domain", help="serve HTTPS for this host name (automatic certificates when it is public)")
    p.add_argument("--tls", choices=proxy.TLS_MODES, help="with --domain: acme (Let's Encrypt, the default) or "
                                                          "internal (Caddy's own CA, e.g. for a test or a LAN)")
    p.add_argument("--no-app", action="store_true", help="start only Redis, the workers and the REST API")
    p.add_argument("--api-port", type=int, help="internal port of the REST API on 127.0.0.1 (default: a free one)")
    p.add_argument("--allow-open-single-user", action="store_true",
                   help="serve a non-loopback --address without accounts (every visitor is the instructor)")
    p.set_defaults(handler=cmd_up)

    p = sub.add_parser("worker", help="start workers for a running instance (REDIS_URL or this home's Redis)")
    _common(p)
    p.set_defaults(handler=cmd_worker)
