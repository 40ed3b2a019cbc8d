"""A file-backend server killed with SIGKILL in the middle of a write loses no session.

A separate process serves an application with big sessions (so each write takes a while);
clients keep updating several sessions while a watcher polls the storage directory and kills
the server the moment it sees a temporary file, i.e. while a session is being written.  A new
server on the same directory must then find every session, each one whole and at the value of
its last acknowledged update or the one in flight, and cleanup must remove what the dead
writer left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from cherrypy_sessions.file import FileSession

SESSIONS = 4
BLOB = 2 * 1024 * 1024

APP = """
import sys, time
import cherrypy
from cherrypy.testing import serve

BLOB = {blob}


class Root:
    @cherrypy.expose
    def bump(self):
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        cherrypy.session["blob"] = bytes([count % 256]) * BLOB
        return str(count)

    @cherrypy.expose
    def show(self):
        count = cherrypy.session.get("count", 0)
        blob = cherrypy.session.get("blob", b"")
        whole = blob == bytes([count % 256]) * BLOB
        return f"{{count}} {{whole}}"


cherrypy.config.update({{"environment": "test_suite", "log.screen": False}})
conf = {{
    "tools.sessions.on": True,
    "tools.sessions.storage_type": "file",
    "tools.sessions.storage_path": sys.argv[1],
    "tools.sessions.clean_freq": 0,
}}
cherrypy.tree.mount(Root(), "/", {{"/": conf}})
with serve(server="wsgiref") as base:
    print(base, flush=True)
    while True:
        time.sleep(1)
"""


def _start(script: Path, storage: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(script), str(storage)], stdout=subprocess.PIPE, text=True
    )
    base = process.stdout.readline().strip()  # type: ignore[union-attr]
    assert base.startswith("http://"), base
    return process, base


def _temp_files(storage: Path) -> list[str]:
    return [name for name in os.listdir(storage) if name.endswith(".tmp")]


def _bump_until_killed(
    server: subprocess.Popen[str], base: str, acknowledged: dict[str, int], storage: Path
) -> list[str]:
    """Update every session from its own client and SIGKILL the server as soon as a write is
    seen in progress; return the temporary files the kill left behind."""
    stop = threading.Event()
    lock = threading.Lock()

    def keep_bumping(sid: str) -> None:
        with requests.Session() as http:
            http.cookies.set("session_id", sid)
            while not stop.is_set():
                try:
                    response = http.get(base + "/bump", timeout=30)
                except requests.RequestException:
                    return
                if response.status_code != 200:
                    return
                with lock:
                    acknowledged[sid] = int(response.text)

    clients = [threading.Thread(target=keep_bumping, args=(sid,)) for sid in acknowledged]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 60
    killed_mid_write = False
    while time.monotonic() < deadline:
        with lock:
            warm = min(acknowledged.values()) >= 3
        if warm and _temp_files(storage):
            server.send_signal(signal.SIGKILL)
            killed_mid_write = True
            break
    else:
        server.send_signal(signal.SIGKILL)
    server.wait(10)
    stop.set()
    for client in clients:
        client.join(30)
    assert killed_mid_write, "never saw a write in progress"
    return _temp_files(storage)


def test_sigkill_mid_write_keeps_every_session(tmp_path: Path) -> None:
    storage = tmp_path / "sessions"
    storage.mkdir()
    script = tmp_path / "app.py"
    script.write_text(APP.format(blob=BLOB))
    server, base = _start(script, storage)
    try:
        acknowledged: dict[str, int] = {}
        for _ in range(SESSIONS):
            response = requests.get(base + "/bump", timeout=30)
            acknowledged[response.cookies["session_id"]] = int(response.text)
        # The kill may land just after the write it aimed at finished: then try again on a
        # fresh server over the same storage (every session must survive that too).
        for _attempt in range(5):
            leftovers = _bump_until_killed(server, base, acknowledged, storage)
            if leftovers:
                break
            server, base = _start(script, storage)
        assert leftovers, "the kill should have interrupted a write"

        server, base = _start(script, storage)
        for sid, count in acknowledged.items():
            response = requests.get(base + "/show", cookies={"session_id": sid}, timeout=30)
            assert response.status_code == 200
            assert response.cookies.get("session_id") == sid, "session lost after the crash"
            found, whole = response.text.split()
            assert whole == "True", f"session {sid} is torn"
            assert int(found) in (count, count + 1), (found, count)
    finally:
        server.kill()
        server.wait(10)

    FileSession(storage_path=str(storage), clean_freq=0).cleaner().clean_up()
    assert _temp_files(storage) == []
    assert len([n for n in os.listdir(storage) if not n.endswith(".lock")]) == SESSIONS
