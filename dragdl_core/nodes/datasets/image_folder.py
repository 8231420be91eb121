from ... import config
from ...classroom import access
from ...compiler.params import MISSING, Choice, Int, Text
from ...compiler.registry import ShapeError, register
from .base import SPLIT_PARAMS, DatasetNode


def _visible_to_acting_user(root) -> bool:
    """Another student's private dataset reads as absent: validation must not reveal that it exists."""
    from ...stores.datasets.ownership import may_see

    actor = access.acting()
    return actor is None or may_see(root, actor)


def class_folders(name: str):
    """The class folders of the user dataset `name` (sorted), or ShapeError saying what is missing. The store
    is imported on first use: it costs Pillow, which a graph without an ImageFolder never needs."""
    from ...stores.datasets.folders import class_dirs, is_dataset_name

    if not is_dataset_name(name):
        raise ShapeError(f"'{name}' is not a valid dataset name (letters, digits, _ . -)", "name")
    root = config.datasets_dir() / name
    if not root.is_dir() or not _visible_to_acting_user(root):
        raise ShapeError(f"no dataset named '{name}': pick one of yours or the class's, or import one on the "
                         "Datasets page", "name",
                         detail=f"looked in {access.server_path(config.datasets_dir(), 'the datasets folder')}; "
                                "`python -m dragdl_core datasets import` imports one from the command line")
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

    def cache_stamp(self, params):
        """The acting user (another student's private dataset reads as absent) and the dataset folder's
        change time (class folders added or removed, the dataset replaced or deleted)."""
        from ...stores.datasets.folders import is_dataset_name

        actor, name = access.acting(), params.get("name")
        try:
            changed = (config.datasets_dir() / name).stat().st_mtime_ns if is_dataset_name(name) else None
        except (OSError, TypeError):
            changed = None
        return (actor.user if actor else None, changed)

    def image_shape(self, params):
        class_folders(params["name"])
        channels = 3 if params["color"] == "rgb" else 1
        return [channels, params["image_size"], params["image_size"]]

    def num_classes(self, params):
        return len(class_folders(params["name"]))
