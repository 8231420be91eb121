"""The Datasets page under Streamlit's AppTest: upload with the import report, the explorer, delete with
confirmation, and a refused archive shown as an error with nothing written."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from dataset_archives import class_files, image_bytes, tree, write_zip
from dragdl_core import config
from dragdl_core.stores import datasets as store

PAGE = str(ROOT / "pages" / "datasets.py")
pytestmark = pytest.mark.timeout(120)


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, path, name: str = "") -> AppTest:
    at.file_uploader(key="upload").set_value((path.name, path.read_bytes(), "application/zip"))
    at.run()
    if name:
        at.text_input(key="import_name").set_value(name)
    at.button(key="import").click()
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_empty_page_offers_upload_and_the_demo():
    at = page()
    assert "No datasets yet" in texts(at.info)
    at.button(key="demo").click().run()
    assert not at.exception
    info = store.describe("shapes-demo")
    assert info.owner == "local" and info.images == 300
    assert at.selectbox(key="explore").value == "shapes-demo"


def test_upload_shows_the_report_and_the_explorer(tmp_path):
    files = {**class_files(("cat", "dog"), 7), "dog/notes.txt": b"not an image", "dog/bad.png": b"\x89PNG oops"}
    at = upload(page(), write_zip(tmp_path / "pets.zip", files))

    assert "Imported **pets**: 2 classes, 14 images" in texts(at.success)
    skipped = at.dataframe[0].value
    assert sorted(skipped["file"]) == ["dog/bad.png", "dog/notes.txt"]
    assert store.describe("pets").owner == "local"

    assert at.selectbox(key="explore").value == "pets"
    assert [m.value for m in at.metric][:2] == ["2", "14"]
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # class counts, sizes, modes
    assert '"x":["cat","dog"]' in charts[0].proto.spec.replace(" ", "")
    assert len(at.get("image")) == 12  # 6 of the 7 images of each class
    split = at.dataframe[1].value
    assert list(split["class"]) == ["cat", "dog"] and list(split["test"]) == [1, 1]


def test_a_refused_upload_is_an_error_and_writes_nothing(tmp_path):
    archive = write_zip(tmp_path / "evil.zip", {**class_files(("a", "b"), 5), "../evil.png": image_bytes()})
    at = page()
    before = tree(tmp_path)
    upload(at, archive, name="evil")
    assert "Import failed: archive refused: entry '../evil.png' points outside" in texts(at.error)
    assert tree(tmp_path) == before


def test_delete_asks_for_confirmation(tmp_path):
    store.import_archive(write_zip(tmp_path / "a.zip", class_files(("a", "b"), 5)), "mine", owner="local")
    at = page()
    at.button(key="delete").click().run()
    assert (config.datasets_dir() / "mine").is_dir()
    assert "Delete **mine**" in texts(at.warning)
    at.button(key="delete_no").click().run()
    assert (config.datasets_dir() / "mine").is_dir() and not at.warning

    at.button(key="delete").click().run()
    at.button(key="delete_yes").click().run()
    assert not at.exception
    assert not (config.datasets_dir() / "mine").exists()
    assert "No datasets yet" in texts(at.info)


def test_single_user_mode_gives_the_laptops_user_every_dataset(tmp_path):
    """No accounts: "local" is the instructor of their own laptop (classes, with accounts: test_classroom_*)."""
    store.import_archive(write_zip(tmp_path / "a.zip", class_files(("a", "b"), 5)), "shared")  # no owner
    store.import_archive(write_zip(tmp_path / "b.zip", class_files(("a", "b"), 5)), "bobs", owner="bob")
    at = page()
    assert at.selectbox(key="explore").options == ["bobs", "shared"]
    at.selectbox(key="explore").set_value("shared").run()
    assert [b for b in at.button if b.key == "delete"]
