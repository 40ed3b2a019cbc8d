"""The pure parts of cherrypy-static: paths, ranges, validators, media types, bodies."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cherrypy_static.bodies import FileChunks, FileSlice, iter_slice
from cherrypy_static.conditional import (
    Validators,
    etag_matches,
    if_range_holds,
    validators_for,
)
from cherrypy_static.disposition import ascii_fallback, content_disposition
from cherrypy_static.mediatypes import DEFAULT_TYPE, extension_of, guess_type
from cherrypy_static.paths import UnsafePath, branch_of, is_within, resolve_under, split_segments
from cherrypy_static.ranges import MAX_RANGES, MultipartBody, plan_ranges

# -- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path_info", "section", "branch"),
    [
        ("/static/css/a.css", "/static", "css/a.css"),
        ("/static", "/static", ""),
        ("/static/", "/static/", ""),
        ("/a.css", "global", "a.css"),
        ("/a.css", "/", "a.css"),
    ],
)
def test_branch_of(path_info: str, section: str, branch: str) -> None:
    assert branch_of(path_info, section) == branch


@pytest.mark.parametrize(
    ("branch", "segments"),
    [
        ("css/a.css", ["css", "a.css"]),
        ("//css//./a.css/", ["css", "a.css"]),
        ("css/../js/b.js", ["js", "b.js"]),
        ("css%2Fa.css", ["css", "a.css"]),
        ("css%2fa.css", ["css", "a.css"]),
        ("", []),
        ("...", ["..."]),
        ("a%252e", ["a%252e"]),
    ],
)
def test_split_segments(branch: str, segments: list[str]) -> None:
    assert split_segments(branch) == segments


@pytest.mark.parametrize("branch", ["..", "../a", "a/../../b", "a%2F..%2F..", "a\\b", "..\\a"])
def test_split_segments_refuses(branch: str) -> None:
    with pytest.raises(UnsafePath):
        split_segments(branch)


def test_split_segments_nul_names_nothing() -> None:
    assert split_segments("a\x00b") is None


def test_is_within_compares_components() -> None:
    assert is_within("/srv/static/a", "/srv/static")
    assert is_within("/srv/static", "/srv/static")
    assert is_within("/srv/static/a", "/srv/static/")
    assert not is_within("/srv/static-private/a", "/srv/static")
    assert not is_within("/srv", "/srv/static")
    assert is_within("/etc/passwd", "/")


def test_resolve_under(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "out").write_text("x")
    os.symlink(tmp_path / "out", tmp_path / "d" / "escape")
    os.symlink(tmp_path / "d" / "f", tmp_path / "d" / "sub" / "back")
    directory = str(tmp_path / "d")
    assert resolve_under(directory, ["f"]) == os.path.join(directory, "f")
    assert resolve_under(directory, ["missing", "x"]) == os.path.join(directory, "missing", "x")
    assert resolve_under(directory, ["sub", "back"]) == os.path.realpath(tmp_path / "d" / "f")
    with pytest.raises(UnsafePath):
        resolve_under(directory, ["escape"])
    assert resolve_under(directory, ["escape"], follow_symlinks=True) == os.path.join(
        directory, "escape"
    )


# -- ranges ------------------------------------------------------------------------------------


def test_plan_ranges() -> None:
    assert plan_ranges(None, 10) is None
    assert plan_ranges("bytes=0-1", 10) == [(0, 2)]
    assert plan_ranges("bytes=20-", 10) == []
    assert plan_ranges("bytes=0-1,4-5", 10) == [(0, 2), (4, 6)]
    assert plan_ranges("bytes=4-5,0-1", 10) == [(4, 6), (0, 2)]
    assert plan_ranges("bytes=0-3,2-5", 10) == [(0, 6)]
    assert plan_ranges("bytes=4-5,0-1,1-2", 10) == [(0, 3), (4, 6)]
    assert plan_ranges("bytes=0-,0-,0-", 10) == [(0, 10)]
    many = ",".join(f"{i}-{i}" for i in range(0, 2 * (MAX_RANGES + 1), 2))
    assert plan_ranges("bytes=" + many, 1000) is None


def test_multipart_length_is_exact() -> None:
    data = bytes(range(200))
    body = MultipartBody([(0, 3), (100, 150), (199, 200)], 200, "image/png", offset=0)
    produced = b"".join(body.iter_from(io.BytesIO(data), 16))
    assert len(produced) == body.content_length
    assert body.media_type == f"multipart/byteranges; boundary={body.boundary}"
    assert b"Content-Range: bytes 100-149/200\r\n\r\n" + data[100:150] + b"\r\n" in produced
    bare = MultipartBody([(0, 1), (5, 6)], 10, None)
    assert b"Content-Type" not in b"".join(bare.iter_from(io.BytesIO(bytes(10)), 4))
    assert MultipartBody([(0, 1)], 1, None).boundary != MultipartBody([(0, 1)], 1, None).boundary


def test_multipart_with_an_offset() -> None:
    body = MultipartBody([(0, 2), (4, 6)], 6, None, offset=10)
    produced = b"".join(body.iter_from(io.BytesIO(b"0123456789abcdef"), 4))
    assert b"\r\n\r\nab\r\n" in produced and b"\r\n\r\nef\r\n" in produced


# -- validators --------------------------------------------------------------------------------


def test_validators_for(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    found = validators_for(os.stat(path), now=2_000_000_000)
    assert found.modified == 1_000_000_000
    assert found.last_modified == "Sun, 09 Sep 2001 01:46:40 GMT"
    assert found.etag is not None and found.etag.startswith('"') and found.etag.endswith('-5"')
    assert validators_for(os.stat(path), offset=2).etag != found.etag
    clamped = validators_for(os.stat(path), now=999_999_000)
    assert clamped.modified == 999_999_000


def test_etag_matches() -> None:
    tag = '"abc"'
    assert etag_matches('"abc"', tag, strong=True)
    assert etag_matches('W/"abc"', tag, strong=False)
    assert not etag_matches('W/"abc"', tag, strong=True)
    assert etag_matches('"x", "abc"', tag, strong=True)
    assert etag_matches('"a,b", "abc"', tag, strong=True)
    assert etag_matches("*", tag, strong=True)
    assert not etag_matches("*", None, strong=True)
    assert not etag_matches("abc", tag, strong=False)
    assert not etag_matches('"abc" junk', tag, strong=False)


def test_if_range_holds() -> None:
    found = Validators(etag='"t"', modified=0, last_modified="Thu, 01 Jan 1970 00:00:00 GMT")
    assert if_range_holds(None, found)
    assert if_range_holds('"t"', found)
    assert not if_range_holds('W/"t"', found)
    assert if_range_holds("Thu, 01 Jan 1970 00:00:00 GMT", found)
    assert not if_range_holds("Thu, 01 Jan 1970 00:00:01 GMT", found)
    assert not if_range_holds("soon", found)


# -- media types and names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b.CSS", "text/css"),
        ("/a/b.tar.gz", "application/x-gzip"),
        ("/a/favicon.ico", "image/x-icon"),
        ("/a/font.woff2", "font/woff2"),
        ("/a/x.wasm", "application/wasm"),
        ("/a/x.svg", "image/svg+xml"),
        ("/a/x.json", "application/json"),
        ("/a/x.mjs", "text/javascript"),
        ("/a/README", DEFAULT_TYPE),
        ("/a.d/README", DEFAULT_TYPE),
        ("/a/x.no-such-type-here", DEFAULT_TYPE),
    ],
)
def test_guess_type(path: str, expected: str) -> None:
    assert guess_type(path) == expected


def test_guess_type_with_content_types() -> None:
    assert guess_type("/a/b.CSS", {"CSS": "text/x-upper"}) == "text/x-upper"
    assert guess_type("/a/b.Css", {"css": "text/x-lower"}) == "text/x-lower"
    assert guess_type("/a/b.css", {"js": "x"}) == "text/css"
    assert extension_of("a/b.c/d") == ""


def test_content_disposition_values() -> None:
    assert content_disposition("inline") == "inline"
    assert content_disposition("attachment", "a.pdf") == 'attachment; filename="a.pdf"'
    assert ascii_fallback("\ufb01le") == "file"
    assert ascii_fallback("na\u00efve") == "naive"
    assert ascii_fallback('a"b\\c') == 'a\\"b\\\\c'
    assert content_disposition("attachment", "x y!.txt") == 'attachment; filename="x y!.txt"'
    assert content_disposition("attachment", "\u00fc/b").endswith("filename*=UTF-8''%C3%BC%2Fb")


# -- bodies ------------------------------------------------------------------------------------


def test_file_slice_stops_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as f:
        piece = FileSlice(f, 2, 5)
        assert piece.fileno() == f.fileno()
        assert piece.tell() == 2
        assert piece.read(3) == b"234"
        assert piece.read() == b"56"
        assert piece.read() == b""
        piece.seek(3)
        assert piece.read(100) == b"3456"
        piece.close()
        assert f.closed


def test_file_chunks_close_the_file_even_unstarted(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    f = open(path, "rb")  # noqa: SIM115
    body = iter_slice(f, 0, 10, 4)
    body.close()
    assert f.closed
    f = open(path, "rb")  # noqa: SIM115
    assert list(iter_slice(f, 2, 5, 2)) == [b"xx", b"xx", b"x"]
    assert f.closed
    lazy = iter_slice(str(path), 0, None, 4)
    assert isinstance(lazy, FileChunks)
    assert b"".join(lazy) == b"x" * 10


def test_file_chunks_of_a_shrunken_file_end_early(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert b"".join(iter_slice(str(path), 0, 100, 2)) == b"abc"
