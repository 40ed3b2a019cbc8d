"""What the test client sends and receives: request bodies, WSGI environs, responses.

Pure protocol logic, no I/O: :func:`encode_body` turns ``data=``, ``json=`` and ``files=`` into
bytes and a Content-Type, :func:`build_environ` makes the PEP 3333 environ a WSGI server would
pass for one request, and :class:`Response` is what :class:`~cherrypy.testing.Client` returns.
"""

from __future__ import annotations

import io
import json as _json
import mimetypes
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode, urlsplit

__all__ = ["Headers", "RequestInfo", "Response", "build_environ", "encode_body", "encode_query"]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | str | None
Files = Mapping[str, Any] | None


class Headers(Mapping[str, str]):
    """Response headers: a read-only mapping with case-insensitive names.

    ``headers["content-type"]`` is the value of ``Content-Type``; a header sent several times
    reads as its values joined with ``", "``, and :meth:`get_all` lists them one by one
    (``Set-Cookie``).  :attr:`raw` holds the ``(name, value)`` pairs as the application sent
    them.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.raw: list[tuple[str, str]] = list(pairs)

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name``, in order (empty when absent)."""
        wanted = name.lower()
        return [value for key, value in self.raw if key.lower() == wanted]

    def __getitem__(self, name: str) -> str:
        values = self.get_all(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(key.lower() == name.lower() for key, _ in self.raw)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self.raw:
            if key.lower() not in seen:
                seen.add(key.lower())
                yield key

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self.raw})

    def __repr__(self) -> str:
        return f"Headers({self.raw!r})"


class RequestInfo:
    """The request a :class:`Response` answers: method, absolute URL, headers and body."""

    def __init__(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = dict(headers)
        self.body = body

    def __repr__(self) -> str:
        return f"<RequestInfo {self.method} {self.url}>"


class Response:
    """One response of the test client.

    ``status`` is the status line (``"200 OK"``), ``status_code`` its number, ``headers`` a
    case-insensitive :class:`Headers`, ``body`` (alias ``content``) the bytes, ``text`` the
    body decoded with the Content-Type's charset (UTF-8 by default) and :meth:`json` the body
    parsed as JSON.  A response requested with ``stream=True`` is read lazily:
    :meth:`iter_bytes` yields the chunks as the application produces them (reading ``body``
    then joins what is left).  ``history`` holds the redirects followed to get here.
    """

    def __init__(
        self,
        status: str,
        headers: Iterable[tuple[str, str]],
        chunks: Iterator[bytes],
        close: Callable[[], None],
        request: RequestInfo,
    ) -> None:
        self.status = status
        code, _, reason = status.partition(" ")
        self.status_code = int(code)
        self.reason = reason
        self.headers = Headers(headers)
        self.request = request
        self.url = request.url
        self.history: list[Response] = []
        self._chunks: Iterator[bytes] | None = chunks
        self._close = close
        self._parts: list[bytes] = []
        self._yielded = 0

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the body's chunks as the application produces them.

        Each chunk is yielded once over all calls; a body already read is yielded as it was
        received.  Stopping early is fine: ``body`` later returns the whole body.
        """
        while True:
            if self._yielded < len(self._parts):
                self._yielded += 1
                yield self._parts[self._yielded - 1]
            elif self._next_chunk() is None:
                return

    def _next_chunk(self) -> bytes | None:
        chunks = self._chunks
        if chunks is None:
            return None
        try:
            chunk = next(chunks)
        except StopIteration:
            self._chunks = None
            self.close()
            return None
        except BaseException:
            self._chunks = None
            self.close()
            raise
        self._parts.append(chunk)
        return chunk

    @property
    def body(self) -> bytes:
        """The whole body (reads what the application has not produced yet)."""
        while self._next_chunk() is not None:
            pass
        return b"".join(self._parts)

    @property
    def content(self) -> bytes:
        """The whole body (the name ``requests`` uses)."""
        return self.body

    @property
    def charset(self) -> str:
        """The charset named by the Content-Type header, UTF-8 without one."""
        for param in self.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = param.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with :attr:`charset`."""
        return self.body.decode(self.charset, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    @property
    def is_redirect(self) -> bool:
        """Whether this is a redirect with a Location header."""
        return self.status_code in (301, 302, 303, 307, 308) and "Location" in self.headers

    def close(self) -> None:
        """Close the application's response iterable (runs its end-of-request callbacks)."""
        close, self._close = self._close, _nothing
        close()

    def __repr__(self) -> str:
        return f"<Response [{self.status}]>"


def _nothing() -> None:
    pass


def encode_query(params: Params) -> str:
    """``params`` (a mapping or pairs; a list value repeats the name) as a query string."""
    if params is None:
        return ""
    if isinstance(params, str):
        return params
    return urlencode(params, doseq=True)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if hasattr(value, "read"):
        return _as_bytes(value.read())
    return str(value).encode("utf-8")


def _form_pairs(data: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    items = data.items() if isinstance(data, Mapping) else data
    pairs: list[tuple[str, Any]] = []
    for name, value in items:
        if isinstance(value, (list, tuple)):
            pairs.extend((name, each) for each in value)
        else:
            pairs.append((name, value))
    return pairs


def _multipart(
    data: Mapping[str, Any] | Sequence[tuple[str, Any]], files: Mapping[str, Any]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in _form_pairs(data):
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(_as_bytes(value) + b"\r\n")
    for name, spec in files.items():
        if isinstance(spec, tuple):
            filename, content, *rest = spec
            media_type = rest[0] if rest else None
        else:
            filename, content, media_type = getattr(spec, "name", name), spec, None
        media_type = media_type or mimetypes.guess_type(str(filename))[0]
        out.write(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {media_type or 'application/octet-stream'}\r\n\r\n".encode()
        )
        out.write(_as_bytes(content) + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def encode_body(
    data: Any = None, json: Any = None, files: Files = None
) -> tuple[bytes, str | None]:
    """The request body and its Content-Type for ``data=``, ``json=`` and ``files=``.

    ``data`` is a form when it is a mapping or a list of pairs (urlencoded, or multipart with
    ``files``), else the raw body (bytes, str as UTF-8, or a file object).  ``json`` is any
    JSON-serialisable value.  ``files`` maps field names to ``(filename, content)`` or
    ``(filename, content, content_type)`` tuples, or to open files.
    """
    if json is not None:
        if data is not None or files:
            raise TypeError("json= cannot be combined with data= or files=")
        return _json.dumps(json).encode("utf-8"), "application/json"
    if files:
        if data is not None and not isinstance(data, (Mapping, list, tuple)):
            raise TypeError("with files=, data= must be a form (a dict or a list of pairs)")
        return _multipart(data or {}, files)
    if data is None:
        return b"", None
    if isinstance(data, (Mapping, list, tuple)):
        return urlencode(_form_pairs(data)).encode("ascii"), "application/x-www-form-urlencoded"
    return _as_bytes(data), None


def build_environ(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    script_name: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The PEP 3333 environ a WSGI server builds for ``method url`` with ``headers`` and ``body``.

    ``url`` is absolute (``http://host[:port]/path?query``); ``script_name`` is removed from
    the start of its path into ``SCRIPT_NAME``.  ``extra`` keys are set last (e.g.
    ``REMOTE_ADDR``).
    """
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if scheme == "https" else 80)
    path = unquote_to_bytes(parts.path or "/").decode("latin-1")
    if script_name and (path == script_name or path.startswith(script_name + "/")):
        path = path[len(script_name) :]
    else:
        script_name = ""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": parts.netloc or host,
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body or method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value
    if extra:
        environ.update(extra)
    return environ
