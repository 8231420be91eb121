"""Hyper-parameter sweeps: one ordinary task per combination of varied parameters.

`--vary NODE.PARAM=V1,V2,...` lists values (a grid: every combination is a task); with `search="tpe"`,
`--vary NODE.PARAM=LOW..HIGH[,log]` gives a range and Optuna (ask-and-tell) proposes `trials` points in it.
Every value is checked against the parameter's own declaration (the error names node.param) and every
combination's graph is validated before anything is queued, so a sweep is queued whole or not at all.

The tasks are ordinary tasks (service.submit): fair order across students, the class's quota counted per task
(the first submit checks that the whole sweep fits), stop/retry each one. A sweep is remembered in
`<home>/sweeps/<ID>.json`; a TPE sweep keeps its Optuna study in `<home>/sweeps/<ID>.db` (SQLite, no server).
Optuna learns a trial's result (best validation accuracy) when the sweep is next read (`sync`): all trials are
asked at submit time so they queue fairly with everyone's tasks, which makes the first batch TPE's random
start-up; a second sweep continuing the same study would be guided by the first (see docs/tuning.md)."""
from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .. import config, rundir
from ..compiler import registry
from ..compiler.graph import Graph
from ..compiler.params import Float, Int, ParamError
from ..compiler.validate import analyze
from . import service
from .errors import TaskError, TaskNotFound

SPEC = re.compile(r"^(?P<node>[^.=\s]+)\.(?P<param>[^=\s]+)=(?P<values>.+)$")
RANGE = re.compile(r"^(?P<low>[^,]+)\.\.(?P<high>[^,]+)(?P<log>,\s*log)?$")
MAX_TASKS = 64  # one sweep queues at most this many tasks
SEARCHES = ("grid", "tpe")


class SweepError(TaskError):
    """A sweep that cannot be queued; the message names the --vary spec or node.param at fault."""


@dataclass
class Vary:
    node: str
    param: str
    values: list = field(default_factory=list)  # grid values, checked
    low: float | None = None                    # a range (TPE)
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def key(self) -> str:
        return f"{self.node}.{self.param}"

    def to_json(self) -> dict:
        return {"key": self.key, "values": self.values, "low": self.low, "high": self.high, "log": self.log}


def _value(text: str):
    """One value as typed: JSON when it reads as JSON (numbers, true/false, null), else the text itself."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_vary(spec: str, graph: dict, search: str = "grid") -> Vary:
    """`NODE.PARAM=V1,V2` (or `LOW..HIGH[,log]` for TPE) checked against the graph's node and its declaration."""
    match = SPEC.match(spec.strip())
    if not match:
        raise SweepError(f"--vary {spec!r}: expected NODE.PARAM=V1,V2,... (or NODE.PARAM=LOW..HIGH[,log] with "
                         "--search tpe)")
    node_id, name = match["node"], match["param"]
    node = next((n for n in graph.get("nodes", []) if n.get("id") == node_id), None)
    if node is None:
        raise SweepError(f"--vary {spec!r}: the graph has no node '{node_id}'")
    node_type = registry.get(node.get("type"))
    declared = node_type.params.get(name) if node_type else None
    if declared is None:
        known = ", ".join(node_type.params) if node_type else "none"
        raise SweepError(f"{node_id}.{name}: {node.get('type')} has no parameter '{name}' (it has: {known})")
    where = f"{node_id}.{name}"
    vary = Vary(node_id, name)
    ranged = RANGE.match(match["values"].strip())
    if ranged and search == "tpe":
        if not isinstance(declared, (Int, Float)):
            raise SweepError(f"{where}: a range LOW..HIGH needs a number parameter; list values instead")
        vary.integer = isinstance(declared, Int)
        try:
            vary.low, vary.high = (declared.check(_value(ranged[k]), where) for k in ("low", "high"))
        except ParamError as err:
            raise SweepError(str(err)) from None
        if not vary.low < vary.high:
            raise SweepError(f"{where}: the range {vary.low}..{vary.high} is empty (LOW must be below HIGH)")
        vary.log = bool(ranged["log"])
        if vary.log and vary.low <= 0:
            raise SweepError(f"{where}: a log range must start above 0, got {vary.low}")
        return vary
    if ranged:
        raise SweepError(f"{where}: a range LOW..HIGH needs --search tpe; a grid lists values V1,V2,...")
    for text in match["values"].split(","):
        try:
            vary.values.append(declared.check(_value(text), where))
        except ParamError as err:
            raise SweepError(str(err)) from None
    if len(vary.values) != len(set(map(json.dumps, vary.values))):
        raise SweepError(f"{where}: a value is listed twice")
    return vary


def sweeps_dir() -> Path:
    return config.home() / "sweeps"


def _path(sweep_id: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{8,32}", str(sweep_id)):
        raise TaskNotFound(sweep_id)
    return sweeps_dir() / f"{sweep_id}.json"


def exists(sweep_id: str) -> bool:
    try:
        return _path(sweep_id).is_file()
    except TaskNotFound:
        return False


def read(sweep_id: str) -> dict:
    try:
        return json.loads(_path(sweep_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SweepError(f"no sweep '{sweep_id}'") from None


def _with_values(graph: dict, values: dict) -> dict:
    out = copy.deepcopy(graph)
    nodes = {n["id"]: n for n in out["nodes"]}
    for key, value in values.items():
        node, param = key.split(".", 1)
        nodes[node].setdefault("params", {})[param] = value
    return out


def _label(values: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def _check_graphs(graphs: list[dict]) -> None:
    for values, graph in graphs:
        errors = analyze(graph).errors
        if errors:
            first = errors[0]
            where = f"{first['node']}.{first['field']}" if first.get("node") and first.get("field") else "graph"
            raise SweepError(f"{where}: with {_label(values)}: {first['message']}")


def study_storage(sweep_id: str) -> str:
    return f"sqlite:///{sweeps_dir() / (sweep_id + '.db')}"


def _optuna():
    import optuna  # only for TPE sweeps: it takes a second to import

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _distribution(optuna, vary: Vary):
    if vary.integer:
        return optuna.distributions.IntDistribution(int(vary.low), int(vary.high), log=vary.log)
    return optuna.distributions.FloatDistribution(float(vary.low), float(vary.high), log=vary.log)


def submit_sweep(graph, user: str, varies: list[str], *, search: str = "grid", trials: int | None = None,
                 name: str | None = None, actor=None, assignment: str | None = None, seed: int | None = None) -> dict:
    """Queue a sweep: {"sweep": ID, "tasks": [ids]}. SweepError / InvalidGraph / LimitExceeded as submit's."""
    if search not in SEARCHES:
        raise SweepError(f"--search must be one of {', '.join(SEARCHES)}, got {search!r}")
    if isinstance(graph, Graph):
        graph = json.loads(graph.to_json())
    elif isinstance(graph, (str, bytes)):
        graph = json.loads(graph)
    if not varies:
        raise SweepError("a sweep needs at least one --vary NODE.PARAM=...")
    parsed = [parse_vary(spec, graph, search) for spec in varies]
    keys = [v.key for v in parsed]
    if len(set(keys)) != len(keys):
        raise SweepError(f"{next(k for k in keys if keys.count(k) > 1)} is varied twice; give it one --vary")
    sweep_id = secrets.token_hex(6)
    sweeps_dir().mkdir(parents=True, exist_ok=True)
    trial_numbers: list[int | None]
    if search == "grid":
        if trials is not None:
            raise SweepError("--trials goes with --search tpe; a grid sweep runs every combination")
        combos = [dict(zip(keys, values)) for values in itertools.product(*(v.values for v in parsed))]
        trial_numbers = [None] * len(combos)
        study = None
    else:
        if not trials or trials < 1:
            raise SweepError("--search tpe needs --trials N (at least 1)")
        if trials > MAX_TASKS:
            raise SweepError(f"--trials {trials}: a sweep runs at most {MAX_TASKS} tasks")
        optuna = _optuna()
        study = optuna.create_study(study_name=sweep_id, storage=study_storage(sweep_id), direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        # a listed parameter inside a TPE sweep is a categorical choice
        space = {v.key: optuna.distributions.CategoricalDistribution(v.values) if v.values
                 else _distribution(optuna, v) for v in parsed}
        combos, trial_numbers = [], []
        for _ in range(trials):
            trial = study.ask(space)
            combos.append({key: trial.params[key] for key in keys})
            trial_numbers.append(trial.number)
    if len(combos) > MAX_TASKS:
        raise SweepError(f"{len(combos)} combinations: a sweep runs at most {MAX_TASKS} tasks; vary fewer values")
    graphs = [(values, _with_values(graph, values)) for values in combos]
    try:
        _check_graphs(graphs)
        base = name or graph.get("name") or "sweep"
        ids: list[str] = []
        try:
            for left, ((values, g), number) in enumerate(zip(graphs, trial_numbers)):
                ids.append(service.submit(g, user, name=f"{base} [{_label(values)}]", actor=actor,
                                          assignment=assignment, sweep=sweep_id,
                                          reserve=len(graphs) - left))
        except BaseException:
            for task_id in ids:  # queued whole or not at all
                try:
                    service.delete(task_id, actor=actor)
                except TaskError:
                    pass
            raise
    except BaseException:
        if study is not None:
            Path(study_storage(sweep_id).removeprefix("sqlite:///")).unlink(missing_ok=True)
        raise
    record = {"id": sweep_id, "user": user, "graph": graph, "search": search, "vary": [v.to_json() for v in parsed],
              "tasks": [{"id": t, "values": values, "trial": number}
                        for t, (values, _), number in zip(ids, graphs, trial_numbers)], "told": []}
    rundir.atomic_write(_path(sweep_id), json.dumps(record, indent=1))
    return {"sweep": sweep_id, "tasks": ids}


def best_val_accuracy(run_dir) -> float | None:
    values = [e.get("val_accuracy") for e in rundir.read_metrics(Path(run_dir)).epochs]
    values = [v for v in values if isinstance(v, (int, float))]
    return max(values) if values else None


def sync(sweep_id: str, tasks: list[dict]) -> None:
    """Tell Optuna the results of the sweep's finished trials it has not heard of (a TPE sweep's study)."""
    record = read(sweep_id)
    if record.get("search") != "tpe":
        return
    states = {t["id"]: t for t in tasks}
    pending = [t for t in record["tasks"] if t["trial"] is not None and t["trial"] not in record["told"]
               and states.get(t["id"], {}).get("state") in rundir.FINAL_STATES]
    if not pending:
        return
    optuna = _optuna()
    study = optuna.load_study(study_name=sweep_id, storage=study_storage(sweep_id))
    for entry in pending:
        task = states[entry["id"]]
        value = best_val_accuracy(task["run_dir"]) if task["state"] == "succeeded" else None
        if value is None:
            study.tell(entry["trial"], state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(entry["trial"], value)
        record["told"].append(entry["trial"])
    rundir.atomic_write(_path(sweep_id), json.dumps(record, indent=1))


def results(sweep_id: str, tasks: list[dict]) -> list[dict]:
    """The sweep's tasks with their varied values and best validation accuracy, best first."""
    record = read(sweep_id)
    by_id = {t["id"]: t for t in tasks}
    rows = []
    for entry in record["tasks"]:
        task = by_id.get(entry["id"])
        if task is None:
            continue  # deleted
        rows.append({**task, "sweep": sweep_id, "values": entry["values"], "trial": entry["trial"],
                     "val_accuracy": best_val_accuracy(task["run_dir"])})
    return sorted(rows, key=lambda r: -1 if r["val_accuracy"] is None else r["val_accuracy"], reverse=True)


def task_ids(sweep_id: str) -> list[str]:
    return [t["id"] for t in read(sweep_id)["tasks"]]
