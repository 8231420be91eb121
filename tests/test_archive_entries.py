"""Entry names and kinds in an uploaded zip, checked before a byte is unpacked (the pure checks behind
test_datasets_import's refusals; found unpinned by mutation testing: benchmarks/mutation.py)."""
import stat
import zipfile

import pytest

from dragdl_core.stores.datasets.archive import _special_kind, entry_parts
from dragdl_core.stores.datasets.errors import DatasetError


@pytest.mark.parametrize("name, parts", [
    ("cat/a.png", ("cat", "a.png")),
    ("./cat//a.png", ("cat", "a.png")),          # empty and "." components are dropped
    ("cat\\a.png", ("cat", "a.png")),            # Windows separators
    ("cat/./b/a.png", ("cat", "b", "a.png")),
])
def test_entry_names_split_into_plain_components(name, parts):
    assert entry_parts(name) == parts


@pytest.mark.parametrize("name, message", [
    ("cat\x00.png", "archive refused: entry 'cat\\x00.png' has a NUL character in its name"),
    ("/etc/passwd", "archive refused: entry '/etc/passwd' is an absolute path"),
    ("c:/windows/a.png", "archive refused: entry 'c:/windows/a.png' is an absolute path"),
    ("C:\\a.png", "archive refused: entry 'C:\\a.png' is an absolute path"),
    ("cat/../../a.png", "archive refused: entry 'cat/../../a.png' points outside the dataset folder (..)"),
])
def test_names_that_escape_or_hide_are_refused_with_the_entry_named(name, message):
    with pytest.raises(DatasetError) as err:
        entry_parts(name)
    assert str(err.value) == message


def info(create_system, mode):
    entry = zipfile.ZipInfo("x")
    entry.create_system, entry.external_attr = create_system, mode << 16
    return entry


def test_links_and_devices_are_recognised_only_from_unix_modes():
    assert _special_kind(info(3, stat.S_IFLNK | 0o777)) == "a symbolic link"
    assert _special_kind(info(3, stat.S_IFIFO | 0o644)) == "a named pipe"
    assert _special_kind(info(3, stat.S_IFREG | 0o644)) is None
    assert _special_kind(info(3, 0)) is None
    assert _special_kind(info(0, stat.S_IFLNK | 0o777)) is None   # made on Windows: the bits mean nothing
