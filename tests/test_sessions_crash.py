"""Crash safety of file sessions: ``kill -9`` of a busy server loses or tears no session.

A real server (``python -m cherrypy serve``, production environment) serves file sessions
while 50 clients, each with its own session, keep storing a new value (with a 64 KiB blob
derived from it, so that writes take a moment).  The test kills the server with SIGKILL in
the middle of that, then starts a new server on the same storage directory, touching nothing
in it, and checks that:

* the new server starts and answers (no manual cleanup of temporary or lock files);
* every session is still there, holding either the last value the server acknowledged or the
  one that was in flight when it died, with its blob intact (atomic writes: never torn);
* no request gets a 500, and what the dead server left behind is removed by a cleanup pass.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from cherrypy_sessions.file import FileSession

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

CLIENTS = 50

APP = '''
import hashlib

import cherrypy


def blob(value):
    """64 KiB that only ``value`` produces."""
    return hashlib.sha256(str(value).encode()).hexdigest() * 1024


class Root:
    @cherrypy.expose
    @cherrypy.config(**{"tools.sessions.on": False})
    def ping(self):
        return "pong"

    @cherrypy.expose
    def put(self, value):
        cherrypy.session["value"] = int(value)
        cherrypy.session["blob"] = blob(int(value))
        return value

    @cherrypy.expose
    def show(self):
        value = cherrypy.session.get("value")
        whole = value is not None and cherrypy.session.get("blob") == blob(value)
        return f"{value} {whole}"
'''

CONFIG = """
[global]
server.thread_pool = 20
server.socket_queue_size = 128
log.screen = False

[/]
tools.sessions.on = True
tools.sessions.storage_type = "file"
tools.sessions.storage_path = {storage!r}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve the app from ``directory``; return the process and its base URL once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cherrypy", "serve", "crashapp:Root", "--port", str(port)]
        + ["-c", "app.conf", "-e", "production"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if requests.get(base + "/ping", timeout=5).status_code == 200:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the server did not answer within 30 s")


def _leftovers(storage: Path) -> list[str]:
    return sorted(name for name in os.listdir(storage) if name.endswith((".tmp", ".lock")))


def test_kill_9_mid_updates_leaves_every_session_old_or_new(tmp_path: Path) -> None:
    storage = tmp_path / "sessions"
    storage.mkdir()
    (tmp_path / "crashapp.py").write_text(APP)
    (tmp_path / "app.conf").write_text(CONFIG.format(storage=str(storage)))
    server, base = _start(tmp_path)

    acked: dict[int, int] = {}  # client -> last value the server acknowledged
    sids: dict[int, str] = {}
    failures: list[str] = []
    progress = threading.Condition()
    killed = threading.Event()

    def client(number: int) -> None:
        with requests.Session() as http:
            value = 0
            while not killed.is_set():
                try:
                    response = http.get(f"{base}/put", params={"value": value}, timeout=30)
                except requests.RequestException:
                    return  # the server died under this request: its value is in flight
                if response.status_code != 200:
                    failures.append(f"client {number}: {response.status_code}")
                    return
                with progress:
                    sids[number] = http.cookies["session_id"]
                    acked[number] = value
                    progress.notify_all()
                value += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        # Kill once every client has stored at least two values, preferably while a session
        # file is being written (a temporary file exists); do not wait long for the latter.
        with progress:
            assert progress.wait_for(
                lambda: (len(acked) == CLIENTS and min(acked.values()) >= 2) or bool(failures),
                timeout=60,
            ), f"clients made no progress: {acked}"
        assert not failures, failures
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not any(
            name.endswith(".tmp") for name in os.listdir(storage)
        ):
            pass
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        killed.set()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert not failures, failures

        # Restart on the same directory, as left by the dead server.
        server, base = _start(tmp_path)
        for number, sid in sids.items():
            response = requests.get(base + "/show", cookies={"session_id": sid}, timeout=30)
            assert response.status_code == 200, response.text
            assert response.cookies.get("session_id") == sid, f"client {number} lost its session"
            value, whole = response.text.split()
            assert whole == "True", f"client {number}: session torn ({response.text})"
            assert int(value) in (acked[number], acked[number] + 1), (value, acked[number])
        # New visitors are served too, and the old sessions can still be updated.
        with requests.Session() as http:
            assert http.get(base + "/put", params={"value": 7}, timeout=30).text == "7"
            assert http.get(base + "/show", timeout=30).text == "7 True"
        first = sids[0]
        response = requests.get(
            base + "/put", params={"value": 99}, cookies={"session_id": first}, timeout=30
        )
        assert response.status_code == 200
    finally:
        killed.set()
        server.kill()
        server.wait(10)

    # What the killed server left (temporary files, lock files) is removed by a cleanup pass.
    FileSession(storage_path=str(storage), clean_freq=0).cleaner().clean_up()
    assert _leftovers(storage) == []
    assert len(FileSession(storage_path=str(storage), clean_freq=0).cleaner()) == CLIENTS + 1
