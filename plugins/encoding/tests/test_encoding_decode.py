"""tools.decode over real HTTP: the charsets request entities are decoded with."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

import cherrypy

LATIN1_FORM = b"word=%E9t%E9"  # "été" in ISO-8859-1
UTF8_FORM = b"word=%C3%A9t%C3%A9"  # "été" in UTF-8


class Root:
    @cherrypy.expose
    def index(self, word: str = "") -> str:
        return f"{word}|{cherrypy.request.body.charset}"

    @cherrypy.expose
    def text(self) -> str:
        return cherrypy.request.body.fullvalue()


def post(
    base: str, body: bytes, content_type: str = "application/x-www-form-urlencoded", path: str = "/"
) -> requests.Response:
    return requests.post(base + path, data=body, headers={"Content-Type": content_type}, timeout=10)


def test_without_the_tool_latin1_forms_are_refused(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    assert post(base, UTF8_FORM).text == "été|utf-8"
    response = post(base, LATIN1_FORM)
    assert response.status_code == 400
    assert b"could not be decoded" in response.content


def test_default_encoding_extends_the_charsets(serve_root: Callable[..., str]) -> None:
    base = serve_root(
        Root(), {"/": {"tools.decode.on": True, "tools.decode.default_encoding": "iso-8859-1"}}
    )
    assert post(base, UTF8_FORM).text == "été|utf-8"
    assert post(base, LATIN1_FORM).text == "été|iso-8859-1"


def test_default_encoding_list(serve_root: Callable[..., str]) -> None:
    conf = {"/": {"tools.decode.on": True, "tools.decode.default_encoding": ["ascii", "cp1252"]}}
    base = serve_root(Root(), conf)
    assert post(base, LATIN1_FORM).text == "été|cp1252"


def test_encoding_replaces_the_charsets(serve_root: Callable[..., str]) -> None:
    base = serve_root(
        Root(), {"/": {"tools.decode.on": True, "tools.decode.encoding": "iso-8859-1"}}
    )
    # UTF-8 bytes are valid ISO-8859-1 too: the forced charset wins, even over a declared one.
    assert post(base, UTF8_FORM).text == "Ã©tÃ©|iso-8859-1"
    declared = "application/x-www-form-urlencoded; charset=utf-8"
    assert post(base, UTF8_FORM, declared).text == "Ã©tÃ©|iso-8859-1"


def test_encoding_list_is_tried_in_order(serve_root: Callable[..., str]) -> None:
    conf = {"/": {"tools.decode.on": True, "tools.decode.encoding": ["utf-8", "iso-8859-1"]}}
    base = serve_root(Root(), conf)
    assert post(base, UTF8_FORM).text == "été|utf-8"
    assert post(base, LATIN1_FORM).text == "été|iso-8859-1"


def test_only_the_forced_charset_is_attempted(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), {"/": {"tools.decode.on": True, "tools.decode.encoding": "ascii"}})
    response = post(base, UTF8_FORM)
    assert response.status_code == 400
    assert b"['ascii']" in response.content


@pytest.mark.parametrize(("charset", "expected"), [("utf-8", "été"), ("iso-8859-1", "Ã©tÃ©")])
def test_decorator_and_text_bodies(
    serve_root: Callable[..., str], charset: str, expected: str
) -> None:
    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.decode(encoding=charset)
        def text(self) -> str:
            return cherrypy.request.body.fullvalue()

    base = serve_root(Decorated())
    response = post(base, "été".encode(), "text/plain", "/text")
    assert response.text == expected
