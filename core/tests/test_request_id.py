"""``request.id`` and the ``X-Request-ID`` response header, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

import cherrypy
from cherrypy.kernel import observe
from cherrypy.plugin import want_request_id_header
from cherrypy.testing import reset, serve


@pytest.fixture(autouse=True)
def clean_site() -> Iterator[None]:
    reset()
    observe.reset()
    yield
    reset()
    observe.reset()


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return cherrypy.request.id

    @cherrypy.expose
    def twice(self) -> str:
        request = cherrypy.request
        return f"{request.id} {request.id} {request.unique_id}"

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    def inside(self) -> str:
        raise cherrypy.InternalRedirect("/")

    @cherrypy.expose
    def gone(self) -> str:
        raise cherrypy.HTTPError(410)


def get(base: str, path: str, request_id: str | None = None) -> requests.Response:
    headers = {} if request_id is None else {"X-Request-ID": request_id}
    return requests.get(base + path, headers=headers, timeout=10)


def test_the_id_is_the_unique_id_when_the_client_sends_none() -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        first, second = get(base, "/twice").text.split(" ", 2), get(base, "/").text
    assert first[0] == first[1] == first[2]
    assert uuid.UUID(first[0]).version == 4
    assert second != first[0]


@pytest.mark.parametrize(
    "sent",
    ["abc", "0af7651916cd43dd8448eb211c80319c", "req-1.2:3_x", "a" * 128],
)
def test_a_valid_incoming_id_is_kept(sent: str) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        assert get(base, "/", sent).text == sent


@pytest.mark.parametrize(
    "sent", ["", "a" * 129, "has space", "semi;colon", "new\\nline", "é", "a,b", "<script>"]
)
def test_an_invalid_incoming_id_is_replaced(sent: str) -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        answer = get(base, "/", sent).text
    assert uuid.UUID(answer).version == 4


def test_no_header_is_added_until_someone_wants_it() -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = get(base, "/", "given")
    assert "X-Request-ID" not in response.headers
    assert not observe.active


def test_every_response_carries_the_id_once_wanted() -> None:
    want_request_id_header()
    cherrypy.tree.mount(Root(), "/app")
    with serve() as base:
        ok = get(base, "/app/")
        given = get(base, "/app/", "client-id")
        error = get(base, "/app/boom")
        gone = get(base, "/app/gone", "gone-id")
        missing = get(base, "/app/nowhere")
        unmounted = get(base, "/elsewhere", "tree-404")
        redirected = get(base, "/app/inside", "follow-me")
    assert ok.headers["X-Request-ID"] == ok.text
    assert given.headers["X-Request-ID"] == "client-id" == given.text
    assert error.status_code == 500
    assert uuid.UUID(error.headers["X-Request-ID"]).version == 4
    assert (gone.status_code, gone.headers["X-Request-ID"]) == (410, "gone-id")
    assert missing.status_code == 404
    assert "X-Request-ID" in missing.headers
    assert (unmounted.status_code, unmounted.headers["X-Request-ID"]) == (404, "tree-404")
    assert redirected.headers["X-Request-ID"] == "follow-me" == redirected.text


def test_a_malformed_request_still_carries_an_id() -> None:
    want_request_id_header()
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        response = requests.get(base + "/", headers={"Host": "bad host/x"}, timeout=10)
    assert response.status_code == 400
    assert uuid.UUID(response.headers["X-Request-ID"]).version == 4


def test_the_header_goes_when_its_last_owner_lets_go() -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        want_request_id_header("metrics")
        want_request_id_header("otel")
        want_request_id_header("metrics", wanted=False)
        assert "X-Request-ID" in get(base, "/").headers
        want_request_id_header("otel", wanted=False)
        assert "X-Request-ID" not in get(base, "/").headers
        cherrypy.config.update({"log.format": "json"})
        assert "X-Request-ID" in get(base, "/").headers
        cherrypy.config.update({"log.format": "text"})
        assert "X-Request-ID" not in get(base, "/").headers
    assert not observe.active


def test_generated_ids_are_uuid4_and_never_repeat_across_a_fork() -> None:
    import os

    from cherrypy.kernel.request import _uuid4_text

    first = _uuid4_text()  # the parent now holds a pool of random bytes
    assert uuid.UUID(first).version == 4
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id must not be the parent's next one
        os.write(write, _uuid4_text().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = _uuid4_text()
    assert uuid.UUID(child).version == 4
    assert child != parent
    assert len({_uuid4_text() for _ in range(1000)}) == 1000
