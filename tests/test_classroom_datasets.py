"""Datasets in a class: a student's datasets are private, instructors see and manage all of them, a shared
dataset is readable by everyone, and the class's size limits bind students - all enforced by the store."""
import pytest

from classroom import ADA, BOB, GRACE, classroom, write_class  # noqa: F401  (fixture)
from dataset_archives import class_files, image_bytes, write_zip
from dragdl_core import config
from dragdl_core.stores import datasets as store
from dragdl_core.stores.datasets import DatasetAccessDenied


@pytest.fixture
def adas_pets(classroom, tmp_path):
    store.import_archive(write_zip(tmp_path / "pets.zip", class_files(("cat", "dog"), 5)), "pets", owner="ada")
    return "pets"


def test_every_action_on_another_students_private_dataset_is_refused(adas_pets, tmp_path):
    assert [d.name for d in store.list_datasets(owner="bob")] == []
    actions = {
        "view": lambda: store.describe("pets", owner="bob"),
        "view ": lambda: store.samples("pets", owner=BOB),
        "use": lambda: store.check_use("pets", "bob"),
        "delete": lambda: store.delete("pets", owner="bob"),
        "replace": lambda: store.import_archive(write_zip(tmp_path / "x.zip", class_files(("a", "b"), 5)), "pets",
                                                owner="bob", replace=True),
    }
    for action, attempt in actions.items():
        with pytest.raises(DatasetAccessDenied) as err:
            attempt()
        # as if it did not exist: neither the owner nor that it is private (it once said "private to another
        # user", and an import under its name said "already exists")
        assert str(err.value) in ("no dataset named 'pets'",
                                  "the name 'pets' cannot be used for a new dataset; choose another name"), action
        assert "ada" not in str(err.value) and "private" not in str(err.value)
    with pytest.raises(DatasetAccessDenied, match="cannot be used"):  # a new import under its name, too
        store.import_archive(write_zip(tmp_path / "y.zip", class_files(("a", "b"), 5)), "pets", owner="bob")
    assert store.describe("pets").classes == {"cat": 5, "dog": 5}   # nothing changed
    assert store.describe("pets", owner="ada").owner == "ada"


def test_an_instructor_sees_and_manages_every_dataset(adas_pets):
    assert [d.name for d in store.list_datasets(owner=GRACE)] == ["pets"]
    assert store.samples("pets", owner="grace")["cat"]
    store.delete("pets", owner="grace")
    assert not (config.datasets_dir() / "pets").exists()


def test_a_dataset_shared_with_the_class_is_readable_by_all_but_changed_only_by_its_owner(adas_pets):
    with pytest.raises(DatasetAccessDenied, match="only an instructor may publish datasets to the class"):
        store.share("pets", owner="ada")
    store.share("pets", owner="grace")
    assert [d.name for d in store.list_datasets(owner="bob")] == ["pets"] and store.describe("pets").shared
    store.check_use("pets", "bob")
    with pytest.raises(DatasetAccessDenied, match="you may not delete dataset 'pets'"):
        store.delete("pets", owner="bob")
    store.share("pets", shared=False, owner="grace")
    assert store.list_datasets(owner="bob") == []


def test_datasets_of_the_instance_are_read_by_all_and_changed_by_instructors(classroom, tmp_path):
    store.import_archive(write_zip(tmp_path / "a.zip", class_files(("a", "b"), 5)), "common")  # server, no owner
    assert [d.name for d in store.list_datasets(owner="ada")] == ["common"]
    with pytest.raises(DatasetAccessDenied, match="it is the class's"):
        store.delete("common", owner="ada")
    store.delete("common", owner="grace")


def test_the_class_limits_on_dataset_size_bind_students_not_instructors(isolated_home, monkeypatch, tmp_path):
    write_class(isolated_home, monkeypatch, max_dataset_images=20, max_dataset_mb=1)
    small = write_zip(tmp_path / "small.zip", class_files(("a", "b"), 10))
    many = write_zip(tmp_path / "many.zip", class_files(("a", "b"), 11))
    with pytest.raises(store.DatasetError, match="'many' has 22 images; this class allows 20 per dataset"):
        store.import_archive(many, "many", owner="ada")
    store.import_archive(small, "small", owner="ada")
    noisy = {f"{c}/{i}.bmp": image_bytes("light", 200, "BMP", seed=i) for c in "ab" for i in range(6)}
    big = write_zip(tmp_path / "big.zip", noisy)       # 12 x 117 KB: 1.4 MB unpacked
    with pytest.raises(store.DatasetError, match=r"'big' is 1.4 MB unpacked; this class allows 1 MB per dataset"):
        store.import_archive(big, "big", owner="ada")
    assert sorted(p.name for p in config.datasets_dir().iterdir() if not p.name.startswith(".")) == ["small"]
    store.import_archive(many, "many", owner="grace")   # the instructor is not limited


def test_sharing_from_the_servers_command_line(adas_pets, capsys):
    from dragdl_core.cli import main

    assert main(["datasets", "share", "pets"]) == 0
    assert "shared with the class" in capsys.readouterr().out
    assert [d.name for d in store.list_datasets(owner="bob")] == ["pets"]
    assert main(["datasets", "share", "pets", "--unshare"]) == 0
    assert store.list_datasets(owner="bob") == []


def pets_graph() -> dict:
    """Ada's dataset 'pets' into a head and a trainer."""
    return {"format": "dragdl.graph", "version": 1, "nodes": [
        {"id": "data", "type": "ImageFolder", "params": {"name": "pets", "image_size": 16}},
        {"id": "head", "type": "ClassifierHead"}, {"id": "train", "type": "Trainer"}],
        "edges": [{"source": "data", "target": "head"}, {"source": "head", "target": "train"}]}


def test_validation_in_a_students_session_does_not_reveal_another_students_dataset(adas_pets):
    from dragdl_core.classroom import access
    from dragdl_core.compiler.validate import analyze

    graph = pets_graph()
    try:
        access.act_as(BOB)
        errors = analyze(graph).errors
        assert [(e["node"], e["field"]) for e in errors] == [("data", "name")]
        assert "no dataset named 'pets'" in errors[0]["message"]          # as if it did not exist
        access.act_as(ADA)
        assert analyze(graph).ok
    finally:
        access.act_as(None)
    assert analyze(graph).ok  # a trusted caller (a worker, the server's CLI) sees every dataset


def test_the_canvas_cache_shared_by_sessions_does_not_reveal_another_students_dataset(adas_pets, tmp_path):
    """The Build page's analyses are cached per graph for every session of an app process: Ada's valid
    analysis must not be what Bob sees for the same graph, and a dataset changed on disk is analysed again."""
    from dragdl_core.classroom import access
    from dragdl_core.compiler.partial import analyses

    graph = pets_graph()
    try:
        access.act_as(ADA)
        assert analyses(graph)[0].ok and analyses(graph)[0].shapes["head"] == [2]
        access.act_as(BOB)
        assert [e["field"] for e in analyses(graph)[0].errors] == ["name"]
        access.act_as(ADA)
        store.import_archive(write_zip(tmp_path / "more.zip", class_files(("cat", "dog", "fox"), 5)), "pets",
                             owner="ada", replace=True)
        assert analyses(graph)[0].shapes["head"] == [3]  # three classes now
    finally:
        access.act_as(None)
