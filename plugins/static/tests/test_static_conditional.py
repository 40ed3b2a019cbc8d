"""Conditional GETs: Last-Modified with If-(Un)Modified-Since, ETag with If-(None-)Match."""

from __future__ import annotations

import os
import time
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import pytest

import cherrypy

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"
PAST = "Sat, 01 Jan 2000 00:00:00 GMT"


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


@pytest.fixture
def fixed_time(site: Any) -> int:
    """Give alpha.txt a known modification time an hour ago; return it."""
    stamp = int(time.time()) - 3600
    os.utime(site.static / "alpha.txt", (stamp, stamp))
    return stamp


def test_validators_describe_the_file(web: Any, mount_static: Any, fixed_time: int) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt")
    assert reply.header("Last-Modified") == http_date(fixed_time)
    etag = reply.header("ETag")
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert web.get("/static/alpha.txt").header("ETag") == etag
    assert web.get("/static/css/style.css").header("ETag") != etag


def test_if_modified_since(web: Any, mount_static: Any, fixed_time: int) -> None:
    mount_static()
    same = web.get("/static/alpha.txt", If_Modified_Since=http_date(fixed_time))
    assert (same.status, same.body) == (304, b"")
    assert same.header("ETag")
    assert same.header("Content-Type") is None
    later = web.get("/static/alpha.txt", If_Modified_Since=http_date(fixed_time + 60))
    assert later.status == 304  # compared as dates, not as strings (CherryPy: 200)
    earlier = web.get("/static/alpha.txt", If_Modified_Since=http_date(fixed_time - 1))
    assert (earlier.status, earlier.body) == (200, ALPHABET)
    bad = web.get("/static/alpha.txt", If_Modified_Since="yesterday")
    assert bad.status == 200
    head = web.head("/static/alpha.txt", If_Modified_Since=http_date(fixed_time))
    assert head.status == 304


def test_if_modified_since_in_other_date_formats(
    web: Any, mount_static: Any, fixed_time: int
) -> None:
    mount_static()
    moment = parsedate_to_datetime(http_date(fixed_time))
    rfc850 = moment.strftime("%A, %d-%b-%y %H:%M:%S GMT")
    asctime = f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"
    for value in (rfc850, asctime):
        assert web.get("/static/alpha.txt", If_Modified_Since=value).status == 304, value


def test_file_changed_since_is_sent_again(
    web: Any, mount_static: Any, site: Any, fixed_time: int
) -> None:
    mount_static()
    first = web.get("/static/alpha.txt")
    (site.static / "alpha.txt").write_bytes(ALPHABET.upper())
    os.utime(site.static / "alpha.txt", (fixed_time + 10, fixed_time + 10))
    again = web.get(
        "/static/alpha.txt",
        If_Modified_Since=first.header("Last-Modified"),
        If_None_Match=first.header("ETag"),
    )
    assert (again.status, again.body) == (200, ALPHABET.upper())
    assert again.header("ETag") != first.header("ETag")


def test_if_unmodified_since(web: Any, mount_static: Any, fixed_time: int) -> None:
    mount_static()
    failed = web.get("/static/alpha.txt", If_Unmodified_Since=PAST)
    assert failed.status == 412
    assert ALPHABET not in failed.body
    for value in (http_date(fixed_time), http_date(fixed_time + 3600)):
        reply = web.get("/static/alpha.txt", If_Unmodified_Since=value)
        assert (reply.status, reply.body) == (200, ALPHABET)
    assert web.get("/static/alpha.txt", If_Unmodified_Since="garbage").status == 200


def test_if_none_match(web: Any, mount_static: Any) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    for value in (etag, f'"other", {etag}', "W/" + etag, "*", f' "x" ,  W/{etag} '):
        reply = web.get("/static/alpha.txt", If_None_Match=value)
        assert (reply.status, reply.body) == (304, b""), value
        assert reply.header("ETag") == etag
    for value in ('"other"', etag[:-2] + '"', "garbage", ""):
        reply = web.get("/static/alpha.txt", If_None_Match=value)
        assert (reply.status, reply.body) == (200, ALPHABET), value


def test_if_none_match_wins_over_if_modified_since(
    web: Any, mount_static: Any, fixed_time: int
) -> None:
    mount_static()
    reply = web.get(
        "/static/alpha.txt", If_None_Match='"other"', If_Modified_Since=http_date(fixed_time)
    )
    assert reply.status == 200


def test_if_match(web: Any, mount_static: Any) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    for value in (etag, "*", f'"a", {etag}'):
        assert web.get("/static/alpha.txt", If_Match=value).status == 200, value
    for value in ('"other"', "W/" + etag):  # If-Match compares strongly
        assert web.get("/static/alpha.txt", If_Match=value).status == 412, value


def test_if_match_wins_over_if_unmodified_since(web: Any, mount_static: Any) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    reply = web.get("/static/alpha.txt", If_Match=etag, If_Unmodified_Since=PAST)
    assert reply.status == 200


def test_preconditions_come_before_ranges(web: Any, mount_static: Any, fixed_time: int) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    assert web.get("/static/alpha.txt", If_None_Match=etag, Range="bytes=0-1").status == 304
    assert web.get("/static/alpha.txt", If_Unmodified_Since=PAST, Range="bytes=0-1").status == 412
    assert web.get("/static/alpha.txt", If_None_Match=etag, Range="bytes=99-").status == 304


def test_modification_time_in_the_future_is_not_announced(
    web: Any, mount_static: Any, site: Any
) -> None:
    future = int(time.time()) + 86400 * 365
    os.utime(site.static / "alpha.txt", (future, future))
    mount_static()
    reply = web.get("/static/alpha.txt")
    announced = parsedate_to_datetime(reply.header("Last-Modified")).timestamp()
    assert announced <= time.time() + 1
    assert reply.header("ETag")


def test_conditional_requests_on_serve_file_in_a_handler(web: Any, site: Any) -> None:
    from cherrypy.lib import static

    class Root:
        @cherrypy.expose
        def doc(self) -> Any:
            return static.serve_file(str(site.static / "alpha.txt"))

        @cherrypy.expose
        def missing_page(self) -> Any:
            # An error page read from a file is never turned into a 304.
            cherrypy.response.status = 404
            return static.serve_file(str(site.static / "page.html"))

        @cherrypy.expose
        def upload(self, **kwargs: Any) -> Any:
            return static.serve_file(str(site.static / "alpha.txt"))

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    etag = web.get("/doc").header("ETag")
    assert web.get("/doc", If_None_Match=etag).status == 304
    page = web.get("/missing_page")
    reply = web.get("/missing_page", If_None_Match=page.header("ETag"), Range="bytes=0-1")
    assert (reply.status, reply.body) == (404, b"<p>page</p>")
    # For other methods a matching If-None-Match is a failed precondition.
    assert web.request("POST", "/upload", {"If-None-Match": etag}, b"a=1").status == 412
