"""tools.request_id over real HTTP: per-path config, decorator, custom header, incoming ids."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests

import cherrypy
from cherrypy.testing import reset, serve
from cherrypy_example_tool import is_valid_request_id, new_request_id


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Unmount everything and restore the global config around each test."""
    reset()
    yield
    reset()


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "id=" + getattr(cherrypy.request, "request_id", "none")

    @cherrypy.expose
    def plain(self) -> str:
        return "plain"

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    @cherrypy.tools.request_id(header="X-Trace")
    def decorated(self) -> str:
        return cherrypy.request.request_id


CONF = {
    "/": {"tools.request_id.on": True},
    "/plain": {"tools.request_id.on": False},
}


def test_tool_is_on_the_toolbox() -> None:
    assert "request_id" in list(cherrypy.tools)


def test_header_is_set_and_matches_the_id_seen_by_the_handler() -> None:
    cherrypy.tree.mount(Root(), "", CONF)
    with serve() as base:
        first = requests.get(base + "/")
        second = requests.get(base + "/")
    rid = first.headers["X-Request-Id"]
    assert first.status_code == 200
    assert first.text == "id=" + rid
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert second.headers["X-Request-Id"] != rid


def test_tool_is_off_on_other_paths() -> None:
    cherrypy.tree.mount(Root(), "", CONF)
    with serve() as base:
        resp = requests.get(base + "/plain")
    assert resp.text == "plain"
    assert "X-Request-Id" not in resp.headers


def test_error_responses_carry_the_id() -> None:
    cherrypy.tree.mount(Root(), "", CONF)
    with serve() as base:
        missing = requests.get(base + "/nowhere")
        failed = requests.get(base + "/boom")
    assert missing.status_code == 404
    assert is_valid_request_id(missing.headers["X-Request-Id"])
    assert failed.status_code == 500
    assert is_valid_request_id(failed.headers["X-Request-Id"])


def test_decorator_with_custom_header() -> None:
    cherrypy.tree.mount(Root(), "")
    with serve() as base:
        resp = requests.get(base + "/decorated")
    assert "X-Request-Id" not in resp.headers
    assert resp.headers["X-Trace"] == resp.text


def test_incoming_id_is_reused_only_when_trusted_and_well_formed() -> None:
    conf = {
        "/": {"tools.request_id.on": True},
        "/plain": {"tools.request_id.on": True, "tools.request_id.trust_incoming": True},
    }
    cherrypy.tree.mount(Root(), "", conf)
    with serve() as base:
        untrusted = requests.get(base + "/", headers={"X-Request-Id": "abc-123"})
        trusted = requests.get(base + "/plain", headers={"X-Request-Id": "abc-123"})
        forged = requests.get(base + "/plain", headers={"X-Request-Id": "a b\tc"})
    assert untrusted.headers["X-Request-Id"] != "abc-123"
    assert trusted.headers["X-Request-Id"] == "abc-123"
    assert forged.headers["X-Request-Id"] != "a b\tc"
    assert is_valid_request_id(forged.headers["X-Request-Id"])


def test_id_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    conf = {"/": {"tools.request_id.on": True}, "/plain": {"tools.request_id.log": False}}
    cherrypy.tree.mount(Root(), "", conf)
    with caplog.at_level(logging.INFO), serve() as base:
        rid = requests.get(base + "/").headers["X-Request-Id"]
        quiet = requests.get(base + "/plain").headers["X-Request-Id"]
    text = caplog.text
    assert f"GET / X-Request-Id={rid}" in text
    assert quiet not in text


def test_helpers() -> None:
    assert is_valid_request_id(new_request_id())
    assert not is_valid_request_id("")
    assert not is_valid_request_id("x" * 129)
    assert not is_valid_request_id("evil\r\nSet-Cookie: a=b")
