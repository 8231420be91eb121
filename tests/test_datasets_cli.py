"""`python -m dragdl_core datasets ...` end to end, and a graph on an imported dataset that trains and predicts."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES, example
from dataset_archives import class_files, image_bytes, tree, write_zip


def cli(*args, env, check=True):
    done = subprocess.run([sys.executable, "-m", "dragdl_core", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_import_list_show_delete(tmp_path, python_env):
    archive = write_zip(tmp_path / "pets.zip", {**class_files(("cat", "dog"), 6), "cat/readme.txt": b"hi"})
    out = cli("datasets", "import", archive, "--name", "pets", env=python_env).stdout
    assert "imported 'pets': 2 classes, 12 images (cat 6, dog 6)" in out
    assert "cat/readme.txt: not a PNG, JPEG, BMP, GIF or WebP image" in out

    listed = json.loads(cli("datasets", "list", "--json", env=python_env).stdout)
    assert [(d["name"], d["images"]) for d in listed] == [("pets", 12)]
    shown = json.loads(cli("datasets", "show", "pets", "--json", env=python_env).stdout)
    assert shown["classes"] == {"cat": 6, "dog": 6} and shown["modes"] == {"RGB": 12}
    assert shown["report"]["skipped"] == [{"file": "cat/readme.txt", "reason": "not a PNG, JPEG, BMP, GIF or WebP image"}]
    assert "sizes: 16x16 (12)" in cli("datasets", "show", "pets", env=python_env).stdout

    again = cli("datasets", "import", archive, "--name", "pets", env=python_env, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    cli("datasets", "import", archive, "--name", "pets", "--replace", env=python_env)

    cli("datasets", "delete", "pets", env=python_env)
    assert json.loads(cli("datasets", "list", "--json", env=python_env).stdout) == []
    gone = cli("datasets", "delete", "pets", env=python_env, check=False)
    assert gone.returncode == 2 and gone.stderr.strip() == f"error: no dataset named 'pets' in {tmp_path / 'datasets'}"


def test_a_refused_archive_is_one_clear_line_and_writes_nothing(tmp_path, python_env):
    archive = write_zip(tmp_path / "slip.zip", {**class_files(("a", "b"), 5), "../../evil.png": image_bytes()})
    before = tree(tmp_path)
    done = cli("datasets", "import", archive, "--name", "slip", env=python_env, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: archive refused: entry '../../evil.png' points outside the dataset "
                                   "folder (..)")
    assert tree(tmp_path) == before


def test_too_few_images_lists_the_skipped_files_that_explain_it(tmp_path, python_env):
    files = {**class_files(("a",), 5), **class_files(("b",), 4), "b/broken.png": b"\x89PNG broken"}
    done = cli("datasets", "import", write_zip(tmp_path / "few.zip", files), "--name", "few", env=python_env,
               check=False)
    assert done.returncode == 2
    assert "b/broken.png: damaged image" in done.stderr or "b/broken.png: not a" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: too few images: 'b' has 4")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_graph_on_an_imported_dataset_trains_and_predicts(tmp_path, python_env):
    archive = write_zip(tmp_path / "tone.zip", class_files(("light", "dark"), 20, size=16))
    cli("datasets", "import", archive, "--name", "tone", env=python_env)
    graph = example("imagefolder.json")
    data = graph["nodes"][0]
    data["params"].update({"name": "tone", "image_size": 16})
    graph["nodes"][-1]["params"].update({"epochs": 2, "learning_rate": 0.01, "batch_size": 8})
    (tmp_path / "graph.json").write_text(json.dumps(graph))
    run_dir = tmp_path / "run"

    cli("run", tmp_path / "graph.json", "--run-dir", run_dir, env=python_env)
    report = json.loads((run_dir / "report.json").read_text())
    assert report["classes"] == ["dark", "light"]
    assert report["accuracy"] >= 0.75

    (tmp_path / "bright.png").write_bytes(image_bytes("light", 40, seed=999))
    (tmp_path / "dim.jpg").write_bytes(image_bytes("dark", 24, "JPEG", seed=998))
    answers = json.loads(cli("predict", run_dir, tmp_path / "bright.png", tmp_path / "dim.jpg", "--json",
                             env=python_env).stdout)
    assert [a["top"] for a in answers] == ["light", "dark"]


def test_demo_dataset_makes_the_example_graph_valid(python_env):
    before = cli("validate", EXAMPLES / "imagefolder.json", env=python_env, check=False)
    assert before.returncode == 2 and "no dataset named 'shapes-demo'" in before.stderr
    out = cli("datasets", "demo", "--per-class", 10, "--image-size", 16, env=python_env).stdout
    assert "imported 'shapes-demo': 3 classes, 30 images" in out
    assert "data [3, 32, 32]" in cli("validate", EXAMPLES / "imagefolder.json", env=python_env).stdout
