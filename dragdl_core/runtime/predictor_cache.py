"""Loaded models kept for the next prediction, bounded in count and in bytes, least recently used first
out. One Predictor per (run, export): a run trained again gets a fresh one. Loading too is serialised
per run, so concurrent first requests load the model once."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from .. import rundir
from .predict import Prediction, Predictor

MAX_MODELS = 8
MAX_BYTES = 1 << 30           # estimated memory of the cached models together
OVERHEAD = 2.0                # a loaded model takes about twice its parameter file (weights + program)

_cache: OrderedDict[tuple, tuple[Predictor, int]] = OrderedDict()
_lock = threading.Lock()
_loading: dict[tuple, threading.Lock] = {}


def _key(run_dir: Path) -> tuple:
    meta = rundir.model_path(run_dir)
    return str(run_dir.resolve()), meta.stat().st_mtime_ns if meta.exists() else 0


def _size(run_dir: Path) -> int:
    params = rundir.model_path(run_dir, rundir.MODEL_PARAMS)
    return int((params.stat().st_size if params.exists() else 0) * OVERHEAD) + (4 << 20)


def predictor(run_dir) -> Predictor:
    """The run's loaded Predictor, loading it (once, even when asked by several threads) if needed."""
    run_dir = Path(run_dir)
    key = _key(run_dir)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key][0]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        with _lock:
            if key in _cache:
                return _cache[key][0]
        try:
            loaded, size = Predictor(run_dir), _size(run_dir)
        finally:
            with _lock:
                _loading.pop(key, None)
        with _lock:
            _cache[key] = (loaded, size)
            while len(_cache) > MAX_MODELS or (len(_cache) > 1 and sum(s for _, s in _cache.values()) > MAX_BYTES):
                _cache.popitem(last=False)
        return loaded


_running = threading.Lock()


def predict(run_dir, data: bytes, name: str) -> Prediction:
    """One prediction at a time per process: concurrent eager forward passes from several threads crash
    Paddle (the API process died under 10 concurrent clients, benchmarks/rest_api.py), and on a shared
    CPU they would not be faster anyway; requests wait their turn instead."""
    loaded = predictor(run_dir)
    with _running:
        return loaded.predict(data, name)


def cached() -> int:
    with _lock:
        return len(_cache)
