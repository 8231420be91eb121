"""A DragDL worker: `python worker.py` runs one RQ worker with Paddle preloaded (see dragdl_core/tasks/worker.py).

Usually started for you: `python -m dragdl_core up` (everything) or `python -m dragdl_core worker --workers N`
(workers only, e.g. on another machine with the same REDIS_URL and a shared DRAGDL_HOME)."""
import sys

from dragdl_core.tasks.worker import main

if __name__ == "__main__":
    sys.exit(main())
