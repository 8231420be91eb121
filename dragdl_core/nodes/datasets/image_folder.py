from pathlib import Path

from ... import access, config
from ...names import is_folder_name
from ...params import MISSING, Choice, Int, Text
from ...registry import ShapeError, register
from .base import SPLIT_PARAMS, DatasetNode

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


def _visible_to_acting_user(root) -> bool:
    """Another student's private dataset reads as absent: validation must not reveal that it exists."""
    from ... import access
    from ...datasets_store.ownership import may_see  # here: the store itself imports this module

    actor = access.acting()
    return actor is None or may_see(root, actor)


def class_folders(name: str):
    """The class folders of the user dataset `name` (sorted), or ShapeError saying what is missing."""
    if not is_dataset_name(name):
        raise ShapeError(f"'{name}' is not a valid dataset name (letters, digits, _ . -)", "name")
    root = config.datasets_dir() / name
    if not root.is_dir() or not _visible_to_acting_user(root):
        raise ShapeError(f"no dataset named '{name}' in "
                         f"{access.server_path(config.datasets_dir(), 'the datasets folder')}; import one on the "
                         "Datasets page or with `python -m dragdl_core datasets import`", "name")
    folders = class_dirs(root)
    if len(folders) < 2:
        raise ShapeError(f"dataset '{name}' needs at least 2 class folders, found {len(folders)}", "name")
    return folders


@register
class ImageFolder(DatasetNode):
    """Your own images: one folder per class under the datasets directory, resized on loading."""

    loader = "image_folder"
    params = {
        "name": Text(MISSING, "the dataset's name, as shown on the Datasets page", max_length=64),
        "image_size": Int(64, "images are resized to this square size when loaded", min=8, max=1024),
        "color": Choice("rgb", "colour mode the images are converted to", choices=("rgb", "grayscale")),
        **SPLIT_PARAMS,
    }

    def image_shape(self, params):
        class_folders(params["name"])
        channels = 3 if params["color"] == "rgb" else 1
        return [channels, params["image_size"], params["image_size"]]

    def num_classes(self, params):
        return len(class_folders(params["name"]))
