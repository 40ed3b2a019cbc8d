"""The file backend: layout, atomic writes, refused ids, locks, storage errors, cleanup."""

from __future__ import annotations

import datetime
import os
import pickle
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions.file import FileSession, StoragePathError, check_storage_path
from cherrypy_sessions.locks import FileLock


def _file_conf(path: Path, **extra: Any) -> dict[str, Any]:
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "file",
        "tools.sessions.storage_path": str(path),
    }
    conf.update({f"tools.sessions.{key}": value for key, value in extra.items()})
    return {"/": conf}


def _session_files(path: Path) -> list[str]:
    return sorted(
        name
        for name in os.listdir(path)
        if name.startswith("session-") and not name.endswith(".lock")
    )


def test_one_private_pickle_per_session(counter: Any, live: Any, tmp_path: Path) -> None:
    with live(counter, _file_conf(tmp_path)) as base:
        client = requests.Session()
        client.get(base + "/")
        client.get(base + "/")
        sid = client.cookies["session_id"]
    assert _session_files(tmp_path) == [f"session-{sid}"]
    path = tmp_path / f"session-{sid}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data, expiration = pickle.loads(path.read_bytes())
    assert data == {"count": 2}
    assert isinstance(expiration, datetime.datetime)
    assert abs((expiration - datetime.datetime.now()).total_seconds() - 3600) < 10
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_reads_a_session_written_in_cherrypys_format(
    counter: Any, live: Any, tmp_path: Path
) -> None:
    sid = "5" * 40
    expiration = datetime.datetime.now() + datetime.timedelta(minutes=10)
    (tmp_path / f"session-{sid}").write_bytes(pickle.dumps(({"count": 41}, expiration)))
    with live(counter, _file_conf(tmp_path)) as base:
        response = requests.get(base + "/", cookies={"session_id": sid})
    assert response.text == "42"
    assert response.cookies["session_id"] == sid


def test_sessions_survive_a_restart(counter: Any, live: Any, tmp_path: Path) -> None:
    with live(counter, _file_conf(tmp_path)) as base:
        client = requests.Session()
        client.get(base + "/")
    cherrypy.tree.apps.clear()
    with live(counter, _file_conf(tmp_path)) as base:
        assert client.get(base + "/").text == "2"


class _Spy(FileSession):
    """Records every storage primitive called, with the id it was called for."""

    calls: list[tuple[str, Any]] = []

    def _exists(self) -> bool:
        self.calls.append(("exists", self.id))
        return super()._exists()

    def _load(self, path: str | None = None) -> Any:
        self.calls.append(("load", self.id))
        return super()._load(path)

    def acquire_lock(self, path: str | None = None) -> None:
        self.calls.append(("lock", self.id))
        super().acquire_lock(path)


BAD_IDS = [
    "../../../../etc/passwd",
    "..",
    "a" * 40 + "/../x",
    "..%2F..%2Fescape-attempt-000000",
    "session-aaaaaaaaaaaaaaaaaaaa.lock",
    "short",
    "x" * 200,
    "aaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaa%00bbbbbbbbbbbbbbbb",
    ".hidden-escape-attempt-000000",
]


_audit: dict[str, Any] = {"events": None, "installed": False}


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    events = _audit["events"]
    if events is not None and args and event in ("open", "os.listdir", "os.remove", "os.rename"):
        events.append(f"{event} {args[0]}")


@pytest.fixture
def file_events() -> Any:
    """Paths opened, listed, removed or renamed (through ``sys.audit``) during the test."""
    if not _audit["installed"]:
        sys.addaudithook(_audit_hook)  # audit hooks cannot be removed; this one is gated
        _audit["installed"] = True
    events: list[str] = []
    _audit["events"] = events
    yield events
    _audit["events"] = None


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_malformed_and_path_like_ids_never_reach_the_disk(
    counter: Any, live: Any, tmp_path: Path, bad_id: str, cookies: Any, file_events: list[str]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd").write_bytes(pickle.dumps(({"count": 99}, datetime.datetime.max)))
    _Spy.calls = []
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_class": _Spy,
            "tools.sessions.storage_path": str(store),
        }
    }
    with live(counter, conf) as base:
        file_events.clear()
        response = requests.get(base + "/", headers={"Cookie": f'session_id="{bad_id}"'})
    assert response.status_code == 200 and response.text == "1"
    new_id = cookies.session_id(response)
    assert new_id != bad_id and cookies.id_re.fullmatch(new_id)
    assert all(sid == new_id for _, sid in _Spy.calls), _Spy.calls
    touched = [entry for entry in file_events if str(tmp_path) in entry]
    assert not [entry for entry in touched if str(outside) in entry], touched
    in_store = [entry for entry in touched if entry.split(" ", 1)[1] != str(store)]
    assert in_store and all(new_id in entry for entry in in_store), touched
    assert _session_files(store) == [f"session-{new_id}"]


def test_unknown_well_formed_id_is_replaced(
    counter: Any, live: Any, tmp_path: Path, cookies: Any
) -> None:
    forged = "f" * 40
    with live(counter, _file_conf(tmp_path)) as base:
        response = requests.get(base + "/", cookies={"session_id": forged})
    new_id = cookies.session_id(response)
    assert new_id != forged
    assert _session_files(tmp_path) == [f"session-{new_id}"]


def test_missing_storage_path_is_a_clear_error(counter: Any, live: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with live(counter, _file_conf(missing)) as base:
        response = requests.get(base + "/")
    assert response.status_code == 500
    assert "does not exist" in response.text and str(missing) in response.text
    with pytest.raises(StoragePathError, match="does not exist"):
        check_storage_path(missing)


def test_storage_path_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoragePathError, match="storage_path"):
        check_storage_path("")
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(StoragePathError, match="not a directory"):
        check_storage_path(afile)
    assert check_storage_path(os.path.relpath(tmp_path)) == str(tmp_path)
    monkeypatch.setattr("cherrypy_sessions.file.os.access", lambda path, mode: False)
    with pytest.raises(StoragePathError, match="not readable and writable"):
        check_storage_path(tmp_path)


def test_no_storage_path_configured(counter: Any, live: Any) -> None:
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "file"}}
    with live(counter, conf) as base:
        response = requests.get(base + "/")
    assert response.status_code == 500
    assert "storage_path" in response.text


def test_lock_timeout(counter: Any, live: Any, tmp_path: Path) -> None:
    conf = _file_conf(tmp_path, lock_timeout=0.5)
    conf["/"]["request.show_tracebacks"] = False
    with live(counter, conf) as base:
        client = requests.Session()
        client.get(base + "/")
        sid = client.cookies["session_id"]
        held = FileLock(str(tmp_path / f"session-{sid}.lock"))
        held.acquire()
        try:
            started = time.monotonic()
            response = client.get(base + "/")
            elapsed = time.monotonic() - started
        finally:
            held.release()
        # 503 with Retry-After (CherryPy 18: 500); the page names neither the id nor the path.
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert sid not in response.text and str(tmp_path) not in response.text
        assert 0.4 < elapsed < 3
        assert client.get(base + "/").text == "2"


HOLD_LOCK = """
import sys, time
from cherrypy_sessions.locks import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_of_a_killed_process_is_recovered(counter: Any, live: Any, tmp_path: Path) -> None:
    with live(counter, _file_conf(tmp_path)) as base:
        client = requests.Session()
        client.get(base + "/")
        sid = client.cookies["session_id"]
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(tmp_path / f"session-{sid}.lock")],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "locked"
            results: list[str] = []
            waiter = threading.Thread(target=lambda: results.append(client.get(base + "/").text))
            waiter.start()
            waiter.join(0.5)
            assert waiter.is_alive() and not results  # blocked by the other process
            holder.kill()
            holder.wait(5)
            waiter.join(5)
            assert results == ["2"]
        finally:
            holder.kill()
            holder.wait(5)


def _expired_file(path: Path, sid: str) -> Path:
    target = path / f"session-{sid}"
    past = datetime.datetime.now() - datetime.timedelta(minutes=1)
    target.write_bytes(pickle.dumps(({"old": True}, past)))
    return target


def _cleaner(path: Path) -> FileSession:
    session = FileSession(storage_path=str(path), clean_freq=0)
    return session.cleaner()


def test_cleanup_never_deletes_a_locked_session(tmp_path: Path) -> None:
    sid = "c" * 40
    target = _expired_file(tmp_path, sid)
    fresh = "d" * 40
    future = datetime.datetime.now() + datetime.timedelta(minutes=5)
    (tmp_path / f"session-{fresh}").write_bytes(pickle.dumps(({}, future)))
    lock = FileLock(str(target) + ".lock")
    lock.acquire()
    cleaner = _cleaner(tmp_path)
    cleaner.clean_up()
    assert target.exists()
    lock.release()
    cleaner.clean_up()
    assert not target.exists()
    assert not (tmp_path / f"session-{sid}.lock").exists()
    assert (tmp_path / f"session-{fresh}").exists()


def test_cleanup_removes_leftovers_of_dead_writers(tmp_path: Path) -> None:
    sid = "e" * 40
    temp = tmp_path / f".session-{sid}.12345.abcdef.tmp"
    temp.write_bytes(b"half a pick")
    orphan_lock = tmp_path / f"session-{'a' * 40}.lock"
    orphan_lock.write_bytes(b"")
    foreign = tmp_path / "unrelated.txt"
    foreign.write_text("keep me")
    _cleaner(tmp_path).clean_up()
    assert not temp.exists() and not orphan_lock.exists()
    assert foreign.exists()


def test_cleanup_skips_temp_files_of_active_writers(tmp_path: Path) -> None:
    sid = "e" * 40
    temp = tmp_path / f".session-{sid}.12345.abcdef.tmp"
    temp.write_bytes(b"being written")
    lock = FileLock(str(tmp_path / f"session-{sid}.lock"))
    lock.acquire()
    try:
        _cleaner(tmp_path).clean_up()
        assert temp.exists()
    finally:
        lock.release()


def test_unreadable_session_file_is_treated_as_missing(
    counter: Any, live: Any, tmp_path: Path, cookies: Any
) -> None:
    sid = "b" * 40
    (tmp_path / f"session-{sid}").write_bytes(b"not a pickle")
    with live(counter, _file_conf(tmp_path)) as base:
        response = requests.get(base + "/", cookies={"session_id": sid})
    assert response.text == "1"
    assert cookies.session_id(response) != sid


def test_len_counts_session_files(tmp_path: Path) -> None:
    for sid in ("1" * 40, "2" * 40):
        _expired_file(tmp_path, sid)
    (tmp_path / f"session-{'1' * 40}.lock").write_bytes(b"")
    assert len(FileSession(storage_path=str(tmp_path), clean_freq=0)) == 2


def test_lock_timeout_accepts_timedelta_and_rejects_junk(tmp_path: Path) -> None:
    session = FileSession(storage_path=str(tmp_path), lock_timeout=datetime.timedelta(seconds=3))
    assert session.lock_timeout == 3.0
    with pytest.raises(ValueError, match="lock_timeout"):
        FileSession(storage_path=str(tmp_path), lock_timeout="soon")
