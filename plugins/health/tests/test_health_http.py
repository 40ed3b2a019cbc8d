"""cherrypy-health over real HTTP: both probes on the engine's own server, readiness while the
engine starts, stops and drains, operator checks, the response headers and methods."""

from __future__ import annotations

import json
import time
from http.client import HTTPConnection, HTTPResponse
from urllib.parse import urlsplit

import requests

import cherrypy
from cherrypy.testing import serve
from cherrypy_health import draining_servers, health

PROBE_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def connect(base: str) -> HTTPConnection:
    """A keep-alive connection to ``base``."""
    parts = urlsplit(base)
    return HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)


def ask(conn: HTTPConnection, path: str, method: str = "GET") -> tuple[HTTPResponse, dict]:
    """One request on ``conn``; the response and its JSON body (``{}`` when empty)."""
    conn.request(method, path)
    response = conn.getresponse()
    data = response.read()
    return response, (json.loads(data) if data else {})


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


# ------------------------------------------------------------------------- a started engine


def test_both_probes_answer_on_the_site_port_when_started(engine_site) -> None:
    base = engine_site.start()
    assert get(base + "/").text == "hello"

    live = get(base + "/healthz")
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    ready = get(base + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "engine": "STARTED"}
    for response in (live, ready):
        for name, value in PROBE_HEADERS.items():
            assert response.headers[name] == value
        assert "Retry-After" not in response.headers
    # The exact path only, with or without the trailing slash.
    assert get(base + "/readyz/").status_code == 200
    assert get(base + "/readyz/more").status_code == 404


def test_head_is_answered_without_a_body_and_other_methods_get_405(engine_site) -> None:
    base = engine_site.start()
    conn = connect(base)
    try:
        for path in ("/healthz", "/readyz"):
            response, body = ask(conn, path, "HEAD")
            assert response.status == 200 and body == {}
            assert response.getheader("Content-Type") == "application/json"
            response, body = ask(conn, path, "POST")
            assert response.status == 405
            assert response.getheader("Allow") == "GET, HEAD"
            assert response.getheader("Cache-Control") == "no-store"
            assert body == {"status": "method not allowed"}
    finally:
        conn.close()


def test_custom_paths_and_switching_off(engine_site) -> None:
    base = engine_site.start(live_path="/ops/live/", ready_path="/ops/ready")
    assert get(base + "/ops/live").json() == {"status": "alive"}
    assert get(base + "/ops/ready").json()["status"] == "ready"
    assert get(base + "/healthz").status_code == 404

    cherrypy.config.update({"health.ready_path": "/ready"})
    assert get(base + "/ready").status_code == 200
    assert get(base + "/ops/ready").status_code == 404

    cherrypy.config.update({"health.on": False})
    assert get(base + "/ops/live").status_code == 404
    assert get(base + "/ready").status_code == 404
    assert get(base + "/").text == "hello"


# ------------------------------------------------------------------------- the engine's state


def test_readiness_is_503_while_the_engine_is_starting(engine_site) -> None:
    # This start listener runs after the HTTP server's (priority 75): the server is
    # listening while the engine is still STARTING.
    reached, release = engine_site.hold("start", priority=90)
    engine_site.configure()
    starting = engine_site.in_thread(cherrypy.engine.start)
    assert reached.wait(10)
    assert cherrypy.engine.state is cherrypy.engine.states.STARTING

    ready = get(engine_site.base + "/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "starting", "engine": "STARTING"}
    assert ready.headers["Retry-After"] == "1"
    assert ready.headers["Cache-Control"] == "no-store"
    assert get(engine_site.base + "/healthz").json() == {"status": "alive"}

    release.set()
    starting.join(10)
    assert get(engine_site.base + "/readyz").status_code == 200


def test_readiness_is_503_while_the_engine_stops_with_a_request_in_flight(engine_site) -> None:
    base = engine_site.start()
    root = engine_site.root
    # A stop listener that runs before the HTTP server's (priority 25): the engine is
    # STOPPING and the server still accepts connections.
    reached, release = engine_site.hold("stop", priority=10)
    slow: dict[str, requests.Response] = {}
    engine_site.in_thread(lambda: slow.setdefault("response", get(base + "/slow")))
    assert root.entered.wait(10)

    probe = connect(base)  # opened (and kept alive) before the stop
    try:
        response, body = ask(probe, "/readyz")
        assert response.status == 200 and body["status"] == "ready"

        stopping = engine_site.in_thread(cherrypy.engine.stop)
        assert reached.wait(10)
        response, body = ask(probe, "/readyz")
        assert response.status == 503
        assert body == {"status": "stopping", "engine": "STOPPING"}
        assert response.getheader("Retry-After") == "1"
        response, body = ask(probe, "/healthz")
        assert response.status == 200 and body == {"status": "alive"}
        fresh = get(base + "/readyz")
        assert fresh.status_code == 503 and fresh.json()["status"] == "stopping"
    finally:
        probe.close()

    # The server now drains: the slow request is still in flight.
    release.set()
    httpserver = cherrypy.server.httpserver
    wait_until(lambda: getattr(httpserver, "stopping", False))
    assert draining_servers() == ["main"]
    assert stopping.is_alive() and "response" not in slow  # engine.stop() waits for it
    root.release.set()
    stopping.join(20)
    assert slow["response"].status_code == 200
    assert slow["response"].text == "slow done"
    assert cherrypy.engine.state is cherrypy.engine.states.STOPPED
    assert health.readiness().body == {"status": "stopped", "engine": "STOPPED"}
    # A server stopped for good keeps its flag, but no longer counts as draining.
    assert draining_servers() == []


def test_readiness_is_503_while_a_server_drains_under_a_started_engine(engine_site) -> None:
    base = engine_site.start()
    root = engine_site.root
    slow: dict[str, requests.Response] = {}
    engine_site.in_thread(lambda: slow.setdefault("response", get(base + "/slow")))
    assert root.entered.wait(10)

    # The main server stops (draining its in-flight request) while the engine runs on; a
    # second server, outside the engine, still reaches the same tree.
    stopping = engine_site.in_thread(cherrypy.server.stop)
    httpserver = cherrypy.server.httpserver
    wait_until(lambda: getattr(httpserver, "stopping", False))
    with serve(server="wsgiref") as side:
        ready = get(side + "/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "draining", "engine": "STARTED", "server": "main"}
        assert ready.headers["Retry-After"] == "1"
        assert get(side + "/healthz").status_code == 200

        root.release.set()
        stopping.join(20)
        assert slow["response"].text == "slow done"
        # Stopped for good, the server no longer holds readiness down.
        assert get(side + "/readyz").json() == {"status": "ready", "engine": "STARTED"}


def test_readiness_without_a_running_engine_says_stopped() -> None:
    cherrypy.config.update({"health.on": True})
    assert cherrypy.engine.state is not cherrypy.engine.states.STARTED
    with serve() as base:
        ready = get(base + "/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] in ("stopped", "exiting")
        assert get(base + "/healthz").json() == {"status": "alive"}


# ------------------------------------------------------------------------- operator checks

DATABASE_UP = {"up": True}


def database() -> bool:
    return DATABASE_UP["up"]


def queue() -> bool:
    raise ConnectionError("secret-host:5672 refused the connection")


def test_a_failing_check_makes_readiness_503_and_is_named(engine_site) -> None:
    DATABASE_UP["up"] = True
    base = engine_site.start(checks=[database, "os:getcwd"])
    assert get(base + "/readyz").json() == {"status": "ready", "engine": "STARTED"}

    DATABASE_UP["up"] = False
    ready = get(base + "/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "failing", "engine": "STARTED", "check": "database"}
    assert ready.headers["Retry-After"] == "1"
    assert get(base + "/healthz").status_code == 200

    DATABASE_UP["up"] = True
    assert get(base + "/readyz").status_code == 200

    cherrypy.config.update({"health.checks": ["builtins:bool"]})  # bool() is False
    assert get(base + "/readyz").json()["check"] == "builtins:bool"


def test_a_raising_check_is_named_without_its_message(engine_site, error_log) -> None:
    base = engine_site.start(checks=["os:getcwd", queue])
    ready = get(base + "/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "failing", "engine": "STARTED", "check": "queue"}
    assert "secret-host" not in ready.text
    assert any(
        "Health check queue raised ConnectionError: secret-host" in line for line in error_log
    )
