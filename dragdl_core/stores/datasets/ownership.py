"""Who may see, use and change a dataset: the store asks the class's access policy (dragdl_core.classroom.access).

`owner` in the store's functions is the user acting - an Actor, a user name, or None for the instance
operator (the server's command line), who may do anything. A student sees and trains on their own datasets,
the instance's (imported without an owner) and those an instructor shared with the class; only the owner or
an instructor replaces or deletes one; only an instructor shares one with the class."""
from __future__ import annotations

from pathlib import Path

from ...classroom.access import AccessDenied, Actor, DatasetRef, check_dataset, may_dataset
from ...classroom.users import as_actor
from . import metadata
from .errors import DatasetError


class DatasetAccessDenied(DatasetError, AccessDenied):
    """A refused action on a dataset; names the action and the dataset, never its owner."""


def ref(folder: Path, meta: dict | None = None) -> DatasetRef:
    meta = metadata.read(folder) if meta is None else meta
    return DatasetRef(folder.name, meta.get("owner"), bool(meta.get("shared")))


def check_owner(folder: Path, owner: Actor | str | None, action: str) -> None:
    """Raise DatasetAccessDenied unless `owner` (the acting user) may `action` the dataset in `folder`."""
    try:
        check_dataset(as_actor(owner), action, ref(folder))
    except AccessDenied as err:
        raise DatasetAccessDenied(str(err)) from None


def may_see(folder: Path, owner: Actor | str | None, meta: dict | None = None) -> bool:
    return may_dataset(as_actor(owner), "view", ref(folder, meta))


def may_change(folder: Path, owner: Actor | str | None) -> bool:
    return may_dataset(as_actor(owner), "delete", ref(folder))
