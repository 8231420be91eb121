"""A class for tests: a config file (limits given per test), two students and an instructor."""
from __future__ import annotations

import pytest

from dragdl_core.classroom import users
from dragdl_core.classroom.access import Actor

ADA, BOB = Actor("ada", "student"), Actor("bob", "student")
GRACE = Actor("grace", "instructor")
PASSWORD = "password-1"


def write_class(home, monkeypatch, **limits) -> object:
    """Write <home>/class.toml with these limits, make it the current class and add the three accounts."""
    lines = ['name = "Test class"', f'home = "{home}"', f'datasets = "{home.parent / "datasets"}"', "[limits]"]
    lines += [f"{key} = {value}" for key, value in limits.items()]
    path = home / "class.toml"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("DRAGDL_CONFIG", str(path))
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)
    accounts = users.UsersFile()
    for actor in (ADA, BOB, GRACE):
        if accounts.get(actor.user) is None:
            accounts.add(actor.user, actor.role, PASSWORD)
    return path


@pytest.fixture
def classroom(isolated_home, monkeypatch):
    """A class with default limits; call `write_class(home, monkeypatch, max_epochs=...)` for others."""
    write_class(isolated_home, monkeypatch)
    return isolated_home
