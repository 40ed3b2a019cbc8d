"""The distributed lock: abandoned and foreign locks; plus the shared lock and restart tests.

The tests every shared store runs (twenty threads and two processes lose no update, a restart
mid-run, one visitor's parallel requests queue in process and starve nobody, queued waiters
time out with 503) come from :mod:`cherrypy_sessions.testsuite`.
"""

from __future__ import annotations

from typing import Any

import requests

from cherrypy_sessions.testsuite import (  # noqa: F401  (collected here)
    test_lock_timeout_answers_503_for_queued_waiters,
    test_one_visitors_parallel_requests_do_not_starve_others,
    test_restart_mid_run_fails_in_flight_then_serves,
    test_twenty_threads_lose_no_update,
    test_two_processes_share_sessions_and_lose_no_update,
)


def test_lock_of_a_dead_holder_expires(live: Any, session_conf: dict, counter, memcached) -> None:
    conf = dict(session_conf, **{"tools.sessions.lock_ttl": 2})
    prefix = conf["tools.sessions.key_prefix"]
    with live(counter, {"/": conf}) as base, requests.Session() as http:
        http.get(base + "/")
        sid = http.cookies["session_id"]
        # A holder that died: its lock item stays until its TTL passes (memcached's clock
        # ticks in whole seconds, so how long exactly is not for a test to pin down).
        key = prefix + sid + ".lock"
        assert memcached.client().add(key, b"dead", expire=2, noreply=False)
        assert memcached.client().get(key) == b"dead"
        # The request waits the dead lock out instead of failing or hanging.
        assert http.get(base + "/", timeout=10).text == "2"
        assert memcached.client().get(key) is None


def test_lock_timeout_gives_503(live: Any, session_conf: dict, counter, memcached) -> None:
    conf = dict(session_conf, **{"tools.sessions.lock_timeout": 0.3})
    prefix = conf["tools.sessions.key_prefix"]
    with live(counter, {"/": conf}) as base, requests.Session() as http:
        http.get(base + "/")
        sid = http.cookies["session_id"]
        memcached.client().add(prefix + sid + ".lock", b"other", expire=30, noreply=False)
        response = http.get(base + "/", timeout=10)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        # The other owner's lock is left alone.
        assert memcached.client().get(prefix + sid + ".lock") == b"other"
        memcached.client().delete(prefix + sid + ".lock")
        assert http.get(base + "/").text == "2"
