"""Range requests: single ranges, multipart/byteranges, 416, If-Range and the caps."""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"


def parts_of(reply: Any) -> list[tuple[str, str, bytes]]:
    """(Content-Type, Content-Range, payload) of each part of a multipart/byteranges body."""
    content_type = reply.header("Content-Type")
    assert content_type.startswith("multipart/byteranges; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + reply.body
    )
    assert message.is_multipart()
    return [
        (part["Content-Type"], part["Content-Range"], part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        ("bytes=0-4", 0, 4),
        ("bytes=3-3", 3, 3),
        ("bytes=20-", 20, 25),
        ("bytes=-3", 23, 25),
        ("bytes=0-", 0, 25),
        ("bytes=10-1000", 10, 25),  # the end is clamped to the file
        ("bytes=-100", 0, 25),
        (" bytes = 2 - 5 ", 2, 5),
    ],
)
def test_single_range(web: Any, mount_static: Any, spec: str, first: int, last: int) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range=spec)
    assert reply.status == 206
    assert reply.body == ALPHABET[first : last + 1]
    assert reply.header("Content-Range") == f"bytes {first}-{last}/26"
    assert reply.header("Content-Length") == str(last - first + 1)
    assert reply.header("Content-Type") == "text/plain"
    assert reply.header("ETag") and reply.header("Last-Modified")


def test_single_range_across_chunks_of_a_large_file(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    start, stop = 100_000, 650_001
    reply = web.get("/static/big.bin", Range=f"bytes={start}-{stop - 1}")
    assert reply.status == 206
    assert reply.body == site.big[start:stop]
    assert reply.header("Content-Range") == f"bytes {start}-{stop - 1}/{len(site.big)}"


def test_multiple_ranges_give_multipart_byteranges(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range="bytes=0-1,5-6,-2")
    assert reply.status == 206
    assert reply.header("Content-Length") == str(len(reply.body))
    assert parts_of(reply) == [
        ("text/plain", "bytes 0-1/26", b"ab"),
        ("text/plain", "bytes 5-6/26", b"fg"),
        ("text/plain", "bytes 24-25/26", b"yz"),
    ]
    # The body is what RFC 9110 shows: a part per range, then the closing delimiter.
    boundary = reply.header("Content-Type").rpartition("=")[2]
    assert reply.body.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert reply.body.count(f"--{boundary}\r\n".encode()) == 3


def test_multipart_keeps_the_requested_order(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range="bytes=20-21,0-1")
    assert [p[1] for p in parts_of(reply)] == ["bytes 20-21/26", "bytes 0-1/26"]


def test_multipart_of_a_large_file(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    ranges = [(0, 299_999), (400_000, 699_999), (len(site.big) - 10, len(site.big) - 1)]
    header = "bytes=" + ",".join(f"{a}-{b}" for a, b in ranges)
    reply = web.get("/static/big.bin", Range=header)
    assert reply.status == 206
    assert [payload for _, _, payload in parts_of(reply)] == [
        site.big[a : b + 1] for a, b in ranges
    ]
    assert all(ct == "application/octet-stream" for ct, _, _ in parts_of(reply))


def test_overlapping_ranges_are_merged(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range="bytes=0-5,2-8")
    assert reply.status == 206
    assert reply.header("Content-Range") == "bytes 0-8/26"
    assert reply.body == ALPHABET[0:9]
    # Touching ranges merge too; disjoint ones stay separate (sorted after a merge).
    reply = web.get("/static/alpha.txt", Range="bytes=20-22,0-1,1-3,23-24")
    assert [p[1] for p in parts_of(reply)] == ["bytes 0-3/26", "bytes 20-24/26"]


def test_repeating_the_whole_file_costs_one_copy(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    reply = web.get("/static/big.bin", Range="bytes=" + ",".join(["0-"] * 30))
    assert reply.status == 206
    assert reply.body == site.big
    assert reply.header("Content-Range") == f"bytes 0-{len(site.big) - 1}/{len(site.big)}"


def test_more_than_32_ranges_send_the_whole_file(web: Any, mount_static: Any, site: Any) -> None:
    mount_static()
    allowed = ",".join(f"{i}-{i}" for i in range(0, 64, 2))  # 32 disjoint ranges
    reply = web.get("/static/big.bin", Range="bytes=" + allowed)
    assert reply.status == 206
    assert len(parts_of(reply)) == 32
    too_many = ",".join(f"{i}-{i}" for i in range(0, 66, 2))  # 33
    reply = web.get("/static/big.bin", Range="bytes=" + too_many)
    assert reply.status == 200
    assert reply.body == site.big
    assert reply.header("Content-Range") is None


@pytest.mark.parametrize("spec", ["bytes=26-", "bytes=30-40", "bytes=26-26,100-", "bytes=-0"])
def test_unsatisfiable_range_is_416(web: Any, mount_static: Any, spec: str) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range=spec)
    assert reply.status == 416
    assert reply.header("Content-Range") == "bytes */26"
    assert ALPHABET not in reply.body


def test_range_of_an_empty_file_is_416(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.get("/static/empty.txt", Range="bytes=0-")
    assert reply.status == 416
    assert reply.header("Content-Range") == "bytes */0"


@pytest.mark.parametrize(
    "spec",
    ["items=0-5", "bytes=abc", "bytes=5-2", "bytes=", "bytes=-", "bytes 0-5", "bytes=0-1;2-3"],
)
def test_invalid_or_foreign_ranges_are_ignored(web: Any, mount_static: Any, spec: str) -> None:
    mount_static()
    reply = web.get("/static/alpha.txt", Range=spec)
    assert reply.status == 200
    assert reply.body == ALPHABET


def test_if_range_with_the_current_etag_honours_the_range(web: Any, mount_static: Any) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    reply = web.get("/static/alpha.txt", Range="bytes=0-2", If_Range=etag)
    assert (reply.status, reply.body) == (206, b"abc")


def test_if_range_with_another_etag_sends_everything(web: Any, mount_static: Any) -> None:
    mount_static()
    etag = web.get("/static/alpha.txt").header("ETag")
    for validator in ('"something-else"', "W/" + etag):  # a weak tag never matches If-Range
        reply = web.get("/static/alpha.txt", Range="bytes=0-2", If_Range=validator)
        assert (reply.status, reply.body) == (200, ALPHABET)


def test_if_range_with_a_date(web: Any, mount_static: Any) -> None:
    mount_static()
    modified = web.get("/static/alpha.txt").header("Last-Modified")
    reply = web.get("/static/alpha.txt", Range="bytes=0-2", If_Range=modified)
    assert reply.status == 206
    reply = web.get(
        "/static/alpha.txt", Range="bytes=0-2", If_Range="Sat, 01 Jan 2000 00:00:00 GMT"
    )
    assert reply.status == 200
    reply = web.get("/static/alpha.txt", Range="bytes=0-2", If_Range="not a date")
    assert reply.status == 200


def test_head_with_a_range(web: Any, mount_static: Any) -> None:
    mount_static()
    reply = web.head("/static/alpha.txt", Range="bytes=0-4")
    assert reply.status == 206
    assert reply.header("Content-Range") == "bytes 0-4/26"
    assert reply.header("Content-Length") == "5"
    assert reply.body == b""
    multi = web.head("/static/alpha.txt", Range="bytes=0-1,4-5")
    full = web.get("/static/alpha.txt", Range="bytes=0-1,4-5")
    assert multi.status == 206
    assert multi.header("Content-Length") == full.header("Content-Length")


def test_http_1_0_gets_no_ranges(web: Any, mount_static: Any) -> None:
    mount_static()
    raw = web.raw("GET /static/alpha.txt HTTP/1.0", "Range: bytes=0-4")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert re.match(rb"HTTP/1\.[01] 200 ", head)
    assert b"Accept-Ranges" not in head
    assert body == ALPHABET


def test_ranges_also_apply_to_serve_file_in_a_handler(web: Any, site: Any) -> None:
    import cherrypy
    from cherrypy.lib import static

    class Root:
        @cherrypy.expose
        def report(self) -> Any:
            return static.serve_file(str(site.static / "big.bin"), "application/pdf")

    cherrypy.tree.mount(Root(), "/", {"/": {}})
    reply = web.get("/report", Range="bytes=-5")
    assert (reply.status, reply.body) == (206, site.big[-5:])
    assert reply.header("Content-Type") == "application/pdf"
