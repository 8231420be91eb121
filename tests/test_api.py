"""The REST API against a real `up` (Redis, a worker, the uvicorn API process): submit -> poll -> predict ->
export with a student's token, the access rules (a student refused another's task), and bad requests
answered with JSON and a fitting status, never a traceback."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import zipfile

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import ROOT, tiny_digits_graph
from dragdl_core.classroom.users import UsersFile
from export_support import digit_images, label_of, predict_json
from task_service import tiny_graph, wait_for

PASSWORD = "password-1"
pytestmark = pytest.mark.slow


def cli(env, *args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "dragdl_core", *args], env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A class (config file, two students, an instructor, their tokens) served by a real `up --no-app`."""
    root = tmp_path_factory.mktemp("api")
    config = root / "class.toml"
    config.write_text(f'name = "API class"\nhome = "{root / "home"}"\ndatasets = "{root / "datasets"}"\n'
                      'workers = 1\nredis_url = ""\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DRAGDL_HOME", "DRAGDL_CONFIG", "REDIS_URL")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_CONFIG=str(config))
    tokens = {}
    for user, role in (("ada", "student"), ("bob", "student"), ("grace", "instructor")):
        assert cli(env, "users", "add", user, "--role", role, "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
        made = cli(env, "users", "token", user)
        assert made.returncode == 0, made.stderr
        tokens[user] = made.stdout.strip()
    log = root / "up.log"
    process = subprocess.Popen([sys.executable, "-m", "dragdl_core", "up", "--no-app"], env=env, cwd=ROOT,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "is running" in log.read_text() or process.poll() is not None, 120, "up to start")
        assert process.poll() is None, log.read_text()
        url = re.search(r"^API: (\S+)", log.read_text(), re.M).group(1)
        yield {"url": url, "tokens": tokens, "env": env, "root": root}
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0, log.read_text()


def client(instance, user: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {instance['tokens'][user]}"} if user else {}
    return httpx.Client(base_url=instance["url"], headers=headers, timeout=120)


def wait_succeeded(api: httpx.Client, task_id: str) -> dict:
    def done():
        state = api.get(f"/tasks/{task_id}").json()["state"]
        assert state in ("queued", "running", "succeeded"), api.get(f"/tasks/{task_id}").json()
        return state == "succeeded"
    wait_for(done, 240, "the task to succeed", interval=0.5)
    return api.get(f"/tasks/{task_id}").json()


@pytest.fixture(scope="module")
def ada_task(instance):
    with client(instance, "ada") as api:
        submitted = api.post("/tasks", json=tiny_digits_graph(epochs=2))
        assert submitted.status_code == 201, submitted.text
        task_id = submitted.json()["id"]
        return task_id, wait_succeeded(api, task_id)


def test_submit_poll_predict_and_export_through_the_api(instance, ada_task, tmp_path):
    task_id, task = ada_task
    assert task["user"] == "ada" and task["progress"] == 1.0
    with client(instance, "ada") as api:
        assert task_id in [t["id"] for t in api.get("/tasks").json()]
        metrics = api.get(f"/tasks/{task_id}/metrics").json()
        assert len(metrics["epochs"]) == 2 and metrics["tests"][0]["accuracy"] > 0.5  # chance is 0.1

        images = digit_images(tmp_path, count=5)
        expected = predict_json(task["run_dir"], images)
        answers = []
        for path, want in zip(images, expected):
            answer = api.post(f"/tasks/{task_id}/predict", files={"image": (path.name, path.read_bytes(), "image/png")})
            assert answer.status_code == 200, answer.text
            got = answer.json()
            assert got["top"] == want["top"] and list(got["probabilities"]) == list(want["probabilities"])
            np.testing.assert_allclose(list(got["probabilities"].values()), list(want["probabilities"].values()),
                                       atol=1e-5)
            answers.append(got["top"] == label_of(path.name))
        assert sum(answers) >= 3

        onnx = api.get(f"/tasks/{task_id}/export", params={"format": "onnx"})
        assert onnx.status_code == 200, onnx.text
        import onnxruntime
        session = onnxruntime.InferenceSession(onnx.content, providers=["CPUExecutionProvider"])
        assert session.get_outputs()[0].shape[-1] == 10
        zipped = api.get(f"/tasks/{task_id}/export", params={"format": "zip"})
        assert zipped.status_code == 200 and "attachment" in zipped.headers["content-disposition"]
        names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        assert {"model.onnx", "predict.py", "preprocess.json", "labels.json", "README.txt"} <= set(names)

        stopped = api.post(f"/tasks/{task_id}/stop")
        assert stopped.status_code == 409 and "not queued or running" in stopped.json()["message"]


def test_tokens_name_the_user_and_a_rotated_token_stops_working(instance):
    with client(instance, None) as anonymous:
        missing = anonymous.get("/tasks")
        assert missing.status_code == 401 and "Bearer" in missing.json()["message"]
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = anonymous.get("/tasks", headers={"Authorization": "Bearer dgl_not-a-token"})
        assert wrong.status_code == 401 and "token" in wrong.json()["message"]
    old = instance["tokens"]["bob"]
    rotated = cli(instance["env"], "users", "token", "bob").stdout.strip()
    assert rotated != old and rotated.startswith("dgl_")
    text = (instance["root"] / "home" / "users.yaml").read_text()
    assert old not in text and rotated not in text  # only hashes are stored
    with httpx.Client(base_url=instance["url"], timeout=60) as api:
        assert api.get("/tasks", headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert api.get("/tasks", headers={"Authorization": f"Bearer {rotated}"}).status_code == 200
    instance["tokens"]["bob"] = rotated


def test_a_student_is_refused_another_students_task(instance, ada_task, tmp_path):
    task_id, _ = ada_task
    image = digit_images(tmp_path, count=1)[0]
    with client(instance, "bob") as bob:
        assert task_id not in [t["id"] for t in bob.get("/tasks").json()]
        assert bob.get("/tasks", params={"user": "ada"}).status_code == 403
        for method, path, extra in [("GET", f"/tasks/{task_id}", {}), ("GET", f"/tasks/{task_id}/metrics", {}),
                                    ("POST", f"/tasks/{task_id}/stop", {}),
                                    ("GET", f"/tasks/{task_id}/export", {"params": {"format": "onnx"}}),
                                    ("POST", f"/tasks/{task_id}/predict",
                                     {"files": {"image": ("d.png", image.read_bytes(), "image/png")}})]:
            refused = bob.request(method, path, **extra)
            assert refused.status_code == 403, (path, refused.text)
            assert "belongs to another user" in refused.json()["message"] and "ada" not in refused.json()["message"]
    with client(instance, "grace") as grace:  # an instructor reaches every task
        assert grace.get(f"/tasks/{task_id}").status_code == 200
        assert task_id in [t["id"] for t in grace.get("/tasks").json()]


def test_bad_requests_get_a_message_and_a_fitting_status(instance, ada_task, tmp_path):
    task_id, _ = ada_task
    with client(instance, "ada") as api:
        answers = {
            "malformed JSON": (api.post("/validate", content=b'{"nodes": [', headers={"content-type":
                                                                                      "application/json"}), 400),
            "not a graph": (api.post("/tasks", json=[1, 2, 3]), 422),
            "invalid graph": (api.post("/validate", json={"format": "dragdl.graph", "version": 1,
                                                          "nodes": [], "edges": []}), 200),
            "unknown task": (api.get("/tasks/0123456789abcdef"), 404),
            "oversized upload": (api.post(f"/tasks/{task_id}/predict",
                                          files={"image": ("big.png", b"\0" * (21 * 1024 * 1024), "image/png")}), 413),
            "not an image": (api.post(f"/tasks/{task_id}/predict",
                                      files={"image": ("fake.png", b"this is text", "image/png")}), 422),
            "wrong type": (api.post(f"/tasks/{task_id}/predict",
                                    files={"image": ("notes.txt", b"hello", "text/plain")}), 422),
            "no image field": (api.post(f"/tasks/{task_id}/predict",
                                        files={"file": ("a.png", b"x", "image/png")}), 422),
            "bad format": (api.get(f"/tasks/{task_id}/export", params={"format": "pdf"}), 422),
            "unknown route": (api.get("/nothing-here"), 404),
        }
        for what, (answer, status) in answers.items():
            assert answer.status_code == status, (what, answer.text)
            body = answer.json()
            assert "Traceback" not in answer.text, what
            if status >= 400:
                assert isinstance(body["message"], str) and body["message"], what
        assert "malformed JSON" in answers["malformed JSON"][0].json()["message"]
        assert answers["invalid graph"][0].json()["errors"][0]["code"]
        assert "20 MB" in answers["oversized upload"][0].json()["message"]
        assert "fake.png" in answers["not an image"][0].json()["message"]
        assert ".txt files are not accepted" in answers["wrong type"][0].json()["message"]
        assert "image" in answers["no image field"][0].json()["message"]
        docs = httpx.get(instance["url"] + "/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        schema = httpx.get(instance["url"] + "/openapi.json").json()
        assert {"/api/validate", "/api/tasks", "/api/tasks/{task_id}/predict", "/api/tasks/{task_id}/export"} <= \
            set(schema["paths"])


def test_an_instance_without_accounts_serves_only_its_own_machine(isolated_home):
    from dragdl_core.api import create_app

    assert not UsersFile().exists()
    graph = tiny_graph()
    local = TestClient(create_app(), client=("127.0.0.1", 50000))
    assert local.post("/api/validate", json=graph).json()["errors"] == []
    remote = TestClient(create_app(), client=("203.0.113.7", 50000))
    refused = remote.post("/api/validate", json=graph)
    assert refused.status_code == 403 and "same machine" in refused.json()["message"]
    # behind the reverse proxy the peer is loopback: the client is the address the proxy forwarded
    proxied = local.post("/api/validate", json=graph, headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.status_code == 403


def test_users_token_prints_a_token_and_stores_only_its_hash(isolated_home, monkeypatch):
    from dragdl_core.classroom import users

    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)
    accounts = UsersFile()
    accounts.add("ada", "student", PASSWORD)
    token = accounts.rotate_token("ada")
    assert accounts.account_for_token(token).username == "ada"
    assert token not in accounts.path.read_text()
    assert accounts.account_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert accounts.account_for_token("") is None


def test_a_task_without_a_trained_model_cannot_predict_or_export(instance, tmp_path):
    image = digit_images(tmp_path, count=1)[0]
    with client(instance, "grace") as api:
        task_id = api.post("/tasks", json=tiny_digits_graph(epochs=50)).json()["id"]
        assert api.post(f"/tasks/{task_id}/stop").status_code == 200
        wait_for(lambda: api.get(f"/tasks/{task_id}").json()["state"] == "stopped", 60, "the task to stop")
        for answer in (api.get(f"/tasks/{task_id}/export", params={"format": "zip"}),
                       api.post(f"/tasks/{task_id}/predict",
                                files={"image": (image.name, image.read_bytes(), "image/png")})):
            assert answer.status_code == 409, answer.text
            assert "no trained model yet (it is stopped)" in answer.json()["message"]
