"""Header values with RFC 2047 encoded words: the ``Host`` header is decoded as CherryPy does
and the CR/LF a decoded value may hide are elided (``SanitizedHost``); other headers that would
decode to CR, LF or NUL keep their encoded text."""

from __future__ import annotations

import pytest

import cherrypy
from cherrypy.kernel.httputil import SanitizedHost, decode_host


class Echo:
    @cherrypy.expose
    def header(self, name):
        value = cherrypy.request.headers[name]
        raw = getattr(value, "raw", None)
        return repr((value, raw, cherrypy.request.base))


@pytest.fixture
def app(wsgi):
    cherrypy.tree.mount(Echo())
    return wsgi


def _echo(app, name, value):
    import ast

    res = app.get("/header", query=f"name={name}", headers={name: value})
    assert res.code == 200
    return ast.literal_eval(res.text)


def test_encoded_host_with_a_newline_is_decoded_and_the_newline_elided(app):
    value, raw, base = _echo(app, "Host", "=?iso-8859-1?q?foo=0Abar?=")
    assert value == "foobar"
    assert raw == "foo\nbar"
    assert base == "http://foobar"


def test_encoded_host_without_dangerous_characters_is_just_decoded(app):
    value, raw, base = _echo(app, "Host", "=?utf-8?q?example.org?=")
    assert (value, raw, base) == ("example.org", None, "http://example.org")


def test_other_headers_hiding_a_newline_keep_their_encoded_text(app):
    value, raw, _base = _echo(app, "X-Note", "=?iso-8859-1?q?foo=0Abar?=")
    assert (value, raw) == ("=?iso-8859-1?q?foo=0Abar?=", None)


def test_decode_host_leaves_undecodable_or_nul_values_alone():
    assert decode_host("=?no-such-charset?q?x?=") == "=?no-such-charset?q?x?="
    assert decode_host("=?iso-8859-1?q?a=00b?=") == "=?iso-8859-1?q?a=00b?="
    host = decode_host("=?iso-8859-1?q?a=0D=0Ab?=")
    assert isinstance(host, SanitizedHost)
    assert (host, host.raw) == ("ab", "a\r\nb")
