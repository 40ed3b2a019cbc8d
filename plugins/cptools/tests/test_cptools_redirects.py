"""tools.redirect and tools.err_redirect over real HTTP."""

from __future__ import annotations

import pytest
import requests

import cherrypy
from cherrypy.lib import cptools


class Root:
    @cherrypy.expose
    def target(self, **params: str) -> str:
        return "target " + ",".join(f"{k}={v}" for k, v in sorted(params.items()))

    @cherrypy.expose
    @cherrypy.tools.redirect(url="/target?from=inside")
    def inside(self) -> str:
        return "never"

    @cherrypy.expose
    @cherrypy.tools.redirect(url="/target", internal=False)
    def outside(self) -> str:
        return "never"

    @cherrypy.expose
    @cherrypy.tools.err_redirect(url="/target?error=1")
    def fails(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    @cherrypy.tools.err_redirect(url="/target", internal=False)
    def fails_outside(self) -> str:
        raise ValueError("boom")

    @cherrypy.expose
    @cherrypy.tools.redirect(url="/target\r\nSet-Cookie: pwned=1", internal=False)
    def injected(self) -> str:
        return "never"


def test_internal_redirect(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/inside", allow_redirects=False)
    assert r.status_code == 200
    assert r.text == "target from=inside"


def test_http_redirect(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/outside", allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == base + "/target"


def test_err_redirect_internal(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/fails", allow_redirects=False)
    assert r.status_code == 200
    assert r.text == "target error=1"


def test_err_redirect_http(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/fails_outside", allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == base + "/target"


def test_redirect_refuses_header_injection(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/injected", allow_redirects=False)
    assert r.status_code == 500
    assert "pwned" not in r.headers.get("Set-Cookie", "")
    assert "Location" not in r.headers


def test_redirect_function_refuses_control_characters() -> None:
    with pytest.raises(ValueError, match="control character"):
        cptools.redirect("/a\nb", internal=False)
