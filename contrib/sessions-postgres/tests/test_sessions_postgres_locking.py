"""Advisory locks: timeouts and dead holders; plus the shared lock and restart tests.

The tests every shared store runs (twenty threads and two processes lose no update, a restart
mid-run, one visitor's parallel requests queue in process and starve nobody, queued waiters
time out with 503) come from :mod:`cherrypy_sessions.testsuite`.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from cherrypy_sessions.testsuite import (  # noqa: F401  (collected here)
    test_lock_timeout_answers_503_for_queued_waiters,
    test_one_visitors_parallel_requests_do_not_starve_others,
    test_restart_mid_run_fails_in_flight_then_serves,
    test_twenty_threads_lose_no_update,
    test_two_processes_share_sessions_and_lose_no_update,
)
from cherrypy_sessions_postgres.backend import lock_key


def test_lock_timeout_gives_503_and_a_dead_holder_frees_the_lock(
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
        response = http.get(base + "/", timeout=10)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert time.monotonic() - started < 3
        other.close()  # the holder's connection dies: the server drops its lock
        assert http.get(base + "/", timeout=10).text == "2"
