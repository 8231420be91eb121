"""Several hosts, on one machine: a worker in a network namespace of its own (as if on another host) joins
the instance through REDIS_URL - the instance's Redis over a network address, with its password - and the
shared home, and trains a task there.

The test creates the namespace and a veth pair between it and this machine, with addresses from a private
range used only on that pair; the namespace has no other way out (its loopback is its own, so the worker
cannot reach Redis through 127.0.0.1). Skipped, saying why, where namespaces cannot be created."""
from __future__ import annotations

import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import uuid

import pytest
import redis

from conftest import ROOT
from dragdl_core import tasks
from dragdl_core.tasks import jobs
from dragdl_core.tasks.redis_server import executable as redis_executable
from task_service import tiny_graph, wait_for
from ui_browser import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30)


def unused_pair() -> tuple[str, str]:
    """Two addresses of a /30 in 10.213.0.0/16 that no interface or route of this machine uses."""
    taken = run("ip", "-4", "route", "show", "table", "all").stdout + run("ip", "-4", "addr").stdout
    for _ in range(50):
        net = ipaddress.ip_network(f"10.213.{random.randrange(256)}.{4 * random.randrange(64)}/30")
        prefix = ".".join(str(net.network_address).split(".")[:3]) + "."
        if prefix not in taken:
            hosts = list(net.hosts())
            return str(hosts[0]), str(hosts[1])
    pytest.skip("no free /30 in 10.213.0.0/16 for the test's veth pair")


@pytest.fixture
def namespace():
    """A network namespace joined to this machine by a veth pair; yields (name, host address, its address)."""
    if not shutil.which("ip"):
        pytest.skip("needs the `ip` command (iproute2) to create a network namespace")
    tag = uuid.uuid4().hex[:6]
    name, host_if, ns_if = f"dragdl-{tag}", f"dgh{tag}", f"dgw{tag}"
    created = run("ip", "netns", "add", name)
    if created.returncode != 0:
        pytest.skip(f"cannot create a network namespace here ({created.stderr.strip() or 'not permitted'}); "
                    "run as root or with CAP_NET_ADMIN")
    host_ip, ns_ip = unused_pair()
    try:
        for argv in (["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
                     ["ip", "link", "set", ns_if, "netns", name],
                     ["ip", "addr", "add", f"{host_ip}/30", "dev", host_if],
                     ["ip", "link", "set", host_if, "up"],
                     ["ip", "netns", "exec", name, "ip", "addr", "add", f"{ns_ip}/30", "dev", ns_if],
                     ["ip", "netns", "exec", name, "ip", "link", "set", ns_if, "up"],
                     ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]):
            done = run(*argv)
            if done.returncode != 0:
                pytest.skip(f"cannot set up the namespace's network: {' '.join(argv)}: {done.stderr.strip()}")
        yield name, host_ip, ns_ip
    finally:
        for pid in run("ip", "netns", "pids", name).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run("ip", "netns", "del", name)          # takes its end of the pair, and so the pair, with it
        run("ip", "link", "del", host_if)         # in case the namespace was never given its end
        assert name not in run("ip", "netns", "list").stdout


@pytest.fixture
def network_redis(namespace, tmp_path, monkeypatch):
    """The instance's Redis, with a password, listening on loopback and on this machine's end of the pair."""
    _, host_ip, _ = namespace
    port, password = free_port(), secrets.token_urlsafe(16)
    folder = tmp_path / "redis"
    folder.mkdir()
    conf = folder / "redis.conf"
    conf.write_text(f"requirepass {password}\n")
    conf.chmod(0o600)
    process = subprocess.Popen([redis_executable(), str(conf), "--port", str(port), "--bind", "127.0.0.1", host_ip,
                                "--dir", str(folder), "--save", "", "--appendonly", "yes",
                                "--protected-mode", "yes", "--daemonize", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = f"redis://:{password}@127.0.0.1:{port}/0"

    def answers():
        try:
            return redis.Redis.from_url(local, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    wait_for(answers, 20, "the test's Redis")
    monkeypatch.setenv("REDIS_URL", local)
    yield {"port": port, "password": password, "remote": f"redis://:{password}@{host_ip}:{port}/0"}
    process.terminate()
    process.wait(15)


def test_a_worker_on_another_host_trains_a_task_through_redis_url(namespace, network_redis, isolated_home,
                                                                   tmp_path):
    name, host_ip, ns_ip = namespace
    # Without the password the instance's Redis refuses the other host (and it cannot use 127.0.0.1 at all).
    probe = run("ip", "netns", "exec", name, sys.executable, "-c",
                "import redis, sys; r = redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), socket_timeout=3)\n"
                "try:\n    r.ping()\nexcept redis.AuthenticationError:\n    print('auth required')\n"
                "except redis.ResponseError as e:\n    print('auth required' if 'NOAUTH' in str(e) else e)\n",
                host_ip, str(network_redis["port"]))
    assert probe.stdout.strip() == "auth required", probe.stderr

    env = {k: v for k, v in os.environ.items() if k != "DRAGDL_CONFIG"}
    env.update(REDIS_URL=network_redis["remote"], DRAGDL_HOME=str(isolated_home), PYTHONPATH=str(ROOT),
               PYTHONWARNINGS="ignore")
    log = tmp_path / "remote-worker.log"
    worker = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-m", "dragdl_core", "worker",
                               "--workers", "1", "--threads", "1"], env=env, cwd=ROOT,
                              stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: jobs.worker_count() >= 1 or worker.poll() is not None, 120,
                 "the worker in the namespace to register with Redis")
        assert worker.poll() is None, log.read_text()[-3000:]
        task_id = tasks.submit(tiny_graph(limit_per_class=30, epochs=2), "ada")
        done = wait_for(lambda: (s := tasks.status(task_id))["state"] in tasks.FINAL_STATES and s, 240,
                        "the task to be trained on the other host")
        assert done["state"] == "succeeded", tasks.logs(task_id)
        assert done["accuracy"] > 0.2  # ten classes: chance is 0.1

        # It ran in the namespace: the worker's name carries its supervisor's pid, which lives there.
        supervisor_pid = done["worker"].split(".")[-3]
        assert supervisor_pid in run("ip", "netns", "pids", name).stdout.split()
        report = json.loads((tasks.run_dir(task_id) / "report.json").read_text())  # in the shared home
        assert report["accuracy"] == done["accuracy"]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
