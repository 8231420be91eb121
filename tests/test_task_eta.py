"""The time left shown for a running task (dragdl_core.tasks.service): after Retry the run resumes part-way,
and the estimate must count only this attempt's progress and time (issue 14: it grew as progress grew)."""
import json
import time
from types import SimpleNamespace

from dragdl_core.tasks import service


def running(tmp_path, status: dict, started_ago: float) -> dict:
    (tmp_path / "status.json").write_text(json.dumps(dict(status, state="running")))
    record = {"id": "t1", "user": "ada", "state": "running", "run_dir": str(tmp_path),
              "started": time.time() - started_ago}
    return service._view(record, SimpleNamespace(positions={}, workers=0, average=None))


def test_a_resumed_run_estimates_from_this_attempt_only(tmp_path):
    # resumed at 60% 20 s ago, now at 80%: 0.2 per 20 s, so 0.2 left is about 20 s (not 100*0.2/0.8 = 25,
    # nor anything that grows while progress grows)
    now = time.time()
    task = running(tmp_path, {"progress": 0.8, "resumed_progress": 0.6, "resumed_at": now - 20}, started_ago=100)
    assert 19 <= task["eta_seconds"] <= 21.5
    later = running(tmp_path, {"progress": 0.9, "resumed_progress": 0.6, "resumed_at": now - 30}, started_ago=110)
    assert later["eta_seconds"] < task["eta_seconds"]


def test_a_first_attempt_estimates_from_its_start(tmp_path):
    task = running(tmp_path, {"progress": 0.5}, started_ago=40)
    assert 39 <= task["eta_seconds"] <= 41.5
