"""Every page through Streamlit's AppTest (the real scripts, no browser): they render, and what a student
does on them - palette clicks, a canvas edge or click (faked through the component's session value, as the
browser would report it), parameter edits, templates, a finished task on Tasks, Monitor and Predict."""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from ui_fixtures import RUN_ID, digit_png, displayed, finished_task, trained_run  # noqa: F401  (fixtures)

from task_service import serving_redis

pytestmark = pytest.mark.timeout(300)
PAGES = ["build", "tasks", "monitor", "predict", "datasets", "models"]


def open_app(page: str = "build") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    if page != "build":
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def report(at, nodes=None, edges=None, selected=None, timestamp=None):
    """What the canvas component reports after a drag, a connection or a click."""
    graph = at.session_state["graph"]
    key = f"canvas:{at.session_state['graph_rev']}"
    at.session_state[key] = {
        "nodes": nodes if nodes is not None else
        [{"id": n["id"], "position": {"x": n["position"][0], "y": n["position"][1]}} for n in graph["nodes"]],
        "edges": edges if edges is not None else
        [{"source": e["source"], "target": e["target"]} for e in graph["edges"]],
        "selectedId": selected, "timestamp": timestamp or at.session_state["canvas_sent_at"] + 1}
    at.run()
    assert not at.exception, at.exception


def click_palette(at, *types):
    """One chip per node type, in one chip group per palette group (app/palette.py)."""
    for type_name in types:
        chips = next(g for g in at.button_group if type_name in g.options)
        chips.set_value(type_name).run()
        assert not at.exception, at.exception
        assert at.button_group(key=chips.key).value is None  # cleared: the same type can be added again


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_home(page):
    at = open_app(page)
    assert at.title[0].value == page.capitalize()


def test_palette_builds_a_chain_and_a_dragged_edge_completes_it():
    at = open_app()
    click_palette(at, "Digits", "Resize", "Normalize", "Conv2D", "ReLU", "MaxPool2D", "ClassifierHead")
    at.button[[b.label for b in at.button].index("Deselect")].click().run()
    click_palette(at, "Trainer")
    assert "the graph has no Trainer" not in texts(at.markdown)
    assert "nothing leads to the Trainer 'trainer1' yet; connect 'head1' to it" in texts(at.markdown)

    edges = [{"source": e["source"], "target": e["target"]} for e in at.session_state["graph"]["edges"]]
    report(at, edges=edges + [{"id": "st-flow-edge_head1-trainer1", "source": "head1", "target": "trainer1"}],
           selected="st-flow-edge_head1-trainer1")
    assert {"source": "head1", "target": "trainer1"} in at.session_state["graph"]["edges"]
    assert "Valid: 8 nodes" in texts(at.success)
    assert at.session_state["selected"] == "st-flow-edge_head1-trainer1"
    assert "Edge" in [s.value for s in at.main.subheader]


def test_a_bad_parameter_is_named_on_its_node_and_fixing_it_clears_it():
    at = open_app()
    at.selectbox(key="template").select("digits-small-cnn").run()
    report(at, selected="resize")
    assert [s.value for s in at.subheader if "Resize" in str(s.value)] == ["Resize · resize"]
    size = at.text_input(key=f"param:{at.session_state['graph_rev']}:resize:size")
    assert size.value == "16, 16"
    size.set_value("0, 16").run()
    assert "Resize.size must be 1..4096, got 0" in texts(at.error)
    assert "`resize`: Resize.size must be 1..4096, got 0" in texts(at.markdown)
    train = next(b for b in at.button if b.label == "Train")
    assert train.disabled
    size.set_value("16, 16").run()
    assert not at.error
    assert "Valid: 11 nodes" in texts(at.success)


def test_deleting_the_selected_node_keeps_the_chain_whole():
    at = open_app()
    at.selectbox(key="template").select("digits-small-cnn").run()
    report(at, selected="relu1")
    at.button[[b.label for b in at.button].index("Delete")].click().run()
    ids = [n["id"] for n in at.session_state["graph"]["nodes"]]
    assert "relu1" not in ids and "Valid: 10 nodes" in texts(at.success)


def test_a_template_compiles_in_the_code_tab_and_train_waits_for_the_service(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)           # no service, whatever earlier tests left
    at = open_app()
    at.selectbox(key="template").select("digits-small-cnn").run()
    assert not at.code  # tabs are lazy: the script is built only when its tab is open
    at.session_state["build_view"] = "Code"  # what clicking the tab does
    at.run()
    assert any("def build_model(num_classes)" in c.value for c in at.code)
    train = next(b for b in at.button if b.label == "Train")
    assert train.disabled  # and why is in view beside it, not only on hover
    assert any("the task service is not running" in w.value for w in at.warning), [w.value for w in at.warning]
    with serving_redis(tmp_path / "redis", monkeypatch):     # the service comes up: Train is offered
        at.run()
        assert not next(b for b in at.button if b.label == "Train").disabled


def test_loading_a_file_that_is_not_a_graph_says_so_and_keeps_the_canvas():
    at = open_app()
    click_palette(at, "Digits")
    at.session_state["build_view"] = "Save / load"
    at.run()
    at.file_uploader(key="graph_upload").upload("notes.json", b'{"hello": 1}', "application/json")
    at.run()
    assert "notes.json: not a DragDL graph" in texts(at.error)
    assert [n["id"] for n in at.session_state["graph"]["nodes"]] == ["digits1"]


def test_preview_and_summary_for_the_selected_node():
    at = open_app()
    at.selectbox(key="template").select("digits-small-cnn").run()
    report(at, selected="norm")
    assert len(at.get("image")) == 4  # four sample images after Normalize, each in several draws
    report(at, selected="conv2")
    summary = next(m.value for m in at.markdown if m.value.startswith("| layer |"))
    rows = [line.strip("| ").split(" | ") for line in summary.splitlines()[2:]]
    assert [r[2] for r in rows[:4]] == ["160", "0", "0", "4,640"]  # parameters of conv1, relu1, pool1, conv2
    assert rows[3][0] == "**conv2 (Conv2D) ◀**"


def test_tasks_lists_the_finished_task_and_opens_a_copy_on_the_canvas(finished_task):
    at = open_app("tasks")
    table = at.dataframe[0].value
    assert list(table["task"]) == [RUN_ID] and list(table["state"]) == ["succeeded"]
    at.button[[b.label for b in at.button].index("Open on canvas")].click().run()
    assert at.session_state["graph"]["name"] == "digits-small-cnn-copy"
    assert at.title[0].value == "Build"


def test_monitor_shows_curves_report_and_misclassified_images(finished_task):
    at = open_app("monitor")
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["test accuracy"].rstrip("%")) > 50
    assert len(at.get("plotly_chart")) == 3  # loss, accuracy and the confusion matrix
    assert any(h.value.startswith("Test report") for h in at.header)
    assert any("Misclassified test images" in s.value for s in at.subheader)


def test_predict_answers_an_uploaded_digit_with_probabilities(finished_task):
    at = open_app("predict")
    at.file_uploader(key="predict_uploads").upload("three.png", digit_png(3), "image/png")
    at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert len(at.get("plotly_chart")) == 1  # the pie chart
    # the training samples ("your image should look like these"), the upload, the image as the model saw it,
    # and the Grad-CAM heat map for the predicted class
    assert len(at.get("image")) == 4
    picker = at.selectbox(key="cam:three.png")
    assert picker.value == "3"
    picker.set_value("8").run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert "Grad-CAM for 8" in [c for image in at.get("image") for c in image.proto.imgs[0].caption.split("\n")]
    assert "Your image should look like these (training images)" in [e.label for e in at.expander]
    at.file_uploader(key="predict_uploads").set_value([
        ("three.png", digit_png(3), "image/png"), ("seven.png", digit_png(7), "image/png"),
        ("junk.png", b"not an image", "image/png")])
    at.run()
    assert "junk.png: not an image DragDL reads" in texts(at.error)
    table = at.dataframe[0].value
    assert list(table["image"]) == ["three.png", "seven.png"]
    assert list(table["prediction"]) == ["3", "7"]
    assert any(b.label == "Download CSV" for b in at.get("download_button"))


def test_models_shows_trained_models_with_names_and_formatted_figures(finished_task):
    at = open_app("models")
    table = at.dataframe[-1].value
    assert list(table["task"]) == [RUN_ID]
    assert 0.5 < table["test accuracy"][0] <= 1 and table["parameters"][0] > 1000  # numbers: sorted as numbers
    shown = displayed(at.dataframe[-1])
    assert shown["test accuracy"][0].endswith("%") and "," in shown["parameters"][0]  # 97.2%, 12,345
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()


def test_monitor_shows_the_tasks_graph_and_hyper_parameters(finished_task):
    at = open_app("monitor")
    assert any(e.label.startswith("Graph and hyper-parameters") for e in at.expander)
    hyper = next(d.value for d in at.dataframe if "hyper-parameter" in d.value.columns)
    assert {"optimizer", "learning_rate", "epochs", "batch_size"} <= set(hyper["hyper-parameter"])
    assert "**Digits**" in texts(at.markdown) and "**Trainer**" in texts(at.markdown)


def test_the_summary_shows_a_trainable_column_only_when_a_layer_is_frozen():
    from app.property_panel import _summary_table

    row = {"node": "back", "layer": "back (Backbone)", "output_shape": [512], "parameters": 11_176_512}
    frozen = _summary_table([dict(row, trainable=0)], "back")
    assert frozen.splitlines()[0].endswith("| trainable |") and frozen.splitlines()[2].endswith("| 0 |")
    learning = _summary_table([dict(row, trainable=11_176_512)], "other")
    assert "trainable" not in learning and "| back (Backbone) | `512` | 11,176,512 |" in learning
