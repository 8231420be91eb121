"""Who is using the app. Single-user mode for now; sign-in (issue 7) replaces this one function."""
from __future__ import annotations

LOCAL_USER = "local"


def current_user() -> str:
    return LOCAL_USER
