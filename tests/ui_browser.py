"""Driving the real app in headless Chromium: start it, find things on the canvas, wait for reruns.
Shared by the browser tests and benchmarks/ui_load.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CANVAS = 'iframe[title="app.canvas_component.canvas"]'  # the frame Streamlit makes for app/canvas_component


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(home: Path, datasets: Path, log: Path, timeout: float = 60, script: Path | None = None):
    """`streamlit run app/main.py` (or `script`) on a free loopback port with its own DRAGDL_HOME;
    yields the URL."""
    port = free_port()
    env = dict(os.environ, DRAGDL_HOME=str(home), DRAGDL_DATASETS=str(datasets), PYTHONPATH=str(ROOT),
               PYTHONWARNINGS="ignore:No ccache found")
    command = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app" / "main.py"),
               "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the app did not start; see {log}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def app_with_redis(base: Path, prepare=None):
    """The app with its own home, datasets folder and Redis under `base` (REDIS_URL set in this process while
    it runs, for tests that reach the task service directly). `prepare(env, base)` runs before the app starts
    (a dataset to import, a worker to start) and may return a callable that stops what it started. Yields
    {"url", "home", "datasets", "env"}; everything is stopped at the end, whatever happened."""
    from dragdl_core.tasks.redis_server import RedisServer

    home, datasets = base / "home", base / "datasets"
    home.mkdir()
    datasets.mkdir()
    redis = RedisServer(directory=home / "redis").start()
    env = dict(os.environ, DRAGDL_HOME=str(home), DRAGDL_DATASETS=str(datasets), REDIS_URL=redis.url,
               PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    old = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = redis.url
    stop = None
    try:
        stop = prepare(env, base) if prepare else None
        with running_app(home, datasets, base / "app.log") as url:
            yield {"url": url, "home": home, "datasets": datasets, "env": env}
    finally:
        if stop:
            stop()
        os.environ.pop("REDIS_URL") if old is None else os.environ.__setitem__("REDIS_URL", old)
        redis.stop()


@contextmanager
def running_instance(home: Path, log: Path, app_processes: int = 2, timeout: float = 180, env: dict | None = None,
                     extra: tuple[str, ...] = ()):
    """`python -m dragdl_core up` with `app_processes` Streamlit processes behind Caddy on a free loopback
    port (one worker, this home); yields the one URL. Ctrl-C at the end, as an instructor would stop it."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DRAGDL_CONFIG")}
    full_env.update(DRAGDL_HOME=str(home), PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore:No ccache found",
                    **(env or {}))
    command = [sys.executable, "-m", "dragdl_core", "up", "--workers", "1", "--app-processes", str(app_processes),
               "--port", str(port), "--address", "127.0.0.1", *extra]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + timeout
        while "is running at" not in log.read_text():
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"`up` did not start; see {log}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def palette_item(page, type_name: str):
    """The palette's chip for a node type (app/palette.py: chip groups, which browsers see as radio buttons)."""
    return page.locator('[data-testid="stSidebar"]').get_by_role("radio", name=type_name, exact=True)


def settle(page, quiet_ms: int = 400, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished its rerun: no running indicator and no element left over from the
    previous run (Streamlit marks those stale) for `quiet_ms`."""
    deadline = time.time() + timeout_ms / 1000
    quiet_since = None
    while time.time() < deadline:
        running = (page.locator('[data-testid="stStatusWidget"]').is_visible()
                   or page.locator('[data-stale="true"]').count() > 0)
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif (time.time() - quiet_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(50)


def canvas(page):
    return page.frame_locator(CANVAS)


def node(page, node_id: str):
    return canvas(page).locator(f'.react-flow__node[data-id="{node_id}"]')


def drag_edge(page, source: str, target: str) -> None:
    """Press on the source node's output handle and release on the target node's input handle."""
    source_handle = node(page, source).locator(".react-flow__handle.source")
    target_handle = node(page, target).locator(".react-flow__handle.target")
    # a long graph makes the page scroll: bring the lower handle to the bottom of the window, so both show
    lower = max((source_handle, target_handle), key=lambda h: h.bounding_box()["y"])
    lower.evaluate("h => h.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(100)
    start, end = source_handle.bounding_box(), target_handle.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20)
        page.wait_for_timeout(15)
    page.mouse.up()
