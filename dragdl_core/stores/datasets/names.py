"""Name sanitising: whatever an archive or a user calls things, what reaches the disk is one plain path
component - no separators, no '..', no leading dot (hidden), no control characters, bounded length."""
from __future__ import annotations

import re
import unicodedata

from .errors import DatasetError
from .folders import is_dataset_name

MAX_CLASS_NAME = 64
MAX_FILE_STEM = 80
MAX_NAME_BYTES = 120  # UTF-8 bytes of a class folder or a file stem: every filesystem takes 255 per component,
#                       and a stem still gets a "-12" counter and a ".jpeg" suffix


def dataset_name(raw: str) -> str:
    """The folder name for a dataset: ASCII letters, digits, _ . - (what an ImageFolder node accepts)."""
    ascii_name = unicodedata.normalize("NFKD", raw or "").encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", ascii_name.strip())
    name = re.sub(r"\.{2,}", ".", name).lstrip("._-")[:64].rstrip(".-_")
    if not is_dataset_name(name):
        raise DatasetError(f"'{raw}' cannot be used as a dataset name: use letters, digits, _ . - "
                           "(at most 64, starting with a letter or digit)")
    return name


def _component(raw: str, limit: int) -> str:
    """Unicode letters and digits kept (a class may be called 'chat noir' or 'café'), the rest made '_'."""
    name = unicodedata.normalize("NFC", raw)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format, private use
    name = re.sub(r"[^\w .+-]+", "_", name)
    name = re.sub(r"\s+", " ", name)
    name = name.strip(" ._-")[:limit]
    name = name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore")  # a cut character is dropped whole
    return name.rstrip(" .")


def class_name(raw: str) -> str | None:
    """The folder name for a class, or None when nothing usable is left (the files are then skipped)."""
    return _component(raw, MAX_CLASS_NAME) or None


def file_stem(raw: str) -> str:
    """A safe stem for a stored image file; 'image' when the original name has nothing usable."""
    stem = raw.rsplit(".", 1)[0] if "." in raw.lstrip(".") else raw
    return _component(stem, MAX_FILE_STEM) or "image"
