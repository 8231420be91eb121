"""Numbers and names from students: non-finite or absurdly large numbers are an error on the field (never an
OverflowError), and stored class and file names fit every filesystem whatever their characters."""
import json
import math
import re

import pytest

from conftest import ROOT, example
from dataset_archives import image_bytes, write_zip
from dragdl_core import config
from dragdl_core.stores import datasets as store
from dragdl_core.compiler import validate as v


@pytest.mark.parametrize("field, value, code", [
    ("learning_rate", 10 ** 400, "out_of_range"),
    ("learning_rate", math.inf, "wrong_type"),
    ("learning_rate", math.nan, "wrong_type"),
    ("epochs", 10 ** 400, "out_of_range"),
    ("seed", -10 ** 30, "out_of_range"),
    ("batch_size", math.inf, "wrong_type"),
])
def test_absurd_numbers_are_an_error_on_their_field(field, value, code):
    graph = example("digits-cnn.json")
    graph["nodes"][-1]["params"][field] = value
    errors = v.validate(graph)
    assert [(e["node"], e["field"], e["code"]) for e in errors] == [("train", field, code)], errors
    assert len(errors[0]["message"]) < 200  # the number is described, not printed in full


def test_absurd_numbers_inside_lists_and_in_json_text():
    graph = example("digits-cnn.json")
    graph["nodes"][1]["params"]["size"] = [10 ** 30, 8]
    assert [(e["node"], e["field"]) for e in v.validate(graph)] == [("resize", "size")]
    text = json.dumps(example("digits-cnn.json"))
    huge = re.sub(r'"learning_rate": [^,}]+', '"learning_rate": 1' + "0" * 5000, text)
    assert [e["code"] for e in v.validate(huge)] == ["not_a_graph"]
    infinite = re.sub(r'"learning_rate": [^,}]+', '"learning_rate": Infinity', text)
    assert [(e["field"], e["code"]) for e in v.validate(infinite)] == [("learning_rate", "wrong_type")]
    graph = example("digits-cnn.json")
    graph["nodes"][0]["position"] = [math.inf, 0]
    assert [e["code"] for e in v.validate(graph)] == ["not_a_graph"]


def test_the_build_page_survives_an_absurd_number_and_still_offers_new():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    graph = example("digits-cnn.json")
    graph["nodes"][-1]["params"]["learning_rate"] = 10 ** 400
    at.session_state["graph"] = graph
    at.session_state["graph_rev"] = at.session_state["graph_rev"] + 1
    at.session_state["selected"] = "train"
    at.run()
    assert not at.exception, at.exception
    assert any("absurdly large" in str(e.value) for e in at.error) or any(
        "absurdly large" in str(m.value) for m in at.markdown), [e.value for e in at.error]
    assert any(b.label == "New" for b in at.button)


def test_class_and_file_names_of_four_byte_characters_fit_the_filesystem(tmp_path):
    long_class = "\U0002070E" * 80           # 80 CJK letters of 4 bytes: 320 bytes, more than a filesystem takes
    long_file = "\U00020731" * 80 + ".png"
    files = {f"{long_class}/{i}{long_file}": image_bytes("light", seed=i) for i in range(6)}
    files.update({f"dark/{i}.png": image_bytes("dark", seed=i) for i in range(6)})
    result = store.import_archive(write_zip(tmp_path / "cats.zip", files), "cats")
    assert result.name == "cats"
    root = config.datasets_dir() / "cats"
    stored = [p for p in root.rglob("*") if p.is_file() or p.is_dir()]
    assert all(len(p.name.encode()) <= 255 for p in stored)
    cat_folder = next(d for d in root.iterdir() if d.is_dir() and d.name.startswith("\U0002070E"))
    assert len(cat_folder.name.encode()) <= 120 and len(list(cat_folder.iterdir())) == 6
