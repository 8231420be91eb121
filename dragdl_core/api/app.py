"""The FastAPI application: routers under /api, docs at /api/docs, JSON errors, request size limits."""
from __future__ import annotations

import contextlib

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ..serving.uploads import MAX_UPLOAD_BYTES
from . import errors, exports, predictions, tasks, validation

PREFIX = "/api"
MAX_JSON_BYTES = 8 * 1024 * 1024                 # a 10,000-node graph is about 2 MB
MAX_MULTIPART_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


class _TooLarge(Exception):
    pass


def _limit(path: str) -> int:
    return MAX_MULTIPART_BYTES if path.endswith("/predict") else MAX_JSON_BYTES


class SizeLimit:
    """ASGI middleware: a body over the limit gets 413 - before it is read when Content-Length says so, else
    as soon as the bytes pass the limit (whatever the route would have answered is replaced)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = _limit(scope["path"])
        too_large = JSONResponse({"message": f"the request body is larger than the {limit // (1024 * 1024)} MB "
                                             "this endpoint accepts"}, status_code=413)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            return await too_large(scope, receive, send)
        state = {"seen": 0, "over": False, "replied": False}

        async def counted():
            message = await receive()
            state["seen"] += len(message.get("body", b""))
            if state["seen"] > limit:
                state["over"] = True
                raise _TooLarge()
            return message

        async def guarded_send(message):
            if not state["over"]:
                return await send(message)
            if not state["replied"]:
                state["replied"] = True
                await too_large(scope, receive, send)

        try:
            await self.app(scope, counted, guarded_send)
        except _TooLarge:
            if not state["replied"]:
                state["replied"] = True
                await too_large(scope, receive, send)


def _warm_sandbox() -> None:
    """Start the sandbox's prediction children (Paddle imported there) as the server comes up, so the first
    prediction does not pay for Paddle's import (the model itself still loads on first use)."""
    from ..sandbox import warm

    warm("paddle")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    _warm_sandbox()
    yield


def create_app() -> FastAPI:
    app = FastAPI(lifespan=_lifespan, title="DragDL API", version="1",
                  description="Validate graphs, submit and watch training tasks, predict with and export "
                              "trained models. Authenticate with `Authorization: Bearer TOKEN` "
                              "(`python -m dragdl_core users token NAME`).",
                  docs_url=f"{PREFIX}/docs", redoc_url=None, openapi_url=f"{PREFIX}/openapi.json")
    for module in (validation, tasks, predictions, exports):
        app.include_router(module.router, prefix=PREFIX)
    errors.install(app)
    app.add_middleware(SizeLimit)
    return app
