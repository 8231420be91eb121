"""How an archive maps to classes: class folders (`cat/001.jpg`, optionally under one wrapper folder) or a
CSV of `path,label` next to the images (paths relative to the CSV, or to the archive's top). Loose files
beside a single wrapper folder (README.txt, LICENSE, ...) do not turn the wrapper into a class. The plan names
every file it will not import and why; it only looks files up inside the archive, so a CSV row can never
reach the server's own files."""
from __future__ import annotations

import csv
import io
import posixpath
from dataclasses import dataclass, field

from .folders import IMAGE_SUFFIXES
from .archive import Archive, EntryError, Member, entry_parts
from .errors import DatasetError

SYSTEM_FILES = {"__MACOSX", "Thumbs.db", "desktop.ini", "ehthumbs.db"}
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
    reason: str = ""                # the layout chosen and why, in one sentence for the report

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "reason": reason})


def _is_system(parts: tuple[str, ...]) -> bool:
    return any(p in SYSTEM_FILES or p.startswith(".") for p in parts)


def _without_wrapper(members: list[Member]) -> tuple[str | None, list[Member], list[tuple[str, ...]], list[Member]]:
    """Strip one top-level folder that holds the dataset (`My Images/cat/1.jpg`), as Finder and Explorer
    zip a folder: it is the only folder at the top, loose files beside it (README.txt, LICENSE, a cover
    picture) are not part of the dataset, and inside it there is a CSV, or class folders with no image
    directly beside them (a README there is fine). Returns the wrapper, the members and paths inside it,
    and the loose files beside it; no wrapper: (None, members, their paths, [])."""
    paths = [m.parts for m in members]
    folders = {p[0] for p in paths if len(p) >= 2}
    loose = [m for m, p in zip(members, paths) if len(p) == 1]
    if len(folders) != 1 or any(_is_csv(m.parts[0]) for m in loose):
        return None, members, paths, []
    inner = [p[1:] for p in paths if len(p) >= 2]
    has_csv = any(len(p) == 1 and _is_csv(p[0]) for p in inner)
    has_class_folders = any(len(p) >= 2 for p in inner)
    images_directly = any(len(p) == 1 and _is_image_name(p[0]) for p in inner)
    if not has_csv and (not has_class_folders or images_directly):
        return None, members, paths, []  # a single class folder (or a mix): let the plan say so
    kept = [m for m, p in zip(members, paths) if len(p) >= 2]
    return folders.pop(), kept, [m.parts[1:] for m in kept], loose


def _is_image_name(name: str) -> bool:
    return posixpath.splitext(name)[1].lower() in IMAGE_SUFFIXES


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
    wrapper, inside, paths, loose = _without_wrapper(members)
    csvs = [m for m, p in zip(inside, paths) if len(p) == 1 and _is_csv(p[0])]
    if len(csvs) > 1:
        raise DatasetError("the archive has several CSV files at its top (" + ", ".join(m.path for m in csvs)
                           + "); keep one `path,label` file, or use class folders without a CSV")
    plan = _plan_csv(archive, inside, csvs[0]) if csvs else _plan_folders(inside, paths)
    for member in loose:
        plan.skip(member.path, f"a loose file beside the wrapper folder '{wrapper}', not in a class folder")
    plan.ignored, plan.wrapper = ignored, wrapper
    plan.reason = _reason(plan, csvs[0] if csvs else None, loose)
    return plan


def _reason(plan: Plan, csv_member: Member | None, loose: list[Member]) -> str:
    """One sentence for the report: which layout was chosen and why."""
    if csv_member is not None:
        text = f"labels from the CSV file {csv_member.path}"
    else:
        classes = sorted({item.label for item in plan.items})
        shown = ", ".join(classes[:8]) + (f", ... ({len(classes)} in all)" if len(classes) > 8 else "")
        text = f"one folder per class ({shown or 'none found'})"
    if plan.wrapper:
        text += f", inside '{plan.wrapper}', the only folder at the top of the archive (taken as a wrapper)"
        if loose:
            names = ", ".join(m.path for m in loose[:5]) + (" ..." if len(loose) > 5 else "")
            text += f"; {len(loose)} loose file(s) beside it skipped ({names})"
    return text


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
