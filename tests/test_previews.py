"""Sample images are drawn once for every session of an app process (app/previews.py): a class asking for the
same preview at once waits for one drawing, a student's own dataset is never shown to another, and what is
kept is no larger than what is shown."""
import threading
import time

from PIL import Image

from app import previews
from classroom import ADA, BOB
from dragdl_core.classroom import access
from dragdl_core.sandbox import preview


def _graph(dataset_type="Digits", params=None):
    return {"format": "dragdl.graph", "version": 1, "name": "g",
            "nodes": [{"id": "data", "type": dataset_type, "params": params or {}}], "edges": []}


def _fake_drawing(monkeypatch, seconds=0.0, size=(8, 8)):
    drawn = []

    def draw(graph, node_id):
        drawn.append(threading.current_thread().name)
        time.sleep(seconds)
        return ["0", "1"], [[Image.new("RGB", size, "red")] * 3, [Image.new("RGB", size, "blue")] * 3], False

    monkeypatch.setattr(preview, "preview_images", draw)
    return drawn


def test_many_sessions_asking_at_once_wait_for_one_drawing(monkeypatch):
    drawn = _fake_drawing(monkeypatch, seconds=0.5)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(previews.samples(_graph(), "data")), name=f"s{i}")
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 1 and len(answers) == 8 and all(a is answers[0] for a in answers)
    classes, rows, _ = answers[0]
    assert classes == ["0", "1"] and rows[0][0].startswith("data:image/png;base64,")


def test_a_students_own_dataset_is_drawn_for_them_alone(monkeypatch):
    drawn = _fake_drawing(monkeypatch)
    graph = _graph("ImageFolder", {"name": "pets"})
    try:
        for actor in (ADA, BOB, ADA):
            access.act_as(actor)
            previews.samples(graph, "data")
    finally:
        access.act_as(None)
    assert len(drawn) == 2  # Ada's, then Bob's; Ada's again was kept
    previews.samples(_graph(), "data")
    previews.samples(_graph(), "data")
    assert len(drawn) == 3  # built-in data: one drawing whoever asks


def test_a_failed_drawing_is_not_kept_and_large_images_are_kept_small(monkeypatch):
    def fails(graph, node_id):
        raise ValueError("no such node")

    monkeypatch.setattr(preview, "preview_images", fails)
    for _ in range(2):
        try:
            previews.samples(_graph(), "data")
        except ValueError as err:
            assert str(err) == "no such node"
    assert not previews._kept
    _fake_drawing(monkeypatch, size=(1000, 500))
    url = previews.samples(_graph(), "data")[1][0][0]
    import base64
    import io

    shown = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert shown.size == (previews.MAX_PX, previews.MAX_PX // 2)
