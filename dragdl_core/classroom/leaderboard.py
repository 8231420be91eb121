"""The leaderboard: each student's best test accuracy on each assignment, from their finished tasks.

A task counts for an assignment when it was submitted for it (the Build page tags a graph opened from an
assignment, and a copy opened from such a task, whatever the student renames it to), or, untagged (e.g.
submitted from the CLI), when its graph carries the assignment's name. Pure: the caller brings the tasks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Entry:
    assignment: str
    user: str
    accuracy: float
    task_id: str
    finished: float
    attempts: int = 1     # succeeded tasks this user has for the assignment
    rank: int = 0


def claimed_assignment(task: dict) -> str | None:
    """The assignment a task would count for: its tag, else its graph's name."""
    return task.get("assignment") or task.get("graph_name") or task.get("name")


def leaderboard(tasks: Iterable[dict], assignments: Iterable[str]) -> dict[str, list[Entry]]:
    """assignment -> entries, best first (a tie goes to whoever reached the accuracy first).

    `tasks` are task views (tasks.list_tasks) with at least id, user, state, accuracy, finished, and
    assignment or graph_name (tasks from before graph_name was recorded fall back to their name)."""
    wanted = set(assignments)
    best: dict[tuple[str, str], Entry] = {}
    counts: dict[tuple[str, str], int] = {}
    for task in tasks:
        name = claimed_assignment(task)
        if name not in wanted or task.get("state") != "succeeded" or task.get("accuracy") is None:
            continue
        key = (name, task["user"])
        counts[key] = counts.get(key, 0) + 1
        entry = Entry(name, task["user"], float(task["accuracy"]), task["id"], float(task.get("finished") or 0))
        held = best.get(key)
        if held is None or (entry.accuracy, -entry.finished) > (held.accuracy, -held.finished):
            best[key] = entry
    boards: dict[str, list[Entry]] = {name: [] for name in wanted}
    for (name, user), entry in best.items():
        boards[name].append(entry)
    for name, entries in boards.items():
        entries.sort(key=lambda e: (-e.accuracy, e.finished, e.user))
        boards[name] = [Entry(e.assignment, e.user, e.accuracy, e.task_id, e.finished,
                              counts[(name, e.user)], rank) for rank, e in enumerate(entries, start=1)]
    return boards
