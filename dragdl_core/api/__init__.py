"""DragDL's REST API (FastAPI), one module per noun: validation, tasks, predictions, exports.

`up` serves it with uvicorn (`python -m uvicorn dragdl_core.api:create_app --factory`); every route is
under /api, the interactive docs at /api/docs and the schema at /api/openapi.json. Callers authenticate with
`Authorization: Bearer TOKEN` (`users token NAME`); an instance without accounts serves only clients on the
same machine. The access rules are dragdl_core.classroom.access's, as for the app and the command line."""
from .app import create_app

__all__ = ["create_app"]
