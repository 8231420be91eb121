"""Paddle imported without its start-up chatter on the terminal: it prints "WARNING: OMP_NUM_THREADS set to
N, not 1 ... PLEASE USE OMP_NUM_THREADS WISELY." whenever more than one thread is asked for (as DragDL does on
purpose, see dragdl_core/runtime/__init__.py), plus Python warnings about its build. Importing this module
imports Paddle with stderr captured; `Run` copies what was said into the run's log.txt."""
from __future__ import annotations

import contextlib
import io
import sys
import warnings

said = ""  # what Paddle printed while importing, for the log


def import_paddle():
    """`import paddle`, its stderr output kept in `said` instead of shown (once per process)."""
    global said
    if "paddle" not in sys.modules:
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import paddle  # noqa: F401
        said = buffer.getvalue().strip()
    return sys.modules["paddle"]


import_paddle()
