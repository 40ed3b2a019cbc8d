"""Daemonizer, PIDFile and DropPrivileges."""

from __future__ import annotations

import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cherrypy.kernel.bus import Bus
from cherrypy.process import plugins
from cherrypy_process.pidfile import read_pid

DAEMON_APP = """
import os
import cherrypy
import procsupport
from cherrypy.process.plugins import Daemonizer, PIDFile

class Root:
    @cherrypy.expose
    def index(self):
        return f"pid {os.getpid()}"

cherrypy.tree.mount(Root(), "/")
procsupport.serve_on(int(os.environ["APP_PORT"]))
cherrypy.config.update(
    {"log.screen": False, "log.error_file": "error.log", "engine.autoreload.on": False}
)
Daemonizer(cherrypy.engine).subscribe()
PIDFile(cherrypy.engine, "app.pid").subscribe()
cherrypy.engine.signals.subscribe()
cherrypy.engine.start()
cherrypy.engine.block()
"""


def test_the_plugins_are_exposed_under_cherrypy_process_plugins() -> None:
    from cherrypy_process import Daemonizer, DropPrivileges, PIDFile

    assert plugins.Daemonizer is Daemonizer
    assert plugins.PIDFile is PIDFile
    assert plugins.DropPrivileges is DropPrivileges
    assert Daemonizer.start.priority == 65  # type: ignore[attr-defined]
    assert PIDFile.start.priority == 70  # type: ignore[attr-defined]
    assert DropPrivileges.start.priority == 77  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- PIDFile


def test_pidfile_is_written_at_start_and_removed_at_exit(tmp_path: Path) -> None:
    bus = Bus()
    pidfile = tmp_path / "run" / "app.pid"
    pidfile.parent.mkdir()
    plugins.PIDFile(bus, pidfile).subscribe()
    bus.start()
    assert pidfile.read_text() == f"{os.getpid()}\n"
    assert pidfile.stat().st_mode & 0o777 == 0o644 & ~_umask()
    assert list(pidfile.parent.iterdir()) == [pidfile]  # no temporary file left behind
    bus.exit()
    assert not pidfile.exists()


def test_pidfile_of_another_process_is_not_removed(tmp_path: Path) -> None:
    bus = Bus()
    pidfile = tmp_path / "app.pid"
    plugin = plugins.PIDFile(bus, pidfile)
    plugin.subscribe()
    bus.start()
    pidfile.write_text("999999\n")  # another instance took over the file
    bus.exit()
    assert read_pid(pidfile) == 999999


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# ---------------------------------------------------------------------- DropPrivileges


def test_drop_privileges_resolves_names() -> None:
    nobody = pwd.getpwnam("nobody")
    plugin = plugins.DropPrivileges(Bus(), uid="nobody", gid=nobody.pw_gid, umask=0o027)
    assert plugin.uid == nobody.pw_uid
    assert plugin.gid == nobody.pw_gid
    assert plugin.umask == 0o027


DROP_SCRIPT = """
import json, os
from cherrypy.kernel.bus import Bus
from cherrypy.process.plugins import DropPrivileges

bus = Bus()
messages = []
bus.subscribe("log", lambda msg, level=20: messages.append(msg))
DropPrivileges(bus, uid="nobody", umask=0o027).subscribe()
bus.start()
umask = os.umask(0)
print(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": sorted(os.getgroups()),
                  "umask": umask, "messages": messages}))
bus.exit()
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_drop_privileges_switches_user_group_groups_and_umask(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    result = subprocess.run(
        [sys.executable, "-c", DROP_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["uid"] == nobody.pw_uid
    # Only uid was given: the group is nobody's own, and root's groups are gone.
    assert state["gid"] == nobody.pw_gid
    assert state["groups"] == sorted(set(os.getgrouplist("nobody", nobody.pw_gid)))
    assert 0 not in state["groups"]
    assert state["umask"] == 0o027
    assert "Started as uid: 'root' gid: 'root'" in state["messages"]
    assert any(m.startswith("umask old: ") and m.endswith("new: 027") for m in state["messages"])


# -------------------------------------------------------------------------- Daemonizer


def start_daemon(harness: Any, source: str) -> tuple[Path, int]:
    """Run ``source`` as app.py, wait for the launching process to exit, check the daemon
    serves; return its PID file and PID."""
    harness.write("app.py", source)
    pidfile = harness.tmp_path / "app.pid"
    harness.pidfiles.append(pidfile)
    parent = harness.launch([sys.executable, "app.py"])
    assert parent.wait(30) == 0
    daemon = read_pid(pidfile)
    assert daemon is not None and daemon != parent.pid
    assert harness.get("/") == (200, f"pid {daemon}")
    return pidfile, daemon


def test_daemonizer_waits_for_the_daemon_then_sighup_restarts_it(harness: Any) -> None:
    # The original process exits only once the daemon serves.
    pidfile, daemon = start_daemon(harness, DAEMON_APP)
    assert "Daemonized to PID" in (harness.tmp_path / "error.log").read_text()

    os.kill(daemon, signal.SIGHUP)

    def restarted() -> int | None:
        pid = read_pid(pidfile)
        return pid if pid not in (None, daemon) else None

    new_daemon = harness.wait_for(restarted, what="a new daemon pid in the PID file")
    harness.extra_pids.append(new_daemon)
    harness.wait_serving(f"pid {new_daemon}")
    log = (harness.tmp_path / "error.log").read_text()
    assert "SIGHUP caught while daemonized. Restarting." in log
    assert "Re-spawning" in log

    harness.wait_output("Bus STARTED", count=2, log="error.log")
    os.kill(new_daemon, signal.SIGTERM)
    harness.wait_for(lambda: not pidfile.exists(), what="the PID file to be removed")
    harness.wait_for(lambda: harness.get("/") is None, what="the server to stop")


def test_a_page_handler_ends_the_daemon_and_still_gets_its_answer(harness: Any) -> None:
    # CherryPy applications stop a daemon from a request ("/exit" calling engine.exit()):
    # the request that stops the server is answered at once, then the daemon exits cleanly.
    app = DAEMON_APP.replace(
        'cherrypy.tree.mount(Root(), "/")',
        """class Exiting(Root):
    @cherrypy.expose
    def exit(self):
        cherrypy.engine.wait(cherrypy.engine.states.STARTED)
        cherrypy.engine.exit()
        return "exiting"

cherrypy.tree.mount(Exiting(), "/")""",
    )
    pidfile, daemon = start_daemon(harness, app)

    began = time.monotonic()
    assert harness.get("/exit") == (200, "exiting")
    assert time.monotonic() - began < 3
    harness.wait_for(lambda: not pidfile.exists(), what="the PID file to be removed")
    harness.wait_for(lambda: not _alive(daemon), what="the daemon to exit")
    assert harness.get("/") is None


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left for a non-reaping init counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_daemonizer_reports_a_failed_start_with_status_1(harness: Any) -> None:
    harness.write("app.py", DAEMON_APP)
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", harness.port))
        blocker.listen()
        parent = harness.launch([sys.executable, "app.py"])
        assert parent.wait(60) == 1
    output = harness.output()
    assert "Daemon failed to start: " in output
    assert re.search(r"in use|not free", output), output
    assert not (harness.tmp_path / "app.pid").exists()
