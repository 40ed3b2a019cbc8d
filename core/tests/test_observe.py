"""Request observers (``cherrypy.plugin.add_request_observer``) and ``request.route``, over
real HTTP: every request served by the tree is reported exactly once, with its final status,
its body size and the exception it failed with."""

from __future__ import annotations

import http.client
import random
import string
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.kernel import observe
from cherrypy.plugin import (
    RequestObserver,
    RequestView,
    ResponseView,
    add_request_observer,
    remove_request_observer,
)
from cherrypy.testing import reset, serve


@pytest.fixture(autouse=True)
def clean_site() -> Iterator[None]:
    reset()
    yield
    reset()
    observe.reset()


class Recorder:
    """Records (state, route, status, error, body bytes, app) per finished request."""

    def __init__(self) -> None:
        self.finished: list[dict[str, Any]] = []
        self.started = 0
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)

    def request_started(self, request: RequestView) -> object:
        with self.lock:
            self.started += 1
        return {"method": request.method, "path": request.path_info, "id": request.id}

    def request_finished(
        self,
        request: RequestView,
        response: ResponseView,
        state: object,
        error: BaseException | None,
        body_bytes: int,
    ) -> None:
        with self.lock:
            self.finished.append(
                {
                    "state": state,
                    "route": request.route,
                    "status": int(response.output_status[:3]),
                    "error": error,
                    "bytes": body_bytes,
                    "app": request.app,
                    "id": request.id,
                }
            )
            self.done.notify_all()

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        """The finished records once there are ``count`` (closing may follow the response)."""
        with self.lock:
            assert self.done.wait_for(lambda: len(self.finished) >= count, timeout=10)
            return list(self.finished)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    add_request_observer(found)
    try:
        yield found
    finally:
        remove_request_observer(found)
        observe.reset()


class Users:
    @cherrypy.expose
    def index(self) -> str:
        return "users"

    @cherrypy.expose
    def show(self, user_id: str = "") -> str:
        return "user " + user_id

    @cherrypy.expose
    def default(self, *args: str) -> str:
        return "default " + "/".join(args)


class Root:
    users = Users()

    @cherrypy.expose
    def index(self) -> str:
        return "home"

    @cherrypy.expose
    def page(self, *args: str) -> str:
        return "page"

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    def missing(self) -> str:
        raise cherrypy.HTTPError(404)

    @cherrypy.expose
    def moved(self) -> str:
        raise cherrypy.HTTPRedirect("/")

    @cherrypy.expose
    def inside(self) -> str:
        raise cherrypy.InternalRedirect("/users/")

    @cherrypy.expose
    @cherrypy.config(**{"response.stream": True})
    def stream(self) -> Iterator[bytes]:
        yield b"abc"
        yield b"defg"

    @cherrypy.expose
    @cherrypy.config(**{"response.stream": True})
    def broken_stream(self) -> Iterator[bytes]:
        yield b"abc"
        raise RuntimeError("mid-body")

    @cherrypy.expose
    @cherrypy.config(**{"response.stream": True})
    def endless(self) -> Iterator[bytes]:
        while True:
            yield b"x" * 65536


class Catchall:
    @cherrypy.expose
    def default(self, *args: str) -> str:
        return "anything"


def test_the_observer_protocol_is_runtime_checkable(recorder: Recorder) -> None:
    assert isinstance(recorder, RequestObserver)
    assert observe.active


def test_each_request_is_reported_once_with_status_route_and_size(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        paths = {
            "/app/": (200, "/app/", 4),
            "/app/users/": (200, "/app/users/", 5),
            "/app/users/index": (200, "/app/users/", 5),
            "/app/users/show?user_id=7": (200, "/app/users/show", 6),
            "/app/users/a/b/c": (200, "/app/users/default", len("default a/b/c")),
            "/app/page/extra/args": (200, "/app/page", 4),
            "/app/missing": (404, "/app/missing", None),
            "/app/moved": (303, "/app/moved", None),
        }
        for path, (status, _route, _size) in paths.items():
            assert (
                requests.get(base + path, timeout=10, allow_redirects=False).status_code == status
            )
        records = recorder.wait_for(len(paths))
    assert recorder.started == len(paths)
    # A request is reported when it closes, after its response went out: the next request
    # (on another worker) may be reported first, so records are matched by their path.
    by_path = {record["state"]["path"]: record for record in records}
    assert len(by_path) == len(paths)
    for path, (status, route, size) in paths.items():
        record = by_path[path.split("?")[0].removeprefix("/app")]
        assert record["status"] == status, path
        assert record["route"] == route, path
        assert record["error"] is None, path
        assert record["app"] is cherrypy.tree.apps["/app"]
        if size is not None:
            assert record["bytes"] == size, path
        assert record["state"]["id"] == record["id"]


def test_a_handler_that_raises_is_a_500_with_its_exception(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/boom", timeout=10)
        [record] = recorder.wait_for(1)
    assert response.status_code == 500
    assert record["status"] == 500
    assert isinstance(record["error"], ValueError)
    assert record["bytes"] == len(response.content)
    assert record["route"] == "/boom"


def test_the_trees_own_404_is_observed(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        response = requests.get(base + "/elsewhere?q=1", timeout=10)
        [record] = recorder.wait_for(1)
    assert response.status_code == 404
    assert record["status"] == 404
    assert record["app"] is None
    assert record["route"] is None
    assert record["bytes"] == 0
    assert record["state"]["path"] == "/elsewhere"


def test_a_dispatcher_404_has_no_route(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        assert requests.get(base + "/users/x/y", timeout=10).status_code == 200
        assert requests.get(base + "/nowhere", timeout=10).status_code == 404
        records = recorder.wait_for(2)
    assert records[1]["route"] is None


def test_a_streamed_body_is_counted_after_its_last_chunk(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/stream", timeout=10)
        [record] = recorder.wait_for(1)
    assert response.content == b"abcdefg"
    assert record["bytes"] == 7
    assert record["error"] is None


def test_a_stream_that_fails_reports_its_error(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        try:
            requests.get(base + "/broken_stream", timeout=10)
        except requests.RequestException:
            pass  # the body is cut short: the client may notice
        [record] = recorder.wait_for(1)
    assert isinstance(record["error"], RuntimeError)
    assert record["bytes"] >= 3


def test_a_client_that_goes_away_mid_body_is_reported_once(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        host, port = base.split("//", 1)[1].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/endless")
        response = connection.getresponse()
        response.read(65536)
        connection.close()  # the server fails to write and closes the response
        [record] = recorder.wait_for(1)
    assert record["status"] == 200
    assert record["bytes"] >= 65536


def test_an_internal_redirect_is_one_request(recorder: Recorder) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/inside", timeout=10)
        requests.get(base + "/", timeout=10)
        records = recorder.wait_for(2)
    assert response.text == "users"
    assert recorder.started == 2
    assert records[0]["route"] == "/users/"
    assert records[0]["state"]["path"] == "/inside"
    assert records[0]["id"] == records[0]["state"]["id"]


def test_a_static_file_sent_whole_is_counted(recorder: Recorder, tmp_path: Any) -> None:
    pytest.importorskip("cherrypy_static")
    (tmp_path / "data.bin").write_bytes(b"z" * 100_000)
    conf = {"/files": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tmp_path)}}
    cherrypy.tree.mount(Root(), "", conf)
    with serve() as base:
        response = requests.get(base + "/files/data.bin", timeout=10)
        [record] = recorder.wait_for(1)
    assert len(response.content) == 100_000
    assert record["bytes"] == 100_000


def test_an_observer_that_raises_is_logged_and_the_client_served(error_log: Any) -> None:
    class Broken:
        def request_started(self, request: RequestView) -> object:
            raise RuntimeError("observer start")

        def request_finished(self, *args: Any) -> None:
            raise RuntimeError("observer finish")

    broken = Broken()
    recorder = Recorder()
    add_request_observer(broken)
    add_request_observer(recorder)
    try:
        cherrypy.tree.mount(Root(), "")
        with serve() as base:
            response = requests.get(base + "/", timeout=10)
            recorder.wait_for(1)
    finally:
        observe.reset()
    assert response.text == "home"
    text = "\n".join(error_log.messages)
    assert "observer start" in text
    assert "observer finish" in text


def test_removing_the_last_observer_switches_observation_off() -> None:
    recorder = Recorder()
    add_request_observer(recorder)
    add_request_observer(recorder)
    assert observe.observers == (recorder,)
    remove_request_observer(recorder)
    assert not observe.active


def random_path(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "-._~%"
    return "/".join(
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        for _ in range(rng.randint(1, 4))
    )


def test_routes_stay_few_whatever_paths_clients_send(recorder: Recorder) -> None:
    cherrypy.tree.mount(Catchall(), "/catch")
    cherrypy.tree.mount(Root(), "")
    rng = random.Random(22)
    with serve() as base, requests.Session() as session:
        for _ in range(1000):
            session.get(f"{base}/catch/{random_path(rng)}", timeout=10)
        for _ in range(1000):
            session.get(f"{base}/{random_path(rng)}", timeout=10)
        records = recorder.wait_for(2000)
    routes = {record["route"] for record in records}
    assert len(records) == 2000
    # Unknown paths end at the root's default-less tree (404, no route) or at a real handler
    # with virtual-path arguments (/page/<anything>): never a route per URL.
    assert routes <= {"/catch/default", "/page", "/", "/users/default", None}
    assert "/catch/default" in routes
    assert None in routes
