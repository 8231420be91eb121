"""Who may change a dataset. `owner=None` is the instance operator (the command line): anything goes.
A named user may replace or delete only the datasets recorded as theirs; per-user visibility (private and
public datasets) builds on this record."""
from __future__ import annotations

from pathlib import Path

from . import metadata
from .errors import DatasetError


def check_owner(folder: Path, owner: str | None, action: str) -> None:
    if owner is None:
        return
    recorded = metadata.read(folder).get("owner")
    if recorded != owner:
        holder = f"user '{recorded}'" if recorded else "the instance (it has no owner)"
        raise DatasetError(f"dataset '{folder.name}' belongs to {holder}; '{owner}' cannot {action} it"
                           + ("" if recorded else "; use `python -m dragdl_core datasets` on the server"))


def may_change(folder: Path, owner: str | None) -> bool:
    try:
        check_owner(folder, owner, "change")
    except DatasetError:
        return False
    return True
