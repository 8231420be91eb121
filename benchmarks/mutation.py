"""Mutation testing of the core modules where a wrong answer is silent: does a small deliberate bug (a `<` made
`<=`, a constant changed, a call dropped) make some test fail? Not part of CI's time budget; run it by hand:

    python benchmarks/mutation.py                 # every group below, JOBS groups at a time
    python benchmarks/mutation.py safe_expr access # some groups

Each group runs mutmut (PyPI) in a scratch copy of the checkout (git's files only, so the work tree gets no
`mutants/` folder) on its modules, with the tests that exercise them, under `nice -n 19`. JOBS groups run at once
with CHILDREN test processes each (default 2 x 1: the two cores stay busy while one group is in a serial step,
mutmut's stats and clean runs, and the machine is shared); a group too long for one lane runs as shards
(SHARDS). Tests marked slow (real workers, training) or browser are left out: mutmut runs every test that
reaches a mutated function once per mutant; hypothesis does not shrink a failing example (tests/conftest.py's
"mutation" profile), since any failure kills the mutant. Prints one row
per group as it ends and the total: mutants, killed (of which timeouts), survived, equivalent (listed in
docs/testing.md with the reason), the score = killed / (all - equivalent), and the wall time.
Survivors that are not listed as equivalent are printed by name; `mutmut show NAME` in the scratch copy
(printed) shows the diff."""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOBS = 2      # groups at once
CHILDREN = 1  # test processes per group
EQUIVALENT_DOC = ROOT / "docs" / "testing.md"

# name: (modules to mutate, mutant-name globs (None: all in those modules), tests that exercise them)
GROUPS: dict[str, tuple[list[str], list[str] | None, list[str]]] = {
    "safe_expr": (["dragdl_core/compiler/safe_expr.py"], None, ["tests/test_safe_expr.py", "tests/test_validation.py"]),
    "validate": (["dragdl_core/compiler/validate.py"], None, ["tests/test_validate_messages.py", "tests/test_validation.py",
                                                     "tests/test_node_contract.py"]),
    "layers": (["dragdl_core/nodes/layers/*.py", "dragdl_core/nodes/model/classifier_head.py"],
               ["*infer_shape*", "*layer_shape*", "*window_output*"],
               ["tests/test_shape_properties.py", "tests/test_validation.py"]),
    "transforms": (["dragdl_core/nodes/transforms/*.py"],
                   ["*infer_shape*", "*transform_shape*", "*fits*", "*ǁcheck__*", "*eval_code*"],
                   ["tests/test_transform_shapes.py", "tests/test_shape_properties.py",
                    "tests/test_validation.py"]),
    "codegen": (["dragdl_core/compiler/codegen.py"], None, [
        "tests/test_codegen_script.py", "tests/test_validation.py", "tests/test_node_contract.py",
        "tests/test_ui_support.py::test_every_template_is_a_valid_graph_once_its_data_is_there",
        "tests/test_ui_support.py::test_model_summary_counts_parameters_as_paddle_does"]),
    "fair_queue": (["dragdl_core/classroom/scheduling.py", "dragdl_core/tasks/fair_queue.py"], None,
                   ["tests/test_scheduling_policy.py", "tests/test_fair_queue.py", "tests/test_classroom_tasks.py"]),
    "access": (["dragdl_core/classroom/access.py", "dragdl_core/tasks/access.py"], None,
               ["tests/test_access_policy.py", "tests/test_classroom_tasks.py",
                "tests/test_deployment_safety.py::test_a_student_is_shown_no_absolute_server_path"]),
    "archive": (["dragdl_core/stores/datasets/archive.py"], None,
                ["tests/test_archive_entries.py", "tests/test_datasets_import.py"]),
    "resume": (["dragdl_core/runtime/training.py"], ["*ǁRunǁresume__*", "*ǁRunǁ_checkpoint__*"],
               ["tests/test_resume.py"]),
}


# Groups too long for one lane run as shards, by the mutant number's last digit (each shard its own mutmut run
# in its own scratch copy), so both lanes share them.
SHARDS = {"validate": 2}
# Rough seconds per group (2 x 1, idle machine), only to start the longest first so the lanes end together.
EXPECTED_SECONDS = {"validate": 1500, "codegen": 300, "layers": 300, "fair_queue": 250, "safe_expr": 200,
                    "transforms": 150, "access": 150, "resume": 150, "archive": 60}


def equivalent_mutants() -> set[str]:
    """Mutant names listed in docs/testing.md's table of equivalent mutants (first column, in backticks)."""
    if not EQUIVALENT_DOC.exists():
        return set()
    return set(re.findall(r"^\|\s*`([^`]+__mutmut_\d+)`", EQUIVALENT_DOC.read_text(), re.M))


def scratch_copy() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dragdl-mutation-"))
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


def configure(folder: Path, modules: list[str], tests: list[str]) -> None:
    """mutmut reads [tool.mutmut] from pyproject.toml in the folder it runs in."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    config = ("\n[tool.mutmut]\n"
              'source_paths = ["dragdl_core"]\n'
              f"only_mutate = {json.dumps(modules)}\n"
              'also_copy = ["examples", "app", "pages", "worker.py", "requirements.txt", "pytest.ini"]\n'
              f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
              'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x", "-m", "not slow and not browser"]\n'
              "use_git_change_detection = false\n")
    (folder / "pyproject.toml").write_text(pyproject + config)
    shutil.rmtree(folder / "mutants", ignore_errors=True)


def results(folder: Path) -> dict[str, str]:
    """mutant name -> status, from `mutmut results --all true` (one `name: status` a line)."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=folder,
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" in name:
            found[name.strip()] = status.strip()
    return found


def shard_patterns(selection: list[str] | None, shard: int, shards: int) -> list[str] | None:
    """The group's mutant-name globs narrowed to the names whose number ends in this shard's digits."""
    if shards == 1:
        return selection
    digits = "".join(d for d in "0123456789" if int(d) % shards == shard)
    return [f"{pattern}[{digits}]" for pattern in (selection or ["*"])]


def run_group(name: str, keep: bool, children: int = CHILDREN, shard: int = 0, shards: int = 1) -> dict:
    modules, selection, tests = GROUPS[name]
    selection = shard_patterns(selection, shard, shards)
    folder = scratch_copy()
    configure(folder, modules, tests)
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1", DRAGDL_HYPOTHESIS_PROFILE="mutation")
    started = time.perf_counter()
    log = folder / "mutmut.log"
    with open(log, "w") as out:
        subprocess.run(["nice", "-n", "19", sys.executable, "-m", "mutmut", "run",
                        "--max-children", str(children), *(selection or [])],
                       cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    statuses = results(folder)
    if selection:
        from fnmatch import fnmatch
        statuses = {k: v for k, v in statuses.items() if any(fnmatch(k, s) for s in selection)}
    equivalent = equivalent_mutants()
    row = {"group": name, "shard": f"{shard + 1}/{shards}", "mutants": len(statuses), "seconds": round(seconds),
           "killed": sum(s in ("killed", "timeout") for s in statuses.values()),
           "timeouts": sum(s == "timeout" for s in statuses.values()),
           "equivalent": sorted(k for k, s in statuses.items() if k in equivalent and s not in ("killed", "timeout")),
           "survivors": sorted(k for k, s in statuses.items()
                               if s not in ("killed", "timeout") and k not in equivalent),
           "statuses": statuses, "folder": str(folder), "log": str(log)}
    if not keep and not row["survivors"]:
        shutil.rmtree(folder, ignore_errors=True)
    return row


def merge(rows: list[dict]) -> dict:
    """One row for a group run in shards: their mutants together, their times added (lane time)."""
    if len(rows) == 1:
        return rows[0]
    statuses = {k: v for r in rows for k, v in r["statuses"].items()}
    return {"group": rows[0]["group"], "shard": f"{len(rows)} shards", "mutants": len(statuses),
            "seconds": sum(r["seconds"] for r in rows), "killed": sum(r["killed"] for r in rows),
            "timeouts": sum(r["timeouts"] for r in rows),
            "equivalent": sorted(k for r in rows for k in r["equivalent"]),
            "survivors": sorted(k for r in rows for k in r["survivors"]), "statuses": statuses,
            "folder": " ".join(r["folder"] for r in rows), "log": " ".join(r["log"] for r in rows)}


def score(killed: int, total: int, equivalent: int) -> str:
    counted = total - equivalent
    return f"{100 * killed / counted:.1f}%" if counted else "-"


def print_row(name: str, row: dict) -> None:
    print(f"{name:<11} {row['mutants']:>7} {row['killed']:>6} {row['timeouts']:>5} {len(row['equivalent']):>6} "
          f"{len(row['survivors']):>8} {score(row['killed'], row['mutants'], len(row['equivalent'])):>7} "
          f"{row['seconds']:>6}s", flush=True)
    for survivor in row["survivors"]:
        print(f"    survived: {survivor} ({row['statuses'][survivor]})   [mutmut show in {row['folder']}]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies (for `mutmut show`)")
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"groups at once (default {JOBS})")
    parser.add_argument("--children", type=int, default=CHILDREN,
                        help=f"test processes per group (default {CHILDREN})")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group {unknown[0]!r}; choose from {', '.join(GROUPS)}")
    units = [(name, shard, SHARDS.get(name, 1)) for name in args.groups or list(GROUPS)
             for shard in range(SHARDS.get(name, 1))]
    units.sort(key=lambda u: -EXPECTED_SECONDS.get(u[0], 0) / u[2])
    rows = []
    started = time.perf_counter()
    print(f"{'group':<11} {'mutants':>7} {'killed':>6} {'(t/o)':>5} {'equiv.':>6} {'survived':>8} {'score':>7} "
          f"{'time':>7}", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        running = {pool.submit(run_group, name, args.keep, args.children, shard, shards): name
                   for name, shard, shards in units}
        parts: dict[str, list[dict]] = {}
        for done in as_completed(running):
            name = running[done]
            parts.setdefault(name, []).append(done.result())
            if len(parts[name]) == SHARDS.get(name, 1):
                rows.append(merge(parts[name]))
                print_row(name, rows[-1])
    wall = time.perf_counter() - started
    total = sum(r["mutants"] for r in rows)
    killed = sum(r["killed"] for r in rows)
    equivalent = sum(len(r["equivalent"]) for r in rows)
    print(f"{'total':<11} {total:>7} {killed:>6} {sum(r['timeouts'] for r in rows):>5} {equivalent:>6} "
          f"{total - killed - equivalent:>8} {score(killed, total, equivalent):>7} {round(wall):>6}s wall "
          f"({args.jobs} groups at once x {args.children} test processes; the groups' own times add up to "
          f"{sum(r['seconds'] for r in rows)} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
