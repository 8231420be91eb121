"""The Sweep view on Monitor (AppTest, the real page): a sweep's runs in a results table sorted by validation
accuracy, the parallel-coordinate plot, and "open best on canvas" putting the best run's graph on Build."""
import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from app.formatting import display_names

from conftest import ROOT
from task_service import redis_server  # noqa: F401  (fixture)
from ui_fixtures import trained_run  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(300)
SWEEP = "0123456789ab"


def make_sweep(trained, home):
    """Two copies of a trained run as the tasks of one grid sweep, the second with a lower validation
    accuracy (its metrics rewritten), recorded as `tasks sweep` records them."""
    entries = []
    for number, (task_id, rate, scale) in enumerate((("sweep-a", 0.01, 0.5), ("sweep-b", 0.002, 1.0))):
        run = home / "runs" / "local" / task_id
        shutil.copytree(trained, run)
        (run / "task.json").write_text(json.dumps({"name": f"digits [{rate}]", "sweep": SWEEP}))
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        for line in lines:
            if line["kind"] == "epoch":
                line["val_accuracy"] = round(line["val_accuracy"] * scale, 4)
        (run / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
        entries.append({"id": task_id, "values": {"train.learning_rate": rate, "conv1.out_channels": 8 * (number + 1)},
                        "trial": None})
    (home / "sweeps").mkdir()
    (home / "sweeps" / f"{SWEEP}.json").write_text(json.dumps(
        {"id": SWEEP, "user": "local", "graph": {}, "search": "grid", "vary": [], "tasks": entries, "told": []}))


def test_monitor_shows_the_sweep_sorted_by_validation_accuracy_and_opens_the_best(trained_run, isolated_home):
    make_sweep(trained_run, isolated_home)
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page("../pages/monitor.py").run()
    assert not at.exception, at.exception
    assert "Sweep" in [h.value for h in at.header]
    table = at.dataframe[-1].value  # the page's last table: the sweep's results
    assert list(table["task"]) == ["digits [0.002]", "digits [0.01]"]  # by name, best validation accuracy first
    assert table["val accuracy"].iloc[0] > table["val accuracy"].iloc[1]
    assert list(table["train.learning_rate"]) == [0.002, 0.01]
    assert any('"parcoords"' in c.proto.spec for c in at.get("plotly_chart"))  # the parallel coordinates
    at.button(key="sweep_best").click().run()
    assert not at.exception, at.exception
    assert at.session_state["graph"]["name"].endswith("-best")


def test_a_sweep_marked_on_build_queues_its_grid_and_monitor_lists_it(redis_server):  # noqa: F811
    from dragdl_core import tasks

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.selectbox(key="template").select("digits-small-cnn").run()
    assert not at.multiselect  # the sweep form is drawn only once its expander is open
    at.session_state["sweep_open"] = True  # what opening the expander does
    at.run()
    at.multiselect(key="sweep_params").set_value(["conv1.out_channels", "train.learning_rate"]).run()
    at.text_input(key="sweep_values:conv1.out_channels").set_value("4,8").run()
    at.text_input(key="sweep_values:train.learning_rate").set_value("0.01,0.001,0").run()
    at.button(key="sweep_go").click().run()
    assert "train.learning_rate" in " ".join(e.value for e in at.error)  # 0 is refused, naming node.param
    assert tasks.list_tasks() == []
    at.text_input(key="sweep_values:train.learning_rate").set_value("0.01,0.001").run()
    at.button(key="sweep_go").click().run()
    assert not at.exception, at.exception
    queued = tasks.list_tasks()
    assert len(queued) == 4 and len({t["sweep"] for t in queued}) == 1
    # Build switched to Monitor (AppTest follows switch_page): the Sweep view lists the four tasks
    assert "Sweep" in [h.value for h in at.header]
    table = at.dataframe[-1].value
    assert sorted(table["task"]) == sorted(display_names(queued).values())
    assert sorted(zip(table["conv1.out_channels"], table["train.learning_rate"])) == [
        (4, 0.001), (4, 0.01), (8, 0.001), (8, 0.01)]
