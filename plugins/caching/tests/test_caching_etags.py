"""tools.etags over real HTTP, and its interaction with tools.caching."""

from __future__ import annotations

import hashlib
from email.utils import formatdate

import requests

import cherrypy
from cherrypy_caching import validate_since


class Root:
    def __init__(self) -> None:
        self.calls = 0

    @cherrypy.expose
    def index(self) -> str:
        self.calls += 1
        return "hello"

    @cherrypy.expose
    def tagged(self) -> str:
        cherrypy.response.headers["ETag"] = '"v1"'
        return "tagged"

    @cherrypy.expose
    def weak(self) -> str:
        cherrypy.response.headers["ETag"] = 'W/"w1"'
        return "weak"

    @cherrypy.expose
    def created(self) -> str:
        cherrypy.response.status = 201
        return "created"

    @cherrypy.expose
    def dated(self) -> str:
        cherrypy.response.headers["Last-Modified"] = formatdate(1_600_000_000, usegmt=True)
        validate_since()
        return "dated"


AUTO = {"/": {"tools.etags.on": True, "tools.etags.autotags": True}}
MD5 = '"' + hashlib.md5(b"hello").hexdigest() + '"'


def test_autotags_md5_of_body(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    r = requests.get(base + "/")
    assert r.headers["ETag"] == MD5


def test_without_autotags_no_etag(serve_root) -> None:
    base = serve_root(Root(), {"/": {"tools.etags.on": True}})
    assert "ETag" not in requests.get(base + "/").headers
    # A handler's own ETag is still validated.
    assert requests.get(base + "/tagged", headers={"If-None-Match": '"v1"'}).status_code == 304


def test_if_none_match(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    r = requests.get(base + "/", headers={"If-None-Match": MD5})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["ETag"] == MD5
    assert requests.get(base + "/", headers={"If-None-Match": '"other"'}).status_code == 200
    assert requests.get(base + "/", headers={"If-None-Match": '"x", ' + MD5}).status_code == 304
    assert requests.get(base + "/", headers={"If-None-Match": "*"}).status_code == 304
    assert requests.head(base + "/", headers={"If-None-Match": MD5}).status_code == 304


def test_if_none_match_weak_comparison(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    assert requests.get(base + "/weak", headers={"If-None-Match": '"w1"'}).status_code == 304
    assert requests.get(base + "/tagged", headers={"If-None-Match": 'W/"v1"'}).status_code == 304


def test_if_none_match_on_unsafe_method_is_412(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    r = requests.post(base + "/tagged", headers={"If-None-Match": '"v1"'})
    assert r.status_code == 412


def test_autotags_apply_to_every_method(serve_root) -> None:
    # As in CherryPy: the body of a POST answer is tagged too, so an If-None-Match holding
    # the tag the GET gave fails (412) when the POST answers the same body.
    base = serve_root(Root(), AUTO)
    posted = requests.post(base + "/")
    assert posted.status_code == 200 and posted.headers["ETag"] == MD5
    assert requests.post(base + "/", headers={"If-None-Match": MD5}).status_code == 412
    assert requests.post(base + "/", headers={"If-None-Match": '"other"'}).status_code == 200
    assert requests.post(base + "/", headers={"If-Match": MD5}).status_code == 200


def test_if_match(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    assert requests.get(base + "/", headers={"If-Match": MD5}).status_code == 200
    assert requests.get(base + "/", headers={"If-Match": "*"}).status_code == 200
    r = requests.put(base + "/tagged", headers={"If-Match": '"v0"'})
    assert r.status_code == 412
    assert "If-Match failed" in r.text
    # If-Match uses the strong comparison: a weak tag never matches.
    assert requests.get(base + "/weak", headers={"If-Match": 'W/"w1"'}).status_code == 412


def test_non_200_gets_no_autotag(serve_root) -> None:
    base = serve_root(Root(), AUTO)
    r = requests.get(base + "/created")
    assert r.status_code == 201 and "ETag" not in r.headers


def test_validate_since_compares_dates(serve_root) -> None:
    base = serve_root(Root())
    later = formatdate(1_600_000_100, usegmt=True)
    earlier = formatdate(1_500_000_000, usegmt=True)
    assert requests.get(base + "/dated", headers={"If-Modified-Since": later}).status_code == 304
    assert requests.get(base + "/dated", headers={"If-Modified-Since": earlier}).status_code == 200
    r = requests.get(base + "/dated", headers={"If-Unmodified-Since": earlier})
    assert r.status_code == 412
    assert requests.get(base + "/dated", headers={"If-Unmodified-Since": later}).status_code == 200
    assert requests.post(base + "/dated", headers={"If-Modified-Since": later}).status_code == 412


def test_caching_and_etags_together(serve_root) -> None:
    root = Root()
    conf = {"/": {"tools.caching.on": True, "tools.etags.on": True, "tools.etags.autotags": True}}
    base = serve_root(root, conf)
    first = requests.get(base + "/")
    assert first.headers["ETag"] == MD5 and "Age" not in first.headers
    second = requests.get(base + "/")
    assert second.text == "hello" and second.headers["ETag"] == MD5 and "Age" in second.headers
    third = requests.get(base + "/", headers={"If-None-Match": MD5})
    assert third.status_code == 304
    assert third.headers["ETag"] == MD5
    assert requests.get(base + "/", headers={"If-None-Match": '"stale"'}).text == "hello"
    assert root.calls == 1
