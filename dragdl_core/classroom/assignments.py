"""Assignments: template graphs an instructor publishes to the whole class, kept under <home>/assignments/.

    <home>/assignments/<name>/graph.json    the template, its graph name set to <name>
    <home>/assignments/<name>/meta.json     title, description, who published it and when

A student opens an assignment on the Build page, completes it and submits it; a task counts for the
assignment when it was submitted for it (see leaderboard.py). A template need not be
a valid graph yet - leaving the model for students to build is the point of many assignments.
Pure: no Streamlit, Redis or RQ."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import access, class_config
from .access import Actor
from ..compiler.graph import Graph, GraphError, load_graph
from .leaderboard import claimed_assignment

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class AssignmentError(ValueError):
    """An assignment that cannot be published or found; one line."""


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    description: str
    published_by: str
    published: float
    graph: dict

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "published_by": self.published_by, "published": self.published}


def root() -> Path:
    return class_config.current().assignments_dir


def slug(title: str) -> str:
    """`Week 3: Digits CNN` -> `week-3-digits-cnn`."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:63].strip("-")


def _folder(name: str) -> Path:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise AssignmentError(f"invalid assignment name {name!r}: lower-case letters, digits and '-'")
    return root() / name


def publish(graph: Graph | dict | str, title: str, description: str = "", *, actor: Actor | None,
            name: str | None = None, replace: bool = False) -> Assignment:
    """Publish `graph` (a Graph, a dict or JSON text) to the class as an assignment."""
    access.check(actor, "publish_assignment")
    title = (title or "").strip()
    if not title:
        raise AssignmentError("an assignment needs a title")
    name = name or slug(title)
    folder = _folder(name)
    try:
        template = load_graph(graph if not isinstance(graph, Graph) else graph.to_dict())
    except GraphError as err:
        raise AssignmentError(f"the template is not a graph: {err}") from None
    if folder.exists() and not replace:
        raise AssignmentError(f"assignment '{name}' already exists; withdraw it first or publish with replace")
    template = template.model_copy(update={"name": name})
    assignment = Assignment(name, title[:200], description.strip()[:5000],
                            actor.user if actor else "instructor", time.time(), template.to_dict())
    staging = root() / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "graph.json").write_text(template.to_json(), encoding="utf-8")
    (staging / "meta.json").write_text(json.dumps(assignment.to_dict(), indent=2), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(staging, folder)
    return assignment


def _read(folder: Path) -> Assignment | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        graph = json.loads((folder / "graph.json").read_text(encoding="utf-8"))
        return Assignment(folder.name, str(meta.get("title") or folder.name), str(meta.get("description") or ""),
                          str(meta.get("published_by") or ""), float(meta.get("published") or 0), graph)
    except (OSError, ValueError, TypeError):
        return None  # half-written or hand-edited badly: not offered to students


def graph_path(name: str) -> Path:
    """The template's graph.json (what the Build page opens)."""
    return _folder(name) / "graph.json"


def list_assignments() -> list[Assignment]:
    """Every assignment, newest first (readable by everyone in the class)."""
    if not root().is_dir():
        return []
    found = [_read(p) for p in root().iterdir() if p.is_dir() and NAME.fullmatch(p.name)]
    return sorted(filter(None, found), key=lambda a: a.published, reverse=True)


def get(name: str) -> Assignment:
    assignment = _read(_folder(name))
    if assignment is None:
        raise AssignmentError(f"no assignment named '{name}'")
    return assignment


def withdraw(name: str, *, actor: Actor | None) -> None:
    """Remove an assignment (the students' tasks stay)."""
    access.check(actor, "publish_assignment")
    folder = _folder(name)
    if not folder.is_dir():
        raise AssignmentError(f"no assignment named '{name}'")
    shutil.rmtree(folder)


def counted_for(task: dict) -> str | None:
    """The published assignment a task counts for (see leaderboard.py), which a copy opened from it keeps."""
    try:
        return get(claimed_assignment(task)).name
    except AssignmentError:
        return None
