"""Class limits: refused before anything is queued, with a message that names the node or the limit."""
import pytest

from conftest import tiny_digits_graph
from dragdl_core.classroom.class_config import Limits
from dragdl_core.classroom.quotas import QuotaExceeded, check_active_tasks, check_dataset_size, graph_errors
from dragdl_core.compiler.validate import analyze


def test_a_graph_asking_more_epochs_than_allowed_is_refused_naming_the_trainer():
    analysis = analyze(tiny_digits_graph(epochs=50))
    assert analysis.ok
    [error] = graph_errors(analysis, Limits(max_epochs=20))
    assert error["node"] == "train" and error["field"] == "epochs" and error["code"] == "over_class_limit"
    assert "Trainer 'train'" in error["message"] and "50 epochs" in error["message"] and "(20)" in error["message"]
    assert graph_errors(analysis, Limits(max_epochs=50)) == []


def test_the_trainers_default_epochs_count_too():
    graph = tiny_digits_graph()
    del graph["nodes"][-1]["params"]["epochs"]          # default: 5
    assert graph_errors(analyze(graph), Limits(max_epochs=4))[0]["field"] == "epochs"


def test_a_generated_dataset_larger_than_allowed_is_refused_naming_the_node():
    graph = tiny_digits_graph()
    graph["nodes"][0] = {"id": "data", "type": "Shapes", "params": {"num_classes": 4, "samples_per_class": 500}}
    analysis = analyze(graph)
    assert analysis.ok, analysis.errors
    [error] = graph_errors(analysis, Limits(max_dataset_images=1000))
    assert error["node"] == "data" and "2,000 images" in error["message"]
    graph["nodes"][0]["params"]["limit_per_class"] = 200
    assert graph_errors(analyze(graph), Limits(max_dataset_images=1000)) == []


def test_the_per_user_limit_on_queued_and_running_tasks():
    check_active_tasks(2, Limits(max_tasks_per_user=3))
    with pytest.raises(QuotaExceeded, match="you already have 3 tasks queued or running and this class allows 3"):
        check_active_tasks(3, Limits(max_tasks_per_user=3))


def test_dataset_size_limits():
    check_dataset_size("pets", 10 << 20, 100, Limits(max_dataset_mb=20, max_dataset_images=100))
    with pytest.raises(QuotaExceeded, match="'pets' is 30.0 MB unpacked; this class allows 20 MB"):
        check_dataset_size("pets", 30 << 20, 100, Limits(max_dataset_mb=20))
    with pytest.raises(QuotaExceeded, match="'pets' has 101 images; this class allows 100"):
        check_dataset_size("pets", 1, 101, Limits(max_dataset_images=100))
