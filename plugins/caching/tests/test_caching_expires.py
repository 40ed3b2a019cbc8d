"""tools.expires over real HTTP."""

from __future__ import annotations

import datetime
from email.utils import formatdate, parsedate_to_datetime

import requests

import cherrypy


class Root:
    @cherrypy.expose
    def plain(self) -> str:
        return "plain"

    @cherrypy.expose
    def dated(self) -> str:
        cherrypy.response.headers["Last-Modified"] = formatdate(1_600_000_000, usegmt=True)
        return "dated"

    @cherrypy.expose
    def own(self) -> str:
        cherrypy.response.headers["ETag"] = '"a"'
        cherrypy.response.headers["Pragma"] = "mine"
        cherrypy.response.headers["Cache-Control"] = "public"
        return "own"


def test_no_cache_headers_with_force(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.expires.on": True, "tools.expires.force": True}})
    r = requests.get(base + "/plain")
    assert r.headers["Pragma"] == "no-cache"
    assert r.headers["Cache-Control"] == "no-cache, must-revalidate"
    assert r.headers["Expires"] == "Sun, 28 Jan 2007 00:00:00 GMT"
    r = requests.get(base + "/own")
    assert r.headers["Pragma"] == "no-cache"


def test_without_force_only_cacheable_responses(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.expires.on": True, "tools.expires.secs": 60}})
    r = requests.get(base + "/plain")
    assert "Expires" not in r.headers
    r = requests.get(base + "/dated")
    expires = parsedate_to_datetime(r.headers["Expires"])
    date = parsedate_to_datetime(r.headers["Date"])
    assert 59 <= (expires - date).total_seconds() <= 61
    assert "Pragma" not in r.headers


def test_secs_zero_keeps_existing_headers_without_force(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.expires.on": True}})
    r = requests.get(base + "/own")
    assert r.headers["Pragma"] == "mine"
    assert r.headers["Cache-Control"] == "public"
    assert r.headers["Expires"] == "Sun, 28 Jan 2007 00:00:00 GMT"


def test_timedelta_secs(serve_root) -> None:
    conf = {
        "/": {
            "tools.expires.on": True,
            "tools.expires.force": True,
            "tools.expires.secs": datetime.timedelta(days=1),
        }
    }
    base = serve_root(Root(), conf)
    r = requests.get(base + "/plain")
    expires = parsedate_to_datetime(r.headers["Expires"])
    date = parsedate_to_datetime(r.headers["Date"])
    assert 86399 <= (expires - date).total_seconds() <= 86401
    assert "Pragma" not in r.headers
