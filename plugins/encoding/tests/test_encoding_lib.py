"""cherrypy.lib.encoding and the helpers behind the tools, without a server."""

from __future__ import annotations

import gzip as stdlib_gzip
import importlib
import zlib
from typing import cast

import pytest

import cherrypy
from cherrypy.lib.httputil import header_elements
from cherrypy.plugin import PipelineBuilder, prepare_iter
from cherrypy.testing import RecordingPipeline
from cherrypy_encoding import compression, plugin


def test_lib_encoding_resolves_to_this_distribution() -> None:
    from cherrypy.lib import encoding

    assert encoding is importlib.import_module("cherrypy.lib.encoding")
    assert encoding.__name__ == "cherrypy_encoding.encoding"
    assert encoding.ResponseEncoder is cherrypy.tools.encode.callable
    assert encoding.prepare_iter is prepare_iter
    for name in ("compress", "decompress", "gzip", "decode", "UTF8StreamEncoder"):
        assert callable(getattr(encoding, name))


def test_tools_are_registered() -> None:
    assert cherrypy.tools.gzip is plugin.gzip_tool
    assert cherrypy.tools.decode is plugin.decode_tool
    assert plugin.gzip_tool._point == "before_finalize"
    assert plugin.gzip_tool._priority == 80
    assert plugin.decode_tool._point == "before_request_body"


def test_gzip_tool_compiles_from_its_settings() -> None:
    from cherrypy_encoding.compression import gzip
    from cherrypy_encoding.inflate import inflate_request_body

    assert "_setup" not in vars(plugin.GzipTool)
    pipeline = RecordingPipeline()
    settings = {"compress_level": 9, "inflate": False, "max_inflated_size": 10}
    plugin.gzip_tool.compile(cast(PipelineBuilder, pipeline), settings)
    assert pipeline.attached == [
        (
            "before_request_body",
            inflate_request_body,
            20,
            {"inflate": False, "max_inflated_size": 10},
        ),
        ("before_finalize", gzip, 80, {"compress_level": 9}),
    ]
    pipeline = RecordingPipeline()
    plugin.gzip_tool.compile(cast(PipelineBuilder, pipeline), {"priority": 5})
    assert pipeline.attached == [
        ("before_request_body", inflate_request_body, 20, {}),
        ("before_finalize", gzip, 5, {}),
    ]


def test_compress_round_trip() -> None:
    from cherrypy.lib.encoding import compress, decompress

    chunks = [b"hello ", b"", b"world " * 1000]
    data = b"".join(compress(iter(chunks), 6))
    assert data[:3] == b"\x1f\x8b\x08"
    assert stdlib_gzip.decompress(data) == b"".join(chunks)
    assert decompress(data) == b"".join(chunks)


def test_compress_stream_flushes_every_chunk() -> None:
    pieces = compression.compress_stream(iter([b"first", b"second"]), 5)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflater.decompress(next(pieces)) == b"first"
    assert inflater.decompress(next(pieces)) == b"second"
    inflater.decompress(b"".join(pieces))
    assert inflater.eof


def test_compress_stream_closes_the_body() -> None:
    closed = []

    def body():
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    stream = compression.compress_stream(body())
    next(stream)
    stream.close()
    assert closed == [True]


def test_decompress_bound_and_errors() -> None:
    from cherrypy.lib.encoding import decompress

    data = stdlib_gzip.compress(b"a" * 10_000)
    assert decompress(data, max_size=10_000) == b"a" * 10_000
    with pytest.raises(ValueError, match="exceeds 9999"):
        decompress(data, max_size=9_999)
    with pytest.raises(ValueError, match="truncated"):
        decompress(data[:-10])
    with pytest.raises(ValueError, match="invalid"):
        decompress(b"not compressed")
    two = stdlib_gzip.compress(b"one") + stdlib_gzip.compress(b"two")
    assert decompress(two) == b"onetwo"
    assert decompress(zlib.compress(b"zlib too")) == b"zlib too"


def test_utf8_stream_encoder() -> None:
    from cherrypy.lib.encoding import UTF8StreamEncoder

    closed = []

    def source():
        try:
            yield "é"
            yield b"\xff"
        finally:
            closed.append(True)

    encoder = UTF8StreamEncoder(source())
    assert iter(encoder) is encoder
    assert next(encoder) == "é".encode()
    assert encoder.next() == b"\xff"
    encoder.close()
    assert closed == [True]
    assert encoder.gi_running is False  # other attributes come from the wrapped iterator
    with pytest.raises(AttributeError):
        encoder.__missing__  # noqa: B018


@pytest.mark.parametrize(
    ("content_type", "patterns", "expected"),
    [
        ("text/html;charset=utf-8", ["text/html"], True),
        ("TEXT/HTML", ["text/html"], True),
        ("text/html", "text/html", True),
        ("text/css", ["text/*"], True),
        ("image/svg+xml", ["image/*+xml"], True),
        ("image/svg+xml", ["*/*+xml"], True),
        ("image/svg+xml", ["image/*+json"], False),
        ("image/svg", ["image/*+xml"], False),
        ("", ["*/*"], False),
        ("garbage", ["*/*"], False),
        ("text/", ["text/*"], False),
    ],
)
def test_mime_type_matches(content_type: str, patterns: object, expected: bool) -> None:
    assert compression.mime_type_matches(content_type, patterns) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", (1.0, None)),
        ("x-gzip;q=0.3, gzip;q=0.7", (0.7, None)),
        ("*;q=0.2", (0.2, 0.2)),
        ("identity;q=0, *", (1.0, 0.0)),
        ("br", (0.0, None)),
        ("gzip;q=-1", (0.0, None)),
        ("gzip;q=nan", (0.0, None)),
    ],
)
def test_negotiate(header: str, expected: tuple[float, float | None]) -> None:
    assert compression.negotiate(header_elements("Accept-Encoding", header)) == expected
