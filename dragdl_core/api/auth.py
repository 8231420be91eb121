"""Who is calling: a bearer token (`users token NAME`) names an account, whose role the access policy
checks. An instance without accounts (one person's laptop) serves only clients on this machine, as its
single local user. Behind the reverse proxy the peer is the proxy, so the client is the address the proxy
appended to X-Forwarded-For; a forwarded header is believed only from a loopback peer."""
from __future__ import annotations

import ipaddress

from fastapi import Request

from ..classroom.access import INSTRUCTOR, Actor
from ..classroom.users import LOCAL_USER, UsersError, UsersFile, single_user_mode
from .errors import ApiError

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _loopback(host: str | None) -> bool:
    try:
        return ipaddress.ip_address((host or "").strip().strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def client_is_local(request: Request) -> bool:
    peer = request.client.host if request.client else None
    if not _loopback(peer):
        return False
    forwarded = request.headers.get("x-forwarded-for")
    return forwarded is None or _loopback(forwarded.split(",")[-1])


def current_actor(request: Request) -> Actor:
    """FastAPI dependency: the Actor a request acts for, or 401/403."""
    try:
        if single_user_mode():
            if not client_is_local(request):
                raise ApiError(403, "this instance has no accounts, so its API serves only clients on the same "
                                    "machine; add accounts (`users add`) and use a token from `users token NAME`")
            return Actor(LOCAL_USER, INSTRUCTOR)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "send `Authorization: Bearer TOKEN`; an instructor prints your token with "
                                "`python -m dragdl_core users token NAME`", CHALLENGE)
        account = UsersFile().account_for_token(token.strip())
    except UsersError as err:
        raise ApiError(503, f"the server cannot read its accounts: {err}") from None
    if account is None:
        raise ApiError(401, "unknown or replaced token; ask for a new one (`users token NAME`)", CHALLENGE)
    return account.actor
