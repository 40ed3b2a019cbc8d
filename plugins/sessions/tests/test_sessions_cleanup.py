"""Expiry and cleanup: the monitor thread starts lazily and removes expired sessions."""

from __future__ import annotations

import datetime
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions import cleanup
from cherrypy_sessions.ram import RamSession


def _stored(storage: str, path: Path) -> int:
    if storage == "ram":
        return len(RamSession.cache)
    return len(
        [n for n in path.iterdir() if n.name.startswith("session-") and ".lock" not in n.name]
    )


def test_importing_starts_no_thread() -> None:
    code = (
        "import threading, cherrypy, cherrypy_sessions, cherrypy.lib.sessions, "
        "cherrypy_sessions.plugin; print(threading.active_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_monitor_starts_on_first_load_only(counter: Any, live: Any) -> None:
    with live(counter, {"/": {"tools.sessions.on": True}}) as base:
        requests.get(base + "/untouched")
        assert cleanup.monitors() == []
        requests.get(base + "/")
        (monitor,) = cleanup.monitors()
        assert monitor.thread is not None and monitor.thread.is_alive() and monitor.thread.daemon
        assert monitor.frequency == 5 * 60
        assert monitor.thread.name == "Session cleanup (RamSession)"
        assert RamSession.clean_thread is monitor
        requests.get(base + "/")
        assert cleanup.monitors() == [monitor]
        assert [t for t in threading.enumerate() if t.name.startswith("Session cleanup")] == [
            monitor.thread
        ]


def test_clean_freq_zero_starts_no_thread(counter: Any, live: Any) -> None:
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.clean_freq": 0}}
    with live(counter, conf) as base:
        requests.get(base + "/")
    assert cleanup.monitors() == []


def test_monitor_follows_the_engine(counter: Any, live: Any) -> None:
    with live(counter, {"/": {"tools.sessions.on": True}}) as base:
        requests.get(base + "/")
        (monitor,) = cleanup.monitors()
        assert monitor.start in cherrypy.engine.listeners["start"]
        assert monitor.stop in cherrypy.engine.listeners["stop"]
        monitor.stop()
        assert monitor.thread is None
        requests.get(base + "/")  # a later load restarts it
        assert monitor.thread is not None and monitor.thread.is_alive()


@pytest.mark.parametrize("storage", ["ram", "file"])
def test_expired_sessions_are_cleaned_up(
    counter: Any, live: Any, tmp_path: Path, storage: str
) -> None:
    conf: dict[str, Any] = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": storage,
        "tools.sessions.timeout": 1 / 60,  # one second
        "tools.sessions.clean_freq": 0.5 / 60,  # every half second
    }
    if storage == "file":
        conf["tools.sessions.storage_path"] = str(tmp_path)
    with live(counter, {"/": conf}) as base:
        for _ in range(3):
            requests.get(base + "/")
        assert _stored(storage, tmp_path) == 3
        deadline = time.monotonic() + 10
        while _stored(storage, tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _stored(storage, tmp_path) == 0
        if storage == "file":
            assert list(tmp_path.iterdir()) == []


def test_ram_cleanup_never_deletes_a_locked_session() -> None:
    past = datetime.datetime.now() - datetime.timedelta(seconds=1)
    RamSession.cache["a" * 40] = ({"held": True}, past)
    RamSession.cache["b" * 40] = ({"idle": True}, past)
    future = datetime.datetime.now() + datetime.timedelta(minutes=5)
    RamSession.cache["c" * 40] = ({"fresh": True}, future)
    holder = RamSession("a" * 40, clean_freq=0)
    holder.acquire_lock()
    cleaner = holder.cleaner()
    cleaner.clean_up()
    assert set(RamSession.cache) == {"a" * 40, "c" * 40}
    holder.release_lock()
    cleaner.clean_up()
    assert set(RamSession.cache) == {"c" * 40}
    assert "a" * 40 not in RamSession.locks


def test_a_failing_cleanup_pass_does_not_kill_the_thread() -> None:
    calls: list[int] = []

    class Flaky(RamSession):
        def clean_up(self) -> None:
            calls.append(1)
            raise OSError("disk on fire")

    session = Flaky(None, clean_freq=0.2 / 60)
    cleanup.ensure_running(session)
    (monitor,) = cleanup.monitors()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(calls) >= 2 and monitor.thread.is_alive()
