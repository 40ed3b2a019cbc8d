"""Tests every session storage backend runs, written once.

A backend distribution's test folder provides the fixtures of :mod:`cherrypy_sessions.testkit`
(``live``, ``counter``, ``gated``, ``app_processes``, ``hammer_session``) plus
``session_conf`` (the ``tools.sessions`` config of its store), ``service`` (its
:class:`~cherrypy_sessions.testkit.ScriptedService`), ``scarce_conf`` (``session_conf`` with
the store's connection pool shrunk to two connections) and ``lock_queue_depth`` (a callable
``(conf, sid) -> int``: how many requests of this process hold or wait for the session's lock
in the backend's in-process queue), then adopts these tests:

* import the ``test_*`` functions below into a test module (pytest collects them there, with
  that folder's fixtures), for the lock and restart behaviour every shared store must have;
* call :func:`adopt_tool_matrix` from another module to run the tool tests of
  ``plugins/sessions/tests/test_sessions_tool.py`` that take a ``backend`` fixture (data, ids,
  regeneration, expiry, locking modes, errors, redirects, streaming) against the store.

Only test suites import this module; it needs pytest and requests.
"""

from __future__ import annotations

import importlib.util
import inspect
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from cherrypy_sessions.testkit import in_background, wait_for

__all__ = [
    "adopt_tool_matrix",
    "test_lock_timeout_answers_503_for_queued_waiters",
    "test_one_visitors_parallel_requests_do_not_starve_others",
    "test_restart_mid_run_fails_in_flight_then_serves",
    "test_twenty_threads_lose_no_update",
    "test_two_processes_share_sessions_and_lose_no_update",
]


def test_twenty_threads_lose_no_update(
    live: Any, session_conf: dict, counter: Any, hammer_session: Any
) -> None:
    """Twenty clients of one server increment one session: no update is lost."""
    with live(counter, {"/": session_conf}) as base:
        sid = requests.get(base + "/increment").cookies["session_id"]
        assert sid
        answers = hammer_session([base], sid)
        assert sorted(answers) == list(range(2, 202))
        assert requests.get(base + "/peek", cookies={"session_id": sid}).text == "201"


def test_two_processes_share_sessions_and_lose_no_update(
    session_conf: dict, app_processes: Any, hammer_session: Any
) -> None:
    """Two server processes see one session, and their clients lose no update."""
    bases = app_processes(session_conf, 2)
    first = requests.get(bases[0] + "/increment")
    sid = first.cookies["session_id"]
    assert sid
    second = requests.get(bases[1] + "/increment", cookies={"session_id": sid})
    assert (first.text, second.text) == ("1", "2")
    answers = hammer_session(bases, sid)
    assert sorted(answers) == list(range(3, 203))


def test_restart_mid_run_fails_in_flight_then_serves(
    live: Any, session_conf: dict, counter: Any, service: Any
) -> None:
    """A store restart under load gives 500s (never a hung or dropped connection), and
    full service afterwards with every worker thread answering."""
    statuses: list[int] = []
    failures: list[str] = []
    stop = threading.Event()
    with live(counter, {"/": session_conf}) as base:

        def client() -> None:
            with requests.Session() as http:
                while not stop.is_set():
                    try:
                        statuses.append(http.get(base + "/", timeout=20).status_code)
                    except requests.RequestException as exc:
                        statuses.append(-1)
                        failures.append(repr(exc))

        clients = [threading.Thread(target=client) for _ in range(8)]
        for thread in clients:
            thread.start()
        time.sleep(0.3)
        service.stop()
        # Wait until a request has met the outage (a 500), however busy the machine is.
        deadline = time.monotonic() + 30
        while 500 not in statuses and time.monotonic() < deadline:
            time.sleep(0.05)
        service.start()
        time.sleep(0.3)
        stop.set()
        for thread in clients:
            thread.join(60)
        assert not any(thread.is_alive() for thread in clients)
        assert not failures, failures
        assert 500 in statuses
        with requests.Session() as http:
            if service.reconnects_at_once:
                assert set(statuses) == {200, 500}
            else:
                assert set(statuses) <= {200, 500}
                deadline = time.monotonic() + 15
                while http.get(base + "/", timeout=20).status_code != 200:
                    assert time.monotonic() < deadline, "no recovery after the restart"
                    time.sleep(0.1)
            answers = [http.get(base + "/", timeout=5) for _ in range(30)]
        assert [r.status_code for r in answers] == [200] * 30
        if service.reconnects_at_once:
            assert answers[-1].text == "30"
        else:
            assert int(answers[-1].text) >= 30


def test_one_visitors_parallel_requests_do_not_starve_others(
    live: Any, scarce_conf: dict, gated: Any, lock_queue_depth: Any
) -> None:
    """Six parallel requests of one visitor wait for the session lock in memory (only one of
    them holds a connection), so another visitor is answered at once, even with a pool of
    two connections; then all six are answered in turn."""
    with live(gated, {"/": scarce_conf}) as base, requests.Session() as http:
        http.get(base + "/", timeout=10)
        sid = http.cookies["session_id"]
        calls = [in_background(lambda: http.get(base + "/slow", timeout=60)) for _ in range(6)]
        assert gated.entered.wait(20)
        wait_for(lambda: lock_queue_depth(scarce_conf, sid) == 6, "six requests in the queue")
        with requests.Session() as other:
            assert [other.get(base + "/", timeout=10).text for _ in range(3)] == ["1", "2", "3"]
        gated.gate.set()
        for thread, _ in calls:
            thread.join(60)
        answers = sorted(int(response.text) for _, results in calls for response in results)
        assert answers == [2, 3, 4, 5, 6, 7]
        assert lock_queue_depth(scarce_conf, sid) == 0


def test_lock_timeout_answers_503_for_queued_waiters(
    live: Any, session_conf: dict, gated: Any, lock_queue_depth: Any
) -> None:
    """With ``lock_timeout``, requests queued behind a slow one get 503 with Retry-After
    (the time in the in-process queue counts), and leave nothing in the queue."""
    conf = dict(session_conf, **{"tools.sessions.lock_timeout": 0.3})
    conf["request.show_tracebacks"] = False
    with live(gated, {"/": conf}) as base, requests.Session() as http:
        http.get(base + "/", timeout=10)
        sid = http.cookies["session_id"]
        holder = in_background(lambda: http.get(base + "/slow", timeout=60))
        assert gated.entered.wait(20)
        cookies = {"session_id": str(sid)}
        waiters = [
            in_background(lambda: requests.get(base + "/", cookies=cookies, timeout=30))
            for _ in range(3)
        ]
        for thread, _ in waiters:
            thread.join(30)
        for _, (response,) in waiters:
            assert response.status_code == 503 and response.headers["Retry-After"] == "1"
            assert sid not in response.text
        assert lock_queue_depth(conf, sid) == 1  # the holder only
        gated.gate.set()
        holder[0].join(30)
        assert holder[1][0].text == "2"
        assert http.get(base + "/", timeout=10).text == "3"
        assert lock_queue_depth(conf, sid) == 0


_PLUGIN_TESTS = Path(__file__).resolve().parents[2] / "tests"


def _load_plugin_test_module(name: str, label: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"_sessions_{label}_matrix_{name}", _PLUGIN_TESTS / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _backend_fixture(session_conf: dict[str, Any]) -> dict[str, Any]:
    """The ``tools.sessions`` config of this store."""
    return dict(session_conf)


def adopt_tool_matrix(namespace: dict[str, Any], label: str) -> None:
    """Put the ``backend``-taking tests of cherrypy-sessions' tool suite into ``namespace``
    (a test module's ``globals()``), with the ``counter`` and ``cookies`` fixtures they use
    and a ``backend`` fixture that returns the module's ``session_conf``.

    ``label`` keeps the loaded copies apart (``"memcached"``).  Without the plugin's tests
    beside this package (an installed wheel), the calling module is skipped.
    """
    if not (_PLUGIN_TESTS / "test_sessions_tool.py").exists():  # pragma: no cover
        pytest.skip(
            "plugins/sessions/tests is not beside cherrypy_sessions", allow_module_level=True
        )
    fixtures = _load_plugin_test_module("conftest", label)
    tool_tests = _load_plugin_test_module("test_sessions_tool", label)
    namespace["counter"] = fixtures.counter
    namespace["cookies"] = fixtures.cookies
    namespace["backend"] = pytest.fixture(name="backend")(_backend_fixture)
    for name, test in vars(tool_tests).items():
        if name.startswith("test_") and "backend" in inspect.signature(test).parameters:
            namespace[name] = test
