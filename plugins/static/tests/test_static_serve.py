"""``cherrypy.lib.static``: serve_file, serve_fileobj, serve_download; streaming and
``wsgi.file_wrapper``."""

from __future__ import annotations

import html
import http.client
import io
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

import cherrypy
from cherrypy.testing import serve
from cherrypy_static.bodies import FileSlice

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"


def test_compat_module_names() -> None:
    import mimetypes

    import cherrypy.lib.static as static_module
    import cherrypy_static
    from cherrypy.lib import static
    from cherrypy.lib.static import serve_download, serve_file, serve_fileobj, staticdir, staticfile

    assert static is static_module
    assert serve_file is cherrypy_static.serve_file
    assert serve_fileobj is cherrypy_static.serve_fileobj
    assert serve_download is cherrypy_static.serve_download
    assert staticdir is cherrypy.tools.staticdir.callable
    assert staticfile is cherrypy.tools.staticfile.callable
    assert static.mimetypes is mimetypes


def _mount_handlers(**handlers: Callable[..., Any]) -> None:
    root = type("Root", (), {name: cherrypy.expose(func) for name, func in handlers.items()})()
    cherrypy.tree.mount(root, "/", {"/": {}})


def test_serve_file_guesses_the_type(web: Any, site: Any) -> None:
    from cherrypy.lib.static import serve_file

    _mount_handlers(
        css=lambda self: serve_file(str(site.static / "css" / "style.css")),
        js=lambda self: serve_file(str(site.static / "app.js"), content_type="application/x-js"),
        blob=lambda self: serve_file(str(site.static / "big.bin")),
    )
    css = web.get("/css")
    assert css.body == b"body { color: red; }\n"
    assert css.header("Content-Type") == "text/css;charset=utf-8"  # tools.encode, as CherryPy
    assert web.get("/js").header("Content-Type") == "application/x-js"
    blob = web.get("/blob")
    assert blob.body == site.big
    assert blob.header("Content-Type") == "application/octet-stream"
    assert blob.header("Content-Length") == str(len(site.big))


def test_serve_file_errors(web: Any, site: Any) -> None:
    from cherrypy.lib.static import serve_file

    _mount_handlers(
        relative=lambda self: serve_file("static/alpha.txt"),
        missing=lambda self: serve_file(str(site.static / "nope.txt")),
        folder=lambda self: serve_file(str(site.static)),
    )
    relative = web.get("/relative")
    assert relative.status == 500
    assert "'static/alpha.txt' is not an absolute path." in html.unescape(relative.text)
    assert web.get("/missing").status == 404
    assert web.get("/folder").status == 404


@pytest.mark.parametrize(
    ("disposition", "name", "expected"),
    [
        ("attachment", None, 'attachment; filename="alpha.txt"'),
        ("inline", "report.txt", 'inline; filename="report.txt"'),
        (
            "attachment",
            "na\u00efve \u20ac.txt",
            "attachment; filename=\"naive .txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt",
        ),
        (
            "attachment",
            '"quoted"\\name.txt',
            'attachment; filename="\\"quoted\\"\\\\name.txt"; '
            "filename*=UTF-8''%22quoted%22%5Cname.txt",
        ),
        (
            "attachment",
            "\u62a5\u544a.pdf",
            "attachment; filename=\".pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf",
        ),
        (
            "attachment",
            "line\r\nbreak.txt",
            "attachment; filename=\"linebreak.txt\"; filename*=UTF-8''line%0D%0Abreak.txt",
        ),
    ],
)
def test_content_disposition(
    web: Any, site: Any, disposition: str, name: str | None, expected: str
) -> None:
    from cherrypy.lib.static import serve_file

    _mount_handlers(
        doc=lambda self: serve_file(str(site.static / "alpha.txt"), "text/plain", disposition, name)
    )
    reply = web.get("/doc")
    assert reply.status == 200
    assert reply.header("Content-Disposition") == expected
    assert reply.body == ALPHABET


def test_serve_download(web: Any, site: Any) -> None:
    from cherrypy.lib.static import serve_download

    _mount_handlers(
        plain=lambda self: serve_download(str(site.static / "big.bin")),
        named=lambda self: serve_download(str(site.static / "alpha.txt"), "r\u00e9sum\u00e9.txt"),
    )
    plain = web.get("/plain")
    assert plain.header("Content-Type") == "application/x-download"
    assert plain.header("Content-Disposition") == 'attachment; filename="big.bin"'
    assert plain.body == site.big
    named = web.get("/named")
    assert named.header("Content-Disposition") == (
        "attachment; filename=\"resume.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )


class Unseekable:
    """A readable stream with no size and no position (a pipe, a socket)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def close(self) -> None:
        self.closed = True


def test_serve_fileobj_with_a_real_file(web: Any, site: Any) -> None:
    from cherrypy.lib.static import serve_fileobj

    opened: list[Any] = []

    def doc(self: Any) -> Any:
        f = open(site.static / "big.bin", "rb")  # noqa: SIM115 - serve_fileobj closes it
        opened.append(f)
        return serve_fileobj(f, "application/pdf", "inline", "doc.pdf")

    _mount_handlers(doc=doc)
    reply = web.get("/doc")
    assert reply.body == site.big
    assert reply.header("Content-Length") == str(len(site.big))
    assert reply.header("Content-Disposition") == 'inline; filename="doc.pdf"'
    assert reply.header("ETag") and reply.header("Last-Modified")
    assert web.get("/doc", If_None_Match=reply.header("ETag")).status == 304
    ranged = web.get("/doc", Range="bytes=10-19")
    assert (ranged.status, ranged.body) == (206, site.big[10:20])
    assert _eventually(lambda: all(f.closed for f in opened))


def test_serve_fileobj_from_the_current_position(web: Any, site: Any) -> None:
    from cherrypy.lib.static import serve_fileobj

    def rest(self: Any) -> Any:
        f = open(site.static / "alpha.txt", "rb")  # noqa: SIM115
        f.read(10)
        return serve_fileobj(f, "text/plain")

    _mount_handlers(rest=rest)
    reply = web.get("/rest")
    assert reply.body == ALPHABET[10:]
    ranged = web.get("/rest", Range="bytes=0-1")
    assert (ranged.body, ranged.header("Content-Range")) == (b"kl", "bytes 0-1/16")


def test_serve_fileobj_with_bytes_io(web: Any) -> None:
    from cherrypy.lib.static import serve_fileobj

    _mount_handlers(
        mem=lambda self: serve_fileobj(
            io.BytesIO(ALPHABET), "application/octet-stream", "attachment"
        )
    )
    reply = web.get("/mem")
    assert reply.body == ALPHABET
    assert reply.header("Content-Length") == "26"
    assert reply.header("Content-Disposition") == "attachment"
    assert reply.header("ETag") is None and reply.header("Last-Modified") is None
    # No validator can make an If-Range hold: the whole object is sent.
    assert web.get("/mem", Range="bytes=0-1", If_Range='"x"').status == 200
    multi = web.get("/mem", Range="bytes=0-0,25-25")
    assert multi.status == 206
    assert b"\r\n\r\na\r\n" in multi.body and b"\r\n\r\nz\r\n" in multi.body


def test_serve_fileobj_with_an_unseekable_stream(web: Any) -> None:
    from cherrypy.lib.static import serve_fileobj

    streams: list[Unseekable] = []

    def stream(self: Any) -> Any:
        cherrypy.response.headers["Content-Type"] = "text/csv"
        streams.append(Unseekable(b"a,b\n" * 1000))
        return serve_fileobj(streams[-1])

    _mount_handlers(stream=stream)
    reply = web.get("/stream", Range="bytes=0-3")
    assert reply.status == 200
    assert reply.body == b"a,b\n" * 1000
    assert reply.header("Accept-Ranges") is None
    assert reply.header("Content-Type") == "text/csv;charset=utf-8"
    assert _eventually(lambda: streams[-1].closed)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> bytes:
    """The body of the response to ``method url``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path, headers=headers or {})
        return conn.getresponse().read()
    finally:
        conn.close()


def _eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class ChunkRecorder:
    """WSGI middleware that records the size of every chunk the application yields."""

    def __init__(self, app: Callable[..., Any], file_wrapper: Any = None) -> None:
        self.app = app
        self.file_wrapper = file_wrapper
        self.chunks: list[int] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.file_wrapper is not None:
            environ["wsgi.file_wrapper"] = self.file_wrapper
        else:
            environ.pop("wsgi.file_wrapper", None)
        result = self.app(environ, start_response)
        return self._record(result)

    def _record(self, result: Any) -> Iterator[bytes]:
        try:
            for chunk in result:
                self.chunks.append(len(chunk))
                yield chunk
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def test_large_files_are_streamed_in_chunks(site: Any, mount_static: Any) -> None:
    from cherrypy_static.bodies import CHUNK_SIZE

    mount_static()
    recorder = ChunkRecorder(cherrypy.tree)
    with serve(recorder, server="wsgiref") as base:
        body = fetch(base + "/static/big.bin")
    assert body == site.big
    assert len(recorder.chunks) >= 3
    assert max(recorder.chunks) <= CHUNK_SIZE


class RecordingWrapper:
    """A ``wsgi.file_wrapper`` that records what it was given and iterates like wsgiref's."""

    wrapped: list[Any] = []

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike
        self.blksize = blksize
        RecordingWrapper.wrapped.append(self)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        data = self.filelike.read(self.blksize)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        self.filelike.close()


def test_file_wrapper_of_the_server_gets_the_file(site: Any, mount_static: Any) -> None:
    mount_static()
    RecordingWrapper.wrapped = []
    recorder = ChunkRecorder(cherrypy.tree, RecordingWrapper)
    with serve(recorder, server="wsgiref") as base:
        assert fetch(base + "/static/big.bin") == site.big
        [whole] = RecordingWrapper.wrapped
        assert isinstance(whole.filelike, FileSlice)  # has the file's descriptor, for sendfile
        assert whole.filelike.tell() == len(site.big)
        assert _eventually(lambda: whole.filelike.closed)

        assert fetch(base + "/static/big.bin", {"Range": "bytes=1000-1999"}) == site.big[1000:2000]
        [_, ranged] = RecordingWrapper.wrapped
        assert ranged.filelike.tell() == 2000  # a slice: never reads past its end

        assert (
            fetch(base + "/static/big.bin", {"Range": "bytes=0-0,5-5"}).count(b"Content-Range") == 2
        )
        assert len(RecordingWrapper.wrapped) == 2  # multipart bodies are generated

        head = fetch(base + "/static/big.bin", method="HEAD")
        assert head == b""
        assert len(RecordingWrapper.wrapped) == 2
