"""Who may do what with a task: the single place the service asks (issue 7 adds roles here).

`actor` is the signed-in user on whose behalf a call is made, or None for a trusted caller (the command
line on the server, the workers). Today an actor may touch only their own tasks; instructors come later."""
from __future__ import annotations

from .errors import Forbidden


def check(actor: str | None, owner: str, action: str) -> None:
    """Raise Forbidden unless `actor` may `action` ("submit", "view", "stop", "retry", "delete") a task of
    `owner`'s (or list `owner`'s tasks; owner None = everybody's)."""
    if actor is None or actor == owner:
        return
    raise Forbidden(f"{actor} may not {action} tasks of {'all users' if owner is None else owner}")
