"""A stored dataset on disk: one folder per dataset under the datasets directory, one folder per class in it,
image files in those. The store, the ImageFolder node and the runtime all read the layout through these."""
from __future__ import annotations

from pathlib import Path

from ..names import is_folder_name

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def is_dataset_name(name: str) -> bool:
    """Names that are one safe folder under the datasets directory: no separators, no '..', no dot first."""
    return is_folder_name(name)


def class_dirs(root: Path) -> list[Path]:
    """The class folders of a dataset folder, sorted; hidden ones (metadata, staging) are not classes."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def image_files(folder: Path) -> list[Path]:
    """The images of one class folder, sorted: what training loads and what the explorer counts."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
