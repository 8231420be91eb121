"""The loaded-model cache behind REST and Predict-page predictions: bounded in count and in bytes, least
recently used out, one model per (run, export)."""
import pytest

from conftest import tiny_digits_graph
from export_support import digit_images, untrained_run

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def cache(monkeypatch):
    from dragdl_core.runtime import predictor_cache

    monkeypatch.setattr(predictor_cache, "_cache", type(predictor_cache._cache)())
    return predictor_cache


def test_the_cache_keeps_at_most_max_models_dropping_the_least_recent(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MAX_MODELS", 2)
    runs = [untrained_run(tmp_path / f"run{i}", tiny_digits_graph()) for i in range(3)]
    image = digit_images(tmp_path, 1)[0].read_bytes()
    first = cache.predictor(runs[0])
    cache.predictor(runs[1])
    assert cache.predictor(runs[0]) is first                     # a hit, and now the most recent
    cache.predictor(runs[2])                                     # evicts run1, not run0
    assert cache.cached() == 2 and cache.predictor(runs[0]) is first
    assert cache.predict(runs[2], image, "d.png").top in [f"class{i}" for i in range(10)]


def test_the_cache_stays_under_its_byte_budget(cache, tmp_path, monkeypatch):
    runs = [untrained_run(tmp_path / f"run{i}", tiny_digits_graph()) for i in range(2)]
    monkeypatch.setattr(cache, "MAX_BYTES", cache._size(runs[0]) + 1)  # room for one model
    cache.predictor(runs[0])
    cache.predictor(runs[1])
    assert cache.cached() == 1


def test_a_run_trained_again_gets_a_fresh_model(cache, tmp_path):
    import os

    run = untrained_run(tmp_path / "run", tiny_digits_graph())
    before = cache.predictor(run)
    meta = run / "model" / "meta.json"
    os.utime(meta, ns=(meta.stat().st_atime_ns, meta.stat().st_mtime_ns + 10**9))
    assert cache.predictor(run) is not before
