"""Advisory locks: threads and processes lose no update; timeouts; database restarts."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from cherrypy_sessions_postgres.backend import lock_key


def test_twenty_threads_lose_no_update(
    live: Any, session_conf: dict, counter, hammer_session
) -> None:
    with live(counter, {"/": session_conf}) as base:
        sid = requests.get(base + "/increment").cookies["session_id"]
        answers = hammer_session([base], sid)
        assert sorted(answers) == list(range(2, 202))
        assert requests.get(base + "/peek", cookies={"session_id": sid}).text == "201"


def test_two_processes_share_sessions_and_lose_no_update(
    session_conf: dict, app_processes, hammer_session
) -> None:
    bases = app_processes(session_conf, 2)
    first = requests.get(bases[0] + "/increment")
    sid = first.cookies["session_id"]
    second = requests.get(bases[1] + "/increment", cookies={"session_id": sid})
    assert (first.text, second.text) == ("1", "2")
    answers = hammer_session(bases, sid)
    assert sorted(answers) == list(range(3, 203))


def test_lock_timeout_gives_500_and_a_dead_holder_frees_the_lock(
    live: Any, session_conf: dict, counter, postgres
) -> None:
    conf = dict(session_conf, **{"tools.sessions.lock_timeout": 0.3})
    table = conf["tools.sessions.table"]
    with live(counter, {"/": conf}) as base, requests.Session() as http:
        http.get(base + "/")
        sid = http.cookies["session_id"]
        other = postgres.connect()
        other.execute("SELECT pg_advisory_lock(%s)", (lock_key(table, sid),))
        started = time.monotonic()
        assert http.get(base + "/", timeout=10).status_code == 500
        assert time.monotonic() - started < 3
        other.close()  # the holder's connection dies: the server drops its lock
        assert http.get(base + "/", timeout=10).text == "2"


def test_restart_mid_run_fails_in_flight_then_serves(
    live: Any, session_conf: dict, counter, postgres
) -> None:
    statuses: list[int] = []
    stop = threading.Event()
    with live(counter, {"/": session_conf}) as base:

        def client() -> None:
            with requests.Session() as http:
                while not stop.is_set():
                    try:
                        statuses.append(http.get(base + "/", timeout=20).status_code)
                    except requests.RequestException:
                        statuses.append(-1)

        clients = [threading.Thread(target=client) for _ in range(8)]
        for thread in clients:
            thread.start()
        time.sleep(0.3)
        postgres.stop()
        time.sleep(0.5)
        postgres.start()
        time.sleep(0.3)
        stop.set()
        for thread in clients:
            thread.join(60)
        assert not any(thread.is_alive() for thread in clients)
        assert 500 in statuses and -1 not in statuses
        assert set(statuses) <= {200, 500}
        # Full service once the pool has reconnected, with every worker answering.
        deadline = time.monotonic() + 15
        with requests.Session() as http:
            while http.get(base + "/", timeout=20).status_code != 200:
                assert time.monotonic() < deadline, "no recovery after the restart"
                time.sleep(0.1)
            answers = [http.get(base + "/", timeout=5) for _ in range(30)]
        assert [r.status_code for r in answers] == [200] * 30
        assert int(answers[-1].text) >= 30
