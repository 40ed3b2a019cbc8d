"""Headers whose value changes with every response (``X-Request-ID``) are sent like any other,
checked like any other, and kept out of the server's cache of serialized heads."""

from __future__ import annotations

import itertools

from cherrypy_server import gateway

HOST = b"Host: test\r\n"


def test_each_response_carries_its_own_id_and_the_head_cache_stays_small(start_server, connect):
    counter = itertools.count()

    def app(environ, start_response):
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("X-Request-ID", f"id-{next(counter)}"),
                ("Content-Length", "2"),
            ],
        )
        return [b"ok"]

    client = connect(start_server(app))
    gateway._heads.clear()
    seen = []
    for _ in range(50):
        client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        response = client.read_response()
        assert (response.status, response.body) == (200, b"ok")
        assert response.header("Content-Type") == "text/plain"
        seen.append(response.header("X-Request-ID"))
    assert seen == [f"id-{n}" for n in range(50)]
    assert len(gateway._heads) == 1  # one head for 50 responses, not 50


def test_a_volatile_header_with_a_newline_is_refused_like_any_other(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("X-Request-ID", "a\r\nSet-Cookie: evil=1")])
        return [b"never sent"]

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 500
    assert b"evil" not in response.raw


def test_a_volatile_header_outside_latin_1_is_refused(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("x-request-id", "\u2603")])
        return [b"never sent"]

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 500
