"""An application that stops the server from inside a request still answers that request.

CherryPy applications end a process from a page handler (``cherrypy.engine.exit()`` in an
``/exit`` handler, the autoreloader's tests, daemon control pages): the server is stopped by
the very worker thread that serves the request, and the client must get its answer, at once,
rather than an empty reply after ``shutdown_timeout``.  Also here: the wording of the 400 for
a request target that is not a path.
"""

from __future__ import annotations

import threading
import time

HOST = b"Host: test\r\n"


def test_stop_called_by_the_serving_request_still_answers_it(start_server, connect):
    stopped = threading.Event()
    holder: dict[str, object] = {}

    def app(environ, start_response):
        holder["server"].stop()  # type: ignore[attr-defined]
        stopped.set()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
        return [b"bye"]

    server = start_server(app, shutdown_timeout=3)
    holder["server"] = server
    client = connect(server)
    began = time.monotonic()
    client.send(b"GET /exit HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    elapsed = time.monotonic() - began
    assert response.status == 200
    assert response.body == b"bye"
    assert stopped.is_set()
    assert not server.ready
    # No wait for the worker's own request to finish: it is the one stopping the server.
    assert elapsed < 2.0, elapsed
    assert client.is_closed()


def test_stop_from_a_request_still_cuts_other_busy_requests(start_server, connect):
    release = threading.Event()
    entered = threading.Event()
    holder: dict[str, object] = {}

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            release.wait(10)
        else:
            holder["server"].stop()  # type: ignore[attr-defined]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = start_server(app, shutdown_timeout=0.5)
    holder["server"] = server
    slow = connect(server)
    slow.send(b"GET /slow HTTP/1.1\r\n" + HOST + b"\r\n")
    assert entered.wait(5)
    stopper = connect(server)
    stopper.send(b"GET /exit HTTP/1.1\r\n" + HOST + b"\r\n")
    try:
        assert stopper.read_response().status == 200
        # The other request outlived shutdown_timeout: its connection is cut.
        assert slow.is_closed(timeout=3)
        assert slow.buffer == b""
    finally:
        release.set()


def test_target_that_is_not_a_path_gets_invalid_path_400(start_server, connect):
    def app(environ, start_response):  # pragma: no cover - never reached
        raise AssertionError("the application must not be called")

    client = connect(start_server(app))
    client.send(b"GET invalid/path/without/slash HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 400
    assert b"Invalid path in Request-URI" in response.body
    assert client.is_closed()
