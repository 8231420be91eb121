"""`datasets fetch`: Paddle's own downloader, made to fail fast and clean. A local HTTP server stands in for
Paddle's dataset host (the test machine is offline); an unreachable proxy makes "offline" deterministic."""
from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
import time

import pytest

PAYLOAD = b"dragdl test payload " * 500


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        if self.path.startswith("/good/"):
            self.wfile.write(PAYLOAD)
        elif self.path.startswith("/short/"):  # the connection drops half-way
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
        elif self.path.startswith("/stall/"):  # sends a little, then nothing
            self.wfile.write(PAYLOAD[:100])
            self.wfile.flush()
            time.sleep(20)


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def paddle_cache(tmp_path, monkeypatch):
    from dragdl_core.runtime import fetch  # noqa: F401  (imports Paddle)
    import paddle.dataset.common as common

    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(common, "DATA_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.timeout(120)
def test_paddle_downloader_writes_the_file_only_when_complete(server, paddle_cache):
    import paddle.dataset.common as common
    from dragdl_core.runtime.fetch import guarded_downloads

    with guarded_downloads(timeout=2):
        path = common.download(f"{server}/good/data.bin", "mnist", hashlib.md5(PAYLOAD).hexdigest())
    assert open(path, "rb").read() == PAYLOAD
    assert sorted(p.name for p in (paddle_cache / "mnist").iterdir()) == ["data.bin"]
    assert common.download.__module__ == "paddle.dataset.common"  # restored after the block


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["short", "stall"])
def test_a_broken_or_stalled_download_fails_clearly_and_leaves_no_half_file(kind, server, paddle_cache):
    import paddle.dataset.common as common
    from dragdl_core.runtime.fetch import FetchError, guarded_downloads

    with pytest.raises(FetchError, match=f"downloading {server}/{kind}/data.bin failed"):
        with guarded_downloads(timeout=0.5):
            common.download(f"{server}/{kind}/data.bin", "mnist", hashlib.md5(PAYLOAD).hexdigest())
    assert list((paddle_cache / "mnist").iterdir()) == []


def _fetch_cli(tmp_path, python_env, *args):
    home = tmp_path / "user-home"
    home.mkdir(exist_ok=True)
    env = {**python_env, "HOME": str(home), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": ""}
    done = subprocess.run([sys.executable, "-m", "dragdl_core", "datasets", "fetch", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    return done, home / ".cache" / "paddle" / "dataset"


@pytest.mark.timeout(150)
def test_offline_fetch_is_a_clear_error_and_leaves_nothing(tmp_path, python_env):
    done, cache = _fetch_cli(tmp_path, python_env, "MNIST", "--timeout", "3")
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot reach 127.0.0.1:9 to download https://dataset.bj.bcebos.com/mnist/")
    assert "offline" in last and "Traceback" not in done.stderr
    assert [p for p in cache.rglob("*") if p.is_file()] == []


@pytest.mark.timeout(150)
def test_fetch_of_a_cached_dataset_needs_no_network(tmp_path, python_env):
    from dragdl_core.nodes.datasets.paddle_downloads import MNIST_FILES

    folder = tmp_path / "user-home" / ".cache" / "paddle" / "dataset" / "mnist"
    folder.mkdir(parents=True)
    for name in MNIST_FILES:
        (folder / name).write_bytes(b"cached")
    done, _ = _fetch_cli(tmp_path, python_env, "MNIST")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"MNIST is in {folder}"
