"""How an archive maps to classes: class folders (`cat/001.jpg`, optionally under one wrapper folder) or a
CSV of `path,label` next to the images (paths relative to the CSV, or to the archive's top). The plan names
every file it will not import and why; it only looks files up inside the archive, so a CSV row can never
reach the server's own files."""
from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass, field

from .archive import Archive, EntryError, Member, entry_parts
from .errors import DatasetError

SYSTEM_FILES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
HEADER_PATHS = {"path", "file", "filename", "image", "img"}
HEADER_LABELS = {"label", "class", "category", "target"}


@dataclass
class Item:
    """One file to import into the class `label` (as the archive spells it, before sanitising)."""

    label: str
    member: Member


@dataclass
class Plan:
    layout: str                     # "folders" or "csv"
    items: list[Item] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"file", "reason"}
    ignored: int = 0                # system files (.DS_Store, __MACOSX/, hidden files)
    wrapper: str | None = None

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "reason": reason})


def _is_system(parts: tuple[str, ...]) -> bool:
    return any(p in SYSTEM_FILES or p.startswith(".") for p in parts)


def _without_wrapper(members: list[Member]) -> tuple[str | None, list[tuple[str, ...]]]:
    """Strip one top-level folder that holds everything (`animals/cat/1.jpg`), when it is a wrapper and
    not the only class folder: after stripping, every file is still in a folder, or the CSV is on top."""
    paths = [m.parts for m in members]
    tops = {p[0] for p in paths}
    if len(tops) != 1 or any(len(p) < 2 for p in paths):
        return None, paths
    inner = [p[1:] for p in paths]
    if all(len(p) >= 2 for p in inner) or any(len(p) == 1 and _is_csv(p[0]) for p in inner):
        return tops.pop(), inner
    return None, paths


def _is_csv(name: str) -> bool:
    return name.lower().endswith(".csv")


def plan_import(archive: Archive) -> Plan:
    members = []
    ignored = 0
    for member in archive.members:
        if _is_system(member.parts):
            ignored += 1
        else:
            members.append(member)
    wrapper, paths = _without_wrapper(members)
    csvs = [m for m, p in zip(members, paths) if len(p) == 1 and _is_csv(p[0])]
    if len(csvs) > 1:
        raise DatasetError("the archive has several CSV files at its top (" + ", ".join(m.path for m in csvs)
                           + "); keep one `path,label` file, or use class folders without a CSV")
    plan = _plan_csv(archive, members, csvs[0]) if csvs else _plan_folders(members, paths)
    plan.ignored, plan.wrapper = ignored, wrapper
    return plan


def _plan_folders(members: list[Member], paths: list[tuple[str, ...]]) -> Plan:
    plan = Plan("folders")
    for member, parts in zip(members, paths):
        if len(parts) < 2:
            plan.skip(member.path, "not inside a class folder")
        else:
            plan.items.append(Item(parts[0], member))
    return plan


def _csv_rows(archive: Archive, member: Member) -> list[list[str]]:
    try:
        text = archive.read(member).decode("utf-8-sig")
    except EntryError as err:
        raise DatasetError(f"{member.path} cannot be read: {err}") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{member.path} is not UTF-8 text; save the CSV as UTF-8") from None
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise DatasetError(f"{member.path} is not a valid CSV: {err}") from None


def _plan_csv(archive: Archive, members: list[Member], csv_member: Member) -> Plan:
    plan = Plan("csv")
    by_path = {m.path: m for m in members}
    base = posixpath.dirname(csv_member.path)
    listed = {csv_member.path}
    rows = _csv_rows(archive, csv_member)
    for line, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if line == 1 and len(cells) == 2 and cells[0].lower() in HEADER_PATHS and cells[1].lower() in HEADER_LABELS:
            continue
        where = f"{csv_member.path} line {line}"
        if len(cells) != 2 or not all(cells):
            plan.skip(where, "expected `path,label`")
            continue
        try:
            candidates = [entry_parts(posixpath.join(base, cells[0])), entry_parts(cells[0])]
        except DatasetError:
            plan.skip(where, f"path '{cells[0]}' points outside the archive")
            continue
        member = next((by_path[p] for p in map("/".join, candidates) if p in by_path), None)
        if member is None:
            plan.skip(where, f"'{cells[0]}' is not in the archive")
        elif member.path in listed:
            plan.skip(where, f"'{cells[0]}' is listed twice")
        else:
            listed.add(member.path)
            plan.items.append(Item(cells[1], member))
    for member in members:
        if member.path not in listed:
            plan.skip(member.path, f"not listed in {csv_member.path}")
    return plan
