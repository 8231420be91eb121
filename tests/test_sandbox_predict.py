"""Predictions and previews in sandbox children: the caller never imports Paddle, a malformed file is one
line for that file while the others are still answered, and work over the limits is killed."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, example
from ui_fixtures import digit_png, trained_run  # noqa: F401  (fixture)

# The attack run's files: a PNG whose IHDR is cut short, a GIF with a broken header, a PPM with a bad size.
MALFORMED = {
    "truncated.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00",
    "broken.gif": b"GIF89a\x10\x00\x10\x00\xf7\x00\x00" + b"\x00" * 20,
    "bad.ppm": b"P6\n99999999 99999999\n255\n\x00\x00",
    "notes.png": b"hello",
}


def test_predict_images_answers_the_good_files_and_one_line_per_bad_one(trained_run, python_env):
    files = [("three.png", digit_png(3))] + list(MALFORMED.items()) + [("seven.png", digit_png(7))]
    code = ("import json, sys, pickle\n"
            "from dragdl_core.sandbox.prediction import predict_images\n"
            "files = pickle.load(sys.stdin.buffer)\n"
            f"answers = predict_images({str(trained_run)!r}, files)\n"
            "for a in answers: a.pop('model_input', None)\n"
            "print(json.dumps([answers, 'paddle' in sys.modules]))\n")
    import pickle
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=python_env, input=pickle.dumps(files),
                         capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    answers, paddle_here = json.loads(out.stdout)
    assert not paddle_here  # the model ran in a child
    assert [a["image"] for a in answers] == [name for name, _ in files]
    assert (answers[0]["top"], answers[-1]["top"]) == ("3", "7")
    for answer in answers[1:-1]:
        assert set(answer) == {"image", "error"}, answer
        assert answer["error"].startswith(f"{answer['image']}: ") and "\n" not in answer["error"]
        assert str(trained_run) not in answer["error"]


def test_the_predict_command_answers_the_good_images_and_names_the_bad_ones(trained_run, python_env, tmp_path):
    paths = []
    for name, data in [("three.png", digit_png(3))] + list(MALFORMED.items()):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(trained_run), *paths, "--json"],
                         cwd=ROOT, env=python_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    answers = json.loads(out.stdout)
    assert answers[0]["top"] == "3"
    bad_lines = [line for line in out.stderr.splitlines() if line.startswith("error: ")]  # Paddle warns too
    assert len(bad_lines) == len(MALFORMED)
    for line, name in zip(bad_lines, MALFORMED):
        assert line.startswith(f"error: {tmp_path / name}: "), line


def test_the_pages_never_import_the_runtime_in_the_web_process():
    """Paddle stays out of the app process: previews and predictions go through dragdl_core.sandbox."""
    import ast

    offenders = []
    for path in [*(ROOT / "app").glob("*.py"), *(ROOT / "pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "paddle" or ".runtime" in n]
    assert offenders == []


def test_a_run_without_a_model_is_one_message(tmp_path):
    from dragdl_core.sandbox.prediction import PredictionUnavailable, predict_images

    with pytest.raises(PredictionUnavailable, match="no exported model"):
        predict_images(tmp_path, [("a.png", digit_png(3))])


def test_a_preview_is_drawn_in_a_child_and_one_over_the_memory_limit_is_refused(monkeypatch, python_env):
    from dragdl_core.sandbox import SandboxError, pool
    from dragdl_core.sandbox.preview import preview_images

    # in a fresh process (this one may have imported Paddle for other tests): the caller never imports Paddle
    code = ("import json, sys\nfrom dragdl_core.sandbox.preview import preview_images\n"
            "classes, rows, random = preview_images(json.load(open('examples/shapes-augment.json')), 'noise')\n"
            "print(json.dumps([len(rows), len(rows[0]), random, rows[0][0].size[0], 'paddle' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=python_env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rows, draws, random, width, paddle_here = json.loads(out.stdout.strip().splitlines()[-1])
    assert rows == 4 and draws == 3 and random and width >= 32
    assert not paddle_here

    from dragdl_core.sandbox import preview as sandboxed_preview

    monkeypatch.setitem(pool.KINDS, "paddle", (1, 2, 200))  # a fresh pool whose children get 200 MB
    monkeypatch.setattr(sandboxed_preview, "TIME_LIMIT_S", 300.0)  # a loaded machine: memory runs out first
    monkeypatch.setattr(pool, "_pools", {})
    big = example("shapes-augment.json")
    big["nodes"][0]["params"].update({"image_size": 512, "samples_per_class": 300})
    with pytest.raises(SandboxError, match="needs more than 200 MB"):
        preview_images(big, "data")
    pool.shutdown()


def test_a_preview_over_the_class_limits_is_refused_before_anything_is_generated(isolated_home, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from classroom import write_class

    write_class(isolated_home, monkeypatch, max_dataset_images=2000)
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "ada"
    at.run()
    graph = example("shapes-augment.json")
    graph["nodes"][0]["params"].update({"num_classes": 8, "samples_per_class": 300, "image_size": 512})
    at.session_state["graph"] = graph
    at.session_state["graph_rev"] = at.session_state["graph_rev"] + 1
    at.session_state["selected"] = "data"
    at.run()
    assert not at.exception, at.exception
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "No preview: Shapes 'data': 2,400 images is more than this class allows (2,000)" in captions
    from app import previews

    assert not previews._kept  # nothing was drawn


def test_preview_images_are_drawn_once_for_every_session_within_a_bound(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app import previews
    from dragdl_core.sandbox import preview

    drawn = []
    real = preview.preview_images
    monkeypatch.setattr(preview, "preview_images", lambda graph, node: drawn.append(node) or real(graph, node))
    monkeypatch.setattr(previews, "MAX_ENTRIES", 4)

    def session():
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180)
        at.run()
        at.session_state["graph"] = example("shapes-augment.json")
        at.session_state["graph_rev"] = at.session_state["graph_rev"] + 1
        return at

    first = session()
    for node_id in ("data", "resize", "affine", "jitter", "flip", "noise"):
        first.session_state["selected"] = node_id
        first.run()
        assert not first.exception, first.exception
        assert first.get("image"), node_id  # the sample images were drawn
    assert [key[1] for key in previews._kept] == ["affine", "jitter", "flip", "noise"]  # the oldest went first
    second = session()  # another student, the same graph: the images kept are shown, not drawn again
    second.session_state["selected"] = "flip"
    second.run()
    assert second.get("image") and drawn == ["data", "resize", "affine", "jitter", "flip", "noise"]
    second.session_state["selected"] = "data"
    second.run()
    assert drawn[-1] == "data" and len(drawn) == 7  # dropped from the bound: drawn again
