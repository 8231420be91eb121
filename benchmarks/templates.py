"""The Build page's templates, trained as shipped: test accuracy and seconds for each, beside what the
template picker promises (dragdl_core/compiler/templates.EXAMPLES), so those figures come from a command
anyone can run again rather than from one-off runs.

    python benchmarks/templates.py                      # every template whose data ships (~10 min on 2 cores)
    python benchmarks/templates.py digits-small-cnn     # only these

Each template runs with its own settings through `python -m dragdl_core run` (the same path as a worker),
offline, in a temporary DRAGDL_HOME and datasets folder (or --work DIR). The ImageFolder template gets the
dataset it asks for from `datasets demo`; a template whose dataset needs a download is skipped when this
machine does not have it, saying so. Seconds are wall time of the whole command (Python and Paddle start-up,
data, training, test, export), so they depend on the machine's load: the table starts with `uptime`."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dragdl_core.compiler.templates import EXAMPLES, download_dataset, load_template, templates  # noqa: E402


def _env(work: Path) -> dict:
    return dict(os.environ, DRAGDL_HOME=str(work / "home"), DRAGDL_DATASETS=str(work / "datasets"),
                PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")


def _cli(work: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dragdl_core", *args], cwd=ROOT, env=_env(work),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def missing_download(graph: dict) -> str | None:
    """Why this template cannot run offline here (its dataset is not downloaded), or None."""
    node_type = download_dataset(graph)
    if node_type is not None and node_type.missing_files():
        return f"{node_type.name} is not downloaded (`python -m dragdl_core datasets fetch {node_type.name}`)"
    return None


def measure(title: str, path: Path, work: Path) -> dict:
    graph = load_template(title)
    reason = missing_download(graph)
    if reason:
        return {"template": title, "skipped": reason}
    for node in graph["nodes"]:
        if node["type"] == "ImageFolder" and not (work / "datasets" / node["params"]["name"]).is_dir():
            _cli(work, "datasets", "demo", node["params"]["name"])  # what the template's line asks for
    run_dir = work / "runs" / title
    started = time.perf_counter()
    _cli(work, "run", str(path), "--run-dir", str(run_dir))
    seconds = time.perf_counter() - started
    report = json.loads((run_dir / "report.json").read_text())
    return {"template": title, "accuracy": report["accuracy"], "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="template names (default: all of EXAMPLES)")
    parser.add_argument("--work", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="dragdl-templates-"))
    (work / "datasets").mkdir(parents=True, exist_ok=True)
    (work / "home").mkdir(parents=True, exist_ok=True)
    found = templates()
    titles = args.only or list(EXAMPLES)
    unknown = [t for t in titles if t not in found]
    if unknown:
        parser.error(f"unknown template(s): {', '.join(unknown)}")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}; "
          f"{os.cpu_count()} cores")
    print("| # | template | test accuracy | seconds | the picker says |")
    print("|---|---|---|---|---|")
    for title in titles:
        number = list(EXAMPLES).index(title) + 1 if title in EXAMPLES else ""
        _, accuracy, duration = EXAMPLES.get(title, ("", None, None))
        promised = f"~{accuracy} in ~{duration}" if accuracy else "—"
        row = measure(title, found[title], work)
        if "skipped" in row:
            print(f"| {number} | {title} | — | — | skipped: {row['skipped']} |", flush=True)
        else:
            print(f"| {number} | {title} | {row['accuracy']:.1%} | {row['seconds']:.0f} | {promised} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
