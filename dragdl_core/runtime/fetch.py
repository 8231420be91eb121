"""`datasets fetch`: PaddlePaddle's downloadable datasets into Paddle's own cache, with Paddle's own
downloader and progress bar. Paddle's downloader waits forever (httpx timeout=None) and writes straight to
the final file name, so it is wrapped: the host must answer within a few seconds, every read is bounded by a
timeout, and the file is downloaded as `<name>.part` and renamed only once Paddle has checked its MD5."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="No ccache found")
import httpx  # noqa: E402  (Paddle's downloader uses it)
from . import paddle_quiet  # noqa: E402,F401  (imports Paddle without its start-up warning on the terminal)
import paddle.dataset.common as paddle_common  # noqa: E402
from paddle.vision import datasets as paddle_datasets  # noqa: E402

from .. import config  # noqa: E402
from ..compiler import registry  # noqa: E402
from ..nodes.datasets.paddle_downloads import PaddleDownload  # noqa: E402

TIMEOUT_S = 10.0
PARTS = {"MNIST": (paddle_datasets.MNIST, ("train", "test")),
         "FashionMNIST": (paddle_datasets.FashionMNIST, ("train", "test")),
         "Cifar10": (paddle_datasets.Cifar10, ("train", "test")),
         "Flowers102": (paddle_datasets.Flowers, ("train", "valid", "test"))}


class FetchError(RuntimeError):
    """A dataset that could not be fetched; one clear line (offline, unknown name, download failed)."""


def fetch(name: str, timeout: float = TIMEOUT_S) -> Path:
    """Download dataset `name` into Paddle's cache unless it is there already; returns its cache folder."""
    node = registry.get(name)
    if not isinstance(node, PaddleDownload) or name not in PARTS:
        raise FetchError(f"unknown dataset '{name}'; fetch one of: {', '.join(PARTS)}")
    folder = config.paddle_cache_dir() / node.cache_folder
    if not node.missing_files():
        return folder
    dataset_class, modes = PARTS[name]
    with guarded_downloads(timeout):
        for mode in modes:
            dataset_class(mode=mode, download=True, backend="pil")
    return folder


@contextlib.contextmanager
def guarded_downloads(timeout: float = TIMEOUT_S):
    """Within this block, Paddle's `download()` fails fast when offline, cannot hang, and leaves no half file."""
    original_download, original_httpx = paddle_common.download, paddle_common.httpx

    def download(url, module_name, md5sum, save_name=None):
        final = Path(paddle_common.DATA_HOME) / module_name / (save_name or url.split("/")[-1])
        part = final.with_name(final.name + ".part")
        check_reachable(url, timeout)
        try:
            original_download(url, module_name, md5sum, save_name=part.name)
        except BaseException as err:
            part.unlink(missing_ok=True)
            if isinstance(err, Exception):
                raise FetchError(f"downloading {url} failed ({err}); nothing was left in {final.parent}") from None
            raise
        os.replace(part, final)
        return str(final)

    paddle_common.download, paddle_common.httpx = download, _BoundedHttpx(timeout)
    try:
        yield
    finally:
        paddle_common.download, paddle_common.httpx = original_download, original_httpx


class _BoundedHttpx:
    """Stands in for the httpx module inside Paddle's downloader: the same `stream()`, with a timeout."""

    def __init__(self, timeout: float):
        self.timeout = timeout

    def stream(self, method, url, **kwargs):
        kwargs["timeout"] = httpx.Timeout(self.timeout)
        return httpx.stream(method, url, **kwargs)


def check_reachable(url: str, timeout: float) -> None:
    """Connect to the download host (or the configured proxy) within `timeout`, name lookup included."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    target = urllib.parse.urlsplit(proxy if proxy and not urllib.request.proxy_bypass(parts.hostname) else url)
    host, port = target.hostname, target.port or (443 if target.scheme == "https" else 80)
    outcome: list = []

    def connect():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as err:
            outcome.append(err)

    worker = threading.Thread(target=connect, daemon=True)  # a name lookup has no timeout of its own
    worker.start()
    worker.join(timeout + 1)
    error = outcome[0] if outcome else TimeoutError(f"no answer within {timeout:g} s")
    if error is not None:
        raise FetchError(f"cannot reach {host}:{port} to download {url} ({error}); this machine seems to be "
                         "offline. Use Digits, Shapes or your own ImageFolder dataset offline, or fetch on a "
                         "machine that is online and copy ~/.cache/paddle/dataset/")
