"""The one place that knows where Redis is: REDIS_URL, else the URL `up` wrote into <home>/redis/url."""
from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from .. import config
from ..classroom import class_config
from .errors import ServiceUnavailable

URL_ENV = "REDIS_URL"


def url_file() -> Path:
    """Written by `up` when it starts its own Redis, removed when it stops; workers and the app read it."""
    return config.home() / "redis" / "url"


def redis_url() -> str:
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    try:
        url = url_file().read_text(encoding="utf-8").strip()
    except OSError:
        url = ""
    if not url:
        raise ServiceUnavailable(f"the task service is not running: start it with `python -m dragdl_core up` "
                                 f"(or set {URL_ENV}); no {url_file()}")
    return url


def display_url(url: str | None = None) -> str:
    """The URL without its password, for messages and logs."""
    return class_config.without_password(url or redis_url())


@functools.lru_cache(maxsize=8)
def _client(url: str, decode: bool, patient: bool) -> redis.Redis:
    # A web request should fail fast on a dead server; a worker rides out a Redis restart (~30 s of retries).
    retry = Retry(ExponentialBackoff(cap=2.0, base=0.1), 20 if patient else 2)
    return redis.Redis.from_url(url, decode_responses=decode, socket_connect_timeout=3, socket_timeout=10,
                                health_check_interval=30, retry=retry)


def connection(patient: bool = False) -> redis.Redis:
    """The Redis client RQ uses (bytes in, bytes out). `patient`: retry for half a minute (workers)."""
    return _client(redis_url(), False, patient)


def text_connection(patient: bool = False) -> redis.Redis:
    """The same server, answering str: what the task store uses."""
    return _client(redis_url(), True, patient)


@contextmanager
def reachable():
    """Turn a lost connection into ServiceUnavailable with the URL in it (one line for the user)."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as err:
        raise ServiceUnavailable(f"cannot reach Redis at {display_url()}: {err}; is `python -m dragdl_core up` "
                                 f"running?") from None
