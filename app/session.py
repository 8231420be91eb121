"""Who is using the app: the one place pages ask (`current_actor()`, `current_user()`).

In a class, people sign in with streamlit-authenticator against the class's users file (bcrypt hashes; see
`python -m dragdl_core users`), and their role is read from that file on every run, so an instructor's change
applies at once. On a laptop with no accounts there is no sign-in: the user is LOCAL_USER, an instructor of
their own machine (single-user mode)."""
from __future__ import annotations

import sys

import streamlit as st

from dragdl_core.classroom import class_config, users
from dragdl_core.classroom.access import INSTRUCTOR, Actor, act_as

LOCAL_USER = users.LOCAL_USER
_STATE_KEYS = ("authentication_status", "username", "name", "email", "roles")


def current_actor() -> Actor:
    """The signed-in user and their role; shows the sign-in form and stops the page when nobody is.
    The core code this page run calls then acts for that user too (access.act_as)."""
    actor = _signed_in_actor()
    act_as(actor)
    return actor


def _signed_in_actor() -> Actor:
    if users.single_user_mode():
        return Actor(LOCAL_USER, INSTRUCTOR)
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    account = _account(username) if username else None
    if account is None:
        if username:  # signed in, but the account was removed since
            for key in _STATE_KEYS:
                st.session_state.pop(key, None)
        _sign_in()
        st.stop()
    return account.actor


def current_user() -> str:
    return current_actor().user


def _account(username: str):
    try:
        return users.UsersFile().get(username)
    except users.UsersError:
        return None


def _authenticator():
    import streamlit_authenticator as stauth  # only a class signs people in: a laptop never loads it

    accounts = users.UsersFile()
    cookie = accounts.cookie()
    return stauth.Authenticate(accounts.credentials(), cookie["name"], cookie["key"], cookie["expiry_days"],
                               auto_hash=False)


def _sign_in() -> None:
    st.title(class_config.current().name)
    try:
        has_accounts = bool(users.UsersFile().accounts())
    except users.UsersError as err:  # it names the users file: for the server's log, not a visitor
        print(f"sign-in: {err}", file=sys.stderr, flush=True)
        st.error("The class's accounts cannot be read right now: tell your instructor (the reason is in the "
                 "server's log).")
        return
    if not has_accounts:
        st.error("This class has no accounts yet. The instructor adds them on the server with "
                 "`python -m dragdl_core users add NAME --role student|instructor --config FILE`.")
        return
    _authenticator().login(location="main", key="sign_in", fields={
        "Form name": "Sign in", "Username": "User name", "Password": "Password", "Login": "Sign in"})
    status = st.session_state.get("authentication_status")
    if status and _account(st.session_state.get("username") or ""):
        st.rerun()
    if status is False:
        st.error("Wrong user name or password.")


def account_sidebar(actor: Actor) -> None:
    """Who is signed in, and the sign-out button (nothing in single-user mode)."""
    if users.single_user_mode():
        return
    with st.sidebar:
        st.caption(f"Signed in as **{actor.user}** ({actor.role})")
        _authenticator().logout("Sign out", "sidebar", key="sign_out")
