"""Importing zips as ImageFolder datasets: good archives of both layouts, and every bad archive refused or
reported with a clear message, with nothing written outside (or half-written inside) the datasets folder."""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from dataset_archives import (blank_bmp, class_files, image_bytes, patch_central_directory, png_header_only,
                              symlink_entry, tree, unix_entry, write_zip)
from dragdl_core import config
from dragdl_core.stores import datasets as store
from dragdl_core.stores.datasets.images import BadImage, inspect_image
from dragdl_core.stores.datasets.limits import MB, Limits, size_text
from dragdl_core.nodes.datasets.image_folder import class_folders
from dragdl_core.compiler.validate import analyze
from test_dependency_rules import HEAVY


@pytest.fixture
def zips(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def imported_files(name: str) -> dict[str, list[str]]:
    root = config.datasets_dir() / name
    return {d.name: sorted(p.name for p in d.iterdir()) for d in sorted(root.iterdir()) if d.is_dir()}


# -- good archives ------------------------------------------------------------------------------------------

def test_class_folders_import_as_an_image_folder_dataset(zips):
    files = class_files(("cat", "dog"), per_class=6)
    files["__MACOSX/cat/._cat-000.png"] = b"junk"
    files["cat/.DS_Store"] = b"junk"
    calls = []
    result = store.import_archive(write_zip(zips / "pets.zip", files), "pets", owner="alice",
                                  progress=lambda done, total: calls.append((done, total)))

    assert result.name == "pets"
    assert dict(result.stats.classes) == {"cat": 6, "dog": 6}
    assert result.report["skipped"] == [] and result.report["ignored"] == 2
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)
    assert [f.name for f in class_folders("pets")] == ["cat", "dog"]
    info = store.describe("pets")
    assert info.owner == "alice" and info.classes == {"cat": 6, "dog": 6}
    assert dict(info.stats.formats) == {"PNG": 6, "JPEG": 6} and dict(info.stats.sizes) == {"16x16": 12}
    graph = {"format": "dragdl.graph", "version": 1, "nodes": [
        {"id": "data", "type": "ImageFolder", "params": {"name": "pets", "image_size": 16}},
        {"id": "head", "type": "ClassifierHead", "params": {}},
        {"id": "train", "type": "Trainer", "params": {}}],
        "edges": [{"source": "data", "target": "head"}, {"source": "head", "target": "train"}]}
    analysis = analyze(graph)
    assert analysis.ok, analysis.errors
    assert analysis.shapes["data"] == [3, 16, 16] and analysis.context.num_classes == 2


def test_one_wrapper_folder_is_stripped(zips):
    result = store.import_archive(write_zip(zips / "w.zip", class_files(("a", "b"), 5, prefix="animals/")), "w")
    assert result.report["wrapper"] == "animals"
    assert imported_files("w").keys() == {"a", "b"}


def test_csv_of_path_and_label_imports(zips):
    files = {f"images/{i:03d}.png": image_bytes("light" if i % 2 else "dark", seed=i) for i in range(12)}
    rows = ["path,label"] + [f"images/{i:03d}.png,{'bright' if i % 2 else 'dim'}" for i in range(12)]
    rows += ["images/missing.png,dim", "../../etc/passwd,dim", "images/000.png,bright", "only-one-column"]
    files["labels.csv"] = "\n".join(rows).encode()
    files["images/extra.png"] = image_bytes()
    result = store.import_archive(write_zip(zips / "c.zip", files), "csvset")

    assert result.report["layout"] == "csv"
    assert dict(result.stats.classes) == {"bright": 6, "dim": 6}
    reasons = {s["file"]: s["reason"] for s in result.report["skipped"]}
    assert reasons["labels.csv line 14"] == "'images/missing.png' is not in the archive"
    assert "outside the archive" in reasons["labels.csv line 15"]
    assert "listed twice" in reasons["labels.csv line 16"]
    assert "path,label" in reasons["labels.csv line 17"]
    assert reasons["images/extra.png"] == "not listed in labels.csv"


def test_csv_inside_a_wrapper_folder(zips):
    files = {f"set/img/{i}.png": image_bytes(seed=i) for i in range(10)}
    files["set/labels.csv"] = "\n".join(f"img/{i}.png,{'x' if i < 5 else 'y'}" for i in range(10)).encode()
    result = store.import_archive(write_zip(zips / "c.zip", files), "wrapped-csv")
    assert result.report["wrapper"] == "set" and dict(result.stats.classes) == {"x": 5, "y": 5}


def test_file_named_for_the_wrong_format_is_stored_under_its_real_suffix(zips):
    files = class_files(("a", "b"), 5)
    files["a/really-a-png.jpg"] = image_bytes(fmt="PNG")
    store.import_archive(write_zip(zips / "x.zip", files), "suffixes")
    assert "really-a-png.png" in imported_files("suffixes")["a"]


# -- bad archives: refused as a whole, nothing written anywhere -----------------------------------------------

# Each case is made with a file name of its own (escape_name): a name fixed at import would be shared by every
# run of this module forked from one process (mutmut forks one per mutant), so one stray file left by a broken
# build would fail every later run for a reason that is not its own.
REFUSED = {
    "zip-slip": (lambda escape: {f"../{escape}": image_bytes()}, "points outside the dataset folder"),
    "deep zip-slip": (lambda escape: {f"cat/../../../../../../tmp/{escape}": image_bytes()}, "points outside"),
    "backslash zip-slip": (lambda escape: {f"..\\{escape}": image_bytes()}, "points outside"),
    "absolute path": (lambda escape: {f"/tmp/{escape}": image_bytes()}, "is an absolute path"),
    "windows drive": (lambda escape: {f"C:/{escape}": image_bytes()}, "is an absolute path"),
    "symlink": (lambda escape: {"cat/passwd.png": symlink_entry("cat/passwd.png", "/etc/passwd")},
                "is a symbolic link"),
    "device file": (lambda escape: {"cat/dev.png": (unix_entry("cat/dev.png", stat.S_IFCHR | 0o666), b"")},
                    "is a device file"),
}
PLACES = (Path("/tmp"), Path("/"))  # where an escaping entry would land besides this test's own folders


@pytest.fixture
def escape_name():
    """A file name no other test uses; removed again from the shared places should a broken build write it."""
    name = f"dragdl-escape-{uuid.uuid4().hex[:8]}.png"
    yield name
    for place in PLACES:
        (place / name).unlink(missing_ok=True)


@pytest.mark.parametrize("case", list(REFUSED))
def test_entries_that_escape_or_are_not_files_refuse_the_archive(case, zips, tmp_path, escape_name):
    bad, message = REFUSED[case]
    files = {**class_files(("cat", "dog"), 5), **bad(escape_name)}
    archive = write_zip(zips / "bad.zip", files)
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match=message):
        store.import_archive(archive, "bad")
    assert tree(tmp_path) == before
    for place in (config.datasets_dir(), tmp_path, tmp_path.parent, *PLACES):
        assert not (place / escape_name).exists()


def test_zip_bomb_by_ratio_is_refused(zips, tmp_path):
    files = {**class_files(("a", "b"), 5), "a/zeros.png": b"\0" * (30 << 20)}
    archive = write_zip(zips / "bomb.zip", files)
    assert archive.stat().st_size < 1 << 20
    packed = zipfile.ZipFile(archive).getinfo("a/zeros.png").compress_size
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError) as err:
        store.import_archive(archive, "bomb")
    assert str(err.value) == (f"archive refused: entry 'a/zeros.png' unpacks 30.0 MB from {size_text(packed)} "
                              "(ratio over 100); this looks like a zip bomb")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("variable, value, message", [
    ("DRAGDL_IMPORT_MAX_UNPACKED_MB", "0.004", "unpacks to .* KB; the limit is 4 KB"),
    ("DRAGDL_IMPORT_MAX_FILES", "7", "entries; the limit is 7 files"),
    ("DRAGDL_IMPORT_MAX_ARCHIVE_MB", "0.001", "big.zip is .* KB; the limit is 1 KB"),
])
def test_size_and_count_limits_refuse_the_archive(variable, value, message, zips, tmp_path, monkeypatch):
    archive = write_zip(zips / "big.zip", class_files(("a", "b"), 5))
    monkeypatch.setenv(variable, value)
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match=message):
        store.import_archive(archive, "big")
    assert tree(tmp_path) == before


def test_not_a_zip_and_a_bad_limit_setting_are_clear(zips, monkeypatch):
    (zips / "notes.zip").write_text("hello")
    with pytest.raises(store.DatasetError, match="notes.zip is not a zip archive"):
        store.import_archive(zips / "notes.zip", "x")
    monkeypatch.setenv("DRAGDL_IMPORT_MAX_FILES", "lots")
    with pytest.raises(store.DatasetError, match="DRAGDL_IMPORT_MAX_FILES='lots' is not a number"):
        store.import_archive(zips / "notes.zip", "x")


# -- limits at their edges: a value at the limit passes, one over it is refused ------------------------------

def test_an_upload_is_read_from_a_file_object_and_named_by_its_file_name(zips):
    """The page hands over the browser's upload as a file object: its size is checked like a file's, and
    messages and the dataset's record name it by its file name (or "the archive" when it has none)."""
    archive = write_zip(zips / "pets.zip", class_files(("cat", "dog"), 5))
    size = archive.stat().st_size
    with open(archive, "rb") as upload:
        upload.seek(7)  # wherever the caller left it: the size is of the whole file
        with pytest.raises(store.DatasetError) as err:
            store.import_archive(upload, "pets", limits=Limits(max_archive_bytes=size - 1))
        assert str(err.value) == f"pets.zip is {size_text(size)}; the limit is {size_text(size - 1)}"
        store.import_archive(upload, "pets", limits=Limits(max_archive_bytes=size))
    assert store.describe("pets").to_dict()["source"] == "pets.zip"

    nameless = io.BytesIO(archive.read_bytes())
    with pytest.raises(store.DatasetError) as err:
        store.import_archive(nameless, "pets2", limits=Limits(max_archive_bytes=size - 1))
    assert str(err.value) == f"the archive is {size_text(size)}; the limit is {size_text(size - 1)}"
    with pytest.raises(store.DatasetError, match="^the archive is not a zip archive, or it is damaged$"):
        store.import_archive(io.BytesIO(b"PK not really"), "pets2")
    assert store.import_archive(nameless, "pets2", limits=Limits(max_archive_bytes=size)).stats.images == 10
    assert store.describe("pets2").to_dict()["source"] == "the archive"


def test_a_path_at_the_size_limit_passes(zips):
    archive = str(write_zip(zips / "edge.zip", class_files(("a", "b"), 5)))  # the command line passes a str
    size = os.stat(archive).st_size
    with pytest.raises(store.DatasetError, match=f"^edge.zip is {size_text(size)}; the limit is "):
        store.import_archive(archive, "edge", limits=Limits(max_archive_bytes=size - 1))
    assert store.import_archive(archive, "edge", limits=Limits(max_archive_bytes=size)).stats.images == 10


def test_entry_count_and_unpacked_size_limits_hold_exactly(zips):
    archive = write_zip(zips / "n.zip", class_files(("a", "b"), 5))
    entries = zipfile.ZipFile(archive).infolist()
    unpacked = sum(i.file_size for i in entries)
    with pytest.raises(store.DatasetError) as err:
        store.import_archive(archive, "n", limits=Limits(max_files=len(entries) - 1))
    assert str(err.value) == f"archive refused: {len(entries)} entries; the limit is {len(entries) - 1} files"
    with pytest.raises(store.DatasetError) as err:
        store.import_archive(archive, "n", limits=Limits(max_unpacked_bytes=unpacked - 1))
    assert str(err.value) == (f"archive refused: it unpacks to {size_text(unpacked)}; "
                              f"the limit is {size_text(unpacked - 1)}")
    result = store.import_archive(archive, "n", limits=Limits(max_files=len(entries), max_unpacked_bytes=unpacked))
    assert result.stats.images == 10 and result.report["skipped"] == []


def test_a_file_over_the_per_file_limit_is_skipped_with_both_sizes(zips):
    files = {**class_files(("a", "b"), 5), "a/big.png": image_bytes(size=64)}
    archive = write_zip(zips / "f.zip", files)
    big = zipfile.ZipFile(archive).getinfo("a/big.png").file_size
    result = store.import_archive(archive, "f", limits=Limits(max_file_bytes=big - 1))
    assert result.report["skipped"] == [{"file": "a/big.png", "reason": f"{size_text(big)} is over the "
                                                                        f"{size_text(big - 1)} limit for one file"}]
    result = store.import_archive(archive, "f2", limits=Limits(max_file_bytes=big))
    assert result.report["skipped"] == [] and dict(result.stats.classes) == {"a": 6, "b": 5}


@pytest.mark.parametrize("case", ["blank bitmaps", "a blank 1 MB file", "blank files, 1 MB in all"])
def test_files_that_compress_well_are_not_zip_bombs_below_1_mb(case, zips):
    """Blank scans and bitmaps deflate a hundredfold and more: the ratio limit counts only above 1 MB (one
    entry, or the archive in all), and exactly 1 MB is not above it."""
    if case == "blank bitmaps":       # each entry and the whole archive far over ratio 100, all under 1 MB
        files = {f"{c}/{c}-{i}.bmp": blank_bmp() for c in ("white", "snow") for i in range(5)}
    elif case == "a blank 1 MB file":  # one entry of exactly 1 MB of zeros beside photos that do not compress
        files = {**class_files(("white", "snow"), 5, size=64), "readme.txt": bytes(MB)}
    else:                              # ten blank bitmaps and a blank file: exactly 1 MB in all
        files = {f"{c}/{c}-{i}.bmp": blank_bmp() for c in ("white", "snow") for i in range(5)}
        files["readme.txt"] = bytes(MB - sum(len(data) for data in files.values()))
    archive = write_zip(zips / "blank.zip", files)
    infos = zipfile.ZipFile(archive).infolist()
    assert max(i.file_size / i.compress_size for i in infos) > 100
    result = store.import_archive(archive, "blank")
    assert dict(result.stats.classes) == {"white": 5, "snow": 5}


def test_an_archive_that_is_a_bomb_only_in_total_is_refused(zips, tmp_path):
    """Three entries of 1 MB of zeros: none is over 1 MB alone, together they unpack 3 MB from a few KB."""
    files = {**class_files(("a", "b"), 5), **{f"a/zeros-{i}.png": bytes(MB) for i in range(3)}}
    archive = write_zip(zips / "bombs.zip", files)
    infos = zipfile.ZipFile(archive).infolist()
    unpacked, packed = sum(i.file_size for i in infos), sum(i.compress_size for i in infos)
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError) as err:
        store.import_archive(archive, "bombs")
    assert str(err.value) == (f"archive refused: it unpacks {size_text(unpacked)} from {size_text(packed)} "
                              "(ratio over 100); this looks like a zip bomb")
    assert tree(tmp_path) == before


def test_the_ratio_limit_is_a_strict_upper_bound(zips):
    """Stored (uncompressed) entries have a ratio of exactly 1: with the limit set to 1 they pass, one 2 MB
    entry and the archive as a whole; the same entry deflated from zeros is refused."""
    files = {"a/zeros.png": bytes(2 * MB), **class_files(("a", "b"), 5)}
    stored = write_zip(zips / "stored.zip", files, compression=zipfile.ZIP_STORED)
    result = store.import_archive(stored, "stored", limits=Limits(max_ratio=1))
    assert dict(result.stats.classes) == {"a": 5, "b": 5}
    with pytest.raises(store.DatasetError, match="^archive refused: entry 'a/zeros.png' unpacks 2.0 MB from "):
        store.import_archive(write_zip(zips / "deflated.zip", files), "deflated", limits=Limits(max_ratio=1))


def test_the_ratio_limit_counts_every_packed_byte(zips):
    """With the limit set to the largest whole number under the archive's overall ratio, it is refused: the
    ratio is the unpacked size over the exact packed size (two blank entries, neither over 1 MB alone)."""
    for extra in range(100):  # sizes where one packed byte more would bring the ratio within the limit
        files = {"a/zeros-1.png": bytes(600_000 + extra), "a/zeros-2.png": bytes(600_000)}
        archive = write_zip(zips / "edge.zip", files)
        infos = zipfile.ZipFile(archive).infolist()
        unpacked, packed = sum(i.file_size for i in infos), sum(i.compress_size for i in infos)
        limit = -(-unpacked // packed) - 1
        if unpacked <= limit * (packed + 1):
            break
    with pytest.raises(store.DatasetError, match="^archive refused: it unpacks 1.1 MB from .*; this looks like a zip "):
        store.import_archive(archive, "edge", limits=Limits(max_ratio=limit))


def test_folder_entries_are_not_files(zips):
    """Zips made by `zip -r` or a file manager list every folder as an entry of its own, first."""
    files = {"animals/": b"", "animals/cat/": b"", "animals/dog/": b"",
             **class_files(("cat", "dog"), 5, prefix="animals/")}
    result = store.import_archive(write_zip(zips / "folders.zip", files), "folders")
    assert result.report["wrapper"] == "animals"
    assert result.report["skipped"] == [] and result.report["ignored"] == 0
    assert dict(result.stats.classes) == {"cat": 5, "dog": 5}


def test_entries_damaged_inside_the_archive_are_skipped_and_named(zips):
    """The central directory is only a claim: an entry whose bytes do not match its CRC-32, or that ends
    before the size it declares, is reported as damaged and the rest imports."""
    files = {**class_files(("a", "b"), 5), "a/crc.png": image_bytes(seed=7), "b/short.png": image_bytes(seed=8)}
    archive = write_zip(zips / "damaged.zip", files, compression=zipfile.ZIP_STORED)
    patch_central_directory(archive, "a/crc.png", crc=12345)
    patch_central_directory(archive, "b/short.png", file_size=len(files["b/short.png"]) + 10)
    result = store.import_archive(archive, "damaged")
    reasons = {s["file"]: s["reason"] for s in result.report["skipped"]}
    assert reasons == {"a/crc.png": "damaged in the archive",
                       "b/short.png": "damaged in the archive (size differs from its header)"}
    assert dict(result.stats.classes) == {"a": 5, "b": 5}


# -- bad files: skipped and listed by name; the rest imports ------------------------------------------------

def test_bad_files_are_skipped_and_listed_by_name(zips, monkeypatch):
    good_png = image_bytes(size=64)
    encrypted = zipfile.ZipInfo("a/secret.png")
    encrypted.flag_bits |= 0x1
    files = {**class_files(("a", "b"), 5),
             "a/bomb.png": png_header_only(20_000, 20_000),             # 400 M pixels, no data
             "a/big.png": image_bytes(size=300),                       # over the limit set below
             "a/truncated.png": good_png[: len(good_png) // 2],
             "b/garbage.jpg": b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20,
             "b/notes.txt": b"just text",
             "b/drawing.tiff": _tiff(),
             "a/secret.png": (encrypted, good_png),
             "loose.png": good_png}
    monkeypatch.setenv("DRAGDL_IMPORT_MAX_PIXELS", str(200 * 200))
    result = store.import_archive(write_zip(zips / "mixed.zip", files), "mixed")

    assert dict(result.stats.classes) == {"a": 5, "b": 5}
    reasons = {s["file"]: s["reason"] for s in result.report["skipped"]}
    assert set(reasons) == {"a/bomb.png", "a/big.png", "a/truncated.png", "b/garbage.jpg", "b/notes.txt",
                            "b/drawing.tiff", "a/secret.png", "loose.png"}
    assert "decompression bomb" in reasons["a/bomb.png"] or "pixels" in reasons["a/bomb.png"]
    assert reasons["a/big.png"] == "300x300 is 90,000 pixels, over the limit of 40,000"
    assert reasons["a/truncated.png"].startswith("damaged image")
    assert reasons["b/notes.txt"] == "not a PNG, JPEG, BMP, GIF or WebP image"
    assert reasons["a/secret.png"] == "encrypted"
    assert reasons["loose.png"] == "not inside a class folder"
    assert sum(len(v) for v in imported_files("mixed").values()) == 10


def _tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "TIFF")
    return out.getvalue()


def test_decompression_bomb_header_is_refused_without_decoding():
    with pytest.raises(BadImage, match="pixels"):
        inspect_image(png_header_only(100_000, 100_000), 50_000_000)
    with pytest.raises(BadImage, match="9,000x9,000|81,000,000 pixels"):
        inspect_image(png_header_only(9_000, 9_000), 50_000_000)  # under PIL's own limit: ours refuses


# -- dataset-level errors: nothing half-written ---------------------------------------------------------------

@pytest.mark.parametrize("files, message", [
    (class_files(("only",), 10), "at least 2 classes with images; found 1: 'only' \\(10\\)"),
    ({**class_files(("a",), 10), "b/x.txt": b"text"}, "at least 2 classes"),
    ({}, "found 0"),
    ({**class_files(("a",), 10), **class_files(("b",), 3, prefix="")}, "too few images: 'b' has 3"),
])
def test_too_few_classes_or_images_is_an_error_and_leaves_nothing(files, message, zips, tmp_path):
    archive = write_zip(zips / "few.zip", files)
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match=message):
        store.import_archive(archive, "few")
    assert tree(tmp_path) == before


def test_weird_names_are_sanitised(zips):
    files = {**class_files(("Cats & Dogs!?",), 5), **class_files(("  café au lait\x07 ",), 5, prefix=""),
             **{f"chat noir/{n}": image_bytes(seed=i) for i, n in enumerate(
                 ["a b.png", "..hidden.png", "x" * 300 + ".png", "???.png", "same.png", "SAME.png"])},
             "???/lost.png": image_bytes()}
    result = store.import_archive(write_zip(zips / "names.zip", files), "  My Pets!! (2024) ")
    assert result.name == "My-Pets-2024"
    stored = imported_files(result.name)
    assert set(stored) == {"Cats _ Dogs", "café au lait", "chat noir"}
    assert result.report["renamed_classes"] == {"Cats & Dogs!?": "Cats _ Dogs", "  café au lait\x07 ": "café au lait"}
    names = stored["chat noir"]
    assert result.report["ignored"] == 1  # ..hidden.png: hidden files are system files
    assert len(names) == 5 and all(not n.startswith(".") and len(n) <= 90 for n in names)
    assert {"a b.png", "image.png", "same.png", "SAME-2.png"} <= set(names)
    assert result.report["skipped"] == [{"file": "???/lost.png", "reason": "class name '???' has no usable characters"}]


def test_class_names_that_collide_after_sanitising_are_an_error(zips, tmp_path):
    archive = write_zip(zips / "c.zip", {**class_files(("cat?",), 5), **class_files(("cat*",), 5)})
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match="'cat\\?' and 'cat\\*' would both be stored as 'cat'"):
        store.import_archive(archive, "c")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name, stored", [("../x", "x"), ("a/b", "a-b"), ("Café 2", "Cafe-2"), (".hidden", "hidden")])
def test_dataset_names_are_sanitised_into_one_folder(name, stored, zips):
    result = store.import_archive(write_zip(zips / "ok.zip", class_files(("a", "b"), 5)), name)
    assert result.name == stored and result.path.parent == config.datasets_dir()


@pytest.mark.parametrize("name", ["", "...", "/", "日本"])
def test_unusable_dataset_names_are_refused(name, zips, tmp_path):
    archive = write_zip(zips / "ok.zip", class_files(("a", "b"), 5))
    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match="cannot be used as a dataset name"):
        store.import_archive(archive, name)
    assert tree(tmp_path) == before


def test_existing_name_needs_replace_and_a_failed_replace_keeps_the_old_dataset(zips, tmp_path):
    good = write_zip(zips / "good.zip", class_files(("a", "b"), 5))
    store.import_archive(good, "set")
    with pytest.raises(store.DatasetError, match="already exists"):
        store.import_archive(good, "set")

    before = tree(tmp_path)
    with pytest.raises(store.DatasetError, match="too few"):
        store.import_archive(write_zip(zips / "few.zip", class_files(("x", "y"), 2)), "set", replace=True)
    (zips / "few.zip").unlink()
    assert tree(tmp_path) == before - {"uploads/few.zip"}
    assert store.describe("set").classes == {"a": 5, "b": 5}

    store.import_archive(write_zip(zips / "new.zip", class_files(("x", "y"), 6)), "set", replace=True)
    assert store.describe("set").classes == {"x": 6, "y": 6}
    assert [p.name for p in config.datasets_dir().iterdir()] == ["set"]


def test_an_interrupted_import_leaves_nothing(zips, tmp_path):
    archive = write_zip(zips / "a.zip", class_files(("a", "b"), 10))
    before = tree(tmp_path)

    def interrupt(done, total):
        if done == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.import_archive(archive, "stopped", progress=interrupt)
    assert tree(tmp_path) == before


def test_only_the_owner_may_replace_or_delete(zips):
    archive = write_zip(zips / "a.zip", class_files(("a", "b"), 5))
    store.import_archive(archive, "mine", owner="alice")
    # another user's private dataset is answered as if it did not exist (no owner, no "private")
    with pytest.raises(store.DatasetError, match="^the name 'mine' cannot be used for a new dataset"):
        store.import_archive(archive, "mine", owner="bob", replace=True)
    with pytest.raises(store.DatasetError, match="^no dataset named 'mine'$"):
        store.delete("mine", owner="bob")
    store.delete("mine", owner="alice")
    assert store.list_datasets() == []


def test_the_store_imports_no_heavy_package(tmp_path, python_env):
    """The page and the CLI call the store in the app's process: it must stay pure (no Paddle, Streamlit, Redis)."""
    archive = write_zip(tmp_path / "a.zip", class_files(("a", "b"), 5))
    code = ("import sys, json\n"
            "from dragdl_core.stores import datasets as store\n"
            f"store.import_archive({str(archive)!r}, 'pure')\n"
            "store.describe('pure'); store.samples('pure'); store.list_datasets(); store.delete('pure')\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_staging_left_by_a_killed_import_is_swept_later(zips):
    root = config.datasets_dir()
    old, recent = root / ".import-pets-killed", root / ".import-other-running"
    for folder in (old, recent):
        (folder / "a").mkdir(parents=True)
    os.utime(old, (time.time() - 13 * 3600,) * 2)
    store.import_archive(write_zip(zips / "a.zip", class_files(("a", "b"), 5)), "fresh")
    assert not old.exists() and recent.is_dir()  # a recent one may belong to an import still running
    assert [d.name for d in store.list_datasets()] == ["fresh"]
