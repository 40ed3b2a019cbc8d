"""tools.allow, tools.accept and tools.autovary over real HTTP."""

from __future__ import annotations

import requests

import cherrypy
from cherrypy.lib import cptools


class Root:
    @cherrypy.expose
    @cherrypy.tools.allow(methods=["post", "GET"])
    def form(self) -> str:
        return "form " + cherrypy.request.method

    @cherrypy.expose
    @cherrypy.tools.allow()
    def readonly(self) -> str:
        return "read"

    @cherrypy.expose
    @cherrypy.tools.allow(methods="PUT")
    def single(self) -> str:
        return "put"

    @cherrypy.expose
    @cherrypy.tools.accept(media=["text/html", "application/json"])
    def feed(self) -> str:
        return "feed"

    @cherrypy.expose
    def chosen(self) -> str:
        return cptools.accept(["text/plain", "text/html", "image/png"]) or "none"

    @cherrypy.expose
    @cherrypy.tools.autovary()
    def varied(self) -> str:
        return cherrypy.request.headers.get("Accept-Language", "none")

    @cherrypy.expose
    @cherrypy.tools.autovary(ignore=["Accept-Language"])
    def ignored(self) -> bytes:
        cherrypy.response.headers["Vary"] = "Cookie"
        cherrypy.response.headers["Content-Type"] = "application/octet-stream"
        headers = cherrypy.request.headers
        return (headers.get("Accept-Language", "none") + headers.get("X-Custom", "")).encode()


def test_allow_lists_methods_and_adds_head(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/form")
    assert r.status_code == 200 and r.text == "form GET"
    assert r.headers["Allow"] == "POST, GET, HEAD"
    assert requests.post(base + "/form").text == "form POST"
    r = requests.delete(base + "/form")
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST, GET, HEAD"
    assert requests.head(base + "/form").status_code == 200


def test_allow_defaults_to_get_and_head(serve_root) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/readonly").headers["Allow"] == "GET, HEAD"
    assert requests.post(base + "/readonly").status_code == 405
    r = requests.get(base + "/single")
    assert r.status_code == 405 and r.headers["Allow"] == "PUT"
    assert requests.put(base + "/single").text == "put"


def test_allow_from_config(serve_root) -> None:
    class App:
        @cherrypy.expose
        def index(self) -> str:
            return "i"

    base = serve_root(App(), {"/": {"tools.allow.on": True, "tools.allow.methods": ["PATCH"]}})
    assert requests.get(base + "/").status_code == 405
    assert requests.patch(base + "/").text == "i"


def test_accept_406_lists_offered_types(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/feed", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert (
        "Your client sent this Accept header: image/png. But this resource only emits these "
        "media types: text/html, application/json." in r.text
    )
    assert requests.get(base + "/feed", headers={"Accept": "application/*"}).text == "feed"
    assert requests.get(base + "/feed", headers={"Accept": "*/*"}).status_code == 200
    r = requests.get(base + "/feed", headers={"Accept": "text/html;q=0, image/png"})
    assert r.status_code == 406


def test_accept_returns_preferred_media(serve_root) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/chosen", headers={"Accept": "text/html"}).text == "text/html"
    r = requests.get(base + "/chosen", headers={"Accept": "image/*;q=0.9, text/plain;q=0.5"})
    assert r.text == "image/png"
    assert requests.get(base + "/chosen", headers={"Accept": "text/*"}).text == "text/plain"
    # No Accept header at all: the first offered type.
    r = requests.get(base + "/chosen", headers={"Accept": None})
    assert r.text == "text/plain"
    r = requests.get(base + "/chosen", headers={"Accept": "audio/ogg"})
    assert r.status_code == 406


def test_autovary_names_headers_read(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/varied", headers={"Accept-Language": "fr"})
    assert r.text == "fr"
    assert "Accept-Language" in [v.strip() for v in r.headers["Vary"].split(",")]


def test_autovary_ignore_and_existing_vary(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/ignored", headers={"Accept-Language": "de", "X-Custom": "1"})
    assert r.text == "de1"
    assert r.headers["Vary"] == "Cookie, X-Custom"
