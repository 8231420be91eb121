"""Workers that respect the host (`worker --max-load`, class file `max_load`): above the threshold a worker
takes no task, says why (the Class page shows it), and takes tasks again once the host is below it."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from classroom import write_class
from conftest import ROOT
from dragdl_core import tasks
from dragdl_core.serving import hostload
from dragdl_core.tasks import jobs
from task_service import Workers, redis_server, tiny_graph, wait_for  # noqa: F401  (fixture)


def test_max_load_reads_a_load_and_an_optional_memory_share():
    assert hostload.parse("1.5") == hostload.MaxLoad(1.5, hostload.DEFAULT_MEMORY_PERCENT)
    assert hostload.parse(2) == hostload.MaxLoad(2.0, 90.0)
    assert hostload.parse("1.5, 80%") == hostload.MaxLoad(1.5, 80.0)
    assert hostload.parse(None) is None and hostload.parse("") is None
    for bad, words in (("high", "LOAD_PER_CORE"), ("1,2,3", "LOAD_PER_CORE"), ("-1", "above 0"),
                       ("1.5,150", "1..100")):
        with pytest.raises(ValueError, match=words):
            hostload.parse(bad)


def test_the_reason_names_what_is_over_and_by_how_much():
    limit = hostload.MaxLoad(1.5, 80)
    assert hostload.why_busy(limit, hostload.Sample(1.0, 50, cores=4)) is None
    assert hostload.why_busy(None, hostload.Sample(99, 99, cores=4)) is None
    busy = hostload.why_busy(limit, hostload.Sample(2.0, 93, cores=4))
    assert busy == ("host busy: load average 8.0 on 4 cores (2.00 per core) is above 1.5 per core; "
                    "memory in use 93% is above 80%")


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_worker_above_max_load_waits_says_why_and_resumes_when_the_host_has_room(
        redis_server, isolated_home, monkeypatch, tmp_path):  # noqa: F811
    config = write_class(isolated_home, monkeypatch)
    head, limits = config.read_text().split("[limits]")
    # Memory in use above 1 % is true of every machine running a test: the worker must hold back.
    config.write_text(head + f'redis_url = "{redis_server.url}"\nmax_load = "1000,1"\n[limits]' + limits)
    workers = Workers(1, tmp_path / "workers", DRAGDL_HOME=str(isolated_home))
    try:
        paused = wait_for(lambda: [w for w in jobs.workers() if w["paused"]], 60, "the worker to hold back")
        assert paused[0]["state"] == "paused" and "host busy: memory in use" in paused[0]["paused"]
        task_id = tasks.submit(tiny_graph(), "ada")

        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "grace"
        at.run()
        at.switch_page("../pages/instructor.py").run()
        assert not at.exception, at.exception
        table = next(d.value for d in at.dataframe if "why idle" in d.value.columns)
        assert "host busy: memory in use" in table["why idle"][0]

        worker_log = isolated_home / "logs" / "worker-1.log"
        wait_for(lambda: "taking no task: host busy" in worker_log.read_text(), 30, "the worker to log why")
        assert tasks.status(task_id)["state"] == "queued"  # several checks later, still not taken

        # The instructor raises the threshold in the class file: no restart, the worker takes the task.
        config.write_text(config.read_text().replace('max_load = "1000,1"', 'max_load = "1000,100"'))
        done = wait_for(lambda: (s := tasks.status(task_id))["state"] in tasks.FINAL_STATES and s, 150,
                        "the task to run once the host has room")
        assert done["state"] == "succeeded", tasks.logs(task_id)
        assert not any(w["paused"] for w in jobs.workers())
        assert "the host has room again" in worker_log.read_text()
    finally:
        workers.stop()
