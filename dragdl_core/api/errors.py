"""Every failure is JSON `{"message": ...}` (plus `errors` for an invalid graph) with the HTTP status that
fits; never a traceback. Errors from the task service, the access policy and uploads map here, once."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..classroom.access import AccessDenied
from ..compiler.validate import without_detail
from ..tasks.errors import (Forbidden, InvalidGraph, InvalidUser, LimitExceeded, ServiceUnavailable, TaskConflict,
                            TaskError, TaskNotFound)
from ..serving.uploads import UploadError

log = logging.getLogger("dragdl.api")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def _reply(status: int, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status, headers=headers)


TASK_STATUSES = [(TaskNotFound, 404), (Forbidden, 403), (TaskConflict, 409), (LimitExceeded, 409),
                 (InvalidUser, 400), (ServiceUnavailable, 503), (TaskError, 400)]


def _task_error(request: Request, err: TaskError) -> JSONResponse:
    if isinstance(err, InvalidGraph):
        return _reply(422, str(err), errors=without_detail(err.errors))  # /validate gives instructors details
    status = next(code for kind, code in TASK_STATUSES if isinstance(err, kind))
    return _reply(status, str(err))


def _validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
    problems = err.errors()
    for problem in problems:
        if problem.get("type") == "json_invalid":
            where = problem.get("ctx", {}).get("error", "")
            return _reply(400, f"malformed JSON in the request body{': ' + str(where) if where else ''}")
    first = problems[0] if problems else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return _reply(422, f"{where}: {first.get('msg', 'invalid request')}")


def _http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
    return _reply(err.status_code, str(err.detail), getattr(err, "headers", None))


def _unexpected(request: Request, err: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _reply(500, "internal error: the server could not complete the request (see the API log)")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, lambda r, e: _reply(e.status, e.message, e.headers))
    app.add_exception_handler(TaskError, _task_error)
    app.add_exception_handler(AccessDenied, lambda r, e: _reply(403, str(e)))
    app.add_exception_handler(UploadError, lambda r, e: _reply(e.status, str(e)))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
