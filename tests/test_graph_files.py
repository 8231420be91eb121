"""No path from the browser to a file: graph text is parsed as JSON only; reading a file is the command
line's own function, and it reads regular files only."""
import json
import os
import subprocess
import sys
import threading

import pytest

from conftest import ROOT, example
from dragdl_core.compiler.graph import GraphError, load_graph, read_graph_file


@pytest.fixture
def secret_graph(tmp_path):
    """A valid graph file on the server; an upload that names it must not load it."""
    path = tmp_path / "server-side.json"
    path.write_text(json.dumps(example("digits-cnn.json")))
    return path


def test_text_that_names_a_file_is_not_json_and_the_file_is_not_read(secret_graph, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # reading it would block forever
    for text in (str(secret_graph), "/etc/passwd", "/dev/zero", str(fifo), f"  {secret_graph}"):
        done = {}
        worker = threading.Thread(target=lambda: done.setdefault("err", pytest.raises(GraphError, load_graph, text)))
        worker.start()
        worker.join(10)
        assert not worker.is_alive(), f"load_graph({text!r}) is reading a file"
        assert "not valid JSON" in str(done["err"].value)


def test_the_command_line_reads_regular_files_only(secret_graph, tmp_path):
    assert read_graph_file(secret_graph).name == "digits-small-cnn"
    assert read_graph_file(str(secret_graph)).name == "digits-small-cnn"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, message in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"),
                          (tmp_path / "missing.json", "no such graph file")):
        with pytest.raises(GraphError, match=message):
            read_graph_file(path)


def test_validate_on_a_device_is_one_line_and_exit_2(python_env):
    out = subprocess.run([sys.executable, "-m", "dragdl_core", "validate", "/dev/zero"], cwd=ROOT, env=python_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr == "error: /dev/zero is not a regular file\n", out.stderr
