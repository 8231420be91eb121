"""User datasets on disk: import zips safely, browse, delete. Pure core (no Paddle, Streamlit or Redis).

    from dragdl_core.stores import datasets as store
    result = store.import_archive("pets.zip", "pets", owner="alice", progress=print)
    store.describe("pets").classes   # {"cat": 20, "dog": 20}
"""
from .demo import write_demo
from .errors import DatasetError
from .explorer import (DatasetInfo, check_use, dataset_path, delete, describe, list_datasets, samples, share,
                       split_preview, thumbnail)
from ...imaging import FIXES
from .importer import ImportResult, import_archive
from .limits import Limits
from .ownership import DatasetAccessDenied, may_change

__all__ = ["FIXES", "DatasetAccessDenied", "DatasetError", "DatasetInfo", "ImportResult", "Limits", "check_use",
           "dataset_path", "delete", "describe", "import_archive", "list_datasets", "may_change", "samples",
           "share", "split_preview", "thumbnail", "write_demo"]
