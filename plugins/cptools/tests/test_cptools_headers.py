"""tools.response_headers, tools.ignore_headers and tools.referer over real HTTP."""

from __future__ import annotations

import requests

import cherrypy


class Root:
    @cherrypy.expose
    @cherrypy.tools.response_headers(
        headers=[("X-Frame-Options", "DENY"), ("Content-Type", "text/plain")]
    )
    def plain(self) -> str:
        return "plain"

    @cherrypy.expose
    @cherrypy.tools.response_headers(headers=[("X-Kept", "yes")])
    def broken(self) -> str:
        raise cherrypy.HTTPError(409, "conflict")

    @cherrypy.expose
    @cherrypy.tools.ignore_headers(headers=["Range", "X-Secret"])
    def seen(self) -> str:
        h = cherrypy.request.headers
        return f"{h.get('Range')}|{h.get('X-Secret')}|{h.get('X-Other')}"

    @cherrypy.expose
    @cherrypy.tools.ignore_headers()
    def default_ignored(self) -> str:
        return str(cherrypy.request.headers.get("Range"))

    @cherrypy.expose
    def index(self) -> str:
        return "index"


def test_response_headers_are_set(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/plain")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Content-Type"].startswith("text/plain")


def test_response_headers_survive_errors(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/broken")
    assert r.status_code == 409
    assert r.headers["X-Kept"] == "yes"


def test_ignore_headers(serve_root) -> None:
    base = serve_root(Root())
    headers = {"Range": "bytes=0-1", "X-Secret": "s", "X-Other": "o"}
    assert requests.get(base + "/seen", headers=headers).text == "None|None|o"
    r = requests.get(base + "/default_ignored", headers={"Range": "bytes=0-1"})
    assert r.text == "None"


def test_referer_accept(serve_root) -> None:
    conf = {"/": {"tools.referer.on": True, "tools.referer.pattern": r"https?://good\.example/"}}
    base = serve_root(Root(), conf)
    assert requests.get(base + "/", headers={"Referer": "http://good.example/x"}).text == "index"
    r = requests.get(base + "/", headers={"Referer": "http://bad.example/"})
    assert r.status_code == 403
    assert "Forbidden Referer header." in r.text
    assert requests.get(base + "/").status_code == 403


def test_referer_deny_list_and_missing(serve_root) -> None:
    conf = {
        "/": {
            "tools.referer.on": True,
            "tools.referer.pattern": r"http://spam\.",
            "tools.referer.accept": False,
            "tools.referer.accept_missing": True,
            "tools.referer.error": 401,
            "tools.referer.message": "Go away",
        }
    }
    base = serve_root(Root(), conf)
    assert requests.get(base + "/").text == "index"
    assert requests.get(base + "/", headers={"Referer": "http://ok.example"}).status_code == 200
    r = requests.get(base + "/", headers={"Referer": "http://spam.example"})
    assert r.status_code == 401 and "Go away" in r.text
