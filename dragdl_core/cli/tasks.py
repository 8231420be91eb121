"""tasks submit | list | status | stop | retry | logs | delete | recover: the task service from the command
line."""
from __future__ import annotations

import datetime
import json
import sys

from . import UserError
from ..classroom.users import LOCAL_USER
from .common import add_json_option, load_graph_file, print_errors, print_json

DEFAULT_USER = LOCAL_USER


def _service():
    from .. import tasks  # Redis client imported only for these commands

    return tasks


def _call(action, *args, **kwargs):
    """Run a service call, turning its refusals into one-line user errors."""
    try:
        return action(*args, **kwargs)
    except _service().TaskError as err:
        raise UserError(str(err)) from None


def _when(epoch: float | None) -> str:
    return datetime.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M") if epoch else "-"


def _line(task: dict) -> str:
    extra = ""
    if task["state"] == "queued" and task["queue_position"]:
        extra = f"#{task['queue_position']} in queue"
    elif task["state"] == "running":
        extra = f"{task['progress']:.0%}" + (f", ~{task['eta_seconds']:.0f} s left" if task["eta_seconds"] else "")
    elif task["state"] == "succeeded" and task["accuracy"] is not None:
        extra = f"test accuracy {task['accuracy']:.3f}"
    elif task["error"]:
        extra = task["error"]
    return f"{task['id']}  {task['user']:<12} {task['state']:<9} {_when(task['created'])}  {task['name'][:28]:<28} {extra}"


def cmd_submit(args) -> int:
    graph = load_graph_file(args.graph)
    tasks = _service()
    try:
        task_id = tasks.submit(graph, args.user, name=args.name, assignment=args.assignment)
    except tasks.InvalidGraph as err:
        if args.json:
            print_json({"errors": err.errors})
        return print_errors(err.errors, as_json=False)  # the same lines on stderr either way
    except tasks.TaskError as err:
        raise UserError(str(err)) from None
    print(json.dumps({"id": task_id}) if args.json else task_id)
    return 0


def cmd_sweep(args) -> int:
    graph = load_graph_file(args.graph)
    tasks = _service()
    from ..tasks import sweeps

    try:
        result = sweeps.submit_sweep(graph, args.user, args.vary or [], search=args.search, trials=args.trials,
                                     name=args.name, assignment=args.assignment, seed=args.seed)
    except tasks.InvalidGraph as err:
        return print_errors(err.errors, as_json=False)
    except tasks.TaskError as err:
        raise UserError(str(err)) from None
    if args.json:
        print_json(result)
    else:
        print(f"sweep {result['sweep']}: {len(result['tasks'])} tasks queued ({' '.join(result['tasks'])}); "
              f"follow them with `tasks list --sweep {result['sweep']}`")
    return 0


def _sweep_rows(sweep_id: str, user: str | None) -> list[dict]:
    from ..tasks import listing as tasks_listing
    from ..tasks import sweeps

    if not sweeps.exists(sweep_id):
        raise UserError(f"no sweep '{sweep_id}' (the id `tasks sweep` printed)")
    listing = [t for t in _call(tasks_listing.list_tasks, user) if t.get("sweep") == sweep_id]
    _call(sweeps.sync, sweep_id, listing)
    return sweeps.results(sweep_id, listing)


def cmd_list(args) -> int:
    from ..tasks import listing as tasks_listing  # the app lists with it too, so the two agree

    if args.sweep:
        rows = _sweep_rows(args.sweep, args.user)
        if args.json:
            print_json(rows)
        for row in [] if args.json else rows:
            val = "-" if row["val_accuracy"] is None else f"{row['val_accuracy']:.3f}"
            print(f"{row['id']}  {row['state']:<9} val {val}  " +
                  ", ".join(f"{k}={v}" for k, v in row["values"].items()))
        return 0
    listing = _call(tasks_listing.list_tasks, args.user)
    if args.json:
        print_json(listing)
    elif not listing:
        print("no tasks" + (f" for {args.user}" if args.user else ""))
    else:
        for task in listing:
            print(_line(task))
    return 0


def cmd_status(args) -> int:
    task = _call(_service().status, args.id)
    if args.json:
        print_json(task)
    else:
        print(_line(task))
        print(f"run directory: {task['run_dir']}")
    return 0


def _sweep_ids(task_or_sweep: str) -> list[str] | None:
    """The task ids of a sweep when the id names one (stop/retry apply to the whole sweep), else None."""
    from ..tasks import sweeps

    return sweeps.task_ids(task_or_sweep) if sweeps.exists(task_or_sweep) else None


def cmd_stop(args) -> int:
    members = _sweep_ids(args.id)
    if members is not None:
        for task_id in members:
            state = _call(_service().status, task_id)["state"]
            if state in ("queued", "running"):
                print(f"{task_id}: {_call(_service().stop, task_id, wait=args.wait)['state']}")
        return 0
    task = _call(_service().stop, args.id, wait=args.wait)
    print(f"{args.id}: {task['state']}" + (" (stop requested; it ends within seconds)"
                                           if task["state"] == "running" else ""))
    return 0


def cmd_retry(args) -> int:
    members = _sweep_ids(args.id)
    if members is not None:
        for task_id in members:
            if _call(_service().status, task_id)["state"] in ("failed", "stopped"):
                print(f"{task_id}: {_call(_service().retry, task_id)['state']} again")
        return 0
    task = _call(_service().retry, args.id)
    print(f"{args.id}: {task['state']} again; it resumes from the last finished epoch")
    return 0


def cmd_delete(args) -> int:
    _call(_service().delete, args.id)
    print(f"{args.id}: deleted")
    return 0


def cmd_logs(args) -> int:
    if args.tail < 1:
        raise UserError("--tail must be at least 1")
    sys.stdout.write(_call(_service().logs, args.id, tail=args.tail))
    return 0


def cmd_recover(args) -> int:
    from ..tasks.recovery import recover

    found = _call(recover)
    print(f"recovered {len(found)} task(s) from their run directories" + (": " + " ".join(found) if found else ""))
    return 0


def register(sub) -> None:
    tasks = sub.add_parser("tasks", help="submit graphs as tasks and watch, stop, retry or delete them")
    commands = tasks.add_subparsers(dest="tasks_command", required=True, metavar="ACTION")

    p = commands.add_parser("submit", help="queue a graph for training; prints the task id")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("--user", default=DEFAULT_USER, help=f"owner of the task (default {DEFAULT_USER})")
    p.add_argument("--name", help="task name (default: the graph's name)")
    p.add_argument("--assignment", help="the assignment this task counts for on the leaderboard (default: the "
                                        "one named like the graph, if any)")
    add_json_option(p, 'print {"id": ...}')
    p.set_defaults(handler=cmd_submit)

    p = commands.add_parser("sweep", help="queue one task per combination of varied parameters (a grid), or "
                                          "--trials N proposed by Optuna's TPE in ranges")
    p.add_argument("graph", help="graph JSON file")
    p.add_argument("--vary", action="append", metavar="NODE.PARAM=V1,V2,...",
                   help="values to try (repeat for several parameters); with --search tpe also LOW..HIGH[,log]")
    p.add_argument("--search", choices=["grid", "tpe"], default="grid")
    p.add_argument("--trials", type=int, help="how many trials TPE proposes (with --search tpe)")
    p.add_argument("--seed", type=int, help="TPE's random seed (repeatable proposals)")
    p.add_argument("--user", default=DEFAULT_USER, help=f"owner of the tasks (default {DEFAULT_USER})")
    p.add_argument("--name", help="task name prefix (default: the graph's name)")
    p.add_argument("--assignment", help="the assignment the tasks count for")
    add_json_option(p, 'print {"sweep": ID, "tasks": [ids]}')
    p.set_defaults(handler=cmd_sweep)

    p = commands.add_parser("list", help="tasks, newest first (with runs on disk the service does not know, "
                                         "read-only, as the app shows them)")
    p.add_argument("--user", help="only this user's tasks")
    p.add_argument("--sweep", metavar="ID", help="only this sweep's tasks, best validation accuracy first")
    add_json_option(p)
    p.set_defaults(handler=cmd_list)

    p = _task_command(commands, "status", cmd_status, "one task's state, progress and result")
    add_json_option(p)
    p = _task_command(commands, "stop", cmd_stop, "stop a queued or running task (keeps metrics, log, checkpoints); "
                                                  "a sweep id stops the whole sweep")
    p.add_argument("--wait", type=float, default=15.0, help="seconds to wait for it to end (default 15)")
    _task_command(commands, "retry", cmd_retry, "queue a failed or stopped task again, resuming from its checkpoint; "
                                                "a sweep id retries its failed and stopped tasks")
    p = _task_command(commands, "logs", cmd_logs, "the end of a task's training log")
    p.add_argument("--tail", type=int, default=200, help="lines (default 200)")
    _task_command(commands, "delete", cmd_delete, "delete a task and its run directory (stops it first)")
    p = commands.add_parser("recover", help="rebuild the records of tasks whose run directories Redis does not "
                                            "know (after its data was lost; `up` does this at start)")
    p.set_defaults(handler=cmd_recover)


def _task_command(commands, name: str, handler, help_text: str):
    """A subcommand about one task: takes its id."""
    p = commands.add_parser(name, help=help_text)
    p.add_argument("id", help="task id (from `tasks submit` or `tasks list`)")
    p.set_defaults(handler=handler)
    return p
