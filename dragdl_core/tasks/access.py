"""The task service's door to the class's access policy (dragdl_core.classroom.access), which decides for everybody.

`actor` in the service's calls is the user acting: an Actor, a user name (its role read from the users
file), or None for a trusted caller (the server's command line, the workers), who may do anything.
Refusals become Forbidden, a TaskError the command line prints as one line."""
from __future__ import annotations

from ..classroom import access as policy
from ..classroom.access import Actor, TaskRef
from ..classroom.users import as_actor
from .errors import Forbidden


def resolve(actor: Actor | str | None) -> Actor | None:
    return as_actor(actor)


def check(actor: Actor | None, action: str, task_id: str, owner: str) -> None:
    """`action` is one of access.TASK_ACTIONS: view, monitor, predict, stop, retry, delete."""
    try:
        policy.check_task(actor, action, TaskRef(task_id, owner))
    except policy.AccessDenied as err:
        raise Forbidden(str(err)) from None


def check_class(actor: Actor | None, action: str) -> None:
    """A class-wide action (access.CLASS_ACTIONS): instructors only."""
    try:
        policy.check(actor, action)
    except policy.AccessDenied as err:
        raise Forbidden(str(err)) from None


def check_submit(actor: Actor | None, owner: str) -> None:
    try:
        policy.check_submit(actor, owner)
    except policy.AccessDenied as err:
        raise Forbidden(str(err)) from None


def owner_filter(actor: Actor | None, requested: str | None) -> str | None:
    """Whose tasks a listing shows (a student: their own)."""
    try:
        return policy.owner_filter(actor, requested)
    except policy.AccessDenied as err:
        raise Forbidden(str(err)) from None


def is_limited(actor: Actor | None) -> bool:
    """Class limits bind students; instructors and trusted callers are not limited."""
    return actor is not None and not actor.is_instructor
