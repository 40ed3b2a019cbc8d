"""Session stores under pressure (issue 20): lock waits queue in process and time out with a
503, file sessions leave no litter on disk, and damaged or leftover files never cost a 500.

Over real HTTP against the in-process server; the lock tables are checked directly to show
that waiters queue in memory and that nothing stays behind once they are done.
"""

from __future__ import annotations

import datetime
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_sessions import testkit
from cherrypy_sessions.file import FileSession
from cherrypy_sessions.locks import FileLock, KeyedLocks, LockTimeout, SessionQueue, deadline_after
from cherrypy_sessions.ram import RamSession
from cherrypy_sessions.testkit import Gated, in_background, wait_for

gated = testkit.gated

SID = "0123456789abcdef" * 2 + "01234567"


def _conf(storage: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": storage,
        "request.show_tracebacks": False,  # as in production: the page shows no detail
    }
    if storage == "file":
        conf["tools.sessions.storage_path"] = str(tmp_path)
    conf.update({f"tools.sessions.{key}": value for key, value in extra.items()})
    return {"/": conf}


def _litter(path: Path) -> list[str]:
    return sorted(name for name in os.listdir(path) if name.endswith((".lock", ".tmp")))


# -- no litter ---------------------------------------------------------------------------------


def test_cookieless_requests_leave_nothing_on_disk(gated: Gated, live: Any, tmp_path: Path) -> None:
    with live(gated, _conf("file", tmp_path)) as base:
        for _ in range(30):
            assert requests.get(base + "/untouched", timeout=10).status_code == 200
        for bad in ("a" * 40, "../../etc/passwd", "x" * 300):
            response = requests.get(base + "/untouched", cookies={"session_id": bad}, timeout=10)
            assert response.status_code == 200
        assert os.listdir(tmp_path) == []
        sids = {requests.get(base + "/", timeout=10).cookies["session_id"] for _ in range(10)}
    assert sorted(os.listdir(tmp_path)) == sorted(f"session-{sid}" for sid in sids)


def test_lock_files_go_with_their_holders_under_contention(
    gated: Gated, live: Any, tmp_path: Path
) -> None:
    with live(gated, _conf("file", tmp_path)) as base, requests.Session() as http:
        http.get(base + "/", timeout=10)
        sid = http.cookies["session_id"]
        answers: list[str] = []

        def client() -> None:
            with requests.Session() as own:
                own.cookies.set("session_id", sid)
                for _ in range(10):
                    answers.append(own.get(base + "/", timeout=30).text)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(map(int, answers)) == list(range(2, 82))
    assert _litter(tmp_path) == []
    assert len(FileLock._threads) == 0


# -- waiting in process, with a timeout --------------------------------------------------------


def test_same_session_waiters_queue_in_process_and_others_are_served(
    gated: Gated, live: Any, tmp_path: Path
) -> None:
    with live(gated, _conf("file", tmp_path)) as base, requests.Session() as http:
        http.get(base + "/", timeout=10)
        sid = http.cookies["session_id"]
        lock_path = str(tmp_path / f"session-{sid}.lock")
        visitor = {"session_id": sid}
        calls = [
            in_background(lambda: requests.get(base + "/slow", cookies=visitor, timeout=60))
            for _ in range(6)
        ]
        assert gated.entered.wait(20)
        # One request holds the lock; the five others wait for it in memory, not on the file.
        wait_for(lambda: FileLock._threads.users(lock_path) == 6, "six users of the lock")
        other = requests.get(base + "/", timeout=10)
        assert (other.status_code, other.text) == (200, "1")
        gated.gate.set()
        for thread, _ in calls:
            thread.join(60)
        counts = sorted(int(result.text) for _, result in calls for result in result)
        assert counts == [2, 3, 4, 5, 6, 7]
    assert len(FileLock._threads) == 0
    assert _litter(tmp_path) == []


@pytest.mark.parametrize("storage", ["ram", "file"])
def test_lock_timeout_answers_503_and_leaves_no_waiter_behind(
    storage: str, gated: Gated, live: Any, tmp_path: Path
) -> None:
    with (
        live(gated, _conf(storage, tmp_path, lock_timeout=0.3)) as base,
        requests.Session() as http,
    ):
        http.get(base + "/", timeout=10)
        sid = http.cookies["session_id"]
        holder = in_background(lambda: http.get(base + "/slow", timeout=60))
        assert gated.entered.wait(20)
        waiters = [
            in_background(lambda: requests.get(base + "/", cookies={"session_id": sid}, timeout=30))
            for _ in range(3)
        ]
        for thread, _ in waiters:
            thread.join(30)
        for _, (response,) in waiters:
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
            assert sid not in response.text and str(tmp_path) not in response.text
        gated.gate.set()
        holder[0].join(30)
        assert holder[1][0].text == "2"
        assert http.get(base + "/", timeout=10).text == "3"
    assert len(FileLock._threads) == 0
    assert RamSession.locks == {}
    if storage == "file":
        assert _litter(tmp_path) == []


def test_session_queue_times_out_and_forgets_its_keys() -> None:
    queue = SessionQueue()
    queue.enter("k", deadline_after(None))
    assert queue.depth("k") == 1
    with pytest.raises(LockTimeout) as info:
        queue.enter("k", deadline_after(0.05))
    assert info.value.code == 503 and "queued in process" in str(info.value)
    assert queue.depth("k") == 1
    queue.leave("k")
    assert len(queue) == 0 and queue.depth("k") == 0
    queue.enter("k", deadline_after(0))  # free: no wait needed even with no time left
    queue.leave("k")
    assert len(queue) == 0


def test_keyed_locks_hold_one_entry_per_key_in_use_only() -> None:
    locks = KeyedLocks()
    for number in range(1000):
        assert locks.acquire(number)
        locks.release(number)
    assert len(locks) == 0


def test_lock_timeout_is_an_http_503() -> None:
    error = LockTimeout("detail for the log")
    assert isinstance(error, cherrypy.HTTPError)
    assert (error.code, str(error)) == (503, "detail for the log")


# -- damaged files and crash leftovers ---------------------------------------------------------

FUTURE = datetime.datetime.now() + datetime.timedelta(days=1)

DAMAGED = {
    "empty": b"",
    "truncated": pickle.dumps(({"count": 5}, FUTURE))[:-7],
    "garbage": b"\x00\xffnot a pickle at all",
    "a list": pickle.dumps([{"count": 5}, FUTURE]),
    "a short tuple": pickle.dumps(({"count": 5},)),
    "no datetime": pickle.dumps(({"count": 5}, "tomorrow")),
    "no dict": pickle.dumps((5, FUTURE)),
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_session_file_is_no_session(
    content: bytes, gated: Gated, live: Any, tmp_path: Path
) -> None:
    (tmp_path / f"session-{SID}").write_bytes(content)
    with live(gated, _conf("file", tmp_path)) as base:
        response = requests.get(base + "/", cookies={"session_id": SID}, timeout=10)
    assert (response.status_code, response.text) == (200, "1")
    assert response.cookies["session_id"] != SID
    assert not (tmp_path / f"session-{SID}").exists()
    assert _litter(tmp_path) == []


def test_crash_leftovers_are_harmless_and_cleaned_up(
    gated: Gated, live: Any, tmp_path: Path
) -> None:
    (tmp_path / f"session-{SID}").write_bytes(pickle.dumps(({"count": 5}, FUTURE)))
    leftovers = [
        f".session-{SID}.99999.0123456789ab.tmp",  # a write interrupted by SIGKILL
        f"session-{SID}.lock",  # the lock file of the killed holder (no lock held now)
        f"session-{'f' * 40}.lock",  # a lock file of a session that was never saved
    ]
    for name in leftovers:
        (tmp_path / name).write_bytes(b"half")
    with live(gated, _conf("file", tmp_path)) as base, requests.Session() as http:
        http.cookies.set("session_id", SID)
        assert [http.get(base + "/", timeout=10).text for _ in range(2)] == ["6", "7"]
    # Serving removed the lock file it used; the rest waits for the cleanup thread's pass.
    assert _litter(tmp_path) == sorted(set(leftovers) - {f"session-{SID}.lock"})
    FileSession(storage_path=str(tmp_path), clean_freq=0).cleaner().clean_up()
    assert sorted(os.listdir(tmp_path)) == [f"session-{SID}"]
