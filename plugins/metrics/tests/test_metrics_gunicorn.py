"""gunicorn's multi-process mode: two workers, recycled as they go, one exact total at /metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytest.importorskip("gunicorn")

APP = """
import os

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return str(os.getpid())

    @cherrypy.expose
    def boom(self):
        raise ValueError("the handler failed")


cherrypy.config.update({"environment": "production", "log.screen": False, "metrics.on": True})
cherrypy.tree.mount(Root(), "/app")
application = cherrypy.tree
"""

GUNICORN_CONF = """
from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
"""

PLAN = [("/app/", 200), ("/app/missing", 404), ("/elsewhere", 404), ("/app/boom", 500)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes]) -> None:
    pause = threading.Event()
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError(
                f"gunicorn exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            pause.wait(0.05)
    raise AssertionError("gunicorn did not start")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_gunicorn_workers_add_up(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "gunicorn_conf.py").write_text(GUNICORN_CONF)
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = free_port()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--max-requests",
            "30",  # workers are replaced as they go: the dead ones' counts must stay
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            "gunicorn_conf.py",
            "app:application",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/metrics", proc)
        sent: Counter[str] = Counter()
        pids = set()
        for i in range(200):
            path, expected = PLAN[i % len(PLAN)]
            reply = requests.get(base + path, timeout=10)
            assert reply.status_code == expected
            sent[f"{expected // 100}xx"] += 1
            if expected == 200:
                pids.add(reply.text)
        assert len(pids) >= 2  # 50 answers from workers serving at most 30 requests each
        samples = scrape(base + "/metrics")
        for _ in range(100):  # a request is finished just after its answer was sent
            if not samples.get(("cherrypy_requests_in_flight", (("app", "/app"),))):
                break
            time.sleep(0.05)
            samples = scrape(base + "/metrics")
        by_status: Counter[str] = Counter()
        for (name, labels), value in samples.items():
            if name == "cherrypy_requests_total":
                by_status[dict(labels)["status"]] += int(value)
        assert by_status == sent
        no_app = (("app", "none"), ("method", "GET"), ("route", "unmatched"), ("status", "4xx"))
        assert samples[("cherrypy_requests_total", no_app)] == 50
        assert samples[("cherrypy_requests_in_flight", (("app", "/app"),))] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
