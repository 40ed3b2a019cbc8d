"""Small files (up to ``SMALL_FILE_SIZE``) are read whole and sent with the head; larger ones,
HEAD and Range requests are streamed.  Both shapes must give the same answers, over HTTP."""

from __future__ import annotations

import email.utils
import os
import time
from typing import Any

import pytest

import cherrypy
from cherrypy.lib import static
from cherrypy_static import conditional, serving

SMALL = serving.SMALL_FILE_SIZE


def _content(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + b"z" * (size % 256)


@pytest.mark.parametrize("size", [0, 1, 1024, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL + 5])
def test_whole_file_answers_are_the_same_on_both_sides_of_the_limit(
    client: Any, site: Any, mount_static: Any, size: int
) -> None:
    content = _content(size)
    (site.static / "sized.bin").write_bytes(content)
    mount_static()
    reply = client.get("/static/sized.bin")
    assert reply.status == 200
    assert reply.body == content
    assert reply.header("Content-Length") == str(size)
    assert reply.header("Content-Type") == "application/octet-stream"
    assert reply.header("Accept-Ranges") == "bytes"
    assert reply.header("ETag") and reply.header("Last-Modified")
    head = client.head("/static/sized.bin")
    assert head.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == str(size)
    assert head.header("ETag") == reply.header("ETag")


def test_a_range_of_a_small_file_is_still_a_206(client: Any, mount_static: Any) -> None:
    mount_static()
    reply = client.get("/static/alpha.txt", Range="bytes=2-4")
    assert reply.status == 206
    assert reply.body == b"cde"
    assert reply.header("Content-Range") == "bytes 2-4/26"


def test_preconditions_are_evaluated_for_small_files(client: Any, mount_static: Any) -> None:
    mount_static()
    first = client.get("/static/alpha.txt")
    etag = first.header("ETag")
    assert client.get("/static/alpha.txt", If_None_Match=etag).status == 304
    assert client.get("/static/alpha.txt", If_Match='"other"').status == 412
    since = first.header("Last-Modified")
    assert client.get("/static/alpha.txt", If_Modified_Since=since).status == 304


def test_no_descriptor_is_left_open(client: Any, mount_static: Any) -> None:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to count open descriptors")
    mount_static()
    etag = client.get("/static/alpha.txt").header("ETag")
    client.get("/static/big.bin")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert client.get("/static/alpha.txt").status == 200
        assert client.get("/static/alpha.txt", If_None_Match=etag).status == 304
        assert client.head("/static/alpha.txt").status == 200
        assert client.get("/static/missing.txt").status == 404
    # (a few descriptors of the server's own may come and go: not one per request)
    assert len(os.listdir("/proc/self/fd")) <= before + 3


def test_validators_follow_the_file(client: Any, site: Any, mount_static: Any) -> None:
    path = site.static / "changing.txt"
    path.write_bytes(b"first")
    os.utime(path, (1_600_000_000, 1_600_000_000))
    mount_static()
    one = client.get("/static/changing.txt")
    assert one.body == b"first"
    assert one.header("Last-Modified") == email.utils.formatdate(1_600_000_000, usegmt=True)
    path.write_bytes(b"second!")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    two = client.get("/static/changing.txt")
    assert two.body == b"second!"
    assert two.header("ETag") != one.header("ETag")
    assert two.header("Last-Modified") == email.utils.formatdate(1_700_000_000, usegmt=True)
    assert client.get("/static/changing.txt", If_None_Match=one.header("ETag")).status == 200


def test_a_modification_time_in_the_future_is_never_announced(
    client: Any, site: Any, mount_static: Any
) -> None:
    path = site.static / "future.txt"
    path.write_bytes(b"from the future")
    later = time.time() + 3600
    os.utime(path, (later, later))
    mount_static()
    for _ in range(2):  # (the first answer must not be remembered for the second)
        reply = client.get("/static/future.txt")
        modified = email.utils.parsedate_to_datetime(reply.header("Last-Modified"))
        date = email.utils.parsedate_to_datetime(reply.header("Date"))
        assert modified <= date


def test_validators_cache_is_bounded(tmp_path: Any) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    conditional._VALIDATORS.clear()
    for second in range(1500):
        os.utime(path, (1_600_000_000 + second, 1_600_000_000 + second))
        made = conditional.validators_for(os.stat(path))
        assert made.modified == 1_600_000_000 + second
    assert len(conditional._VALIDATORS) <= 1024


def test_serve_file_returns_the_whole_body_for_a_small_file(web: Any, site: Any) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> Any:
            body = static.serve_file(str(site.static / "alpha.txt"))
            assert body == [b"abcdefghijklmnopqrstuvwxyz"]
            assert cherrypy.response.headers["Content-Length"] == 26
            return body

        @cherrypy.expose
        def big(self) -> Any:
            body = static.serve_file(str(site.static / "big.bin"))
            assert not isinstance(body, list)  # streamed
            return body

    cherrypy.tree.mount(Root(), "/")
    assert web.get("/").body == b"abcdefghijklmnopqrstuvwxyz"
    assert web.get("/big").body == site.big


def test_a_file_that_shrinks_while_read_is_sent_as_it_is(
    web: Any, site: Any, monkeypatch: Any
) -> None:
    path = site.static / "shrinking.txt"
    path.write_bytes(b"0123456789")
    calls: list[int] = []

    def short_read(fd: int, size: int) -> bytes:
        # The file lost its tail between fstat and read: 4 bytes, then the end.
        calls.append(size)
        return os.read(fd, 4) if len(calls) == 1 else b""

    class Root:
        @cherrypy.expose
        def index(self) -> Any:
            return static.serve_file(str(path))

    monkeypatch.setattr(serving, "_read", short_read)
    cherrypy.tree.mount(Root(), "/")
    reply = web.get("/")
    assert reply.status == 200
    assert reply.body == b"0123"
    assert reply.header("Content-Length") == "4"
    assert calls == [10, 6]


def test_staticdir_with_a_relative_dir_and_root_is_remembered_correctly(
    client: Any, site: Any, mount: Any
) -> None:
    mount(
        {
            "/": {"tools.staticdir.root": str(site.root)},
            "/a": {"tools.staticdir.on": True, "tools.staticdir.dir": "static"},
            "/b": {"tools.staticdir.on": True, "tools.staticdir.dir": "static/sub"},
        }
    )
    for _ in range(2):
        assert client.get("/a/alpha.txt").body == b"abcdefghijklmnopqrstuvwxyz"
        assert client.get("/b/deep.txt").body == b"deep"
        assert client.get("/b/alpha.txt").status == 404


@pytest.mark.parametrize("mapping", [dict, "HeaderMap"])
def test_preconditions_read_any_mapping(mapping: Any) -> None:
    from cherrypy.plugin import HeaderMap, HTTPError, HTTPRedirect

    make = HeaderMap if mapping == "HeaderMap" else mapping

    class Response:
        status = None

    made = conditional.Validators(etag='"t"', modified=1_600_000_000, last_modified="x")
    conditional.evaluate_preconditions("GET", make(), Response(), made)  # nothing asked
    conditional.evaluate_preconditions("GET", make({"X-Other": "1"}), Response(), made)
    with pytest.raises(HTTPRedirect):
        conditional.evaluate_preconditions("GET", make({"If-None-Match": '"t"'}), Response(), made)
    with pytest.raises(HTTPError):
        conditional.evaluate_preconditions("GET", make({"If-Match": '"u"'}), Response(), made)
    if mapping == "HeaderMap":  # any case, as sent
        with pytest.raises(HTTPRedirect):
            conditional.evaluate_preconditions(
                "GET", make({"if-none-match": '"t"'}), Response(), made
            )
