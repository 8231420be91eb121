"""The graph document (format `dragdl.graph`, versions 1 and 2): schema, JSON load/save and ordering."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "dragdl.graph"
VERSION = 1          # what new graphs get unless they branch
VERSIONS = (1, 2)    # 2: branches in the model part, Add/Concat merges, `input` on edges
MAX_NODES = 20_000


class GraphError(ValueError):
    """The document is not a graph at all (bad JSON, wrong format); carries one clear message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-1e7, le=1e7)]  # a canvas position, in pixels


class Node(_Strict):
    # Ids appear in generated code comments and file names: letters, digits and _ . : - only.
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")
    type: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)
    position: tuple[Coordinate, Coordinate] | None = None


class Edge(_Strict):
    source: str
    target: str
    # Version 2: the position of this input on a merge node (Concat joins in this order); None elsewhere.
    input: int | None = Field(default=None, ge=0, le=MAX_NODES)


class Graph(_Strict):
    format: Literal["dragdl.graph"] = FORMAT
    version: Literal[1, 2] = VERSION
    name: str = Field(default="untitled", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    nodes: list[Node] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[Edge] = Field(default_factory=list, max_length=MAX_NODES)

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def to_dict(self) -> dict:
        data = self.model_dump(mode="json", exclude_none=True)
        for node in data["nodes"]:
            if "position" in node:
                node["position"] = list(node["position"])
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "graph"
    return f"{where}: {first['msg']}"


def parse_graph(data: Any) -> Graph:
    """A Graph from already-decoded JSON, or GraphError with one clear line."""
    if not isinstance(data, dict):
        raise GraphError(f"not a DragDL graph: expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise GraphError(f"not a DragDL graph: 'format' must be \"{FORMAT}\"")
    if data.get("version") not in VERSIONS:
        raise GraphError(f"unsupported graph version {data.get('version')!r}; this DragDL reads versions "
                         f"{' and '.join(map(str, VERSIONS))}")
    try:
        return Graph.model_validate(data)
    except ValidationError as err:
        raise GraphError(f"bad graph: {_describe(err)}") from None


MAX_GRAPH_BYTES = 16 << 20  # a 20,000-node graph is ~3 MB of JSON


def load_graph(source) -> Graph:
    """A graph from JSON text (an upload, a request body) or decoded JSON (a dict). Text is only ever
    parsed, never taken for a path: a browser must not be able to make the server read a file. Python
    callers holding a `pathlib.Path` get `read_graph_file` (the command line's way)."""
    if isinstance(source, Path):
        return read_graph_file(source)
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise GraphError("not valid JSON: the text is not UTF-8") from None
    if not isinstance(source, str):
        return parse_graph(source)
    if len(source) > MAX_GRAPH_BYTES:
        raise GraphError(f"the graph is larger than {MAX_GRAPH_BYTES >> 20} MB")
    try:
        data = json.loads(source)
    except json.JSONDecodeError as err:
        raise GraphError(f"not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None
    except RecursionError:
        raise GraphError("not valid JSON: nested too deeply") from None
    except ValueError as err:  # e.g. an integer of more than 4,300 digits
        raise GraphError(f"not valid JSON: {str(err)[:120]}") from None
    return parse_graph(data)


def read_graph_file(path) -> Graph:
    """A graph from a regular file (the command line): no devices, FIFOs or files larger than a graph."""
    path = Path(path)
    try:
        if not path.is_file():
            raise GraphError(f"no such graph file: {path}" if not path.exists()
                             else f"{path} is not a regular file")
        if path.stat().st_size > MAX_GRAPH_BYTES:
            raise GraphError(f"{path} is larger than {MAX_GRAPH_BYTES >> 20} MB; not a graph")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GraphError(f"cannot read {path}: {err}") from None
    return load_graph(text)
